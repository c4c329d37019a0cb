"""The reminder service: which reminders and digests are due, when they may go, and sending each exactly once."""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from bot.conversation import Block, Choice, DeliveryError, Notifier, Reply
from bot.dates import SPAN, parse_date, shift
from bot.knowledge.model import Knowledge
from bot.metrics import reminder_event
from bot.milestones import (
    MilestoneResult,
    UnknownLevel,
    add_months,
    assess,
    format_date,
    to_the_manager,
)
from bot.storage.base import DEFAULT_HOLIDAY_REGION, DEFAULT_TIMEZONE, LedgerEntry, Person, Store, StoreError

log = logging.getLogger(__name__)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

HEADS_UP = "heads_up"
ELIGIBLE = "eligible"
DIGEST = "digest"
SUPERVISION = "supervision"
# When the weekly cap leaves room for only some reminders, the most time-sensitive go first.
KIND_PRIORITY = {ELIGIBLE: 0, SUPERVISION: 1, HEADS_UP: 2, DIGEST: 3}

# Which notifier to use, in order of preference; the first configured one that can reach the person wins.
CHANNEL_ORDER = ("slack", "teams", "console", "log")

# The `holidays` library (0.109) knows GB subdivisions ENG, WLS, SCT and NIR. England and Wales share one
# statutory list of bank holidays, so "england-and-wales" uses ENG (identical to WLS today).
HOLIDAY_SUBDIVS = {
    "england-and-wales": "ENG",
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern-ireland": "NIR",
}

SNOOZE_HINT = (
    'To pause these reminders, reply "snooze until 5 January" or "snooze for 2 weeks"; '
    'to turn them off, reply "stop reminders".'
)
SNOOZE_ACTION = "reminders.snooze"
STOP_ACTION = "reminders.stop"


# -- policy: when a message may be sent ----------------------------------------------------------------

@dataclass(frozen=True)
class Policy:
    """Service-wide settings; per-person settings live in ReminderPrefs."""

    digest_weekday: int = 0  # Monday: the digest goes at the first working moment of the week
    long_eligible_months: int = 6  # after this, the person's own reminder stops and the digest flags them
    cap_window: timedelta = timedelta(days=7)
    lease_seconds: int = 120
    backoff: tuple[timedelta, ...] = (
        timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=2),
    )
    max_attempts: int = 6  # deliveries tried before a reminder is given up (status dead)
    horizon_days: int = 400  # how far ahead next_send_window looks before giving up


DEFAULT_POLICY = Policy()
_holiday_lock = threading.Lock()


def holiday_subdiv(region: str | None) -> str:
    """The `holidays` GB subdivision for a holiday region; an unknown region falls back to England and Wales."""
    key = (region or DEFAULT_HOLIDAY_REGION).strip().lower().replace("_", "-").replace(" ", "-")
    subdiv = HOLIDAY_SUBDIVS.get(key)
    if subdiv is None:
        log.warning("unknown holiday region %r; using %s", region, DEFAULT_HOLIDAY_REGION)
        subdiv = HOLIDAY_SUBDIVS[DEFAULT_HOLIDAY_REGION]
    return subdiv


@lru_cache(maxsize=8)
def _calendar(subdiv: str) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=subdiv)


def bank_holiday(day: date, *, region: str | None = DEFAULT_HOLIDAY_REGION) -> str | None:
    """The bank holiday's name on that day in the region, or None."""
    cal = _calendar(holiday_subdiv(region))
    # The calendar fills in years lazily on lookup; serialise that so scheduler threads cannot race on it.
    with _holiday_lock:
        return cal.get(day)


def person_zone(person: Person) -> ZoneInfo:
    try:
        return ZoneInfo(person.timezone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("person %s has an unknown time zone %r; using %s", person.id, person.timezone, DEFAULT_TIMEZONE)
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_today(now: datetime, person: Person) -> date:
    return _aware(now).astimezone(person_zone(person)).date()


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    return now


def _hours(person: Person) -> tuple[int, int]:
    start, end = person.prefs.working_hours
    if not (0 <= start < end <= 24):
        log.warning("person %s has invalid working hours %r; using 9-17", person.id, person.prefs.working_hours)
        return 9, 17
    return start, end


def _day_bounds(day: date, person: Person) -> tuple[datetime, datetime]:
    """The working window of a local day, as aware UTC datetimes (zoneinfo applies BST or GMT as due)."""
    zone = person_zone(person)
    start_h, end_h = _hours(person)
    start = datetime.combine(day, time(start_h), tzinfo=zone)
    # An end of 24 means midnight at the end of the day, which time() cannot express.
    end_day, end_h = (day + timedelta(days=1), 0) if end_h == 24 else (day, end_h)
    end = datetime.combine(end_day, time(end_h), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def day_closed(day: date, person: Person) -> str | None:
    """Why nothing is sent to the person on this day ("weekend", "bank holiday (Christmas Day)"), or None."""
    if day.weekday() not in person.prefs.working_days:
        return "weekend" if day.weekday() >= 5 else f"not a working day ({WEEKDAYS[day.weekday()]})"
    name = bank_holiday(day, region=person.holiday_region)
    return f"bank holiday ({name})" if name else None


def blocked_reason(now: datetime, person: Person) -> str | None:
    """Why nothing may be sent to the person at this moment, or None when it may."""
    now = _aware(now)
    prefs = person.prefs
    if prefs.opted_out:
        return "opted out of reminders"
    today = local_today(now, person)
    if prefs.snoozed_until and today < prefs.snoozed_until:
        return f"snoozed until {format_date(prefs.snoozed_until)}"
    closed = day_closed(today, person)
    if closed:
        return closed
    start, end = _day_bounds(today, person)
    if not (start <= now < end):
        return "outside working hours"
    return None


def next_send_window(now: datetime, person: Person, *, policy: Policy = DEFAULT_POLICY) -> datetime | None:
    """The first moment at or after now when the person may be messaged (UTC); None if opted out or none found."""
    now = _aware(now)
    if person.prefs.opted_out or not person.prefs.working_days:
        return None
    day = local_today(now, person)
    if person.prefs.snoozed_until and person.prefs.snoozed_until > day:
        day = person.prefs.snoozed_until
    for _ in range(policy.horizon_days):
        if day_closed(day, person) is None:
            start, end = _day_bounds(day, person)
            if now < end:
                return max(now, start)
        day += timedelta(days=1)
    return None


# -- what is due ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReminderMessage:
    """One reminder to one person; payload holds everything needed to compose it (and is kept in the ledger)."""

    key: str
    kind: str
    person_id: str
    due: date
    payload: dict[str, Any]

    def ledger_entry(self) -> LedgerEntry:
        return LedgerEntry(key=self.key, person_id=self.person_id, kind=self.kind, due=self.due,
                           payload=self.payload, status="claimed")


def reminder_key(person_id: str, milestone: str, kind: str, due: date) -> str:
    return f"{person_id}|{milestone}|{kind}|{due.isoformat()}"


def digest_key(manager_id: str, day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{manager_id}|digest|week|{year}-W{week:02d}"


def person_milestone(knowledge: Knowledge, person: Person, today: date) -> MilestoneResult | None:
    """A person's time-in-level milestone today, or None without a level and start date (or for a level the
    framework does not know, logged)."""
    if not person.level_code or not person.level_since:
        return None
    try:
        return assess(knowledge, level_code=person.level_code, since=person.level_since, today=today)
    except UnknownLevel:
        log.warning("person %s has level %r, which the framework does not know", person.id, person.level_code)
        return None


def _milestone_payload(result: MilestoneResult) -> dict[str, Any]:
    rule = result.rule
    return {
        "level": result.level,
        "level_label": result.level_label,
        "next_level": result.next_level,
        "milestone": result.milestone,
        "since": result.since.isoformat(),
        "earliest": result.earliest_eligible_date.isoformat() if result.earliest_eligible_date else None,
        "months_text": rule.months_text if rule else None,
        "min_months": rule.min_months if rule else None,
        "max_months": rule.max_months if rule else None,
        "rule_text": rule.text if rule else None,
        "rule_source": rule.source if rule else None,
        "evidence": [e.to_json() for e in result.evidence_needed],
        "notes": list(result.notes),
    }


def _personal_reminders(knowledge: Knowledge, person: Person, today: date, policy: Policy) -> list[ReminderMessage]:
    out: list[ReminderMessage] = []
    result = person_milestone(knowledge, person, today)
    if result is not None and result.earliest_eligible_date and result.milestone:
        earliest = result.earliest_eligible_date
        payload = _milestone_payload(result)
        weeks = person.prefs.heads_up_weeks
        heads_up = max(earliest - timedelta(weeks=weeks), result.since)
        if weeks > 0 and heads_up <= today < earliest:
            out.append(ReminderMessage(reminder_key(person.id, result.milestone, HEADS_UP, heads_up), HEADS_UP,
                                       person.id, heads_up, payload | {"heads_up_weeks": weeks}))
        # The eligible reminder stays due until sent, but not for ever: after long_eligible_months the
        # manager's digest flags it instead of the person hearing about it out of the blue.
        if earliest <= today < add_months(earliest, policy.long_eligible_months):
            out.append(ReminderMessage(reminder_key(person.id, result.milestone, ELIGIBLE, earliest), ELIGIBLE,
                                       person.id, earliest, payload))
    prefs = person.prefs
    if prefs.next_supervision and prefs.supervision_reminder_days is not None:
        due = prefs.next_supervision - timedelta(days=max(prefs.supervision_reminder_days, 0))
        if due <= today <= prefs.next_supervision:
            payload = {"supervision": prefs.next_supervision.isoformat()}
            if result is not None and result.next_level:
                payload |= _milestone_payload(result)
            out.append(ReminderMessage(
                reminder_key(person.id, f"supervision {prefs.next_supervision.isoformat()}", SUPERVISION, due),
                SUPERVISION, person.id, due, payload,
            ))
    return out


@dataclass(frozen=True)
class PlannedReminder:
    """A reminder a person will get (or was due), for telling them what to expect."""

    due: date
    kind: str
    key: str
    what: str


def reminder_plan(knowledge: Knowledge, person: Person, today: date,
                  policy: Policy = DEFAULT_POLICY) -> list[PlannedReminder]:
    """The person's own reminders from today on, and any still due: the same rules as _personal_reminders,
    looking ahead instead of only at today. Whether one was sent already is the ledger's to say."""
    out: list[PlannedReminder] = []
    result = person_milestone(knowledge, person, today)
    if result is not None and result.earliest_eligible_date and result.milestone and result.next_level:
        earliest = result.earliest_eligible_date
        weeks = person.prefs.heads_up_weeks
        heads_up = max(earliest - timedelta(weeks=weeks), result.since)
        if weeks > 0 and today < earliest:
            key = reminder_key(person.id, result.milestone, HEADS_UP, heads_up)
            out.append(PlannedReminder(heads_up, HEADS_UP, key,
                                       f"a heads-up {weeks} weeks before you have the time in level for "
                                       f"{result.next_level}, with the evidence it asks for"))
        if today < add_months(earliest, policy.long_eligible_months):
            key = reminder_key(person.id, result.milestone, ELIGIBLE, earliest)
            out.append(PlannedReminder(earliest, ELIGIBLE, key,
                                       f"the day you have the time in level for {result.next_level}"))
    prefs = person.prefs
    if prefs.next_supervision and prefs.supervision_reminder_days is not None and today <= prefs.next_supervision:
        due = prefs.next_supervision - timedelta(days=max(prefs.supervision_reminder_days, 0))
        out.append(PlannedReminder(
            due, SUPERVISION,
            reminder_key(person.id, f"supervision {prefs.next_supervision.isoformat()}", SUPERVISION, due),
            # the days were saved so that it comes on a working day: the date before this says when, not the count
            f"a reminder of your supervision on {format_date(prefs.next_supervision)}"))
    return sorted(out, key=lambda p: p.due)


def _digest(knowledge: Knowledge, manager: Person, reports: list[Person], today: date,
            policy: Policy) -> ReminderMessage | None:
    monday = today - timedelta(days=today.weekday())
    due = monday + timedelta(days=policy.digest_weekday)
    if today < due:
        return None
    window_end = today + timedelta(weeks=max(manager.prefs.heads_up_weeks, 0))
    groups: dict[str, list[dict[str, Any]]] = {"upcoming": [], "eligible": [], "long": []}
    others: list[dict[str, Any]] = []  # reports none of the lists can hold, so the manager knows why
    notes: list[str] = []  # on the dates below (sources that differ, a range, a typo): as the staff member sees
    for report in sorted(reports, key=lambda p: (p.display_name or p.id).lower()):
        result = person_milestone(knowledge, report, today)
        name = report.display_name or report.id
        if result is None:
            others.append({"person_id": report.id, "name": name, "why": "level or start date not recorded"
                           if not (report.level_code and report.level_since) else
                           f"level {report.level_code} is not in the framework"})
            continue
        if result.earliest_eligible_date is None:
            others.append({"person_id": report.id, "name": f"{name} ({result.level})",
                           "why": f"the framework sets no minimum time before {result.next_level}"
                           if result.next_level else "the top level of the role"})
            continue
        earliest = result.earliest_eligible_date
        row = {"person_id": report.id, "name": report.display_name or report.id, "level": result.level,
               "next_level": result.next_level, "earliest": earliest.isoformat(), "since": result.since.isoformat()}
        group = ("upcoming" if today < earliest <= window_end else
                 "eligible" if earliest <= today < add_months(earliest, policy.long_eligible_months) else
                 "long" if today >= add_months(earliest, policy.long_eligible_months) else None)
        if group:
            groups[group].append(row)
            notes += [n for n in map(to_the_manager, result.notes) if n not in notes]
    if not any(groups.values()):
        return None  # nothing to say: no message at all
    payload = {"week_commencing": monday.isoformat(), "groups": groups, "others": others,
               "heads_up_weeks": manager.prefs.heads_up_weeks, "long_months": policy.long_eligible_months,
               "notes": notes}
    return ReminderMessage(digest_key(manager.id, due), DIGEST, manager.id, due, payload)


def due_reminders(people: Iterable[Person], *, knowledge: Knowledge, now: datetime,
                  policy: Policy = DEFAULT_POLICY) -> list[tuple[Person, ReminderMessage]]:
    """Every reminder that is due at `now` (in each person's own calendar), ignoring send windows and the ledger."""
    now = _aware(now)
    everyone = list(people)
    by_id = {p.id: p for p in everyone}
    reports: dict[str, list[Person]] = defaultdict(list)
    for p in everyone:
        if p.manager_id and p.manager_id != p.id:
            reports[p.manager_id].append(p)
    out: list[tuple[Person, ReminderMessage]] = []
    for person in everyone:
        today = local_today(now, person)
        out += [(person, m) for m in _personal_reminders(knowledge, person, today, policy)]
        if reports.get(person.id):
            digest = _digest(knowledge, person, reports[person.id], today, policy)
            if digest is not None:
                out.append((person, digest))
    for manager_id in reports.keys() - by_id.keys():
        log.warning("manager %s of %d people is not in the store; no digest", manager_id, len(reports[manager_id]))
    out.sort(key=lambda pm: (pm[0].id, KIND_PRIORITY.get(pm[1].kind, 9), pm[1].due, pm[1].key))
    return out


# -- composing the message -----------------------------------------------------------------------------

def _d(iso: str | None) -> str:
    return format_date(date.fromisoformat(iso)) if iso else ""


def _evidence_block(payload: dict[str, Any], title: str) -> tuple[Block | None, list[str]]:
    evidence = payload.get("evidence") or []
    if not evidence:
        return None, []
    sources: list[str] = []
    for e in evidence:
        if e["source"] not in sources:
            sources.append(e["source"])
    notes = [e["note"] for e in evidence if e.get("note")]
    return Block(title=title, bullets=[e["text"] for e in evidence], notes=notes), sources


def reminder_choices() -> list[Choice]:
    """Snooze and stop: under every reminder, and wherever a person looks at their reminders."""
    return [
        Choice("Snooze for 2 weeks", {"action": SNOOZE_ACTION, "weeks": 2}),
        Choice("Stop reminders", {"action": STOP_ACTION}, style="danger"),
    ]


def compose_reply(message: ReminderMessage) -> Reply:
    """The channel-neutral message for a reminder, in UK English, with citations and how to snooze or stop."""
    p = message.payload
    blocks: list[Block] = []
    sources: list[str] = []
    notes: list[str] = []
    title: str
    if message.kind in (HEADS_UP, ELIGIBLE):
        nxt, level, when = p["next_level"], p["level"], _d(p["earliest"])
        if p.get("rule_source"):
            sources.append(p["rule_source"])
        low, high = p.get("min_months"), p.get("max_months")
        is_range = high is not None and low is not None and high != low
        if message.kind == HEADS_UP:
            title = f"Heads-up: {nxt} could be coming up"
            text = (f"Heads-up: you could be eligible to put yourself forward for {nxt} from {when}. "
                    f"The framework asks for a minimum of {p['months_text']} at {level}, and you have been at "
                    f"{level} since {_d(p['since'])}.")
            if is_range:
                text += f" The date uses the lower end of the range ({low} months)."
        else:
            title = f"You can now put yourself forward for {nxt}"
            if is_range:
                text = (f"As of {when}, you have completed {low} months at {level}, the lower end of the "
                        f"{p['months_text']} the framework gives before {nxt}, so you can put yourself forward "
                        f"for {nxt}.")
            else:
                text = (f"As of {when}, you have completed the minimum of {p['months_text']} at {level} that the "
                        f"framework asks for before {nxt}, so you can put yourself forward for {nxt}.")
        blocks.append(Block(text=text + " Meeting the time is not a promotion in itself: the framework also asks "
                                        "for evidence, and your manager can talk it through with you."))
        block, ev_sources = _evidence_block(p, "The framework asks for this evidence:")
        if block:
            blocks.append(block)
        sources += [s for s in ev_sources if s not in sources]
        notes = list(p.get("notes") or [])
    elif message.kind == SUPERVISION:
        when = date.fromisoformat(p["supervision"])
        title = f"Supervision on {WEEKDAYS[when.weekday()]} {format_date(when)}"
        text = f"A reminder that your next supervision is on {WEEKDAYS[when.weekday()]} {format_date(when)}."
        if p.get("next_level"):
            text += f" It could be a good moment to talk about your progress towards {p['next_level']}."
        blocks.append(Block(text=text))
        block, ev_sources = _evidence_block(p, f"For {p.get('next_level')}, the framework asks for this evidence:")
        if block:
            blocks.append(block)
        sources += ev_sources
    elif message.kind == DIGEST:
        groups = p["groups"]
        title = f"Your team's progression: week commencing {_d(p['week_commencing'])}"
        if groups["upcoming"]:
            blocks.append(Block(
                title=f"Could become eligible in the next {p['heads_up_weeks']} weeks",
                bullets=[f"{r['name']}: {r['level']} to {r['next_level']} from {_d(r['earliest'])}"
                         for r in groups["upcoming"]]))
        if groups["eligible"]:
            blocks.append(Block(
                title="Eligible now",
                bullets=[f"{r['name']}: could put themselves forward for {r['next_level']} since {_d(r['earliest'])}"
                         for r in groups["eligible"]]))
        if groups["long"]:
            blocks.append(Block(
                title=f"Eligible for more than {p['long_months']} months with no change of level",
                bullets=[f"{r['name']}: {r['level']}, could have put themselves forward for {r['next_level']} "
                         f"since {_d(r['earliest'])}" for r in groups["long"]]))
        if p.get("others"):
            blocks.append(Block(title="Not in these lists",
                                bullets=[f"{r['name']}: {r['why']}" for r in p["others"]]))
        notes += [n for n in p.get("notes") or [] if n not in notes]
        blocks.append(Block(text="Being eligible means someone can put themselves forward; it is not a promotion in "
                                 "itself, and the framework still asks for evidence. Supervision may be a good "
                                 "place to talk about it."))
    else:
        raise ValueError(f"unknown reminder kind {message.kind!r}")
    return Reply(title=title, blocks=blocks, sources=sources, notes=notes, footer=SNOOZE_HINT,
                 choices=reminder_choices(), status="answered",
                 meta={"reminder_key": message.key, "kind": message.kind})


# -- snooze from chat ----------------------------------------------------------------------------------

def parse_snooze(text: str, today: date) -> date | None:
    """The date a snooze asks for ("snooze until 5 January", "snooze 2026-01-05", "snooze for 2 weeks").

    Day-month order (UK): 5/1 is 5 January. The date must be after today; None when none is understood.
    Dates are read by bot.dates, as everywhere else; what is a snooze's own is a span with no "in" before it.
    """
    t = text.lower().replace("’", "'")
    when = parse_date(t, today=today, after_today=True)
    if when is not None:
        return when
    if m := SPAN.search(t):  # "for 2 weeks", "a month", "10 days"
        return shift(today, m.group(1), m.group(2)) if not m.group(1).isdigit() or int(m.group(1)) > 0 else None
    if re.search(r"\bfortnight\b", t):
        return today + timedelta(weeks=2)
    if re.search(r"\bweek\b", t):  # "snooze a week" / "next week"
        return today + timedelta(weeks=1)
    if re.search(r"\b(?:a|next)\s+month\b", t):  # "remind me next month"
        return add_months(today, 1)
    return None


# -- the service ---------------------------------------------------------------------------------------

@dataclass
class Planned:
    """One due reminder and what a pass would do with it now."""

    message: ReminderMessage
    person_id: str
    display_name: str
    channel: str | None
    action: str  # "send" | "wait" | "skip" | "done"
    reason: str
    send_at: datetime | None = None

    @property
    def key(self) -> str:
        return self.message.key

    @property
    def kind(self) -> str:
        return self.message.kind

    def describe(self) -> str:
        when = f" (next chance {self.send_at.isoformat()})" if self.send_at and self.action == "wait" else ""
        return f"{self.action}: {self.kind} to {self.display_name or self.person_id} via {self.channel or '-'}: " \
               f"{self.reason}{when} [{self.key}]"


@dataclass
class PassReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0  # delivery errors this pass (retried + dead)
    retried: int = 0  # failures that will be tried again later
    dead: int = 0  # given up (too many attempts, or the person cannot be reached)
    skipped: int = 0  # due but waiting: window, snooze, opt-out, cap, claimed elsewhere, retry not yet due
    errors: int = 0  # people whose reminders could not be handled because the store failed
    outcomes: list[tuple[str, str]] = field(default_factory=list)  # (key, outcome); "done: ..." for finished keys

    def to_json(self) -> dict[str, Any]:
        return {"claimed": self.claimed, "sent": self.sent, "failed": self.failed, "retried": self.retried,
                "dead": self.dead, "skipped": self.skipped, "errors": self.errors}


def default_owner() -> str:
    """Unique per process and instance, so leases taken by a crashed process are never mistaken for ours."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ReminderService:
    """Works out what is due and sends each reminder exactly once through the person's channel."""

    def __init__(
        self,
        store: Store,
        knowledge: Knowledge,
        notifiers: dict[str, Notifier] | list[Notifier],
        *,
        clock: Callable[[], datetime] = _utc_now,
        owner: str | None = None,
        policy: Policy = DEFAULT_POLICY,
    ) -> None:
        self.store = store
        self.knowledge = knowledge
        self.notifiers: dict[str, Notifier] = (
            dict(notifiers) if isinstance(notifiers, dict) else {n.name: n for n in notifiers}
        )
        self.clock = clock
        self.owner = owner or default_owner()
        self.policy = policy
        self._done: set[str] = set()  # keys this instance knows are sent or dead, which never change back
        # Set on graceful shutdown: a pass in progress stops between people (never mid-send), leaving the
        # rest for the next pass, so claims are released only once nothing is being sent.
        self.stopping = threading.Event()

    # -- choosing a channel -------------------------------------------------------------------------------
    def notifier_for(self, person: Person) -> Notifier | None:
        names = list(CHANNEL_ORDER) + [n for n in self.notifiers if n not in CHANNEL_ORDER]
        for name in names:
            notifier = self.notifiers.get(name)
            if notifier is None or name in person.unreachable:
                continue
            if name == "slack" and not person.slack_user_id:
                continue
            if name == "teams" and not person.teams_user_id:
                continue
            if notifier.can_reach(person):
                return notifier
        return None

    # -- planning -------------------------------------------------------------------------------------------
    def _due(self, now: datetime) -> list[tuple[Person, ReminderMessage]]:
        return due_reminders(self.store.iter_people(), knowledge=self.knowledge, now=now, policy=self.policy)

    def _cap_reached(self, person: Person, now: datetime) -> bool:
        cap = person.prefs.weekly_cap
        return cap >= 0 and self.store.sent_count_since(person.id, now - self.policy.cap_window) >= cap

    def dry_run(self, now: datetime | None = None) -> list[Planned]:
        """What a pass at `now` would do with every due reminder, and why (nothing is claimed or sent)."""
        now = _aware(now or self.clock())
        plans: list[Planned] = []
        ledgers: dict[str, dict[str, LedgerEntry]] = {}
        would_send: dict[str, int] = defaultdict(int)
        for person, msg in self._due(now):
            if person.id not in ledgers:
                ledgers[person.id] = {e.key: e for e in self.store.ledger(person_id=person.id)}
            entry = ledgers[person.id].get(msg.key)
            notifier = self.notifier_for(person)
            channel = notifier.name if notifier else None

            def plan(action: str, reason: str, send_at: datetime | None = None,
                     _p: Person = person, _m: ReminderMessage = msg, _c: str | None = channel) -> None:
                plans.append(Planned(_m, _p.id, _p.display_name, _c, action, reason, send_at))

            if entry is not None and entry.status == "sent":
                plan("done", f"already sent at {entry.sent_at.isoformat() if entry.sent_at else 'an earlier time'}")
                continue
            if entry is not None and entry.status == "dead":
                plan("done", f"given up after {entry.attempts} attempts: {entry.last_error or 'unknown error'}")
                continue
            if person.prefs.opted_out:
                plan("skip", "opted out of reminders")
                continue
            if entry is not None and entry.status == "claimed" and entry.claimed_until and entry.claimed_until > now:
                plan("wait", f"being sent by {entry.claimed_by}", entry.claimed_until)
                continue
            if entry is not None and entry.status == "failed" and entry.next_attempt_at and entry.next_attempt_at > now:
                plan("wait", f"retry scheduled after a failure ({entry.last_error})", entry.next_attempt_at)
                continue
            if notifier is None:
                plan("skip", "no channel can reach this person")
                continue
            blocked = blocked_reason(now, person)
            if blocked:
                plan("wait", blocked, next_send_window(now, person, policy=self.policy))
                continue
            sent = self.store.sent_count_since(person.id, now - self.policy.cap_window) + would_send[person.id]
            if person.prefs.weekly_cap >= 0 and sent >= person.prefs.weekly_cap:
                plan("wait", f"weekly cap of {person.prefs.weekly_cap} reminders reached")
                continue
            would_send[person.id] += 1
            plan("send", "due now")
        return plans

    # -- a pass ------------------------------------------------------------------------------------------
    def run_pass(self, now: datetime | None = None) -> PassReport:
        """Claim, send and record every due reminder that may go now; the rest wait for a later pass."""
        now = _aware(now or self.clock())
        report = PassReport()
        due = self._due(now)
        by_person: dict[str, list[ReminderMessage]] = defaultdict(list)
        people: dict[str, Person] = {}
        for person, msg in due:
            by_person[person.id].append(msg)
            people[person.id] = person
        for person_id, messages in by_person.items():
            if self.stopping.is_set():
                log.info("reminder pass stopped early for shutdown; the rest waits for the next pass")
                break
            try:
                outcomes = self._handle_person(people[person_id], messages, now, report)
            except StoreError as exc:
                # E.g. the person was deleted mid-pass, or the store blipped: the others still get theirs,
                # and anything unfinished here is picked up by a later pass.
                report.errors += 1
                log.log(logging.WARNING if report.errors == 1 else logging.DEBUG,
                        "reminders for %s not handled: %s", person_id, exc)
                outcomes = [(m, f"error: {exc}") for m in messages]
            for msg, outcome in outcomes:
                report.outcomes.append((msg.key, outcome))
                if outcome.startswith("skipped"):
                    report.skipped += 1
        log.info("reminder pass at %s by %s: %s", now.isoformat(), self.owner, report.to_json())
        return report

    def _handle_person(self, person: Person, messages: list[ReminderMessage], now: datetime,
                       report: PassReport) -> list[tuple[ReminderMessage, str]]:
        blocked = blocked_reason(now, person)
        if blocked:
            return [(m, f"skipped: {blocked}") for m in messages]
        notifier = self.notifier_for(person)
        if notifier is None:
            return [(m, "skipped: no channel can reach this person") for m in messages]
        if any(m.key not in self._done for m in messages):
            # One ledger read spares a cap query and a claim for every reminder already finished (an
            # eligible reminder stays due for months after it was sent).
            self._remember_done(e.key for e in self.store.ledger(person_id=person.id) if e.status in ("sent", "dead"))
        out: list[tuple[ReminderMessage, str]] = []
        for msg in messages:
            if msg.key in self._done:
                out.append((msg, "done: already sent or given up"))
            else:
                out.append((msg, self._handle(person, notifier, msg, now, report)))
        return out

    def _remember_done(self, keys: Iterable[str]) -> None:
        if len(self._done) > 200_000:  # a cache only: the ledger stays the authority
            self._done.clear()
        self._done.update(keys)

    def _handle(self, person: Person, notifier: Notifier, msg: ReminderMessage, now: datetime,
                report: PassReport) -> str:
        # Best effort across processes: two passes at once may both see room under the cap.
        if self._cap_reached(person, now):
            return "skipped: weekly cap reached"
        if not self.store.claim_reminder(msg.ledger_entry(), owner=self.owner,
                                         lease_seconds=self.policy.lease_seconds, now=now):
            return "skipped: already sent, given up, claimed by another process or retry not yet due"
        report.claimed += 1
        reminder_event("claimed")
        if self._already_there(person, notifier, msg):
            # A process died after the platform took the message and before the ledger recorded it: record it
            # now instead of sending it a second time.
            try:
                self.store.mark_sent(msg.key, owner=self.owner, now=now)
            except StoreError as exc:
                log.error("could not record %s, found already delivered (%s)", msg.key, exc)
                return f"already delivered via {notifier.name}, not recorded"
            self._remember_done([msg.key])
            log.warning("%s was already delivered via %s (an earlier attempt was not recorded); recorded now",
                        msg.key, notifier.name)
            return f"already delivered via {notifier.name}"
        try:
            notifier.send(person, compose_reply(msg))
        except DeliveryError as exc:
            return self._failed(person, msg, notifier.name, exc, now, report)
        except Exception as exc:  # noqa: BLE001 - one broken delivery must not stop the pass for everyone else
            log.exception("notifier %s raised while sending %s", notifier.name, msg.key)
            return self._failed(person, msg, notifier.name, DeliveryError(repr(exc)), now, report)
        report.sent += 1
        reminder_event("sent")
        try:
            self.store.mark_sent(msg.key, owner=self.owner, now=now)
        except StoreError as exc:
            # Delivered but not recorded: the lease ran out and another process took over, or the store
            # failed. Nothing can undo the message; say so loudly, as it may be sent a second time.
            log.error("sent %s via %s but could not record it (%s); it may be sent again", msg.key, notifier.name, exc)
            return f"sent via {notifier.name}, not recorded"
        self._remember_done([msg.key])
        log.info("sent %s via %s", msg.key, notifier.name)
        return f"sent via {notifier.name}"

    def _already_there(self, person: Person, notifier: Notifier, msg: ReminderMessage) -> bool:
        """On a retry (attempt 2 or later), ask a notifier that can look (Slack: the key is in each reminder's
        message metadata) whether an earlier attempt reached the person after all. A first attempt, a
        notifier that cannot look (Teams) or one that cannot tell right now: send as usual."""
        look = getattr(notifier, "delivered", None)
        if look is None or self._attempts(msg) < 2:
            return False
        try:
            return look(person, msg.key) is True
        except Exception:  # noqa: BLE001 - looking is a courtesy; sending is the job
            log.warning("could not check whether %s was already delivered", msg.key, exc_info=True)
            return False

    def _attempts(self, msg: ReminderMessage) -> int:
        for entry in self.store.ledger(person_id=msg.person_id):
            if entry.key == msg.key:
                return entry.attempts
        return 0

    def _failed(self, person: Person, msg: ReminderMessage, channel: str, exc: DeliveryError, now: datetime,
                report: PassReport) -> str:
        report.failed += 1
        reminder_event("failed")
        try:
            return self._record_failure(person, msg, channel, exc, now, report)
        except StoreError as exc2:
            # The claim's lease will expire and a later pass retries it: nothing is lost.
            log.error("could not record the failure of %s (%s)", msg.key, exc2)
            return "failed: not recorded"

    def _record_failure(self, person: Person, msg: ReminderMessage, channel: str, exc: DeliveryError,
                        now: datetime, report: PassReport) -> str:
        error = f"{channel}: {exc}"
        if not exc.retryable:
            self.store.mark_failed(msg.key, owner=self.owner, error=error, retry_at=None, now=now)
            self._remember_done([msg.key])
            self._mark_unreachable(person.id, channel, str(exc))
            report.dead += 1
            reminder_event("dead")
            log.warning("%s cannot be reached on %s (%s); %s given up", person.id, channel, exc, msg.key)
            return f"dead: unreachable on {channel}"
        # The ledger counts this attempt already (claims count), or not yet (failures count): at least 1 either way.
        attempts = max(self._attempts(msg), 1)
        if attempts >= self.policy.max_attempts:
            self.store.mark_failed(msg.key, owner=self.owner, error=error, retry_at=None, now=now)
            self._remember_done([msg.key])
            report.dead += 1
            reminder_event("dead")
            log.error("giving up %s after %d attempts: %s", msg.key, attempts, error)
            return "dead: too many attempts"
        delay = self.policy.backoff[min(attempts, len(self.policy.backoff)) - 1]
        if exc.retry_after:
            delay = max(delay, timedelta(seconds=exc.retry_after))
        self.store.mark_failed(msg.key, owner=self.owner, error=error, retry_at=now + delay, now=now)
        report.retried += 1
        reminder_event("retried")
        log.warning("sending %s failed (attempt %d: %s); retrying after %s", msg.key, attempts, error, now + delay)
        return f"failed: retry at {(now + delay).isoformat()}"

    def _mark_unreachable(self, person_id: str, channel: str, reason: str) -> None:
        # Re-read so that preferences changed in a conversation meanwhile are not overwritten.
        fresh = self.store.get_person(person_id)
        if fresh is None:
            return
        fresh.unreachable[channel] = reason
        self.store.upsert_person(fresh)

    def release(self) -> int:
        """Give back this service's unsent claims (graceful shutdown)."""
        return self.store.release_claims(owner=self.owner)


class Scheduler:
    """Runs reminder passes every interval seconds in a background thread."""

    def __init__(self, service: ReminderService, *, interval_seconds: float = 60.0) -> None:
        self.service = service
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_report: PassReport | None = None

    EVENT_MEMORY = timedelta(days=7)  # Slack retries within minutes and Teams within hours: a week is ample
    CARD_MEMORY = timedelta(days=60)  # a card's buttons still work after a paused dialog expires (30 days)

    def run_once(self) -> PassReport | None:
        try:
            self.service.store.prune_events(older_than=self.service.clock() - self.EVENT_MEMORY)
            self.service.store.prune_cards(older_than=self.service.clock() - self.CARD_MEMORY)
            self.last_report = self.service.run_pass()
        except StoreError as exc:
            log.warning("reminder pass skipped: the store failed (%s)", exc)
            return None
        except Exception:  # noqa: BLE001 - the scheduler must outlive one bad pass
            log.exception("reminder pass failed")
            return None
        return self.last_report

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval_seconds)

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        stopping = getattr(self.service, "stopping", None)
        if stopping is not None:
            stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="careerbot-reminders", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 30.0) -> None:
        self._stop.set()
        stopping = getattr(self.service, "stopping", None)
        if stopping is not None:
            stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        try:
            released = self.service.release()
            log.info("reminder scheduler stopped; %d claims released", released)
        except StoreError as exc:
            log.warning("could not release reminder claims (%s); their leases will expire", exc)
