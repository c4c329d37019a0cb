"""Reminders and digests as Slack DMs through SlackNotifier: conversations.open then chat.postMessage, paced,
429 honoured, unreachable people recognised; and the real ReminderService sending through the channel's
notifier (registered by SlackChannel.mount) to the mock Slack."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime

import pytest

from bot.channels.slack import SlackNotifier
from bot.conversation import Attachment, Block, Choice, DeliveryError, Reply
from bot.storage.base import Person
from tests.slack_fixtures import TOKEN
from tests.slack_fixtures import mock_slack as mock_slack  # noqa: F401
from tests.slack_fixtures import slack as slack  # noqa: F401


def notifier(mock, **kw) -> SlackNotifier:
    return SlackNotifier(token=TOKEN, base_url=mock.api_url, **kw)


def person(uid: str = "U2001", **kw) -> Person:
    return Person(id=f"p-{uid}", display_name="Ana", slack_user_id=uid, **kw)


REMINDER = Reply(title="You can now put yourself forward for SW2B",
                 blocks=[Block(text="You have had 24 months at SW2A since 7 March 2024 <!channel>.")],
                 choices=[Choice("Snooze for 2 weeks", {"action": "reminders.snooze", "weeks": 2})])


def test_can_reach():
    n = SlackNotifier(token=TOKEN, base_url="http://127.0.0.1:9/api/")
    assert n.name == "slack"
    assert n.can_reach(person())
    assert not n.can_reach(Person(id="x"))
    assert not n.can_reach(person(unreachable={"slack": "user_not_found"}))


def test_opens_the_dm_then_posts_block_kit(mock_slack):
    n = notifier(mock_slack)
    n.send(person(), REMINDER)
    calls = [c for c in mock_slack.calls if c.method != "auth.test"]
    assert [c.method for c in calls] == ["conversations.open", "chat.postMessage"]
    assert calls[0].args["users"] == "U2001"
    post = calls[1]
    assert post.args["channel"] == "D2001"
    assert post.blocks[0]["type"] == "header"
    assert "&lt;!channel&gt;" in post.all_text and "<!channel>" not in post.all_text
    assert any(b["type"] == "actions" for b in post.blocks)
    # The DM id is remembered: the next message goes straight to chat.postMessage.
    n.send(person(), REMINDER)
    assert [c.method for c in mock_slack.calls][-1] == "chat.postMessage"
    assert len(mock_slack.calls_to("conversations.open")) == 1


def test_paced_to_about_one_message_per_second_per_conversation(mock_slack):
    n = notifier(mock_slack, min_interval=0.5)
    for _ in range(3):
        n.send(person(), REMINDER)
    n.send(person("U3001"), REMINDER)  # another conversation is not held up
    posts = mock_slack.calls_to("chat.postMessage")
    same = [c.at for c in posts if c.args["channel"] == "D2001"]
    assert all(b - a >= 0.45 for a, b in zip(same, same[1:], strict=False))
    other = [c.at for c in posts if c.args["channel"] == "D3001"][0]
    assert other - same[-1] < 0.4


def test_429_waits_for_retry_after_then_succeeds(mock_slack):
    mock_slack.rate_limit("chat.postMessage", retry_after=1)
    started = time.monotonic()
    notifier(mock_slack).send(person(), REMINDER)
    posts = mock_slack.calls_to("chat.postMessage")
    assert [c.status for c in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 0.95
    assert time.monotonic() - started < 5


def test_429_for_too_long_is_a_retryable_failure(mock_slack):
    mock_slack.rate_limit("chat.postMessage", retry_after=30)
    with pytest.raises(DeliveryError) as err:
        notifier(mock_slack, max_wait=5).send(person(), REMINDER)
    assert err.value.retryable and err.value.retry_after >= 30


def test_back_off_grows_after_repeated_429(mock_slack):
    waits: list[float] = []
    mock_slack.rate_limit("chat.postMessage", retry_after=1, times=3)
    notifier(mock_slack, sleep=waits.append, max_wait=60, min_interval=0).send(person(), REMINDER)
    assert [w for w in waits if w >= 1] == [1, 2, 4]


@pytest.mark.parametrize("method, error", [
    ("conversations.open", "user_not_found"),
    ("conversations.open", "cannot_dm_bot"),
    ("conversations.open", "account_inactive"),
    ("chat.postMessage", "channel_not_found"),
    ("chat.postMessage", "is_archived"),
])
def test_errors_meaning_unreachable_are_not_retryable(mock_slack, method, error):
    mock_slack.fail(method, error)
    with pytest.raises(DeliveryError) as err:
        notifier(mock_slack).send(person(), REMINDER)
    assert err.value.retryable is False and error in str(err.value)


@pytest.mark.parametrize("error", ["internal_error", "fatal_error", "invalid_auth", "service_unavailable"])
def test_other_errors_are_retryable(mock_slack, error):
    mock_slack.fail("chat.postMessage", error)
    with pytest.raises(DeliveryError) as err:
        notifier(mock_slack).send(person(), REMINDER)
    assert err.value.retryable is True


def test_network_failure_is_retryable():
    n = SlackNotifier(token=TOKEN, base_url="http://127.0.0.1:9/api/", timeout=2)
    with pytest.raises(DeliveryError) as err:
        n.send(person(), REMINDER)
    assert err.value.retryable


def test_refused_blocks_fall_back_to_plain_text(mock_slack):
    mock_slack.fail("chat.postMessage", "invalid_blocks")
    notifier(mock_slack).send(person(), REMINDER)
    posts = mock_slack.calls_to("chat.postMessage")
    assert len(posts) == 2 and "blocks" not in posts[1].args and "SW2B" in posts[1].args["text"]


def test_a_retry_after_a_partial_failure_does_not_repeat_parts(mock_slack):
    long = Reply(title="Digest", blocks=[Block(title=f"Person {i}", bullets=["x " * 200] * 3) for i in range(60)])
    n = notifier(mock_slack, min_interval=0)
    mock_slack.script("chat.postMessage", {"body": {"ok": True, "ts": "1.1"}}, {"body": {"ok": False,
                                                                                      "error": "internal_error"}})
    with pytest.raises(DeliveryError):
        n.send(person(), long)
    first = len(mock_slack.calls_to("chat.postMessage"))
    n.send(person(), long)
    texts = [c.args.get("text", "")[:40] for c in mock_slack.calls_to("chat.postMessage")[first:]]
    assert not any("part 1 of" in t for t in texts)


def test_attachments_use_the_v2_upload(mock_slack):
    reply = Reply(title="Your pack", attachments=[Attachment("pack.md", "text/markdown", b"# Pack\n")])
    notifier(mock_slack).send(person(), reply)
    methods = [c.method for c in mock_slack.calls]
    assert methods.index("files.getUploadURLExternal") < methods.index("upload") < \
        methods.index("files.completeUploadExternal")
    assert mock_slack.calls_to("upload")[0].args["_bytes"] == b"# Pack\n"


# -- through the real reminder service and the channel's registered notifier ---------------------------------------

async def test_reminder_service_sends_through_slack_exactly_once(slack):
    from bot.reminders import ReminderService

    services = slack.services
    assert isinstance(services.notifiers["slack"], SlackNotifier)  # registered by SlackChannel.mount
    services.store.upsert_person(person("U4001", level_code="SW2A", level_since=date(2024, 3, 7)))
    svc = ReminderService(services.store, services.knowledge, services.notifiers, owner="test",
                          clock=lambda: datetime(2026, 3, 9, 9, tzinfo=UTC))
    report = await asyncio.to_thread(svc.run_pass, datetime(2026, 3, 9, 9, tzinfo=UTC))
    assert report.sent == 1
    assert [c.method for c in slack.mock.calls if c.method in ("conversations.open", "chat.postMessage")] == \
        ["conversations.open", "chat.postMessage"]
    again = await asyncio.to_thread(svc.run_pass, datetime(2026, 3, 9, 10, tzinfo=UTC))
    assert again.sent == 0 and len(slack.mock.calls_to("chat.postMessage")) == 1


async def test_reminder_to_an_unknown_user_marks_them_unreachable(slack):
    from bot.reminders import ReminderService

    services = slack.services
    services.store.upsert_person(person("U5001", level_code="SW2A", level_since=date(2024, 3, 7)))
    slack.mock.fail("conversations.open", "user_not_found")
    svc = ReminderService(services.store, services.knowledge, {"slack": services.notifiers["slack"]}, owner="t",
                          clock=lambda: datetime(2026, 3, 9, 9, tzinfo=UTC))
    await asyncio.to_thread(svc.run_pass, datetime(2026, 3, 9, 9, tzinfo=UTC))
    fresh = services.store.get_person("p-U5001")
    assert "slack" in fresh.unreachable and "user_not_found" in fresh.unreachable["slack"]
    assert not slack.mock.calls_to("chat.postMessage")


class _DiesBeforeRecording:
    """A store whose mark_sent fails: the process 'died' after Slack took the message, before the record."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def mark_sent(self, *a, **k):
        from bot.storage.base import StoreError

        raise StoreError("the process died here")


async def test_a_reminder_sent_but_not_recorded_is_found_in_the_dm_not_sent_again(slack):
    from bot.reminders import ReminderService

    services = slack.services
    services.store.upsert_person(person("U4101", level_code="SW2A", level_since=date(2024, 3, 7)))
    first_now = datetime(2026, 3, 9, 9, tzinfo=UTC)
    dying = ReminderService(_DiesBeforeRecording(services.store), services.knowledge, services.notifiers,
                            owner="crashed", clock=lambda: first_now)
    report = await asyncio.to_thread(dying.run_pass, first_now)
    assert report.sent == 1 and len(slack.mock.calls_to("chat.postMessage")) == 1
    posted = slack.mock.calls_to("chat.postMessage")[0]
    key = posted.args["metadata"]["event_payload"]["key"]  # every reminder carries its ledger key
    assert posted.args["metadata"]["event_type"] == "careerbot_reminder"
    assert [e.status for e in services.store.ledger(person_id="p-U4101") if e.key == key] == ["claimed"]

    later = datetime(2026, 3, 9, 10, tzinfo=UTC)  # the crashed process's lease has run out
    other = ReminderService(services.store, services.knowledge, services.notifiers, owner="replica-b",
                            clock=lambda: later)
    report = await asyncio.to_thread(other.run_pass, later)
    assert len(slack.mock.calls_to("chat.postMessage")) == 1  # not sent a second time
    assert slack.mock.calls_to("conversations.history")  # it looked
    assert [e.status for e in services.store.ledger(person_id="p-U4101") if e.key == key] == ["sent"]


async def test_a_reminder_claimed_but_never_sent_is_sent_on_the_retry(slack):
    from bot.reminders import ReminderService

    services = slack.services
    services.store.upsert_person(person("U4201", level_code="SW2A", level_since=date(2024, 3, 7)))
    first_now = datetime(2026, 3, 9, 9, tzinfo=UTC)
    svc = ReminderService(services.store, services.knowledge, services.notifiers, owner="crashed",
                          clock=lambda: first_now)
    [msg] = [p.message for p in svc.dry_run(first_now) if p.person_id == "p-U4201"]  # due now, not sent
    assert services.store.claim_reminder(msg.ledger_entry(), owner="crashed", lease_seconds=60, now=first_now)
    later = datetime(2026, 3, 9, 10, tzinfo=UTC)
    other = ReminderService(services.store, services.knowledge, services.notifiers, owner="replica-b",
                            clock=lambda: later)
    report = await asyncio.to_thread(other.run_pass, later)
    assert report.sent == 1 and len(slack.mock.calls_to("chat.postMessage")) == 1
    assert slack.mock.calls_to("conversations.history")  # a retry looks first, finds nothing, sends
