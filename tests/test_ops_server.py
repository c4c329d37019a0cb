"""Operations of `careerbot serve`: health and readiness, metrics, graceful shutdown of a real process,
and logs that carry ids but no personal data."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from datetime import UTC, date, datetime, timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_services
from bot.channels.web import make_app
from bot.config import load_settings
from bot.conversation import Incoming, Reply
from bot.milestones import add_months
from bot.notifiers import FileNotifier, LogNotifier
from bot.reminders import bank_holiday
from bot.storage import open_store
from bot.storage.base import LedgerEntry, Person
from tests.mock_connector import MockConnector, message
from tests.ops_support import ServeProcess, clean_env, http_get

NAME = "Priya Zebrowski"
EMAIL = "priya.zebrowski@example.gov.uk"
AAD = "aad-ops-7f3c"
SECRET_WORDS = "zebracorn marmalade"


@pytest.fixture
async def web_client(tmp_path):
    settings = load_settings({"CAREERBOT_DATA_DIR": str(tmp_path / "data"), "CAREERBOT_REMINDERS": "0",
                              "DATABASE_URL": f"sqlite:///{tmp_path}/careerbot.db"})
    services = build_services(settings)
    client = TestClient(TestServer(make_app(services)))
    await client.start_server()
    yield client, services
    await client.close()
    services.close()


# -- health, readiness, metrics (in process) ---------------------------------------------------------------------

async def test_healthz_and_readyz_when_all_is_well(web_client):
    client, _ = web_client
    resp = await client.get("/healthz")
    assert resp.status == 200 and (await resp.json()) == {"status": "ok"}
    resp = await client.get("/readyz")
    assert resp.status == 200
    assert await resp.json() == {"status": "ready",
                                 "checks": {"store": True, "migrations": True, "frameworks": True}}


async def test_readyz_is_503_with_its_checks_when_the_store_is_down(web_client):
    client, services = web_client
    services.store.close()  # what a store that stopped answering looks like from here
    resp = await client.get("/readyz")
    assert resp.status == 503
    body = await resp.json()
    assert body["status"] == "not ready"
    assert body["checks"] == {"store": False, "migrations": False, "frameworks": True}
    assert (await client.get("/healthz")).status == 200  # alive all the same: no restart needed


async def test_readyz_is_503_on_an_unreachable_postgres(tmp_path):
    from tests.ops_support import free_port

    port = free_port()  # nothing listens there
    settings = load_settings({"CAREERBOT_DATA_DIR": str(tmp_path / "data"), "CAREERBOT_REMINDERS": "0",
                              "DATABASE_URL": f"sqlite:///{tmp_path}/careerbot.db"})
    services = build_services(settings)
    from bot.storage.postgres import PostgresStore

    services.store.close()
    services.store = PostgresStore(f"postgresql://careerbot@127.0.0.1:{port}/nowhere", connect_timeout=2)
    async with TestClient(TestServer(make_app(services))) as client:
        started = time.monotonic()
        resp = await client.get("/readyz")
        assert resp.status == 503 and (await resp.json())["checks"]["store"] is False
        assert time.monotonic() - started < 5


async def test_metrics_expose_turns_requests_latency_dialogs_and_reminders(web_client):
    client, services = web_client
    for text in ("what do I need for SW3B?", "help"):
        services.router.handle(Incoming(channel="console", user_id="m1", conversation_id="c", text=text))
    resp = await client.get("/metrics")
    assert resp.status == 200 and resp.content_type == "text/plain"
    text = await resp.text()
    for name in ("careerbot_requests_total", "careerbot_answer_seconds", "careerbot_dialogs_total",
                 "careerbot_reminders_total", "careerbot_turns_total", "careerbot_turn_seconds_bucket"):
        assert f"# TYPE {name.removesuffix('_bucket').removesuffix('_total')}" in text, name
    assert re.search(r'careerbot_turns_total\{channel="console",outcome="answered"\} [1-9]', text)
    assert re.search(r'careerbot_turn_seconds_count\{channel="console"\} [2-9]', text)
    for event in ("claimed", "sent", "failed", "retried", "dead"):
        assert f'careerbot_reminders_total{{event="{event}"}}' in text


def test_reminder_metrics_count_what_a_pass_did(tmp_path):
    from bot import metrics
    from bot.conversation import DeliveryError
    from bot.reminders import ReminderService

    def value(event: str) -> float:
        return metrics.REGISTRY.get_sample_value("careerbot_reminders_total", {"event": event}) or 0.0

    store = open_store(f"sqlite:///{tmp_path}/m.db")
    from bot.knowledge.loader import load_knowledge

    knowledge = load_knowledge()
    for i in range(3):
        store.upsert_person(Person(id=f"p{i}", display_name=f"P {i}", level_code="SW2A", level_since=date(2023, 2, 1)))

    class Flaky:
        name = "flaky"
        calls = 0

        def can_reach(self, person):
            return True

        def send(self, person, reply):
            Flaky.calls += 1
            if person.id == "p1":
                raise DeliveryError("429 Too Many Requests", retry_after=30)

    before = {e: value(e) for e in metrics.REMINDER_EVENTS}
    now = datetime(2025, 6, 11, 9, 30, tzinfo=UTC)  # a Wednesday, 10:30 in London
    report = ReminderService(store, knowledge, [Flaky()], clock=lambda: now).run_pass(now)
    after = {e: value(e) for e in metrics.REMINDER_EVENTS}
    assert (report.claimed, report.sent, report.failed, report.retried) == (3, 2, 1, 1)
    assert {e: after[e] - before[e] for e in after} == {"claimed": 3, "sent": 2, "failed": 1, "retried": 1, "dead": 0}
    store.close()


def test_services_close_releases_reminder_claims(tmp_path):
    settings = load_settings({"CAREERBOT_DATA_DIR": str(tmp_path / "data"), "CAREERBOT_REMINDERS": "0",
                              "DATABASE_URL": f"sqlite:///{tmp_path}/careerbot.db"})
    services = build_services(settings, with_dialogs=False)
    now = datetime.now(UTC)
    services.store.upsert_person(Person(id="p1"))
    entry = LedgerEntry(key="p1|m|eligible|2025-01-01", person_id="p1", kind="eligible", due=date(2025, 1, 1),
                        payload={}, status="claimed")
    assert services.store.claim_reminder(entry, owner=services.owner, lease_seconds=600, now=now)
    services.close()
    store = open_store(settings.database_url)
    try:  # another process may take it at once, without waiting for the lease to run out
        assert store.claim_reminder(entry, owner="someone-else", lease_seconds=600, now=now + timedelta(seconds=1))
    finally:
        store.close()


# -- logs ---------------------------------------------------------------------------------------------------------

def test_log_notifier_names_ids_only_at_info(caplog):
    caplog.set_level(logging.INFO, logger="bot.notifiers")
    person = Person(id="hr-1042", display_name=NAME, email=EMAIL)
    LogNotifier().send(person, Reply(title=f"Hello {NAME}", blocks=[], meta={"reminder_key": "hr-1042|x|eligible|d"}))
    info = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert info and all(NAME not in r.getMessage() and "Hello" not in r.getMessage() for r in info)
    assert "hr-1042" in info[0].getMessage()


def test_file_notifier_appends_one_whole_json_line_per_message(tmp_path):
    path = tmp_path / "outbox.jsonl"
    notifier = FileNotifier(path)
    for i in range(3):
        notifier.send(Person(id=f"p{i}"), Reply(title=f"line one\nline two {i}", meta={"reminder_key": f"k{i}",
                                                                                      "kind": "eligible"}))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["person_id"], r["key"], r["kind"]) for r in rows] == [(f"p{i}", f"k{i}", "eligible") for i in range(3)]
    assert "line two 2" in rows[2]["text"]
    assert (path.stat().st_mode & 0o777) == 0o600


def test_file_notifier_starts_a_new_line_after_one_a_killed_writer_tore(tmp_path):
    path = tmp_path / "outbox.jsonl"
    path.write_text('{"ts": "2026-11-26T08:29:09.483+00:00", "person_id": "p0", "key": "k0", "te')  # SIGKILL here
    FileNotifier(path).send(Person(id="p1"), Reply(title="hello", meta={"reminder_key": "k1", "kind": "eligible"}))
    torn, whole = path.read_text(encoding="utf-8").splitlines()
    assert torn.endswith('"te') and json.loads(whole)["key"] == "k1"


@pytest.mark.slow
async def test_json_logs_of_a_real_conversation_hold_no_personal_data(tmp_path):
    connector = MockConnector()
    await connector.start()
    env = clean_env(tmp_path, CAREERBOT_LOG_JSON="1", CAREERBOT_LOG_LEVEL="INFO", CAREERBOT_REMINDERS="1",
                    CAREERBOT_REMINDER_INTERVAL="1", CAREERBOT_NOTIFY_FILE=str(tmp_path / "outbox.jsonl"))
    store = open_store(env["DATABASE_URL"])
    # Due for a reminder now, whatever the time of day (any hour, any day): the pass in the server sends it.
    person = Person(id="hr-1042", display_name=NAME, email=EMAIL, teams_user_id=AAD, level_code="SW2A",
                    level_since=add_months(date.today(), -25), manager_id="hr-1")
    person.prefs.working_hours, person.prefs.working_days = (0, 24), (0, 1, 2, 3, 4, 5, 6)
    manager = Person(id="hr-1", display_name="Morwenna Quillfeather", email="m.quillfeather@example.gov.uk")
    manager.prefs.working_hours, manager.prefs.working_days = (0, 24), (0, 1, 2, 3, 4, 5, 6)
    store.upsert_people([manager, person])
    store.close()
    server = ServeProcess(tmp_path, env).start()
    said = [f"hello, I am {NAME} ({EMAIL})", f"what do I need for SW3B? {SECRET_WORDS}",
            "I'm SW2B since March 2024", "yes", "start a self-assessment for SW3B", "met",
            f"I chaired the {SECRET_WORDS} panel", "where was i", "pause", "snooze until 5 January",
            "how long before I can go for SW3C?", "my progress", "stop reminders"]
    try:
        async with aiohttp.ClientSession() as http:
            for text in said:
                activity = message(connector.url, text, aad=AAD, name=NAME, user_id="29:ops-user")
                async with http.post(server.url + "/api/messages", json=activity) as resp:
                    assert resp.status == 200, await resp.text()
            # a malformed request and an unknown path: refusals are logged too
            async with http.post(server.url + "/api/messages", data=f'{{"text": "{SECRET_WORDS}", '.encode(),
                                 headers={"Content-Type": "application/json"}) as resp:
                assert 400 <= resp.status < 500
            async with http.get(server.url + "/readyz") as resp:
                assert resp.status == 200
        assert len(connector.posted()) >= len(said)  # the conversation really happened
        await asyncio.sleep(1.5)  # at least one reminder pass
    finally:
        server.terminate()
        code = server.wait(60)
        await connector.close()
    assert code == 0
    lines = server.log_lines()
    assert len(lines) > 10
    forbidden = [NAME, *NAME.split(), EMAIL, "zebracorn", "marmalade", "chaired", "Morwenna", "Quillfeather",
                 "m.quillfeather"]
    for line in lines:
        record = json.loads(line)  # every line is one JSON object
        assert {"ts", "level", "logger", "msg"} <= record.keys()
        lowered = line.lower()
        leaked = [word for word in forbidden if word.lower() in lowered]
        assert not leaked, f"personal data {leaked} in a log line: {line}"
    assert any(json.loads(line)["logger"] == "aiohttp.access" for line in lines)
    if bank_holiday(date.today()) is None:  # reminders were sent (to Teams or the outbox file), and logged by id
        assert any("sent hr-1042|" in json.loads(line)["msg"] for line in lines)


# -- graceful shutdown of a real process -----------------------------------------------------------------------

@pytest.mark.slow
async def test_sigterm_finishes_the_turn_in_flight_then_exits_0(tmp_path):
    connector = MockConnector(latency=2.5)  # every reply takes 2.5 s to reach "Teams": a slow turn
    await connector.start()
    env = clean_env(tmp_path, CAREERBOT_LOG_JSON="1", CAREERBOT_REMINDERS="1", CAREERBOT_REMINDER_INTERVAL="1",
                    CAREERBOT_NOTIFY_FILE=str(tmp_path / "outbox.jsonl"))
    server = ServeProcess(tmp_path, env).start()
    try:
        async with aiohttp.ClientSession() as http:
            activity = message(connector.url, "what do I need for SW3B?", aad=AAD, user_id="29:slow")
            started = time.monotonic()
            in_flight = asyncio.ensure_future(http.post(server.url + "/api/messages", json=activity))
            await asyncio.sleep(0.8)  # the turn is done by now and its reply is on its way to the slow connector
            assert not in_flight.done()
            server.terminate()
            # New connections are refused at once, while the turn in flight goes on.
            deadline = time.monotonic() + 1.5
            while server.accepts_connections() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert not server.accepts_connections(), "still accepting connections after SIGTERM"
            assert not in_flight.done()
            resp = await in_flight
            assert resp.status == 200
            assert time.monotonic() - started >= 2.5
        code = server.wait(30)
    finally:
        server.kill()
        await connector.close()
    assert code == 0
    [reply] = connector.posted()
    assert "SW3B" in reply.text  # the reply of the turn in flight reached Teams
    msgs = [json.loads(line)["msg"] for line in server.log_lines()]
    assert any("shutting down" in m for m in msgs)
    assert any("claims released" in m for m in msgs)
    assert msgs[-1] == "careerbot stopped"
    # A restart loses nothing: the person and the conversation reference written by that turn are there.
    store = open_store(env["DATABASE_URL"])
    try:
        person = store.find_person(teams_user_id=AAD)
        assert person is not None and store.get_conversation_ref(person.id, "teams") is not None
    finally:
        store.close()
    restarted = ServeProcess(tmp_path, env, name="again").start()
    try:
        status, body = http_get(restarted.url + "/readyz")
        assert status == 200 and body["status"] == "ready"
    finally:
        restarted.terminate()
        assert restarted.wait(30) == 0


@pytest.mark.slow
def test_sigterm_on_an_idle_server_exits_0_quickly(tmp_path):
    server = ServeProcess(tmp_path, clean_env(tmp_path, CAREERBOT_REMINDERS="1")).start()
    started = time.monotonic()
    server.terminate()
    assert server.wait(30) == 0
    assert time.monotonic() - started < 5


# -- doctor -------------------------------------------------------------------------------------------------------

def test_doctor_flags_operational_problems_with_a_clear_line_each(tmp_path):
    import io

    from bot.doctor import run_doctor

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    env = {"CAREERBOT_DATA_DIR": str(tmp_path / "data"), "CAREERBOT_LOG_LEVEL": "DEBUG",
           "CAREERBOT_NOTIFY_FILE": str(tmp_path / "outbox.jsonl"), "CAREERBOT_SHUTDOWN_TIMEOUT": "0"}
    out = io.StringIO()
    assert run_doctor(env, out) == 1
    text = out.getvalue()
    assert "[WARN] logging: CAREERBOT_LOG_LEVEL=DEBUG may write message text" in text
    assert "[WARN] notify file:" in text and "keep it private" in text
    assert "[FAIL] shutdown: CAREERBOT_SHUTDOWN_TIMEOUT must be at least 1 second" in text
    assert "[OK  ] data folder" in text and "[OK  ] store" in text
    out = io.StringIO()
    assert run_doctor({"CAREERBOT_DATA_DIR": str(tmp_path / "x"), "CAREERBOT_LOG_LEVEL": "LOUD"}, out) == 1
    assert "[FAIL] logging: CAREERBOT_LOG_LEVEL=LOUD is not one of" in out.getvalue()
    import os

    if os.geteuid() != 0:  # root may write anywhere
        out = io.StringIO()
        run_doctor({"CAREERBOT_DATA_DIR": str(locked / "data")}, out)
        assert "[FAIL] data folder" in out.getvalue() and "not writable" in out.getvalue()
