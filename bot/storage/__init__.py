"""Opening a store from a URL, and the plain-data conversion both stores share."""

from __future__ import annotations

import dataclasses
import logging
import os
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote

from bot.storage.base import Conflict, LedgerEntry, Person, ReminderPrefs, Store, StoreError

log = logging.getLogger(__name__)

__all__ = ["Conflict", "LedgerEntry", "Person", "ReminderPrefs", "Store", "StoreError", "open_store", "to_plain"]


def sqlite_path_from_url(url: str) -> str:
    """The file of a sqlite URL, SQLAlchemy style: 'sqlite:////data/x.db' is the absolute /data/x.db
    (what config writes for an absolute data dir); 'sqlite:///data/x.db' is data/x.db under the
    working directory; 'sqlite:///:memory:' is a private in-memory database."""
    if not url.lower().startswith("sqlite:///"):
        raise ValueError(f"SQLite URL must start with sqlite:/// (got {url[:20]!r}...)")
    rest = url[len("sqlite:///"):]
    if "?" in rest or "#" in rest:
        raise ValueError(f"SQLite URL must not have options: {url!r}")
    rest = unquote(rest)
    if rest == ":memory:":
        return ":memory:"
    if not rest or rest.endswith("/"):
        raise ValueError(f"SQLite URL names no file: {url!r} (expected sqlite:////ABSOLUTE/PATH or sqlite:///:memory:)")
    return os.path.abspath(rest)


def open_store(url: str, *, migrate: bool = True) -> Store:
    """A store for 'sqlite:////ABS/PATH', 'sqlite:///:memory:', 'postgresql://...' or 'postgres://...'.

    Migrates by default, so a process that opens the store can use it straight away.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("storage URL is empty; expected sqlite:///ABSOLUTE/PATH or postgresql://...")
    url = url.strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    store: Store
    if scheme == "sqlite":
        from bot.storage.sqlite import SQLiteStore  # lazy: keeps the package import light

        store = SQLiteStore(sqlite_path_from_url(url))
    elif scheme in ("postgresql", "postgres"):
        from bot.storage.postgres import PostgresStore  # lazy: psycopg is only needed for PostgreSQL

        store = PostgresStore(url)
    else:
        # Never echo the whole URL: it may carry a password.
        raise ValueError(
            f"unsupported storage URL scheme {scheme!r}: use sqlite:////ABSOLUTE/PATH, sqlite:///:memory: "
            "or postgresql://user@host/dbname"
        )
    if migrate:
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store


# Shared by both stores: the columns they read, and the one rule for datetimes.
PERSON_COLUMNS = (
    "id, display_name, email, framework, level_code, level_since, manager_id, timezone, holiday_region, "
    "prefs, slack_user_id, teams_user_id, unreachable"
)
LEDGER_COLUMNS = (
    "key, person_id, kind, due, payload, status, attempts, claimed_by, claimed_until, next_attempt_at, "
    "sent_at, last_error"
)
MAX_ERROR_CHARS = 2000


def require_utc(value: datetime) -> datetime:
    """The moment in UTC; a naive datetime is refused (careerbot stores timezone-aware UTC datetimes only)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: careerbot stores timezone-aware UTC datetimes only")
    return value.astimezone(UTC)


def to_plain(value: Any) -> Any:
    """JSON-ready copy of store data: dataclasses to dicts, dates to ISO strings, tuples to lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, ReminderPrefs):
            return value.to_dict()
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value
