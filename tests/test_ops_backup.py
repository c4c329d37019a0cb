"""The backup and restore procedures of docs/storage.md, done for real: SQLite copied while a server is
writing to it (sqlite3 .backup and VACUUM INTO), PostgreSQL with pg_dump and pg_restore, and a restart on
the restored copy that finds everything."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
import uuid
from datetime import date

import psycopg
import pytest

from bot.storage import open_store
from bot.storage.base import Person
from tests.ops_support import ServeProcess, careerbot, clean_env, http_get
from tests.storage_fixtures import PG_URL, require_postgres, with_search_path


def _people(n: int, start: int = 0) -> list[Person]:
    return [Person(id=f"hr-{i:05d}", display_name=f"Person {i}", level_code="SW2A", level_since=date(2024, 1, 1))
            for i in range(start, start + n)]


@pytest.mark.slow
def test_sqlite_backup_while_running_then_restore(tmp_path):
    env = clean_env(tmp_path)
    db = tmp_path / "careerbot.db"
    store = open_store(env["DATABASE_URL"])
    store.upsert_people(_people(200))
    server = ServeProcess(tmp_path, env).start()
    # Writes keep coming while the backups are taken.
    stop = threading.Event()

    def writer() -> None:
        i = 1000
        while not stop.is_set():
            store.upsert_people(_people(10, i))
            i += 10

    t = threading.Thread(target=writer)
    t.start()
    try:
        online = tmp_path / "backup-online.db"
        subprocess.run(["sqlite3", str(db), f".backup '{online}'"], check=True, timeout=60)
        vacuumed = tmp_path / "backup-vacuum.db"
        conn = sqlite3.connect(db)
        conn.execute("VACUUM INTO ?", (str(vacuumed),))
        conn.close()
        # The Python way (no sqlite3 tool in the container image): the same online backup API.
        pythonic = tmp_path / "backup-python.db"
        src, dst = sqlite3.connect(db), sqlite3.connect(pythonic)
        src.backup(dst)
        src.close()
        dst.close()
    finally:
        stop.set()
        t.join()
        server.terminate()
        assert server.wait(30) == 0
        store.close()
    for copy in (online, vacuumed, pythonic):
        check = sqlite3.connect(copy)
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("SELECT COUNT(*) FROM people").fetchone()[0] >= 200
        check.close()
    # Restore: the service stopped, the copy put in place of the database (and its -wal/-shm removed).
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copy(online, restored_dir / "careerbot.db")
    renv = clean_env(restored_dir)
    listing = careerbot("roster", "list", env=renv)
    assert "hr-00199\tPerson 199\tSW2A" in listing.stdout
    again = ServeProcess(restored_dir, renv).start()
    try:
        status, body = http_get(again.url + "/readyz")
        assert status == 200 and body["checks"]["migrations"] is True
    finally:
        again.terminate()
        assert again.wait(30) == 0


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_pg_dump_and_pg_restore_into_a_new_database(tmp_path):
    require_postgres()
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    schema = f"cbbackup_{uuid.uuid4().hex[:10]}"
    database = f"cbrestore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    source = with_search_path(PG_URL, schema)
    store = open_store(source)
    try:
        store.upsert_people(_people(300))
        store.add_record("hr-00001", "assessment", {"status": "complete", "items": []})
        dump = tmp_path / "careerbot.dump"
        # As in docs/storage.md: custom format, the careerbot schema only, no owners or privileges.
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--schema={schema}",
                        f"--file={dump}", PG_URL], check=True, timeout=120)
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        target_db = PG_URL.rsplit("/", 1)[0] + f"/{database}"
        subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                        f"--dbname={target_db}", str(dump)], check=True, timeout=120)
        restored = open_store(with_search_path(target_db, schema))
        try:
            assert len(restored.list_people()) == 300
            assert restored.list_records("hr-00001", "assessment")[0]["data"]["status"] == "complete"
            assert restored.schema_version() == store.schema_version()
        finally:
            restored.close()
    finally:
        store.close()
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
