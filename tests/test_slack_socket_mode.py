"""Socket Mode against a local mock: apps.connections.open gives the WebSocket URL, the mock sends envelopes,
careerbot acknowledges each one and its replies reach the mock Web API."""

from __future__ import annotations

import time

import pytest

from bot.channels.slack import start_socket_mode
from tests.mock_slack import BOT_USER, TEAM
from tests.slack_fixtures import USER, build_test_services, slack_settings
from tests.slack_fixtures import mock_slack as mock_slack  # noqa: F401

APP_TOKEN = "xapp-1-test"


@pytest.fixture
async def socket_mode(tmp_path, mock_slack):
    services = build_test_services(slack_settings(tmp_path, mock_slack, SLACK_APP_TOKEN=APP_TOKEN))
    runner = await start_socket_mode(services)
    try:
        await mock_slack.wait_for(lambda: mock_slack.connected)
        yield mock_slack, services
    finally:
        await runner.close()
        await runner.channel.close()
        services.close()


def _event_envelope(envelope_id: str, event: dict, event_id: str, retry: int = 0) -> dict:
    return {"envelope_id": envelope_id, "type": "events_api", "accepts_response_payload": False,
            "retry_attempt": retry, "retry_reason": "timeout" if retry else "",
            "payload": {"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
                        "event_id": event_id, "event_time": int(time.time()), "event": event,
                        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}}


async def test_connects_with_the_app_token(socket_mode):
    mock, services = socket_mode
    [opened] = mock.calls_to("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert services.notifiers["slack"].name == "slack"


async def test_dm_over_socket_mode_is_acked_and_answered(socket_mode):
    mock, _ = socket_mode
    ts = f"{time.time():.6f}"
    mock.send_envelope(_event_envelope("env-1", {"type": "message", "channel_type": "im", "channel": "D1001",
                                                 "user": USER, "text": "what do I need for SW3B?", "ts": ts},
                                       "EvSOCK1"))
    await mock.wait_for(lambda: [a for a in mock.acks if a["envelope_id"] == "env-1"])
    [post] = await mock.wait_for(lambda: mock.calls_to("chat.postMessage"))
    assert post.args["channel"] == "D1001" and "SW3B" in post.all_text
    # Slack's redelivery of the same event over the socket: acknowledged again, answered once.
    mock.send_envelope(_event_envelope("env-2", {"type": "message", "channel_type": "im", "channel": "D1001",
                                                 "user": USER, "text": "what do I need for SW3B?", "ts": ts},
                                       "EvSOCK1", retry=1))
    await mock.wait_for(lambda: [a for a in mock.acks if a["envelope_id"] == "env-2"])
    await mock.settle()
    assert len(mock.calls_to("chat.postMessage")) == 1


async def test_slash_command_over_socket_mode(socket_mode):
    mock, _ = socket_mode
    mock.send_envelope({"envelope_id": "env-3", "type": "slash_commands", "accepts_response_payload": True,
                        "payload": {"token": "legacy", "team_id": TEAM, "channel_id": "C2002", "user_id": USER,
                                    "command": "/career", "text": "how long at SW2A?", "api_app_id": "A1",
                                    "response_url": mock.response_url("sock"), "trigger_id": "trig.sock"}})
    await mock.wait_for(lambda: [a for a in mock.acks if a["envelope_id"] == "env-3"])
    [answer] = await mock.wait_for(lambda: mock.calls_to("response_url"))
    assert answer.args["_key"] == "sock" and "SW2A" in answer.all_text


async def test_socket_mode_needs_the_app_token(tmp_path, mock_slack):
    services = build_test_services(slack_settings(tmp_path, mock_slack))
    try:
        with pytest.raises(ValueError, match="SLACK_APP_TOKEN"):
            await start_socket_mode(services)
    finally:
        services.close()
