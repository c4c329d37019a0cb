"""Test fixtures for the storage layer: a fresh, isolated store per test on SQLite and on PostgreSQL.

Use with `from tests.storage_fixtures import store as store  # noqa: F401` (the `as` form keeps ruff's
F811 quiet when a test names the fixture as a parameter).
PostgreSQL comes from CAREERBOT_TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test);
each test gets its own schema, dropped afterwards. Unreachable PostgreSQL skips those tests, except
under CI=true, where it fails them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from bot.storage import open_store, sqlite_path_from_url
from bot.storage.base import LedgerEntry, Store

log = logging.getLogger(__name__)

PG_URL = os.environ.get("CAREERBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
_pg_problem: list[str | None] = []  # cached answer of the one reachability check per session


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None when it can."""
    if not _pg_problem:
        try:
            with psycopg.connect(PG_URL, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            _pg_problem.append(None)
        except psycopg.Error as exc:
            detail = " ".join(str(exc).split())
            _pg_problem.append(f"PostgreSQL test database unreachable ({detail}); "
                               "set CAREERBOT_TEST_DATABASE_URL to a reachable one")
    return _pg_problem[0]


def require_postgres() -> None:
    problem = postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(problem)
    pytest.skip(problem)


def with_search_path(url: str, schema: str) -> str:
    """The URL with the schema first on the search_path (libpq 'options')."""
    option = quote(f"-csearch_path={schema}", safe="")
    if "://" in url:
        return f"{url}{'&' if '?' in url else '?'}options={option}"
    return f"{url} options='-csearch_path={schema}'"  # keyword/value conninfo


@contextlib.contextmanager
def _pg_schema() -> Iterator[str]:
    require_postgres()
    schema = f"cbtest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(PG_URL, schema)
    finally:
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=[
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A URL to an empty, unmigrated database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/careerbot.db"
        return
    with _pg_schema() as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store on its own database (SQLite file or PostgreSQL schema)."""
    s = open_store(store_url)
    try:
        yield s
    finally:
        s.close()


# -- looking at the tables directly, behind the store's back -------------------------------------------

def raw_query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run SQL written with '?' placeholders straight against the test database."""
    if url.startswith("sqlite:"):
        conn = sqlite3.connect(sqlite_path_from_url(url), isolation_level=None)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        cur = conn.execute(sql.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []


def raw_count(url: str, table: str, where: str = "", params: tuple[Any, ...] = ()) -> int:
    return int(raw_query(url, f"SELECT COUNT(*) FROM {table} {'WHERE ' + where if where else ''}", params)[0][0])


# -- work for other processes (module level so 'spawn' can import it) ------------------------------------

def _wait_until(start_at: float) -> None:
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)


def claim_in_process(url: str, entry: LedgerEntry, owner: str, now: datetime, start_at: float) -> bool:
    s = open_store(url, migrate=False)
    try:
        s.ping()  # connect before the starting gun, so the race is on the claim itself
        _wait_until(start_at)
        return s.claim_reminder(entry, owner=owner, lease_seconds=300, now=now)
    finally:
        s.close()


def migrate_in_process(url: str, start_at: float) -> int:
    s = open_store(url, migrate=False)
    try:
        s.ping()
        _wait_until(start_at)
        return s.migrate()
    finally:
        s.close()


@pytest.fixture
def pg_store_url() -> Iterator[str]:
    """A URL to an empty schema of its own on PostgreSQL only (for PostgreSQL-specific tests)."""
    with _pg_schema() as url:
        yield url
