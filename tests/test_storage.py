"""Tests of the storage port, run against both SQLiteStore and PostgresStore."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from bot.storage import open_store, sqlite_path_from_url
from bot.storage.base import Conflict, LedgerEntry, Person, ReminderPrefs, Store, StoreError
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SQLiteStore
from tests.storage_fixtures import PG_URL, claim_in_process, migrate_in_process, raw_count, raw_query
from tests.storage_fixtures import pg_store_url as pg_store_url  # noqa: F401
from tests.storage_fixtures import store as store  # noqa: F401
from tests.storage_fixtures import store_url as store_url  # noqa: F401

NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
TABLES_WITH_PERSON = ("conversation_refs", "dialogs", "records", "ledger", "cards")


def person(pid: str, **kw) -> Person:
    kw.setdefault("display_name", f"Person {pid}")
    return Person(id=pid, **kw)


def entry(key: str = "p1|m1|heads-up|2025-04-01", person_id: str = "p1", **kw) -> LedgerEntry:
    return LedgerEntry(key=key, person_id=person_id, kind=kw.pop("kind", "heads-up"), due=date(2025, 4, 1),
                       payload=kw.pop("payload", {"text": "hello"}), status="claimed", **kw)


def race(n: int, fn) -> list:
    """Run fn(i) in n threads released together; return each result or the StoreError it raised."""
    barrier = threading.Barrier(n)

    def run(i: int):
        barrier.wait()
        try:
            return fn(i)
        except StoreError as exc:
            return exc

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


# -- lifecycle and migrations ---------------------------------------------------------------------------

def test_migrate_is_idempotent(store: Store, store_url: str) -> None:
    assert store.schema_version() == LATEST_VERSION
    assert store.migrate() == LATEST_VERSION
    assert store.migrate() == LATEST_VERSION
    assert raw_count(store_url, "schema_version") == len(MIGRATIONS)


def test_empty_database_is_version_zero_until_migrated(store_url: str) -> None:
    s = open_store(store_url, migrate=False)
    try:
        assert s.schema_version() == 0
        assert s.migrate() == LATEST_VERSION
        assert s.schema_version() == LATEST_VERSION
    finally:
        s.close()


def test_two_threads_migrating_at_once(store_url: str) -> None:
    stores = [open_store(store_url, migrate=False) for _ in range(4)]
    try:
        results = race(4, lambda i: stores[i].migrate())
    finally:
        for s in stores:
            s.close()
    assert results == [LATEST_VERSION] * 4
    assert raw_count(store_url, "schema_version") == len(MIGRATIONS)


@pytest.mark.slow
def test_two_processes_migrating_at_once(store_url: str) -> None:
    start_at = time.time() + 1.0
    with ProcessPoolExecutor(3, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(migrate_in_process, [store_url] * 3, [start_at] * 3))
    assert results == [LATEST_VERSION] * 3
    assert raw_count(store_url, "schema_version") == len(MIGRATIONS)


def test_ping_and_close(store: Store) -> None:
    assert store.ping() is True
    store.close()
    assert store.ping() is False
    with pytest.raises(StoreError):
        store.get_person("p1")


def test_open_store_rejects_unknown_urls() -> None:
    for bad in ("", "mysql://x/y", "/data/careerbot.db", "sqlite:", "sqlite://", "sqlite:///", "sqlite:///x.db?mode=ro"):
        with pytest.raises(ValueError):
            open_store(bad)


def test_sqlite_url_forms() -> None:
    assert sqlite_path_from_url("sqlite:////data/careerbot.db") == "/data/careerbot.db"
    assert sqlite_path_from_url("sqlite:///data/careerbot.db") == os.path.abspath("data/careerbot.db")
    assert sqlite_path_from_url("sqlite:////data/my%20bot.db") == "/data/my bot.db"
    assert sqlite_path_from_url("sqlite:///:memory:") == ":memory:"


def test_memory_sqlite_works_across_threads() -> None:
    s = open_store("sqlite:///:memory:")
    try:
        assert isinstance(s, SQLiteStore)
        race(6, lambda i: s.upsert_person(person(f"p{i}")))
        assert [p.id for p in s.list_people()] == [f"p{i}" for i in range(6)]
        assert race(6, lambda i: s.remember_event("slack", "e1")).count(True) == 1
    finally:
        s.close()


def test_sqlite_uses_wal(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/wal.db"
    open_store(url).close()
    assert raw_query(url, "PRAGMA journal_mode")[0][0] == "wal"


def test_naive_datetimes_are_refused(store: Store) -> None:
    store.upsert_person(person("p1"))
    with pytest.raises(ValueError):
        store.claim_reminder(entry(), owner="a", lease_seconds=60, now=datetime(2025, 1, 1, 9, 0))
    with pytest.raises(ValueError):
        store.sent_count_since("p1", datetime(2025, 1, 1))


def test_unreachable_postgres_raises_store_error_quickly() -> None:
    s = PostgresStore("postgresql://careerbot:secret@127.0.0.1:1/nowhere", connect_timeout=2)
    started = time.monotonic()
    assert s.ping() is False
    with pytest.raises(StoreError) as info:
        s.migrate()
    assert "secret" not in str(info.value)
    assert time.monotonic() - started < 5
    s.close()


def test_postgres_reconnects_after_losing_its_connection(pg_store_url: str) -> None:
    s = open_store(pg_store_url)
    try:
        s.upsert_person(person("p1"))
        pid = s._run(lambda conn: conn.info.backend_pid)  # the connection this thread uses
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert s.get_person("p1") is not None  # replaced the dead connection and retried
        assert s._run(lambda conn: conn.info.backend_pid) != pid
    finally:
        s.close()


def test_postgres_scheme_alias(pg_store_url: str) -> None:
    s = open_store(pg_store_url.replace("postgresql://", "postgres://", 1))
    try:
        assert isinstance(s, PostgresStore) and s.schema_version() == LATEST_VERSION
    finally:
        s.close()


def test_postgres_honours_search_path(pg_store_url: str) -> None:
    s = open_store(pg_store_url)
    try:
        schema = pg_store_url.rsplit("%3D", 1)[1]
        tables = raw_query(PG_URL, "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                           (schema,))
        assert {"people", "ledger", "schema_version"} <= {t[0] for t in tables}
    finally:
        s.close()


# -- people ---------------------------------------------------------------------------------------------

def test_person_round_trips_every_field(store: Store) -> None:
    prefs = ReminderPrefs(opted_out=True, snoozed_until=date(2025, 5, 1), weekly_cap=1, working_hours=(8, 16),
                          working_days=(0, 2, 4), heads_up_weeks=4, next_supervision=date(2025, 3, 20),
                          supervision_reminder_days=2)
    p = Person(id="p1", display_name="Zoë O'Brien", email="zoe@example.org", framework="medway-sw",
               level_code="SW2B", level_since=date(2023, 9, 1), manager_id="m1", timezone="Europe/Belfast",
               holiday_region="northern-ireland", prefs=prefs, slack_user_id="U1", teams_user_id="29:abc",
               unreachable={"slack": "account deactivated"})
    store.upsert_person(p)
    assert store.get_person("p1") == p
    assert store.get_person("nobody") is None


def test_upsert_updates_by_id_without_duplicating(store: Store) -> None:
    store.upsert_person(person("p1", level_code="SW1"))
    store.upsert_person(person("p1", level_code="SW2A", slack_user_id="U1"))
    people = store.list_people()
    assert len(people) == 1
    assert people[0].level_code == "SW2A" and people[0].slack_user_id == "U1"


def test_find_person_by_identity(store: Store) -> None:
    store.upsert_people([
        person("p1", slack_user_id="U1", email="Ann.Smith@Example.org"),
        person("p2", teams_user_id="29:xyz"),
    ])
    assert store.find_person(slack_user_id="U1").id == "p1"
    assert store.find_person(teams_user_id="29:xyz").id == "p2"
    assert store.find_person(email="ann.smith@example.org ").id == "p1"
    assert store.find_person(slack_user_id="U404", email="ann.smith@example.org").id == "p1"
    assert store.find_person(slack_user_id="U404") is None
    assert store.find_person() is None


def test_chat_identity_is_unique(store: Store) -> None:
    store.upsert_person(person("p1", slack_user_id="U1"))
    with pytest.raises(StoreError):
        store.upsert_person(person("p2", slack_user_id="U1"))
    assert store.get_person("p2") is None


def test_list_reports(store: Store) -> None:
    store.upsert_people([person("m1"), person("a", display_name="Bea", manager_id="m1"),
                         person("b", display_name="Al", manager_id="m1"), person("c", manager_id="m2")])
    assert [p.id for p in store.list_reports("m1")] == ["b", "a"]  # by name
    assert store.list_reports("nobody") == []


def test_iter_people_reads_in_batches(store: Store) -> None:
    store.upsert_people([person(f"p{i:02d}") for i in range(7)])
    assert [p.id for p in store.iter_people(batch_size=3)] == [f"p{i:02d}" for i in range(7)]
    assert [p.id for p in store.iter_people(batch_size=7)] == [f"p{i:02d}" for i in range(7)]
    assert list(store.iter_people()) == store.list_people()
    with pytest.raises(ValueError):
        list(store.iter_people(batch_size=0))


def test_upsert_people_with_one_bad_row_writes_none(store: Store, store_url: str) -> None:
    store.upsert_person(person("existing", slack_user_id="U1"))
    with pytest.raises(StoreError):
        store.upsert_people([person("p1"), person("p2"), person("p3", slack_user_id="U1")])
    with pytest.raises(TypeError):  # a value that cannot be stored, after good rows went in
        store.upsert_people([person("p4"), person("p5", unreachable={"slack": object()})])
    assert raw_count(store_url, "people") == 1


def test_crash_mid_delete_leaves_everything(store: Store, store_url: str) -> None:
    store.upsert_person(person("p1"))
    store.add_record("p1", "assessment", {"score": 3})
    store.claim_reminder(entry(), owner="a", lease_seconds=60, now=NOW)
    # A trigger makes the last statement of delete_person fail, after the other deletes ran.
    if store_url.startswith("sqlite"):
        raw_query(store_url, "CREATE TRIGGER boom BEFORE DELETE ON people BEGIN SELECT RAISE(ABORT, 'boom'); END")
    else:
        raw_query(store_url, "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS "
                             "$$BEGIN RAISE EXCEPTION 'boom'; END$$")
        raw_query(store_url, "CREATE TRIGGER boom BEFORE DELETE ON people FOR EACH ROW EXECUTE FUNCTION boom()")
    with pytest.raises(StoreError):
        store.delete_person("p1")
    assert raw_count(store_url, "records") == 1
    assert raw_count(store_url, "ledger") == 1
    assert store.get_person("p1") is not None


# -- conversation references ---------------------------------------------------------------------------

def test_conversation_refs(store: Store) -> None:
    store.upsert_person(person("p1"))
    assert store.get_conversation_ref("p1", "slack") is None
    store.save_conversation_ref("p1", "slack", {"channel": "D1", "team": "T1"})
    store.save_conversation_ref("p1", "slack", {"channel": "D2", "team": "T1"})
    store.save_conversation_ref("p1", "teams", {"conversation": {"id": "a:1"}})
    assert store.get_conversation_ref("p1", "slack") == {"channel": "D2", "team": "T1"}
    assert store.get_conversation_ref("p1", "teams") == {"conversation": {"id": "a:1"}}
    with pytest.raises(StoreError):
        store.save_conversation_ref("nobody", "slack", {})


# -- dialog state ----------------------------------------------------------------------------------------

def test_dialog_versions(store: Store) -> None:
    assert store.load_dialog("c1") == (None, 0)
    assert store.save_dialog("c1", {"step": 1, "person_id": "p1"}, expected_version=0) == 1
    assert store.load_dialog("c1") == ({"step": 1, "person_id": "p1"}, 1)
    assert store.save_dialog("c1", {"step": 2, "person_id": "p1"}, expected_version=1) == 2
    with pytest.raises(Conflict):
        store.save_dialog("c1", {"step": 9}, expected_version=1)  # stale
    with pytest.raises(Conflict):
        store.save_dialog("c1", {"step": 9}, expected_version=0)  # someone created it meanwhile
    with pytest.raises(Conflict):
        store.save_dialog("c1", None, expected_version=1)  # stale delete
    assert store.load_dialog("c1") == ({"step": 2, "person_id": "p1"}, 2)
    assert store.save_dialog("c1", None, expected_version=2) == 0
    assert store.load_dialog("c1") == (None, 0)
    assert store.save_dialog("c1", None, expected_version=0) == 0  # deleting nothing is fine


def test_list_dialogs(store: Store) -> None:
    store.save_dialog("c1", {"person_id": "p1", "step": 1}, expected_version=0)
    store.save_dialog("c2", {"person_id": "p2"}, expected_version=0)
    store.save_dialog("c3", {"anonymous": True}, expected_version=0)
    assert [k for k, _, _ in store.list_dialogs()] == ["c1", "c2", "c3"]
    assert store.list_dialogs(person_id="p1") == [("c1", {"person_id": "p1", "step": 1}, 1)]


def test_dialog_race_exactly_one_wins(store: Store) -> None:
    results = race(6, lambda i: store.save_dialog("c1", {"writer": i}, expected_version=0))
    assert results.count(1) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 5
    results = race(6, lambda i: store.save_dialog("c1", {"writer": i}, expected_version=1))
    assert results.count(2) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 5
    state, version = store.load_dialog("c1")
    assert version == 2 and state["writer"] == results.index(2)


# -- records ---------------------------------------------------------------------------------------------

def test_records(store: Store) -> None:
    store.upsert_person(person("p1"))
    first = store.add_record("p1", "assessment", {"score": 1})
    second = store.add_record("p1", "check-in", {"mood": "ok"}, shared=True)
    third = store.add_record("p1", "assessment", {"score": 2})
    records = store.list_records("p1")
    assert [r["id"] for r in records] == [third, second, first]  # newest first
    assert records[1] == {"id": second, "person_id": "p1", "kind": "check-in", "data": {"mood": "ok"},
                          "shared": True, "created_at": records[1]["created_at"]}
    assert records[0]["created_at"].tzinfo is not None
    assert [r["id"] for r in store.list_records("p1", "assessment")] == [third, first]
    assert store.list_records("p1", "assessment")[1]["shared"] is False

    store.update_record(first, shared=True)
    store.update_record(third, data={"score": 3})
    by_id = {r["id"]: r for r in store.list_records("p1")}
    assert by_id[first]["shared"] is True and by_id[first]["data"] == {"score": 1}
    assert by_id[third]["shared"] is False and by_id[third]["data"] == {"score": 3}
    with pytest.raises(KeyError):
        store.update_record("missing", shared=True)
    with pytest.raises(StoreError):
        store.add_record("nobody", "assessment", {})

    assert store.delete_record(third) is True
    assert store.delete_record(third) is False  # already gone: nothing else is touched
    assert [r["id"] for r in store.list_records("p1")] == [second, first]


# -- incoming events -------------------------------------------------------------------------------------

def test_remember_event_dedups(store: Store) -> None:
    assert store.remember_event("slack", "Ev1") is True
    assert store.remember_event("slack", "Ev1") is False
    assert store.remember_event("teams", "Ev1") is True


# -- reminder ledger -------------------------------------------------------------------------------------

def test_claim_once_and_not_by_another_owner(store: Store) -> None:
    store.upsert_person(person("p1"))
    assert store.claim_reminder(entry(), owner="a", lease_seconds=300, now=NOW) is True
    assert store.claim_reminder(entry(), owner="b", lease_seconds=300, now=NOW + timedelta(seconds=299)) is False
    [e] = store.ledger()
    assert (e.status, e.claimed_by, e.attempts) == ("claimed", "a", 1)
    assert e.claimed_until == NOW + timedelta(seconds=300)
    assert e.payload == {"text": "hello"} and e.due == date(2025, 4, 1) and e.kind == "heads-up"
    # The holder may renew its own lease; that is not a new attempt.
    assert store.claim_reminder(entry(), owner="a", lease_seconds=300, now=NOW + timedelta(seconds=10)) is True
    assert store.ledger()[0].attempts == 1


def test_expired_lease_can_be_taken_over(store: Store) -> None:
    store.upsert_person(person("p1"))
    assert store.claim_reminder(entry(), owner="a", lease_seconds=300, now=NOW)
    later = NOW + timedelta(seconds=300)
    assert store.claim_reminder(entry(), owner="b", lease_seconds=300, now=later) is True
    [e] = store.ledger()
    assert (e.claimed_by, e.attempts) == ("b", 2)
    with pytest.raises(Conflict):
        store.mark_sent(entry().key, owner="a", now=later)  # a lost its claim
    store.mark_sent(entry().key, owner="b", now=later)
    assert store.ledger()[0].status == "sent"


def test_sent_is_never_claimed_again(store: Store) -> None:
    store.upsert_person(person("p1"))
    store.claim_reminder(entry(), owner="a", lease_seconds=300, now=NOW)
    store.mark_sent(entry().key, owner="a", now=NOW + timedelta(seconds=5))
    store.mark_sent(entry().key, owner="a", now=NOW + timedelta(seconds=6))  # repeating it is harmless
    [e] = store.ledger()
    assert e.status == "sent" and e.sent_at == NOW + timedelta(seconds=5) and e.claimed_until is None
    for owner in ("a", "b"):
        assert store.claim_reminder(entry(), owner=owner, lease_seconds=300, now=NOW + timedelta(days=30)) is False
    with pytest.raises(Conflict):
        store.mark_failed(entry().key, owner="a", error="x", retry_at=None, now=NOW)


def test_failed_is_retried_after_retry_at(store: Store) -> None:
    store.upsert_person(person("p1"))
    store.claim_reminder(entry(), owner="a", lease_seconds=300, now=NOW)
    retry_at = NOW + timedelta(hours=1)
    store.mark_failed(entry().key, owner="a", error="slack said ratelimited", retry_at=retry_at, now=NOW)
    [e] = store.ledger()
    assert (e.status, e.next_attempt_at, e.last_error, e.claimed_until) == (
        "failed", retry_at, "slack said ratelimited", None)
    assert store.claim_reminder(entry(), owner="b", lease_seconds=300, now=retry_at - timedelta(seconds=1)) is False
    assert store.claim_reminder(entry(), owner="b", lease_seconds=300, now=retry_at) is True
    [e] = store.ledger()
    assert (e.status, e.claimed_by, e.attempts) == ("claimed", "b", 2)


def test_dead_is_never_claimed_again(store: Store) -> None:
    store.upsert_person(person("p1"))
    store.claim_reminder(entry(), owner="a", lease_seconds=300, now=NOW)
    store.mark_failed(entry().key, owner="a", error="user left", retry_at=None, now=NOW)
    assert store.ledger()[0].status == "dead"
    assert store.claim_reminder(entry(), owner="b", lease_seconds=300, now=NOW + timedelta(days=365)) is False
    assert store.ledger(status="dead")[0].last_error == "user left"


def test_finishing_an_unknown_reminder(store: Store) -> None:
    with pytest.raises(KeyError):
        store.mark_sent("nope", owner="a", now=NOW)
    with pytest.raises(ValueError):
        store.claim_reminder(entry(), owner="a", lease_seconds=0, now=NOW)
    with pytest.raises(StoreError):  # reminders belong to known people
        store.claim_reminder(entry(person_id="ghost"), owner="a", lease_seconds=60, now=NOW)


def test_release_claims(store: Store) -> None:
    store.upsert_person(person("p1"))
    for key, owner in (("k1", "a"), ("k2", "a"), ("k3", "b"), ("k4", "a")):
        assert store.claim_reminder(entry(key), owner=owner, lease_seconds=300, now=NOW)
    store.mark_sent("k4", owner="a", now=NOW)
    assert store.release_claims(owner="a") == 2
    assert store.release_claims(owner="a") == 0
    # Released work is due again at once, for anyone.
    assert store.claim_reminder(entry("k1"), owner="c", lease_seconds=300, now=NOW) is True
    assert store.claim_reminder(entry("k2"), owner="c", lease_seconds=300, now=NOW) is True
    assert store.claim_reminder(entry("k3"), owner="c", lease_seconds=300, now=NOW) is False  # b still holds it
    assert store.claim_reminder(entry("k4"), owner="c", lease_seconds=300, now=NOW) is False  # sent
    assert {e.key: e.claimed_by for e in store.ledger(status="claimed")} == {"k1": "c", "k2": "c", "k3": "b"}


def test_ledger_filters_and_sent_count_since(store: Store) -> None:
    store.upsert_people([person("p1"), person("p2")])
    for i, (pid, day) in enumerate((("p1", 1), ("p1", 3), ("p1", 5), ("p2", 5))):
        key = f"{pid}|k{i}"
        store.claim_reminder(entry(key, pid), owner="a", lease_seconds=60, now=NOW)
        store.mark_sent(key, owner="a", now=NOW + timedelta(days=day))
    store.claim_reminder(entry("p1|pending"), owner="a", lease_seconds=60, now=NOW)
    assert store.sent_count_since("p1", NOW) == 3
    assert store.sent_count_since("p1", NOW + timedelta(days=3)) == 2  # inclusive
    assert store.sent_count_since("p1", NOW + timedelta(days=6)) == 0
    assert store.sent_count_since("p2", NOW) == 1
    assert len(store.ledger(person_id="p1")) == 4
    assert [e.key for e in store.ledger(person_id="p1", status="claimed")] == ["p1|pending"]
    assert len(store.ledger(status="sent")) == 4


def test_threads_claiming_one_key_exactly_one_wins(store: Store) -> None:
    store.upsert_person(person("p1"))
    for round_ in range(3):
        key = f"k{round_}"
        results = race(6, lambda i, key=key: store.claim_reminder(entry(key), owner=f"o{i}", lease_seconds=60,
                                                                    now=NOW))
        assert results.count(True) == 1, results
        assert results.count(False) == 5, results
    # Taking over an expired claim is a race too.
    later = NOW + timedelta(minutes=5)
    results = race(6, lambda i: store.claim_reminder(entry("k0"), owner=f"t{i}", lease_seconds=60, now=later))
    assert results.count(True) == 1, results


@pytest.mark.slow
def test_processes_claiming_one_key_exactly_one_wins(store: Store, store_url: str) -> None:
    store.upsert_person(person("p1"))
    n = 4
    start_at = time.time() + 1.0
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(claim_in_process, [store_url] * n, [entry()] * n, [f"proc{i}" for i in range(n)],
                                [NOW] * n, [start_at] * n))
    assert results.count(True) == 1, results
    assert len(store.ledger()) == 1


# -- personal data rights ------------------------------------------------------------------------------

def _populate(store: Store, pid: str) -> None:
    store.upsert_person(person(pid, slack_user_id=f"U-{pid}", teams_user_id=f"T-{pid}", email=f"{pid}@example.org"))
    store.save_conversation_ref(pid, "slack", {"channel": f"D-{pid}"})
    store.save_dialog(f"slack:{pid}", {"person_id": pid, "step": "ask"}, expected_version=0)
    store.add_record(pid, "assessment", {"score": 4}, shared=True)
    store.claim_reminder(entry(f"{pid}|m1|heads-up|2025-04-01", pid), owner="a", lease_seconds=60, now=NOW)
    store.mark_sent(f"{pid}|m1|heads-up|2025-04-01", owner="a", now=NOW)
    store.save_card(f"card-{pid}", {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": pid}]},
                    person_id=pid)
    store.save_card(f"turn-card-{pid}", {"type": "AdaptiveCard", "body": []}, person_id=f"T-{pid}")


def test_export_person(store: Store) -> None:
    store.upsert_person(person("m1"))
    _populate(store, "p1")
    store.upsert_person(person("r1", manager_id="p1"))
    data = store.export_person("p1")
    json.dumps(data)  # plain data only
    assert data["person"]["id"] == "p1" and data["person"]["email"] == "p1@example.org"
    assert data["conversation_refs"] == {"slack": {"channel": "D-p1"}}
    assert data["dialogs"] == [{"conversation_key": "slack:p1", "state": {"person_id": "p1", "step": "ask"},
                                "version": 1}]
    assert [r["data"] for r in data["records"]] == [{"score": 4}]
    assert [(e["key"], e["status"]) for e in data["reminders"]] == [("p1|m1|heads-up|2025-04-01", "sent")]
    assert data["reports"] == ["r1"]


def test_delete_person_removes_every_row(store: Store, store_url: str) -> None:
    _populate(store, "p1")
    _populate(store, "p2")
    store.upsert_person(person("r1", manager_id="p1"))
    store.delete_person("p1")
    assert raw_count(store_url, "people", "id = ?", ("p1",)) == 0
    assert store.get_card("turn-card-p1") is None and store.get_card("turn-card-p2") is not None
    for table in TABLES_WITH_PERSON:
        assert raw_count(store_url, table, "person_id = ?", ("p1",)) == 0, table
        assert raw_count(store_url, table, "person_id = ?", ("p2",)) == 1, table  # others untouched
    assert raw_count(store_url, "people", "manager_id = ?", ("p1",)) == 0
    assert store.get_person("r1").manager_id is None
    assert store.find_person(slack_user_id="U-p1") is None
    assert store.export_person("p1") == {"person": None, "conversation_refs": {}, "dialogs": [], "records": [],
                                         "reminders": [], "reports": []}
    store.delete_person("p1")  # erasing twice is harmless


def test_sqlite_file_is_shared_between_store_instances(tmp_path) -> None:
    path = tmp_path / "shared.db"
    one, other = open_store(f"sqlite:///{path}"), SQLiteStore(path)
    try:
        one.upsert_person(person("p1"))
        assert other.get_person("p1") is not None
        assert other.remember_event("slack", "e1") is True
        assert one.remember_event("slack", "e1") is False
    finally:
        one.close()
        other.close()


def test_old_event_ids_are_pruned(store):  # noqa: F811
    from datetime import UTC, datetime, timedelta

    assert store.remember_event("slack", "Ev-old")
    assert store.prune_events(older_than=datetime.now(UTC) - timedelta(days=1)) == 0
    assert not store.remember_event("slack", "Ev-old")  # still remembered
    assert store.prune_events(older_than=datetime.now(UTC) + timedelta(seconds=1)) >= 1
    assert store.remember_event("slack", "Ev-old")  # forgotten, so seen anew


def test_cards_are_kept_replaced_and_pruned(store):  # noqa: F811
    from datetime import UTC, datetime, timedelta

    card = {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "Until when? “quotes” and ünïcode"}],
            "actions": [{"type": "Action.Submit", "title": "1 week", "data": {"n": 1}}]}
    assert store.get_card("act-1") is None
    store.save_card("act-1", card, person_id="p1")
    assert store.get_card("act-1") == card
    redrawn = {"type": "AdaptiveCard", "body": card["body"] + [{"type": "TextBlock", "text": "You chose: 1 week"}]}
    store.save_card("act-1", redrawn)  # the press's redraw replaces it, keeping whose it was
    assert store.get_card("act-1") == redrawn
    assert store.prune_cards(older_than=datetime.now(UTC) - timedelta(days=1)) == 0
    assert store.prune_cards(older_than=datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert store.get_card("act-1") is None


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path) -> None:
    old = os.umask(0o022)
    try:
        store = SQLiteStore(tmp_path / "data" / "careerbot.db")
        store.migrate()
        store.upsert_person(Person(id="u1", display_name="U"))
        store.close()
    finally:
        os.umask(old)
    for f in (tmp_path / "data").iterdir():
        if f.name.startswith("careerbot.db"):
            assert f.stat().st_mode & 0o077 == 0, f.name


def test_an_existing_database_keeps_the_permissions_its_operator_gave_it(tmp_path) -> None:
    path = tmp_path / "careerbot.db"
    SQLiteStore(path).close()
    path.chmod(0o640)
    SQLiteStore(path).close()
    assert path.stat().st_mode & 0o777 == 0o640
