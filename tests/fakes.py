"""Test doubles for milestones and reminders: an in-memory Store, recording notifiers and a small framework."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.conversation import DeliveryError, Reply
from bot.knowledge.model import Knowledge, build_knowledge
from bot.knowledge.schema import FrameworkFile
from bot.storage.base import Conflict, LedgerEntry, Person, Store, StoreError

# -- a small framework --------------------------------------------------------------------------------

_LEVELS = {"A": {"name": "Developing"}, "B": {"name": "Practising"}, "C": {"name": "Accomplished"}}


def _role(code: str, title: str, sections: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"code": code, "title": title, "levels": _LEVELS, "sections": sections or []}


def framework_files() -> list[FrameworkFile]:
    """001- and 003-like documents (with the SW3B conflict, the 6-12 range and the SW2B typo), an SCO
    document without time rules and a Kent-like grade without levels."""
    doc001 = {
        "document": {"id": "001", "title": "Social Worker career progression framework"},
        "roles": [
            _role("SW2", "Social Worker", [
                {"topic": "experience", "level": "B", "heading": "Level B (Practising) – Experience",
                 "items": ["2 years post qualifying experience"]},
            ]),
            _role("SW3", "Senior Social Worker", [
                {"topic": "experience", "level": "A", "heading": "Level A (Developing) – Experience",
                 "items": ["2-3 years relevant post qualifying experience.",
                           "Experience of providing supervision to SCOs and shadowing opportunities for students."]},
            ]),
            _role("SW4", "Team Manager", [
                {"topic": "experience", "level": "A", "heading": "Level A (Developing) – Experience",
                 "items": ["A minimum of 4 years relevant post qualifying experience."]},
            ]),
        ],
        "time_rules": [
            {"role": "SW3", "from_level": "B", "to_level": "C", "min_months": 12,
             "text": "Experience of successfully working at level SW3B for a minimum period of 12 months.",
             "heading": "Level C (Accomplished) – Experience", "line": 18},
        ],
    }
    doc003 = {
        "document": {"id": "003", "title": "ASC Social Workers Career Progression Framework Guide",
                     "organisation": "Medway Council"},
        "roles": [
            _role("SW2", "Social Worker", [
                {"topic": "evidence", "level": "B", "heading": "Evidence for progression to level SW2B – Experience",
                 "items": ["Minimum of 24 months experience at Level SW2A evidenced by HR records and/or "
                           "performance appraisal documents.",
                           {"text": "Evidence a minimum of 3 training courses attended or briefing sessions",
                            "note": "It is unclear whether briefing sessions count."}]},
                {"topic": "evidence", "level": "C", "heading": "Evidence for progression to level SW2C – Knowledge",
                 "items": ["Provide a written statement (max 500 words)"]},
            ]),
            _role("SW3", "Senior Social Worker", [
                {"topic": "evidence", "level": "A", "heading": "Evidence for progression to level SW3A – Experience",
                 "items": ["A minimum of 2-3 years relevant post qualifying experience",
                           "Discussion/ competency-based scenario interview questions"]},
                {"topic": "evidence", "level": "C", "heading": "Evidence for progression to level SW3C – Skills",
                 "items": ["Provide 2 case examples"]},
            ]),
            _role("SW4", "Team Manager", [
                {"topic": "evidence", "level": "C", "heading": "Evidence for progression to level SW4C – Experience",
                 "items": ["Minimum of 24 months experience at level SW2B evidenced by HR records and/or "
                           "performance appraisal documents."]},
            ]),
        ],
        "time_rules": [
            {"role": "SW2", "from_level": "A", "to_level": "B", "min_months": 24,
             "text": "Minimum of 24 months experience at Level SW2A evidenced by HR records and/or performance "
                     "appraisal documents.",
             "heading": "Evidence for progression to level SW2B – Experience", "line": 174},
            {"role": "SW2", "from_level": "B", "to_level": "C", "min_months": 6, "max_months": 12,
             "text": "Minimum of 6-12 months experience at Level SW2B evidenced by HR records and/or performance "
                     "appraisal.",
             "heading": "Evidence for progression to level SW2C – Experience", "line": 174},
            {"role": "SW3", "from_level": "A", "to_level": "B", "min_months": 12,
             "text": "A minimum of 12 months experience at level SW3A evidenced by HR records and/or performance "
                     "appraisal.",
             "heading": "Evidence for progression to level SW3B – Experience", "line": 189},
            {"role": "SW3", "from_level": "B", "to_level": "C", "min_months": 18,
             "text": "A minimum of 18 months experience at level SW3B evidenced by HR records and/or performance "
                     "appraisal.",
             "heading": "Evidence for progression to level SW3C – Experience", "line": 189},
            {"role": "SW4", "from_level": "A", "to_level": "B", "min_months": 12,
             "text": "Minimum of 12 months experience at level SW4A evidenced by HR records and/or performance "
                     "appraisal documents.",
             "heading": "Evidence for progression to level SW4B – Experience", "line": 223},
            {"role": "SW4", "from_level": "B", "to_level": "C", "min_months": 24,
             "text": "Minimum of 24 months experience at level SW2B evidenced by HR records and/or performance "
                     "appraisal documents.",
             "heading": "Evidence for progression to level SW4C – Experience", "line": 228,
             "note": "The source says SW2B in the Team Manager table; this is almost certainly a typo for SW4B."},
        ],
    }
    doc000 = {
        "document": {"id": "000", "title": "Social Care Officer career progression framework"},
        "roles": [_role("SCO", "Social Care Officer")],
    }
    doc002 = {
        "document": {"id": "002", "title": "Kent County Council job descriptions",
                     "organisation": "Kent County Council"},
        "roles": [{"code": "KR9", "title": "Social Worker", "grade": "KR9"}],
    }
    return [FrameworkFile.model_validate(d) for d in (doc001, doc003, doc000, doc002)]


def small_knowledge() -> Knowledge:
    return build_knowledge(framework_files(), None)


# -- an in-memory store ---------------------------------------------------------------------------------

class FakeStore(Store):
    """People and the reminder ledger in memory, with the ledger semantics of base.Store / SQLiteStore:
    a claim inserts with attempts 1; a take-over of an expired claim or a due failure adds an attempt."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.people: dict[str, Person] = {}
        self.entries: dict[str, LedgerEntry] = {}
        self.claim_calls = 0

    # lifecycle
    def migrate(self) -> int:
        return 1

    def schema_version(self) -> int:
        return 1

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass

    # people
    def upsert_person(self, person: Person) -> None:
        with self._lock:
            self.people[person.id] = copy.deepcopy(person)

    def upsert_people(self, people: list[Person]) -> None:
        with self._lock:
            for p in people:
                self.upsert_person(p)

    def get_person(self, person_id: str) -> Person | None:
        with self._lock:
            p = self.people.get(person_id)
            return copy.deepcopy(p) if p else None

    def find_person(self, *, slack_user_id: str | None = None, teams_user_id: str | None = None,
                    email: str | None = None) -> Person | None:
        with self._lock:
            for p in self.people.values():
                if (slack_user_id and p.slack_user_id == slack_user_id) or \
                        (teams_user_id and p.teams_user_id == teams_user_id) or (email and p.email == email):
                    return copy.deepcopy(p)
        return None

    def list_people(self) -> list[Person]:
        with self._lock:
            return [copy.deepcopy(p) for _, p in sorted(self.people.items())]

    def iter_people(self, *, batch_size: int = 1000) -> Iterator[Person]:
        yield from self.list_people()

    def list_reports(self, manager_id: str) -> list[Person]:
        return [p for p in self.list_people() if p.manager_id == manager_id]

    # not used by the reminder service
    def save_conversation_ref(self, person_id: str, channel: str, ref: dict[str, Any]) -> None:
        raise NotImplementedError

    def get_conversation_ref(self, person_id: str, channel: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def load_dialog(self, conversation_key: str) -> tuple[dict[str, Any] | None, int]:
        raise NotImplementedError

    def save_dialog(self, conversation_key: str, state: dict[str, Any] | None, *, expected_version: int) -> int:
        raise NotImplementedError

    def list_dialogs(self, *, person_id: str | None = None) -> list[tuple[str, dict[str, Any], int]]:
        raise NotImplementedError

    def add_record(self, person_id: str, kind: str, data: dict[str, Any], *, shared: bool = False) -> str:
        raise NotImplementedError

    def update_record(self, record_id: str, *, data: dict[str, Any] | None = None, shared: bool | None = None) -> None:
        raise NotImplementedError

    def list_records(self, person_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        raise NotImplementedError

    def delete_record(self, record_id: str) -> bool:
        raise NotImplementedError

    def remember_event(self, channel: str, event_id: str) -> bool:
        raise NotImplementedError

    def prune_events(self, *, older_than: datetime) -> int:
        return 0

    def save_card(self, key: str, card: dict[str, Any], *, person_id: str | None = None) -> None:
        raise NotImplementedError

    def get_card(self, key: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def prune_cards(self, *, older_than: datetime) -> int:
        return 0

    def export_person(self, person_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def delete_person(self, person_id: str) -> None:
        raise NotImplementedError

    # the ledger
    def claim_reminder(self, entry: LedgerEntry, *, owner: str, lease_seconds: int, now: datetime) -> bool:
        with self._lock:
            self.claim_calls += 1
            if entry.person_id not in self.people:
                raise StoreError(f"cannot claim a reminder for unknown person {entry.person_id!r}")
            until = now + timedelta(seconds=lease_seconds)
            e = self.entries.get(entry.key)
            if e is None:
                self.entries[entry.key] = LedgerEntry(
                    key=entry.key, person_id=entry.person_id, kind=entry.kind, due=entry.due,
                    payload=copy.deepcopy(entry.payload), status="claimed", attempts=1,
                    claimed_by=owner, claimed_until=until)
                return True
            live_own = e.status == "claimed" and e.claimed_by == owner and e.claimed_until is not None \
                and e.claimed_until > now
            takeable = (e.status == "claimed" and (e.claimed_until is None or e.claimed_until <= now
                                                   or e.claimed_by == owner)) or \
                (e.status == "failed" and (e.next_attempt_at is None or e.next_attempt_at <= now))
            if not takeable:
                return False
            e.attempts += 0 if live_own else 1
            e.status, e.claimed_by, e.claimed_until = "claimed", owner, until
            e.payload = copy.deepcopy(entry.payload)
            return True

    def _finish(self, key: str, owner: str, done_status: str) -> LedgerEntry | None:
        e = self.entries.get(key)
        if e is None:
            raise KeyError(key)
        if e.status == "claimed" and e.claimed_by == owner:
            return e
        if e.status == done_status and e.claimed_by == owner:
            return None
        raise Conflict(f"reminder {key!r} is no longer claimed by {owner!r}")

    def mark_sent(self, key: str, *, owner: str, now: datetime) -> None:
        with self._lock:
            e = self._finish(key, owner, "sent")
            if e:
                e.status, e.sent_at, e.claimed_until, e.next_attempt_at = "sent", now, None, None

    def mark_failed(self, key: str, *, owner: str, error: str, retry_at: datetime | None, now: datetime) -> None:
        with self._lock:
            status = "failed" if retry_at is not None else "dead"
            e = self._finish(key, owner, status)
            if e:
                e.status, e.next_attempt_at, e.last_error, e.claimed_until = status, retry_at, error, None

    def release_claims(self, *, owner: str) -> int:
        with self._lock:
            n = 0
            for e in self.entries.values():
                if e.claimed_by == owner and e.status == "claimed":
                    e.status, e.claimed_until, e.next_attempt_at, e.last_error = "failed", None, None, "released"
                    n += 1
            return n

    def ledger(self, *, person_id: str | None = None, status: str | None = None) -> list[LedgerEntry]:
        with self._lock:
            out = [copy.deepcopy(e) for e in self.entries.values()
                   if (person_id is None or e.person_id == person_id) and (status is None or e.status == status)]
        return sorted(out, key=lambda e: (e.due, e.key))

    def sent_count_since(self, person_id: str, since: datetime) -> int:
        with self._lock:
            return sum(1 for e in self.entries.values() if e.person_id == person_id and e.status == "sent"
                       and e.sent_at is not None and e.sent_at >= since)


# -- notifiers ------------------------------------------------------------------------------------------

@dataclass
class RecordingNotifier:
    """Remembers every message; optionally fails with the given errors first (one per send)."""

    name: str = "slack"
    errors: list[DeliveryError] = field(default_factory=list)
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    reach: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def can_reach(self, person: Any) -> bool:
        return self.reach

    def send(self, person: Any, reply: Reply) -> None:
        with self._lock:
            if self.errors:
                raise self.errors.pop(0)
            self.sent.append((person.id, reply))

    @property
    def keys(self) -> list[str]:
        return [r.meta["reminder_key"] for _, r in self.sent]


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now
