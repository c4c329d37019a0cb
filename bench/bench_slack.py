"""Slack channel benchmark: `/career <question>` through careerbot's full server vs. a bare slack-bolt app.

Requests per second and p50/p99 latency of signed `/career <question>` slash commands (real, varied
questions) at 1, 16 and 64 concurrent connections, against:

- careerbot: the real web app (bot.channels.web.make_app, SQLite store) with its Bolt AsyncApp, which acks
  at once and answers afterwards through the command's response_url;
- bare: a slack-bolt AsyncApp whose /career listener acks with a constant answer, mounted the same way
  (slack_bolt.adapter.aiohttp, same signing secret, same signed requests);
- channel: careerbot's server with the core answering a constant (the Slack channel's own cost);
- bare+store: the bare app plus the two store statements any stateful app makes per request (the replay
  record written, the person read), on careerbot's SQLite store, and still a constant answer.

"Latency" is up to the HTTP ack (what Slack's 3-second limit is about). For careerbot the answer itself goes
to the response_url after the ack, so the time until it reaches the mock Slack is reported too ("answer"
columns); for the bare app the answer is in the ack. Between rounds the benchmark waits until every
careerbot answer has arrived, so no round pays for the previous one's backlog.

Two processes: "Slack" (the load generator, and a light mock of the Web API and response_url on raw
asyncio streams) in a child process, and the apps under test in this one, measured one after the other in
alternating rounds.

    python bench/bench_slack.py            # about 60 s
    python bench/bench_slack.py --quick    # about 10 s
    python bench/bench_slack.py --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
QUESTIONS = [
    "what do I need for SW3B?",
    "evidence for SW2B",
    "how long before I can go for SW2B?",
    "what does AMHP stand for?",
    "difference between SW3A and SW3B",
    "what is PCF domain 6?",
    "what evidence for SW3C?",
    "what do I need for SW2C?",
    "how long at SW2A before SW2B?",
    "what is SW4?",
    "what training do I need for SW3A?",
    "what does a Social Care Officer need for SCO 4B?",
]
CONCURRENCY = (1, 16, 64)
# careerbot's listeners run before Bolt answers (process_before_response=True); so does the bare app's, or
# its answers would wait for Bolt's 10 ms polling (the default, False) and careerbot would look many times
# faster at low concurrency for that reason alone. --bare-default measures the default instead.
BARE_PROCESS_BEFORE_RESPONSE = True
USERS = 40


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[k]


# -- the "Slack" side: load generator and a light mock Web API (child process) ----------------------------------------

class FastSlack:
    """A minimal Slack for load: HTTP/1.1 keep-alive on raw asyncio streams. Answers the Web API methods
    careerbot calls (auth.test, users.info, chat.postMessage...) and records when each response_url
    message arrives. (tests/mock_slack.py is the full mock; it costs more CPU than the apps it measures.)"""

    def __init__(self) -> None:
        self.answers: dict[str, float] = {}  # response_url key -> arrival (perf_counter)
        self.api_calls = 0
        self.url = ""
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    def _answer(self, path: str) -> bytes:
        if path.startswith("/response/"):
            self.answers.setdefault(path[len("/response/"):], time.perf_counter())
            return b"ok"
        self.api_calls += 1
        method = path.rsplit("/", 1)[-1].split("?")[0]
        if method == "auth.test":
            return b'{"ok":true,"team_id":"T1","user_id":"UBOT","bot_id":"BBOT","user":"careerbot"}'
        if method == "users.info":
            return b'{"ok":true,"user":{"id":"U1","real_name":"Bench","tz":"Europe/London","profile":{}}}'
        if method == "conversations.open":
            return b'{"ok":true,"channel":{"id":"D1"}}'
        return b'{"ok":true,"ts":"1.000001","channel":"D1"}'

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                length = 0
                chunked = False
                for ln in lines[1:]:
                    name, _, value = ln.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                    elif name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
                        chunked = True
                if chunked:
                    while True:
                        n = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                        await reader.readexactly(n + 2)
                        if n == 0:
                            break
                elif length:
                    await reader.readexactly(length)
                body = self._answer(path)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, int]:
    """One request on a kept-alive connection; the response's status and body length."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status, length


def _signed_command(host: str, port: str, mock_url: str, key: str, user: str, text: str) -> bytes:
    body = urlencode({
        "token": "legacy", "team_id": "T1", "team_domain": "bench", "channel_id": f"D{user}",
        "channel_name": "directmessage", "user_id": user, "user_name": "bench", "command": "/career",
        "text": text, "api_app_id": "A1", "response_url": f"{mock_url}/response/{key}", "trigger_id": f"t.{key}",
    }).encode()
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return (b"POST /slack/events HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"X-Slack-Request-Timestamp: %s\r\nX-Slack-Signature: %s\r\nContent-Length: %d\r\n\r\n"
            % (host.encode(), port.encode(), ts.encode(), sig.encode(), len(body))) + body


async def _slack_side(conn) -> None:
    mock = FastSlack()
    await mock.start()
    conn.send({"mock": mock.url})
    run_id = 0
    while True:
        job = await asyncio.to_thread(conn.recv)
        if job is None:
            break
        run_id += 1
        url, concurrency, seconds, warmup = job["url"], job["concurrency"], job["seconds"], job["warmup"]
        answers_after_ack = job["answers_after_ack"]
        host, port = url.split("//")[1].split("/")[0].split(":")
        latencies: list[float] = []
        sent_at: dict[str, float] = {}  # key -> request start, for requests in the measured window
        errors = 0
        sent = 0
        measure_from = time.perf_counter() + warmup
        stop_at = measure_from + seconds

        async def worker(w: int) -> None:
            nonlocal errors, sent
            reader, writer = await asyncio.open_connection(host, int(port))
            i = 0
            try:
                while time.perf_counter() < stop_at:
                    i += 1
                    key = f"{run_id}-{w}-{i}"
                    user = f"U{(w * 7 + i) % USERS:04d}"
                    request = _signed_command(host, port, mock.url, key, user, QUESTIONS[(w + i) % len(QUESTIONS)])
                    t0 = time.perf_counter()
                    try:
                        status, length = await _post(reader, writer, request)
                        ok = status == 200
                    except (asyncio.IncompleteReadError, ConnectionError):
                        ok, length = False, 0
                        writer.close()
                        reader, writer = await asyncio.open_connection(host, int(port))
                    t1 = time.perf_counter()
                    sent += 1
                    if not ok:
                        errors += 1
                    elif t0 >= measure_from:
                        latencies.append(t1 - t0)
                        sent_at[key] = t0
                        if not answers_after_ack or length > 2:
                            mock.answers[key] = t1  # the answer was in the ack
            finally:
                writer.close()

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - max(measure_from, started)
        # Wait (bounded) until every answer of this round has reached the mock.
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline and any(k not in mock.answers for k in sent_at):
            await asyncio.sleep(0.02)
        answer_latencies = [mock.answers[k] - t0 for k, t0 in sent_at.items() if k in mock.answers]
        last = max((mock.answers[k] for k in sent_at if k in mock.answers), default=stop_at)
        conn.send({"requests": len(latencies), "seconds": elapsed, "latencies": latencies, "errors": errors,
                   "sent": sent, "answers": len(answer_latencies), "answer_latencies": answer_latencies,
                   "answer_span": max(last - max(measure_from, started), elapsed)})
    await mock.close()


def slack_process(conn) -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_slack_side(conn))


# -- the apps under test (this process) ------------------------------------------------------------------------------

async def _serve(app):
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/slack/events"


def bare_app(mock_url: str):
    """A bare slack-bolt AsyncApp: /career acks with a constant answer; the same aiohttp adapter and signing."""
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(name="bare", signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=f"{mock_url}/api/"),
                    process_before_response=BARE_PROCESS_BEFORE_RESPONSE)

    @bolt.command("/career")
    async def career(ack):
        await ack("Thanks for asking. This is a constant answer.")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


def store_app(tmp: Path, mock_url: str):
    """The bare app, plus what any app that keeps state must do per request: the replay record written (so a
    replayed request is answered once, on any replica) and the person read, on careerbot's own SQLite store.
    It shows how much of bare Bolt's throughput those two statements alone leave, before any answering."""
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.storage import open_store

    store = open_store(f"sqlite:///{tmp}/store.db")
    store.migrate()
    bolt = AsyncApp(name="store", signing_secret=SECRET,
                    client=AsyncWebClient(token=TOKEN, base_url=f"{mock_url}/api/"),
                    process_before_response=BARE_PROCESS_BEFORE_RESPONSE)

    @bolt.command("/career")
    async def career(ack, command):
        store.remember_event("slack", f"cmd:{command.get('trigger_id')}")
        store.find_person(slack_user_id=command.get("user_id"))
        await ack("Thanks for asking. This is a constant answer.")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app, store


def careerbot_app(tmp: Path, mock_url: str, *, stub_core: bool = False):
    from bot.app import build_services
    from bot.channels.web import make_app
    from bot.config import load_settings

    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "CAREERBOT_DATA_DIR": str(tmp / "data"),
                              "CAREERBOT_REMINDERS": "0", "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                              "SLACK_API_URL": f"{mock_url}/api/"})
    try:
        services = build_services(settings)
    except ImportError:  # the dialogs package is not there
        services = build_services(settings, with_dialogs=False)
    if stub_core:  # the Slack channel's own cost: the core answers a constant at once
        from bot.conversation import Block, Reply

        constant = Reply(title="A constant answer", blocks=[Block(text="Thanks for asking.")])
        services.router.handle = lambda incoming: [constant]
    return make_app(services), services


def _summary(rs: list[dict]) -> dict:
    latencies = [x for r in rs for x in r["latencies"]]
    answers = [x for r in rs for x in r["answer_latencies"]]
    seconds = sum(r["seconds"] for r in rs)
    span = sum(r["answer_span"] for r in rs)
    return {"requests": len(latencies), "seconds": seconds, "rate": len(latencies) / seconds if seconds else 0.0,
            "p50_ms": _percentile(latencies, 0.50) * 1000, "p99_ms": _percentile(latencies, 0.99) * 1000,
            "answer_p50_ms": _percentile(answers, 0.50) * 1000, "answer_p99_ms": _percentile(answers, 0.99) * 1000,
            "answer_rate": len(answers) / span if span else 0.0,
            "answers": len(answers), "errors": sum(r["errors"] for r in rs), "sent": sum(r["sent"] for r in rs),
            "cpu_ms_per_req": sum(r["cpu"] for r in rs) * 1000 / max(sum(r["sent"] for r in rs), 1)}


async def run(args) -> dict:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=slack_process, args=(child,), daemon=True)
    proc.start()
    hello = await asyncio.to_thread(parent.recv)
    mock_url = hello["mock"]
    print(f"mock Slack at {mock_url} (separate process)", flush=True)
    logging.getLogger("slack_bolt").setLevel(logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="careerbot-bench-"))
    app, services = careerbot_app(tmp / "full", mock_url)
    cb_runner, cb_url = await _serve(app)
    stub_app, stub_services = careerbot_app(tmp / "stub", mock_url, stub_core=True)
    stub_runner, stub_url = await _serve(stub_app)
    bare_runner, bare_url = await _serve(bare_app(mock_url))
    (tmp / "store").mkdir()
    store_web, store_store = store_app(tmp / "store", mock_url)
    store_runner, store_url = await _serve(store_web)
    from bot.app import settle_heap

    settle_heap()  # as `careerbot serve` does once it has started (it helps the bare app alike)
    apps = [(name, url) for name, url in (("bare", bare_url), ("careerbot", cb_url), ("channel", stub_url),
                                          ("bare+store", store_url))
            if args.only in (None, name) and (name != "channel" or not args.no_channel)
            and (name != "bare+store" or not args.no_store)]
    results: dict = {name: {} for name, _ in apps}
    try:
        for concurrency in args.concurrency:
            runs: dict = {name: [] for name, _ in apps}
            # Short rounds, alternating which app goes first, so that other work on the same cores falls on
            # both alike.
            for round_no in range(args.rounds):
                order = apps if round_no % 2 == 0 else apps[::-1]
                for name, url in order:
                    parent.send({"url": url, "concurrency": concurrency, "seconds": args.seconds / args.rounds,
                                 "warmup": args.warmup, "answers_after_ack": name != "bare"})
                    cpu0 = time.process_time()
                    res = await asyncio.to_thread(parent.recv)
                    res["cpu"] = time.process_time() - cpu0
                    runs[name].append(res)
            for name, _ in apps:
                res = results[name][concurrency] = _summary(runs[name])
                print(f"  {name:<10} c={concurrency:<3} {res['rate']:8.1f} req/s  ack p50 {res['p50_ms']:6.1f} ms  "
                      f"p99 {res['p99_ms']:6.1f} ms  answer p50 {res['answer_p50_ms']:7.1f} ms  "
                      f"p99 {res['answer_p99_ms']:7.1f} ms  answers {res['answers']}/{res['requests']}  "
                      f"errors {res['errors']}  CPU {res['cpu_ms_per_req']:.2f} ms/req", flush=True)
    finally:
        parent.send(None)
        await asyncio.to_thread(proc.join, 10)
        await cb_runner.cleanup()
        await stub_runner.cleanup()
        await bare_runner.cleanup()
        await store_runner.cleanup()
        store_store.close()
        services.close()
        stub_services.close()
    return results


def report(results: dict) -> None:
    if "careerbot" not in results or "bare" not in results:
        return
    levels = list(results["careerbot"])
    print()
    print("Up to the HTTP ack (what Slack's 3-second limit is about), and until the answer reaches the mock:")
    print()
    print("| concurrency | careerbot req/s | ack p50 ms | ack p99 ms | answer p50 ms | answer p99 ms | answers/s | "
          "bare Bolt req/s | ack p50 ms | ack p99 ms | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = []
    for c in levels:
        cb, bb = results["careerbot"][c], results["bare"][c]
        ratio = cb["rate"] / bb["rate"] if bb["rate"] else float("inf")
        ratios.append(ratio)
        print(f"| {c} | {cb['rate']:.0f} | {cb['p50_ms']:.1f} | {cb['p99_ms']:.1f} | {cb['answer_p50_ms']:.1f} | "
              f"{cb['answer_p99_ms']:.1f} | {cb['answer_rate']:.0f} | {bb['rate']:.0f} | {bb['p50_ms']:.1f} | "
              f"{bb['p99_ms']:.1f} | {ratio:.0%} |")
    print()
    mean = statistics.geometric_mean(ratios)
    print(f"careerbot keeps {mean:.0%} of the bare slack-bolt app's throughput (geometric mean; target 80%), "
          f"lowest {min(ratios):.0%}.")
    if "channel" in results:
        ch_ratios = [results["channel"][c]["rate"] / results["bare"][c]["rate"] for c in levels]
        print("The Slack channel alone (careerbot's server with the core answering a constant): "
              + ", ".join(f"c={c} {results['channel'][c]['rate']:.0f} req/s ({r:.0%})"
                          for c, r in zip(levels, ch_ratios, strict=True))
              + f"; geometric mean {statistics.geometric_mean(ch_ratios):.0%} of bare Bolt.")
        cpu = results["careerbot"][levels[-1]]["cpu_ms_per_req"]
        ch_cpu = results["channel"][levels[-1]]["cpu_ms_per_req"]
        bare_cpu = results["bare"][levels[-1]]["cpu_ms_per_req"]
        print(f"Server CPU per request at c={levels[-1]}: careerbot {cpu:.2f} ms, channel alone {ch_cpu:.2f} ms, "
              f"bare Bolt {bare_cpu:.2f} ms.")
    if "bare+store" in results:
        st_ratios = [results["bare+store"][c]["rate"] / results["bare"][c]["rate"] for c in levels]
        print("Bare Bolt plus the replay record written and the person read on the same SQLite store, no answering: "
              + ", ".join(f"c={c} {results['bare+store'][c]['rate']:.0f} req/s ({r:.0%})"
                          for c, r in zip(levels, st_ratios, strict=True))
              + f"; geometric mean {statistics.geometric_mean(st_ratios):.0%} of bare Bolt "
              f"(CPU per request at c={levels[-1]}: {results['bare+store'][levels[-1]]['cpu_ms_per_req']:.2f} ms).")
    bad = [(n, c) for n in results for c in results[n]
           if results[n][c]["errors"] or results[n][c]["answers"] < results[n][c]["requests"]]
    if bad:
        print(f"WARNING: errors or missing answers in {bad}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 10 s instead of about 60 s")
    parser.add_argument("--seconds", type=float, help="measured seconds per app and concurrency level")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per round (not measured)")
    parser.add_argument("--rounds", type=int, help="alternating rounds per concurrency level")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--only", choices=("careerbot", "bare", "channel", "bare+store"),
                        help="measure one app only (profiling)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(CONCURRENCY),
                        help="concurrency levels to measure (default: 1 16 64)")
    parser.add_argument("--bare-default", action="store_true",
                        help="the bare app with Bolt's default process_before_response=False (it polls for the ack)")
    parser.add_argument("--no-store", action="store_true",
                        help="skip the bare app with the replay record and the person read (bare+store)")
    parser.add_argument("--no-channel", action="store_true",
                        help="skip the third app (careerbot's server with the core stubbed out)")
    args = parser.parse_args(argv)
    global BARE_PROCESS_BEFORE_RESPONSE
    BARE_PROCESS_BEFORE_RESPONSE = not args.bare_default
    if args.seconds is None:
        args.seconds = 0.8 if args.quick else 3.5
    if args.warmup is None:
        args.warmup = 0.2 if args.quick else 0.4
    if args.rounds is None:
        args.rounds = 1 if args.quick else 2
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    results = asyncio.run(run(args))
    report(results)
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
