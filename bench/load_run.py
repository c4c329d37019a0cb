"""Load run: Slack and Teams together at a steady rate on two `careerbot serve` replicas sharing PostgreSQL.

What it does, all on 127.0.0.1:
- creates a PostgreSQL schema of its own (dropped at the end) and seeds people due a reminder, so the two
  replicas' in-process schedulers race to send them while the load runs (each must go exactly once);
- starts a mock Slack Web API (tests/mock_slack.py) and a mock Bot Connector (tests/mock_connector.py);
- starts two real `careerbot serve` processes (JSON logs at INFO to files, as in production);
- baseline: GET /healthz at the same rate, before the load, on the same replicas;
- load: signed Slack DM events and Teams message activities, alternating, spread over both replicas (as a
  proxy would), at a fixed arrival rate (open loop: a slow server does not slow the arrivals), for --minutes;
  each simulated person sends their next message about every --users/rate seconds (questions, a short
  dialog, their own milestone, reminder settings);
- reports throughput, p50/p95/p99 latency (Teams: request to response, the reply already delivered; Slack: the
  3-second ack, and the time until the answer reached the mock Slack), errors, and each replica's RSS
  memory sampled every 5 seconds from the start to the end of the load.

    python bench/load_run.py                   # 3 minutes at 20 requests/s
    python bench/load_run.py --minutes 10 --rate 40
    python bench/load_run.py --write-docs      # also rewrite docs/performance.md with the results
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import re
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import psycopg  # noqa: E402

from tests.mock_connector import MockConnector, message  # noqa: E402
from tests.mock_slack import BOT_USER, TEAM, MockSlack  # noqa: E402
from tests.ops_support import ServeProcess, clean_env  # noqa: E402
from tests.slack_fixtures import SECRET, TOKEN, sign  # noqa: E402
from tests.storage_fixtures import with_search_path  # noqa: E402

DEFAULT_PG = os.environ.get("CAREERBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
# What a person says over a session, in order, then again: questions, a short dialog, personal commands.
SCRIPT = [
    "what do I need for SW3B?",
    "how long before I can go for SW2B?",
    "what evidence for SW3C?",
    "what does AMHP stand for?",
    "start a self-assessment for SW2B",
    "met",
    "skip",
    "partly",
    "pause",
    "difference between SW3A and SW3B",
    "my progress",
    "snooze for 2 weeks",
    "start reminders",
    "what is PCF domain 6?",
    "what do I need for SCO 4B?",
    "help",
]


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def summary(latencies: list[float]) -> dict[str, Any]:
    ms = [v * 1000 for v in latencies]
    return {"n": len(ms), "p50_ms": _r(percentile(ms, 0.50)), "p95_ms": _r(percentile(ms, 0.95)),
            "p99_ms": _r(percentile(ms, 0.99)), "max_ms": _r(max(ms) if ms else None),
            "mean_ms": _r(statistics.fmean(ms) if ms else None)}


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version(),
                            "kernel": platform.release(), "platform": platform.platform()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        info["cpu"] = models[0] if models else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


# -- the database ----------------------------------------------------------------------------------------------

def create_schema(url: str) -> tuple[str, str]:
    schema = f"cbload_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema, with_search_path(url, schema)


def drop_schema(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def seed_reminders(url: str, n: int) -> set[str]:
    """n people on Slack, due an 'eligible' reminder now at any hour; returns their ids."""
    from bot.milestones import add_months
    from bot.storage import open_store
    from bot.storage.base import Person

    store = open_store(url)
    try:
        people = []
        for i in range(n):
            p = Person(id=f"rem-{i:04d}", display_name=f"Reminder {i}", slack_user_id=f"UR{i:04d}",
                       level_code="SW2A", level_since=add_months(date.today(), -25))
            p.prefs.working_hours, p.prefs.working_days = (0, 24), (0, 1, 2, 3, 4, 5, 6)
            people.append(p)
        store.upsert_people(people)
        version = store.schema_version()
    finally:
        store.close()
    assert version > 0
    return {p.id for p in people}


def pg_version(url: str) -> str:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


# -- the load ----------------------------------------------------------------------------------------------------

class Load:
    def __init__(self, replicas: list[ServeProcess], slack: MockSlack, connector: MockConnector, users: int) -> None:
        self.replicas = replicas
        self.slack = slack
        self.connector = connector
        self.users = users
        self.http: aiohttp.ClientSession | None = None
        self.event_ids = itertools.count(1)
        self.steps = {("slack", u): 0 for u in range(users)} | {("teams", u): 0 for u in range(users)}
        self.results: list[dict[str, Any]] = []
        self.slack_sent: dict[int, list[float]] = {u: [] for u in range(users)}  # user -> send times (monotonic)
        self.in_flight = 0
        self.max_in_flight = 0

    async def __aenter__(self) -> Load:
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30),
                                          connector=aiohttp.TCPConnector(limit=400))
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self.http is not None
        await self.http.close()

    def next_text(self, channel: str, user: int) -> str:
        step = self.steps[(channel, user)]
        self.steps[(channel, user)] = step + 1
        return SCRIPT[(step + user) % len(SCRIPT)]

    async def slack_dm(self, replica: ServeProcess, user: int, phase: str) -> None:
        text = self.next_text("slack", user)
        ts = f"{time.time():.6f}"
        body = json.dumps({
            "token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
            "event_id": f"EvLoad{next(self.event_ids):08d}", "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": {"type": "message", "channel_type": "im", "channel": f"DL{user:04d}", "user": f"UL{user:04d}",
                      "text": text, "ts": ts, "event_ts": ts},
        }).encode()
        headers = {"Content-Type": "application/json", **sign(body, secret=SECRET)}
        if phase == "load":
            self.slack_sent[user].append(time.monotonic())
        await self._post(replica, "/slack/events", body, headers, "slack", phase)

    async def teams_message(self, replica: ServeProcess, user: int, phase: str) -> None:
        text = self.next_text("teams", user)
        activity = message(self.connector.url, text, conversation_id=f"a:load-{user:04d}",
                           user_id=f"29:load-{user:04d}", aad=f"aad-load-{user:04d}", name=f"Load User {user}")
        await self._post(replica, "/api/messages", json.dumps(activity).encode(),
                         {"Content-Type": "application/json"}, "teams", phase)

    async def healthz(self, replica: ServeProcess, phase: str) -> None:
        await self._request("GET", replica, "/healthz", None, {}, "healthz", phase)

    async def _post(self, replica, path, body, headers, channel, phase) -> None:
        await self._request("POST", replica, path, body, headers, channel, phase)

    async def _request(self, method, replica, path, body, headers, channel, phase) -> None:
        assert self.http is not None
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        started = time.monotonic()
        status, error = None, None
        try:
            async with self.http.request(method, replica.url + path, data=body, headers=headers) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"{exc.__class__.__name__}: {exc}"
        finally:
            self.in_flight -= 1
        self.results.append({"phase": phase, "channel": channel, "replica": replica.port, "status": status,
                             "error": error, "started": started, "seconds": time.monotonic() - started})

    async def run(self, phase: str, seconds: float, rate: float, make) -> float:
        """Start make(i) at a fixed rate for `seconds`; wait for them all. Returns the phase's wall time."""
        tasks = []
        t0 = time.monotonic()
        total = int(seconds * rate)
        for i in range(total):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(make(i)))
        await asyncio.gather(*tasks)
        return time.monotonic() - t0


async def sample_rss(replicas: list[ServeProcess], samples: dict[int, list[tuple[float, float]]],
                     stop: asyncio.Event, t0: float, every: float = 5.0) -> None:
    while True:
        for r in replicas:
            value = rss_mb(r.proc.pid)
            if value is not None:
                samples[r.port].append((round(time.monotonic() - t0, 1), round(value, 1)))
        try:
            await asyncio.wait_for(stop.wait(), every)
            return
        except TimeoutError:
            pass


def slack_answers(load: Load, slack: MockSlack) -> tuple[list[float], int]:
    """Time from each Slack DM to the first answer to it at the mock Slack; and how many got none."""
    replies: dict[str, list[float]] = {}
    for call in list(slack.calls):
        channel = str(call.args.get("channel") or "")
        if call.method in ("chat.postMessage", "chat.update") and channel.startswith("DL"):
            replies.setdefault(channel, []).append(call.at)
    latencies, missing = [], 0
    for user, sends in load.slack_sent.items():
        times = sorted(replies.get(f"DL{user:04d}", []))
        for k, sent in enumerate(sends):
            limit = sends[k + 1] if k + 1 < len(sends) else float("inf")
            first = next((t for t in times if sent <= t < limit), None)
            if first is None:
                missing += 1
            else:
                latencies.append(first - sent)
    return latencies, missing


def _slope_per_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of RSS against time, in MB per minute."""
    if len(points) < 3:
        return None
    ts, vs = [t for t, _ in points], [v for _, v in points]
    mt, mv = statistics.fmean(ts), statistics.fmean(vs)
    var = sum((t - mt) ** 2 for t in ts)
    return round(60 * sum((t - mt) * (v - mv) for t, v in points) / var, 2) if var else None


def memory_report(samples: list[tuple[float, float]], load_start: float, load_end: float) -> dict[str, Any]:
    during = [(t, v) for t, v in samples if load_start <= t <= load_end + 1]
    if len(during) < 6:
        return {"samples": samples}
    half = len(during) // 2
    per_minute = []
    minute = 0
    while load_start + 60 * minute <= during[-1][0] + 1:
        at = load_start + 60 * minute
        per_minute.append(min(during, key=lambda p: abs(p[0] - at))[1])
        minute += 1
    return {
        "per_minute_mb": per_minute,
        "after_start_mb": samples[0][1], "start_mb": during[0][1], "end_mb": during[-1][1],
        "peak_mb": max(v for _, v in during),
        "slope_first_half_mb_per_min": _slope_per_min(during[:half]),
        "slope_second_half_mb_per_min": _slope_per_min(during[half:]),
        "samples": samples,
    }


async def main_async(args) -> dict[str, Any]:
    from bot.storage import open_store

    tmp = Path(tempfile.mkdtemp(prefix="careerbot-load-"))
    schema, url = create_schema(args.database_url)
    results: dict[str, Any] = {"machine": machine(), "postgresql": pg_version(args.database_url),
                               "started": datetime.now(UTC).isoformat(timespec="seconds"),
                               "settings": {"minutes": args.minutes, "rate_per_s": args.rate, "users": args.users,
                                            "baseline_s": args.baseline, "warmup_s": args.warmup,
                                            "reminders_seeded": args.reminders, "replicas": 2}}
    reminder_people = seed_reminders(url, args.reminders)
    slack = MockSlack().start()
    connector = MockConnector(record_bodies=False)
    await connector.start()
    env = clean_env(tmp, DATABASE_URL=url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET,
                    SLACK_API_URL=slack.api_url, CAREERBOT_REMINDERS="1", CAREERBOT_REMINDER_INTERVAL="15",
                    CAREERBOT_LOG_JSON="1", CAREERBOT_LOG_LEVEL="INFO")
    replicas = [ServeProcess(tmp, env, name=f"replica-{n}") for n in "ab"]
    for r in replicas:
        await asyncio.to_thread(r.start)
    t0 = time.monotonic()
    rss: dict[int, list[tuple[float, float]]] = {r.port: [] for r in replicas}
    stop_sampling = asyncio.Event()
    sampler = asyncio.ensure_future(sample_rss(replicas, rss, stop_sampling, t0))
    codes: list[int] = []
    try:
        async with Load(replicas, slack, connector, args.users) as load:
            def mixed(phase: str):
                async def make(i: int) -> None:
                    replica = replicas[(i // 2) % 2]
                    user = (i // 2) % args.users
                    if i % 2 == 0:
                        await load.slack_dm(replica, user, phase)
                    else:
                        await load.teams_message(replica, user, phase)
                return make

            print(f"warm-up: {args.warmup:.0f} s", flush=True)
            await load.run("warmup", args.warmup, args.rate, mixed("warmup"))
            print(f"baseline: GET /healthz at {args.rate}/s for {args.baseline:.0f} s", flush=True)
            base_wall = await load.run("baseline", args.baseline, args.rate,
                                       lambda i: load.healthz(replicas[i % 2], "baseline"))
            await asyncio.sleep(2)
            print(f"load: Slack + Teams at {args.rate}/s for {args.minutes} min", flush=True)
            load_start = time.monotonic() - t0
            replies_before = len(connector.posted())
            probe_stop = asyncio.Event()

            async def probe() -> None:  # /healthz once a second per replica while the load runs
                while not probe_stop.is_set():
                    await asyncio.gather(*(load.healthz(r, "healthz under load") for r in replicas))
                    try:
                        await asyncio.wait_for(probe_stop.wait(), 1)
                    except TimeoutError:
                        pass

            prober = asyncio.ensure_future(probe())
            load_wall = await load.run("load", args.minutes * 60, args.rate, mixed("load"))
            load_end = time.monotonic() - t0
            probe_stop.set()
            await prober
            # Slack answers go out after the ack: wait until they have all arrived (bounded).
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                _, missing = slack_answers(load, slack)
                if missing == 0:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(max(0.0, 16 - (time.monotonic() - t0 - load_end)))  # one more reminder pass
            stop_sampling.set()
            await sampler

            rows = load.results
            by = lambda phase, channel=None: [x for x in rows if x["phase"] == phase  # noqa: E731
                                              and (channel is None or x["channel"] == channel)]
            ok = lambda xs: [x for x in xs if x["status"] is not None and x["status"] < 400]  # noqa: E731
            slack_e2e, slack_missing = slack_answers(load, slack)
            teams_rows = by("load", "teams")
            base_rows = by("baseline")
            results["baseline"] = {"healthz": summary([x["seconds"] for x in ok(base_rows)]),
                                   "requests": len(base_rows), "errors": len(base_rows) - len(ok(base_rows)),
                                   "throughput_per_s": round(len(ok(base_rows)) / base_wall, 2)}
            results["load"] = {
                "wall_s": round(load_wall, 1),
                "requests": len(by("load")),
                "throughput_per_s": round(len(ok(by("load"))) / load_wall, 2),
                "errors": len(by("load")) - len(ok(by("load"))),
                "error_samples": [x["error"] or x["status"] for x in by("load") if x not in ok(by("load"))][:5],
                "max_in_flight": load.max_in_flight,
                "teams": {**summary([x["seconds"] for x in ok(teams_rows)]), "requests": len(teams_rows),
                          "errors": len(teams_rows) - len(ok(teams_rows)),
                          "replies_at_connector": len(connector.posted()) - replies_before},
                "slack_ack": {**summary([x["seconds"] for x in ok(by("load", "slack"))]),
                              "requests": len(by("load", "slack")),
                              "errors": len(by("load", "slack")) - len(ok(by("load", "slack")))},
                "slack_answer": {**summary(slack_e2e), "unanswered": slack_missing},
                "healthz_under_load": summary([x["seconds"] for x in ok(by("healthz under load"))]),
            }
            results["memory"] = {f"replica {n}": memory_report(rss[r.port], load_start, load_end)
                                 for n, r in zip("ab", replicas, strict=True)}
            # Reminders: both replicas' schedulers ran passes throughout; each reminder must have gone once.
            store = open_store(url, migrate=False)
            try:
                sent = [e for e in store.ledger(status="sent") if e.person_id in reminder_people]
                unsent = [e for e in store.ledger() if e.person_id in reminder_people and e.status != "sent"]
            finally:
                store.close()
            posts = [c for c in slack.calls if c.method == "chat.postMessage"
                     and str(c.args.get("channel") or "").startswith("DR")]
            per_channel: dict[str, int] = {}
            for c in posts:
                per_channel[c.args["channel"]] = per_channel.get(c.args["channel"], 0) + 1
            results["reminders"] = {"due": len(reminder_people), "recorded_sent": len(sent), "not_sent": len(unsent),
                                    "delivered": len(per_channel),
                                    "delivered_twice": sum(1 for v in per_channel.values() if v > 1)}
    finally:
        stop_sampling.set()
        for r in replicas:
            if r.proc is not None and r.proc.poll() is None:
                r.terminate()
        for r in replicas:
            if r.proc is not None:
                try:
                    codes.append(await asyncio.to_thread(r.wait, 60))
                except Exception:  # noqa: BLE001
                    r.kill()
                    codes.append(-9)
        await connector.close()
        slack.stop()
        if not args.keep:
            drop_schema(args.database_url, schema)
    log_errors = []
    for r in replicas:
        for line in r.log_lines():
            try:
                rec = json.loads(line)
            except ValueError:
                log_errors.append(f"not JSON: {line[:120]}")
                continue
            if rec.get("level") in ("error", "critical"):
                log_errors.append(f"{rec.get('logger')}: {rec.get('msg', '')[:160]}")
    polite_errors = sum(1 for r in replicas for line in r.log_lines() if "store unavailable during a turn" in line)
    results["shutdown_exit_codes"] = codes
    results["replica_log_errors"] = {"count": len(log_errors), "samples": log_errors[:5],
                                     "store_unavailable_turns": polite_errors}
    results["logs_dir"] = str(tmp)
    return results


# -- reporting ---------------------------------------------------------------------------------------------------

def _row(name: str, s: dict[str, Any], extra: str = "") -> str:
    return f"| {name} | {s.get('n', '')} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | {s['max_ms']} | {extra} |"


def markdown(res: dict[str, Any]) -> str:
    m, st, load, base = res["machine"], res["settings"], res["load"], res["baseline"]
    mem_rows = []
    for name, mem in res["memory"].items():
        minutes = mem.get("per_minute_mb") or []
        tail = (round(minutes[-1] - minutes[int(0.75 * (len(minutes) - 1))], 1)
                if len(minutes) >= 4 else None)
        mem_rows.append(f"| {name} | {mem.get('after_start_mb')} | {mem.get('start_mb')} | {mem.get('end_mb')} | "
                        f"{mem.get('peak_mb')} | "
                        f"{mem.get('slope_first_half_mb_per_min')} | {mem.get('slope_second_half_mb_per_min')} | "
                        f"{tail} |")
    rem = res["reminders"]
    lines = [
        "# Performance: a load run on two replicas",
        "",
        "Produced by `python bench/load_run.py --write-docs` "
        f"({st['minutes']} min at {st['rate_per_s']} requests/s). Rerun it on your own hardware before sizing a "
        "deployment; the numbers below are from the machine described here, in one run.",
        "",
        "## The set-up",
        "",
        f"- Machine: {m.get('cpu')}, {m['nproc']} CPUs (nproc), {m.get('memory_gib')} GiB memory, "
        f"Linux {m['kernel']}; Python {m['python']}; PostgreSQL {res['postgresql']} on the same machine.",
        "- Two `careerbot serve` processes (the replicas), each with the in-process reminder scheduler "
        "(a pass every 15 s), JSON logs at INFO to a file, sharing one PostgreSQL schema.",
        "- Slack's Web API and Microsoft's Bot Connector are local mocks on 127.0.0.1 (tests/mock_slack.py, "
        "tests/mock_connector.py), answering at once: the numbers are careerbot's own cost, not Slack's or "
        "Microsoft's network.",
        f"- Load: signed Slack DM events and Teams message activities, alternating, spread over both replicas, "
        f"at a fixed arrival rate of {st['rate_per_s']}/s in total (open loop), from {st['users']} simulated "
        "people per channel. Each person works through a script: framework questions, the start of a "
        "self-assessment (three answers, then pause), their own milestone, snooze and resume reminders.",
        f"- Meanwhile {st['reminders_seeded']} people were due a reminder: both replicas' schedulers raced to "
        "send them through the Slack mock.",
        f"- Baseline, in the same run before the load: `GET /healthz` at the same rate ({st['rate_per_s']}/s) "
        f"for {st['baseline_s']:.0f} s on the same two replicas: the cost of the HTTP stack alone.",
        "",
        "## Results",
        "",
        f"Throughput: **{load['throughput_per_s']} requests/s** completed over {load['wall_s']} s "
        f"({load['requests']} requests, offered {st['rate_per_s']}/s); **{load['errors']} errors**; "
        f"at most {load['max_in_flight']} requests in flight. Baseline: {base['throughput_per_s']}/s, "
        f"{base['errors']} errors.",
        "",
        "| Latency | requests | p50 ms | p95 ms | p99 ms | max ms | |",
        "|---|---|---|---|---|---|---|",
        _row("Baseline: GET /healthz, idle", base["healthz"]),
        _row("Teams: message to response (reply delivered)", load["teams"],
             f"{load['teams']['replies_at_connector']} replies reached the connector"),
        _row("Slack: event to ack", load["slack_ack"]),
        _row("Slack: event to answer at Slack", load["slack_answer"],
             f"{load['slack_answer']['unanswered']} unanswered"),
        _row("GET /healthz during the load", load["healthz_under_load"]),
        "",
        "Memory (RSS, MB) of each replica, sampled every 5 s from the start to the end of the load:",
        "",
        "| Replica | ready | load start | load end | peak | trend, first half (MB/min) | "
        "trend, second half (MB/min) | change over the last quarter (MB) |",
        "|---|---|---|---|---|---|---|---|",
        *mem_rows,
        "",
        "RSS at each minute of the load (MB):",
        "",
        *[f"- {name}: {' → '.join(str(v) for v in mem.get('per_minute_mb', []))}"
          for name, mem in res["memory"].items()],
        "",
        f"Reminders: {rem['due']} due, {rem['recorded_sent']} recorded sent, {rem['delivered']} delivered, "
        f"{rem['delivered_twice']} delivered twice, {rem['not_sent']} not sent.",
        "",
        f"Replica logs: {res['replica_log_errors']['count']} error lines; every line was JSON. "
        f"Both replicas stopped on SIGTERM with exit codes {res['shutdown_exit_codes']}.",
        "",
        "## Reading it",
        "",
        "- Latency is measured by the load generator on the same machine, so it includes the generator's own "
        "scheduling; the baseline shows what that and the HTTP stack cost without any careerbot work.",
        "- Teams answers inside the request (the reply is posted to the Bot Connector before the response), so "
        "its latency is the whole turn. Slack acknowledges first (Slack wants the ack within 3 s) and answers "
        "afterwards; both are shown.",
        "- Memory should level off: the trend (least-squares slope of RSS) in the second half of the load should "
        "be near zero. A rise early on is careerbot's in-memory caches filling. Every one of them is bounded: "
        "answers (2,048), rendered Slack answers (1,024), Teams cards and Slack messages with buttons (2,000 "
        "each, a few KB apiece), Slack "
        "event ids and answered buttons (20,000 each), saved conversation references (50,000 ids). At "
        "10 requests/s per replica the card and message caches fill after about 7 minutes, so a run of 3 "
        "minutes still shows them growing; a longer run shows where memory settles.",
        "",
        "To reproduce: PostgreSQL on 127.0.0.1:5432 (or `--database-url`), then "
        f"`python bench/load_run.py --minutes {st['minutes']:g} --rate {st['rate_per_s']:g} --write-docs` "
        "(the default, 3 minutes, is enough for latency and errors; memory needs about 10 minutes to settle "
        "at this rate).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the load (default 3)")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second, both channels (default 20)")
    parser.add_argument("--users", type=int, default=100, help="simulated people per channel (default 100)")
    parser.add_argument("--baseline", type=float, default=30.0, help="seconds of the /healthz baseline (default 30)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of warm-up, not measured (default 10)")
    parser.add_argument("--reminders", type=int, default=300, help="people due a reminder during the run")
    parser.add_argument("--database-url", default=DEFAULT_PG, help="PostgreSQL to create a scratch schema in")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON here too")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/performance.md with the results")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema afterwards")
    parser.add_argument("--from-json", metavar="FILE", help="do not run: print (and with --write-docs, write) the "
                                                            "report of an earlier run's JSON results")
    args = parser.parse_args(argv)
    if args.from_json:
        text = markdown(json.loads(Path(args.from_json).read_text(encoding="utf-8")))
        print(text)
        if args.write_docs:
            (ROOT / "docs" / "performance.md").write_text(text, encoding="utf-8")
        return 0
    if not (0 < args.minutes <= 120 and 0 < args.rate <= 500 and 0 < args.users <= 10_000):
        parser.error("--minutes must be in (0, 120], --rate in (0, 500], --users in (0, 10000]")
    results = asyncio.run(main_async(args))
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = re.sub(r"[^0-9T]", "", results["started"])[:15]
    path = Path(args.json) if args.json else out_dir / f"load_run-{stamp}.json"
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    text = markdown(results)
    print(text)
    print(f"results: {path}")
    if args.write_docs:
        (ROOT / "docs" / "performance.md").write_text(text, encoding="utf-8")
        print("docs/performance.md written")
    load = results["load"]
    healthy = (load["errors"] == 0 and load["slack_answer"]["unanswered"] == 0
               and results["reminders"]["delivered_twice"] == 0 and all(c == 0 for c in results["shutdown_exit_codes"]))
    return 0 if healthy else 1


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
