"""Fault tests with real processes: kill -9 in the middle of a dialog and of a reminder pass, the store
dropping off the network for a while, and a chat platform answering 429/500/timeouts.

Each kill -9 test checks exactly what a crash may and may not do:
- a dialog: every answer the bot acknowledged before the kill is in the final record, nothing is doubled;
- a reminder pass: after reruns every due reminder is recorded sent once and delivered. A message is
  delivered a second time only if the process died after handing it to the channel and before recording
  it (the one unavoidable window with a channel that cannot tell whether it already has a message): at most
  one per kill, only for the reminder in flight, and the test says how often that happened.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.conversation import DeliveryError
from bot.knowledge.loader import load_knowledge
from bot.milestones import add_months
from bot.reminders import ReminderService, bank_holiday, blocked_reason, due_reminders
from bot.storage import open_store
from bot.storage.base import Person, Store
from tests.mock_connector import MockConnector, message
from tests.ops_support import ChatProcess, ServeProcess, TcpProxy, careerbot, clean_env, http_get
from tests.storage_fixtures import PG_URL
from tests.storage_fixtures import pg_store_url as pg_store_url  # noqa: F401

LONDON = ZoneInfo("Europe/London")
KNOWLEDGE = load_knowledge()
RATINGS = ("met", "partly", "not yet", "not sure")
RATED = {"met": "met", "partly": "partly", "not yet": "not_yet", "not sure": "not_sure"}


# -- kill -9 during a dialog -----------------------------------------------------------------------------------

def _header(reply: str) -> tuple[int, bool]:
    """(question number, at the note prompt) from a self-assessment reply such as '3 of 21 · Knowledge: Met'."""
    import re

    m = re.search(r"(\d+) of (\d+) · [^\n:]+(:)?", reply)
    assert m, f"not a self-assessment question: {reply[:300]}"
    return int(m.group(1)), bool(m.group(3))


def _answer_for(position: int, at_note: bool) -> str:
    return f"evidence note {position}" if at_note else RATINGS[position % len(RATINGS)]


@pytest.mark.slow
def test_kill_9_during_a_console_dialog_then_restart_and_continue_loses_nothing(tmp_path):
    env = clean_env(tmp_path)
    rng = random.Random(int(os.environ.get("CAREERBOT_FAULT_SEED", "7")))
    acknowledged: list[tuple[int, bool]] = []  # (question, note?) answers the bot replied to before a kill
    chat = ChatProcess(env, user="carer-1", name="Console Carer")
    reply = chat.say("start a self-assessment for SW3B")
    position, at_note = _header(reply)
    total = 21
    kills = 0
    kill_after = sorted(rng.sample(range(3, 2 * total - 4), 2))  # two kills, at random answers
    answered = 0
    while True:
        line = _answer_for(position, at_note)
        if kills < len(kill_after) and answered == kill_after[kills]:
            chat.send(line)  # in flight: it may or may not be taken in before the process dies
            time.sleep(rng.choice([0, 0.001, 0.005, 0.02]))
            chat.kill()
            kills += 1
            chat = ChatProcess(env, user="carer-1", name="Console Carer")
            reply = chat.say("where was i")  # the dialog is still open: it repeats the current question
            assert "We're in the middle of it" in reply
            position, at_note = _header(reply)
            continue
        reply = chat.say(line)
        acknowledged.append((position, at_note))
        answered += 1
        if "self-assessment for SW3B" in reply and "done" in reply:
            break
        position, at_note = _header(reply)
    assert chat.close() == 0
    assert kills == 2
    store = open_store(env["DATABASE_URL"])
    try:
        records = store.list_records("carer-1", "assessment")
    finally:
        store.close()
    assert len(records) == 1, "one assessment, not one per restart"
    data = records[0]["data"]
    assert data["status"] == "complete" and data["progress"]["position"] == total
    items = data["items"]
    assert len(items) == total
    for i, item in enumerate(items, start=1):
        assert item["rating"] == RATED[RATINGS[i % len(RATINGS)]], (i, item)
        assert item["evidence"] == f"evidence note {i}", (i, item)
    # Nothing acknowledged before a kill had to be answered again; only an answer in flight at a kill may
    # have been taken in without an acknowledgement (and then, rightly, was not asked again).
    assert len(acknowledged) == len(set(acknowledged))
    assert 2 * total - kills <= len(acknowledged) <= 2 * total


# -- kill -9 during a reminder pass ----------------------------------------------------------------------------------

MONDAY = date(2025, 6, 9)  # a week with no bank holiday: one digest key per manager for the whole week
WEEK = [MONDAY + timedelta(days=i) for i in range(5)]


def _ten_am(day: date) -> datetime:
    return datetime.combine(day, dtime(10, 0), tzinfo=LONDON).astimezone(UTC)


def seed_people(store: Store, n: int, managers: int) -> set[str]:
    """n people, each eligible for SW2B since 1-5 months before the week (so due all week), reporting to
    `managers` managers (each due a weekly digest). Returns every reminder key due on Monday."""
    people = [Person(id=f"mgr-{m:03d}", display_name=f"Manager {m}") for m in range(managers)]
    for i in range(n):
        earliest = MONDAY - timedelta(days=31 + (i * 7) % 120)
        people.append(Person(id=f"staff-{i:05d}", display_name=f"Staff {i}", level_code="SW2A",
                             level_since=add_months(earliest, -24), manager_id=f"mgr-{i % managers:03d}"))
    store.upsert_people(people)
    everyone = store.list_people()
    keys = set()
    for day in (WEEK[0], WEEK[-1]):
        now = _ten_am(day)
        due = {m.key for p, m in due_reminders(everyone, knowledge=KNOWLEDGE, now=now)
               if blocked_reason(now, p) is None}
        keys = due if not keys else keys
        assert due == keys, "the same reminders must be due all week"
    assert len(keys) == n + managers
    return keys


def outbox_keys(path: Path) -> list[str]:
    """The reminder keys delivered to the outbox file, in order. A last line still being written (no newline
    yet) is not counted: the writer is appending while the test reads. Nor is a line torn by a SIGKILL in the
    middle of its write (the next writer starts a new line after it): that delivery was never recorded as
    sent, so it is sent again, and counted then."""
    if not path.exists():
        return []
    text = path.read_bytes().decode("utf-8", "replace")
    complete = text[:text.rfind("\n") + 1]
    keys = []
    for line in complete.splitlines():
        try:
            keys.append(json.loads(line)["key"])
        except ValueError:
            assert not line.startswith("{") or not line.endswith("}"), f"a whole line that is not JSON: {line!r}"
    return keys


def run_reminder_pass_and_kill(env: dict[str, str], day: date, outbox: Path, lines: int, jitter: float) -> None:
    """Start `careerbot remind --send --today DAY`, wait until it has delivered `lines` more messages, let it
    run `jitter` seconds more (so the kill lands anywhere in the send-record cycle), then SIGKILL it."""
    import subprocess
    import sys

    from tests.ops_support import ROOT

    target = len(outbox_keys(outbox)) + lines
    proc = subprocess.Popen([sys.executable, "-m", "bot", "remind", "--send", "--today", day.isoformat()], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(outbox_keys(outbox)) < target:
        assert proc.poll() is None, f"the pass ended before the kill: {proc.stderr.read().decode()[-2000:]}"
        assert time.monotonic() < deadline, "the pass did not get that far within 60 s"
        time.sleep(0.001)
    if jitter:
        time.sleep(jitter)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    proc.stderr.close()


def in_flight_at_kill(store: Store, outbox: Path) -> set[str]:
    """Reminders delivered but not recorded as sent: the process died between the two."""
    delivered = set(outbox_keys(outbox))
    return {e.key for e in store.ledger(status="claimed")} & delivered


def _kill_9_reminder_pass(env: dict[str, str], store: Store, tmp_path: Path, *, people: int, managers: int) -> dict:
    outbox = tmp_path / "outbox.jsonl"
    env = dict(env, CAREERBOT_NOTIFY_FILE=str(outbox))
    expected = seed_people(store, people, managers)
    rng = random.Random(int(os.environ.get("CAREERBOT_FAULT_SEED", "11")))
    may_repeat: set[str] = set()
    kills = 0
    for day in WEEK[:3]:  # each rerun a day later: the dead process's claims (2-minute leases) have run out
        run_reminder_pass_and_kill(env, day, outbox, lines=rng.randint(20, 150),
                                   jitter=rng.choice([0, 0, rng.uniform(0, 0.003)]))
        kills += 1
        window = in_flight_at_kill(store, outbox)
        assert len(window) <= 1, f"more than one reminder between delivery and record: {window}"
        may_repeat |= window
        assert len(set(outbox_keys(outbox))) < len(expected), "killed too late to prove anything"
    done = careerbot("remind", "--send", "--today", WEEK[3].isoformat(), env=env, timeout=300)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["errors"] == 0 and report["failed"] == 0
    again = careerbot("remind", "--send", "--today", WEEK[4].isoformat(), env=env, timeout=300)
    assert json.loads(again.stdout.strip().splitlines()[-1])["sent"] == 0, "a finished pass sends nothing more"

    sent = store.ledger(status="sent")
    assert sorted(e.key for e in sent) == sorted(expected), "every due reminder recorded sent, once"
    assert not store.ledger(status="claimed") and not store.ledger(status="failed") and not store.ledger(status="dead")
    counts = Counter(outbox_keys(outbox))
    assert set(counts) == expected, "every due reminder delivered"
    twice = {k for k, c in counts.items() if c > 1}
    assert all(counts[k] == 2 for k in twice)
    assert twice <= may_repeat, f"delivered twice without a crash in between delivery and record: {twice - may_repeat}"
    assert len(twice) <= kills
    return {"reminders": len(expected), "kills": kills, "delivered twice": len(twice)}


@pytest.mark.slow
def test_kill_9_during_reminder_passes_on_sqlite_sends_each_reminder_once(tmp_path, capsys):
    env = clean_env(tmp_path)
    store = open_store(env["DATABASE_URL"])
    try:
        result = _kill_9_reminder_pass(env, store, tmp_path, people=600, managers=30)
    finally:
        store.close()
    with capsys.disabled():
        print(f"\n  kill -9 during reminder passes (SQLite): {result}")


@pytest.mark.slow
@pytest.mark.postgres
def test_kill_9_during_reminder_passes_on_postgres_sends_each_reminder_once(tmp_path, pg_store_url, capsys):  # noqa: F811
    env = clean_env(tmp_path, DATABASE_URL=pg_store_url)
    store = open_store(pg_store_url)
    try:
        result = _kill_9_reminder_pass(env, store, tmp_path, people=600, managers=30)
    finally:
        store.close()
    with capsys.disabled():
        print(f"\n  kill -9 during reminder passes (PostgreSQL): {result}")


# -- the store unreachable for a while ------------------------------------------------------------------------------

def _proxied(url: str, port: int) -> str:
    """The PostgreSQL URL with its host and port replaced by the proxy's."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{userinfo}127.0.0.1:{port}"))


def _always_open(person: Person) -> Person:
    person.prefs.working_hours, person.prefs.working_days = (0, 24), (0, 1, 2, 3, 4, 5, 6)
    return person


@pytest.mark.slow
@pytest.mark.postgres
async def test_postgres_unreachable_for_a_while_then_back_loses_nothing(tmp_path, pg_store_url):  # noqa: F811
    from urllib.parse import urlsplit

    target = urlsplit(PG_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432).start()
    connector = MockConnector()
    await connector.start()
    outbox = tmp_path / "outbox.jsonl"
    env = clean_env(tmp_path, DATABASE_URL=_proxied(pg_store_url, proxy.port), CAREERBOT_REMINDERS="1",
                    CAREERBOT_REMINDER_INTERVAL="1", CAREERBOT_NOTIFY_FILE=str(outbox), CAREERBOT_LOG_JSON="1")
    direct = open_store(pg_store_url)  # the test's own way in, around the proxy
    server = ServeProcess(tmp_path, env).start()
    reminders_today = bank_holiday(datetime.now(LONDON).date()) is None
    try:
        async with aiohttp.ClientSession() as http:
            async def say(text: str) -> str:
                before = len(connector.posted())
                activity = message(connector.url, text, aad="aad-outage", user_id="29:outage")
                async with http.post(server.url + "/api/messages", json=activity) as resp:
                    assert resp.status == 200, await resp.text()
                new = connector.posted()[before:]
                assert new, f"no reply to {text!r}"
                return "\n".join(call.text for call in new)

            assert "Set your level to SW2A" in await say("I'm SW2A since March 2024")
            assert "your level is SW2A" in await say("yes")  # confirmed: the level is stored

            proxy.cut()  # PostgreSQL drops off the network
            t0 = time.monotonic()
            reply = await say("what do I need for SW3B?")
            assert "can't reach my records" in reply and "Nothing you sent has been lost" in reply
            assert time.monotonic() - t0 < 10, "a turn must not hang on a store that is away"
            status, body = http_get(server.url + "/readyz")
            assert status == 503 and body["checks"]["store"] is False
            assert http_get(server.url + "/healthz")[0] == 200
            # Reminders fall due while the store is away (written behind the server's back).
            due = [_always_open(Person(id=f"due-{i}", display_name=f"Due {i}", level_code="SW2A",
                                       level_since=add_months(date.today(), -25))) for i in range(5)]
            direct.upsert_people(due)
            await asyncio.sleep(2.5)  # a few passes fail meanwhile
            assert outbox_keys(outbox) == []

            proxy.restore()
            deadline = time.monotonic() + 20
            while http_get(server.url + "/readyz")[0] != 200:
                assert time.monotonic() < deadline, "not ready again after the store came back"
                await asyncio.sleep(0.2)
            assert "SW3B" in await say("what do I need for SW3B?")
            assert "Your level: SW2A, since 1 March 2024" in await say("my progress")  # set before the outage
            if reminders_today:
                deadline = time.monotonic() + 20
                while len(outbox_keys(outbox)) < len(due):
                    assert time.monotonic() < deadline, "reminders did not resume"
                    await asyncio.sleep(0.2)
                await asyncio.sleep(1.5)  # another pass or two: nothing more goes
                keys = outbox_keys(outbox)
                assert len(keys) == len(set(keys)) == len(due)
                assert {e.key for e in direct.ledger(status="sent")} == set(keys)
    finally:
        server.terminate()
        code = server.wait(60)
        proxy.close()
        await connector.close()
        direct.close()
    assert code == 0
    log = [json.loads(line) for line in server.log_lines()]
    assert any(r["level"] == "warning" and "not ready" in r["msg"] for r in log)
    assert any("ready again" in r["msg"] for r in log)


# -- a chat platform answering 429 / 500 / timeouts: the reminder service's retries ------------------------------------

class FlakyChannel:
    """A notifier that fails like a rate-limited or broken chat API, by person: always, sometimes, or never."""

    name = "slack"

    def __init__(self, *, seed: int = 3) -> None:
        self.rng = random.Random(seed)
        self.calls: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0

    def can_reach(self, person: Person) -> bool:
        return True

    def send(self, person: Person, reply) -> None:
        key = reply.meta["reminder_key"]
        self.calls[key] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            kind = person.id.split("-")[0]
            if kind == "down":  # the API is down for this workspace: 500 every time
                raise DeliveryError("500 Internal Server Error")
            if kind == "limited" and self.rng.random() < 0.7:
                raise DeliveryError("429 Too Many Requests", retry_after=self.rng.choice([1, 30, 600]))
            if kind == "slow" and self.rng.random() < 0.5:
                raise DeliveryError("timed out after 10 s")
            if kind == "gone":
                raise DeliveryError("channel_not_found", retryable=False)
            self.delivered[key] += 1
        finally:
            self.in_flight -= 1


@pytest.mark.slow
def test_a_failing_chat_platform_gets_bounded_retries_with_backoff_and_no_pile_up(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/flaky.db")
    kinds = {"ok": 10, "limited": 12, "slow": 12, "down": 3, "gone": 3}
    people = [_always_open(Person(id=f"{kind}-{i}", slack_user_id=f"U{kind}{i}", level_code="SW2A",
                                  level_since=date(2023, 3, 1)))
              for kind, n in kinds.items() for i in range(n)]
    store.upsert_people(people)
    channel = FlakyChannel()
    start = datetime(2025, 6, 9, 9, 0, tzinfo=UTC)
    clock = {"now": start}
    service = ReminderService(store, KNOWLEDGE, {"slack": channel}, clock=lambda: clock["now"])
    attempts_per_pass = []
    for step in range(36 * 4):  # a day and a half of passes every 15 minutes
        clock["now"] = start + timedelta(minutes=15 * step)
        before = sum(channel.calls.values())
        service.run_pass(clock["now"])
        attempts_per_pass.append(sum(channel.calls.values()) - before)
    ledger = {e.key: e for e in store.ledger()}
    policy = service.policy
    assert len(ledger) == len(people)
    for key, calls in channel.calls.items():
        assert calls <= policy.max_attempts, f"{key}: {calls} attempts"  # bounded
        assert channel.delivered[key] <= 1, f"{key} delivered twice"  # never duplicated
    for person in people:
        entry = next(e for e in ledger.values() if e.person_id == person.id)
        kind = person.id.split("-")[0]
        if kind == "ok":
            assert entry.status == "sent" and channel.calls[entry.key] == 1
        elif kind in ("limited", "slow"):
            assert entry.status in ("sent", "dead")
            assert entry.status == "sent" or channel.calls[entry.key] == policy.max_attempts
        elif kind == "down":
            assert entry.status == "dead" and channel.calls[entry.key] == policy.max_attempts
            assert "500" in (entry.last_error or "")
        else:  # the person removed the app: given up at once, marked unreachable, not retried
            assert entry.status == "dead" and channel.calls[entry.key] == 1
            assert "slack" in store.get_person(person.id).unreachable
    # No pile-up: sends are one at a time; after the first pass only retries that are due go, never a burst.
    assert channel.max_in_flight == 1
    assert attempts_per_pass[0] == len(people)
    assert max(attempts_per_pass[1:]) <= kinds["limited"] + kinds["slow"] + kinds["down"]
    assert sum(attempts_per_pass[-60:]) == 0, "everything settled: nothing retried for ever"
    # Backoff: the retries of a key that was always down are spread out, per the policy, not every pass.
    down_key = next(k for k in channel.calls if k.startswith("down-0|"))
    assert channel.calls[down_key] == policy.max_attempts
    store.close()


# -- two replicas on one PostgreSQL ---------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.postgres
def test_two_processes_on_one_postgres_send_each_reminder_once(tmp_path, pg_store_url):  # noqa: F811
    """Two `careerbot remind --send` processes at the same moment on the same database (as two `serve`
    replicas' schedulers would be): every due reminder is delivered exactly once between them."""
    import subprocess
    import sys

    from tests.ops_support import ROOT

    store = open_store(pg_store_url)
    try:
        expected = seed_people(store, 300, 15)
        outboxes = [tmp_path / "outbox-a.jsonl", tmp_path / "outbox-b.jsonl"]
        procs = [subprocess.Popen([sys.executable, "-m", "bot", "remind", "--send", "--today", WEEK[0].isoformat()],
                                  env=clean_env(tmp_path, DATABASE_URL=pg_store_url, CAREERBOT_NOTIFY_FILE=str(box)),
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for box in outboxes]
        reports = []
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err[-2000:]
            reports.append(json.loads(out.strip().splitlines()[-1]))
        delivered = Counter(k for box in outboxes for k in outbox_keys(box))
        assert set(delivered) == expected, "every due reminder delivered"
        assert max(delivered.values()) == 1, "no reminder delivered twice"
        assert sum(r["sent"] for r in reports) == len(expected)
        print(f"\n  two processes on one PostgreSQL: sent {[r['sent'] for r in reports]} of {len(expected)}")
        assert sorted(e.key for e in store.ledger(status="sent")) == sorted(expected)
    finally:
        store.close()
