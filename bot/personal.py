"""What careerbot says about a person or their team: their record and next step, what they still need, their
reminders, their saved self-assessments, a manager's reports, and the summary a home view shows.

Channel-neutral, like the router that calls it: replies and a HomeSummary, never platform payloads. Only the
person's own records, or what their reports chose to share, are read here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from bot.answers.engine import AnswerEngine
from bot.conversation import Block, Choice, HomeSummary, Reply
from bot.dates import COUNT, format_uk, names_a_day, parse_date, shift
from bot.knowledge.model import Knowledge
from bot.milestones import add_months, months_between, to_the_manager
from bot.storage.base import Person, Store, StoreError

# When someone says they qualified: "I qualified in July 2023", "qualified in 2022", "I've been qualified for 2
# years", "qualified 4 years ago", "I have 3 years post qualifying experience". Never another qualification ("I
# qualified as an AMHP in 2022") and never a figure asked about ("is it 3 years post qualifying for SW3?").
_ABOUT = r"(?:about\s+|around\s+|roughly\s+|nearly\s+|almost\s+|over\s+|just over\s+|just under\s+)?"
_QUALIFIED_ON = re.compile(
    r"\b(?:i|i'?ve|i have)\s+(?:only\s+|just\s+|first\s+)?qualified(?:\s+as\s+an?\s+social\s+worker)?\s+"
    r"(?:in|on|back in|during|around)\s+((?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|"
    r"nov|dec)[a-z]*\.?\s+(?:\d{4}|['’]\d{2})|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|(?:19|20)\d{2})\b", re.I)
_QUALIFIED_FOR = re.compile(
    r"\b(?:i'?ve been|i have been|been|i'?m|i am)\s+qualified\s+(?:for\s+)?" + _ABOUT + COUNT
    + r"\s+(years?|months?)\b|(?:^\W*|\bi\s+|\bi'?ve\s+|\bi have\s+)qualified\s+" + _ABOUT + COUNT
    + r"\s+(years?|months?)\s+ago\b|(?:\b(?:i have|i'?ve got|i'?ve|i have got|i'?ve had)|^\W*with)\s+" + _ABOUT + COUNT
    + r"\s+(years?|yrs?|months?)['’]?\s+(?:of\s+)?(?:relevant\s+)?(?:post[- ]?qualif\w*|pqe\b|qualified\b)", re.I)
# A figure of post-qualifying experience in a criterion: "2-3 years relevant post qualifying experience"
_PQE_FIGURE = re.compile(r"(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?))?\s+years?\s+(?:relevant\s+)?"
                         r"(?:post[- ]?qualif\w*|qualified social work)", re.I)

REPORT_ACTION = "report"  # a manager's button for one of their reports: {"action": "report", "person_id": ...}


class PersonView:
    """The replies about one person (or a manager's team), built from the store, the framework and the engine."""

    def __init__(self, *, knowledge: Knowledge, engine: AnswerEngine, store: Store,
                 today: Callable[[Person], date]) -> None:
        self.k = knowledge
        self.engine = engine
        self.store = store
        self.today = today

    def milestone_block(self, person: Person, *, short: bool = False) -> Block | None:
        try:
            from bot.milestones import assess
        except ImportError:  # pragma: no cover - milestones not installed in a trimmed build
            return None
        if not (person.level_code and person.level_since):
            return None
        result = assess(self.k, level_code=person.level_code, since=person.level_since, today=self.today(person))
        return Block(title="For you", text=result.status() if short else result.describe())

    def qualified_block(self, text: str, role: str | None, level: str | None, today: date) -> Block | None:
        """'I qualified in July 2023, can I go for SW3A?': the time since qualifying, worked out from what the
        question says, and when it reaches each figure of post-qualifying experience the documents give for
        the level asked about (the answer below quotes them). Nothing when the question says no such date."""
        stated = stated_qualification(text, today)
        if stated is None:
            return None
        since, said, precision = stated
        if since > today:
            return None
        about = "about " if precision == "about" else ""
        if precision == "year":
            low, high = months_between(date(since.year, 12, 31), today), months_between(since, today)
            span = (f"{_years_months(max(low, 0))} to {_years_months(high)} since qualifying, depending on the "
                    "month" if low != high else f"{_years_months(high)} since qualifying")
        else:
            span = f"{about}{_years_months(months_between(since, today))} since qualifying"
        lines = [] if precision == "experience" else [f"That is {span}, as of {format_uk(today)}."]
        if role in self.k.roles and role is not None:
            level = level or next(iter(self.k.ordered_levels(role)), None)  # a role: its first level
            code = self.k.code(role, level)
            first = level is None or self.k.previous_level(role, level) is None
            figures = sorted({round(float(x) * 12) for c in self.k.criteria if c.role == role
                              and (c.level == level or (first and c.level is None))
                              for m in _PQE_FIGURE.finditer(c.text) for x in m.groups() if x})
            if figures:
                lines.append(f"The figures the documents give for {code} (quoted below): " + "; ".join(
                    _figure_reached(since, n, today, precision) for n in figures) + ".")
                lines.append("The other requirements below apply too." if precision == "experience" else
                             "This counts the time since qualifying; the documents ask for post-qualifying "
                             "experience, and the other requirements below apply too.")
            else:
                lines.append(f"No document gives a figure for post-qualifying experience at {code}; what the "
                             "framework does ask is below.")
        if not lines:
            return None
        return Block(title=f"From what you said: {'' if precision == 'experience' else 'qualified '}{said}",
                     text="\n".join(lines))

    def my_milestone(self, person: Person) -> Reply:
        if not (person.level_code and person.level_since):
            return Reply(
                title="I don't know your level yet.",
                blocks=[Block(text="Tell me, for example: “I'm SW2B since March 2025”. "
                                   "Your manager or HR can also load it from the staff list.")],
                status="clarify",
            )
        block = self.milestone_block(person)
        reply = Reply(title=f"Your level: {person.level_code}, since {format_uk(person.level_since)}",
                      blocks=[block] if block else [])
        nxt = self.next_code(person.level_code)
        if nxt:
            reply.choices = [self.engine.ask_choice(f"What {nxt} needs", f"what do I need for {nxt}"),
                             *self.engine.evidence_choices(nxt),
                             Choice(label=f"Self-assessment for {nxt}", value={"action": "assess", "level": nxt})]
        return reply

    def whats_left(self, person: Person) -> Reply:
        """'What do I still need?': the person's next level, from their latest self-assessment for it when they
        have one (its gaps), otherwise what the framework asks for that level, with their time in level."""
        from dialogs.base import completed, start_choice
        from dialogs.self_assessment import GAP_RATINGS, counts_text, split_code, target_code

        nxt = self.next_code(person.level_code) if person.level_code else None
        blocks: list[Block] = []
        everything = self.store.list_records(person.id, "assessment")
        done = completed(everything)
        if not nxt and not person.level_code:
            # no level recorded, but a finished self-assessment says which level they are working towards
            nxt = target_code(done[0]["data"]) if done else None
            if nxt:
                blocks.append(Block(text=f"I don't know your level, so this is for {nxt}, the level of your latest "
                                         "self-assessment. Tell me your level and when you started it, and I'll "
                                         "work out your time in level too."))
        if not nxt:
            reply = self.my_milestone(person)  # no level recorded, or the top level: that reply says so
            if not person.level_code:
                reply.blocks.append(Block(text="Or ask about a level, for example: “what do I need for SW3B?”"))
            return reply
        blocks += [b for b in [self.milestone_block(person, short=True)] if b]
        wanted = split_code(self.k, nxt)
        def for_next(r: dict[str, Any]) -> bool:
            return split_code(self.k, (r.get("data") or {}).get("target")) == wanted

        records = [r for r in done if for_next(r)]
        sources: list[str] = []
        if records:
            data = records[0]["data"]
            gaps = [i for i in data.get("items") or [] if i.get("rating") in GAP_RATINGS]
            when = _record_date(data)
            heading = "From your self-assessment" + (f" on {when}" if when else "")
            lines = _gap_lines(gaps, 15)
            blocks.append(Block(title=heading, text=counts_text(data.get("counts") or {}) + ".",
                                bullets=lines or ["You rated none of the criteria as a gap."]))
            unrated = (data.get("counts") or {}).get("unanswered", 0) + (data.get("counts") or {}).get("skipped", 0)
            if unrated:
                blocks.append(Block(text=f"{unrated} criteria were skipped or not reached: a new self-assessment "
                                         "would cover them."))
            sources = sorted({i["source"] for i in gaps if i.get("source")})
            title = f"What you still need for {nxt}, from your self-assessment"
        else:
            asked = self.engine.answer(f"what do I need for {nxt}")
            unfinished = any((r.get("data") or {}).get("status") in ("paused", "expired")
                             and for_next(r) for r in everything)
            blocks.append(Block(text=(
                f"Your self-assessment for {nxt} isn't finished yet: once it is, I'll show which criteria you still "
                f"need. Until then, here is what {nxt} asks for.") if unfinished else (
                f"You haven't done a self-assessment for {nxt} yet: it goes through these criteria with you and "
                "shows which ones you still need.")))
            blocks += asked.blocks
            sources = asked.sources
            title = f"What {nxt} asks for: your next level"
        return Reply(
            title=title,
            blocks=blocks,
            sources=sources,
            choices=[start_choice(f"Self-assessment for {nxt}", "self_assessment", {"level": nxt}, style="primary"),
                     *self.engine.evidence_choices(nxt), *self.engine.time_choices(nxt)],
            status="answered",
        )

    def next_code(self, level_code: str) -> str | None:
        """The next level's code as people see it (SW2B, SCO 4C), or None at the top or for unknown codes."""
        from bot.answers.questions import next_level_code

        return next_level_code(self.k, level_code)

    def team(self, person: Person, named: list[Person] | None = None, *, only: str | None = None) -> Reply:
        """The manager's reports' milestones: the whole team, or those the message named. ``only``: "eligible"
        (who has the time in level for their next level) or "evidence" (who is within their heads-up weeks of it,
        so gathering evidence now)."""
        reports = self.store.list_reports(person.id) if named is None else named
        if not reports:
            return Reply(title="I have no staff recorded as reporting to you.",
                         blocks=[Block(text="Managers see the milestones of their own reports only. HR can load "
                                            "reporting lines from the staff list (careerbot roster import).")])
        if only and named is None:
            return self._team_filtered(person, reports, only)
        bullets = [self.report_line(r, self.today(person))
                   for r in sorted(reports, key=lambda p: (p.display_name or p.id).lower())]
        if named is None:
            title = f"Your team's milestones ({len(reports)})"
        elif len(named) == 1:
            title = f"{named[0].display_name or named[0].id}'s milestone"
        else:
            title = "Milestones: " + ", ".join(r.display_name or r.id for r in named)
        # one step further for each person: what they have shared, and what their next level asks
        ordered = sorted(reports, key=lambda p: (p.display_name or p.id).lower())
        choices = [Choice(f"About {r.display_name or r.id}", {"action": REPORT_ACTION, "person_id": r.id})
                   for r in ordered[:5] if len(reports) > 1 or named is None]
        blocks = [Block(bullets=bullets)]
        if len(choices) < len(reports) and choices:
            blocks.append(Block(text="For anyone else, ask by name, for example “what does "
                                     f"{(ordered[-1].display_name or ordered[-1].id).split()[0]} need?”."))
        return Reply(title=title, blocks=blocks, choices=choices,
                     notes=self.milestone_notes(reports, self.today(person)),
                     footer="Time in level is one part of readiness: the framework also asks for evidence.")

    def _team_filtered(self, person: Person, reports: list[Person], only: str) -> Reply:
        from bot.reminders import person_milestone

        today = self.today(person)
        if only == "no_level":  # "who hasn't got a level recorded?": the gaps in the staff list
            chosen = [r for r in sorted(reports, key=lambda p: (p.display_name or p.id).lower())
                      if not (r.level_code and r.level_since)]
            blocks = [Block(bullets=[self.report_line(r, today) for r in chosen])] if chosen else [
                Block(text="Everyone in your team has a level and a start date recorded.")]
            blocks.append(Block(text="Levels come from the staff list (HR loads it with careerbot roster import); "
                                     "anyone can also tell me their own, for example “I'm SW2B since March 2025”."))
            return Reply(title=f"Who has no level or start date recorded ({len(chosen)} of {len(reports)})",
                         blocks=blocks, choices=[Choice(f"About {r.display_name or r.id}",
                                                        {"action": REPORT_ACTION, "person_id": r.id})
                                                 for r in chosen[:5]])
        chosen = []
        for r in sorted(reports, key=lambda p: (p.display_name or p.id).lower()):
            res = person_milestone(self.k, r, today)
            if res is None or not res.next_level or res.eligible is None or not res.earliest_eligible_date:
                continue
            soon = res.earliest_eligible_date - timedelta(weeks=r.prefs.heads_up_weeks) <= today
            # evidence: everyone close to or past the time in level (the time alone is not a promotion)
            if (only == "eligible" and res.eligible) or (only == "evidence" and (res.eligible or soon)) or (
                    only == "soon" and not res.eligible and res.earliest_eligible_date <= add_months(today, 3)):
                chosen.append(r)
        if only == "soon":
            title = f"Who has the time in level for their next level within 3 months ({len(chosen)} of {len(reports)})"
            none = "No one in your team reaches the time in level for their next level in the next 3 months."
            bullets = [self.report_line(r, today) for r in chosen]
        elif only == "eligible":
            title = f"Who has the time in level for their next level ({len(chosen)} of {len(reports)})"
            none = "No one in your team has the time in level for their next level yet."
            bullets = [self.report_line(r, today) for r in chosen]
        else:
            title = (f"Who should be gathering evidence: close to or past their time in level ({len(chosen)} of "
                     f"{len(reports)})")
            none = "No one in your team is close to or past the time in level for their next level."
            bullets = [f"{self.report_line(r, today)} · {self._shared_evidence(person, r)}" for r in chosen]
        blocks = [Block(bullets=bullets)] if chosen else [Block(text=none)]
        blocks.append(Block(text="Say “my team” for everyone's milestones."))
        choices = [Choice(f"About {r.display_name or r.id}", {"action": REPORT_ACTION, "person_id": r.id})
                   for r in chosen[:5]]
        return Reply(title=title, blocks=blocks, choices=choices, notes=self.milestone_notes(chosen, today),
                     footer="Time in level is one part of readiness: the framework also asks for evidence.")

    def _shared_evidence(self, manager: Person, r: Person) -> str:
        """What the report has shared towards their next level, in a few words (only what they chose to share)."""
        from dialogs.privacy import shared_records_for_manager
        from dialogs.self_assessment import target_code

        try:
            shared = shared_records_for_manager(self.store, manager.id, r.id)
        except PermissionError:
            shared = []
        nxt = self.next_code(r.level_code) if r.level_code else None
        for rec in shared:
            data = rec.get("data") or {}
            if data.get("type") != "checkin" and nxt and target_code(data) == nxt:
                when = _record_date(data)
                return f"shared a self-assessment for {nxt}" + (f" ({when})" if when else "")
        return f"no self-assessment for {nxt} shared with you" if nxt else "nothing shared with you"

    def report(self, manager: Person, r: Person) -> Reply:
        """One report, asked about by name: their milestone, what their next level asks (buttons), and what they
        have shared with this manager. Nothing they have not shared is shown or hinted at."""
        from dialogs.base import record_choice
        from dialogs.privacy import shared_records_for_manager

        name = r.display_name or r.id
        first = name.split()[0]
        blocks = [Block(bullets=[self.report_line(r, self.today(manager))])]
        try:
            shared = shared_records_for_manager(self.store, manager.id, r.id)
        except PermissionError:  # not their report after all (the roster changed): nothing about them
            return self.team(manager, [])
        choices: list[Choice] = []
        if shared:
            lines = []
            for rec in shared[:3]:
                what, when, counts = _record_summary(rec["data"])
                lines.append(what + (f" on {when}" if when else "") + (f": {counts}" if counts else ""))
            blocks.append(Block(title=f"Shared with you by {first}", bullets=lines))
            choices.append(record_choice("Open the latest", "pack", shared[0]["id"], person_id=r.id))
            gaps = self._shared_gaps(shared)
            if gaps is not None:  # "raj's gaps?", "what should I focus on in Raj's supervision?"
                blocks.append(gaps)
        else:
            blocks.append(Block(text=f"{first} hasn't shared a self-assessment or check-in with you. They are "
                                     f"private until {first} chooses to share one."))
        nxt = self.next_code(r.level_code) if r.level_code else None
        if nxt:
            choices += [self.engine.ask_choice(f"What {nxt} needs", f"what do I need for {nxt}"),
                        *self.engine.evidence_choices(nxt)]
        return Reply(title=name, blocks=blocks, choices=choices,
                     notes=self.milestone_notes([r], self.today(manager)),
                     footer="Time in level is one part of readiness: the framework also asks for evidence.")

    @staticmethod
    def _shared_gaps(shared: list[dict]) -> Block | None:
        """The gaps in the latest finished self-assessment a report shared: what supervision might focus on."""
        from dialogs.base import completed
        from dialogs.self_assessment import GAP_RATINGS, target_code

        done = completed([r for r in shared if r.get("kind") == "assessment"])
        if not done:
            return None
        data = done[0].get("data") or {}
        gaps = [i for i in data.get("items") or [] if i.get("rating") in GAP_RATINGS]
        lines = _gap_lines(gaps, 10)
        when = _record_date(data)
        return Block(title=f"Gaps in the self-assessment for {target_code(data)}" + (f" of {when}" if when else ""),
                     bullets=lines or ["None: every criterion was rated Met."])

    def next_supervision(self, person: Person) -> Reply:
        """'When's my next supervision?': the date the last check-in recorded, and the reminder before it."""
        from dialogs.base import start_choice
        from dialogs.checkin import weekday_date

        when, days = person.prefs.next_supervision, person.prefs.supervision_reminder_days
        if not when or when < self.today(person):
            return Reply(title="I don't have a date for your next supervision.",
                         blocks=[Block(text="A check-in asks for it, and can remind you a few days before: say "
                                            "“prepare for supervision”.")],
                         choices=[start_choice("Prepare for supervision", "checkin", style="primary")],
                         status="clarify")
        reminder = (f"I'll remind you on {weekday_date(when - timedelta(days=days))}." if days else
                    "I won't send a reminder before it.")
        return Reply(title=f"Your next supervision is on {weekday_date(when)}.",
                     blocks=[Block(text=f"From your check-in. {reminder} If it moves, tell me, for example “my "
                                        "supervision moved to 5 January”.")],
                     choices=[start_choice("Prepare for supervision", "checkin")], status="answered")

    def change_supervision(self, person: Person, *, when: date | None = None, no_reminder: bool = False) -> Reply:
        """'My supervision moved to 5 January' (the reminder moves with it, still on a working day), or 'cancel my
        supervision reminder'. Saved at once: a date and a reminder are the person's own settings."""
        from dialogs.checkin import weekday_date, working_day_on_or_before

        prefs, today = person.prefs, self.today(person)
        if no_reminder:
            if not prefs.supervision_reminder_days or not prefs.next_supervision or prefs.next_supervision < today:
                return Reply(title="There's no supervision reminder to cancel.",
                             blocks=[Block(text="Reminders about your time in level are separate: “my reminders” "
                                                "lists them.")], status="clarify")
            prefs.supervision_reminder_days = None
            self.store.upsert_person(person)
            return Reply(title=f"Done: no reminder before your supervision on {weekday_date(prefs.next_supervision)}.",
                         blocks=[Block(text="Your other reminders are unchanged.")], status="answered")
        if when is None or when < today:
            why = "That date has already passed. " if when is not None else ""
            return Reply(title="When is your supervision now?",
                         blocks=[Block(text=f"{why}For example: “my supervision moved to 5 January”.")],
                         status="clarify")
        days = prefs.supervision_reminder_days
        note = ""
        if days:
            remind_on, _closed = working_day_on_or_before(when - timedelta(days=days), person, not_before=today)
            if remind_on is None:
                prefs.supervision_reminder_days = None
                note = " It is too soon for a reminder before it."
            else:
                prefs.supervision_reminder_days = (when - remind_on).days
                note = f" I'll remind you on {weekday_date(remind_on)}."
        prefs.next_supervision = when
        self.store.upsert_person(person)
        return Reply(title=f"Done: your next supervision is on {weekday_date(when)}.",
                     blocks=[Block(text=f"Saved.{note}")], status="answered")

    def my_reminders(self, person: Person) -> Reply:
        """'When's my next reminder?': what careerbot will send and when, whether reminders are on, snoozed or
        off, and the hours they keep to; with the buttons to snooze, stop or resume."""
        from bot.reminders import reminder_choices, reminder_plan

        prefs = person.prefs
        today = self.today(person)
        snoozed = _snoozed_until(person, today)
        if prefs.opted_out:
            state = "Your reminders are off. Say “start reminders” to turn them back on."
        elif snoozed:
            state = (f"Your reminders are snoozed until {format_uk(snoozed)}; anything due before then "
                     "waits until that day.")
        else:
            state = "Your reminders are on."
        sent = {e.key: e for e in self.store.ledger(person_id=person.id)}
        # what a snooze holds back: sent on the first working day after it ends if it still applies, else never
        after = {p.key for p in reminder_plan(self.k, person, snoozed)} if snoozed else set()
        resumes = snoozed
        if snoozed:
            from bot.reminders import day_closed

            for _ in range(14):  # the first day a reminder can go: not a weekend or a bank holiday
                if not day_closed(resumes, person):
                    break
                resumes += timedelta(days=1)
        lines = []
        for p in reminder_plan(self.k, person, today):
            done = sent.get(p.key)
            if done is not None and done.status == "sent":
                lines.append(f"{format_uk(p.due)}: {p.what} (sent)")
            elif snoozed and p.due < snoozed:
                lines.append(f"{format_uk(resumes)}, when your snooze ends: {p.what} (due {format_uk(p.due)})"
                             if p.key in after else
                             f"Not sent: {p.what} (due {format_uk(p.due)}, inside your snooze, and no longer "
                             "relevant when it ends)")
            elif p.due <= today:
                lines.append(f"Due since {format_uk(p.due)}: {p.what} (it goes at the next working time)")
            else:
                lines.append(f"{format_uk(p.due)}: {p.what}")
        blocks = [Block(text=state)]
        if lines:
            blocks.append(Block(title="What I would send you" if prefs.opted_out else "What I'll send you",
                                bullets=lines))
        elif not person.level_code:
            blocks.append(Block(text="I don't know your level yet, so there are no milestone reminders. Tell me, "
                                     "for example: “I'm SW2B since March 2025”."))
        else:
            blocks.append(Block(text=f"Nothing is planned. {self._no_milestone_reminder(person, today)} No "
                                     "supervision reminder is set (a check-in can set one)."))
        start, end = prefs.working_hours
        blocks.append(Block(text=f"I only send them on working days between {start}:00 and {end}:00 your time "
                                 f"({person.timezone}), never on bank holidays, and at most {prefs.weekly_cap} a "
                                 "week."))
        if prefs.opted_out:
            choices = [Choice("Start reminders", {"action": "reminders", "what": "opt_in"})]
        elif snoozed:  # snoozed: resuming is the likely next step, and stopping stays possible
            choices = [Choice("Resume reminders now", {"action": "reminders", "what": "opt_in"}),
                       *[c for c in reminder_choices() if not c.label.startswith("Snooze")]]
        else:
            choices = reminder_choices()
        return Reply(title="Your reminders", blocks=blocks, choices=choices, status="answered")

    def lost_to_snooze(self, person: Person, until: date) -> list[str]:
        """The planned reminders a snooze until ``until`` means are never sent (they no longer apply then)."""
        from bot.reminders import reminder_plan

        today = self.today(person)
        after = {p.key for p in reminder_plan(self.k, person, until)}
        return [f"{p.what} (due {format_uk(p.due)})" for p in reminder_plan(self.k, person, today)
                if p.due < until and p.key not in after]

    def _no_milestone_reminder(self, person: Person, today: date) -> str:
        """Why no time-in-level reminder is planned, truly: passed long ago, the top of the role, or unknown."""
        from bot.reminders import DEFAULT_POLICY, person_milestone

        result = person_milestone(self.k, person, today)
        if result is not None and result.earliest_eligible_date and result.next_level:
            return (f"You have had the time in level for {result.next_level} since "
                    f"{format_uk(result.earliest_eligible_date)}; reminders about it stop "
                    f"{DEFAULT_POLICY.long_eligible_months} months after that date (your manager's weekly digest "
                    "still shows it).")
        if result is not None and not result.next_level:
            return f"{person.level_code} is the top of its role, so there is no time-in-level milestone."
        return f"The framework sets no time in level after {person.level_code}."

    def home_summary(self, person: Person | None) -> HomeSummary:
        """The person's career at a glance, for a channel's home view (Slack's App Home): level and since when,
        the next step, the evidence the next level asks for, the latest self-assessment, reminders."""
        summary = HomeSummary()
        if person is None:
            return summary
        summary.name = person.display_name or None
        if person.level_code:
            summary.level = person.level_code
            if person.level_since:
                summary.since_text = format_uk(person.level_since)
                try:
                    from bot.milestones import assess

                    result = assess(self.k, level_code=person.level_code, since=person.level_since,
                                    today=self.today(person))
                    summary.level = result.level_label or summary.level
                    summary.milestone = _milestone_lines(result)
                    summary.evidence_for = result.evidence_for
                    summary.evidence = [e.text for e in result.evidence_needed]
                    summary.next_level = result.next_level
                except ValueError as exc:
                    summary.problems.append(f"I couldn't work out your next step: {exc}.")
            else:
                summary.milestone = ["I don't know when you started this level: set it to see your eligibility date."]
        try:
            records = self.store.list_records(person.id, "assessment")
        except StoreError:
            records = []
        if records:
            summary.last_assessment = _describe_assessment(records[0])
        snoozed = _snoozed_until(person, self.today(person))
        summary.reminders = ("off" if person.prefs.opted_out else f"snoozed until {format_uk(snoozed)}" if snoozed
                             else "on")
        return summary

    def my_manager(self, person: Person) -> Reply:
        manager = self.store.get_person(person.manager_id) if person.manager_id else None
        if manager is None:
            return Reply(title="I don't have a manager recorded for you.",
                         blocks=[Block(text="HR can add reporting lines from the staff list (careerbot roster "
                                            "import). Until then, nothing you share goes to anyone.")])
        return Reply(title=f"Your manager in my records is {manager.display_name or manager.id}.",
                     blocks=[Block(text="They see your milestones in their weekly digest, and a self-assessment or "
                                        "check-in only if you share it. If this is wrong, HR can correct the staff "
                                        "list.")])

    def change_level(self, person: Person) -> Reply:
        now = (f"At the moment I have you as {person.level_code}"
               + (f" since {format_uk(person.level_since)}." if person.level_since else ".")
               if person.level_code else "I don't have a level for you yet.")
        return Reply(title="Tell me your level and when you started it.",
                     blocks=[Block(text=f"{now} For example: “I'm SW2B since March 2025” or “I started SCO 4B on "
                                        "1 June 2024”. I'll ask you to confirm before changing anything.")],
                     status="clarify")

    def new_starter(self, person: Person, *, private: bool = True) -> Reply:
        """'I've just started, what now?': welcome, and the first steps: record a level, see what it asks."""
        if person.level_code and person.level_since and private:
            reply = self.my_milestone(person)
            reply.title = f"Welcome! {reply.title}"
            return reply
        reply = Reply(
            title="Welcome! Here's how I can help you get started.",
            blocks=[Block(bullets=[
                "Tell me your level and when you started it, for example “I'm SW2A since September 2026”, and I'll "
                "work out when you can go for the next level, and remind you.",
                "Ask what a level asks for, for example “what do I need for SW2A?” (newly qualified social workers "
                "start at SW2A; social care officers at SCO 4A).",
                "Before supervision, say “assess me” to see which criteria you already meet.",
            ])],
            choices=[self.engine.ask_choice("What SW2A needs", "what do I need for SW2A"),
                     self.engine.ask_choice("What SCO 4A needs", "what do I need for SCO 4A"),
                     self.engine.ask_choice("All roles and levels", "what are the levels?")],
            status="answered",
        )
        return reply

    def my_records(self, person: Person) -> Reply:
        """'Have I done a self-assessment?': the person's own saved self-assessments and check-ins, latest first,
        with the buttons to share or download the latest."""
        from dialogs.base import completed, start_choice
        from dialogs.privacy import follow_ups

        mine = [r for r in self.store.list_records(person.id) if r["kind"] in ("assessment", "checkin")]
        records = completed(mine)
        # abandoned or expired ones were said to "stay saved as unfinished": they are listed as such (a paused one
        # is offered to resume instead)
        unfinished = [r for r in mine if (r.get("data") or {}).get("status") in ("cancelled", "expired")]
        summaries = [_record_summary(r["data"]) for r in unfinished[:3]]
        kept = Block(title="Unfinished, kept as they were",
                     bullets=[what + (f" ({when})" if when else "") for what, when, _ in summaries])
        if not records:
            return Reply(title="You haven't completed a self-assessment or check-in yet.",
                         blocks=[Block(text="A self-assessment goes through the criteria of the level you're working "
                                            "towards; a check-in is a one-page note for supervision.")]
                         + ([kept] if unfinished else []),
                         choices=[start_choice("Start a self-assessment", "self_assessment", style="primary"),
                                  start_choice("Prepare for supervision", "checkin")])
        lines = []
        for rec in records[:5]:
            what, when, counts = _record_summary(rec["data"])
            lines.append(what + (f", {when}" if when else "") + (f": {counts}" if counts else "")
                         + _sharing(rec, person))
        more = len(records) - 5
        return Reply(title="Your saved self-assessments and check-ins",
                     blocks=[Block(bullets=lines + ([f"…and {more} older"] if more > 0 else []))]
                     + ([kept] if unfinished else []),
                     choices=follow_ups(records[0], shared=records[0]["shared"])[:2],
                     footer="The buttons are for the latest one.")

    def report_line(self, r: Person, today: date) -> str:
        try:
            from bot.milestones import assess
        except ImportError:  # pragma: no cover
            assess = None
        if r.level_code and not r.level_since:
            return f"{r.display_name or r.id}: {r.level_code}, start date not recorded"
        if not (r.level_code and r.level_since) or assess is None:
            return f"{r.display_name or r.id}: level not recorded"
        res = assess(self.k, level_code=r.level_code, since=r.level_since, today=today)
        if res.next_level is None:
            status = "top level of the role"
        elif res.eligible is None:
            status = "the framework sets no minimum time"
        elif res.eligible:
            status = f"has the time in level for {res.next_level} (since {format_uk(res.earliest_eligible_date)})"
        else:
            status = f"could go for {res.next_level} from {format_uk(res.earliest_eligible_date)}"
        return f"{r.display_name or r.id}: {r.level_code} since {format_uk(r.level_since)}; {status}"

    def milestone_notes(self, people: list[Person], today: date) -> list[str]:
        """The notes on the dates in report lines (sources that differ, a range, a typo in the rule), each once:
        a manager sees what the staff member's own answer says about the same date."""
        from bot.milestones import assess

        notes: list[str] = []
        for r in people:
            if r.level_code and r.level_since:
                res = assess(self.k, level_code=r.level_code, since=r.level_since, today=today)
                notes += [n for n in map(to_the_manager, res.notes) if n not in notes]
        return notes

    def named_reports(self, person: Person, text: str) -> list[Person]:
        """The manager's own reports named in the message ("when is Alex eligible?"), by full or first name."""
        lower = text.lower()
        named, in_full = [], []
        for r in self.store.list_reports(person.id):
            names = names_of(r)
            if not names:
                continue
            name, first = names
            if re.search(rf"\b{re.escape(name)}(?:'s)?\b", lower):
                in_full.append(r)
            if len(first) > 1 and re.search(rf"\b{re.escape(first)}(?:'s)?\b", lower):
                named.append(r)
        return in_full or named  # "Jo Smith" is the Jo Smith, even with another Jo in the team


# -- helpers --------------------------------------------------------------------------------------------------

def names_of(person: Person) -> tuple[str, ...]:
    """A person's names as someone types them: in full, and the first name ("jo smith", "jo"); none if unnamed."""
    full = " ".join((person.display_name or "").lower().split())
    return (full, full.split()[0]) if full else ()


def stated_qualification(text: str, today: date) -> tuple[date, str, str] | None:
    """When the text says its writer qualified: (the date, as said, how precise: day, month, year or about)."""
    m = _QUALIFIED_ON.search(text)
    if m and re.match(r"\s*,?\s*as\s+an?\s+(?!social\s+worker)", text[m.end():], re.I):
        m = None  # "I qualified in 2022 as an AMHP": another qualification
    if m:
        said = m.group(1)
        if re.fullmatch(r"(?:19|20)\d{2}", said):
            return date(int(said), 1, 1), f"in {said}", "year"
        found = parse_date(said, today=today, prefer_past=True)
        if found is None:
            return None
        return (found, f"on {format_uk(found)}", "day") if names_a_day(said) or "-" in said or said.count("/") == 2 \
            else (found, f"in {found.strftime('%B %Y')}", "month")
    m = _QUALIFIED_FOR.search(text)
    if not m:
        return None
    count, unit = next((m.group(i), m.group(i + 1)) for i in (1, 3, 5) if m.group(i))
    unit = "years" if unit.lower().startswith(("year", "yr")) else "months"
    count = count.lower()
    n = int(count) if count.isdigit() else None
    if n == 0 or n is not None and n > 60:
        return None
    said = f"{count} {unit[:-1] if count in ('1', 'a', 'an', 'one') else unit}"
    if m.group(5):
        return shift(today, count, unit, -1), f"{said} of post-qualifying experience", "experience"
    return shift(today, count, unit, -1), f"{said} ago", "about"


def _years_months(months: int) -> str:
    years, rest = divmod(months, 12)
    parts = ([f"{years} year{'s' if years != 1 else ''}"] if years else []) + \
        ([f"{rest} month{'s' if rest != 1 else ''}"] if rest or not years else [])
    return " and ".join(parts)


def _figure_reached(since: date, months: int, today: date, precision: str) -> str:
    """'2 years, reached in July 2025' / '3 years, in July 2026 (8 months from now)'."""
    figure = _years_months(months) if months % 12 else f"{months // 12} year{'s' if months != 12 else ''}"
    if precision == "experience":  # "I have 3 years' post-qualifying experience": what they said, against it
        have = months_between(since, today)
        return f"{figure}, which you have" if have >= months else f"{figure}, {_years_months(months - have)} more"
    if precision == "year":
        end = add_months(date(since.year, 12, 31), months)
        if end <= today:
            return f"{figure}, reached by {end.year} at the latest"
        return f"{figure}, reached during {add_months(since, months).year}" + (
            f" (by {format_uk(end)} at the latest)" if add_months(since, months) <= today else "")
    when = add_months(since, months)
    shown = format_uk(when) if precision == "day" else when.strftime("%B %Y")
    about = "about " if precision == "about" else ""
    if precision == "about" and abs(months_between(when, today)) < 1 and abs(months_between(today, when)) < 1:
        return f"{figure}, about now"
    if when <= today:
        return f"{figure}, reached {'on' if precision == 'day' else 'in'} {about}{shown}"
    return f"{figure}, {'on' if precision == 'day' else 'in'} {about}{shown} " \
           f"({_years_months(max(months_between(today, when), 1))} from now)"


def _sharing(rec: dict[str, Any], person: Person) -> str:
    """" (private)", " (shared with your manager)", or shared with someone who no longer manages them."""
    from dialogs.privacy import shared_with

    if not rec["shared"]:
        return " (private)"
    if not shared_with(rec, person.manager_id):
        return " (shared with a previous manager; say “share with my manager” to share it with your current one)"
    return " (shared with your manager)"


def _snoozed_until(person: Person, today: date) -> date | None:
    """The day reminders resume, while a snooze is still running."""
    until = person.prefs.snoozed_until
    return until if until and until > today else None


def _gap_lines(gaps: list[dict[str, Any]], most: int) -> list[str]:
    """A self-assessment's gaps as "Partly: <criterion>" lines, the first ``most`` of them and a count of the rest."""
    from dialogs.self_assessment import rating_label

    lines = [f"{rating_label(i['rating'])}: {i['text']}" for i in gaps[:most]]
    if len(gaps) > most:
        lines.append(f"…and {len(gaps) - most} more (all of them are in the supervision pack)")
    return lines


def _record_summary(data: dict[str, Any]) -> tuple[str, str, str]:
    """What a saved record is ("Self-assessment for SW2C", "Check-in note"), the day it was done, and its counts
    ("Met 5 · Partly 3 …"), each '' when unknown."""
    from dialogs.self_assessment import counts_text, target_code

    what = "Check-in note" if data.get("type") == "checkin" else f"Self-assessment for {target_code(data)}"
    return what, _record_date(data), counts_text(data["counts"]) if data.get("counts") else ""


def _record_date(data: dict[str, Any]) -> str:
    """The day a saved self-assessment or check-in was done, as people write it ('25 November 2026'), or ''."""
    try:
        return format_uk(date.fromisoformat(data.get("date") or ""))
    except (TypeError, ValueError):
        return ""


def _milestone_lines(result: Any) -> list[str]:
    """The next step, as lines: eligible already, from a date, no time rule, or the top level."""
    lines = []
    if result.next_level is None:
        lines.append("You are at the top level of your role in the framework.")
    elif result.eligible is None or result.earliest_eligible_date is None:
        lines.append(f"Next level: {result.next_level}. The framework sets no minimum time in level for it.")
    elif result.eligible:
        lines.append(f"Next level: {result.next_level}. You have had the time in level since "
                     f"{format_uk(result.earliest_eligible_date)}, so you can put yourself forward.")
    else:
        lines.append(f"Next level: {result.next_level}. The earliest date you could put yourself forward is "
                     f"{format_uk(result.earliest_eligible_date)}.")
    lines += list(result.notes)[:3]
    return lines


_COUNT_LABELS = (("met", "met"), ("partly", "partly met"), ("not_yet", "not yet"), ("not_sure", "not sure"),
                 ("na", "not applicable"))



def _describe_assessment(record: dict[str, Any]) -> str:
    """One line about a self-assessment record (the dialogs' record shape; unknown fields are skipped)."""
    data = record.get("data") or {}
    when = ""
    raw = data.get("date") or record.get("created_at")
    if isinstance(raw, datetime):
        when = format_uk(raw.date())
    elif isinstance(raw, date):
        when = format_uk(raw)
    elif isinstance(raw, str):
        try:
            when = format_uk(datetime.fromisoformat(raw).date())
        except ValueError:
            when = raw[:10]
    target = data.get("target_label") or data.get("target")
    text = when or "on record"
    if target:
        text += f", for {target}"
    status = data.get("status", "complete")
    progress = data.get("progress") or {}
    if status != "complete":
        text += " (not finished"
        if progress.get("total"):
            text += f": {progress.get('position', 0)} of {progress['total']} answered"
        text += ")"
    counts = data.get("counts")
    if isinstance(counts, dict):
        parts = [f"{counts[key]} {label}" for key, label in _COUNT_LABELS if counts.get(key)]
        if parts:
            text += ": " + ", ".join(parts)
    summary = data.get("summary")
    if isinstance(summary, str) and summary.strip():
        text += f". {summary.strip()[:300]}"
    return text
