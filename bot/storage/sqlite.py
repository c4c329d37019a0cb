"""SQLiteStore: the embedded store (one file in the data dir, or ':memory:' for tests)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.storage import LEDGER_COLUMNS, MAX_ERROR_CHARS, PERSON_COLUMNS, require_utc, to_plain
from bot.storage.base import (
    DIALOG_PERSON_KEY,
    Conflict,
    LedgerEntry,
    Person,
    ReminderPrefs,
    Store,
    StoreError,
)
from bot.storage.migrations import apply_sqlite, sqlite_current_version

log = logging.getLogger(__name__)

_PERSON_COLUMNS = PERSON_COLUMNS
_LEDGER_COLUMNS = LEDGER_COLUMNS
_MAX_ERROR_CHARS = MAX_ERROR_CHARS


# -- value conversion: datetimes are fixed-width UTC ISO strings, so text comparison orders them ---------

def _ts(value: datetime | None) -> str | None:
    return None if value is None else require_utc(value).isoformat(timespec="microseconds")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _from_ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _from_day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _person_params(p: Person) -> tuple[Any, ...]:
    return (
        p.id, p.display_name or "", p.email, p.framework, p.level_code, _day(p.level_since), p.manager_id,
        p.timezone, p.holiday_region, _dumps(p.prefs.to_dict()), p.slack_user_id or None,
        p.teams_user_id or None, _dumps(dict(p.unreachable)),
    )


def _person(row: sqlite3.Row) -> Person:
    return Person(
        id=row["id"], display_name=row["display_name"], email=row["email"], framework=row["framework"],
        level_code=row["level_code"], level_since=_from_day(row["level_since"]), manager_id=row["manager_id"],
        timezone=row["timezone"], holiday_region=row["holiday_region"],
        prefs=ReminderPrefs.from_dict(json.loads(row["prefs"])), slack_user_id=row["slack_user_id"],
        teams_user_id=row["teams_user_id"], unreachable=json.loads(row["unreachable"]),
    )


def _entry(row: sqlite3.Row) -> LedgerEntry:
    return LedgerEntry(
        key=row["key"], person_id=row["person_id"], kind=row["kind"], due=date.fromisoformat(row["due"]),
        payload=json.loads(row["payload"]), status=row["status"], attempts=row["attempts"],
        claimed_by=row["claimed_by"], claimed_until=_from_ts(row["claimed_until"]),
        next_attempt_at=_from_ts(row["next_attempt_at"]), sent_at=_from_ts(row["sent_at"]),
        last_error=row["last_error"],
    )


def _record(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"], "person_id": row["person_id"], "kind": row["kind"], "data": json.loads(row["data"]),
        "shared": bool(row["shared"]), "created_at": _from_ts(row["created_at"]),
    }


class SQLiteStore(Store):
    """Store in one SQLite file (WAL), safe across threads and across processes sharing the file.

    File databases get one connection per thread, so readers never wait for each other. ':memory:'
    exists once per connection, so there it is one connection behind a lock.
    """

    embedded = True  # a local file: reads take microseconds, a WAL commit well under a millisecond

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000) -> None:
        self._path = str(path)
        self._memory = self._path == ":memory:"
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._local = threading.local()
        self._registry_lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.RLock()
        self._closed = False
        if not self._memory:
            try:
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
                # people's records: readable by careerbot's own user only (SQLite gives its -wal and -shm files
                # the same permissions), whatever the umask; an empty file is an empty database
                os.close(os.open(self._path, os.O_CREAT | os.O_RDWR, 0o600))
            except OSError as exc:
                raise StoreError(f"cannot create the database {self._path} (or its folder): {exc}") from exc

    # -- connections and transactions --------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            # check_same_thread off only so close() may close other threads' connections; each
            # connection is otherwise used by its own thread (or under the lock for ':memory:').
            conn = sqlite3.connect(
                self._path, timeout=self._busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self._memory:
                self._use_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, much faster
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite database {self._path}: {exc}") from exc
        return conn

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        # WAL is a property of the file, set once. Switching needs an exclusive lock and SQLite does
        # not apply busy_timeout to it, so two processes opening a new file at once must retry.
        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        while True:
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError("the store is closed")
        if self._memory:
            if self._shared is None:
                self._shared = self._open()
            return self._shared
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            with self._registry_lock:
                # Worker threads come and go; close what dead threads left behind.
                alive = []
                for thread, other in self._connections:
                    if thread.is_alive():
                        alive.append((thread, other))
                    else:
                        other.close()
                alive.append((threading.current_thread(), conn))
                self._connections = alive
        return conn

    @contextlib.contextmanager
    def _tx(self, *, write: bool, snapshot: bool = False, one_statement: bool = False
            ) -> Iterator[sqlite3.Connection]:
        lock = self._shared_lock if self._memory else contextlib.nullcontext()
        with lock:
            conn = self._connection()
            if ((not write and not snapshot) or one_statement) and not self._memory:
                # A read is one or a few SELECTs in autocommit mode: each sees a committed state, and
                # skipping BEGIN/COMMIT halves the statements on the busiest path (every message reads).
                # A write of one statement is atomic by itself in autocommit mode, just the same.
                try:
                    yield conn
                except sqlite3.Error as exc:
                    raise StoreError(f"database error: {exc}") from exc
                return
            try:
                # IMMEDIATE takes the write lock up front: a deferred transaction that later
                # upgrades can fail with SQLITE_BUSY at once instead of waiting busy_timeout.
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as exc:
                raise StoreError(f"the database is busy or unavailable: {exc}") from exc
            try:
                yield conn
            except BaseException as exc:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        log.exception("rollback failed")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"database error: {exc}") from exc
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(f"could not commit: {exc}") from exc

    # -- lifecycle ---------------------------------------------------------------------------------
    def migrate(self) -> int:
        with self._tx(write=True) as conn:
            return apply_sqlite(conn)

    def schema_version(self) -> int:
        with self._tx(write=False) as conn:
            return sqlite_current_version(conn)

    def ping(self) -> bool:
        try:
            with self._tx(write=False) as conn:
                conn.execute("SELECT 1").fetchone()
            return True
        except StoreError:
            return False

    def close(self) -> None:
        self._closed = True
        with self._shared_lock:
            if self._shared is not None:
                self._shared.close()
                self._shared = None
        with self._registry_lock:
            for _thread, conn in self._connections:
                conn.close()
            self._connections = []

    # -- people ------------------------------------------------------------------------------------
    def _upsert(self, conn: sqlite3.Connection, p: Person) -> None:
        if not p.id:
            raise ValueError("a person needs an id")
        now = _now()
        try:
            conn.execute(
                f"INSERT INTO people ({_PERSON_COLUMNS}, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, email = excluded.email, "
                "framework = excluded.framework, level_code = excluded.level_code, "
                "level_since = excluded.level_since, manager_id = excluded.manager_id, "
                "timezone = excluded.timezone, holiday_region = excluded.holiday_region, prefs = excluded.prefs, "
                "slack_user_id = excluded.slack_user_id, teams_user_id = excluded.teams_user_id, "
                "unreachable = excluded.unreachable, updated_at = excluded.updated_at",
                (*_person_params(p), now, now),
            )
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"person {p.id!r} clashes with someone already stored: {exc}") from exc

    def upsert_person(self, person: Person) -> None:
        with self._tx(write=True) as conn:
            self._upsert(conn, person)

    def upsert_people(self, people: list[Person]) -> None:
        with self._tx(write=True) as conn:
            for p in people:
                self._upsert(conn, p)

    def get_person(self, person_id: str) -> Person | None:
        with self._tx(write=False) as conn:
            row = conn.execute(f"SELECT {_PERSON_COLUMNS} FROM people WHERE id = ?", (person_id,)).fetchone()
        return _person(row) if row else None

    def find_person(self, *, slack_user_id: str | None = None, teams_user_id: str | None = None,
                    email: str | None = None) -> Person | None:
        """First match, trying the Slack id, then the Teams id, then the email (any case)."""
        lookups = []
        if slack_user_id:
            lookups.append(("slack_user_id = ?", slack_user_id))
        if teams_user_id:
            lookups.append(("teams_user_id = ?", teams_user_id))
        if email and email.strip():
            lookups.append(("lower(email) = lower(?)", email.strip()))
        if not lookups:
            return None
        with self._tx(write=False) as conn:
            for where, value in lookups:
                row = conn.execute(
                    f"SELECT {_PERSON_COLUMNS} FROM people WHERE {where} ORDER BY id LIMIT 1", (value,)
                ).fetchone()
                if row:
                    return _person(row)
        return None

    def list_people(self) -> list[Person]:
        with self._tx(write=False) as conn:
            rows = conn.execute(f"SELECT {_PERSON_COLUMNS} FROM people ORDER BY id").fetchall()
        return [_person(r) for r in rows]

    def iter_people(self, *, batch_size: int = 1000) -> Iterator[Person]:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        last = ""
        while True:
            # Keyset pages, one short transaction each: no lock is held while the caller works.
            with self._tx(write=False) as conn:
                rows = conn.execute(
                    f"SELECT {_PERSON_COLUMNS} FROM people WHERE id > ? ORDER BY id LIMIT ?", (last, batch_size)
                ).fetchall()
            if not rows:
                return
            for r in rows:
                yield _person(r)
            last = rows[-1]["id"]
            if len(rows) < batch_size:
                return

    def list_reports(self, manager_id: str) -> list[Person]:
        with self._tx(write=False) as conn:
            rows = conn.execute(
                f"SELECT {_PERSON_COLUMNS} FROM people WHERE manager_id = ? ORDER BY display_name, id",
                (manager_id,),
            ).fetchall()
        return [_person(r) for r in rows]

    # -- conversation references -------------------------------------------------------------------
    def save_conversation_ref(self, person_id: str, channel: str, ref: dict[str, Any]) -> None:
        with self._tx(write=True) as conn:
            try:
                conn.execute(
                    "INSERT INTO conversation_refs (person_id, channel, ref, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (person_id, channel) DO UPDATE SET ref = excluded.ref, "
                    "updated_at = excluded.updated_at",
                    (person_id, channel, _dumps(ref), _now()),
                )
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"no person {person_id!r} to keep a conversation reference for") from exc

    def get_conversation_ref(self, person_id: str, channel: str) -> dict[str, Any] | None:
        with self._tx(write=False) as conn:
            row = conn.execute(
                "SELECT ref FROM conversation_refs WHERE person_id = ? AND channel = ?", (person_id, channel)
            ).fetchone()
        return json.loads(row["ref"]) if row else None

    # -- dialog state ------------------------------------------------------------------------------
    def load_dialog(self, conversation_key: str) -> tuple[dict[str, Any] | None, int]:
        with self._tx(write=False) as conn:
            row = conn.execute(
                "SELECT state, version FROM dialogs WHERE conversation_key = ?", (conversation_key,)
            ).fetchone()
        return (json.loads(row["state"]), row["version"]) if row else (None, 0)

    def save_dialog(self, conversation_key: str, state: dict[str, Any] | None, *, expected_version: int) -> int:
        body = None if state is None else _dumps(state)
        owner_id = state.get(DIALOG_PERSON_KEY) if isinstance(state, dict) else None
        person_id = None if owner_id is None else str(owner_id)
        with self._tx(write=True) as conn:
            if state is None:
                cur = conn.execute(
                    "DELETE FROM dialogs WHERE conversation_key = ? AND version = ?",
                    (conversation_key, expected_version),
                )
                if cur.rowcount == 1:
                    return 0
                exists = conn.execute(
                    "SELECT 1 FROM dialogs WHERE conversation_key = ?", (conversation_key,)
                ).fetchone()
                if expected_version == 0 and not exists:
                    return 0
            elif expected_version == 0:
                cur = conn.execute(
                    "INSERT INTO dialogs (conversation_key, person_id, state, version, updated_at) "
                    "VALUES (?, ?, ?, 1, ?) ON CONFLICT (conversation_key) DO NOTHING",
                    (conversation_key, person_id, body, _now()),
                )
                if cur.rowcount == 1:
                    return 1
            else:
                cur = conn.execute(
                    "UPDATE dialogs SET state = ?, person_id = ?, version = version + 1, updated_at = ? "
                    "WHERE conversation_key = ? AND version = ?",
                    (body, person_id, _now(), conversation_key, expected_version),
                )
                if cur.rowcount == 1:
                    return expected_version + 1
        raise Conflict(f"dialog {conversation_key!r} changed since version {expected_version} was read")

    def list_dialogs(self, *, person_id: str | None = None) -> list[tuple[str, dict[str, Any], int]]:
        with self._tx(write=False) as conn:
            if person_id is None:
                rows = conn.execute("SELECT conversation_key, state, version FROM dialogs ORDER BY conversation_key")
            else:
                rows = conn.execute(
                    "SELECT conversation_key, state, version FROM dialogs WHERE person_id = ? "
                    "ORDER BY conversation_key",
                    (person_id,),
                )
            return [(r["conversation_key"], json.loads(r["state"]), r["version"]) for r in rows.fetchall()]

    # -- records -----------------------------------------------------------------------------------
    def add_record(self, person_id: str, kind: str, data: dict[str, Any], *, shared: bool = False) -> str:
        record_id = uuid.uuid4().hex
        now = _now()
        with self._tx(write=True) as conn:
            try:
                conn.execute(
                    "INSERT INTO records (id, person_id, kind, data, shared, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (record_id, person_id, kind, _dumps(data), int(bool(shared)), now, now),
                )
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"no person {person_id!r} to keep a record for") from exc
        return record_id

    def update_record(self, record_id: str, *, data: dict[str, Any] | None = None, shared: bool | None = None) -> None:
        with self._tx(write=True) as conn:
            cur = conn.execute(
                "UPDATE records SET data = COALESCE(?, data), shared = COALESCE(?, shared), updated_at = ? "
                "WHERE id = ?",
                (None if data is None else _dumps(data), None if shared is None else int(shared), _now(), record_id),
            )
            if cur.rowcount != 1:
                raise KeyError(f"no record {record_id!r}")

    def list_records(self, person_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, person_id, kind, data, shared, created_at FROM records WHERE person_id = ?"
        params: list[Any] = [person_id]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        with self._tx(write=False) as conn:
            rows = conn.execute(sql + " ORDER BY created_at DESC, seq DESC", params).fetchall()
        return [_record(r) for r in rows]

    def delete_record(self, record_id: str) -> bool:
        with self._tx(write=True) as conn:
            return conn.execute("DELETE FROM records WHERE id = ?", (record_id,)).rowcount == 1

    # -- incoming events ---------------------------------------------------------------------------
    def remember_event(self, channel: str, event_id: str) -> bool:
        # One statement is a transaction of its own: no BEGIN/COMMIT on a write that every message makes.
        with self._tx(write=True, one_statement=True) as conn:
            cur = conn.execute(
                "INSERT INTO events (channel, event_id, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT (channel, event_id) DO NOTHING",
                (channel, event_id, _now()),
            )
            return cur.rowcount == 1

    def prune_events(self, *, older_than: datetime) -> int:
        with self._tx(write=True) as conn:
            return conn.execute("DELETE FROM events WHERE seen_at < ?", (_ts(older_than),)).rowcount

    # -- cards -------------------------------------------------------------------------------------
    def save_card(self, key: str, card: dict[str, Any], *, person_id: str | None = None) -> None:
        with self._tx(write=True, one_statement=True) as conn:
            conn.execute(
                "INSERT INTO cards (key, person_id, data, saved_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at, "
                "person_id = COALESCE(excluded.person_id, cards.person_id)",
                (key, person_id, _dumps(card), _now()),
            )

    def get_card(self, key: str) -> dict[str, Any] | None:
        with self._tx(write=False) as conn:
            row = conn.execute("SELECT data FROM cards WHERE key = ?", (key,)).fetchone()
        return json.loads(row["data"]) if row else None

    def prune_cards(self, *, older_than: datetime) -> int:
        with self._tx(write=True) as conn:
            return conn.execute("DELETE FROM cards WHERE saved_at < ?", (_ts(older_than),)).rowcount

    # -- reminder ledger ---------------------------------------------------------------------------
    def claim_reminder(self, entry: LedgerEntry, *, owner: str, lease_seconds: int, now: datetime) -> bool:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        if not owner:
            raise ValueError("a claim needs an owner")
        at = _ts(now)
        until = _ts(now + timedelta(seconds=lease_seconds))
        payload = _dumps(entry.payload)
        with self._tx(write=True) as conn:
            try:
                cur = conn.execute(
                    f"INSERT INTO ledger ({_LEDGER_COLUMNS}, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, 'claimed', 1, ?, ?, NULL, NULL, NULL, ?, ?) "
                    "ON CONFLICT (key) DO NOTHING",
                    (entry.key, entry.person_id, entry.kind, entry.due.isoformat(), payload, owner, until, at, at),
                )
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"cannot claim a reminder for unknown person {entry.person_id!r}") from exc
            if cur.rowcount == 1:
                return True
            # The row exists: take it over only if nobody holds it. The same write transaction
            # (BEGIN IMMEDIATE) makes this conditional update race-free across processes.
            cur = conn.execute(
                "UPDATE ledger SET status = 'claimed', claimed_by = ?, claimed_until = ?, payload = ?, "
                "attempts = attempts + CASE WHEN status = 'claimed' AND claimed_by = ? AND claimed_until > ? "
                "THEN 0 ELSE 1 END, updated_at = ? "
                "WHERE key = ? AND ("
                "  (status = 'claimed' AND (claimed_until IS NULL OR claimed_until <= ? OR claimed_by = ?))"
                "  OR (status = 'failed' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)))",
                (owner, until, payload, owner, at, at, entry.key, at, owner, at),
            )
            return cur.rowcount == 1

    def _finish(self, conn: sqlite3.Connection, key: str, owner: str, sql: str, params: tuple[Any, ...],
                done_status: str) -> None:
        cur = conn.execute(sql, params)
        if cur.rowcount == 1:
            return
        row = conn.execute("SELECT status, claimed_by FROM ledger WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(f"no reminder {key!r} in the ledger")
        if row["status"] == done_status and row["claimed_by"] == owner:
            return  # a repeated call: already recorded
        log.warning("reminder %s: %s no longer holds the claim (status %s, held by %s)",
                    key, owner, row["status"], row["claimed_by"])
        raise Conflict(f"reminder {key!r} is no longer claimed by {owner!r}")

    def mark_sent(self, key: str, *, owner: str, now: datetime) -> None:
        at = _ts(now)
        with self._tx(write=True) as conn:
            self._finish(
                conn, key, owner,
                "UPDATE ledger SET status = 'sent', sent_at = ?, claimed_until = NULL, next_attempt_at = NULL, "
                "updated_at = ? WHERE key = ? AND claimed_by = ? AND status = 'claimed'",
                (at, at, key, owner), "sent",
            )

    def mark_failed(self, key: str, *, owner: str, error: str, retry_at: datetime | None, now: datetime) -> None:
        at = _ts(now)
        status = "failed" if retry_at is not None else "dead"
        with self._tx(write=True) as conn:
            self._finish(
                conn, key, owner,
                "UPDATE ledger SET status = ?, next_attempt_at = ?, last_error = ?, claimed_until = NULL, "
                "updated_at = ? WHERE key = ? AND claimed_by = ? AND status = 'claimed'",
                (status, _ts(retry_at), (error or "")[:_MAX_ERROR_CHARS], at, key, owner), status,
            )

    def release_claims(self, *, owner: str) -> int:
        with self._tx(write=True) as conn:
            # 'failed' with no next attempt: due again at once, for whichever replica comes next.
            cur = conn.execute(
                "UPDATE ledger SET status = 'failed', claimed_until = NULL, next_attempt_at = NULL, "
                "last_error = 'released at shutdown', updated_at = ? WHERE claimed_by = ? AND status = 'claimed'",
                (_now(), owner),
            )
            return cur.rowcount

    def ledger(self, *, person_id: str | None = None, status: str | None = None) -> list[LedgerEntry]:
        sql = f"SELECT {_LEDGER_COLUMNS} FROM ledger WHERE 1 = 1"
        params: list[Any] = []
        if person_id is not None:
            sql += " AND person_id = ?"
            params.append(person_id)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        with self._tx(write=False) as conn:
            rows = conn.execute(sql + " ORDER BY due, key", params).fetchall()
        return [_entry(r) for r in rows]

    def sent_count_since(self, person_id: str, since: datetime) -> int:
        with self._tx(write=False) as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM ledger WHERE person_id = ? AND status = 'sent' AND sent_at >= ?",
                (person_id, _ts(since)),
            ).fetchone()
        return int(row[0])

    # -- personal data rights ----------------------------------------------------------------------
    def export_person(self, person_id: str) -> dict[str, Any]:
        with self._tx(write=False, snapshot=True) as conn:  # several SELECTs: one consistent view
            row = conn.execute(f"SELECT {_PERSON_COLUMNS} FROM people WHERE id = ?", (person_id,)).fetchone()
            refs = conn.execute(
                "SELECT channel, ref FROM conversation_refs WHERE person_id = ? ORDER BY channel", (person_id,)
            ).fetchall()
            dialogs = conn.execute(
                "SELECT conversation_key, state, version FROM dialogs WHERE person_id = ? ORDER BY conversation_key",
                (person_id,),
            ).fetchall()
            records = conn.execute(
                "SELECT id, person_id, kind, data, shared, created_at FROM records WHERE person_id = ? "
                "ORDER BY created_at DESC, seq DESC",
                (person_id,),
            ).fetchall()
            entries = conn.execute(
                f"SELECT {_LEDGER_COLUMNS} FROM ledger WHERE person_id = ? ORDER BY due, key", (person_id,)
            ).fetchall()
            reports = conn.execute("SELECT id FROM people WHERE manager_id = ? ORDER BY id", (person_id,)).fetchall()
        return to_plain({
            "person": _person(row) if row else None,
            "conversation_refs": {r["channel"]: json.loads(r["ref"]) for r in refs},
            "dialogs": [
                {"conversation_key": d["conversation_key"], "state": json.loads(d["state"]), "version": d["version"]}
                for d in dialogs
            ],
            "records": [_record(r) for r in records],
            "reminders": [_entry(e) for e in entries],
            "reports": [r["id"] for r in reports],
        })

    def delete_person(self, person_id: str) -> None:
        with self._tx(write=True) as conn:
            # Explicit deletes, not only ON DELETE CASCADE: dialogs carry no foreign key, and erasure
            # must not depend on a pragma being on.
            row = conn.execute("SELECT teams_user_id FROM people WHERE id = ?", (person_id,)).fetchone()
            if row and row["teams_user_id"]:  # cards sent in a turn are kept under the Teams user id
                conn.execute("DELETE FROM cards WHERE person_id = ?", (row["teams_user_id"],))
            for table in ("ledger", "records", "conversation_refs", "dialogs", "cards"):
                conn.execute(f"DELETE FROM {table} WHERE person_id = ?", (person_id,))
            conn.execute("UPDATE people SET manager_id = NULL, updated_at = ? WHERE manager_id = ?",
                         (_now(), person_id))
            conn.execute("DELETE FROM people WHERE id = ?", (person_id,))
        log.info("erased person %s and everything they own", person_id)
