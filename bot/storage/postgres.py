"""PostgresStore: the shared store when several careerbot replicas use one PostgreSQL database."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import psycopg
import psycopg.errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

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
from bot.storage.migrations import apply_postgres, postgres_current_version

log = logging.getLogger(__name__)

T = TypeVar("T")

_PERSON_COLUMNS = PERSON_COLUMNS
_LEDGER_COLUMNS = LEDGER_COLUMNS
_MAX_ERROR_CHARS = MAX_ERROR_CHARS


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else require_utc(value)


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _dumps(value: Any) -> str:
    # Serialised here rather than by psycopg so both stores reject the same unserialisable values.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _person_params(p: Person) -> tuple[Any, ...]:
    return (
        p.id, p.display_name or "", p.email, p.framework, p.level_code, p.level_since, p.manager_id,
        p.timezone, p.holiday_region, _dumps(p.prefs.to_dict()), p.slack_user_id or None,
        p.teams_user_id or None, _dumps(dict(p.unreachable)),
    )


def _person(row: dict[str, Any]) -> Person:
    return Person(
        id=row["id"], display_name=row["display_name"], email=row["email"], framework=row["framework"],
        level_code=row["level_code"], level_since=row["level_since"], manager_id=row["manager_id"],
        timezone=row["timezone"], holiday_region=row["holiday_region"], prefs=ReminderPrefs.from_dict(row["prefs"]),
        slack_user_id=row["slack_user_id"], teams_user_id=row["teams_user_id"], unreachable=dict(row["unreachable"]),
    )


def _entry(row: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        key=row["key"], person_id=row["person_id"], kind=row["kind"], due=row["due"], payload=row["payload"],
        status=row["status"], attempts=row["attempts"], claimed_by=row["claimed_by"],
        claimed_until=_utc(row["claimed_until"]), next_attempt_at=_utc(row["next_attempt_at"]),
        sent_at=_utc(row["sent_at"]), last_error=row["last_error"],
    )


def _record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "person_id": row["person_id"], "kind": row["kind"], "data": row["data"],
        "shared": bool(row["shared"]), "created_at": _utc(row["created_at"]),
    }


def redact(url: str) -> str:
    """The URL without its password, for logs and messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return "<unparsable database URL>"
    return f"postgresql://{parts.get('user', '')}@{parts.get('host', '')}:{parts.get('port', '5432')}/" \
           f"{parts.get('dbname', '')}"


class PostgresStore(Store):
    """Store in PostgreSQL, one connection per thread (psycopg_pool is not a dependency).

    The schema is the first one on the search_path, so a URL with
    '?options=-csearch_path%3Dtenant_a' keeps a store inside that schema.
    """

    def __init__(self, url: str, *, connect_timeout: int = 5, statement_timeout_ms: int = 15000) -> None:
        try:
            parts = conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise ValueError(f"invalid PostgreSQL URL ({exc.__class__.__name__})") from None
        self._url = url
        self._label = redact(url)
        self._connect_kwargs: dict[str, Any] = {"autocommit": True, "row_factory": dict_row}
        if "connect_timeout" not in parts:
            self._connect_kwargs["connect_timeout"] = connect_timeout
        if "application_name" not in parts:
            self._connect_kwargs["application_name"] = "careerbot"
        self._statement_timeout_ms = int(statement_timeout_ms)
        self._local = threading.local()
        self._registry_lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, psycopg.Connection]] = []
        self._closed = False

    # -- connections and transactions --------------------------------------------------------------
    def _open(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self._url, **self._connect_kwargs)
        except psycopg.Error as exc:
            log.warning("cannot reach PostgreSQL at %s: %s", self._label, exc.__class__.__name__)
            raise StoreError(f"cannot reach the database at {self._label}") from exc
        try:
            # A bound on every statement and lock wait: a replica must never hang on the database.
            conn.execute(f"SET statement_timeout = {self._statement_timeout_ms}")
            conn.execute(f"SET lock_timeout = {self._statement_timeout_ms}")
            conn.execute("SET idle_in_transaction_session_timeout = 60000")
            conn.execute("SET TIME ZONE 'UTC'")
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(f"cannot prepare the database session at {self._label}") from exc
        return conn

    def _connection(self) -> psycopg.Connection:
        if self._closed:
            raise StoreError("the store is closed")
        conn: psycopg.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and (conn.closed or conn.broken):
            self._discard(conn)
            conn = None
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

    def _discard(self, conn: psycopg.Connection) -> None:
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None
        with self._registry_lock:
            self._connections = [(t, c) for t, c in self._connections if c is not conn]
        try:
            conn.close()
        except psycopg.Error:
            pass

    def _run(self, body: Callable[[psycopg.Connection], T]) -> T:
        """Run body in one transaction. A connection found dead before commit (database restart,
        idle connection cut) is replaced and the body retried once: nothing of it was committed."""
        for attempt in (1, 2):
            conn = self._connection()
            committing = False
            try:
                with conn.transaction():
                    result = body(conn)
                    committing = True
                return result
            except psycopg.Error as exc:
                broken = conn.broken or conn.closed
                if broken:
                    self._discard(conn)
                if broken and not committing and attempt == 1:
                    log.warning("lost the connection to %s; reconnecting", self._label)
                    continue
                if isinstance(exc, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable):
                    raise StoreError("the database took too long to answer") from exc
                if broken:
                    raise StoreError(f"lost the connection to the database at {self._label}") from exc
                raise StoreError(f"database error: {exc.__class__.__name__}: {exc}") from exc
        raise AssertionError("unreachable")

    # -- lifecycle ---------------------------------------------------------------------------------
    def migrate(self) -> int:
        return self._run(apply_postgres)

    def schema_version(self) -> int:
        return self._run(postgres_current_version)

    def ping(self) -> bool:
        try:
            self._run(lambda conn: conn.execute("SELECT 1").fetchone())
            return True
        except StoreError:
            return False

    def close(self) -> None:
        self._closed = True
        with self._registry_lock:
            connections, self._connections = self._connections, []
        for _thread, conn in connections:
            try:
                conn.close()
            except psycopg.Error:
                pass

    # -- people ------------------------------------------------------------------------------------
    @staticmethod
    def _upsert(conn: psycopg.Connection, p: Person) -> None:
        if not p.id:
            raise ValueError("a person needs an id")
        try:
            # A savepoint so the clash is reported as ours, with the transaction still usable to roll back.
            with conn.transaction():
                conn.execute(
                    f"INSERT INTO people ({_PERSON_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s::jsonb) "
                    "ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, email = excluded.email, "
                    "framework = excluded.framework, level_code = excluded.level_code, "
                    "level_since = excluded.level_since, manager_id = excluded.manager_id, "
                    "timezone = excluded.timezone, holiday_region = excluded.holiday_region, "
                    "prefs = excluded.prefs, slack_user_id = excluded.slack_user_id, "
                    "teams_user_id = excluded.teams_user_id, unreachable = excluded.unreachable, updated_at = now()",
                    _person_params(p),
                )
        except psycopg.errors.UniqueViolation as exc:
            raise StoreError(f"person {p.id!r} clashes with someone already stored: {exc.diag.message_detail}") \
                from exc

    def upsert_person(self, person: Person) -> None:
        self._run(lambda conn: self._upsert(conn, person))

    def upsert_people(self, people: list[Person]) -> None:
        def body(conn: psycopg.Connection) -> None:
            for p in people:
                self._upsert(conn, p)

        self._run(body)

    def get_person(self, person_id: str) -> Person | None:
        row = self._run(
            lambda conn: conn.execute(f"SELECT {_PERSON_COLUMNS} FROM people WHERE id = %s", (person_id,)).fetchone()
        )
        return _person(row) if row else None

    def find_person(self, *, slack_user_id: str | None = None, teams_user_id: str | None = None,
                    email: str | None = None) -> Person | None:
        """First match, trying the Slack id, then the Teams id, then the email (any case)."""
        lookups = []
        if slack_user_id:
            lookups.append(("slack_user_id = %s", slack_user_id))
        if teams_user_id:
            lookups.append(("teams_user_id = %s", teams_user_id))
        if email and email.strip():
            lookups.append(("lower(email) = lower(%s)", email.strip()))
        if not lookups:
            return None

        def body(conn: psycopg.Connection) -> dict[str, Any] | None:
            for where, value in lookups:
                row = conn.execute(
                    f"SELECT {_PERSON_COLUMNS} FROM people WHERE {where} ORDER BY id LIMIT 1", (value,)
                ).fetchone()
                if row:
                    return row
            return None

        row = self._run(body)
        return _person(row) if row else None

    def list_people(self) -> list[Person]:
        rows = self._run(lambda conn: conn.execute(f"SELECT {_PERSON_COLUMNS} FROM people ORDER BY id").fetchall())
        return [_person(r) for r in rows]

    def iter_people(self, *, batch_size: int = 1000) -> Iterator[Person]:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        last = ""
        while True:
            # Keyset pages, one short transaction each: nothing stays open while the caller works.
            rows = self._run(
                lambda conn, after=last: conn.execute(
                    f"SELECT {_PERSON_COLUMNS} FROM people WHERE id > %s ORDER BY id LIMIT %s", (after, batch_size)
                ).fetchall()
            )
            if not rows:
                return
            for r in rows:
                yield _person(r)
            last = rows[-1]["id"]
            if len(rows) < batch_size:
                return

    def list_reports(self, manager_id: str) -> list[Person]:
        rows = self._run(
            lambda conn: conn.execute(
                f"SELECT {_PERSON_COLUMNS} FROM people WHERE manager_id = %s ORDER BY display_name, id",
                (manager_id,),
            ).fetchall()
        )
        return [_person(r) for r in rows]

    # -- conversation references -------------------------------------------------------------------
    def save_conversation_ref(self, person_id: str, channel: str, ref: dict[str, Any]) -> None:
        body_json = _dumps(ref)

        def body(conn: psycopg.Connection) -> None:
            try:
                with conn.transaction():
                    conn.execute(
                        "INSERT INTO conversation_refs (person_id, channel, ref) VALUES (%s, %s, %s::jsonb) "
                        "ON CONFLICT (person_id, channel) DO UPDATE SET ref = excluded.ref, updated_at = now()",
                        (person_id, channel, body_json),
                    )
            except psycopg.errors.ForeignKeyViolation as exc:
                raise StoreError(f"no person {person_id!r} to keep a conversation reference for") from exc

        self._run(body)

    def get_conversation_ref(self, person_id: str, channel: str) -> dict[str, Any] | None:
        row = self._run(
            lambda conn: conn.execute(
                "SELECT ref FROM conversation_refs WHERE person_id = %s AND channel = %s", (person_id, channel)
            ).fetchone()
        )
        return row["ref"] if row else None

    # -- dialog state ------------------------------------------------------------------------------
    def load_dialog(self, conversation_key: str) -> tuple[dict[str, Any] | None, int]:
        row = self._run(
            lambda conn: conn.execute(
                "SELECT state, version FROM dialogs WHERE conversation_key = %s", (conversation_key,)
            ).fetchone()
        )
        return (row["state"], row["version"]) if row else (None, 0)

    def save_dialog(self, conversation_key: str, state: dict[str, Any] | None, *, expected_version: int) -> int:
        state_json = None if state is None else _dumps(state)
        owner_id = state.get(DIALOG_PERSON_KEY) if isinstance(state, dict) else None
        person_id = None if owner_id is None else str(owner_id)

        def body(conn: psycopg.Connection) -> int | None:
            # Each branch is one conditional statement: under READ COMMITTED a concurrent writer
            # blocks on the row and then re-checks the version, so exactly one of two racers wins.
            if state is None:
                cur = conn.execute(
                    "DELETE FROM dialogs WHERE conversation_key = %s AND version = %s",
                    (conversation_key, expected_version),
                )
                if cur.rowcount == 1:
                    return 0
                exists = conn.execute(
                    "SELECT 1 FROM dialogs WHERE conversation_key = %s", (conversation_key,)
                ).fetchone()
                return 0 if expected_version == 0 and not exists else None
            if expected_version == 0:
                cur = conn.execute(
                    "INSERT INTO dialogs (conversation_key, person_id, state, version) VALUES (%s, %s, %s::jsonb, 1) "
                    "ON CONFLICT (conversation_key) DO NOTHING",
                    (conversation_key, person_id, state_json),
                )
                return 1 if cur.rowcount == 1 else None
            cur = conn.execute(
                "UPDATE dialogs SET state = %s::jsonb, person_id = %s, version = version + 1, updated_at = now() "
                "WHERE conversation_key = %s AND version = %s",
                (state_json, person_id, conversation_key, expected_version),
            )
            return expected_version + 1 if cur.rowcount == 1 else None

        version = self._run(body)
        if version is None:
            raise Conflict(f"dialog {conversation_key!r} changed since version {expected_version} was read")
        return version

    def list_dialogs(self, *, person_id: str | None = None) -> list[tuple[str, dict[str, Any], int]]:
        def body(conn: psycopg.Connection) -> list[dict[str, Any]]:
            if person_id is None:
                return conn.execute(
                    "SELECT conversation_key, state, version FROM dialogs ORDER BY conversation_key"
                ).fetchall()
            return conn.execute(
                "SELECT conversation_key, state, version FROM dialogs WHERE person_id = %s ORDER BY conversation_key",
                (person_id,),
            ).fetchall()

        return [(r["conversation_key"], r["state"], r["version"]) for r in self._run(body)]

    # -- records -----------------------------------------------------------------------------------
    def add_record(self, person_id: str, kind: str, data: dict[str, Any], *, shared: bool = False) -> str:
        record_id = uuid.uuid4().hex
        data_json = _dumps(data)

        def body(conn: psycopg.Connection) -> None:
            try:
                with conn.transaction():
                    conn.execute(
                        "INSERT INTO records (id, person_id, kind, data, shared, created_at, updated_at) "
                        "VALUES (%s, %s, %s, %s::jsonb, %s, clock_timestamp(), clock_timestamp())",
                        (record_id, person_id, kind, data_json, bool(shared)),
                    )
            except psycopg.errors.ForeignKeyViolation as exc:
                raise StoreError(f"no person {person_id!r} to keep a record for") from exc

        self._run(body)
        return record_id

    def update_record(self, record_id: str, *, data: dict[str, Any] | None = None, shared: bool | None = None) -> None:
        data_json = None if data is None else _dumps(data)
        cur_rows = self._run(
            lambda conn: conn.execute(
                "UPDATE records SET data = COALESCE(%s::jsonb, data), shared = COALESCE(%s, shared), "
                "updated_at = clock_timestamp() WHERE id = %s",
                (data_json, shared, record_id),
            ).rowcount
        )
        if cur_rows != 1:
            raise KeyError(f"no record {record_id!r}")

    def list_records(self, person_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, person_id, kind, data, shared, created_at FROM records WHERE person_id = %s"
        params: list[Any] = [person_id]
        if kind is not None:
            sql += " AND kind = %s"
            params.append(kind)
        rows = self._run(lambda conn: conn.execute(sql + " ORDER BY created_at DESC, seq DESC", params).fetchall())
        return [_record(r) for r in rows]

    def delete_record(self, record_id: str) -> bool:
        return self._run(lambda conn: conn.execute("DELETE FROM records WHERE id = %s", (record_id,)).rowcount) == 1

    # -- incoming events ---------------------------------------------------------------------------
    def remember_event(self, channel: str, event_id: str) -> bool:
        return self._run(
            lambda conn: conn.execute(
                "INSERT INTO events (channel, event_id) VALUES (%s, %s) ON CONFLICT (channel, event_id) DO NOTHING",
                (channel, event_id),
            ).rowcount
            == 1
        )

    def prune_events(self, *, older_than: datetime) -> int:
        when = _aware(older_than)
        return self._run(lambda conn: conn.execute("DELETE FROM events WHERE seen_at < %s", (when,)).rowcount)

    # -- cards -------------------------------------------------------------------------------------
    def save_card(self, key: str, card: dict[str, Any], *, person_id: str | None = None) -> None:
        data = _dumps(card)
        self._run(lambda conn: conn.execute(
            "INSERT INTO cards (key, person_id, data) VALUES (%s, %s, %s::jsonb) "
            "ON CONFLICT (key) DO UPDATE SET data = excluded.data, saved_at = now(), "
            "person_id = COALESCE(excluded.person_id, cards.person_id)",
            (key, person_id, data),
        ))

    def get_card(self, key: str) -> dict[str, Any] | None:
        row = self._run(lambda conn: conn.execute("SELECT data FROM cards WHERE key = %s", (key,)).fetchone())
        return row["data"] if row else None

    def prune_cards(self, *, older_than: datetime) -> int:
        when = _aware(older_than)
        return self._run(lambda conn: conn.execute("DELETE FROM cards WHERE saved_at < %s", (when,)).rowcount)

    # -- reminder ledger ---------------------------------------------------------------------------
    def claim_reminder(self, entry: LedgerEntry, *, owner: str, lease_seconds: int, now: datetime) -> bool:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        if not owner:
            raise ValueError("a claim needs an owner")
        at = _aware(now)
        assert at is not None
        until = at + timedelta(seconds=lease_seconds)
        payload = _dumps(entry.payload)

        def body(conn: psycopg.Connection) -> bool:
            try:
                with conn.transaction():
                    inserted = conn.execute(
                        f"INSERT INTO ledger ({_LEDGER_COLUMNS}) "
                        "VALUES (%s, %s, %s, %s, %s::jsonb, 'claimed', 1, %s, %s, NULL, NULL, NULL) "
                        "ON CONFLICT (key) DO NOTHING RETURNING key",
                        (entry.key, entry.person_id, entry.kind, entry.due, payload, owner, until),
                    ).fetchone()
            except psycopg.errors.ForeignKeyViolation as exc:
                raise StoreError(f"cannot claim a reminder for unknown person {entry.person_id!r}") from exc
            if inserted:
                return True
            # The row exists. This UPDATE re-checks its WHERE on the latest row version after any
            # concurrent claimer commits, so of two racing replicas only one gets a row back.
            taken = conn.execute(
                "UPDATE ledger SET status = 'claimed', claimed_by = %(owner)s, claimed_until = %(until)s, "
                "payload = %(payload)s::jsonb, "
                "attempts = attempts + CASE WHEN status = 'claimed' AND claimed_by = %(owner)s "
                "AND claimed_until > %(at)s THEN 0 ELSE 1 END, updated_at = now() "
                "WHERE key = %(key)s AND ("
                "  (status = 'claimed' AND (claimed_until IS NULL OR claimed_until <= %(at)s"
                "   OR claimed_by = %(owner)s))"
                "  OR (status = 'failed' AND (next_attempt_at IS NULL OR next_attempt_at <= %(at)s))) "
                "RETURNING key",
                {"owner": owner, "until": until, "payload": payload, "at": at, "key": entry.key},
            ).fetchone()
            return taken is not None

        return self._run(body)

    @staticmethod
    def _finish(conn: psycopg.Connection, key: str, owner: str, sql: str, params: tuple[Any, ...],
                done_status: str) -> None:
        if conn.execute(sql, params).rowcount == 1:
            return
        row = conn.execute("SELECT status, claimed_by FROM ledger WHERE key = %s", (key,)).fetchone()
        if row is None:
            raise KeyError(f"no reminder {key!r} in the ledger")
        if row["status"] == done_status and row["claimed_by"] == owner:
            return  # a repeated call: already recorded
        log.warning("reminder %s: %s no longer holds the claim (status %s, held by %s)",
                    key, owner, row["status"], row["claimed_by"])
        raise Conflict(f"reminder {key!r} is no longer claimed by {owner!r}")

    def mark_sent(self, key: str, *, owner: str, now: datetime) -> None:
        at = _aware(now)
        self._run(lambda conn: self._finish(
            conn, key, owner,
            "UPDATE ledger SET status = 'sent', sent_at = %s, claimed_until = NULL, next_attempt_at = NULL, "
            "updated_at = now() WHERE key = %s AND claimed_by = %s AND status = 'claimed'",
            (at, key, owner), "sent",
        ))

    def mark_failed(self, key: str, *, owner: str, error: str, retry_at: datetime | None, now: datetime) -> None:
        _aware(now)
        status = "failed" if retry_at is not None else "dead"
        self._run(lambda conn: self._finish(
            conn, key, owner,
            "UPDATE ledger SET status = %s, next_attempt_at = %s, last_error = %s, claimed_until = NULL, "
            "updated_at = now() WHERE key = %s AND claimed_by = %s AND status = 'claimed'",
            (status, _aware(retry_at), (error or "")[:_MAX_ERROR_CHARS], key, owner), status,
        ))

    def release_claims(self, *, owner: str) -> int:
        # 'failed' with no next attempt: due again at once, for whichever replica comes next.
        return self._run(
            lambda conn: conn.execute(
                "UPDATE ledger SET status = 'failed', claimed_until = NULL, next_attempt_at = NULL, "
                "last_error = 'released at shutdown', updated_at = now() "
                "WHERE claimed_by = %s AND status = 'claimed'",
                (owner,),
            ).rowcount
        )

    def ledger(self, *, person_id: str | None = None, status: str | None = None) -> list[LedgerEntry]:
        sql = f"SELECT {_LEDGER_COLUMNS} FROM ledger WHERE true"
        params: list[Any] = []
        if person_id is not None:
            sql += " AND person_id = %s"
            params.append(person_id)
        if status is not None:
            sql += " AND status = %s"
            params.append(status)
        rows = self._run(lambda conn: conn.execute(sql + " ORDER BY due, key", params).fetchall())
        return [_entry(r) for r in rows]

    def sent_count_since(self, person_id: str, since: datetime) -> int:
        row = self._run(
            lambda conn: conn.execute(
                "SELECT COUNT(*) AS n FROM ledger WHERE person_id = %s AND status = 'sent' AND sent_at >= %s",
                (person_id, _aware(since)),
            ).fetchone()
        )
        return int(row["n"])

    # -- personal data rights ----------------------------------------------------------------------
    def export_person(self, person_id: str) -> dict[str, Any]:
        def body(conn: psycopg.Connection) -> dict[str, Any]:
            # One snapshot for all the reads, so the export is consistent with itself.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            one = (person_id,)
            return {
                "person": conn.execute(f"SELECT {_PERSON_COLUMNS} FROM people WHERE id = %s", one).fetchone(),
                "refs": conn.execute(
                    "SELECT channel, ref FROM conversation_refs WHERE person_id = %s ORDER BY channel", one
                ).fetchall(),
                "dialogs": conn.execute(
                    "SELECT conversation_key, state, version FROM dialogs WHERE person_id = %s "
                    "ORDER BY conversation_key", one
                ).fetchall(),
                "records": conn.execute(
                    "SELECT id, person_id, kind, data, shared, created_at FROM records WHERE person_id = %s "
                    "ORDER BY created_at DESC, seq DESC", one
                ).fetchall(),
                "ledger": conn.execute(
                    f"SELECT {_LEDGER_COLUMNS} FROM ledger WHERE person_id = %s ORDER BY due, key", one
                ).fetchall(),
                "reports": conn.execute("SELECT id FROM people WHERE manager_id = %s ORDER BY id", one).fetchall(),
            }

        raw = self._run(body)
        return to_plain({
            "person": _person(raw["person"]) if raw["person"] else None,
            "conversation_refs": {r["channel"]: r["ref"] for r in raw["refs"]},
            "dialogs": [
                {"conversation_key": d["conversation_key"], "state": d["state"], "version": d["version"]}
                for d in raw["dialogs"]
            ],
            "records": [_record(r) for r in raw["records"]],
            "reminders": [_entry(e) for e in raw["ledger"]],
            "reports": [r["id"] for r in raw["reports"]],
        })

    def delete_person(self, person_id: str) -> None:
        def body(conn: psycopg.Connection) -> None:
            # Explicit deletes, not only ON DELETE CASCADE: dialogs carry no foreign key.
            row = conn.execute("SELECT teams_user_id FROM people WHERE id = %s", (person_id,)).fetchone()
            if row and row["teams_user_id"]:  # cards sent in a turn are kept under the Teams user id
                conn.execute("DELETE FROM cards WHERE person_id = %s", (row["teams_user_id"],))
            for table in ("ledger", "records", "conversation_refs", "dialogs", "cards"):
                conn.execute(f"DELETE FROM {table} WHERE person_id = %s", (person_id,))
            conn.execute("UPDATE people SET manager_id = NULL, updated_at = now() WHERE manager_id = %s", (person_id,))
            conn.execute("DELETE FROM people WHERE id = %s", (person_id,))

        self._run(body)
        log.info("erased person %s and everything they own", person_id)
