"""The Teams channel end to end: real Activity JSON posted into the real careerbot web app
(bot.channels.web.make_app over a SQLite file) on 127.0.0.1, with serviceUrl pointing at a mock Bot Connector,
and what reaches the mock: replies, card updates, proactive messages, retries.

Replies are sent before /api/messages answers, so assertions can look at the mock straight away.
(The authenticated path is in test_teams_auth.py; rendering in test_teams_cards.py.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation import Block, Choice, DeliveryError, Reply
from tests.mock_connector import (
    BOT_ID,
    TENANT,
    MockConnector,
    RunningBot,
    build_settings,
    channel_mention,
    file_consent,
    install,
    message,
    press,
    teams_env,
)

AAD = "aad-user-1"


@pytest.fixture
async def connector():
    mock = MockConnector()
    await mock.start()
    yield mock
    await mock.close()


@pytest.fixture
async def bot(tmp_path, connector):
    running = await RunningBot(build_settings(teams_env(tmp_path), teams_proactive_interval=0.05)).start()
    yield running
    await running.close()


def the_person(bot, aad: str = AAD):
    person = bot.services.store.find_person(teams_user_id=aad)
    assert person is not None
    return person


def button(call, label_part: str) -> dict:
    for action in call.actions:
        if label_part.lower() in action["title"].lower():
            return action
    raise AssertionError(f"no button {label_part!r} in {[a['title'] for a in call.actions]}")


# -- answers ------------------------------------------------------------------------------------------------------

async def test_personal_message_gets_an_answer_card(bot, connector):
    activity = message(connector.url, "what do I need for SW3B?", timezone="Europe/Dublin")
    status, _ = await bot.post(activity)
    assert status == 200
    [call] = connector.posted()
    assert call.kind == "reply" and call.conversation_id == "a:personal-1"
    assert call.activity_id == activity["id"] and call.body["replyToId"] == activity["id"]
    assert call.body["from"]["id"] == BOT_ID and call.body["recipient"]["id"] == "29:user-1"
    card = call.card
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    title = card["body"][0]
    assert title["type"] == "TextBlock" and title["weight"] == "Bolder" and title["wrap"] is True
    assert "SW3B" in title["text"]
    assert "Source" in call.text and "document 001" in call.text  # the citation
    assert all(a["type"] == "Action.Submit" for a in call.actions)
    assert button(call, "Evidence for SW3B")["data"]["question"] == "evidence for SW3B"
    assert call.body["summary"].startswith("What the framework asks for SW3B")
    assert len(json.dumps(call.body).encode()) < 28_000
    # The conversation reference (with its serviceUrl and tenant) and Teams' time zone are kept.
    person = the_person(bot)
    assert person.timezone == "Europe/Dublin"
    ref = bot.services.store.get_conversation_ref(person.id, "teams")
    assert ref["serviceUrl"] == connector.url
    assert ref["conversation"] == {"id": "a:personal-1", "conversationType": "personal", "tenantId": TENANT}
    assert ref["user"]["id"] == "29:user-1" and ref["user"]["aadObjectId"] == AAD and ref["bot"]["id"] == BOT_ID


async def test_short_reply_is_a_plain_message(bot, connector):
    await bot.post(message(connector.url, "stop reminders"))
    [call] = connector.posted()
    assert call.card is None and call.body["textFormat"] == "markdown"
    assert "won't get any more reminders" in call.body["text"]
    assert the_person(bot).prefs.opted_out


async def test_channel_mention_is_answered_in_the_thread_without_the_mention(bot, connector):
    activity = channel_mention(connector.url, "help", thread="1700000000123")
    status, _ = await bot.post(activity)
    assert status == 200
    [call] = connector.posted()
    # POST /v3/conversations/{conversation;messageid=...}/activities/{activity id}: a reply in the thread
    assert call.conversation_id == "19:channel@thread.tacv2;messageid=1700000000123"
    assert call.kind == "reply" and call.activity_id == activity["id"]
    # "<at>careerbot</at> help" reached the core as "help": the help card, not an answer about "careerbot"
    assert "You can ask, for example" in call.text
    # buttons in a shared conversation are for the person who asked
    assert all(a["data"]["careerbotChoice"]["for"] == AAD for a in call.actions)


async def test_buttons_in_a_channel_are_for_the_person_who_asked(bot, connector):
    await bot.post(channel_mention(connector.url, "what do I need for SW3B?"))
    [card] = connector.posted()
    someone_else = channel_mention(connector.url, "", user_id="29:other", aad="aad-other")
    activity = press(connector.url, button(card, "Evidence"), card.result_id, user_id="29:other", aad="aad-other",
                     conversation_id=someone_else["conversation"]["id"], conversation_type="channel")
    await bot.post(activity)
    assert connector.updates() == []  # the asker's card keeps its buttons
    assert "for the person I was answering" in connector.posted()[-1].text


async def test_user_text_cannot_inject_markdown_or_mentions(bot, connector):
    evil = "my level is **sw9** <at>Boss</at> [x](http://evil.example) since 2024-01-01"
    await bot.post(message(connector.url, evil))
    text = connector.posted()[0].text
    assert "**sw9**" not in text and "\\*\\*sw9\\*\\*" in text
    assert "[x](http" not in text and "\\[x\\]" in text


# -- installs -------------------------------------------------------------------------------------------------------

async def test_install_sends_a_welcome_once_and_keeps_the_reference(bot, connector):
    activity = install(connector.url)
    status, _ = await bot.post(activity)
    assert status == 200
    [call] = connector.posted()
    assert call.kind == "send" and call.conversation_id == "a:personal-1"  # a new message, not a reply
    assert "Hello, I'm careerbot" in call.text and "You can ask, for example" in call.text
    assert "Reminders" in call.text
    person = the_person(bot)
    assert bot.services.store.get_conversation_ref(person.id, "teams")["serviceUrl"] == connector.url
    # Teams may deliver the same event twice: one welcome
    await bot.post(activity)
    assert len(connector.posted()) == 1


async def test_added_to_a_team_says_how_to_use_it_there(bot, connector):
    await bot.post(install(connector.url, conversation_id="19:general@thread.tacv2", conversation_type="channel"))
    [call] = connector.posted()
    assert call.conversation_id == "19:general@thread.tacv2"
    assert "Mention me" in call.text and call.actions == []


async def test_someone_else_joining_says_nothing(bot, connector):
    activity = install(connector.url)
    activity["membersAdded"] = [{"id": "29:someone-else"}]
    status, _ = await bot.post(activity)
    assert status == 200 and connector.posted() == []


async def test_removing_the_app_marks_the_person_unreachable_and_writing_again_clears_it(bot, connector):
    await bot.post(message(connector.url, "hello"))
    removal = install(connector.url)
    removal.update(type="installationUpdate", action="remove")
    removal.pop("membersAdded")
    await bot.post(removal)
    person = the_person(bot)
    assert "teams" in person.unreachable
    assert not bot.services.notifiers["teams"].can_reach(person)
    await bot.post(message(connector.url, "hello again"))
    person = the_person(bot)
    assert "teams" not in person.unreachable
    assert bot.services.notifiers["teams"].can_reach(person)


# -- buttons -----------------------------------------------------------------------------------------------------

async def test_button_press_updates_the_card_and_answers_once(bot, connector):
    await bot.post(message(connector.url, "what do I need for SW3B?"))
    [card] = connector.posted()
    pressed = press(connector.url, button(card, "Evidence for SW3B"), card.result_id)
    assert "careerbotChoice" in pressed["value"]
    status, _ = await bot.post(pressed)
    assert status == 200
    [update] = connector.updates()
    assert update.activity_id == card.result_id and update.conversation_id == "a:personal-1"
    assert update.actions == []  # no second submission
    assert "You chose: Evidence for SW3B" in update.text
    assert "SW3B" in update.text  # the card as it was, not an empty one
    answer = connector.posted()[-1]
    assert answer.body["replyToId"] == pressed["id"]
    assert answer.text.startswith("Evidence for SW3B")
    # A second press on the same card (a double click, or a stale client) does nothing.
    again = press(connector.url, button(card, "Evidence for SW3B"), card.result_id)
    before = len(connector.calls)
    assert (await bot.post(again))[0] == 200
    assert len(connector.calls) == before


async def test_card_update_after_a_restart_shows_the_choice(tmp_path, connector):
    env = teams_env(tmp_path)
    first = await RunningBot(build_settings(env)).start()
    await first.post(message(connector.url, "snooze"))
    await first.close()
    [card] = connector.posted()
    second = await RunningBot(build_settings(env)).start()
    try:
        await second.post(press(connector.url, button(card, "1 week"), card.result_id))
        [update] = connector.updates()
        assert "Until when shall I snooze" in update.text and "You chose: 1 week" in update.text
        # the whole card as it was sent (kept in the store), not only its title
        assert "snooze until 5 January" in update.text and not update.actions
        assert "snoozed until" in connector.posted()[-1].text
        assert second.services.store.find_person(teams_user_id=AAD).prefs.snoozed_until is not None
    finally:
        await second.close()


async def test_invoke_action_execute_is_a_button_press(bot, connector):
    await bot.post(message(connector.url, "snooze"))
    [card] = connector.posted()
    data = button(card, "1 month")["data"]
    invoke = message(connector.url, "", reply_to=card.result_id)
    invoke.update(type="invoke", name="adaptiveCard/action",
                  value={"action": {"type": "Action.Execute", "verb": "choose", "data": data}})
    invoke.pop("text", None)
    status, body = await bot.post(invoke)
    assert status == 200 and json.loads(body)["statusCode"] == 200
    assert len(connector.updates()) == 1
    assert "snoozed until" in connector.posted()[-1].text


def _dialogs_or_skip(bot):
    if bot.services.dialogs is None:
        pytest.skip("the dialogs package is not installed yet")


async def test_dialog_by_buttons_updates_the_card_and_moves_on(bot, connector):
    _dialogs_or_skip(bot)
    await bot.post(message(connector.url, "assess me for SW3B"))
    [prompt] = connector.posted()
    first_question = prompt.text
    assert prompt.actions, "a self-assessment asks with buttons"
    await bot.post(press(connector.url, prompt.actions[0], prompt.result_id))
    [update] = connector.updates()
    assert update.activity_id == prompt.result_id
    assert update.text != first_question  # the dialog moved on, in place of the prompt
    # the old buttons are gone: pressing one again is ignored
    before = len(connector.calls)
    await bot.post(press(connector.url, prompt.actions[0], prompt.result_id))
    assert len(connector.calls) == before
    # the updated card's own buttons work (a new drawing of the same message)
    if update.actions:
        await bot.post(press(connector.url, update.actions[0], prompt.result_id))
        assert len(connector.calls) > before


async def test_dialog_answers_can_be_typed(bot, connector):
    _dialogs_or_skip(bot)
    await bot.post(message(connector.url, "assess me for SW3B"))
    [prompt] = connector.posted()
    await bot.post(message(connector.url, "met"))
    await bot.post(message(connector.url, "skip"))
    replies = connector.posted()[1:]
    assert len(replies) == 2, "each typed answer is answered"
    assert all("You can ask, for example" not in r.text for r in replies)  # not taken as a new question
    assert "Met" in replies[0].text  # the typed answer was taken as the answer to the question asked
    assert replies[-1].text != prompt.text  # and the dialog moved on


async def test_a_question_typed_in_the_middle_of_an_assessment_is_answered_and_the_assessment_waits(bot, connector):
    await bot.post(message(connector.url, "assess me for SW3B"))
    [prompt] = connector.posted()
    await bot.post(message(connector.url, "what does AMHP stand for?"))
    answer, aside = connector.posted()[1:]
    assert "Approved Mental Health Professional" in answer.text
    assert "is still open (question 1 of" in aside.text
    resume = next(a for a in aside.actions if a["title"] == "Resume")
    await bot.post(press(connector.url, resume, aside.result_id))
    shown = (connector.updates() + connector.posted())[-1]  # the question again, in place of the note or after it
    assert "1 of" in shown.text and any(a["title"] == "Met" for a in shown.actions)


# -- robustness -------------------------------------------------------------------------------------------------

async def test_repeated_activity_id_is_answered_once(bot, connector):
    activity = message(connector.url, "what does AMHP stand for?")
    assert (await bot.post(activity))[0] == 200
    assert (await bot.post(activity))[0] == 200
    assert len(connector.posted()) == 1


async def test_two_activities_from_one_person_at_once_are_both_answered(bot, connector):
    first = message(connector.url, "what does AMHP stand for?")
    second = message(connector.url, "evidence for SW2B")
    results = await asyncio.gather(bot.post(first), bot.post(second))
    assert [r[0] for r in results] == [200, 200]
    replied_to = sorted(c.body["replyToId"] for c in connector.posted())
    assert replied_to == sorted([first["id"], second["id"]])


async def test_many_people_at_once(bot, connector):
    activities = [message(connector.url, "what do I need for SW2C?", user_id=f"29:u{i}", aad=f"aad-{i}",
                          conversation_id=f"a:c{i}") for i in range(20)]
    results = await asyncio.gather(*(bot.post(a) for a in activities))
    assert all(status == 200 for status, _ in results)
    assert sorted(c.conversation_id for c in connector.posted()) == sorted(f"a:c{i}" for i in range(20))


@pytest.mark.parametrize("raw, content_type, expected", [
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'"a string"', "application/json", 400),
    (b"", "application/json", 400),
    (b"\xff\xfe", "application/json", 400),
    (b'{"type": "message"}', "text/plain", 415),
    (b'{"type": "message"}', "application/x-www-form-urlencoded", 415),
])
async def test_unreadable_bodies_are_refused(bot, connector, raw, content_type, expected, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.channels.teams"):
        status, _ = await bot.post(raw=raw, content_type=content_type)
    assert status == expected
    assert "refused" in caplog.text
    assert connector.calls == []


@pytest.mark.parametrize("broken", [
    "no type", "empty type", "no conversation", "conversation not an object", "no conversation id",
    "no serviceUrl", "serviceUrl not http", "serviceUrl not a string", "no sender", "text not a string",
    "entities not a list", "from not an object",
])
async def test_malformed_activities_get_400_and_a_log_line(bot, connector, broken, caplog):
    activity = message(connector.url, "hello")
    match broken:
        case "no type":
            del activity["type"]
        case "empty type":
            activity["type"] = ""
        case "no conversation":
            del activity["conversation"]
        case "conversation not an object":
            activity["conversation"] = "a:1"
        case "no conversation id":
            activity["conversation"] = {"conversationType": "personal"}
        case "no serviceUrl":
            del activity["serviceUrl"]
        case "serviceUrl not http":
            activity["serviceUrl"] = "file:///etc/passwd"
        case "serviceUrl not a string":
            activity["serviceUrl"] = 42
        case "no sender":
            del activity["from"]
        case "text not a string":
            activity["text"] = {"x": 1}
        case "entities not a list":
            activity["entities"] = "mention"
        case "from not an object":
            activity["from"] = "29:user-1"
    with caplog.at_level(logging.WARNING, logger="bot.channels.teams"):
        status, body = await bot.post(activity)
    assert status == 400, body
    assert "refused" in caplog.text
    assert connector.calls == []


async def test_oversized_body_is_413(bot, connector):
    activity = message(connector.url, "x" * (300 * 1024))
    status, _ = await bot.post(activity)
    assert status == 413
    huge = message(connector.url, "x" * (2 * 1024 * 1024))  # over the whole app's limit too
    status, _ = await bot.post(huge)
    assert status == 413
    assert connector.calls == []


async def test_long_message_is_cut_with_a_note(bot, connector):
    status, _ = await bot.post(message(connector.url, "what do I need for SW3B? " + "please " * 1000))
    assert status == 200
    assert "read only the first 4,000 characters" in connector.posted()[0].text


async def test_a_fault_in_the_core_gets_an_apology_not_a_500(bot, connector, monkeypatch, caplog):
    def broken(msg):
        raise RuntimeError("boom")

    monkeypatch.setattr(bot.services.router, "handle", broken)
    with caplog.at_level(logging.ERROR, logger="bot.channels.teams"):
        status, _ = await bot.post(message(connector.url, "help"))
    assert status == 200
    assert "Sorry, something went wrong" in connector.posted()[0].text
    assert "boom" in caplog.text


async def test_other_activity_types_are_ignored_quietly(bot, connector):
    for kind in ("typing", "messageReaction", "endOfConversation", "event"):
        activity = message(connector.url, "")
        activity["type"] = kind
        status, _ = await bot.post(activity)
        assert status == 200
    assert connector.calls == []


@pytest.fixture(scope="module")
def background_bot(tmp_path_factory):
    """careerbot and a mock connector on their own event loop in a thread, for the many-examples test."""
    import threading

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict = {}

    async def start():
        mock = MockConnector(record_bodies=False)
        await mock.start()
        running = await RunningBot(build_settings(teams_env(tmp_path_factory.mktemp("fuzz")))).start()
        state.update(mock=mock, bot=running)

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30)
    yield state

    async def stop():
        await state["bot"].close()
        await state["mock"].close()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def _post_sync(url: str, body: bytes) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "text", "conversation", "serviceUrl", "from", "recipient", "id", "value",
                         "entities", "membersAdded", "membersRemoved", "replyToId", "name", "action", "channelData",
                         "conversationType", "aadObjectId", "localTimezone", "attachments", "tenant", "mentioned",
                         "timezone", "data", "isGroup", "tenantId", "careerbotChoice", "label", "card",
                         "for"]), children, max_size=6),
    max_leaves=20)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=_junk, kind=st.sampled_from(["message", "invoke", "conversationUpdate", "installationUpdate", "typing"]))
def test_no_activity_makes_a_500(background_bot, junk, kind):
    url, mock_url = background_bot["bot"].url, background_bot["mock"].url
    # the junk on its own, and spliced into a valid activity of each kind
    assert _post_sync(url, json.dumps(junk).encode()) < 500
    if isinstance(junk, dict):
        activity = message(mock_url, "help")
        activity["type"] = kind
        activity.update({k: v for k, v in junk.items() if k != "serviceUrl"})
        assert _post_sync(url, json.dumps(activity).encode()) < 500


# -- proactive messages -------------------------------------------------------------------------------------------

def _reminder() -> Reply:
    return Reply(title="You can go for SW2B from 1 March 2025", blocks=[Block(text="A reminder from careerbot.")],
                 choices=[Choice("Snooze for a week", {"action": "reminders", "what": "snooze",
                                                       "until": (date.today() + timedelta(days=7)).isoformat()})])


async def test_proactive_reminder_after_a_restart(tmp_path, connector):
    env = teams_env(tmp_path)
    first = await RunningBot(build_settings(env)).start()
    await first.post(message(connector.url, "hello", timezone="Europe/London"))
    await first.close()
    connector.clear()

    second = await RunningBot(build_settings(env)).start()  # new services, same database file
    try:
        store = second.services.store
        person = store.find_person(teams_user_id=AAD)
        person.level_code, person.level_since = "SW2A", date(2023, 2, 20)  # 24 months at SW2A on 20 February 2025
        store.upsert_person(person)
        from bot.app import build_reminders

        reminders = build_reminders(second.services)
        now = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)  # a Tuesday morning in London
        report = await asyncio.to_thread(reminders.run_pass, now)  # the reminder thread, as in production
        outcomes = dict(report.outcomes)
        assert any(o == "sent via teams" for o in outcomes.values()), outcomes
        sends = [c for c in connector.posted() if c.kind == "send"]
        assert sends and all(c.conversation_id == "a:personal-1" for c in sends)
        assert "SW2B" in sends[0].text
        assert sends[0].body["recipient"]["id"] == "29:user-1" and "replyToId" not in sends[0].body
    finally:
        await second.close()


async def test_notifier_sends_through_the_stored_reference(bot, connector):
    await bot.post(message(connector.url, "hello"))
    connector.clear()
    notifier = bot.services.notifiers["teams"]
    person = the_person(bot)
    assert notifier.name == "teams" and notifier.can_reach(person)
    await asyncio.to_thread(notifier.send, person, _reminder())
    [call] = connector.posted()
    assert call.kind == "send" and call.conversation_id == "a:personal-1"
    assert "SW2B" in call.text and button(call, "Snooze")
    # its button works like any other
    await bot.post(press(connector.url, button(call, "Snooze"), call.result_id))
    assert connector.updates()[0].activity_id == call.result_id


async def test_nobody_to_reach_without_a_reference(bot):
    from bot.storage.base import Person

    person = Person(id="hr:123", teams_user_id="aad-never-talked")
    bot.services.store.upsert_person(person)
    notifier = bot.services.notifiers["teams"]
    assert not notifier.can_reach(person)
    with pytest.raises(DeliveryError):
        await asyncio.to_thread(notifier.send, person, _reminder())


async def test_proactive_to_someone_only_seen_in_a_channel_opens_a_personal_chat(bot, connector):
    await bot.post(channel_mention(connector.url, "help"))
    connector.clear()
    person = the_person(bot)
    await asyncio.to_thread(bot.services.notifiers["teams"].send, person, _reminder())
    create = [c for c in connector.calls if c.kind == "create"]
    assert len(create) == 1
    assert create[0].body["members"] == [{"id": "29:user-1"}] and create[0].body["isGroup"] is False
    assert create[0].body["channelData"]["tenant"]["id"] == TENANT
    [sent] = connector.posted()
    assert sent.conversation_id == create[0].conversation_id
    ref = bot.services.store.get_conversation_ref(person.id, "teams")
    assert ref["conversation"]["conversationType"] == "personal"
    assert ref["conversation"]["id"] == create[0].conversation_id
    # a later mention in the channel does not take the personal chat away
    await bot.post(channel_mention(connector.url, "help"))
    assert bot.services.store.get_conversation_ref(person.id, "teams")["conversation"]["id"] == \
        create[0].conversation_id


async def test_429_honours_retry_after_then_succeeds(bot, connector):
    await bot.post(message(connector.url, "hello"))
    connector.clear()
    connector.fail_next(429, retry_after=0.4)
    started = time.monotonic()
    await asyncio.to_thread(bot.services.notifiers["teams"].send, the_person(bot), _reminder())
    attempts = [c for c in connector.calls if c.kind == "send"]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.38
    assert time.monotonic() - started >= 0.38


async def test_429_without_retry_after_backs_off(bot, connector):
    await bot.post(message(connector.url, "hello"))
    connector.clear()
    connector.fail_next(429, times=2)
    await asyncio.to_thread(bot.services.notifiers["teams"].send, the_person(bot), _reminder())
    assert [c.status for c in connector.calls if c.kind == "send"] == [429, 429, 200]


@pytest.mark.parametrize("status", [412, 502, 503, 504])
async def test_transient_errors_are_retried(bot, connector, status):
    await bot.post(message(connector.url, "hello"))
    connector.clear()
    connector.fail_next(status, times=2)
    await asyncio.to_thread(bot.services.notifiers["teams"].send, the_person(bot), _reminder())
    assert [c.status for c in connector.calls if c.kind == "send"] == [status, status, 200]


async def test_persistent_failure_is_retryable_and_bounded(bot, connector):
    await bot.post(message(connector.url, "hello"))
    connector.clear()
    connector.fail_next(502, times=50)
    with pytest.raises(DeliveryError) as err:
        await asyncio.to_thread(bot.services.notifiers["teams"].send, the_person(bot), _reminder())
    assert err.value.retryable is True
    assert len([c for c in connector.calls if c.kind == "send"]) == 5  # not for ever
    assert "teams" not in the_person(bot).unreachable


async def test_long_retry_after_is_handed_back_to_the_reminder_service(bot, connector):
    await bot.post(message(connector.url, "hello"))
    connector.clear()
    connector.fail_next(429, retry_after=3600)
    with pytest.raises(DeliveryError) as err:
        await asyncio.to_thread(bot.services.notifiers["teams"].send, the_person(bot), _reminder())
    assert err.value.retryable is True and err.value.retry_after == 3600


@pytest.mark.parametrize("status, code", [(403, "BotNotInConversationRoster"), (404, "ConversationNotFound"),
                                          (403, "ConversationBlockedByUser")])
async def test_removed_app_marks_the_person_unreachable(bot, connector, status, code, caplog):
    await bot.post(message(connector.url, "hello"))
    connector.clear()
    connector.fail_next(status, code=code)
    person = the_person(bot)
    notifier = bot.services.notifiers["teams"]
    with caplog.at_level(logging.WARNING, logger="bot.channels.teams"), pytest.raises(DeliveryError) as err:
        await asyncio.to_thread(notifier.send, person, _reminder())
    assert err.value.retryable is False
    assert len(connector.calls) == 1  # not retried
    person = the_person(bot)
    assert code in person.unreachable["teams"] or str(status) in person.unreachable["teams"]
    assert not notifier.can_reach(person)
    assert "cannot be reached" in caplog.text


async def test_reminder_service_reports_the_unreachable_person(tmp_path, connector):
    running = await RunningBot(build_settings(teams_env(tmp_path))).start()
    try:
        await running.post(message(connector.url, "hello"))
        store = running.services.store
        person = store.find_person(teams_user_id=AAD)
        person.level_code, person.level_since = "SW2A", date(2023, 2, 20)
        store.upsert_person(person)
        connector.clear()
        connector.fail_next(404, code="ConversationNotFound", times=10)
        from bot.app import build_reminders

        reminders = build_reminders(running.services)
        report = await asyncio.to_thread(reminders.run_pass, datetime(2025, 3, 4, 10, 30, tzinfo=UTC))
        assert any("unreachable on teams" in o for _, o in report.outcomes), report.outcomes
        assert len([c for c in connector.calls if c.kind == "send"]) == 1
        # the next pass does not try Teams again
        await asyncio.to_thread(reminders.run_pass, datetime(2025, 3, 5, 10, 30, tzinfo=UTC))
        assert len([c for c in connector.calls if c.kind == "send"]) == 1
    finally:
        await running.close()


async def test_proactive_sends_are_paced_per_conversation(bot, connector):
    await bot.post(message(connector.url, "hello"))
    connector.clear()
    bot.teams.limiter.interval = 0.25
    notifier = bot.services.notifiers["teams"]
    person = the_person(bot)
    await asyncio.gather(*(asyncio.to_thread(notifier.send, person, _reminder()) for _ in range(3)))
    times = sorted(c.at for c in connector.posted())
    assert len(times) == 3
    assert all(b - a >= 0.2 for a, b in zip(times, times[1:])), times


async def test_429_in_a_turn_is_retried(bot, connector):
    connector.fail_next(429, retry_after=0.1)
    status, _ = await bot.post(message(connector.url, "what does AMHP stand for?"))
    assert status == 200
    assert [c.status for c in connector.calls] == [429, 200]


async def test_notifier_refuses_to_block_when_the_channel_is_not_running(tmp_path):
    from bot.channels.teams import TeamsChannel, TeamsNotifier
    from tests.mock_connector import build_services_for_tests

    services = build_services_for_tests(build_settings(teams_env(tmp_path)))
    try:
        channel = TeamsChannel(services)
        notifier = TeamsNotifier(channel, startup_wait=0.05)
        from bot.storage.base import Person

        person = Person(id="p1", teams_user_id="aad-p1")
        services.store.upsert_person(person)
        services.store.save_conversation_ref("p1", "teams", {"serviceUrl": "http://127.0.0.1:9", "conversation": {
            "id": "a:1", "conversationType": "personal"}, "user": {"id": "29:p1"}, "bot": {"id": BOT_ID}})
        with pytest.raises(DeliveryError) as err:
            notifier.send(person, _reminder())
        assert err.value.retryable is True
    finally:
        services.close()


# -- files: the supervision pack through Teams' file-consent flow ------------------------------------------------

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"


async def _finish_an_assessment(bot, connector, **kw) -> None:
    _dialogs_or_skip(bot)
    await bot.post(message(connector.url, "assess me for SW2A", **kw))
    for _ in range(30):
        last = connector.posted()[-1]
        if any("pack" in a["title"].lower() for a in last.actions):
            return
        await bot.post(message(connector.url, "skip category", **kw))
    raise AssertionError("the self-assessment did not finish")


def _consent_cards(connector) -> list[dict]:
    return [att for call in connector.posted() for att in call.body.get("attachments") or []
            if att.get("contentType") == FILE_CONSENT]


async def _offered_pack(bot, connector) -> dict:
    await _finish_an_assessment(bot, connector)
    connector.clear()
    await bot.post(message(connector.url, "supervision pack"))
    offers = _consent_cards(connector)
    assert [o["name"].rsplit(".", 1)[-1] for o in offers] == ["docx", "md"]
    assert "Allow" in connector.posted()[0].text  # the pack card says what comes next
    return offers[0]


async def test_a_supervision_pack_is_saved_to_onedrive_after_consent(bot, connector):
    docx = await _offered_pack(bot, connector)
    assert docx["content"]["sizeInBytes"] > 1000
    connector.clear()
    info = connector.upload_info(docx["name"])
    status, _ = await bot.post(file_consent(connector.url, docx, upload_info=info))
    assert status == 200
    [upload] = connector.uploads
    data = upload["bytes"]
    assert data[:2] == b"PK" and len(data) == docx["content"]["sizeInBytes"]  # a Word document (a zip)
    assert upload["headers"]["Content-Range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
    assert upload["authorization"] is None  # the bot's token never goes to OneDrive
    [card] = [att for call in connector.posted() for att in call.body.get("attachments") or []]
    assert card["contentType"] == FILE_INFO and card["content"]["uniqueId"] == info["uniqueId"]
    assert card["contentUrl"] == info["contentUrl"]


async def test_declining_a_file_uploads_nothing(bot, connector):
    docx = await _offered_pack(bot, connector)
    connector.clear()
    status, _ = await bot.post(file_consent(connector.url, docx, action="decline"))
    assert status == 200 and connector.uploads == []
    assert "haven't saved" in connector.posted()[-1].text


async def test_someone_else_cannot_take_a_file_by_replaying_its_consent(bot, connector):
    docx = await _offered_pack(bot, connector)
    connector.clear()
    status, _ = await bot.post(file_consent(connector.url, docx, upload_info=connector.upload_info(docx["name"]),
                                            conversation_id="a:personal-2", user_id="29:user-2", aad="aad-user-2",
                                            name="Alex Other"))
    assert status == 200 and connector.uploads == []
    assert "no longer available" in connector.posted()[-1].text


async def test_a_failed_upload_is_said_plainly(bot, connector):
    docx = await _offered_pack(bot, connector)
    connector.clear()
    connector.upload_status = 500
    status, _ = await bot.post(file_consent(connector.url, docx, upload_info=connector.upload_info(docx["name"])))
    assert status == 200
    assert "couldn't save" in connector.posted()[-1].text


async def test_a_consent_without_an_upload_url_or_not_ours_is_harmless(bot, connector):
    docx = await _offered_pack(bot, connector)
    connector.clear()
    status, _ = await bot.post(file_consent(connector.url, docx))  # no uploadInfo
    assert status == 200 and connector.uploads == [] and "couldn't save" in connector.posted()[-1].text
    connector.clear()
    foreign = {"content": {"acceptContext": {"something": "else"}, "declineContext": {}}}
    status, _ = await bot.post(file_consent(connector.url, foreign, upload_info=connector.upload_info("x.docx")))
    assert status == 200 and connector.uploads == [] and connector.posted() == []


async def test_files_are_not_offered_in_a_channel(bot, connector):
    _dialogs_or_skip(bot)
    await bot.post(channel_mention(connector.url, "export my data"))
    assert _consent_cards(connector) == []
    assert any("one-to-one chat" in call.text for call in connector.posted())


async def test_a_reminder_pass_from_cron_reaches_teams(tmp_path, connector):
    """`careerbot remind --send` in its own process (no web server) sends Teams reminders through the
    conversation reference the server saved, with a Bot Framework token of its own."""
    import os
    import sys

    env = teams_env(tmp_path)
    server = await RunningBot(build_settings(env)).start()
    try:
        await server.post(message(connector.url, "hello"))
        store = server.services.store
        person = store.find_person(teams_user_id=AAD)
        person.level_code, person.level_since = "SW2A", date(2023, 2, 20)  # eligible for SW2B on 20 Feb 2025
        store.upsert_person(person)
    finally:
        await server.close()
    connector.clear()
    cron_env = {**os.environ, **env, "MICROSOFT_APP_ID": "cron-app", "MICROSOFT_APP_PASSWORD": "secret",
                "CAREERBOT_TEAMS_TOKEN_URL": connector.token_url, "CAREERBOT_TEAMS_PROACTIVE_INTERVAL": "0.05"}
    cron_env.pop("SLACK_BOT_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "remind", "--send", "--today", "2025-03-04", env=cron_env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["sent"] == 1 and report["failed"] == 0, report
    sends = [c for c in connector.posted() if c.kind == "send"]
    assert len(sends) == 1 and sends[0].conversation_id == "a:personal-1" and "SW2B" in sends[0].text
    assert sends[0].authorization == "Bearer mock-token-1"  # the cron process's own token
    # a second pass the same day sends nothing more: the ledger remembers
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "remind", "--send", "--today", "2025-03-04", env=cron_env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    await asyncio.wait_for(proc.communicate(), 60)
    assert len([c for c in connector.posted() if c.kind == "send"]) == 1


async def test_the_core_on_worker_threads_answers_the_same(bot, connector):
    """With a networked store (PostgreSQL) turns run on the channel's worker threads, not the event loop."""
    assert bot.teams._inline is True  # SQLite is embedded
    bot.teams._inline = False
    await asyncio.gather(bot.post(message(connector.url, "what do I need for SW3B?")),
                         bot.post(message(connector.url, "what evidence for SW3C?")))
    texts = [c.text for c in connector.posted()]
    assert len(texts) == 2 and any("SW3B" in t for t in texts) and any("SW3C" in t for t in texts)
    assert bot.teams._executor is not None  # they did go through the worker threads
