"""The storage port: what careerbot keeps, and the small contract every store implements."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

DEFAULT_TIMEZONE = "Europe/London"
DEFAULT_HOLIDAY_REGION = "england-and-wales"  # or "scotland", "northern-ireland"
HOLIDAY_REGIONS = ("england-and-wales", "scotland", "northern-ireland")
# save_dialog files a dialog under the person named by this key of its state (for list_dialogs and erasure).
DIALOG_PERSON_KEY = "person_id"


class StoreError(Exception):
    """The store could not be reached or failed; callers show a polite message and lose nothing."""


class Conflict(StoreError):
    """An optimistic write lost a race (the row changed since it was read); reload and retry."""


@dataclass
class ReminderPrefs:
    opted_out: bool = False
    snoozed_until: date | None = None
    weekly_cap: int = 3
    working_hours: tuple[int, int] = (9, 17)  # local hours, start inclusive, end exclusive
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday=0
    heads_up_weeks: int = 8
    next_supervision: date | None = None
    supervision_reminder_days: int | None = None  # None: no supervision reminder

    def to_dict(self) -> dict[str, Any]:
        return {
            "opted_out": self.opted_out,
            "snoozed_until": self.snoozed_until.isoformat() if self.snoozed_until else None,
            "weekly_cap": self.weekly_cap,
            "working_hours": list(self.working_hours),
            "working_days": list(self.working_days),
            "heads_up_weeks": self.heads_up_weeks,
            "next_supervision": self.next_supervision.isoformat() if self.next_supervision else None,
            "supervision_reminder_days": self.supervision_reminder_days,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ReminderPrefs:
        data = data or {}
        prefs = cls()
        if "opted_out" in data:
            prefs.opted_out = bool(data["opted_out"])
        if data.get("snoozed_until"):
            prefs.snoozed_until = date.fromisoformat(data["snoozed_until"])
        if data.get("weekly_cap") is not None:
            prefs.weekly_cap = int(data["weekly_cap"])
        if data.get("working_hours") is not None:
            prefs.working_hours = tuple(int(h) for h in data["working_hours"])  # type: ignore[assignment]
        if data.get("working_days") is not None:
            prefs.working_days = tuple(int(d) for d in data["working_days"])
        if data.get("heads_up_weeks") is not None:
            prefs.heads_up_weeks = int(data["heads_up_weeks"])
        if data.get("next_supervision"):
            prefs.next_supervision = date.fromisoformat(data["next_supervision"])
        if data.get("supervision_reminder_days") is not None:
            prefs.supervision_reminder_days = int(data["supervision_reminder_days"])
        return prefs


@dataclass
class Person:
    id: str  # careerbot's own id (HR staff number or chat-derived, e.g. "slack:T1:U123")
    display_name: str = ""
    email: str | None = None
    framework: str | None = None  # e.g. "medway-sw" (free text; informational)
    level_code: str | None = None  # canonical, e.g. "SW2B"
    level_since: date | None = None
    manager_id: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    holiday_region: str = DEFAULT_HOLIDAY_REGION
    prefs: ReminderPrefs = field(default_factory=ReminderPrefs)
    slack_user_id: str | None = None
    teams_user_id: str | None = None
    unreachable: dict[str, str] = field(default_factory=dict)  # channel -> reason


@dataclass
class LedgerEntry:
    key: str  # unique: person|milestone|kind|due date
    person_id: str
    kind: str
    due: date
    payload: dict[str, Any]
    status: str  # "claimed" | "sent" | "failed" | "dead"
    attempts: int = 0
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None


class Store(abc.ABC):
    """Everything careerbot persists. Every method is one transaction: it commits or changes nothing.

    Implementations: SQLiteStore (embedded default) and PostgresStore (several replicas).
    All datetimes are timezone-aware UTC.
    """

    #: True when every call is local and short (an embedded file, no network): an event loop may then call
    #: the store, and the core, directly instead of paying for a hop to a worker thread.
    embedded: bool = False

    # -- lifecycle ---------------------------------------------------------------------------
    @abc.abstractmethod
    def migrate(self) -> int:
        """Apply pending schema migrations; return the schema version now in force."""

    @abc.abstractmethod
    def schema_version(self) -> int: ...

    @abc.abstractmethod
    def ping(self) -> bool:
        """True when the store answers."""

    @abc.abstractmethod
    def close(self) -> None: ...

    # -- people ------------------------------------------------------------------------------
    @abc.abstractmethod
    def upsert_person(self, person: Person) -> None: ...

    @abc.abstractmethod
    def upsert_people(self, people: list[Person]) -> None:
        """All or nothing."""

    @abc.abstractmethod
    def get_person(self, person_id: str) -> Person | None: ...

    @abc.abstractmethod
    def find_person(self, *, slack_user_id: str | None = None, teams_user_id: str | None = None,
                    email: str | None = None) -> Person | None: ...

    @abc.abstractmethod
    def list_people(self) -> list[Person]: ...

    @abc.abstractmethod
    def iter_people(self, *, batch_size: int = 1000):
        """Yield every person, reading in batches (for reminder passes over many people)."""

    @abc.abstractmethod
    def list_reports(self, manager_id: str) -> list[Person]: ...

    # -- conversation references (for proactive messages) ------------------------------------------
    @abc.abstractmethod
    def save_conversation_ref(self, person_id: str, channel: str, ref: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    def get_conversation_ref(self, person_id: str, channel: str) -> dict[str, Any] | None: ...

    # -- dialog state (optimistic concurrency) -----------------------------------------------------
    @abc.abstractmethod
    def load_dialog(self, conversation_key: str) -> tuple[dict[str, Any] | None, int]:
        """(state, version); (None, 0) when there is none."""

    @abc.abstractmethod
    def save_dialog(self, conversation_key: str, state: dict[str, Any] | None, *, expected_version: int) -> int:
        """Write state (None deletes it) if the version is still expected_version; return the new
        version; raise Conflict otherwise."""

    @abc.abstractmethod
    def list_dialogs(self, *, person_id: str | None = None) -> list[tuple[str, dict[str, Any], int]]: ...

    # -- documents the person owns (assessments, check-ins) -------------------------------------
    @abc.abstractmethod
    def add_record(self, person_id: str, kind: str, data: dict[str, Any], *, shared: bool = False) -> str:
        """Store an assessment/check-in; return its id."""

    @abc.abstractmethod
    def update_record(self, record_id: str, *, data: dict[str, Any] | None = None,
                      shared: bool | None = None) -> None: ...

    @abc.abstractmethod
    def list_records(self, person_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        """Newest first; each {"id", "person_id", "kind", "data", "shared", "created_at"}."""

    @abc.abstractmethod
    def delete_record(self, record_id: str) -> bool:
        """Remove one record (a draft the person discarded); True if it was there."""

    # -- idempotency of incoming events ------------------------------------------------------------
    @abc.abstractmethod
    def remember_event(self, channel: str, event_id: str) -> bool:
        """True the first time an event id is seen; False for a replay."""

    @abc.abstractmethod
    def prune_events(self, *, older_than: datetime) -> int:
        """Forget event ids seen before a moment (platforms replay within minutes); return how many."""

    # -- cards sent with buttons (Teams) -------------------------------------------------------------
    @abc.abstractmethod
    def save_card(self, key: str, card: dict[str, Any], *, person_id: str | None = None) -> None:
        """Keep a card as it was sent (replacing any under the same key), to redraw it when a button is pressed.
        person_id: whose conversation it was in (their person id or Teams user id), so that erasing a person
        erases their cards too."""

    @abc.abstractmethod
    def get_card(self, key: str) -> dict[str, Any] | None:
        """The card saved under key, or None."""

    @abc.abstractmethod
    def prune_cards(self, *, older_than: datetime) -> int:
        """Forget cards saved before a moment; return how many."""

    # -- reminder ledger (exactly-once) ------------------------------------------------------------
    @abc.abstractmethod
    def claim_reminder(self, entry: LedgerEntry, *, owner: str, lease_seconds: int, now: datetime) -> bool:
        """Insert the entry as claimed by owner, or take over a failed/expired claim that is due.
        False when it is already sent, dead, or claimed by someone else within the lease."""

    @abc.abstractmethod
    def mark_sent(self, key: str, *, owner: str, now: datetime) -> None: ...

    @abc.abstractmethod
    def mark_failed(self, key: str, *, owner: str, error: str, retry_at: datetime | None, now: datetime) -> None:
        """retry_at None: give up (status dead)."""

    @abc.abstractmethod
    def release_claims(self, *, owner: str) -> int:
        """Give back every unsent claim of owner (graceful shutdown)."""

    @abc.abstractmethod
    def ledger(self, *, person_id: str | None = None, status: str | None = None) -> list[LedgerEntry]: ...

    @abc.abstractmethod
    def sent_count_since(self, person_id: str, since: datetime) -> int:
        """How many reminders were sent to the person since a moment (for the weekly cap)."""

    # -- personal data rights ------------------------------------------------------------------------
    @abc.abstractmethod
    def export_person(self, person_id: str) -> dict[str, Any]:
        """Everything held about the person, as plain data."""

    @abc.abstractmethod
    def delete_person(self, person_id: str) -> None:
        """Erase the person and everything they own, for real."""
