"""Small parts of the Teams channel on their own: pacing, Retry-After, backoff, reading activities."""

from __future__ import annotations

import email.utils
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.teams import (
    BadActivity,
    ConnectorError,
    RateLimiter,
    activity_timezone,
    backoff,
    conversation_reference,
    message_text,
    parse_activity,
    retry_after_seconds,
    tenant_of,
)


def test_one_message_a_second_per_conversation():
    limiter = RateLimiter(interval=1.0, tenant_rate=1000, tenant_burst=1000)
    waits = [limiter.conversation_slot("a:1", now=100.0) for _ in range(4)]
    assert waits == [0.0, 1.0, 2.0, 3.0]
    assert limiter.conversation_slot("a:2", now=100.0) == 0.0  # another conversation is not held up


def test_tenant_rate_with_a_burst():
    limiter = RateLimiter(interval=0.0, tenant_rate=10, tenant_burst=3)
    waits = [limiter.tenant_slot("t1", now=50.0) for _ in range(6)]
    assert waits[:3] == [0.0, 0.0, 0.0]  # the burst
    assert waits[3:] == pytest.approx([0.1, 0.2, 0.3])  # then 10 a second
    assert limiter.tenant_slot("t2", now=50.0) == 0.0  # other tenants have their own budget
    # after a pause the budget is back
    assert [limiter.tenant_slot("t1", now=60.0) for _ in range(3)] == [0.0, 0.0, 0.0]


async def test_pacing_many_sends_in_one_tenant():
    limiter = RateLimiter(interval=0.0, tenant_rate=50, tenant_burst=5)
    started = time.monotonic()
    for i in range(15):
        await limiter.pace(f"a:{i}", "t")
    assert 0.18 <= time.monotonic() - started < 1.0  # 5 at once, then 10 more at 50 a second


def test_a_429_holds_the_conversation():
    limiter = RateLimiter(interval=0.0, tenant_rate=1000, tenant_burst=1000)
    limiter.hold("a:1", 5.0)
    assert limiter.conversation_slot("a:1") > 4.9
    assert limiter.conversation_slot("a:2") == 0.0


def test_retry_after_as_seconds_or_a_date():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("0.5") == 0.5
    assert retry_after_seconds("-4") == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after_seconds(later) <= 31


@given(st.integers(min_value=1, max_value=40))
def test_backoff_is_bounded_and_grows(attempt):
    wait = backoff(attempt, base=0.5, cap=30.0)
    assert 0 <= wait <= min(30.0, 0.5 * 2 ** (attempt - 1))


def test_gone_means_403_404_and_teams_codes():
    assert ConnectorError("x", status=403).gone and ConnectorError("x", status=404).gone
    assert ConnectorError("x", status=400, code="ConversationNotFound").gone
    assert not ConnectorError("x", status=502).gone and not ConnectorError("x", status=429).gone


def _activity(**kw):
    base = {"type": "message", "serviceUrl": "https://smba.trafficmanager.net/uk/",
            "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": "t1"},
            "from": {"id": "29:u", "aadObjectId": "aad"}, "recipient": {"id": "28:bot", "name": "careerbot"}}
    base.update(kw)
    return base


def test_mentions_of_the_bot_are_removed_and_others_kept_as_names():
    activity = _activity(text="<at>careerbot</at>&nbsp;what does <at>Sam Jones</at> need for SW3B?\u00a0",
                         entities=[{"type": "mention", "text": "<at>careerbot</at>",
                                    "mentioned": {"id": "28:bot", "name": "careerbot"}},
                                   {"type": "mention", "text": "<at>Sam Jones</at>", "mentioned": {"id": "29:sam"}}])
    assert message_text(activity) == "what does Sam Jones need for SW3B?"
    assert message_text(_activity(text="  plain  text ")) == "plain text"
    assert message_text(_activity(text="line one\nline  two")) == "line one\nline two"
    assert message_text(_activity(text="<p>hello <b>there</b></p>")) == "hello there"
    assert message_text(_activity()) == ""


def test_time_zone_from_the_activity_or_client_info():
    assert activity_timezone(_activity(localTimezone="Europe/Belfast")) == "Europe/Belfast"
    assert activity_timezone(_activity(entities=[{"type": "clientInfo", "timezone": "Europe/Dublin"}])) == \
        "Europe/Dublin"
    assert activity_timezone(_activity(localTimezone="Mars/Olympus")) is None
    assert activity_timezone(_activity(localTimezone="../../etc/passwd")) is None
    assert activity_timezone(_activity()) is None


def test_tenant_from_the_conversation_or_channel_data():
    assert tenant_of(_activity()) == "t1"
    activity = _activity(conversation={"id": "a:1"}, channelData={"tenant": {"id": "t2"}})
    assert tenant_of(activity) == "t2"
    assert tenant_of(_activity(conversation={"id": "a:1"}, channelData={"tenant": "odd"})) is None


def test_conversation_reference_has_what_a_proactive_message_needs():
    ref = conversation_reference(_activity(id="act-1", channelId="msteams", locale="en-GB"))
    assert ref == {
        "activityId": "act-1",
        "user": {"id": "29:u", "name": None, "aadObjectId": "aad"},
        "bot": {"id": "28:bot", "name": "careerbot"},
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": "t1"},
        "channelId": "msteams",
        "locale": "en-GB",
        "serviceUrl": "https://smba.trafficmanager.net/uk/",
    }


@pytest.mark.parametrize("raw", [b"", b"null", b"1", b"{}", b'{"type": 1}', b'{"type": "message"}',
                                 b'{"type": "message", "serviceUrl": "x", "conversation": {"id": "a"}}',
                                 b'{"type": "message", "serviceUrl": "http://[::1", "conversation": {"id": "a"}}',
                                 b'{"type": "message", "serviceUrl": "https://x", "conversation": {"id": ""}}'])
def test_parse_refuses_what_is_not_an_activity(raw):
    with pytest.raises(BadActivity):
        parse_activity(raw)


def test_parse_takes_a_conversation_update_without_a_sender():
    activity = parse_activity(b'{"type": "conversationUpdate", "serviceUrl": "https://x/", '
                              b'"conversation": {"id": "a:1"}, "membersAdded": [{"id": "28:bot"}]}')
    assert activity["type"] == "conversationUpdate"


def test_the_stored_reference_reads_as_the_sdks_conversation_reference():
    from botbuilder.schema import ConversationReference

    ref = conversation_reference(_activity(id="act-1", channelId="msteams", locale="en-GB"))
    sdk = ConversationReference().deserialize(ref)
    assert sdk.service_url == "https://smba.trafficmanager.net/uk/"
    assert sdk.conversation.id == "a:1" and sdk.conversation.conversation_type == "personal"
    assert sdk.user.id == "29:u" and sdk.user.aad_object_id == "aad" and sdk.bot.id == "28:bot"
    assert sdk.channel_id == "msteams"
