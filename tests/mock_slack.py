"""A mock Slack for the Slack tests and the Slack benchmark: the Web API, response_url, file uploads and a
Socket Mode WebSocket server, all on 127.0.0.1 (random port), recording every call.

The mock runs its own event loop in a background thread, so it answers both the server's async client
and the notifier's sync client (called from the test thread) without deadlocks.

    mock = MockSlack().start()          # or: with MockSlack() as mock:
    mock.api_url                        # http://127.0.0.1:PORT/api/  (SLACK_API_URL)
    mock.response_url("abc")            # a response_url that records what is posted to it
    mock.fail("chat.postMessage", "user_not_found")          # the next call answers ok=false
    mock.rate_limit("chat.postMessage", retry_after=1)       # the next call answers 429 + Retry-After
    await mock.wait_for(lambda: mock.calls_to("chat.postMessage"))   # poll (bounded) for work after the ack
    mock.send_envelope({...})           # Socket Mode: push an envelope to the connected app
    mock.acks                           # Socket Mode: envelopes acknowledged by the app

Run ``python -m tests.mock_slack`` to serve it on its own (prints ``PORT <n>``; used by bench/bench_slack.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aiohttp import WSMsgType, web

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0001"


@dataclass
class Call:
    """One request the mock received."""

    method: str  # Web API method ("chat.postMessage"), "response_url", "upload" or "apps.connections.open"
    args: dict[str, Any]
    headers: dict[str, str]
    path: str
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    result: dict[str, Any] | None = None  # what the mock answered (e.g. the ts of a posted message)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.args.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        return blocks

    @property
    def view(self) -> dict[str, Any]:
        view = self.args.get("view") or {}
        return json.loads(view) if isinstance(view, str) else view

    @property
    def all_text(self) -> str:
        """Every text a person would read: the fallback, every block's texts and button labels."""
        parts = [str(self.args.get("text") or "")]
        for block in self.blocks + (self.view.get("blocks") or []):
            parts += list(_texts(block))
        return "\n".join(parts)


def _texts(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


class MockSlack:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.calls: list[Call] = []
        self.acks: list[dict[str, Any]] = []  # Socket Mode acknowledgements received
        self.ws_messages: list[dict[str, Any]] = []
        self._scripted: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._ready = threading.Event()
        self.delay = 0.0  # seconds every Web API call waits before answering

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> MockSlack:
        self._thread = threading.Thread(target=self._run, name="mock-slack", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("mock Slack did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        try:
            fut.result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread:
                self._thread.join(10)
            self._loop = None

    def __enter__(self) -> MockSlack:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._startup())
        self._ready.set()
        loop.run_forever()
        loop.close()

    async def _startup(self) -> None:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link", self._ws)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _shutdown(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- addresses ---------------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, key: str) -> str:
        return f"{self.base}/response/{key}"

    # -- scripting -----------------------------------------------------------------------------------------
    def script(self, method: str, *responses: dict[str, Any]) -> None:
        """Queue answers for the next calls of method: {"status": 429, "headers": {...}, "body": {...}}."""
        with self._lock:
            self._scripted[method].extend(responses)

    def fail(self, method: str, error: str, times: int = 1) -> None:
        self.script(method, *[{"body": {"ok": False, "error": error}} for _ in range(times)])

    def rate_limit(self, method: str, retry_after: float = 1, times: int = 1) -> None:
        self.script(method, *[{"status": 429, "headers": {"Retry-After": str(retry_after)},
                               "body": {"ok": False, "error": "ratelimited"}} for _ in range(times)])

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
            self.acks.clear()
            self._scripted.clear()

    # -- reading -------------------------------------------------------------------------------------------
    def calls_to(self, *methods: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method in methods]

    def replies(self) -> list[Call]:
        """Everything that reached a person: posted messages and response_url messages (not updates)."""
        with self._lock:
            return [c for c in self.calls
                    if (c.method == "chat.postMessage" and c.status == 200)
                    or (c.method == "response_url" and not c.args.get("replace_original"))]

    async def wait_for(self, predicate, timeout: float = 5.0, interval: float = 0.02):
        """Poll until predicate() is truthy (work happens after the ack); return its value or fail."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s; calls so far: "
                                     f"{[c.method for c in self.calls]}")
            await asyncio.sleep(interval)

    async def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until no call has arrived for `quiet` seconds (to check that nothing more comes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                last = self.calls[-1].at if self.calls else 0.0
            if time.monotonic() - last >= quiet:
                return
            await asyncio.sleep(0.05)

    # -- Socket Mode ---------------------------------------------------------------------------------------
    def send_envelope(self, envelope: dict[str, Any]) -> None:
        if self._loop is None:
            raise RuntimeError("mock not running")
        fut = asyncio.run_coroutine_threadsafe(self._send(envelope), self._loop)
        fut.result(5)

    async def _send(self, envelope: dict[str, Any]) -> None:
        if not self._sockets:
            raise RuntimeError("no Socket Mode client is connected")
        await self._sockets[-1].send_str(json.dumps(envelope))

    @property
    def connected(self) -> int:
        return len(self._sockets)

    # -- handlers ------------------------------------------------------------------------------------------
    async def _record(self, request: web.Request, method: str) -> Call:
        raw = await request.read()
        args: dict[str, Any] = {}
        ctype = request.content_type
        if ctype == "application/json" and raw:
            try:
                args = json.loads(raw)
            except ValueError:
                args = {"_raw": raw.decode("utf-8", "replace")}
        elif raw and ctype == "application/x-www-form-urlencoded":
            args = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
        elif raw:
            args = {"_bytes": raw}
        args.update({k: v for k, v in request.query.items() if k not in args})
        for key in ("blocks", "view", "files"):
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    pass
        call = Call(method=method, args=args, headers=dict(request.headers), path=request.path)
        with self._lock:
            self.calls.append(call)
        return call

    def _next_scripted(self, method: str) -> dict[str, Any] | None:
        with self._lock:
            queue = self._scripted.get(method)
            return queue.popleft() if queue else None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = await self._record(request, method)
        if self.delay:
            await asyncio.sleep(self.delay)
        scripted = self._next_scripted(method)
        if scripted is not None:
            call.status = scripted.get("status", 200)
            return web.json_response(scripted.get("body", {"ok": True}), status=call.status,
                                     headers=scripted.get("headers"))
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") and "token" not in call.args:
            call.status = 200
            return web.json_response({"ok": False, "error": "not_authed"})
        call.result = self._default(method, call.args)
        return web.json_response(call.result)

    def _default(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://careerbot-test.slack.com/", "team": "Test", "user": "careerbot",
                    "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            return {"ok": True, "channel": args.get("channel"), "ts": ts,
                    "message": {"text": args.get("text"), "ts": ts, "bot_id": BOT_ID}}
        if method == "conversations.history":  # what chat.postMessage put in that channel, newest first
            channel = args.get("channel")
            with_meta = str(args.get("include_all_metadata", "")).lower() in ("true", "1")
            messages = []
            with self._lock:
                calls = list(self.calls)
            for c in reversed(calls):
                if c.method == "chat.postMessage" and c.status == 200 and c.args.get("channel") == channel:
                    m = {"type": "message", "text": c.args.get("text"), "bot_id": BOT_ID,
                         "ts": (c.result or {}).get("ts")}
                    if with_meta and c.args.get("metadata"):
                        meta = c.args["metadata"]
                        m["metadata"] = json.loads(meta) if isinstance(meta, str) else meta
                    messages.append(m)
            limit = int(args.get("limit") or 100)
            return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts"), "text": args.get("text")}
        if method == "conversations.open":
            users = str(args.get("users") or args.get("user") or "U0")
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("U")}}
        if method == "users.info":
            user = args.get("user", "U0")
            return {"ok": True, "user": {"id": user, "name": user.lower(), "real_name": f"Person {user}",
                                         "tz": "Europe/London", "profile": {"display_name": f"Person {user}"}}}
        if method in ("views.publish", "views.open", "views.update"):
            return {"ok": True, "view": {"id": "V" + str(next(self._ts))}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts)}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.base}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = args.get("files") or []
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        if method == "files.info":
            return {"ok": True, "file": {"id": args.get("file")}}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://{self.host}:{self.port}/link"}
        return {"ok": True}

    async def _response(self, request: web.Request) -> web.Response:
        call = await self._record(request, "response_url")
        call.args["_key"] = request.match_info["key"]
        scripted = self._next_scripted("response_url")
        if scripted is not None:
            call.status = scripted.get("status", 200)
            return web.Response(status=call.status, text="error")
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        raw = await request.read()
        call = Call(method="upload", args={"_bytes": raw, "_file_id": request.match_info["file_id"]},
                    headers=dict(request.headers), path=request.path)
        with self._lock:
            self.calls.append(call)
        return web.Response(text="OK - 200")

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        with self._lock:
            self.calls.append(Call(method="websocket", args={}, headers=dict(request.headers), path=request.path))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "debug_info": {"host": "mock"}, "connection_info": {"app_id": "A1"}}))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        data = json.loads(msg.data)
                    except ValueError:
                        continue
                    with self._lock:
                        self.ws_messages.append(data)
                        if "envelope_id" in data:
                            self.acks.append(data)
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
        return ws


def main() -> None:  # pragma: no cover - used by the benchmark
    import argparse

    parser = argparse.ArgumentParser(description="Serve the mock Slack on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    mock = MockSlack(port=args.port).start()
    print(f"PORT {mock.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        mock.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
