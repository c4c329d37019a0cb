"""Fixtures for the Slack tests: a mock Slack, the real careerbot aiohttp app on 127.0.0.1, and a client
that sends properly signed Slack requests (v0 signatures computed here with hmac, as Slack does).

Use with ``from tests.slack_fixtures import mock_slack, slack  # noqa: F401``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import json
import sys
import time
import types
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import load_settings
from tests.mock_slack import BOT_USER, TEAM, Call, MockSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-token"
USER = "U1001"


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def slack_settings(tmp_path, mock: MockSlack, **extra: str):
    env = {
        "CAREERBOT_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'careerbot.db'}",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": mock.api_url,
        "CAREERBOT_REMINDERS": "0",
    }
    env.update(extra)
    return load_settings(env)


def _ensure_teams_importable() -> None:
    """bot.channels.web mounts the Teams channel too; while bot/channels/teams.py is being written
    elsewhere, stand in for it so the Slack tests can run the real web app."""
    try:
        import bot.channels.teams  # noqa: F401
    except ImportError:
        stub = types.ModuleType("bot.channels.teams")

        class TeamsChannel:  # pragma: no cover - replaced by the real channel when it exists
            def __init__(self, services):
                pass

            def mount(self, app):
                pass

        stub.TeamsChannel = TeamsChannel
        sys.modules["bot.channels.teams"] = stub


def build_test_services(settings):
    from bot.app import build_services

    try:
        return build_services(settings)
    except ImportError:  # dialogs/ not there yet: everything but the guided dialogs still works
        return build_services(settings, with_dialogs=False)


class SlackSender:
    """Sends signed Slack requests to the running server."""

    def __init__(self, client: TestClient, mock: MockSlack, services) -> None:
        self.client = client
        self.mock = mock
        self.services = services
        self._ids = itertools.count(1)

    def next_id(self, prefix: str = "Ev") -> str:
        return f"{prefix}{int(time.time() * 1000)}{next(self._ids)}"

    async def post(self, body: bytes, content_type: str, *, headers: dict[str, str] | None = None,
                   signed: bool = True, timestamp: int | None = None, secret: str = SECRET):
        h = {"Content-Type": content_type}
        if signed:
            h.update(sign(body, secret=secret, timestamp=timestamp))
        h.update(headers or {})
        data = io.BytesIO(body) if len(body) > 65536 else body  # aiohttp warns about large raw bodies
        return await self.client.post("/slack/events", data=data, headers=h)

    # -- Events API ----------------------------------------------------------------------------------------
    def event_body(self, event: dict[str, Any], *, event_id: str | None = None) -> bytes:
        return json.dumps({
            "token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id or self.next_id(), "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": event,
        }).encode()

    async def event(self, event: dict[str, Any], *, event_id: str | None = None,
                    headers: dict[str, str] | None = None):
        return await self.post(self.event_body(event, event_id=event_id), "application/json", headers=headers)

    async def dm(self, text: str, *, user: str = USER, channel: str = "D1001", event_id: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any):
        ts = f"{time.time():.6f}"
        event = {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": text,
                 "ts": ts, "event_ts": ts, **extra}
        return await self.event(event, event_id=event_id, headers=headers)

    async def mention(self, text: str, *, user: str = USER, channel: str = "C2002", thread_ts: str | None = None):
        ts = f"{time.time():.6f}"
        event = {"type": "app_mention", "channel": channel, "user": user, "text": f"<@{BOT_USER}> {text}",
                 "ts": ts, "event_ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return await self.event(event), ts

    # -- slash commands ------------------------------------------------------------------------------------
    async def command(self, text: str, *, user: str = USER, channel: str = "C2002", key: str | None = None):
        key = key or self.next_id("cmd")
        body = urlencode({
            "token": "legacy", "team_id": TEAM, "team_domain": "test", "channel_id": channel,
            "channel_name": "general", "user_id": user, "user_name": "pat", "command": "/career", "text": text,
            "api_app_id": "A1", "response_url": self.mock.response_url(key), "trigger_id": f"trig.{key}",
        }).encode()
        resp = await self.post(body, "application/x-www-form-urlencoded")
        text = await resp.text()
        if resp.status == 200 and text.strip().startswith("{"):
            # careerbot answered in the acknowledgement itself: to Slack (and to these tests) that is the
            # same as a message sent to the command's response_url.
            answer = json.loads(text)
            if answer.get("text") or answer.get("blocks"):
                with self.mock._lock:
                    self.mock.calls.append(Call(method="response_url", args={**answer, "_key": key,
                                                                          "replace_original": False},
                                                headers={}, path=f"/response/{key}"))
        return resp, key

    # -- interactivity -------------------------------------------------------------------------------------
    async def interaction(self, payload: dict[str, Any]):
        payload.setdefault("team", {"id": TEAM, "domain": "test"})
        payload.setdefault("api_app_id", "A1")
        payload.setdefault("token", "legacy")
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    async def click(self, message_call, button: dict[str, Any], *, user: str = USER, channel: str | None = None,
                    block_id: str | None = None, key: str | None = None):
        """Press a button of a message the mock received (chat.postMessage or response_url)."""
        key = key or self.next_id("act")
        ephemeral = message_call.method == "response_url"
        channel = channel or message_call.args.get("channel") or "C2002"
        # The message's own ts: what the mock answered to chat.postMessage (ephemeral ones get a stable one).
        ts = (message_call.result or {}).get("ts") or f"1700000000.{abs(hash(message_call.path)) % 10**6:06d}"
        payload: dict[str, Any] = {
            "type": "block_actions", "user": {"id": user, "username": "pat", "team_id": TEAM},
            "trigger_id": f"trig.{key}", "response_url": self.mock.response_url(key),
            "container": {"type": "message", "message_ts": ts, "channel_id": channel,
                          "is_ephemeral": ephemeral},
            "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "general"},
            "actions": [{"type": "button", "action_id": button["action_id"],
                         "block_id": block_id or button.get("_block_id"), "value": button.get("value", ""),
                         "text": button.get("text"), "action_ts": f"{time.time():.6f}"}],
        }
        if not ephemeral:
            payload["message"] = {"type": "message", "ts": ts, "text": message_call.args.get("text"),
                                  "blocks": message_call.blocks, "user": BOT_USER, "bot_id": "BBOT"}
            if message_call.args.get("thread_ts"):
                payload["message"]["thread_ts"] = message_call.args["thread_ts"]
        return await self.interaction(payload), payload, key


def buttons(call) -> list[dict[str, Any]]:
    out = []
    for block in call.blocks:
        if block.get("type") == "actions":
            for element in block.get("elements", []):
                out.append({**element, "_block_id": block.get("block_id")})
    return out


@pytest.fixture
def mock_slack():
    mock = MockSlack().start()
    yield mock
    mock.stop()


@pytest.fixture
async def slack(tmp_path, mock_slack):
    """The real careerbot web app (bot.channels.web.make_app) on 127.0.0.1, with a SQLite store and
    SLACK_API_URL pointing at the mock."""
    async for sender in _serve_slack(tmp_path, mock_slack, inline=True):
        yield sender


@pytest.fixture
async def slack_threaded(tmp_path, mock_slack):
    """The same app with the core on the channel's worker thread, as with a networked store (PostgreSQL)."""
    async for sender in _serve_slack(tmp_path, mock_slack, inline=False):
        yield sender


async def _serve_slack(tmp_path, mock_slack, *, inline: bool):
    _ensure_teams_importable()
    from bot.channels.slack import SLACK_CHANNEL_KEY
    from bot.channels.web import make_app

    services = build_test_services(slack_settings(tmp_path, mock_slack))
    app = make_app(services)
    assert app[SLACK_CHANNEL_KEY]._inline is True  # SQLite is embedded: the core runs on the event loop
    app[SLACK_CHANNEL_KEY]._inline = inline
    server = TestServer(app, host="127.0.0.1")
    client = TestClient(server)
    await client.start_server()
    try:
        yield SlackSender(client, mock_slack, services)
    finally:
        await client.close()
        services.close()
