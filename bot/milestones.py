"""Time-in-level milestones: pure date rules that say when someone may put themselves forward for the next level."""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.knowledge.model import Criterion, Knowledge, TimeRule

log = logging.getLogger(__name__)

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

# Words that mark a criterion as being about post-qualifying experience (PQE).
_PQE = re.compile(r"post[\s-]*qualif|\bPQE\b", re.IGNORECASE)
# A full level code inside a source's text, e.g. "SW2B".
_LEVEL_IN_TEXT = re.compile(r"\b([A-Z]{2,4}\d{0,2})([ABC])\b")


class UnknownLevel(ValueError):
    """The level code names no role or level the framework knows; the caller asks the person again."""


# -- calendar arithmetic ------------------------------------------------------------------------------

def add_months(d: date, n: int) -> date:
    """The same day n calendar months later (or earlier), clamped to the last day of a shorter month.

    31 August + 6 months is 28 February (29 February in a leap year): HR counts whole calendar months,
    and a month with no 31st still ends.
    """
    index = d.year * 12 + (d.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    if year < 1:
        raise ValueError("date out of range")
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def months_between(a: date, b: date) -> int:
    """Whole calendar months completed from a to b: the largest n with add_months(a, n) <= b.

    Consistent with add_months, so someone is counted as having done n months on the boundary day itself.
    Negative when b is before a.
    """
    n = (b.year - a.year) * 12 + (b.month - a.month)
    # The first guess can be one too high (day of month not yet reached); the clamp never makes it too low.
    while add_months(a, n) > b:
        n -= 1
    while add_months(a, n + 1) <= b:
        n += 1
    return n


def format_date(d: date) -> str:
    """A date as UK readers write it: 1 March 2025 (no locale dependence)."""
    return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"


# -- level codes --------------------------------------------------------------------------------------

def split_level_code(knowledge: Knowledge, code: str) -> tuple[str, str | None]:
    """A level code as people type it ("SW2A", "sw 2a", "SCO 4B", or "KR9" for a grade without levels) as
    (role, level); UnknownLevel otherwise."""
    from bot.answers.questions import resolve_level

    try:
        return resolve_level(knowledge, code)
    except ValueError as exc:
        raise UnknownLevel(str(exc)) from exc


# -- results ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleView:
    """A time rule as shown to people: the numbers, the source's words and where they come from."""

    from_level: str  # e.g. "SW2A"
    to_level: str  # e.g. "SW2B"
    min_months: int
    max_months: int | None
    months_text: str
    text: str
    source: str  # citation
    document_id: str
    document_title: str
    note: str | None = None

    @classmethod
    def of(cls, rule: TimeRule) -> RuleView:
        return cls(
            from_level=f"{rule.role}{rule.from_level}",
            to_level=f"{rule.role}{rule.to_level}",
            min_months=rule.min_months,
            max_months=rule.max_months,
            months_text=rule.months_text,
            text=rule.text,
            source=rule.source.cite(),
            document_id=rule.source.document_id,
            document_title=rule.source.document_title,
            note=rule.note,
        )

    def to_json(self) -> dict[str, Any]:
        return {"min_months": self.min_months, "max_months": self.max_months, "text": self.text, "source": self.source}


@dataclass(frozen=True)
class EvidenceItem:
    text: str
    source: str
    note: str | None = None

    @classmethod
    def of(cls, c: Criterion) -> EvidenceItem:
        return cls(c.text, c.source.cite(), c.note)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "note": self.note}


@dataclass
class MilestoneResult:
    level: str
    since: date
    today: date
    months_in_level: int
    next_level: str | None
    earliest_eligible_date: date | None
    eligible: bool | None  # None: the sources cannot decide (no time rule, top level)
    rule: RuleView | None
    all_rules: list[RuleView] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    evidence_needed: list[EvidenceItem] = field(default_factory=list)
    level_label: str = ""  # e.g. "SW2A (Developing)"
    evidence_for: str | None = None  # the level the evidence is for (next level, or next role's first level)

    @property
    def other_rules(self) -> list[RuleView]:
        return [r for r in self.all_rules if r != self.rule]

    @property
    def milestone(self) -> str | None:
        """E.g. "SW2A->SW2B", used in reminder keys."""
        return f"{self.level}->{self.next_level}" if self.next_level else None

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "since": self.since.isoformat(),
            "today": self.today.isoformat(),
            "months_in_level": self.months_in_level,
            "next_level": self.next_level,
            "earliest_eligible_date": self.earliest_eligible_date.isoformat() if self.earliest_eligible_date else None,
            "eligible": self.eligible,
            "rule": self.rule.to_json() if self.rule else None,
            "notes": list(self.notes),
            "other_rules": [r.to_json() for r in self.other_rules],
            "evidence_needed": [e.to_json() for e in self.evidence_needed],
        }

    def status(self) -> str:
        """The first paragraph of describe(): where the person stands and their date, without the evidence
        and notes (for an answer that shows those itself)."""
        return self._status_parts()

    def describe(self) -> str:
        """A readable answer in UK English. Meeting the time is never presented as a promotion."""
        lines = [self._status_parts()]
        rule = self.rule
        notes = ["", "Please note:"] + [f"  • {n}" for n in self.notes] if self.notes else []
        if rule is None:
            # Without a date, what the sources say instead (top level, no rule) is the answer: show it first.
            lines += notes
        if self.evidence_needed:
            if self.next_level is None:
                intro = f"For {self.evidence_for}, a different role, the framework asks for this evidence:"
            else:
                intro = f"For {self.evidence_for}, the framework asks for this evidence:"
            lines += ["", intro]
            for e in self.evidence_needed:
                lines.append(f"  • {e.text} ({e.source})" + (f" Note: {e.note}" if e.note else ""))
        if self.other_rules:
            lines += ["", "What each source says about the time:"]
            lines += [f"  • {r.document_title}: {r.months_text} (\"{r.text}\", {r.source})" for r in self.all_rules]
        if rule is not None:
            lines += notes
        return "\n".join(lines) + "\n"

    def _status_parts(self) -> str:
        label = self.level_label or self.level
        months = _plural(self.months_in_level, "full month")
        parts = [f"You have been at {label} since {format_date(self.since)}: {months} as of {format_date(self.today)}."]
        rule = self.rule
        if rule is not None and self.next_level and self.earliest_eligible_date:
            parts.append(
                f"The framework asks for a minimum of {rule.months_text} at {self.level} before {self.next_level} "
                f'("{rule.text}", {rule.source}).'
            )
            when = format_date(self.earliest_eligible_date)
            if self.eligible:
                parts.append(
                    f"You have met that minimum since {when}, so you can put yourself forward for {self.next_level}. "
                    "Meeting the time is not a promotion in itself: the framework still asks for evidence."
                )
            else:
                parts.append(
                    f"The earliest date you could put yourself forward for {self.next_level} is {when}. "
                    "Meeting the time will not be a promotion in itself: the framework also asks for evidence."
                )
        return " ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# -- the assessment -----------------------------------------------------------------------------------

def _next_role(knowledge: Knowledge, role: str) -> str | None:
    """The role listed after this one in a source that describes both (SW2 -> SW3 -> SW4).

    The sources give no separate career ladder; the order of roles within one framework document is
    the only progression they show, and they never link roles across employers.
    """
    info = knowledge.roles.get(role)
    if info is None:
        return None
    for doc_id in info.documents:
        siblings = [code for code, r in knowledge.roles.items() if doc_id in r.documents and r.kind == "role"]
        i = siblings.index(role)
        if i + 1 < len(siblings):
            return siblings[i + 1]
    return None


def _rule_notes(rule: RuleView, known_roles: set[str]) -> list[str]:
    notes: list[str] = []
    if rule.note:
        notes.append(f'The source ({rule.source}) says: "{rule.text}" {rule.note}')
        return notes
    # A rule whose words name another level (003's SW4C rule says "SW2B") is flagged even if the data
    # carries no note, so the bot never quotes it as if it were consistent.
    for m in _LEVEL_IN_TEXT.finditer(rule.text):
        named = m.group(1) + m.group(2)
        if m.group(1) in known_roles and named not in (rule.from_level, rule.to_level):
            notes.append(
                f'The source ({rule.source}) says: "{rule.text}" It names {named}, although this rule is about '
                f"moving from {rule.from_level} to {rule.to_level}; the wording may be a typo for {rule.from_level}."
            )
            break
    return notes


def assess(
    knowledge: Knowledge,
    *,
    level_code: str,
    since: date,
    today: date,
    parse_level: Callable[[str], tuple[str, str | None]] | None = None,
) -> MilestoneResult:
    """Where someone stands against the time-in-level rules. Raises UnknownLevel for a code the framework lacks."""
    role, level = parse_level(level_code) if parse_level else split_level_code(knowledge, level_code)
    level = level or None
    info = knowledge.roles.get(role)
    if info is None or (level is not None and level not in info.levels):
        raise UnknownLevel(f"{level_code} is not a level in the framework")
    code = knowledge.code(role, level)
    label = info.level_label(level) if level else f"{info.title} ({role})"
    notes: list[str] = []
    if since > today:
        notes.append(
            f"The start date given, {format_date(since)}, is after today ({format_date(today)}); please check it."
        )
    months = max(months_between(since, today), 0)
    result = MilestoneResult(
        level=code, since=since, today=today, months_in_level=months, next_level=None,
        earliest_eligible_date=None, eligible=None, rule=None, notes=notes, level_label=label,
    )
    role_rules = [r for r in knowledge.time_rules if r.role == role]
    if level is None:
        notes.append(f"The framework gives no levels and no minimum time in grade for {info.title} ({role}).")
        return result

    nxt = knowledge.next_level(role, level)
    if nxt is None:
        _top_level(knowledge, result, role, level)
        return result
    result.next_level = knowledge.code(role, nxt)
    result.evidence_for = result.next_level
    result.evidence_needed = [EvidenceItem.of(c) for c in knowledge.find(role=role, level=nxt, topic="evidence")]
    if not result.evidence_needed:
        notes.append(
            f"The sources list no specific evidence for progression to {result.next_level}; "
            f"the criteria for {info.level_label(nxt)} describe what is expected at that level."
        )
    if not role_rules:
        notes.append(
            f"The framework gives no minimum time in level for {info.title} ({role}), so there is no date to work "
            f"out. Your manager can talk through when it might be right to put yourself forward for "
            f"{result.next_level}."
        )
        return result
    rules = [RuleView.of(r) for r in knowledge.rules_for(role, nxt) if r.from_level == level]
    if not rules:
        notes.append(f"The sources give no minimum time at {code} before {result.next_level}.")
        return result

    # Where sources differ, the longer minimum governs so that nobody is told they qualify too early.
    chosen = max(rules, key=lambda r: r.min_months)
    result.rule = chosen
    result.all_rules = rules
    result.earliest_eligible_date = add_months(since, chosen.min_months)
    result.eligible = today >= result.earliest_eligible_date
    if len({r.min_months for r in rules}) > 1:
        said = "; ".join(f"{r.document_title} (document {r.document_id}) says {r.months_text}" for r in rules)
        notes.append(
            f"The sources differ on the minimum time at {code} before {result.next_level}: {said}. "
            f"The dates here use the longer minimum, {chosen.min_months} months."
        )
    ranged = chosen.max_months is not None and chosen.max_months != chosen.min_months
    if ranged:
        notes.append(
            f"The source gives a range, {chosen.months_text}, rather than a single figure, and does not say what "
            f"decides where in it someone falls; the earliest date here uses the lower end ({chosen.min_months} "
            "months)."
        )
    # The other rules' own notes only restate the disagreement already explained above; the chosen rule's note
    # on its range says what the note above says.
    for n in _rule_notes(chosen, set(knowledge.roles)):
        if n not in notes and not (ranged and "range" in (chosen.note or "")):
            notes.append(n)
    return result


def _top_level(knowledge: Knowledge, result: MilestoneResult, role: str, level: str) -> None:
    info = knowledge.roles[role]
    notes = result.notes
    target = _next_role(knowledge, role)
    if target is None:
        notes.append(
            f"{result.level} is the top level of {info.title} ({role}) in the framework, and the sources describe "
            "no further role or level to move on to, so there is no time rule to apply."
        )
        return
    tinfo = knowledge.roles[target]
    first = next(iter(tinfo.levels), None)
    to_code = f"{target}{first or ''}"
    notes.append(
        f"{result.level} is the top level of {info.title} ({role}). Moving to a different role, for example from "
        f"{result.level} to {to_code} ({tinfo.title}), has no minimum time in level in the sources."
    )
    pqe: list[Criterion] = []
    for topic in ("experience", "evidence"):
        pqe += [c for c in knowledge.find(role=target, level=first, topic=topic) if _PQE.search(c.text)]
    if pqe:
        quoted = "; ".join(f'"{c.text}" ({c.source.cite()})' for c in pqe)
        notes.append(f"Instead, the sources ask for post-qualifying experience for {to_code}: {quoted}.")
    else:
        notes.append(f"The sources state no post-qualifying experience for {to_code}.")
    result.evidence_for = to_code
    result.evidence_needed = [EvidenceItem.of(c) for c in knowledge.find(role=target, level=first, topic="evidence")]


# Notes written to the staff member, said to their manager instead ("check with your manager" is the reader)
_TO_THE_MANAGER = (
    (re.compile(r"Your manager can talk through when it might be right to put yourself forward for ([^.]+)\."),
     r"You can talk through with them when it might be right to put themselves forward for \1."),
    (re.compile(r"check with your manager which applies"), "check with HR which applies"),
)


def to_the_manager(note: str) -> str:
    """A milestone note as the person's manager reads it (team views, the weekly digest)."""
    for pattern, said in _TO_THE_MANAGER:
        note = pattern.sub(said, note)
    return note
