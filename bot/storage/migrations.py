"""Versioned schema migrations for both stores, and the schema_version table that records them."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.storage.base import StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sqlite: tuple[str, ...]  # one statement each: sqlite3 cannot run a script inside our transaction
    postgres: tuple[str, ...]


_LEDGER_STATUSES = "('claimed', 'sent', 'failed', 'dead')"

_SQLITE_V1 = (
    """CREATE TABLE people (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL DEFAULT '',
        email TEXT,
        framework TEXT,
        level_code TEXT,
        level_since TEXT,
        manager_id TEXT,
        timezone TEXT NOT NULL DEFAULT 'Europe/London',
        holiday_region TEXT NOT NULL DEFAULT 'england-and-wales',
        prefs TEXT NOT NULL DEFAULT '{}',
        slack_user_id TEXT UNIQUE,
        teams_user_id TEXT UNIQUE,
        unreachable TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX people_manager_idx ON people (manager_id)",
    "CREATE INDEX people_email_idx ON people (lower(email))",
    """CREATE TABLE conversation_refs (
        person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        ref TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (person_id, channel)
    )""",
    """CREATE TABLE dialogs (
        conversation_key TEXT PRIMARY KEY,
        person_id TEXT,
        state TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version > 0),
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX dialogs_person_idx ON dialogs (person_id)",
    """CREATE TABLE records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        shared INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX records_person_idx ON records (person_id, created_at)",
    """CREATE TABLE events (
        channel TEXT NOT NULL,
        event_id TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (channel, event_id)
    )""",
    "CREATE INDEX events_seen_idx ON events (seen_at)",
    f"""CREATE TABLE ledger (
        key TEXT PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        due TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN {_LEDGER_STATUSES}),
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_by TEXT,
        claimed_until TEXT,
        next_attempt_at TEXT,
        sent_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX ledger_person_idx ON ledger (person_id, status)",
    "CREATE INDEX ledger_sent_idx ON ledger (person_id, sent_at) WHERE status = 'sent'",
)

_POSTGRES_V1 = (
    """CREATE TABLE people (
        id text PRIMARY KEY,
        display_name text NOT NULL DEFAULT '',
        email text,
        framework text,
        level_code text,
        level_since date,
        manager_id text,
        timezone text NOT NULL DEFAULT 'Europe/London',
        holiday_region text NOT NULL DEFAULT 'england-and-wales',
        prefs jsonb NOT NULL DEFAULT '{}',
        slack_user_id text UNIQUE,
        teams_user_id text UNIQUE,
        unreachable jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    )""",
    "CREATE INDEX people_manager_idx ON people (manager_id)",
    "CREATE INDEX people_email_idx ON people (lower(email))",
    """CREATE TABLE conversation_refs (
        person_id text NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        channel text NOT NULL,
        ref jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (person_id, channel)
    )""",
    """CREATE TABLE dialogs (
        conversation_key text PRIMARY KEY,
        person_id text,
        state jsonb NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        updated_at timestamptz NOT NULL DEFAULT now()
    )""",
    "CREATE INDEX dialogs_person_idx ON dialogs (person_id)",
    """CREATE TABLE records (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        id text PRIMARY KEY,
        person_id text NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        kind text NOT NULL,
        data jsonb NOT NULL,
        shared boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )""",
    "CREATE INDEX records_person_idx ON records (person_id, created_at)",
    """CREATE TABLE events (
        channel text NOT NULL,
        event_id text NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (channel, event_id)
    )""",
    "CREATE INDEX events_seen_idx ON events (seen_at)",
    f"""CREATE TABLE ledger (
        key text PRIMARY KEY,
        person_id text NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        kind text NOT NULL,
        due date NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL CHECK (status IN {_LEDGER_STATUSES}),
        attempts integer NOT NULL DEFAULT 0,
        claimed_by text,
        claimed_until timestamptz,
        next_attempt_at timestamptz,
        sent_at timestamptz,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    )""",
    "CREATE INDEX ledger_person_idx ON ledger (person_id, status)",
    "CREATE INDEX ledger_sent_idx ON ledger (person_id, sent_at) WHERE status = 'sent'",
)

# v2: cards with buttons as sent, so a press can redraw the whole card on any replica, after any restart
_SQLITE_V2 = (
    """CREATE TABLE cards (
        key TEXT PRIMARY KEY,
        person_id TEXT,
        data TEXT NOT NULL,
        saved_at TEXT NOT NULL
    )""",
    "CREATE INDEX cards_saved_idx ON cards (saved_at)",
    "CREATE INDEX cards_person_idx ON cards (person_id)",
)
_POSTGRES_V2 = (
    """CREATE TABLE cards (
        key text PRIMARY KEY,
        person_id text,
        data jsonb NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now()
    )""",
    "CREATE INDEX cards_saved_idx ON cards (saved_at)",
    "CREATE INDEX cards_person_idx ON cards (person_id)",
)

# Append only: a released migration is never edited, because databases out there already ran it.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "people, conversation refs, dialogs, records, events, reminder ledger", _SQLITE_V1, _POSTGRES_V1),
    Migration(2, "cards sent with buttons, to redraw them when pressed", _SQLITE_V2, _POSTGRES_V2),
)

LATEST_VERSION = MIGRATIONS[-1].version


def _check_order() -> None:
    versions = [m.version for m in MIGRATIONS]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 1, 2, 3... without gaps; found {versions}")


_check_order()


def _warn_if_newer(current: int) -> None:
    if current > LATEST_VERSION:
        # A newer release already migrated this database (rolling upgrade); keep going, migrations are additive.
        log.warning("database schema version %d is newer than this release knows (%d)", current, LATEST_VERSION)


# -- SQLite ----------------------------------------------------------------------------------------

_SQLITE_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


def sqlite_current_version(conn: sqlite3.Connection) -> int:
    """The version in force; 0 for an empty database. Run inside the caller's transaction."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(row[0])


def apply_sqlite(conn: sqlite3.Connection) -> int:
    """Apply pending migrations. The caller holds a write transaction (BEGIN IMMEDIATE), which is
    what serialises two processes starting at once: the second waits, then finds nothing to do."""
    conn.execute(_SQLITE_VERSION_TABLE)
    current = sqlite_current_version(conn)
    _warn_if_newer(current)
    for m in MIGRATIONS:
        if m.version <= current:
            continue
        log.info("applying schema migration %d (%s) to SQLite", m.version, m.description)
        for statement in m.sqlite:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
            (m.version, m.description, datetime.now(UTC).isoformat(timespec="microseconds")),
        )
        current = m.version
    return current


# -- PostgreSQL ------------------------------------------------------------------------------------

_POSTGRES_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""

# Keyed by schema so that databases holding several careerbot schemas (tests, tenants) do not queue.
_POSTGRES_LOCK = "SELECT pg_advisory_xact_lock(hashtext('careerbot.migrate:' || current_schema()))"


def _scalar(conn: Any, sql: str) -> Any:
    # Works whatever row factory the caller's connection uses (tuples or dicts).
    row = conn.execute(sql).fetchone()
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def postgres_current_version(conn: Any) -> int:
    """The version in force in the current schema; 0 for an empty one. Run inside a transaction."""
    if not _scalar(conn, "SELECT to_regclass('schema_version') IS NOT NULL"):
        return 0
    return int(_scalar(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_version"))


def apply_postgres(conn: Any) -> int:
    """Apply pending migrations inside the caller's transaction. The advisory lock comes first:
    without it two replicas racing on CREATE TABLE IF NOT EXISTS can still collide in the catalogue."""
    if _scalar(conn, "SELECT current_schema()") is None:
        raise StoreError("no schema on the search_path exists; create it before migrating")
    conn.execute(_POSTGRES_LOCK)
    conn.execute(_POSTGRES_VERSION_TABLE)
    current = postgres_current_version(conn)
    _warn_if_newer(current)
    for m in MIGRATIONS:
        if m.version <= current:
            continue
        log.info("applying schema migration %d (%s) to PostgreSQL", m.version, m.description)
        for statement in m.postgres:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_version (version, description) VALUES (%s, %s)", (m.version, m.description)
        )
        current = m.version
    return current
