"""Confirming a change of the person's level: "Set your level to SW2B since 1 March 2025?" Yes / No."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.conversation import Block, Reply
from bot.dates import MONTH_ALONE, MONTH_WORD, in_year_of, names_a_day, parse_date
from dialogs.base import Answer, Ctx, Flow, NotUnderstood, Out, choice, start_choice
from dialogs.self_assessment import level_label, split_code, time_in_level_text
from dialogs.words import format_date, yes_no


def _since(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


# A start given without its month: "in 2023", "last year", "in the summer"
_NO_MONTH = re.compile(r"\b(?:last|this|the) year\b|\b(?:19|20)\d\d\b|\bsummer|\bspring|\bautumn|\bwinter|"
                       r"\bchristmas|\beaster|\bnew year", re.I)
NEED_MONTH = "I need the month too, because the month decides when you can go for the next level."
NEED_MONTH_UNTIMED = "I need the month too, to keep the date you started."


def date_problem(said: str, today: date, *, future: bool = False, timed: bool = True) -> str:
    """Why a start date could not be used, in words: no such day, only a year, in the future, or unreadable.
    ``timed`` is False for a level the framework sets no time in level after (the month decides nothing)."""
    said = said.strip()
    said = said if len(said) <= 60 else said[:59].rsplit(" ", 1)[0] + "…"
    years = [int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", said)]
    if future or years and min(years) > today.year:
        return f"“{said}” is in the future. Please give the date you started the level, for example “March 2025”."
    if names_a_day(said):
        return (f"There is no such date as “{said}”. Please check the day and month, for example “1 March 2025” "
                "or “01/03/2025”.")
    if _NO_MONTH.search(said):
        return (f"You said “{said}”. {NEED_MONTH if timed else NEED_MONTH_UNTIMED} Which month was it? "
                "For example “June 2025”.")
    return f"I couldn't read “{said}” as a date. Please give it like “March 2025”, “1 March 2025” or “2025-03-01”."


def _not_in_future(since: date, today: date) -> date:
    """The start date, if it can be one: not after today, and not before anyone's working life (a typo for
    "1 January 2019", say, rather than a level held since 1970)."""
    if since > today:
        raise NotUnderstood("That date is in the future. Please give the date you started the level.")
    if _too_old(since, today):
        raise NotUnderstood(_too_old_text(since))
    return since


def _too_old(since: date, today: date) -> bool:
    return since.year < today.year - 50


def _too_old_text(since: date) -> str:
    return (f"{format_date(since)} is more than 50 years ago. Please check the date you started the level, for "
            "example “March 2025”.")


def _timed(ctx: Ctx, code: str) -> bool:
    """Whether the framework sets a time in level after ``code`` (so its start month matters)."""
    role, level = split_code(ctx.knowledge, code)
    nxt = ctx.knowledge.next_level(role, level) if role and level else None
    return bool(nxt and ctx.knowledge.rules_for(role, nxt))


_ASKS = re.compile(r"\s*(?:what|what's|whats|how|when|why|which|who|where|can|could|do|does|did|is|are|should|would|"
                   r"will|tell|explain|show|give)\b|.*\?\s*$", re.I | re.S)


def _named_level(ctx: Ctx, text: str) -> str | None:
    """The level a statement names ("I'm SW4B since June 2024", "actually SW4A"), as a code, or None. A question
    ("what does SW4B need?") names no level of theirs: it is answered as a question."""
    from bot.answers.questions import parse

    if _ASKS.match(text):
        return None
    # the level the statement starts with ("SW4B since June 2024", "I'm SW4B"), not one said in passing
    # ("March 2025, before that I was SW2C")
    rest = _STATEMENT_LEAD.sub("", text, count=1)
    levels = [(r, lv) for r, lv, pos in parse(rest).levels if lv and r in ctx.knowledge.roles and pos == 0]
    return ctx.knowledge.code(*levels[0]) if levels else None


_STATEMENT_LEAD = re.compile(
    r"^\s*(?:(?:no|nope|actually|sorry|oh|wait|oops)\b[,.!]?\s*)*(?:(?:i'?m|im|i am|it'?s|it is|it was|i meant|"
    r"make it|i'?ve been|i have been|my level is|i was)\s+)?(?:at\s+|on\s+)?(?:level\s+)?(?:an?\s+)?", re.I)
# "leave it", "no thanks" (after the "no" is taken off), "it's fine": nothing to change after all
_LEAVE_IT = re.compile(r"\s*(?:leave it|nothing|never ?mind|thanks|thank you|it'?s fine|that'?s fine|fine)\W*", re.I)


def _unchanged() -> Reply:
    return Reply(title="OK, I haven't changed your level.",
                 blocks=[Block(text="You can tell me any time, for example “I'm SW2B since March 2025”.")])


class SetLevel(Flow):
    name = "set_level"
    noun = "level change"
    can_pause = False

    def begin(self, ctx: Ctx, state: dict[str, Any], args: dict[str, Any]) -> Out:
        code = args.get("level_code") or args.get("level")
        role, level = split_code(ctx.knowledge, code if isinstance(code, str) else None)
        if not role:
            known = ", ".join(ctx.knowledge.level_codes())
            raise NotUnderstood(f"“{str(code)[:40]}” is not a level in the framework. Known levels: {known}.")
        since = _since(args.get("since"))
        too_old = None
        if since is not None and _too_old(since, ctx.today):
            too_old, since = since, None  # "since 1 January 1970": the level is kept, the date asked again
        if since is not None:
            _not_in_future(since, ctx.today)
        said = args.get("said_when")  # the date as they typed it: read here, or said back if it cannot be used
        if since is None and isinstance(said, str) and said.strip() and not args.get("said_future"):
            read = parse_date(said, today=ctx.today, prefer_past=True)
            since = read if read is not None and read <= ctx.today else None
        # "I'm SW2B" with no date: the date is asked first, then the change is confirmed
        state["data"] = {"level_code": ctx.knowledge.code(role, level),
                         "since": since.isoformat() if since else None}
        if since is None and isinstance(said, str) and said.strip():
            state["data"]["said_when"] = said.strip()[:80]
            state["data"]["said_future"] = bool(args.get("said_future"))
        if too_old is not None:
            state["data"]["too_old"] = too_old.isoformat()
        return Out()

    def question(self, ctx: Ctx, state: dict[str, Any]) -> Reply:
        data = state["data"]
        if data.get("correcting"):  # "no" to the confirmation: what should it be?
            return Reply(title="What should it be?",
                         blocks=[Block(text="Tell me the level and the date you started it, for example “SW2B since "
                                            "April 2025”, or just the date.")],
                         choices=[choice(state, "Leave it as it is", "leave")],
                         status="dialog", meta={"dialog": self.name, "dialog_id": state["id"], "step": state["step"],
                                                "phase": "correct"})
        if not data.get("since"):
            said = data.get("said_when")
            if data.get("too_old"):
                text = _too_old_text(date.fromisoformat(data["too_old"]))
            elif said:
                text = date_problem(said, ctx.today, future=bool(data.get("said_future")),
                                    timed=_timed(ctx, data["level_code"]))
            else:
                text = ("For example “March 2025” or “1 March 2025”. With the date I can work out when you can go "
                        "for the next level.")
            return Reply(title=f"Since when have you been {data['level_code']}?",
                         blocks=[Block(text=text)],
                         choices=[choice(state, "Cancel", "cancel")],
                         status="dialog", meta={"dialog": self.name, "dialog_id": state["id"], "step": state["step"],
                                                "phase": "since"})
        since = date.fromisoformat(data["since"])
        text = None
        if ctx.person.level_code:
            was = ctx.person.level_code + (f" since {format_date(ctx.person.level_since)}"
                                           if ctx.person.level_since else "")
            text = f"At the moment I have you as {was}."
        return Reply(title=f"Set your level to {data['level_code']} since {format_date(since)}?",
                     blocks=[Block(text=text)] if text else [],
                     choices=[choice(state, "Yes", "yes", "primary"), choice(state, "No", "no")],
                     status="dialog", meta={"dialog": self.name, "dialog_id": state["id"], "step": state["step"]})

    def _correct(self, ctx: Ctx, state: dict[str, Any], ans: Answer) -> Out:
        data = state["data"]
        # "no, April", "no, it was April 2025", "actually SW2C": the correction without its lead-in
        text = re.sub(r"^\s*(?:no|nope|not quite|actually|sorry)\b[,.!]?\s*(?:it\s+(?:was|is)\s+|it'?s\s+|"
                      r"i\s+meant\s+|make\s+it\s+)?", "", ans.text or "", flags=re.I) or (ans.text or "")
        if ans.value == "leave" or yes_no(text) == "no" or _LEAVE_IT.fullmatch(text):
            state["done"] = True
            return Out(replies=[_unchanged()])
        code = _named_level(ctx, text)
        since = parse_date(text, today=ctx.today, prefer_past=True)
        proposed = _since(data.get("since"))
        if since is not None and proposed and MONTH_ALONE.fullmatch(text):
            since = in_year_of(since, proposed, ctx.today)  # "no, April" to "since 1 March 2025?": April 2025
        if code is None and since is None:
            raise NotUnderstood("Please give the level and the date, for example “SW2B since April 2025”, or say "
                                "“leave it”.")
        if code:
            data["level_code"] = code
        if since is not None:
            data["since"] = _not_in_future(since, ctx.today).isoformat()
        elif code:
            data["since"], data["said_when"] = None, None  # a new level: since when?
        data["correcting"] = False
        return Out()  # then the confirmation, or the date first

    def help_text(self, ctx: Ctx, state: dict[str, Any]) -> str:
        if state["data"].get("correcting"):
            return "Type the right level and date, such as “SW2B since April 2025”, or say “leave it”."
        if not state["data"].get("since"):
            return "Type the date you started the level, such as “March 2025”, or say cancel."
        return "Say “yes” to save this level and date, or “no” to leave things as they are."

    def answer(self, ctx: Ctx, state: dict[str, Any], ans: Answer) -> Out:
        if state["data"].get("correcting"):
            return self._correct(ctx, state, ans)
        if not state["data"].get("since"):
            # "I'm SW4B since June 2024" while asked since when for SW3B: the level they name now is the one
            code = _named_level(ctx, ans.text or "")
            if code:
                state["data"]["level_code"] = code
            since = parse_date(ans.text or "", today=ctx.today, prefer_past=True)
            year = re.fullmatch(r"\s*(?:in\s+|since\s+|from\s+)?((?:19|20)\d\d)\s*[.!]?\s*",
                                state["data"].get("said_when") or "")
            if since is not None and year and MONTH_ALONE.fullmatch(ans.text or ""):
                since = since.replace(year=int(year.group(1)))  # "since 2025", then "March": March 2025
            if since is None:
                if code:
                    state["data"]["said_when"] = None
                    return Out()  # the new level: since when?
                if "?" not in (ans.text or "") and re.search(rf"\d|\b{MONTH_WORD}\b", ans.text or "", re.I):
                    # "oops, I meant 2024" after "2027 is in the future": the new date's problem replaces the old
                    state["data"]["said_when"], state["data"]["said_future"] = (ans.text or "").strip()[:80], False
                    state["data"].pop("too_old", None)
                    return Out()
                raise NotUnderstood(date_problem(ans.text or "", ctx.today,
                                                 timed=_timed(ctx, state["data"]["level_code"])))
            state["data"]["since"] = _not_in_future(since, ctx.today).isoformat()
            state["data"].pop("too_old", None)
            return Out()  # then the confirmation
        said = ans.value if ans.value in ("yes", "no") else yes_no(ans.text)
        if said != "yes" and ans.text and not ans.value and (
                _named_level(ctx, ans.text) or parse_date(re.sub(r"^\s*(?:no|nope)\b[,.!]?\s*(?:it\s+was\s+)?", "",
                                                                 ans.text, flags=re.I), today=ctx.today,
                                                          prefer_past=True)):
            return self._correct(ctx, state, ans)  # "no, April", "SW4B since June 2024" instead of yes or no
        if said is None:
            raise NotUnderstood("Please say “yes” to save it or “no” to leave it.")
        data = state["data"]
        state["done"] = True
        code = data["level_code"]
        if said == "no":  # wrong level or date, or not now: asked which, with a way out
            state["done"] = False
            data["correcting"] = True
            return Out()
        since = date.fromisoformat(data["since"])
        fresh = ctx.store.get_person(ctx.person.id) or ctx.person
        fresh.level_code, fresh.level_since = code, since
        ctx.store.upsert_person(fresh)
        ctx.person.level_code, ctx.person.level_since = code, since
        blocks = [Block(title="Time in level", text=time_in_level_text(ctx.knowledge, fresh, ctx.today, None))]
        role, level = split_code(ctx.knowledge, code)
        nxt = ctx.knowledge.next_level(role, level) if role and level else None
        choices = []
        if nxt:
            target = ctx.knowledge.code(role, nxt)
            choices.append(start_choice(f"Self-assessment for {target}", "self_assessment", {"level": target},
                                        style="primary"))
        choices.append(start_choice("Prepare for supervision", "checkin"))
        return Out(replies=[Reply(title=f"Done: your level is {level_label(ctx.knowledge, code)}, since "
                                        f"{format_date(since)}.", blocks=blocks, choices=choices)])
