"""A short supervision check-in: what went well, what to discuss, progress on gaps, what is needed; a one-page note."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from bot.conversation import Block, Reply
from bot.dates import parse_date
from bot.storage.base import Person
from dialogs.base import (
    Answer,
    Ctx,
    Flow,
    NotUnderstood,
    Out,
    choice,
    completed,
    drop_draft,
    record_choice,
    upsert_record,
)
from dialogs.self_assessment import GAP_RATINGS, rating_label, saved_date, target_code
from dialogs.words import FREE_TEXT_MAX, clip, days_text, format_date, is_skip_text, plural, tidy, yes_no

MAX_GAPS = 8
DEFAULT_REMINDER_DAYS = 3  # "yes" to "shall I remind you?": the middle button

QUESTIONS = {
    "went_well": ("What has gone well since your last supervision?",
                  "A line or two is plenty: a piece of work you are pleased with, feedback, something you learned."),
    "discuss": ("What would you like to discuss in supervision?",
                "Cases, ideas, worries, your development: whatever matters to you."),
    "needs": ("What do you need from your manager?",
              "For example time, a shadowing opportunity, a course, or support with a case."),
}

# "When is your next supervision?" "Not booked yet": the same as skip.
NO_DATE_YET = frozenset((
    "none", "not sure", "unsure", "don't know", "dont know", "do not know", "no idea", "not booked", "not booked yet",
    "not yet", "no date", "no date yet", "tbc", "tba", "unknown", "n/a", "na", "not arranged", "not arranged yet",
    "not set", "not set yet", "not decided", "i don't know", "idk", "nothing", "nothing yet", "no", "nope",
    "not scheduled", "not scheduled yet", "none yet",
))


class CheckIn(Flow):
    name = "checkin"
    noun = "check-in"
    keeps_partial = True

    def begin(self, ctx: Ctx, state: dict[str, Any], args: dict[str, Any]) -> Out:
        gaps: list[dict[str, Any]] = []
        assessment = None
        done = completed(ctx.store.list_records(ctx.person.id, "assessment"))
        if done:
            last = done[0]
            assessment = {"id": last["id"], "target": target_code(last["data"]), "date": last["data"].get("date")}
            for it in last["data"].get("items") or []:
                if it.get("rating") in GAP_RATINGS:
                    gaps.append({"uid": it.get("uid"), "text": it.get("text"), "rating": it.get("rating"),
                                 "category": it.get("category")})
        more = max(len(gaps) - MAX_GAPS, 0)
        gaps = gaps[:MAX_GAPS]
        slots = ["went_well", "discuss"] + [f"gap:{i}" for i in range(len(gaps))] + ["needs", "next_date",
                                                                                      "reminder"]
        state["data"] = {"slots": slots, "pos": 0, "history": [], "answers": {}, "gaps": gaps, "more_gaps": more,
                         "assessment": assessment, "next_supervision": None, "reminder_days": None}
        intro = "Let's get you ready for supervision: a few short questions, then a one-page note to bring along."
        if assessment:
            when = saved_date(assessment.get("date"))
            intro += (f" I'll also ask about the {plural(len(gaps), 'gap')} from your self-assessment for "
                      f"{assessment['target']}" + (f" on {format_date(when)}" if when else "") + ".")
            if more:
                rest = "There is 1 more" if more == 1 else f"There are {more} more"
                intro += f" ({rest}; I've picked the first {MAX_GAPS}.)"
        else:
            intro += " You haven't done a self-assessment yet; say “assess me” afterwards if you'd like to."
        intro += " Say “skip” to leave any question out."
        return Out(before=[Block(title="Supervision check-in", text=intro)])

    # questions -------------------------------------------------------------------------------------
    def free_text(self, state: dict[str, Any]) -> bool:
        data = state.get("data") or {}
        slots, pos = data.get("slots") or [], data.get("pos", 0)
        slot = slots[pos] if isinstance(pos, int) and 0 <= pos < len(slots) else ""
        return slot in QUESTIONS or slot.startswith("gap:")

    def answered(self, state: dict[str, Any]) -> int:
        data = state.get("data") or {}
        return sum(1 for v in (data.get("answers") or {}).values() if v) + bool(data.get("next_supervision"))

    def _slot(self, state: dict[str, Any]) -> str:
        data = state["data"]
        return data["slots"][data["pos"]]

    def progress(self, state: dict[str, Any]) -> str | None:
        data = state["data"]
        return f"{data['pos'] + 1} of {len(data['slots'])}"

    def describe(self, state: dict[str, Any], today: date) -> str:
        started = saved_date(state.get("started_at"))
        return "your supervision check-in" + (f" from {format_date(started, today=today, short=True)}"
                                              if started else "")

    def question(self, ctx: Ctx, state: dict[str, Any]) -> Reply:
        data = state["data"]
        slot = self._slot(state)
        prog = self.progress(state)
        meta = {"dialog": self.name, "dialog_id": state["id"], "step": state["step"], "phase": slot,
                "progress": prog}
        nav = ([choice(state, "Back", "back")] if data["history"] else []) + [choice(state, "Pause", "pause")]
        previous = data["answers"].get(slot)
        keep = f"\nYou said: “{previous}”. Type a new answer, or say skip to keep it." if previous else ""
        if slot in QUESTIONS:
            title, hint = QUESTIONS[slot]
            return Reply(title=f"{prog} · {title}", blocks=[Block(text=hint + keep)],
                         choices=[choice(state, "Skip", "skip")] + nav, status="dialog", meta=meta)
        if slot.startswith("gap:"):
            i = int(slot[4:])
            gap = data["gaps"][i]
            a = data["assessment"] or {}
            text = (f"“{gap['text']}”\nYou rated this {rating_label(gap['rating'])} in your self-assessment for "
                    f"{a.get('target')}. Any progress? A line is enough, or say skip.{keep}")
            return Reply(title=f"{prog} · Progress on your gaps ({i + 1} of {len(data['gaps'])})",
                         blocks=[Block(text=text)],
                         choices=[choice(state, "Skip", "skip"), choice(state, "Skip the rest of the gaps",
                                                                        "skip_category")] + nav,
                         status="dialog", meta=meta)
        if slot == "next_date":
            current = ctx.person.prefs.next_supervision
            choices = [choice(state, "Skip", "skip")]
            text = ("When is your next supervision? I can remind you a few days before. For example "
                    "“14 March”, or “remind me 3 days before my supervision on 14 March”.")
            if current and current >= ctx.today:
                choices.insert(0, choice(state, f"Yes, {format_date(current)}", "keep", "primary"))
                text = f"Is your next supervision still on {format_date(current)}? If not, tell me the new date."
            return Reply(title=f"{prog} · Your next supervision", blocks=[Block(text=text)],
                         choices=choices + nav, status="dialog", meta=meta)
        # reminder
        when = saved_date(data.get("next_supervision"))
        left = _days_left(ctx, data)
        # only reminders that fall after today: for a supervision in 5 days, "1 week before" has passed
        offered = [choice(state, label, f"days:{d}", "primary" if d == DEFAULT_REMINDER_DAYS else None)
                   for d, label in ((1, "1 day before"), (3, "3 days before"), (7, "1 week before")) if d < left]
        text = f"Shall I remind you before your supervision on {format_date(when) if when else 'that date'}?"
        if not offered:
            text = "Your supervision is too soon for a reminder before it. Say “no reminder” to finish."
        return Reply(title=f"{prog} · A reminder?", blocks=[Block(text=text)],
                     choices=offered + [choice(state, "No reminder", "days:0")] + nav,
                     status="dialog", meta=meta)

    def help_text(self, ctx: Ctx, state: dict[str, Any]) -> str:
        slot = self._slot(state)
        if slot == "next_date":
            return "Type the date of your next supervision, such as “14 March”, or say skip."
        if slot == "reminder":
            return "Choose how many days before your supervision I should remind you, or “No reminder”."
        return ("Type a line or two in your own words, or say skip. You can also say back, pause (carry on "
                "later) or cancel.")

    # answers ---------------------------------------------------------------------------------------
    def answer(self, ctx: Ctx, state: dict[str, Any], ans: Answer) -> Out:
        data = state["data"]
        slot = self._slot(state)
        if slot == "next_date":
            return self._next_date(ctx, state, ans)
        if slot == "reminder":
            return self._reminder(ctx, state, ans)
        if ans.value == "skip" or is_skip_text(ans.text):
            return self._advance(ctx, state, Out())
        text, cut = clip(ans.text, FREE_TEXT_MAX)
        if not re.search(r"\w", text):
            raise NotUnderstood("Type a line in your own words, or say skip.")
        data["answers"][slot] = text
        out = Out()
        if cut:
            out.before.append(Block(text=f"That was long: I kept the first {FREE_TEXT_MAX:,} characters."))
        return self._advance(ctx, state, out)

    def _next_date(self, ctx: Ctx, state: dict[str, Any], ans: Answer) -> Out:
        data = state["data"]
        today = ctx.today
        when: date | None = None
        if ans.text and (tidy(ans.text) in NO_DATE_YET or yes_no(ans.text) == "no"):
            data.pop("next_supervision", None)  # "not booked yet": no date, so no reminder question either
            return self._advance(ctx, state, Out())
        if ans.value == "keep" or (ans.text and yes_no(ans.text) == "yes"):
            when = ctx.person.prefs.next_supervision
            if when is None or when < today:
                raise NotUnderstood("Please give the date of your next supervision, such as “14 March”.")
        else:
            when = parse_date(ans.text or "", today=today, prefer_future=True)
            if when is None:
                raise NotUnderstood("I couldn't read a date there. Please give it like “14 March” or "
                                    "“14/03/2026”, or say skip.")
            if when < today:
                raise NotUnderstood(f"{format_date(when)} has already passed. Please give the date of your next "
                                    "supervision.", caught=True)
            if when > today + timedelta(days=366):
                raise NotUnderstood(f"{format_date(when)} is more than a year away. Please check the date.",
                                    caught=True)
        data["next_supervision"] = when.isoformat()
        m = re.search(r"remind me (.+?) before", tidy(ans.text or ""))
        days = days_text(m.group(1)) if m else None
        if days is not None:
            data["reminder_days"] = days or None
            data["history"].append(data["pos"])
            data["pos"] += 2  # the reminder question is answered already
            return self._advance(ctx, state, Out(), record_history=False)
        return self._advance(ctx, state, Out())

    def _reminder(self, ctx: Ctx, state: dict[str, Any], ans: Answer) -> Out:
        data = state["data"]
        days: int | None = None
        if ans.value and ans.value.startswith("days:"):
            try:
                days = int(ans.value[5:])
            except ValueError:
                days = None
        elif ans.text:
            t = tidy(ans.text)
            if yes_no(t) == "no" or t in ("no reminder", "none", "no thanks", "don't remind me", "skip"):
                days = 0
            else:
                days = days_text(t)
                if days is None and yes_no(t) == "yes":
                    # "yes please": the middle button, said back (this is the last question, so the note that
                    # follows says the date; "back" would find the dialog finished)
                    left = _days_left(ctx, data)
                    pick = DEFAULT_REMINDER_DAYS if DEFAULT_REMINDER_DAYS < left else 1 if left > 1 else 0
                    data["reminder_days"] = pick or None
                    return self._advance(ctx, state, Out(before=[Block(
                        text=f"I've taken that as {plural(pick, 'day')} before"
                             + (", the middle option." if pick == DEFAULT_REMINDER_DAYS else ".")
                        if pick else "Your supervision is too soon for a reminder before it, so there is none.")]))
        if days is None or not 0 <= days <= 60:
            raise NotUnderstood("Choose one of the options, or type a number of days such as “3 days”.")
        when = saved_date(data.get("next_supervision"))
        if days and when and when - timedelta(days=days) <= ctx.today:
            raise NotUnderstood(f"{plural(days, 'day')} before {format_date(when)} is today or already past. Choose "
                                "fewer days, or “no reminder”.", caught=True)
        data["reminder_days"] = days or None
        return self._advance(ctx, state, Out())

    def _advance(self, ctx: Ctx, state: dict[str, Any], out: Out, *, record_history: bool = True) -> Out:
        data = state["data"]
        if record_history:
            data["history"].append(data["pos"])
            data["pos"] += 1
        # No date, no reminder question.
        if data["pos"] < len(data["slots"]) and data["slots"][data["pos"]] == "reminder" \
                and not data.get("next_supervision"):
            data["pos"] += 1
        if data["pos"] >= len(data["slots"]):
            return self.finish(ctx, state, out)
        return out

    def back(self, ctx: Ctx, state: dict[str, Any]) -> bool:
        data = state["data"]
        if not data["history"]:
            return False
        data["pos"] = data["history"].pop()
        return True

    def skip(self, ctx: Ctx, state: dict[str, Any]) -> Out | None:
        data = state["data"]
        if self._slot(state) == "next_date":
            data["next_supervision"] = None
            data["reminder_days"] = None
        return self._advance(ctx, state, Out())

    def skip_category(self, ctx: Ctx, state: dict[str, Any]) -> Out | None:
        data = state["data"]
        if not self._slot(state).startswith("gap:"):
            return self.skip(ctx, state)
        data["history"].append(data["pos"])
        while data["slots"][data["pos"]].startswith("gap:"):
            data["pos"] += 1
        return self._advance(ctx, state, Out(before=[Block(text="Skipped the rest of the gaps.")]),
                             record_history=False)

    # records ---------------------------------------------------------------------------------------
    def _record_data(self, ctx: Ctx, state: dict[str, Any], status: str) -> dict[str, Any]:
        data = state["data"]
        answers = data["answers"]
        return {
            "type": "checkin", "status": status, "date": ctx.today.isoformat(), "started_at": state.get("started_at"),
            "updated_at": ctx.now.isoformat(),
            "went_well": answers.get("went_well"), "discuss": answers.get("discuss"), "needs": answers.get("needs"),
            "gaps": [dict(g, progress=answers.get(f"gap:{i}")) for i, g in enumerate(data["gaps"])],
            "more_gaps": data.get("more_gaps", 0),
            "assessment": data.get("assessment"),
            "next_supervision": data.get("next_supervision"), "reminder_days": data.get("reminder_days"),
            "reminder_on": data.get("reminder_on"),
            "person_level": ctx.person.level_code,
        }

    def save_partial(self, ctx: Ctx, state: dict[str, Any], status: str) -> str | None:
        data = state.get("data") or {}
        if not data.get("answers"):
            return None
        return upsert_record(ctx.store, state, ctx.person.id, "checkin", self._record_data(ctx, state, status))

    def discard(self, ctx: Ctx, state: dict[str, Any]) -> None:
        data = state.get("data") or {}
        data.update(answers={}, pos=0, next_supervision=None, reminder_days=None)
        drop_draft(ctx.store, ctx.person.id, state, "checkin")

    def finish(self, ctx: Ctx, state: dict[str, Any], out: Out) -> Out:
        data = state["data"]
        notes: list[str] = []
        when = saved_date(data.get("next_supervision"))
        if when:
            fresh = ctx.store.get_person(ctx.person.id) or ctx.person
            days = data.get("reminder_days")
            remind_on = None
            if days:
                asked_for = when - timedelta(days=days)
                remind_on, closed = working_day_on_or_before(asked_for, fresh, not_before=ctx.today)
                before = f"{plural(days, 'day')} before is {weekday_date(asked_for)}{closed or ''}"
                if remind_on is None and closed is not None:
                    notes.append(f"{before}, and reminders are only sent on working days. There is no working day "
                                 "between now and then, so the reminder may come late or not at all.")
                elif remind_on is None:
                    notes.append(f"That is sooner than {plural(days, 'day')} away, so the reminder may come late "
                                 "or not at all.")
                elif closed is not None:
                    # Reminders are sent on working days only, so the promise is the working day before, and the
                    # days saved are the ones that make the scheduler send it then.
                    notes.append(f"I'll remind you on {weekday_date(remind_on)}: {before}, and reminders are only "
                                 "sent on working days.")
                    days = (when - remind_on).days
                else:
                    notes.append(f"I'll remind you on {weekday_date(remind_on)}, {plural(days, 'day')} before.")
                if fresh.prefs.opted_out:
                    notes.append("Your reminders are turned off at the moment; say “start reminders” to turn them "
                                 "back on.")
            data["reminder_days"] = days or None
            data["reminder_on"] = remind_on.isoformat() if remind_on else None
            fresh.prefs.next_supervision = when
            fresh.prefs.supervision_reminder_days = data["reminder_days"]
            ctx.store.upsert_person(fresh)
            ctx.person.prefs.next_supervision = when
            ctx.person.prefs.supervision_reminder_days = data["reminder_days"]
        record = self._record_data(ctx, state, "complete")
        record["completed_at"] = ctx.now.isoformat()
        rid = upsert_record(ctx.store, state, ctx.person.id, "checkin", record)
        state["done"] = True
        reply = Reply(
            title=f"Your supervision check-in note, {format_date(ctx.today)}",
            blocks=out.before + checkin_blocks(record) + ([Block(notes=notes)] if notes else []),
            choices=[record_choice("Share with my manager", "share", rid, style="primary"),
                     record_choice("Download check-in note", "pack", rid),
                     record_choice("Done", "done", rid)],
            footer="This is private to you until you choose to share it.",
            meta={"dialog": self.name, "record_id": rid},
        )
        return Out(replies=[reply])


def _days_left(ctx: Ctx, data: dict[str, Any]) -> int:
    """Days from today to the next supervision: a reminder that many days before it or more would be today or
    past (60, the most a reminder may be set before, when no date is known)."""
    when = saved_date(data.get("next_supervision"))
    return (when - ctx.today).days if when else 60


def checkin_blocks(record: dict[str, Any]) -> list[Block]:
    def said(value: Any) -> str:
        return value if isinstance(value, str) and value else "(skipped)"

    blocks = [Block(title="What has gone well", text=said(record.get("went_well"))),
              Block(title="What I'd like to discuss", text=said(record.get("discuss")))]
    gaps = record.get("gaps") or []
    if gaps:
        a = record.get("assessment") or {}
        b = Block(title=f"Progress on the gaps from my self-assessment for {a.get('target')}",
                  bullets=[f"{g.get('text')} ({rating_label(g.get('rating'))}): {said(g.get('progress'))}"
                           for g in gaps])
        if record.get("more_gaps"):
            more = record["more_gaps"]
            b.notes.append(f"{more} more {'gap is' if more == 1 else 'gaps are'} in the self-assessment.")
        blocks.append(b)
    blocks.append(Block(title="What I need from my manager", text=said(record.get("needs"))))
    when = saved_date(record.get("next_supervision"))
    if when:
        days = record.get("reminder_days")
        remind_on = saved_date(record.get("reminder_on"))
        extra = (f" (reminder on {weekday_date(remind_on)})" if days and remind_on
                 else f" (reminder {plural(days, 'day')} before)" if days else "")
        blocks.append(Block(title="Next supervision", text=f"{format_date(when)}{extra}"))
    return blocks


def weekday_date(d: date) -> str:
    """Friday 11 December 2026."""
    from bot.reminders import WEEKDAYS

    return f"{WEEKDAYS[d.weekday()]} {format_date(d)}"


def working_day_on_or_before(day: date, person: Person, *, not_before: date) -> tuple[date | None, str | None]:
    """The day a reminder due on `day` can be sent so that it still comes first: the day itself when the
    scheduler sends on it, else the working day before (the scheduler's own calendar: the person's working
    days and their region's bank holidays); None when there is no such day from not_before on.

    Also, when the day itself is closed, why, as words to follow its date: "" for a weekend (the weekday says
    it), ", a bank holiday (Christmas Day)", ", not one of your working days"; None when it is open.
    """
    from bot.reminders import day_closed  # the scheduler's rule, not a copy of it

    if day < not_before:
        return None, None
    closed = day_closed(day, person)
    if closed is None:
        return day, None
    why = "" if closed == "weekend" else f", a {closed}" if closed.startswith("bank holiday") else \
        ", not one of your working days"
    for _ in range(31):  # a long break still ends; someone with no working days at all gets no promise
        day -= timedelta(days=1)
        if day < not_before:
            return None, why
        if day_closed(day, person) is None:
            return day, why
    return None, why
