"""The Slack channel end to end: signed requests into the real careerbot web app (bot.channels.web.make_app)
on 127.0.0.1, through the real Bolt dispatch, and what reaches the mock Slack Web API.

Work happens after the ack, so every assertion about replies polls the mock (bounded, 5 s).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest

from bot.channels.slack_render import SET_LEVEL_ACTION, decode_choice
from bot.conversation import Attachment, Reply
from bot.storage.base import Person, ReminderPrefs
from tests.mock_slack import BOT_ID, BOT_USER
from tests.slack_fixtures import USER, buttons, sign
from tests.slack_fixtures import mock_slack as mock_slack  # noqa: F401
from tests.slack_fixtures import slack as slack  # noqa: F401
from tests.slack_fixtures import slack_threaded as slack_threaded  # noqa: F401

pytestmark = pytest.mark.asyncio


def header_of(call) -> str:
    for block in call.blocks:
        if block["type"] == "header":
            return block["text"]["text"]
    return ""


def find_button(call, label_part: str) -> dict:
    for b in buttons(call):
        if label_part.lower() in b["text"]["text"].lower():
            return b
    raise AssertionError(f"no button {label_part!r} in {[b['text']['text'] for b in buttons(call)]}")


# -- answers ---------------------------------------------------------------------------------------------------

async def test_dm_gets_a_block_kit_answer(slack):
    resp = await slack.dm("what do I need for SW3B?")
    assert resp.status == 200
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert call.args["channel"] == "D1001"
    assert "SW3B" in header_of(call)
    kinds = [b["type"] for b in call.blocks]
    assert kinds[0] == "header" and "section" in kinds and "context" in kinds
    assert any("Source" in t for t in _context_texts(call))  # the citation, small, at the end
    assert call.args["text"].startswith("What the framework asks for SW3B")
    assert call.headers["Authorization"] == "Bearer xoxb-test-token"
    # careerbot learnt the person's time zone from users.info on first contact and kept a DM reference
    person = slack.services.store.find_person(slack_user_id=USER)
    assert person is not None and person.timezone == "Europe/London"
    assert slack.services.store.get_conversation_ref(person.id, "slack")["channel_id"] == "D1001"


def _context_texts(call):
    return [e.get("text", "") for b in call.blocks if b["type"] == "context" for e in b["elements"]]


async def test_mention_is_answered_in_the_thread(slack):
    resp, ts = await slack.mention("how long do I need at SW2A?")
    assert resp.status == 200
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert call.args["channel"] == "C2002" and call.args["thread_ts"] == ts
    assert "SW2A" in call.all_text


@pytest.mark.parametrize("asked", ["assess me", "check-in", "export my data"])
async def test_private_things_asked_in_a_channel_are_sent_to_a_dm_instead(slack, asked):
    resp, ts = await slack.mention(asked)
    assert resp.status == 200
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert call.args["thread_ts"] == ts and "private chat with me, not a channel" in call.all_text
    assert not slack.services.store.list_dialogs()  # nothing started where the channel could see it
    assert not slack.mock.calls_to("files.getUploadURLExternal")


async def test_mention_inside_a_thread_stays_in_that_thread(slack):
    resp, _ = await slack.mention("what is SW4?", thread_ts="1700000000.000100")
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert call.args["thread_ts"] == "1700000000.000100"


async def test_user_text_comes_back_escaped(slack):
    # The level-setting error quotes what the person typed.
    await slack.dm("my level is <!channel> <@U1> <http://evil.example|x> sw9 since 2024-01-01")
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    everything = json.dumps(call.args)
    assert "&lt;!channel&gt;" in call.all_text and "&lt;@U1&gt;" in call.all_text
    for raw in ("<!channel>", "<@U1>", "<http://evil"):
        assert raw not in everything


async def test_slash_command_acks_fast_and_answers_through_the_response_url(slack):
    started = time.monotonic()
    resp, key = await slack.command("what do I need for SW3B")
    elapsed = time.monotonic() - started
    assert resp.status == 200 and elapsed < 3.0
    assert (await resp.text()) == ""  # first contact: the profile is asked of Slack, the answer follows the ack
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("response_url"))
    assert call.args["_key"] == key and call.args["response_type"] == "ephemeral"
    assert call.args["replace_original"] is False
    assert "SW3B" in header_of(call)


async def test_a_quick_answer_comes_in_the_ack_itself(slack):
    await slack.command("help")
    await slack.mock.wait_for(lambda: slack.mock.calls_to("response_url"))
    slack.mock.clear()
    started = time.monotonic()
    resp = await slack.post(*slack_command_body(slack, "what evidence for SW3C"))
    assert resp.status == 200 and time.monotonic() - started < 3.0
    body = json.loads(await resp.text())
    assert body["response_type"] == "ephemeral" and "SW3C" in json.dumps(body["blocks"])
    await asyncio.sleep(0.3)
    assert slack.mock.calls_to("response_url") == []  # one exchange, not two


async def test_a_command_that_says_payload_is_still_a_command(slack):
    # Bolt's own body parser reads any form body containing "payload" as an interaction (and finds none);
    # the channel hands Bolt the body it parsed itself.
    resp, key = await slack.command("what evidence for SW3C in the payload")
    assert resp.status == 200
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("response_url"))
    assert call.args["_key"] == key and "SW3C" in call.all_text


def slack_command_body(slack, text):
    from urllib.parse import urlencode

    from tests.slack_fixtures import TEAM

    key = slack.next_id("cmd")
    body = urlencode({"token": "legacy", "team_id": TEAM, "channel_id": "C2002", "user_id": USER,
                      "command": "/career", "text": text, "api_app_id": "A1",
                      "response_url": slack.mock.response_url(key), "trigger_id": f"trig.{key}"}).encode()
    return body, "application/x-www-form-urlencoded"


SOON = date.today() + timedelta(days=40)  # a snooze is at most a year


@pytest.mark.parametrize("text, expected", [
    ("help", "I answer questions"),
    ("", "I answer questions"),
    ("assess", "assess yourself"),
    ("checkin", "check-in"),
    (f"snooze {SOON.isoformat()}", f"snoozed until {SOON.day} {SOON:%B %Y}"),
])
async def test_slash_subcommands(slack, text, expected):
    resp, key = await slack.command(text)
    assert resp.status == 200
    calls = await slack.mock.wait_for(lambda: slack.mock.calls_to("response_url"))
    assert expected.lower() in calls[0].all_text.lower(), calls[0].all_text


async def test_slash_level_sets_the_level_after_confirmation(slack):
    resp, key = await slack.command("level SW2B since 2025-03-01")
    [prompt] = await slack.mock.wait_for(lambda: slack.mock.calls_to("response_url"))
    assert "Set your level to SW2B" in prompt.all_text
    slack.mock.clear()
    resp, payload, click_key = await slack.click(prompt, find_button(prompt, "Yes"))
    assert resp.status == 200
    calls = await slack.mock.wait_for(lambda: len(slack.mock.calls_to("response_url")) >= 2 and
                                      slack.mock.calls_to("response_url"))
    update, answer = calls[0], calls[1]
    assert update.args["replace_original"] is True  # the ephemeral prompt, buttons gone
    assert not any(b["type"] == "actions" for b in update.blocks)
    assert "You chose: *Yes*" in update.all_text
    assert "SW2B" in answer.all_text
    person = slack.services.store.find_person(slack_user_id=USER)
    assert person.level_code == "SW2B" and person.level_since == date(2025, 3, 1)


# -- buttons ---------------------------------------------------------------------------------------------------

async def test_button_click_updates_the_prompt_then_answers(slack):
    await slack.dm("help")
    [prompt] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    button = find_button(prompt, "SW3B")
    value, owner = decode_choice(button["value"])
    assert value["action"] == "ask" and owner == USER
    slack.mock.clear()
    resp, payload, _ = await slack.click(prompt, button)
    assert resp.status == 200
    [update] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.update"))
    assert update.args["channel"] == "D1001" and update.args["ts"] == payload["message"]["ts"]
    assert not any(b["type"] == "actions" for b in update.blocks)
    assert "You chose" in update.all_text
    [answer] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert "SW3B" in header_of(answer)
    # A second click on the same prompt (a double click, or a stale client) does nothing.
    resp, _, _ = await slack.click(prompt, button, block_id=button["_block_id"])
    assert resp.status == 200
    await slack.mock.settle()
    assert len(slack.mock.calls_to("chat.postMessage")) == 1 and len(slack.mock.calls_to("chat.update")) == 1


async def test_someone_elses_buttons_are_refused(slack):
    await slack.dm("help")
    [prompt] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    slack.mock.clear()
    await slack.click(prompt, find_button(prompt, "SW3B"), user="U9999", channel="C2002")
    [note] = await slack.mock.wait_for(lambda: slack.mock.calls_to("response_url"))
    assert "someone else" in note.all_text
    await slack.mock.settle()
    assert not slack.mock.calls_to("chat.update", "chat.postMessage")


async def test_self_assessment_dialog_progresses_with_buttons(slack):
    slack.services.store.upsert_person(Person(id="slack:" + USER, display_name="Pat", slack_user_id=USER,
                                              level_code="SW2B", level_since=date(2024, 3, 1)))
    await slack.dm("assess me")
    [first] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert "1 of" in first.all_text
    slack.mock.clear()
    await slack.click(first, find_button(first, "Met"))
    [update] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.update"))
    assert "You chose: *Met*" in update.all_text
    [note] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert "note of your evidence" in note.all_text
    slack.mock.clear()
    await slack.click(note, find_button(note, "Skip note"))
    posts = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert "2 of" in posts[-1].all_text
    # Typed answers work too, in the same conversation.
    slack.mock.clear()
    await slack.dm("partly")
    posts = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert "2 of" in posts[-1].all_text and "Partly" in posts[-1].all_text


async def test_a_question_typed_in_the_middle_of_an_assessment_is_answered_and_the_assessment_waits(slack):
    slack.services.store.upsert_person(Person(id="slack:" + USER, display_name="Pat", slack_user_id=USER,
                                              level_code="SW2B", level_since=date(2024, 3, 1)))
    await slack.dm("assess me")
    [first] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    slack.mock.clear()
    await slack.dm("what does AMHP stand for?")
    answer, aside = await slack.mock.wait_for(lambda: len(slack.mock.calls_to("chat.postMessage")) >= 2
                                              and slack.mock.calls_to("chat.postMessage"))
    assert "Approved Mental Health Professional" in answer.all_text
    assert "is still open (question 1 of" in aside.all_text
    slack.mock.clear()
    await slack.click(aside, find_button(aside, "Resume"))
    posts = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert "1 of" in posts[-1].all_text and find_button(posts[-1], "Met")


async def test_attachments_are_uploaded_to_the_dm(slack, monkeypatch):
    pack = Reply(title="Your supervision pack", attachments=[Attachment("pack.md", "text/markdown", b"# Pack\n")])
    monkeypatch.setattr(slack.services.router, "handle", lambda incoming: [pack])
    await slack.command("pack")
    await slack.mock.wait_for(lambda: slack.mock.calls_to("files.completeUploadExternal"))
    [get] = slack.mock.calls_to("files.getUploadURLExternal")
    assert get.args["filename"] == "pack.md"
    [upload] = slack.mock.calls_to("upload")
    [done] = slack.mock.calls_to("files.completeUploadExternal")
    assert done.args["channel_id"] == "D1001"  # the person's DM, never the channel the command came from
    assert upload.args["_file_id"] == get.args.get("_file_id", upload.args["_file_id"])
    notes = await slack.mock.wait_for(lambda: [c for c in slack.mock.calls_to("response_url")
                                               if "direct message" in c.all_text])
    assert notes


async def test_a_document_is_built_off_the_event_loop_when_it_is_sent(slack, monkeypatch):
    import threading

    built_in = []

    def make() -> bytes:
        built_in.append(threading.current_thread())
        return b"PK-a-word-document"

    pack = Reply(title="Your supervision pack", attachments=[Attachment("pack.docx", "application/x", make)])
    monkeypatch.setattr(slack.services.router, "handle", lambda incoming: [pack])
    resp, _ = await slack.command("pack")
    assert resp.status == 200 and built_in == []  # the ack did not wait for the document
    await slack.mock.wait_for(lambda: slack.mock.calls_to("files.completeUploadExternal"))
    [upload] = slack.mock.calls_to("upload")
    assert b"PK-a-word-document" in upload.args["_bytes"]
    assert built_in and built_in[0] is not threading.main_thread()


async def test_the_core_on_a_worker_thread_answers_the_same(slack_threaded):
    """With a networked store (PostgreSQL) the core runs on the channel's worker thread, not the loop."""
    slack = slack_threaded
    resp, key = await slack.command("what do I need for SW3B")
    assert resp.status == 200
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("response_url"))
    assert call.args["_key"] == key and "SW3B" in header_of(call)
    slack.mock.clear()
    resp = await slack.post(*slack_command_body(slack, "what evidence for SW3C"))
    body = json.loads(await resp.text())
    assert body["response_type"] == "ephemeral" and "SW3C" in json.dumps(body["blocks"])
    await slack.dm("what is SW4?")
    [post] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert "SW4" in post.all_text and post.args["channel"] == "D1001"


async def test_a_core_too_slow_for_the_ack_answers_through_the_response_url(slack_threaded, monkeypatch):
    import bot.channels.slack as slack_module

    slack = slack_threaded
    await slack.command("help")  # first contact: the profile is asked of Slack once
    await slack.mock.wait_for(lambda: slack.mock.calls_to("response_url"))
    slack.mock.clear()
    real = slack.services.router.handle

    def slow(incoming):
        time.sleep(0.4)
        return real(incoming)

    monkeypatch.setattr(slack.services.router, "handle", slow)
    monkeypatch.setattr(slack_module, "ACK_BUDGET", 0.05)
    started = time.monotonic()
    resp = await slack.post(*slack_command_body(slack, "what is SW4?"))
    assert resp.status == 200 and (await resp.text()) == "" and time.monotonic() - started < 0.35
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("response_url"))
    assert "SW4" in call.all_text


# -- the modal and App Home ---------------------------------------------------------------------------------------

def _view_submission(level: str, since: str | None, view_id: str = "V1") -> dict:
    return {
        "type": "view_submission", "user": {"id": USER, "team_id": "T0001"}, "trigger_id": f"trig.{view_id}",
        "view": {"id": view_id, "type": "modal", "hash": "h1", "callback_id": "career_set_level",
                 "private_metadata": "{}",
                 "state": {"values": {"level": {"level": {"type": "plain_text_input", "value": level}},
                                      "since": {"since": {"type": "datepicker", "selected_date": since}}}}},
    }


async def test_home_tab_and_the_level_modal(slack):
    resp = await slack.event({"type": "app_home_opened", "user": USER, "channel": "D1001", "tab": "home",
                              "event_ts": f"{time.time():.6f}"})
    assert resp.status == 200
    [home] = await slack.mock.wait_for(lambda: slack.mock.calls_to("views.publish"))
    assert home.args["user_id"] == USER and home.view["type"] == "home"
    assert "don't know your level" in home.all_text
    set_level = next(b for b in home.view["blocks"] if b["type"] == "actions")["elements"][1]
    assert set_level["action_id"] == SET_LEVEL_ACTION

    # The button opens the modal with the click's trigger id.
    resp = await slack.interaction({"type": "block_actions", "user": {"id": USER}, "trigger_id": "trig.home1",
                                    "container": {"type": "view", "view_id": "VHOME"}, "view": {"id": "VHOME"},
                                    "actions": [{"action_id": SET_LEVEL_ACTION, "block_id": "careerhome-actions",
                                                 "type": "button", "value": "{}", "action_ts": "1"}]})
    assert resp.status == 200
    [opened] = await slack.mock.wait_for(lambda: slack.mock.calls_to("views.open"))
    assert opened.args["trigger_id"] == "trig.home1" and opened.view["callback_id"] == "career_set_level"

    # Validation errors go back in the ack, and nothing is saved.
    resp = await slack.interaction(_view_submission("SW9Z", "2025-03-01"))
    body = await resp.json()
    assert resp.status == 200 and body["response_action"] == "errors"
    assert "not a level in the framework" in body["errors"]["level"]
    resp = await slack.interaction(_view_submission("SW2B", "2999-01-01", "V2"))
    body = await resp.json()
    assert "future" in body["errors"]["since"]
    resp = await slack.interaction(_view_submission("SW2B", None, "V3"))
    assert "since" in (await resp.json())["errors"]
    assert slack.services.store.find_person(slack_user_id=USER) is None or \
        slack.services.store.find_person(slack_user_id=USER).level_code is None

    # A good submission closes the modal (empty ack), saves the level and refreshes App Home.
    slack.mock.clear()
    resp = await slack.interaction(_view_submission("sw 2b", "2024-03-01", "V4"))
    assert resp.status == 200 and (await resp.text()) == ""
    [home] = await slack.mock.wait_for(lambda: slack.mock.calls_to("views.publish"))
    person = slack.services.store.find_person(slack_user_id=USER)
    assert person.level_code == "SW2B" and person.level_since == date(2024, 3, 1)
    assert "SW2B" in home.all_text and "1 March 2024" in home.all_text and "SW2C" in home.all_text
    posts = slack.mock.calls_to("chat.postMessage")
    assert posts and "Done: your level is SW2B" in posts[-1].all_text  # in the DM, no second confirmation


async def test_home_shows_eligibility_and_last_assessment(slack):
    store = slack.services.store
    store.upsert_person(Person(id="slack:" + USER, display_name="Pat", slack_user_id=USER, level_code="SW2A",
                               level_since=date(2020, 1, 6)))
    store.add_record("slack:" + USER, "assessment", {
        "type": "self_assessment", "status": "complete", "target": "SW2B", "target_label": "SW2B (Practising)",
        "level": "B", "date": "2025-11-03", "counts": {"met": 5, "partly": 3, "not_yet": 1, "not_sure": 0},
        "summary": "Strong on knowledge."})
    await slack.event({"type": "app_home_opened", "user": USER, "channel": "D1001", "tab": "home"})
    [home] = await slack.mock.wait_for(lambda: slack.mock.calls_to("views.publish"))
    text = home.all_text
    assert "SW2A" in text and "6 January 2020" in text
    assert "SW2B" in text and "put yourself forward" in text
    assert "3 November 2025, for SW2B (Practising): 5 met, 3 partly met, 1 not yet. Strong on knowledge." in text
    start = next(b for b in home.view["blocks"] if b["type"] == "actions")["elements"][0]
    assert decode_choice(start["value"])[0] == {"action": "assess", "level": "SW2B"}
    assert "Reminders: on." in text
    store.upsert_person(Person(id="slack:" + USER, display_name="Pat", slack_user_id=USER, level_code="SW2A",
                               level_since=date(2020, 1, 6), prefs=ReminderPrefs(opted_out=True)))
    slack.mock.clear()
    await slack.event({"type": "app_home_opened", "user": USER, "channel": "D1001", "tab": "home"})
    [home] = await slack.mock.wait_for(lambda: slack.mock.calls_to("views.publish"))
    assert "Reminders: off." in home.all_text


# -- what must not produce a reply ------------------------------------------------------------------------------

@pytest.mark.parametrize("extra", [
    {"bot_id": BOT_ID},
    {"subtype": "message_changed"},
    {"subtype": "channel_join"},
    {"subtype": "bot_message", "bot_id": "B2"},
    {"user": BOT_USER},
])
async def test_bot_messages_edits_and_joins_are_ignored(slack, extra):
    resp = await slack.dm("what do I need for SW3B?", **extra)
    assert resp.status == 200
    await asyncio.sleep(0.3)
    await slack.mock.settle()
    assert not slack.mock.calls_to("chat.postMessage")


async def test_channel_messages_without_a_mention_are_ignored(slack):
    ts = f"{time.time():.6f}"
    await slack.event({"type": "message", "channel_type": "channel", "channel": "C2002", "user": USER,
                       "text": "what do I need for SW3B?", "ts": ts})
    await asyncio.sleep(0.3)
    await slack.mock.settle()
    assert not slack.mock.calls_to("chat.postMessage")


# -- security and robustness -------------------------------------------------------------------------------------

async def test_forged_signature_is_refused_and_nothing_happens(slack, caplog):
    body = slack.event_body({"type": "message", "channel_type": "im", "channel": "D1001", "user": USER,
                             "text": "help", "ts": "1.0"})
    with caplog.at_level(logging.WARNING, logger="bot.channels.slack"):
        resp = await slack.post(body, "application/json", secret="not-the-secret")
    assert resp.status == 401
    assert any("invalid_signature" in r.getMessage() for r in caplog.records)
    resp = await slack.post(body, "application/json", signed=False)
    assert resp.status == 401
    await asyncio.sleep(0.3)
    assert not slack.mock.calls_to("chat.postMessage", "users.info")


async def test_stale_timestamp_is_refused(slack):
    body = slack.event_body({"type": "message", "channel_type": "im", "channel": "D1001", "user": USER,
                             "text": "help", "ts": "1.0"})
    resp = await slack.post(body, "application/json", timestamp=int(time.time()) - 6 * 60)
    assert resp.status == 401
    await asyncio.sleep(0.3)
    assert not slack.mock.calls_to("chat.postMessage")


async def test_a_replayed_event_id_gets_one_reply(slack):
    for _ in range(3):
        resp = await slack.dm("what is SW4?", event_id="EvREPLAY1")
        assert resp.status == 200
    await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    await asyncio.sleep(0.3)
    await slack.mock.settle()
    assert len(slack.mock.calls_to("chat.postMessage")) == 1


async def test_slack_retries_are_acknowledged_and_dropped(slack):
    resp = await slack.dm("what is SW4?", event_id="EvRETRY1")
    assert resp.status == 200
    for n in (1, 2):
        resp = await slack.dm("what is SW4?", event_id="EvRETRY1",
                              headers={"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"})
        assert resp.status == 200 and resp.headers.get("X-Slack-No-Retry") == "1"
    await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    await asyncio.sleep(0.3)
    await slack.mock.settle()
    assert len(slack.mock.calls_to("chat.postMessage")) == 1


async def test_the_router_catches_replays_the_process_has_forgotten(slack):
    """Another replica, or a restart, has not seen the event: the store's event-id record still has."""
    await slack.dm("what is SW4?", event_id="EvSTORE1")
    await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    from bot.channels.slack import SLACK_CHANNEL_KEY, _Recent

    slack.client.app[SLACK_CHANNEL_KEY]._seen_events = _Recent(10)
    resp = await slack.dm("what is SW4?", event_id="EvSTORE1", headers={"X-Slack-Retry-Num": "1"})
    assert resp.status == 200
    await asyncio.sleep(0.3)
    await slack.mock.settle()
    assert len(slack.mock.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("body, content_type, status", [
    (b"{not json", "application/json", 400),
    (b"[1, 2, 3]", "application/json", 400),
    (b"%%%zz&&==", "application/x-www-form-urlencoded", 400),
    (b"just words", "application/x-www-form-urlencoded", 400),
    (urlencode({"payload": "{bad json"}).encode(), "application/x-www-form-urlencoded", 400),
    (urlencode({"payload": "[]"}).encode(), "application/x-www-form-urlencoded", 400),
    (b"\xff\xfe\xfd", "application/json", 400),
    (b'{"type": "event_callback"}', "text/plain", 415),
    (b'{"type": "event_callback"}', "application/xml", 415),
    (b"", "application/json", 400),
])
async def test_malformed_bodies_get_a_4xx(slack, caplog, body, content_type, status):
    with caplog.at_level(logging.WARNING, logger="bot.channels.slack"):
        resp = await slack.post(body, content_type)
    assert resp.status == status
    assert any(r.name == "bot.channels.slack" for r in caplog.records)


async def test_an_odd_but_signed_event_is_not_a_500(slack):
    for odd in ({"type": "event_callback", "event": "not a dict"},
                {"type": "event_callback", "event": {"type": "message"}},
                {"type": "something_else"},
                {"type": "block_actions"}):
        resp = await slack.post(json.dumps(odd).encode(), "application/json")
        assert 200 <= resp.status < 500, (odd, resp.status)
    resp = await slack.interaction({"type": "block_actions", "user": {"id": USER}, "actions": []})
    assert resp.status < 500


async def test_oversized_body_gets_413(slack):
    body = b'{"type": "event_callback", "x": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    resp = await slack.post(body, "application/json")
    assert resp.status == 413


async def test_oversized_chunked_body_gets_413(slack):
    """No Content-Length to go by: the limit applies while reading."""
    async def chunks():
        for _ in range(20):
            yield b"a" * 65536

    headers = {"Content-Type": "application/json", **sign(b"whatever")}
    resp = await slack.client.post("/slack/events", data=chunks(), headers=headers)
    assert resp.status == 413


async def test_missing_headers_get_401(slack):
    body = slack.event_body({"type": "app_home_opened", "user": USER, "tab": "home"})
    resp = await slack.client.post("/slack/events", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 401


async def test_url_verification(slack):
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}).encode()
    resp = await slack.post(body, "application/json")
    assert resp.status == 200 and (await resp.json())["challenge"] == "abc123"


async def test_a_crash_in_the_core_gets_a_polite_message(slack, monkeypatch):
    def boom(incoming):
        raise RuntimeError("the core fell over")

    monkeypatch.setattr(slack.services.router, "handle", boom)
    await slack.dm("what do I need for SW3B?")
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert "Sorry, something went wrong" in call.all_text
    resp, key = await slack.command("what is SW4?")
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("response_url"))
    assert "Sorry, something went wrong" in call.all_text


async def test_slow_slack_does_not_delay_the_ack(slack):
    """auth.test is asked once, with a short time limit: a slow Slack API never costs the 3-second ack."""
    slack.mock.delay = 4.0
    started = time.monotonic()
    resp, _ = await slack.command("help")
    assert resp.status == 200 and time.monotonic() - started < 3.0
    slack.mock.delay = 0.0


async def test_rate_limited_reply_is_retried_after_retry_after(slack):
    slack.mock.rate_limit("chat.postMessage", retry_after=1)
    await slack.dm("what is SW4?")
    calls = await slack.mock.wait_for(lambda: [c for c in slack.mock.calls_to("chat.postMessage")
                                               if c.status == 200], timeout=8)
    attempts = slack.mock.calls_to("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.9
    assert len(calls) == 1


async def test_a_timestamp_that_is_not_a_number_gets_401(slack):
    body = slack.event_body({"type": "app_home_opened", "user": USER, "tab": "home"})
    resp = await slack.client.post("/slack/events", data=body, headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=abc"})
    assert resp.status == 401


async def test_home_button_starts_a_self_assessment_in_the_dm(slack):
    slack.services.store.upsert_person(Person(id="slack:" + USER, display_name="Pat", slack_user_id=USER,
                                              level_code="SW2B", level_since=date(2024, 3, 1)))
    await slack.event({"type": "app_home_opened", "user": USER, "channel": "D1001", "tab": "home"})
    [home] = await slack.mock.wait_for(lambda: slack.mock.calls_to("views.publish"))
    start = next(b for b in home.view["blocks"] if b["type"] == "actions")["elements"][0]
    resp = await slack.interaction({"type": "block_actions", "user": {"id": USER}, "trigger_id": "trig.h2",
                                    "container": {"type": "view", "view_id": "VHOME"}, "view": {"id": "VHOME"},
                                    "actions": [{**start, "block_id": "careerhome-actions", "action_ts": "2"}]})
    assert resp.status == 200
    [post] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert post.args["channel"] == "D1001" and "SW2C" in post.all_text and "1 of" in post.all_text
    assert not slack.mock.calls_to("chat.update")  # App Home buttons stay: they can be used again


async def test_too_many_waiting_answers_get_a_polite_busy_reply(slack, monkeypatch):
    import bot.channels.slack as slack_module

    monkeypatch.setattr(slack_module, "MAX_PENDING_TURNS", 0)
    await slack.dm("what is SW4?")
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert "very busy" in call.all_text


async def test_a_dm_in_a_thread_and_a_file_share_are_answered(slack):
    await slack.dm("what is SW4?", thread_ts="1700000000.000200")
    [call] = await slack.mock.wait_for(lambda: slack.mock.calls_to("chat.postMessage"))
    assert call.args["thread_ts"] == "1700000000.000200"
    await slack.dm("what is SW4?", subtype="file_share")
    await slack.mock.wait_for(lambda: len(slack.mock.calls_to("chat.postMessage")) == 2)
