"""Helpers for the operations and fault tests: real careerbot processes, a TCP proxy that can be cut,
and a console chat driven line by line through a pipe. Everything listens on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Settings a developer may have in their shell that must not leak into the processes under test.
_SCRUB = ("DATABASE_URL", "SLACK_", "MICROSOFT_APP_", "CAREERBOT_", "PORT")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """An environment for a careerbot process: the caller's PATH and Python, none of its careerbot settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB)}
    env.update({
        "HOME": str(tmp_path),
        "CAREERBOT_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path}/careerbot.db",
        "CAREERBOT_HOST": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(settings)
    return env


def careerbot(*args: str, env: dict[str, str], input: str | None = None, timeout: float = 120,
              check: bool = True) -> subprocess.CompletedProcess:
    """Run `python -m bot ARGS` to completion."""
    proc = subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=ROOT, input=input, text=True,
                          capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"careerbot {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def http_get(url: str, timeout: float = 5.0) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - 127.0.0.1 only
            body = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode("utf-8", "replace")


class ServeProcess:
    """`careerbot serve` in a real process on 127.0.0.1, its stderr (the log) kept in a file."""

    def __init__(self, tmp_path: Path, env: dict[str, str], *, name: str = "serve") -> None:
        self.port = free_port()
        self.env = env
        self.log_path = tmp_path / f"{name}-{self.port}.log"
        self.out_path = tmp_path / f"{name}-{self.port}.out"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: float = 60.0, ready: bool = True) -> ServeProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in wait()
        self._out = open(self.out_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(self.port)], env=self.env,
                                     cwd=ROOT, stdout=self._out, stderr=self._log, start_new_session=True)
        deadline = time.monotonic() + wait
        path = "/readyz" if ready else "/healthz"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"careerbot serve exited {self.proc.returncode}:\n{self.log()[-3000:]}")
            with contextlib.suppress(OSError):
                status, _ = http_get(self.url + path, timeout=2)
                if status == 200:
                    return self
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"careerbot serve not {path} within {wait}s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_lines(self) -> list[str]:
        return [line for line in self.log().splitlines() if line.strip()]

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def terminate(self) -> None:
        self.signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._close_files()

    def wait(self, timeout: float = 60.0) -> int:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        finally:
            self._close_files()

    def _close_files(self) -> None:
        for f in (getattr(self, "_log", None), getattr(self, "_out", None)):
            if f is not None and not f.closed:
                f.close()

    def accepts_connections(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False


class ChatProcess:
    """`careerbot chat --user U` with stdin and stdout on pipes: one line in, wait for the reply out."""

    def __init__(self, env: dict[str, str], user: str, name: str = "Console User") -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "chat", "--user", user, "--name", name], env=env,
                                     cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.output: list[str] = []
        self.replies = 0  # "bot> " lines seen so far: each reply starts with one
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.output.append(line)
                if line.startswith("bot> "):
                    self.replies += 1
                self._changed.notify_all()

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def say(self, line: str, timeout: float = 30.0) -> str:
        """Send a line and return the text of the reply (everything printed until the output goes quiet)."""
        with self._changed:
            start_replies, start_len = self.replies, len(self.output)
        self.send(line)
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.replies == start_replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"no reply to {line!r}; output so far: {''.join(self.output[-20:])}")
                self._changed.wait(left)
            # the reply is written and flushed whole; give the reader a moment to take in its last lines
            while self._changed.wait(0.05):
                pass
            return "".join(self.output[start_len:])

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def close(self) -> int:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        return self.proc.wait(30)


class TcpProxy:
    """A TCP forwarder on 127.0.0.1, in a thread of its own, that can be cut and restored on the same port:
    cutting closes the listener and every connection, as a database host dropping off the network would.
    Its methods are synchronous, so it keeps forwarding while the test itself blocks."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.connections = 0
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._thread.start()

    def _call(self, coro) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def start(self) -> TcpProxy:
        self._call(self._listen())
        return self

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port, reuse_address=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self._writers -= {writer, up_writer}

    async def _cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    def cut(self) -> None:
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    def close(self) -> None:
        if self._loop.is_running():
            self._call(self._cut())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
