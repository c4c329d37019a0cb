"""Teams channel benchmark: careerbot answering real questions vs. a stock botbuilder echo bot.

Messages per second and p50/p99 latency of one question through POST /api/messages, at 1, 16 and 64
concurrent connections. Every reply goes to a mock Bot Connector; a message counts once its HTTP request
has been answered (both bots send their reply before answering the request), and the mock's count of
replies is checked against it.

Two processes, as in production: "Teams" (the load generator and a mock Bot Connector) in a child process,
and the bots under test in this one: careerbot's real app (bot.channels.web.make_app over a SQLite file) and a
stock echo bot (BotFrameworkAdapter + ActivityHandler, served by aiohttp), one after the other. The "Teams"
side speaks HTTP/1.1 on raw asyncio streams so that it costs far less CPU than the bots and never limits them.

    python bench/bench_teams.py            # about 60 s
    python bench/bench_teams.py --quick    # about 10 s
    python bench/bench_teams.py --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "what do I need for SW3B?",
    "evidence for SW2B",
    "how long before I can go for SW2B?",
    "what does AMHP stand for?",
    "difference between SW3A and SW3B",
    "what is PCF domain 6?",
    "what evidence for SW3C?",
    "what do I need for SW2C?",
]
CONCURRENCY = (1, 16, 64)


# -- the "Teams" side: load generator and mock Bot Connector (child process) ---------------------------------------

def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[k]


class FastConnector:
    """A minimal Bot Connector for load: HTTP/1.1 keep-alive on raw asyncio streams, answers every activity
    with 201 and counts them (the full mock, tests/mock_connector.py, costs more CPU than the bots it measures)."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self._server: asyncio.base_events.Server | None = None
        self.url = ""

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    size = 0
                    while True:
                        n = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                        await reader.readexactly(n + 2)
                        size += n
                        if n == 0:
                            break
                else:
                    size = int(headers.get("content-length") or 0)
                    await reader.readexactly(size)
                self.bytes += size
                if "/activities" in path:
                    self.count += 1
                body = b'{"id":"m%d"}' % self.count
                writer.write(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One request on a kept-alive connection; the response's status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _teams_side(conn) -> None:
    from tests.mock_connector import BOT_ID

    mock = FastConnector()
    await mock.start()
    conn.send({"connector": mock.url})
    run_id = 0
    while True:
        job = await asyncio.to_thread(conn.recv)
        if job is None:
            break
        run_id += 1
        url, concurrency, seconds, warmup = job["url"], job["concurrency"], job["seconds"], job["warmup"]
        host, port = url.split("//")[1].split("/")[0].split(":")
        latencies: list[float] = []
        errors = 0
        sent = 0
        replies_before = mock.count
        measure_from = time.perf_counter() + warmup
        stop_at = measure_from + seconds
        measured = 0

        async def worker(w: int) -> None:
            nonlocal errors, sent, measured
            reader, writer = await asyncio.open_connection(host, int(port))
            i = 0
            user = f"29:bench-{run_id}-{w}"
            try:
                while time.perf_counter() < stop_at:
                    i += 1
                    activity = {
                        "type": "message", "id": f"{run_id}-{w}-{i}", "channelId": "msteams",
                        "serviceUrl": mock.url, "timestamp": "2025-03-03T10:00:00.000Z",
                        "from": {"id": user, "name": f"Bench {w}", "aadObjectId": f"aad-bench-{run_id}-{w}"},
                        "recipient": {"id": BOT_ID, "name": "bot"},
                        "conversation": {"id": f"a:bench-{run_id}-{w}", "conversationType": "personal",
                                         "tenantId": "bench-tenant"},
                        "channelData": {"tenant": {"id": "bench-tenant"}},
                        "locale": "en-GB", "localTimezone": "Europe/London", "textFormat": "plain",
                        "text": QUESTIONS[(w + i) % len(QUESTIONS)],
                    }
                    body = json.dumps(activity).encode()
                    request = (b"POST /api/messages HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                               b"Content-Length: %d\r\n\r\n" % (host.encode(), port.encode(), len(body))) + body
                    t0 = time.perf_counter()
                    try:
                        ok = await _post(reader, writer, request) in (200, 201, 202)
                    except (asyncio.IncompleteReadError, ConnectionError):
                        ok = False
                        writer.close()
                        reader, writer = await asyncio.open_connection(host, int(port))
                    t1 = time.perf_counter()
                    sent += 1
                    if not ok:
                        errors += 1
                    elif t0 >= measure_from:
                        latencies.append(t1 - t0)
                        measured += 1
            finally:
                writer.close()

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - max(measure_from, started)
        await asyncio.sleep(0.05)
        conn.send({"messages": measured, "seconds": elapsed, "latencies": latencies, "errors": errors, "sent": sent,
                   "replies": mock.count - replies_before})
    await mock.close()


def teams_process(conn) -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_teams_side(conn))


# -- the bots under test (this process) ------------------------------------------------------------------------------

async def _serve(app):
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/api/messages"


def echo_app():
    """The stock botbuilder way: BotFrameworkAdapter.process_activity and an ActivityHandler that echoes."""
    from aiohttp import web
    from botbuilder.core import ActivityHandler, BotFrameworkAdapter, BotFrameworkAdapterSettings, TurnContext
    from botbuilder.schema import Activity

    class EchoBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext):
            await turn_context.send_activity(f"Echo: {turn_context.activity.text}")

    adapter = BotFrameworkAdapter(BotFrameworkAdapterSettings("", ""))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415)
        activity = Activity().deserialize(await request.json())
        response = await adapter.process_activity(activity, request.headers.get("Authorization", ""), bot.on_turn)
        if response:
            return web.json_response(data=response.body, status=response.status)
        return web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def careerbot_app(tmp: Path, turn_threads: int | None = None):
    from bot.app import build_services
    from bot.channels.web import make_app
    from bot.config import load_settings

    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "CAREERBOT_DATA_DIR": str(tmp / "data"),
                              "CAREERBOT_REMINDERS": "0"})
    if turn_threads:
        object.__setattr__(settings, "teams_turn_threads", turn_threads)  # not a Settings field (yet)
    try:
        services = build_services(settings)
    except ImportError:  # the dialogs package is not there yet
        services = build_services(settings, with_dialogs=False)
    return make_app(services), services


async def run(args) -> dict:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=teams_process, args=(child,), daemon=True)
    proc.start()
    hello = await asyncio.to_thread(parent.recv)
    print(f"mock Bot Connector at {hello['connector']} (separate process)", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="careerbot-bench-"))
    app, services = careerbot_app(tmp, args.turn_threads)
    cb_runner, cb_url = await _serve(app)
    echo_runner, echo_url = await _serve(echo_app())
    bots = [(name, url) for name, url in (("echo", echo_url), ("careerbot", cb_url)) if args.only in (None, name)]
    results: dict = {name: {} for name, _ in bots}
    try:
        for concurrency in CONCURRENCY:
            runs: dict = {name: [] for name, _ in bots}
            # Short rounds, alternating which bot goes first, so that a change in the machine's load (other
            # work on the same cores) falls on both bots alike.
            for round_no in range(args.rounds):
                order = bots if round_no % 2 == 0 else bots[::-1]
                for name, url in order:
                    parent.send({"url": url, "concurrency": concurrency, "seconds": args.seconds / args.rounds,
                                 "warmup": args.warmup})
                    cpu0 = time.process_time()
                    res = await asyncio.to_thread(parent.recv)
                    res["cpu"] = time.process_time() - cpu0
                    runs[name].append(res)
            for name, _ in bots:
                rs = runs[name]
                latencies = [x for r in rs for x in r["latencies"]]
                seconds = sum(r["seconds"] for r in rs)
                sent = sum(r["sent"] for r in rs)
                res = {"messages": len(latencies), "seconds": seconds,
                       "rate": len(latencies) / seconds if seconds else 0.0,
                       "p50_ms": _percentile(latencies, 0.50) * 1000, "p99_ms": _percentile(latencies, 0.99) * 1000,
                       "cpu_ms_per_msg": sum(r["cpu"] for r in rs) * 1000 / max(sent, 1),
                       "errors": sum(r["errors"] for r in rs), "sent": sent,
                       "replies": sum(r["replies"] for r in rs)}
                results[name][concurrency] = res
                print(f"  {name:<10} c={concurrency:<3} {res['rate']:8.1f} msg/s  p50 {res['p50_ms']:6.1f} ms  "
                      f"p99 {res['p99_ms']:6.1f} ms  server CPU {res['cpu_ms_per_msg']:.2f} ms/msg  "
                      f"errors {res['errors']}  replies {res['replies']}/{res['sent']}", flush=True)
    finally:
        parent.send(None)
        await asyncio.to_thread(proc.join, 10)
        await cb_runner.cleanup()
        await echo_runner.cleanup()
        services.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def report(results: dict) -> None:
    print()
    print("| concurrency | careerbot msg/s | p50 ms | p99 ms | echo bot msg/s | p50 ms | p99 ms | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = []
    for c in CONCURRENCY:
        cb, eb = results["careerbot"][c], results["echo"][c]
        ratio = cb["rate"] / eb["rate"] if eb["rate"] else float("inf")
        ratios.append(ratio)
        print(f"| {c} | {cb['rate']:.0f} | {cb['p50_ms']:.1f} | {cb['p99_ms']:.1f} | {eb['rate']:.0f} | "
              f"{eb['p50_ms']:.1f} | {eb['p99_ms']:.1f} | {ratio:.2f}x |")
    print()
    print(f"careerbot (answering real questions) handles {statistics.geometric_mean(ratios):.2f}x the messages per "
          "second of the stock botbuilder echo bot (geometric mean over the concurrency levels).")
    bad = [(n, c) for n in results for c in results[n] if results[n][c]["errors"]
           or results[n][c]["replies"] < results[n][c]["sent"]]
    if bad:
        print(f"WARNING: errors or missing replies in {bad}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 10 s instead of about 60 s")
    parser.add_argument("--seconds", type=float, help="measured seconds per bot and concurrency level")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per round (not measured)")
    parser.add_argument("--rounds", type=int, help="alternating rounds per concurrency level")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--turn-threads", type=int, help="careerbot's worker threads for turns")
    parser.add_argument("--only", choices=("careerbot", "echo"), help="measure one bot only (for profiling)")
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 1.0 if args.quick else 7.0
    if args.warmup is None:
        args.warmup = 0.2 if args.quick else 0.5
    if args.rounds is None:
        args.rounds = 2 if args.quick else 4
    logging.basicConfig(level=logging.ERROR)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    results = asyncio.run(run(args))
    if not args.only:
        report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
