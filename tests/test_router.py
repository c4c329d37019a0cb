"""Whole conversations through the real router, store and dialogs, on a fake channel (no platform at all)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.app import build_services
from bot.config import load_settings
from bot.conversation import Incoming
from bot.storage.base import Person, StoreError

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
KEY = "test:dm-u1:u1"  # FakeChannel's conversation key (channel:conversation:user)


@pytest.fixture
def services(tmp_path):
    settings = load_settings({"CAREERBOT_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/t.db"})
    s = build_services(settings, clock=lambda: NOW)
    yield s
    s.close()


class FakeChannel:
    """A chat platform in a list: say() a message, get the replies' plain text."""

    def __init__(self, services, user="u1", channel="test"):
        self.services, self.user, self.channel = services, user, channel
        self.last = []
        self.n = 0

    def say(self, text="", value=None, event_id=None):
        self.n += 1
        msg = Incoming(channel=self.channel, user_id=self.user, conversation_id=f"dm-{self.user}", text=text,
                       value=value, display_name=self.user.title(), event_id=event_id)
        self.last = self.services.router.handle(msg)
        return "\n".join(r.plain_text() for r in self.last)

    def press(self, label):
        for reply in self.last:
            for choice in reply.choices:
                if choice.label.lower().startswith(label.lower()):
                    return self.say(value=choice.value)
        raise AssertionError(f"no button {label!r} in {[c.label for r in self.last for c in r.choices]}")


def test_question_is_answered_with_citation(services):
    chat = FakeChannel(services)
    text = chat.say("what evidence for SW3C?")
    assert "Evidence for SW3C" in text and "document 003" in text


def test_set_level_with_confirmation_then_personal_milestone(services):
    chat = FakeChannel(services)
    assert "Set your level to SW2B since 1 March 2025?" in chat.say("I'm SW2B since March 2025")
    assert services.store.get_person("u1").level_code is None  # nothing changes before the confirmation
    chat.press("Yes")
    person = services.store.get_person("u1")
    assert (person.level_code, person.level_since) == ("SW2B", date(2025, 3, 1))
    text = chat.say("when am I eligible?")
    assert "1 September 2025" in text and "SW2C" in text


def test_unknown_level_is_refused_clearly(services):
    chat = FakeChannel(services)
    text = chat.say("my level is SW7 since 2024-01-01")
    assert "SW7" in text and "SW2A" in text
    assert services.store.get_person("u1").level_code is None


def test_future_start_date_is_refused(services):
    chat = FakeChannel(services)
    assert "future" in chat.say("I'm SW3A since 1 January 2030")


def test_snooze_opt_out_and_back_in(services):
    chat = FakeChannel(services)
    assert "snoozed until 5 January 2027" in chat.say("snooze until 5 January")
    assert services.store.get_person("u1").prefs.snoozed_until == date(2027, 1, 5)
    assert "won't get any more reminders" in chat.say("stop reminders")
    assert services.store.get_person("u1").prefs.opted_out is True
    assert "Reminders are on" in chat.say("start reminders")
    prefs = services.store.get_person("u1").prefs
    assert prefs.opted_out is False and prefs.snoozed_until is None


@pytest.mark.parametrize("said, until", [
    ("remind me in 2 weeks", date(2026, 12, 9)), ("remind me next month", date(2026, 12, 25)),
    ("remind me on 5 January", date(2027, 1, 5)), ("pause reminders for a month", date(2026, 12, 25)),
    ("snooze my reminders for 3 days", date(2026, 11, 28)), ("Remind me later next week", date(2026, 12, 2)),
    # after a reminder: "it" is the reminder; a word of thanks or "not now" first
    ("remind me about it next week", date(2026, 12, 2)), ("not now, remind me in 2 weeks", date(2026, 12, 9)),
    ("can you remind me about this on 5 January", date(2027, 1, 5)), ("thanks, snooze for 3 days", date(2026, 11, 28)),
])
def test_snooze_in_everyday_words(services, said, until):
    chat = FakeChannel(services)
    assert "snoozed until" in chat.say(said)
    prefs = services.store.get_person("u1").prefs
    assert prefs.snoozed_until == until and prefs.opted_out is False


@pytest.mark.parametrize("said", ["turn reminders back on", "reminders on", "enable reminders",
                                  "switch my reminders on", "unpause reminders"])
def test_reminders_back_on_in_everyday_words(services, said):
    chat = FakeChannel(services)
    chat.say("stop reminders")
    assert "Reminders are on" in chat.say(said)
    assert services.store.get_person("u1").prefs.opted_out is False


@pytest.mark.parametrize("said", ["pause reminders", "mute reminders", "pause my notifications"])
def test_pausing_reminders_asks_until_when_rather_than_stopping_them(services, said):
    chat = FakeChannel(services)
    assert chat.say(said).startswith("Until when shall I snooze your reminders?")
    assert services.store.get_person("u1").prefs.opted_out is False


@pytest.mark.parametrize(("asked", "said", "until"), [
    ("pause reminders", "till the new year", date(2027, 1, 1)), ("pause reminders", "2 weeks", date(2026, 12, 9)),
    ("remind me later", "monday", date(2026, 11, 30)), ("mute reminders", "make it 5 jan", date(2027, 1, 5)),
])
def test_a_typed_answer_to_until_when_snoozes(services, asked, said, until):
    chat = FakeChannel(services)
    assert chat.say(asked).startswith("Until when shall I snooze your reminders?")
    assert "snoozed until" in chat.say(said)
    assert services.store.get_person("u1").prefs.snoozed_until == until


def test_until_when_is_answered_once_and_questions_stay_questions(services):
    chat = FakeChannel(services)
    chat.say("pause reminders")
    assert "What the framework asks for SW2B" in chat.say("SW2B")  # a level is not a date
    assert "snoozed" not in chat.say("2 weeks")  # the question was answered by something else: no longer open
    chat.say("pause reminders")
    assert chat.say("yesterday").startswith("Until when shall I snooze your reminders?")  # passed: asked again
    assert "snoozed until 9 December 2026" in chat.say("in 2 weeks")
    chat.say("resume reminders")
    chat.say("pause reminders")
    assert "SW3B" in chat.say("what do I need for SW3B?")
    assert services.store.get_person("u1").prefs.snoozed_until is None


@pytest.mark.parametrize(("said", "why"), [
    ("snooze until yesterday", "24 November 2026 has already passed."),
    ("snooze until 5 January 2025", "5 January 2025 has already passed."),
    ("snooze until 30 February", "There is no such date."),
])
def test_a_snooze_date_that_cannot_be_used_says_why(services, said, why):
    text = FakeChannel(services).say(said)
    assert text.startswith("Until when shall I snooze your reminders?") and why in text


def test_snoozing_while_reminders_are_off_says_they_are_off_and_snoozed_offers_resume(services):
    chat = FakeChannel(services)
    chat.say("stop reminders")
    assert chat.say("snooze for a week").startswith("Your reminders are off, so there is nothing to snooze.")
    assert services.store.get_person("u1").prefs.snoozed_until is None
    chat.say("start reminders")
    chat.say("snooze for a week")
    text = chat.say("my reminders")
    assert "Resume reminders now" in text and "Snooze for 2 weeks" not in text
    chat.press("Resume reminders now")
    assert services.store.get_person("u1").prefs.snoozed_until is None


def test_no_reminder_planned_gives_the_true_reason(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2B since March 2025")
    chat.press("Yes")
    text = chat.say("my reminders")
    assert "You have had the time in level for SW2C since 1 September 2025; reminders about it stop 6 months" in text
    assert "no further time-in-level milestone" not in text


def test_remind_me_later_asks_until_when_and_questions_are_not_snoozes(services):
    chat = FakeChannel(services)
    assert "Until when" in chat.say("remind me later")
    chat.press("1 week")
    assert services.store.get_person("u1").prefs.snoozed_until == date(2026, 12, 2)
    assert "SW3B" in chat.say("remind me what I need for SW3B")
    assert "SW3B" in chat.say("remind me about SW3B next week")  # a question about SW3B, not "it"
    assert "SW3B" in chat.say("thanks, remind me what SW3B needs")
    assert services.store.get_person("u1").prefs.snoozed_until == date(2026, 12, 2)  # unchanged


def test_reminder_buttons_work(services):
    chat = FakeChannel(services)
    chat.say(value={"action": "reminders.snooze", "weeks": 2})
    assert services.store.get_person("u1").prefs.snoozed_until == date(2026, 12, 9)
    chat.say(value={"action": "reminders.stop"})
    assert services.store.get_person("u1").prefs.opted_out


def test_manager_sees_own_reports_only(services):
    store = services.store
    store.upsert_people([
        Person(id="boss", display_name="Boss"), Person(id="other", display_name="Other boss"),
        Person(id="amy", display_name="Amy", level_code="SW2A", level_since=date(2024, 1, 31), manager_id="boss"),
        Person(id="ben", display_name="Ben", level_code="SW3B", level_since=date(2025, 6, 1), manager_id="other"),
    ])
    boss = FakeChannel(services, user="boss")
    text = boss.say("show my team")
    assert "Amy" in text and "Ben" not in text
    assert "31 January 2026" in text  # 24 months after 31 January 2024
    assert boss.press("About Amy").startswith("Amy")  # a step further: one person, what they shared
    # a forged button for someone else's report shows nothing about them
    text = boss.say(value={"action": "report", "person_id": "ben"})
    assert text.startswith("That person is not recorded as one of your reports.") and "SW3B" not in text
    assert "no staff recorded" in FakeChannel(services, user="amy").say("my team")


@pytest.mark.parametrize("said", ["stop reminders for amy", "snooze Amy's reminders for 2 weeks",
                                  "turn off reminders for my team", "pause reminders for her",
                                  "start reminders for Amy"])
def test_a_manager_cannot_change_a_reports_reminders_nor_loses_their_own(services, said):
    store = services.store
    store.upsert_people([
        Person(id="boss", display_name="Sam Boss"),
        Person(id="amy", display_name="Amy Archer", level_code="SW2A", level_since=date(2024, 1, 31),
               manager_id="boss"),
    ])
    boss = FakeChannel(services, user="boss")
    assert boss.say(said).startswith("I can only change your own reminders.")
    for who in ("boss", "amy"):
        prefs = store.get_person(who).prefs
        assert not prefs.opted_out and prefs.snoozed_until is None


@pytest.mark.parametrize("said", ["stop reminders for now", "snooze reminders for a month",
                                  "pause my reminders for 2 weeks"])
def test_ones_own_reminders_said_with_for_are_still_ones_own(services, said):
    FakeChannel(services).say(said)
    prefs = services.store.get_person("u1").prefs
    assert prefs.opted_out or prefs.snoozed_until is not None


def test_replayed_event_is_answered_once(services):
    chat = FakeChannel(services)
    assert chat.say("SW2B skills", event_id="Ev1")
    assert chat.say("SW2B skills", event_id="Ev1") == ""


def test_button_asking_a_question(services):
    chat = FakeChannel(services)
    chat.say("what do I need for SW3B?")
    assert "Evidence for SW3B" in chat.press("Evidence for SW3B")


def test_stale_button_is_answered_politely(services):
    chat = FakeChannel(services)
    text = chat.say(value={"action": "dialog", "dialog_id": "gone", "step": 3, "answer": "met"})
    assert text.strip()


def test_store_down_gives_a_polite_error(services, monkeypatch):
    def down(*a, **k):
        raise StoreError("connection refused")

    monkeypatch.setattr(services.store, "remember_event", down)
    monkeypatch.setattr(services.store, "find_person", down)
    monkeypatch.setattr(services.store, "get_person", down)
    text = FakeChannel(services).say("SW2B skills", event_id="x")
    assert "can't reach my records" in text


def test_context_from_the_persons_level(services):
    services.store.upsert_person(Person(id="u1", level_code="SW3A", level_since=date(2025, 1, 15)))
    text = FakeChannel(services).say("what evidence do I need for the next level?")
    assert "Evidence for SW3B" in text


def test_console_chat_resumes_in_a_new_process(tmp_path):
    env = {"CAREERBOT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def chat(lines):
        return subprocess.run([sys.executable, "-m", "bot", "chat", "--user", "sam"], input="\n".join(lines) + "\n",
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=True).stdout

    first = chat(["self-assessment for SW3B", "met", "skip"])
    assert "1 of" in first and "2 of" in first
    second = chat(["resume"])
    assert "2 of" in second or "picking up" in second.lower()


def test_dialogs_are_counted_in_the_metrics(services):
    from bot import metrics

    def started():
        return metrics.REGISTRY.get_sample_value("careerbot_dialogs_total",
                                                 {"dialog": "self_assessment", "event": "started"}) or 0

    before = started()
    FakeChannel(services, user="m1").say("self-assessment for SW3B")
    assert started() == before + 1


def test_sco_levels_as_staff_type_them_work_end_to_end(services):
    """'SCO 4B' is how the SCO table writes its levels: stored, read back by the dialogs, assessed."""
    chat = FakeChannel(services, user="sc")
    assert "Set your level to SCO 4B since 1 March 2025?" in chat.say("I'm SCO 4B since March 2025")
    chat.press("Yes")
    assert services.store.get_person("sc").level_code == "SCO 4B"
    assert chat.say("assess me").startswith("Which table for SCO 4C (Accomplished)?")
    text = chat.press("Standard table")
    assert "Self-assessment for SCO 4C" in text and "1 of" in text


@pytest.mark.parametrize("asked", ["how do I prepare for supervision?", "what should I bring to supervision",
                                   "what do I take to my supervision?"])
def test_asking_how_to_prepare_for_supervision_offers_the_check_in_and_the_assessment(services, asked):
    if services.dialogs is None:
        pytest.skip("the dialogs package is not installed")
    chat = FakeChannel(services)
    text = chat.say(asked)
    assert "get ready for supervision" in text and "check-in" in text
    assert "1 of" in chat.press("Prepare for supervision")  # the check-in starts


def test_supervising_others_is_still_a_framework_question(services):
    chat = FakeChannel(services)
    assert "get ready for supervision" not in chat.say("do I need to take a course in supervision for SW3A?")


def test_a_question_typed_instead_of_yes_or_no_is_answered_and_the_confirmation_dropped(services):
    chat = FakeChannel(services)
    assert "Set your level to SW2B" in chat.say("I'm SW2B since June 2024")
    text = chat.say("what evidence for SW3C?")
    assert "Evidence for SW3C" in text and "didn't catch" not in text
    assert services.store.load_dialog(KEY)[0] is None  # the question was dropped, not kept waiting
    chat.say("yes")  # a late "yes" no longer confirms anything
    assert services.store.get_person("u1").level_code is None
    # An answer it does not understand that is not a request still gets the hint.
    assert services.store.load_dialog(KEY)[0] is None
    chat.say("I'm SW2B since June 2024")
    assert services.store.load_dialog(KEY)[0] is not None
    assert "didn't catch" in chat.say("hmm")


def test_a_question_in_the_middle_of_a_self_assessment_is_answered_and_the_assessment_waits(services):
    chat = FakeChannel(services)
    first = chat.say("self-assessment for SW3B")
    assert "1 of" in first
    state_before, version_before = services.store.load_dialog(KEY)
    assert state_before is not None
    text = chat.say("what does AMHP stand for?")
    assert "Approved Mental Health Professional" in text  # the question is answered...
    assert "is still open (question 1 of" in text  # ...and the person is told where they were
    assert services.store.load_dialog(KEY) == (state_before, version_before)  # nothing moved
    assert "1 of" in chat.press("Resume")
    assert "Add a note" in chat.say("met")  # the rating went to question 1, where the person was
    state, _ = services.store.load_dialog(KEY)
    first_uid = state["data"]["items"][0]["uid"]
    assert state["data"]["answers"][first_uid]["rating"] == "met"


@pytest.mark.parametrize(("asked", "says"), [
    ("what do I need for SW5B?", "no SW5 grade"),
    ("SW1A", "no SW1 grade"),
    ("what about SW3D", "no level beyond C"),
])
def test_unknown_levels_say_what_is_wrong_with_them(services, asked, says):
    text = FakeChannel(services).say(asked)
    assert says in text and "SW2A–SW2C" in text


@pytest.mark.parametrize(("said", "reply"), [
    ("thanks", "You're welcome."), ("thank you very much!", "You're welcome."), ("ok thanks, bye", "You're welcome."),
    ("cheers", "You're welcome."), ("ok thanks", "You're welcome."), ("bye", "Bye for now."),
    ("see you later", "Bye for now."),
])
def test_thanks_and_goodbye_get_a_short_reply_not_the_menu(services, said, reply):
    text = FakeChannel(services).say(said)
    assert text.startswith(reply) and "You can ask, for example" not in text


def test_thanks_inside_a_question_is_still_a_question(services):
    assert "SW3C" in FakeChannel(services).say("thanks for that, and what about SW3C?")


def test_what_level_am_i_is_about_the_person(services):
    chat = FakeChannel(services)
    assert "I don't know your level yet" in chat.say("what level am I?")
    chat.say("I'm SW3A since March 2025")
    chat.press("Yes")
    assert "Your level: SW3A" in chat.say("which grade am I on?")


@pytest.mark.parametrize("said", ["yes", "no", "ok", "Yes please"])
def test_a_yes_or_no_with_nothing_open_gets_a_gentle_reply(services, said):
    text = FakeChannel(services).say(said)
    assert text.startswith("I'm not waiting for an answer just now.")


def test_what_the_next_level_needs_is_its_requirements_not_only_its_timing(services):
    chat = FakeChannel(services)
    chat.say("I'm SCO 4A since January 2025")
    chat.press("Yes")
    text = chat.say("what do I need for my next level?")
    assert text.startswith("What SCO 4B asks for: your next level") and "Level B (Practising) – Knowledge" in text
    assert chat.say("what's next for me?").startswith("After SCO 4A comes SCO 4B")


@pytest.mark.parametrize(("said", "asks"), [
    ("I've been SW2B since last June", "Set your level to SW2B since 1 June 2026?"),
    ("i started sw3a in march", "Set your level to SW3A since 1 March 2026?"),
    ("my start date at SW2B was 01/06/2024", "Set your level to SW2B since 1 June 2024?"),
    ("I moved to SW3B on 3rd Feb 2025", "Set your level to SW3B since 3 February 2025?"),
    ("I got promoted to SW2C in January", "Set your level to SW2C since 1 January 2026?"),
    ("SW2B since March 2025", "Set your level to SW2B since 1 March 2025?"),
    ("I started SCO 4B on 1 December", "Set your level to SCO 4B since 1 December 2025?"),  # not a future date
    ("I started SW2A in 2023", "Since when have you been SW2A?"),  # a year alone: which month?
    ("I became SW3A last year", "Since when have you been SW3A?"),
    ("I was promoted to SW3B last March", "Set your level to SW3B since 1 March 2026?"),
    ("I got promoted to SW3A last month", "Set your level to SW3A since 1 October 2026?"),
    ("I started SW2B 3 months ago", "Set your level to SW2B since 25 August 2026?"),
    ("I've been SW3A for two years", "Set your level to SW3A since 25 November 2024?"),
])
def test_the_ways_people_say_their_level_and_start(services, said, asks):
    assert FakeChannel(services).say(said).startswith(asks)


def test_a_start_without_its_month_asks_for_the_month_then_confirms(services):
    chat = FakeChannel(services)
    text = chat.say("I started SW2A in 2023")
    assert "You said “in 2023”. I need the month too" in text
    assert "I need the month too" in chat.say("sometime in 2023")
    assert chat.say("June 2023").startswith("Set your level to SW2A since 1 June 2023?")
    chat.press("Yes")
    assert services.store.get_person("u1").level_since == date(2023, 6, 1)
    # a date that cannot be read at all is asked for again, not dropped with the level
    assert "I couldn't read “the other day” as a date" in chat.say("I started SW2B on the other day")


@pytest.mark.parametrize(("said", "why"), [
    ("I'm SW2B since 3rd March 2027", "“3rd March 2027” is in the future."),
    ("I'm SW2B since 2030", "“2030” is in the future."),
    ("I'm SW2B since 31/02/2025", "There is no such date as “31/02/2025”."),
    ("I'm SW2B since 29 Feb 2025", "There is no such date as “29 Feb 2025”."),
])
def test_a_start_date_that_cannot_be_used_is_asked_again_with_the_reason_and_the_level_kept(services, said, why):
    chat = FakeChannel(services)
    text = chat.say(said)
    assert text.startswith("Since when have you been SW2B?") and why in text
    assert "is in the future" in chat.say("December 2026")  # said again, still in the future
    assert chat.say("March 2025").startswith("Set your level to SW2B since 1 March 2025?")


def test_a_start_that_is_not_a_level_is_not_taken_for_one(services):
    chat = FakeChannel(services)
    assert "Set your level" not in chat.say("I started a new course in March")
    assert services.store.load_dialog(KEY)[0] is None


def test_a_level_without_a_date_asks_since_when_then_confirms(services):
    chat = FakeChannel(services)
    assert chat.say("I'm SW2B").startswith("Since when have you been SW2B?")
    assert "didn't catch" in chat.say("next year")
    assert chat.say("last June").startswith("Set your level to SW2B since 1 June 2026?")
    chat.press("Yes")
    person = services.store.get_person("u1")
    assert (person.level_code, person.level_since) == ("SW2B", date(2026, 6, 1))
    # A question instead of the date: answered, and the level is left alone
    assert chat.say("my level is SCO 4A").startswith("Since when have you been SCO 4A?")
    assert "Approved Mental Health Professional" in chat.say("what does AMHP stand for?")
    assert services.store.get_person("u1").level_code == "SW2B"


@pytest.mark.parametrize(("said", "code"), [
    ("sorry i should say im sw2c", "SW2C"), ("oh and im sw2b btw", "SW2B"), ("actually im sw3a", "SW3A"),
    ("btw i'm SCO 4B", "SCO 4B"), ("and I'm on SW2A too", "SW2A"), ("to be clear, I am SW3C", "SW3C"),
])
def test_a_level_said_by_the_way_asks_since_when(services, said, code):
    assert FakeChannel(services).say(said).startswith(f"Since when have you been {code}?")


@pytest.mark.parametrize(("said", "answer"), [
    ("i mean what does sw2c need", "What the framework asks for SW2C"),
    ("and what about sw2c", "What the framework asks for SW2C"),
    ("also what is a BIA", "BIA: Best Interest Assessor"),
])
def test_a_question_after_a_lead_in_is_still_a_question(services, said, answer):
    chat = FakeChannel(services)
    assert chat.say(said).startswith(answer)
    assert services.store.load_dialog(KEY)[0] is None


@pytest.mark.parametrize("said", ["skip", "not sure", "cancel", "resume", "stop", "back"])
def test_a_dialog_word_with_no_dialog_open_says_nothing_is_in_progress(services, said):
    chat = FakeChannel(services)
    assert chat.say(said).startswith("There's nothing in progress just now.")
    assert not services.store.get_person("u1").prefs.opted_out  # "stop" alone does not turn reminders off


def test_dialog_words_still_work_inside_a_dialog(services):
    chat = FakeChannel(services)
    chat.say("self-assessment for SW3B")
    assert "2 of" in chat.say("skip")


@pytest.mark.parametrize("asked", [
    "is this confidential?", "who can see my answers?", "can my manager see my self-assessment?",
    "how do I delete my data", "will my answers be shared?",
])
def test_privacy_questions_are_answered_and_start_nothing(services, asked):
    chat = FakeChannel(services)
    assert chat.say(asked).startswith("Your self-assessments and check-ins are private to you.")
    assert services.store.load_dialog(KEY)[0] is None
    assert [c.label for c in chat.last[0].choices] == ["Export my data", "Delete my data"]


@pytest.mark.parametrize("asked", ["what can I ask you", "how does this work", "are you a bot?"])
def test_questions_about_the_bot_itself_get_the_help(services, asked):
    assert FakeChannel(services).say(asked).startswith("Hello! I answer questions about the career progression")


def test_an_assessment_is_not_started_in_a_channel(services):
    msg = Incoming(channel="test", user_id="u1", conversation_id="C1:t1", text="assess me", is_direct=False)
    [reply] = services.router.handle(msg)
    assert reply.title == "A self-assessment is for a private chat with me, not a channel."
    assert services.store.load_dialog(msg.conversation_key)[0] is None


def test_a_manager_asks_about_one_report_by_name_and_only_their_own(services):
    services.store.upsert_people([
        Person(id="boss", display_name="Boss"), Person(id="other", display_name="Other boss"),
        Person(id="amy", display_name="Amy Archer", level_code="SW2A", level_since=date(2024, 1, 31),
               manager_id="boss"),
        Person(id="ben", display_name="Ben Brook", level_code="SW3B", level_since=date(2025, 6, 1), manager_id="other"),
    ])
    boss = FakeChannel(services, user="boss")
    text = boss.say("when is Amy eligible?")
    assert text.startswith("Amy Archer\n") and "31 January 2026" in text
    text = boss.say("when is Ben eligible?")  # not the boss's report: nothing about him
    assert text.startswith("I can't tell you about Ben.") and "Brook" not in text and "SW3B" not in text
    # Amy has had the time since January: she needs her evidence too (the time alone is not a promotion)
    text = boss.say("who needs to gather evidence in my team?")
    assert "(1 of 1)" in text and "Amy Archer" in text and "no self-assessment for SW2B shared with you" in text
    text = boss.say("who is ready to progress?")
    assert text.startswith("Who has the time in level for their next level (1 of 1)") and "Amy Archer" in text
    # Someone who manages nobody asking about a colleague learns nothing about them
    assert "Archer" not in FakeChannel(services, user="ben").say("when is Amy eligible?")


@pytest.mark.parametrize("asked", ["what do I still need?", "what else do I need", "what am I missing",
                                   "what's left?", "so what do I need to do now"])
def test_what_do_i_still_need_is_about_the_persons_next_level(services, asked):
    chat = FakeChannel(services)
    assert "I don't know your level yet." in chat.say(asked)
    chat.say("I'm SW2B since March 2025")
    chat.press("Yes")
    text = chat.say(asked)
    assert text.startswith("What SW2C asks for: your next level")
    assert "You haven't done a self-assessment for SW2C yet" in text
    assert "Expert in the application of relevant theoretical frameworks" in text  # the level's own criteria
    assert "For you" in text and "document 001" in text
    assert [c.label for c in chat.last[0].choices][0] == "Self-assessment for SW2C"


def test_what_do_i_still_need_after_a_self_assessment_lists_its_gaps(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2B since March 2025")
    chat.press("Yes")
    _complete_assessment(chat, "SW2C")
    record = services.store.list_records("u1", "assessment")[0]["data"]
    gaps = [i["text"] for i in record["items"] if i["rating"] == "not_yet"]
    assert gaps
    text = chat.say("what do I still need?")
    assert text.startswith("What you still need for SW2C, from your self-assessment")
    assert "From your self-assessment on 25 November 2026" in text
    assert f"Not yet: {gaps[0]}" in text
    assert f"Met {record['counts']['met']}" in text


def test_what_do_i_still_need_at_the_top_level_says_there_is_no_next_level(services):
    chat = FakeChannel(services)
    chat.say("I'm SW4C since March 2024")
    chat.press("Yes")
    text = chat.say("what else do I need?")
    assert text.startswith("Your level: SW4C") and "What SW" not in text.splitlines()[0]


def _complete_assessment(chat: FakeChannel, code: str) -> None:
    text = chat.say(f"self-assessment for {code}")
    ratings = iter(["met", "not yet"] * 100)
    for _ in range(200):
        if f"Your self-assessment for {code}" in text:
            return
        text = chat.say("skip" if "Add a note" in text else next(ratings))
    raise AssertionError("the self-assessment never finished")


@pytest.mark.parametrize("said", ["please don't share with my manager", "never share with my manager",
                                  "I don't want to share my self-assessment", "stop sharing", "unshare",
                                  "can I stop sharing?", "I don't want my manager to see my self-assessment",
                                  "hide my self-assessment from my manager", "withdraw my self-assessment"])
def test_saying_not_to_share_never_shares_and_makes_shared_records_private(services, said):
    services.store.upsert_people([Person(id="boss", display_name="Boss"),
                                  Person(id="amy", display_name="Amy Archer", manager_id="boss")])
    amy = FakeChannel(services, user="amy")
    _complete_assessment(amy, "SW2C")
    assert amy.say(said).startswith("Nothing is shared with your manager.")
    assert not services.store.list_records("amy")[0]["shared"]
    amy.say("share with my manager")
    assert services.store.list_records("amy")[0]["shared"]
    assert amy.say(said).startswith("Done: nothing is shared with your manager now.")
    assert not services.store.list_records("amy")[0]["shared"]
    assert services.store.load_dialog("test:dm-amy:amy") == (None, 0)  # and no self-assessment was started


@pytest.mark.parametrize("asked", ["when is Raj eligible?", "is Zed eligible?", "has Raj done a self-assessment?",
                                   "what does Raj need?", "Raj's self-assessment"])
def test_asking_about_someone_who_is_not_a_report_never_answers_with_ones_own_record(services, asked):
    services.store.upsert_people([
        Person(id="boss", display_name="Boss Person"),
        Person(id="amy", display_name="Amy Archer", level_code="SW2B", level_since=date(2025, 6, 1),
               manager_id="boss"),
        Person(id="raj", display_name="Raj Rao", level_code="SW3A", level_since=date(2025, 1, 1), manager_id="x"),
    ])
    for user in ("amy", "boss"):  # a colleague, and a manager Raj does not report to: the same words
        text = FakeChannel(services, user=user).say(asked)
        assert text.startswith(f"I can't tell you about {'Zed' if 'Zed' in asked else 'Raj'}.")
        assert "Rao" not in text and "1 June 2025" not in text and "1 January 2025" not in text
    assert FakeChannel(services, user="amy").say("when is SW2B eligible?").startswith("At least 24 months")


@pytest.mark.parametrize("said", ["should I share my self-assessment with my manager?",
                                  "how do I share with my manager?", "what happens if I share with my manager?",
                                  "is it a good idea to share with my manager?",
                                  "I don't share an office with my manager, does that matter?",
                                  "stop sharing my screen"])
def test_questions_and_remarks_about_sharing_change_nothing(services, said):
    services.store.upsert_people([Person(id="boss", display_name="Boss"),
                                  Person(id="amy", display_name="Amy Archer", manager_id="boss")])
    amy = FakeChannel(services, user="amy")
    _complete_assessment(amy, "SW2C")
    amy.say(said)
    assert not services.store.list_records("amy")[0]["shared"]
    amy.say("share with my manager")
    amy.say(said)
    assert services.store.list_records("amy")[0]["shared"]
    assert services.store.load_dialog("test:dm-amy:amy") == (None, 0)


def test_a_check_in_note_asked_for_with_only_a_self_assessment_says_so(services):
    amy = FakeChannel(services, user="amy")
    _complete_assessment(amy, "SW2C")
    assert amy.say("download my check-in note").startswith("You haven't done a check-in yet.")
    assert [c.label for c in amy.last[0].choices] == ["Prepare for supervision", "Download supervision pack"]


@pytest.mark.parametrize("asked", ["has Amy done a self-assessment?", "what does Amy need?", "how is Amy doing",
                                   "Amy's self-assessment"])
def test_a_manager_asking_about_a_report_sees_only_what_the_report_shared(services, asked):
    services.store.upsert_people([
        Person(id="boss", display_name="Boss"),
        Person(id="amy", display_name="Amy Archer", level_code="SW2B", level_since=date(2025, 6, 1),
               manager_id="boss"),
        Person(id="ben", display_name="Ben Brook", level_code="SW3B", level_since=date(2025, 6, 1), manager_id="x"),
    ])
    amy, boss = FakeChannel(services, user="amy"), FakeChannel(services, user="boss")
    _complete_assessment(amy, "SW2C")
    text = boss.say(asked)
    assert text.startswith("Amy Archer\n") and "SW2B since 1 June 2025" in text
    assert "Amy hasn't shared a self-assessment or check-in with you" in text  # done, but private: not hinted
    assert services.store.load_dialog("test:dm-boss:boss") == (None, 0)  # nothing started for the manager
    assert [c.label for c in boss.last[0].choices] == ["What SW2C needs", "Evidence for SW2C"]
    amy.say("share with my manager")
    text = boss.say(asked)
    assert "Shared with you by Amy" in text and "Self-assessment for SW2C on 25 November 2026: Met" in text
    assert "Gaps in the self-assessment for SW2C of 25 November 2026" in text and "Not yet: " in text
    assert "Not yet: " in boss.say("what should I focus on in amy's supervision?")  # the same view
    boss.press("Open the latest")
    assert boss.last[0].attachments  # the pack, through the same checks as the shared message's button
    # shown in chat as headings and bullets, not as Markdown typed out; the manager's button is about Amy
    shown = [x for b in boss.last[0].blocks for x in (b.title or "", b.text or "", *b.bullets, *b.notes)]
    assert not any(x.lstrip().startswith("#") or "**" in x for x in shown)
    assert "Name: Amy Archer" in shown and "Criteria and ratings" in shown
    assert [c.label for c in boss.last[0].choices] == ["About Amy Archer"]
    boss.press("About Amy Archer")
    assert boss.last[0].title == "Amy Archer"
    text = boss.say("has Ben done a self-assessment?")  # not the boss's report
    assert text.startswith("I can't tell you about Ben.") and "Brook" not in text


def test_have_i_done_a_self_assessment_lists_the_persons_own(services):
    chat = FakeChannel(services)
    assert chat.say("have I done a self-assessment?").startswith(
        "You haven't completed a self-assessment or check-in yet.")
    assert services.store.load_dialog(KEY) == (None, 0)  # a question about one starts none
    chat.say("I'm SW2B since March 2025")
    chat.press("Yes")
    _complete_assessment(chat, "SW2C")
    text = chat.say("my last self-assessment")
    assert text.startswith("Your saved self-assessments and check-ins")
    assert "Self-assessment for SW2C, 25 November 2026: Met" in text and "(private)" in text
    assert [c.label for c in chat.last[0].choices] == ["Share with my manager", "Download supervision pack"]


def test_a_follow_up_leans_on_the_answer_just_given(services):
    chat = FakeChannel(services)
    assert chat.say("evidence for SW3B").startswith("Evidence for SW3B")
    assert chat.say("what about C?").startswith("Evidence for SW3C")  # same role and topic, level C
    assert chat.say("and the qualifications?").startswith("Qualifications: Senior Social Worker, SW3C")
    assert chat.say("what about SW2B?").startswith("Qualifications: Social Worker, SW2B")  # same topic, new level
    assert chat.say("B").startswith("Qualifications: Social Worker, SW2B")
    # another conversation has no answer to lean on: a lone letter is a level of some role, so which?
    other = FakeChannel(services, user="u2")
    assert other.say("what about C?").startswith("Which role do you mean?")
    assert "Senior Social Worker SW3C" in [c.label for c in other.last[0].choices]


def test_a_follow_up_does_not_lean_on_an_old_answer(services, monkeypatch):
    import bot.router as router_module

    chat = FakeChannel(services)
    chat.say("evidence for SW3B")
    monkeypatch.setattr(router_module, "FOLLOW_UP_SECONDS", -1)  # as if the answer were long ago
    assert chat.say("what about C?").startswith("Which role do you mean?")  # not SW3C from the old answer


def test_a_new_starter_is_welcomed_with_first_steps(services):
    chat = FakeChannel(services)
    text = chat.say("I've just started, what now?")
    assert text.startswith("Welcome! Here's how I can help you get started.")
    assert [c.label for c in chat.last[0].choices] == ["What SW2A needs", "What SCO 4A needs", "All roles and levels"]
    chat.say("I'm SW2A since September 2026")
    chat.press("Yes")
    assert chat.say("I'm new here, where do I start?").startswith("Welcome! Your level: SW2A")


@pytest.mark.parametrize("said, starts", [
    ("i just qualified in july", "Welcome! Here's how I can help you get started."),
    ("I just qualified last month", "Welcome! Here's how I can help you get started."),
    ("I've only just qualified", "Welcome! Here's how I can help you get started."),
])
def test_having_just_qualified_is_about_starting_at_sw2a(services, said, starts):
    # "i just qualified in july" was searched as free text and answered with senior and manager experience
    text = FakeChannel(services).say(said)
    assert text.startswith(starts) and "SW2A" in text and "PO3" not in text


def test_a_start_at_a_named_level_is_not_a_welcome(services):
    assert "Welcome" not in FakeChannel(services).say("I just started SW2B")


def test_asking_about_the_supervision_pack_says_what_it_holds(services):
    text = FakeChannel(services).say("what's in my supervision pack?")
    assert "A supervision pack is made from a finished self-assessment" in text
    assert "You don't have a finished self-assessment or check-in to put in a pack yet." in text


def test_a_cached_answer_never_hides_a_follow_up(services):
    first, second = FakeChannel(services, user="u1"), FakeChannel(services, user="u2")
    assert first.say("what about C?").startswith("Which role do you mean?")  # nothing to lean on: cached as such
    second.say("evidence for SW3B")
    assert second.say("what about C?").startswith("Evidence for SW3C")  # not the cached reply above
    assert first.say("evidence for SW3B") == second.say("evidence for SW3B")  # plain questions share the cache


def test_my_reminders_says_what_will_be_sent_when_and_how_to_stop(services):
    chat = FakeChannel(services)
    assert "I don't know your level yet, so there are no milestone reminders" in chat.say("when's my next reminder?")
    chat.say("I'm SW3A since 1 September 2026")
    chat.press("Yes")
    text = chat.say("what reminders will I get?")
    # SW3A -> SW3B after 12 months: eligible 1 September 2027, heads-up 8 weeks before
    assert "7 July 2027: a heads-up 8 weeks before you have the time in level for SW3B" in text
    assert "1 September 2027: the day you have the time in level for SW3B" in text
    assert "between 9:00 and 17:00 your time (Europe/London), never on bank holidays, and at most 3 a week" in text
    assert [c.label for c in chat.last[0].choices] == ["Snooze for 2 weeks", "Stop reminders"]
    chat.say("stop reminding me")
    assert services.store.get_person("u1").prefs.opted_out
    text = chat.say("my reminders")
    assert "Your reminders are off" in text and "What I would send you" in text
    assert [c.label for c in chat.last[0].choices] == ["Start reminders"]
    chat.press("Start reminders")
    assert not services.store.get_person("u1").prefs.opted_out


@pytest.mark.parametrize("said", ["stop reminding me", "please don't remind me any more", "unsubscribe"])
def test_the_ways_people_say_stop_reminders(services, said):
    FakeChannel(services).say(said)
    assert services.store.get_person("u1").prefs.opted_out


def test_who_is_my_manager_and_change_my_level(services):
    services.store.upsert_people([Person(id="boss", display_name="Sam Boss"),
                                  Person(id="u1", display_name="U1", manager_id="boss")])
    chat = FakeChannel(services)
    assert chat.say("who's my manager?").startswith("Your manager in my records is Sam Boss.")
    assert chat.say("change my level").startswith("Tell me your level and when you started it.")
    assert chat.say("I'm actually SW2C").startswith("Since when have you been SW2C?")


@pytest.mark.parametrize("asked", ["my team", "has Amy done a self-assessment?", "what do I still need?",
                                   "when's my next reminder?", "what level am I?", "have I done a self-assessment?"])
def test_personal_questions_in_a_channel_are_answered_only_in_private(services, asked):
    services.store.upsert_people([
        Person(id="u1", display_name="Boss", level_code="SW2B", level_since=date(2025, 3, 1)),
        Person(id="amy", display_name="Amy Archer", level_code="SW2A", level_since=date(2024, 1, 31),
               manager_id="u1"),
    ])
    chat = FakeChannel(services)
    msg = Incoming(channel="test", user_id="u1", conversation_id="team-channel", text=asked, is_direct=False)
    text = "\n".join(r.plain_text() for r in services.router.handle(msg))
    assert text.startswith("I'll answer that in a private chat.")
    assert "Amy" not in text and "SW2B" not in text and "2025" not in text
    assert "I'll answer that in a private chat." not in chat.say(asked)  # the same question in a DM is answered


def test_a_framework_question_in_a_channel_gets_no_personal_details(services):
    services.store.upsert_people([Person(id="u1", display_name="U1", level_code="SW2B",
                                         level_since=date(2025, 3, 1))])
    msg = Incoming(channel="test", user_id="u1", conversation_id="team-channel", text="how long before SW2C?",
                   is_direct=False)
    text = "\n".join(r.plain_text() for r in services.router.handle(msg))
    assert text.startswith("At least 6-12 months at SW2B before SW2C.") and "For you" not in text
    assert "For you" in FakeChannel(services).say("how long before SW2C?")


@pytest.mark.parametrize("said", ["snooze reminders for 2 weeks", "stop reminders", "reminders on",
                                  "turn my digest off"])
def test_reminder_settings_in_a_channel_are_changed_only_in_private(services, said):
    msg = Incoming(channel="test", user_id="u1", conversation_id="team-channel", text=said, is_direct=False)
    text = "\n".join(r.plain_text() for r in services.router.handle(msg))
    assert text.startswith("I'll change your reminders in a private chat.") and "digest" not in text
    prefs = services.store.get_person("u1").prefs
    assert prefs.snoozed_until is None and prefs.opted_out is False


def test_recording_a_level_in_a_channel_is_kept_for_a_private_chat(services):
    msg = Incoming(channel="test", user_id="u1", conversation_id="team-channel", text="I'm SW2B since March 2025",
                   is_direct=False)
    text = "\n".join(r.plain_text() for r in services.router.handle(msg))
    assert text.startswith("Recording your level is for a private chat with me, not a channel.")
    person = services.store.get_person("u1")
    assert person is None or person.level_code is None


def test_a_start_date_without_a_month_asks_for_the_month(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2C")
    assert "I need the month too" in chat.say("last year")
    assert chat.say("June 2025").startswith("Set your level to SW2C since 1 June 2025?")


def test_a_level_said_again_while_asked_for_the_date_or_the_yes_is_the_one_saved(services):
    chat = FakeChannel(services)
    chat.say("I'm SW3B since last year")
    assert chat.say("I'm SW4B since June 2024").startswith("Set your level to SW4B since 1 June 2024?")
    assert chat.say("actually SW4A since May 2024").startswith("Set your level to SW4A since 1 May 2024?")
    chat.say("yes")
    person = services.store.get_person("u1")
    assert (person.level_code, person.level_since) == ("SW4A", date(2024, 5, 1))
    chat.say("I'm SW2B")
    assert chat.say("no, SW2C").startswith("Since when have you been SW2C?")  # a level alone: since when?
    assert "Set your level" not in chat.say("what does SW3B need?")  # a question is answered, not taken as a level
    assert services.store.get_person("u1").level_code == "SW4A"


def test_the_month_is_asked_for_without_a_reason_that_does_not_apply(services):
    chat = FakeChannel(services)
    chat.say("I'm KR10 since 2023")  # the framework sets no time in level after KR10
    text = chat.say("sometime in 2023")
    assert "I need the month too, to keep the date you started." in text and "next level" not in text
    assert "the month decides when you can go for the next level" in FakeChannel(services, user="u2").say(
        "I'm SW2A since 2023")


def test_no_to_a_level_asks_what_it_should_be(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2B since March 2025")
    assert chat.press("No").startswith("What should it be?")
    assert chat.say("I meant April 2025").startswith("Set your level to SW2B since 1 April 2025?")
    text = chat.press("Yes")
    assert text.startswith("Done: your level is SW2B")
    assert text.count("does not say what decides where in it someone falls") == 1  # the range, said once
    assert "Minimum of 6-12 months experience at Level SW2B" in text
    assert text.count("not a single figure") == 0
    chat.say("I'm SW3A since May 2026")
    chat.press("No")
    assert chat.say("SW2C").startswith("Since when have you been SW2C?")  # a new level: since when?
    assert chat.say("June 2026").startswith("Set your level to SW2C since 1 June 2026?")
    chat.press("No")
    assert chat.press("Leave it as it is").startswith("OK, I haven't changed your level.")
    assert services.store.get_person("u1").level_code == "SW2B"


def test_a_role_without_its_level_asks_which_level_and_keeps_the_date(services):
    chat = FakeChannel(services)
    text = chat.say("I'm a senior social worker since May")
    assert text.startswith("Which level of Senior Social Worker are you?") and "SW3B" in text
    assert chat.press("SW3B").startswith("Set your level to SW3B since 1 May 2026?")


@pytest.mark.parametrize("said", ["speak to a human", "can I talk to a real person", "I want to speak to someone"])
def test_asking_for_a_person_is_answered_honestly(services, said):
    text = FakeChannel(services).say(said)
    assert text.startswith("I'm careerbot, an automated assistant, not a person.") and "line manager" in text


@pytest.mark.parametrize("said", ["I've got supervision next week", "my supervision is on Tuesday"])
def test_supervision_coming_up_offers_to_get_ready(services, said):
    assert FakeChannel(services).say(said).startswith("I can help you get ready for supervision.")


def test_a_very_long_message_is_cut_at_a_word_not_inside_one(services):
    text = FakeChannel(services).say("hello there " * 400)
    assert "“hell”" not in text and "only the first 4000 characters were read" in text


def test_no_evidence_button_where_the_next_level_lists_none(services):
    chat = FakeChannel(services)
    chat.say("I'm SCO 4B since January 2025")
    chat.press("Yes")
    chat.say("what level am I?")
    labels = [c.label for c in chat.last[0].choices]
    assert "What SCO 4C needs" in labels and "Evidence for SCO 4C" not in labels


def test_exporting_before_deleting_gives_the_file_then_asks_again_without_other_suggestions(services):
    chat = FakeChannel(services)
    chat.say("delete my data")
    chat.press("Export my data first")
    export, again = chat.last
    assert export.attachments and not export.choices
    assert again.title.startswith("Delete everything careerbot holds about you?")
    assert [c.label for c in again.choices] == ["Yes, delete everything", "Export my data first", "No, keep my data"]


@pytest.mark.parametrize(("asked", "since", "says"), [
    ("I've been SW2A for 18 months, can I apply for B?", "25 May 2025", "The earliest date you could put yourself "
                                                                       "forward for SW2B is 25 May 2027"),
    ("i got sw2a in september 2023 when am i eligible for b", "1 September 2023", "SW2B"),
    ("how long at SW3B before SW3C? I've been there since jan 2024", "1 January 2024", "SW3C"),
    ("I've been SW2A since Mar-25, can I apply for SW2B?", "1 March 2025", "1 March 2027"),
    ("I've been SW2A since 03/25, can I apply for SW2B?", "1 March 2025", "1 March 2027"),
])
def test_the_time_a_question_states_is_worked_out(services, asked, since, says):
    text = FakeChannel(services).say(asked)
    assert f"From what you said: SW{'3B' if 'SW3B' in asked else '2A'} since {since}" in text and says in text
    assert services.store.get_person("u1").level_code is None  # worked out, not saved


def test_a_follow_up_about_the_same_level_keeps_the_start_said_earlier(services):
    chat = FakeChannel(services)
    chat.say("I've been SW2A for 18 months, can I apply for B?")
    when = chat.say("when then?")
    assert "From what you said: SW2A since 25 May 2025" in when and "25 May 2027" in when
    assert "From what you said" not in chat.say("how long at SW3A before SW3B?")  # another level: not theirs
    assert FakeChannel(services, user="u2").say("when then?").count("From what you said") == 0  # nor anyone else's


def test_a_button_label_typed_later_does_what_the_button_did(services):
    chat = FakeChannel(services)
    chat.say("check-in")
    for said in ("fine", "workload", "nothing", "not booked yet"):
        chat.say(said)
    assert services.store.list_records("u1", "checkin")
    for typed in ("Download check-in note", "download my check-in note"):
        chat.say(typed)
        assert chat.last[0].attachments, typed
        assert services.store.load_dialog(KEY)[0] is None  # no new check-in started


def test_a_misspelt_self_assessment_still_starts_one(services):
    assert "SW3B" in FakeChannel(services).say("self assesment for sw3b")
    assert services.store.load_dialog(KEY)[0]["dialog"] == "self_assessment"


def test_hello_with_a_paused_self_assessment_offers_to_resume_it(services):
    chat = FakeChannel(services)
    chat.say("self-assessment for SW3B")
    chat.say("met")
    chat.say("pause")
    assert "Your self-assessment for SW3B from 25 November is saved, with your answers so far." in chat.say("hello")
    assert [c.label for c in chat.last[0].choices][:1] == ["Resume"]
    assert "Start a self-assessment" not in [c.label for c in chat.last[0].choices]
    assert "Welcome back: picking up where you left off." in chat.press("Resume")


def test_where_we_are_shows_the_open_question_without_changing_anything(services):
    chat = FakeChannel(services)
    chat.say("self-assessment for SW3B")
    chat.say("met")
    before = services.store.load_dialog(KEY)
    reply = services.router.where_we_are(Incoming(channel="test", user_id="u1", conversation_id="dm-u1"))
    assert "We're in the middle of it: here's the current question." in reply.plain_text()
    assert "Add a note of your evidence" in reply.plain_text()
    assert services.store.load_dialog(KEY) == before
    assert services.router.where_we_are(Incoming(channel="test", user_id="u9", conversation_id="dm-u9")) is None


def test_asking_to_delete_again_while_asked_shows_the_same_question(services):
    chat = FakeChannel(services)
    chat.say("delete my data")
    text = chat.say("delete my data")
    assert text.startswith("Delete everything careerbot holds about you?") and "This is already open" in text
    assert "Start the new one" not in text
    assert chat.say("nope").startswith("OK, nothing has been deleted.")


@pytest.mark.parametrize(("first", "then", "starts"), [
    ("what evidence for SW2C?", "and the time?", "At least 6-12 months at SW2B before SW2C."),
    ("tell me about team managers", "what qualifications?", "Qualifications: Team Manager (SW4)"),
    ("PCF domain 5", "and 6?", "PCF domain 6:"),
    ("what does SW3A need?", "what does B add?", "What SW3B adds to SW3A"),
])
def test_follow_ups_keep_the_subject(services, first, then, starts):
    chat = FakeChannel(services)
    chat.say(first)
    assert chat.say(then).startswith(starts)


def test_what_one_level_needs_that_another_does_not_is_a_comparison(services):
    assert FakeChannel(services).say("what does an SCO at level C need that a level B doesn't?").startswith(
        "What SCO 4C adds to SCO 4B")


# -- from the 26 November review: ordinary messages the new patterns must leave alone ---------------------------

@pytest.mark.parametrize("said", [
    "Can I apply for SW2B in June?",  # a future month is not when they started
    "Do I have to be at SW2B for 2 years before I can apply for SW2C?",  # nor is a rule's duration
])
def test_a_date_or_duration_that_is_not_the_persons_own_start_is_not_worked_out(services, said):
    assert "From what you said" not in FakeChannel(services).say(said)


def test_a_question_mentioning_reminders_does_not_turn_them_back_on(services):
    chat = FakeChannel(services)
    chat.say("stop reminders")
    chat.say("Reminders on my work phone are off now, right?")
    assert services.store.get_person("u1").prefs.opted_out is True


@pytest.mark.parametrize("said", [
    "I'm a social worker from Zimbabwe, which level would I start at?",
    "I went on the senior practitioner course last month, does it count as evidence?",
])
def test_a_role_with_other_words_is_not_taken_for_a_level_statement(services, said):
    assert not FakeChannel(services).say(said).startswith("Which level of")


@pytest.mark.parametrize("said", [
    "I have supervision in place for my ASYE, when do I move to SW2B?",
    "I've got supervision in my job description at SW3A, does that count as evidence for SW3B?",
])
def test_supervision_mentioned_in_passing_is_not_an_offer_to_prepare(services, said):
    assert not FakeChannel(services).say(said).startswith("I can help you get ready for supervision.")


def test_talking_to_a_colleague_is_not_asking_for_a_human(services):
    text = FakeChannel(services).say("Can I talk to someone who has already done SW3C about their evidence?")
    assert not text.startswith("I'm careerbot, an automated assistant")


def test_level_statements_that_carry_a_question_or_a_move(services):
    chat = FakeChannel(services)
    text = chat.say("I've been SW2A since 2024 but I was on maternity leave for 9 months, when can I apply for SW2B?")
    assert "Since when have you been" not in text and services.store.load_dialog(KEY)[0] is None
    assert chat.say("I moved from SW2A to SW2B in March").startswith("Set your level to SW2B since 1 March 2026?")
    chat.press("No")
    assert "“SW2B since April 2025”" in chat.say("help")
    assert "I couldn't read “2 years” as a date" in FakeChannel(services, user="u2").say("I'm SW2B since 2 years")


def test_check_in_answers_phrased_as_questions_or_naming_a_self_assessment_are_kept(services):
    chat = FakeChannel(services)
    chat.say("check-in")
    chat.say("Can we talk about my caseload?")  # an answer to "what has gone well?"... kept as said
    chat.say("my self-assessment")
    assert chat.say("what does AMHP stand for?").startswith("AMHP: Approved Mental Health Professional")
    state = services.store.load_dialog(KEY)[0]
    assert list(state["data"]["answers"].values())[:2] == ["Can we talk about my caseload?", "my self-assessment"]


def test_asking_to_see_the_check_in_questions_starts_a_check_in(services):
    assert FakeChannel(services).say("Can you show me the check-in questions first?").startswith("1 of 5")


@pytest.mark.parametrize(("said", "rating", "note"), [
    ("No problem, I do this all the time", "met", "I do this all the time"),
    ("No issues, fully met", "met", None),
    ("Yes, but my evidence is from my last job", "met", "my evidence is from my last job"),
    ("Not yet - haven't decided which course to do", "not_yet", "haven't decided which course to do"),
])
def test_ratings_from_the_review(services, said, rating, note):
    chat = FakeChannel(services)
    chat.say("self-assessment for SW2C")
    chat.say(said)
    state = services.store.load_dialog(KEY)[0]
    answer = next(iter(state["data"]["answers"].values()))
    assert (answer.get("rating"), answer.get("evidence")) == (rating, note)


@pytest.mark.parametrize("said", ["need to do", "have a go", "I need to grow"])
def test_words_close_to_leaving_phrases_do_not_pause(services, said):
    from dialogs.words import global_word

    assert global_word(said) is None


def test_gdpr_knowledge_for_a_role_is_a_framework_question_not_the_privacy_notice(services):
    chat = FakeChannel(services)
    assert not chat.say("is GDPR knowledge needed for team managers?").startswith("Your self-assessments")
    assert chat.say("is this GDPR compliant?").startswith("Your self-assessments and check-ins are private")


def test_the_date_of_a_framework_document(services):
    text = FakeChannel(services).say("what date is the social care officer framework?")
    assert text.startswith("The framework documents I answer from") and "October 2024" in text


@pytest.mark.parametrize(("first", "then", "title"), [
    ("deaf team SCO level A knowledge", "what about level C?",
     "Knowledge: Social Care Officer, SCO 4C (Accomplished) – Deaf services"),
    ("deaf services SCO B skills", "and safeguarding?", "Safeguarding: Social Care Officer, SCO 4B (Practising) – "
                                                       "Deaf services"),
    ("SCO B skills", "what about C?", "Skills: Social Care Officer, SCO 4C (Accomplished)\n"),
])
def test_a_follow_up_stays_in_the_same_table(services, first, then, title):
    chat = FakeChannel(services)
    chat.say(first)
    assert chat.say(then).startswith(title)


@pytest.mark.parametrize("said", ["I manage a team of social workers. How can I use the framework with my team?",
                                  "can I use this framework for OTs in my team?"])
def test_using_the_framework_with_a_team_is_a_framework_question(services, said):
    assert not FakeChannel(services, user="boss").say(said).startswith("I have no staff recorded")


@pytest.mark.parametrize(("said", "starts"), [
    ("that's not what I asked", "Sorry, that didn't answer what you meant."),
    ("you're useless", "Sorry, that didn't answer what you meant."),
    ("huh?", "Sorry, that didn't answer what you meant."),
    ("give me the short version", "I quote the framework word for word"),
    ("can you explain that more simply?", "I quote the framework word for word"),
    ("cheers mate", "You're welcome."),
    ("great, that helps", "You're welcome."),
    ("sorry wrong chat", "No problem."),
    ("lol", "No problem."),
    ("are you a real person?", "I'm careerbot, an automated assistant, not a person."),
])
def test_ordinary_chat_gets_a_sensible_reply(services, said, starts):
    assert FakeChannel(services).say(said).startswith(starts)


@pytest.mark.parametrize(("said", "asks"), [
    ("my level is SW2A started 1/9/2024", "Set your level to SW2A since 1 September 2024?"),
    ("I'm on SW3B, started there in June 2025", "Set your level to SW3B since 1 June 2025?"),
])
def test_more_ways_of_saying_a_level_and_its_start(services, said, asks):
    assert FakeChannel(services).say(said).startswith(asks)


@pytest.mark.parametrize(("first", "then", "says"), [
    ("what evidence for SW2C?", "do I need to write a statement?", "Provide a written statement (max 500 words)"),
    ("tell me about SCO", "is there a minimum time?", "The framework gives no minimum time in level for Social Care"),
    ("what does SW3B need?", "do I need to chair meetings?", "Experience of chairing meetings"),
])
def test_short_follow_up_questions_stay_with_the_level_or_role(services, first, then, says):
    chat = FakeChannel(services)
    chat.say(first)
    assert says in chat.say(then)


def test_after_the_childrens_post_senior_means_that_post(services):
    chat = FakeChannel(services)
    chat.say("I'm a PO3 in children's services")
    assert "18 months CPD from completing the ASYE" in chat.say("how do I progress to senior?")


def test_a_lone_level_letter_with_nothing_before_it_asks_which_role(services):
    assert FakeChannel(services).say("and B?").startswith("Which role do you mean?")


def test_when_then_after_a_time_answer_is_the_time_again(services):
    chat = FakeChannel(services)
    chat.say("how long before I can go for SW2B?")
    assert chat.say("when then?").startswith("At least 24 months at SW2A before SW2B.")


def test_a_framework_documents_date_asked_another_way(services):
    assert FakeChannel(services).say("what is the SCO framework date").startswith(
        "The framework documents I answer from")


# -- from the second review of 26 November -------------------------------------------------------------------

@pytest.mark.parametrize(("first", "then"), [
    ("what does a team manager do?", "do they need a car?"),
    ("what is KR10?", "is there an interview?"),
    ("what is KR9?", "what about level B?"),
])
def test_a_follow_up_after_an_answer_without_a_level_is_never_an_error(services, first, then):
    chat = FakeChannel(services)
    chat.say(first)
    chat.say(then)
    assert chat.last[0].status != "error"


def test_a_reply_that_leaned_on_a_conversation_is_not_served_to_others(services):
    chat = FakeChannel(services)
    chat.say("PCF domain 5")
    assert chat.say("and 6?").startswith("PCF domain 6")
    other = FakeChannel(services, user="u2")
    assert not other.say("and 6?").startswith("PCF domain 6")  # nothing before it there
    po3 = FakeChannel(services, user="u3")
    po3.say("I'm a PO3 in children's services")
    assert "Senior Social Worker (SW3)" in FakeChannel(services, user="u4").say(
        "what are the duties of a senior social worker at Medway?")


@pytest.mark.parametrize(("said", "not_starts"), [
    ("how many levels are there?", "What the framework asks for SW2C"),
    ("how do I use the framework?", "What the framework asks for SW2C"),
    ("what are the values?", "SW2C has no values section"),
])
def test_questions_about_the_framework_as_a_whole_are_not_follow_ups(services, said, not_starts):
    chat = FakeChannel(services)
    chat.say("what evidence for SW2C?")
    assert not chat.say(said).startswith(not_starts)


def test_own_progress_after_another_levels_answer_uses_the_persons_record(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2A since January 2025")
    chat.press("Yes")
    chat.say("what evidence for SW3C?")
    assert chat.say("how long until I can progress?").startswith("At least 24 months at SW2A before SW2B.")
    assert chat.say("what's my progress as a social worker?").startswith("Your level: SW2A")


@pytest.mark.parametrize("said", ["Who will see what I write here?", "is this confidential?",
                                  "when is my next reminder?"])
def test_privacy_and_reminder_questions_in_a_check_in_are_answered_not_kept(services, said):
    chat = FakeChannel(services)
    chat.say("check-in")
    chat.say(said)
    assert chat.last[-1].title.startswith("1 of 5")
    assert not services.store.load_dialog(KEY)[0]["data"].get("answers")


def test_privacy_about_training_needs_is_still_the_privacy_reply(services):
    assert FakeChannel(services).say("Will my manager see what training I need for SW3B?").startswith(
        "Your self-assessments and check-ins are private to you.")


@pytest.mark.parametrize(("said", "starts"), [
    ("I'm SW2B, started the practice educator course last month", "What the framework"),
    ("can I speak to someone about SW3B?", "I'm careerbot, an automated assistant"),
    ("got supervision on the 3rd", "I can help you get ready for supervision."),
    ("turn reminders on again", "Reminders are on."),
])
def test_second_review_phrasings(services, said, starts):
    assert FakeChannel(services).say(said).startswith(starts)


def test_a_manager_asking_who_in_the_team_can_progress_gets_the_team(services):
    services.store.upsert_people([Person(id="boss", display_name="Boss"),
                                  Person(id="amy", display_name="Amy", level_code="SW2A",
                                         level_since=date(2024, 1, 31), manager_id="boss")])
    text = FakeChannel(services, user="boss").say("who in my team can apply for the next level under the framework?")
    assert "Amy" in text


@pytest.mark.parametrize("said", ["yes, but hardly ever", "yes, but barely", "met, but my manager disagrees",
                                  "yes, but with a lot of support"])
def test_a_yes_with_a_doubt_is_asked_again(services, said):
    chat = FakeChannel(services)
    chat.say("self-assessment for SW2C")
    chat.say(said)
    assert not services.store.load_dialog(KEY)[0]["data"]["answers"]


def test_get_my_check_in_gives_the_note(services):
    chat = FakeChannel(services)
    chat.say("check-in")
    for said in ("fine", "workload", "nothing", "not booked yet"):
        chat.say(said)
    chat.say("get my check-in")
    assert chat.last[0].attachments and services.store.load_dialog(KEY)[0] is None


def test_who_is_ready_and_who_needs_evidence_are_the_team_filtered(services):
    services.store.upsert_people([
        Person(id="boss", display_name="Boss"),
        Person(id="amy", display_name="Amy Archer", level_code="SW2A", level_since=date(2024, 1, 31),
               manager_id="boss"),  # has the time for SW2B since 31 January 2026
        Person(id="cat", display_name="Cat Cole", level_code="SW2B", level_since=date(2026, 6, 1),
               manager_id="boss"),  # SW2C from 1 December 2026: within the heads-up weeks
        Person(id="dan", display_name="Dan Dee", level_code="SW3C", level_since=date(2020, 1, 1),
               manager_id="boss"),  # top of the role
    ])
    boss = FakeChannel(services, user="boss")
    for asked in ("who is ready to progress?", "who's eligible to progress?",
                  "which of my staff are ready to progress?"):
        ready = boss.say(asked)
        assert "(1 of 3)" in ready and "Amy Archer" in ready and "Cat" not in ready and "Dan" not in ready, asked
    for asked in ("who needs to gather evidence?", "who should be gathering evidence?"):
        gather = boss.say(asked)  # close to the time (Cat) or past it (Amy); never the top of a role (Dan)
        assert "(2 of 3)" in gather and "Cat Cole" in gather and "Amy Archer" in gather and "Dan" not in gather, asked
    for asked in ("whos ready to progress", "who's ready for promotion?"):
        assert "(1 of 3)" in boss.say(asked), asked
    assert "Your team's milestones (3)" in boss.say("my team")


def test_who_should_gather_evidence_says_what_each_has_shared(services):
    services.store.upsert_people([
        Person(id="boss", display_name="Boss"),
        Person(id="u1", display_name="Amy Archer", level_code="SW2A", level_since=date(2024, 1, 31),
               manager_id="boss"),
    ])
    amy = FakeChannel(services)  # u1
    amy.say("self-assessment for SW2B")
    while services.store.load_dialog(KEY)[0] is not None and amy.last and amy.last[0].status == "dialog":
        amy.say("met") if "note" not in amy.last[0].title.lower() else amy.say("skip")
    amy.say("share with my manager")
    text = FakeChannel(services, user="boss").say("who needs to gather evidence?")
    assert "Amy Archer" in text and "shared a self-assessment for SW2B (25 November 2026)" in text


def test_full_names_pick_the_report(services):
    services.store.upsert_people([
        Person(id="boss", display_name="Boss"),
        Person(id="j1", display_name="Jo Bloggs", level_code="SW2A", level_since=date(2024, 9, 1), manager_id="boss"),
        Person(id="j2", display_name="Jo Smith", level_code="SW3A", level_since=date(2023, 3, 1), manager_id="boss"),
    ])
    boss = FakeChannel(services, user="boss")
    assert boss.say("what does Jo Bloggs need?").startswith("Jo Bloggs\n")
    assert boss.say("what does jo smith need").startswith("Jo Smith\n")
    assert boss.say("has Jo Smith done a self-assessment?").startswith("Jo Smith\n")
    assert boss.say("what does Jo need?").startswith("Milestones: Jo Bloggs, Jo Smith")
    assert FakeChannel(services, user="zed").say("what does Jo Smith need?").startswith("I can't tell you about Jo")


def test_a_snooze_says_what_it_holds_back_and_what_it_means_is_never_sent(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2B since 1 November 2026")
    chat.press("Yes")  # SW2C from 1 May 2027; the heads-up 8 weeks before, on 6 March 2027
    text = chat.say("snooze until 1 June 2027")
    assert "Not sent because of the snooze" in text and "(due 6 March 2027)" in text
    text = chat.say("my reminders")
    assert "Not sent: a heads-up 8 weeks before" in text
    assert "1 June 2027, when your snooze ends: the day you have the time in level for SW2C (due 1 May 2027)" in text
    chat.say("snooze until 1 March 2027")  # ends before both: nothing lost
    assert "Not sent" not in chat.last[0].plain_text()
    assert "1 March 2027, when your snooze ends" not in chat.say("my reminders")


def test_a_snooze_of_years_or_of_today_is_refused_with_a_way_on(services):
    chat = FakeChannel(services)
    text = chat.say("snooze until 1 March 2035")
    assert text.startswith("1 March 2035 is more than a year away.")
    assert [c.label for c in chat.last[0].choices] == ["Stop reminders", "Snooze for a year"]
    assert services.store.get_person("u1").prefs.snoozed_until is None
    assert "That's today." in chat.say(f"snooze until {NOW.date().day} {NOW.strftime('%B %Y')}")


def test_a_paused_self_assessment_is_said_wherever_the_person_looks_for_it(services):
    chat = FakeChannel(services)
    chat.say("I'm SW3A since June 2025")
    chat.press("Yes")
    chat.say("self-assessment for SW3B")
    chat.say("met")
    chat.say("pause")
    assert chat.say("back").startswith("Paused. Your self-assessment for SW3B")
    for asked in ("have I done a self-assessment?", "what do I still need?", "my assessments"):
        text = chat.say(asked)
        assert "Your self-assessment for SW3B from 25 November is saved, with your answers so far." in text, asked
        assert chat.last[0].choices[0].label == "Resume", asked
    assert "Welcome back: picking up where you left off." in chat.press("Resume")


@pytest.mark.parametrize(("said", "asks"), [
    ("I'm SW2B since 03/25", "Set your level to SW2B since 1 March 2025?"),
    ("I'm SW2B since Mar-25", "Set your level to SW2B since 1 March 2025?"),
    ("I'm SW2B since March '25", "Set your level to SW2B since 1 March 2025?"),
    ("I'm SW2B since Christmas", "Set your level to SW2B since 25 December 2025?"),
])
def test_more_ways_of_writing_a_start(services, said, asks):
    assert FakeChannel(services).say(said).startswith(asks)


def test_no_with_a_month_corrects_the_month_of_the_proposed_year(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2B since March 2025")
    assert chat.say("no, April").startswith("Set your level to SW2B since 1 April 2025?")
    assert chat.say("no, it was May 2024").startswith("Set your level to SW2B since 1 May 2024?")


# -- from the second review of 26 November: ordinary messages today's new patterns must leave alone -------------

@pytest.mark.parametrize("said", [
    "What happens if I don't share it with my manager?", "don't forget to share my self-assessment with my manager",
    "Never mind, share it with my manager", "I'm not sure whether to share",
    "my team does not share learning, how do I show leadership?", "stop sharing my screen"])
def test_remarks_that_mention_not_sharing_do_not_unshare(said):
    from dialogs.triggers import detect_start

    assert (detect_start(said) or ("",))[0] != "unshare_all"


@pytest.mark.parametrize("asked", [
    "When does Stepping Up start?", "How long does BIA training take?", "What does HR need from me?",
    "When does CPD count?", "What does Accomplished need?", "what does SWE need?",
    "How long does Practice Educator training take?", "when is MOSAIC training needed?", "what level is BIA?"])
def test_framework_words_with_capitals_are_not_taken_for_names(services, asked):
    assert not FakeChannel(services).say(asked).startswith("I can't tell you about")


@pytest.mark.parametrize(("asked", "who"), [("when is raj eligible", "Raj"), ("has jo done a self-assessment", "Jo"),
                                            ("when is my colleague eligible?", "your colleague")])
def test_someone_else_in_lower_case_is_still_not_answered_with_ones_own_record(services, asked, who):
    chat = FakeChannel(services)
    chat.say("I'm SW3A since January 2025")
    chat.press("Yes")
    assert chat.say(asked).startswith(f"I can't tell you about {who}.")


def test_a_level_said_in_passing_at_the_date_step_is_not_the_one_saved(services):
    chat = FakeChannel(services)
    chat.say("I'm SW3A")
    assert chat.say("March 2025, before that I was SW2C").startswith("Set your level to SW3A since 1 March 2025?")
    assert chat.say("no, last month").startswith("Set your level to SW3A since 1 October 2026?")  # not 2025


def test_a_saved_start_wins_over_one_said_earlier_in_passing(services):
    chat = FakeChannel(services)
    chat.say("I've been SW2A for 18 months, can I apply for B?")
    chat.say("I'm SW2A since January 2023")
    chat.press("Yes")
    assert "From what you said" not in chat.say("how long before SW2B?")


@pytest.mark.parametrize(("said", "asks"), [
    ("I'm SW2B since Christmas 2023", "Set your level to SW2B since 25 December 2023?"),
    ("I'm SW2B since May - 18 months now", "Since when have you been SW2B?"),
])
def test_a_festival_with_a_year_and_a_span_after_a_month(services, said, asks):
    assert FakeChannel(services).say(said).startswith(asks)


def test_a_reminder_held_by_a_snooze_is_promised_for_the_first_working_day_after_it(services):
    chat = FakeChannel(services)
    chat.say("I'm SW3A since 20 December 2025")
    chat.press("Yes")
    chat.say("snooze until Christmas")  # 25 December 2026: Christmas Day, Boxing Day (Monday 28th), then Tuesday
    assert "29 December 2026, when your snooze ends" in chat.say("my reminders")


# -- "I qualified in July 2023, can I be a senior?": the time since qualifying, against the documents' figures --------
@pytest.mark.parametrize("said, shows", [
    ("I qualified in July 2023, when can I go for senior?",
     ["From what you said: qualified in July 2023", "3 years and 4 months since qualifying",
      "The figures the documents give for SW3A", "2 years, reached in July 2025", "3 years, reached in July 2026"]),
    ("I qualified in 2022, can I be a senior?",
     ["qualified in 2022", "3 years and 10 months to 4 years and 10 months since qualifying",
      "3 years, reached by 2025 at the latest"]),
    ("I've been qualified for 2 years, can I be a senior?",
     ["qualified 2 years ago", "2 years, about now", "3 years, in about November 2027 (1 year from now)"]),
    ("I qualified on 14/09/2021 can i apply for SW4?",
     ["qualified on 14 September 2021", "5 years and 2 months", "4 years, reached on 14 September 2025"]),
    ("qualified 4 years ago, can I be a senior?", ["qualified 4 years ago", "3 years, reached in about November 2025"]),
    ("I've got 2 years PQE, can I be a senior?",
     ["From what you said: 2 years of post-qualifying experience", "2 years, which you have; 3 years, 1 year more"]),
    ("with 5 years post-qualifying experience can I be a team manager", ["for SW4A", "4 years, which you have"]),
    # counts read as the date parser reads them
    ("I've been qualified for a couple of years, can I be a senior?", ["qualified a couple of years ago"]),
    ("I have eleven years post qualifying experience, can I be a team manager?",
     ["eleven years of post-qualifying experience", "4 years, which you have"]),
    ("I qualified in march 2024, what about SW2C?",
     ["2 years and 8 months since qualifying", "No document gives a figure for post-qualifying experience at SW2C"]),
    ("I qualified in 2022, what level should I be?",
     ["The framework does not set a level by years qualified", "qualified in 2022"]),
])
def test_a_qualification_date_in_a_question_is_worked_out(services, said, shows):
    text = FakeChannel(services).say(said)
    for part in shows:
        assert part in text, part


@pytest.mark.parametrize("said", [
    "I qualified as an AMHP in 2022, does it count for SW3C?",  # another qualification
    "is it 3 years post qualifying for SW3B?",  # a figure asked about
    "she qualified 2 years ago, can she be a senior?",  # someone else
    "how many years post qualifying experience for SW4?",
    "I qualified in 2030, can I be a senior?",  # not yet
    "I will have 3 years post qualifying experience next year, can I apply for SW3B then?",
])
def test_what_is_not_a_qualification_date_of_the_asker_is_left_alone(services, said):
    assert "From what you said" not in FakeChannel(services).say(said)


# -- start dates with two-digit years ("2nd Jan '24", "in sept 24") and dashes ("05-05-2025") ---------------------
@pytest.mark.parametrize("said, asks", [
    ("Im SW 3 A since 2nd Jan '24", "Set your level to SW3A since 2 January 2024?"),
    ("I'm SW2B since 2 Jan 24", "Set your level to SW2B since 2 January 2024?"),
    ("I'm SW2B since 05-05-2025", "Set your level to SW2B since 5 May 2025?"),
    ("I started SW2B in sept 24", "Set your level to SW2B since 1 September 2024?"),
    ("I started SW2B back in March 25", "Set your level to SW2B since 1 March 2025?"),
    ("I'm SW2B since March 24th", "Set your level to SW2B since 24 March 2026?"),  # a day, said as one
    # months misspelt in a hurry are read, not refused as no date
    ("I'm SW2B since febuary 2025", "Set your level to SW2B since 1 February 2025?"),
    ("I started SW3A on 1st sepember 2024", "Set your level to SW3A since 1 September 2024?"),
    ("I'm SW2C since Novemeber 2023", "Set your level to SW2C since 1 November 2023?"),
])
def test_two_digit_years_and_dashes_in_a_start(services, said, asks):
    assert FakeChannel(services).say(said).startswith(asks)


def test_a_role_then_its_level_keeps_a_two_digit_year(services):
    chat = FakeChannel(services)
    assert "Which level of Senior Social Worker are you?" in chat.say("i became a senior in sept 24")
    assert chat.press("SW3B").startswith("Set your level to SW3B since 1 September 2024?")


# -- a new start for the level on record, said outside the confirmation ----------------------------------------------
def _with_level(services, code="SW2B", since=date(2025, 3, 1)):
    chat = FakeChannel(services)
    chat.say(f"I'm {code} since {since.isoformat()}")
    chat.press("Yes")
    assert services.store.get_person("u1").level_since == since
    return chat


@pytest.mark.parametrize("said, asks", [
    ("no, it was April", "Set your level to SW2B since 1 April 2025?"),  # the year of the start on record
    ("actually I started SW2B in May 2025", "Set your level to SW2B since 1 May 2025?"),
    ("change my start date to 1 June 2025", "Set your level to SW2B since 1 June 2025?"),
    ("my start date is wrong, it was 03/04/2025", "Set your level to SW2B since 3 April 2025?"),
    ("since april 2025 I've been SW2B", "Set your level to SW2B since 1 April 2025?"),
    ("promoted to SW3B last month", "Set your level to SW3B since 1 October 2026?"),
    ("sorry, I'm SW2C since May 2025", "Set your level to SW2C since 1 May 2025?"),
])
def test_a_new_start_is_confirmed_before_it_is_saved(services, said, asks):
    chat = _with_level(services)
    text = chat.say(said)
    assert text.startswith(asks) and "At the moment I have you as SW2B since 1 March 2025" in text
    assert services.store.get_person("u1").level_since == date(2025, 3, 1)  # nothing changes before the yes
    chat.press("Yes")
    assert services.store.get_person("u1").level_since != date(2025, 3, 1)


def test_a_month_alone_that_would_be_still_to_come_in_the_year_on_record_is_the_latest_one(services):
    # SW2B since 1 March 2026, then "no, it was December" (on 26 November 2026): December 2025, as in the level
    # dialog, not "December is in the future"
    chat = _with_level(services, since=date(2026, 3, 1))
    assert chat.say("no, it was December").startswith("Set your level to SW2B since 1 December 2025?")


@pytest.mark.parametrize("said", ["no, thanks", "sorry, wrong chat", "nope, monday", "actually, what about SW3B?",
                                  "wait, 5 minutes"])
def test_other_corrections_are_not_a_new_start(services, said):
    chat = _with_level(services)
    assert "Set your level" not in chat.say(said)


def test_no_thanks_when_asked_what_it_should_be_leaves_it(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2B since March 2025")
    chat.press("No")
    assert chat.say("no thanks").startswith("OK, I haven't changed your level.")


@pytest.mark.parametrize("said, title", [
    ("snooze for -3 days", "A snooze needs a time after today."),
    ("snooze until 2030", "1 January 2030 is more than a year away."),
    ("snooze until 2026", "1 January 2026 has already passed."),
])
def test_odd_snoozes_are_explained_and_change_nothing(services, said, title):
    chat = FakeChannel(services)
    assert chat.say(said).startswith(title)
    assert services.store.get_person("u1").prefs.snoozed_until is None


def test_snooze_until_next_year_is_until_it_begins(services):
    chat = FakeChannel(services)
    assert "1 January 2027" in chat.say("snooze until 2027")
    assert services.store.get_person("u1").prefs.snoozed_until == date(2027, 1, 1)


def test_a_second_unusable_start_replaces_the_first_ones_problem(services):
    chat = FakeChannel(services)
    assert "“2027” is in the future" in chat.say("I am SW2B since 2027")
    text = chat.say("oops i meant 2024")
    assert "You said “oops i meant 2024”. I need the month too" in text and "2027" not in text
    assert chat.say("March 2024").startswith("Set your level to SW2B since 1 March 2024?")


def test_a_start_stated_in_a_question_is_worked_out_and_can_be_saved(services):
    chat = FakeChannel(services)
    text = chat.say("i was promoted to SW3A last april, when can i go for b")
    assert "From what you said: SW3A since 1 April 2026" in text and "1 April 2027" in text
    assert services.store.get_person("u1").level_code is None  # a question: nothing saved unasked
    assert chat.press("Save SW3A since 1 April 2026").startswith("Set your level to SW3A since 1 April 2026?")
    chat.press("Yes")
    assert services.store.get_person("u1").level_since == date(2026, 4, 1)
    # once saved, the same question offers no button (and a cached answer never carries another person's)
    chat.say("i was promoted to SW3A last april, when can i go for b")
    assert not any(c.label.startswith("Save") for r in chat.last for c in r.choices)
    other = FakeChannel(services, user="u2")
    other.say("i was promoted to SW3A last april, when can i go for b")
    assert [c.label for r in other.last for c in r.choices if c.label.startswith("Save")] == [
        "Save SW3A since 1 April 2026"]


@pytest.mark.parametrize("said", ["ok save that", "yes save it", "save", "please save that for me"])
def test_a_start_offered_to_save_can_be_saved_by_typing(services, said):
    chat = FakeChannel(services)
    chat.say("i was promoted to SW3A last april, when can i go for b")
    assert chat.say(said).startswith("Set your level to SW3A since 1 April 2026?")
    chat.say("yes")
    assert services.store.get_person("u1").level_since == date(2026, 4, 1)


def test_save_with_nothing_offered_says_so_and_saves_nothing(services):
    chat = FakeChannel(services)
    assert chat.say("save that").startswith("There's nothing for me to save just now.")
    chat.say("i was promoted to SW3A last april, when can i go for b")
    chat.say("what is a BIA?")  # the offer was the reply before last: gone
    assert chat.say("ok save that").startswith("There's nothing for me to save just now.")
    assert services.store.get_person("u1").level_code is None
    assert chat.say("how do I save my self-assessment?").startswith("Your self-assessment is saved as you go.")


def test_april_last_year_is_a_start(services):
    assert FakeChannel(services).say("I'm SW3A since april last year").startswith(
        "Set your level to SW3A since 1 April 2025?")


def test_a_carriage_return_in_typed_text_is_a_new_line():
    msg = Incoming(channel="test", user_id="u1", conversation_id="c", text="line1\rline2\r\nline3")
    assert msg.text == "line1\nline2\nline3"


def test_a_start_more_than_50_years_ago_is_asked_again_keeping_the_level(services):
    chat = FakeChannel(services)
    text = chat.say("I'm SW2B since 1 January 1970")
    assert text.startswith("Since when have you been SW2B?") and "1 January 1970 is more than 50 years ago" in text
    assert "50 years" not in chat.say("in 2020")  # the new answer's own problem (no month), not the old one
    assert chat.say("March 2020").startswith("Set your level to SW2B since 1 March 2020?")


def test_cancelling_a_level_change_does_not_talk_of_sharing(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2B")
    text = chat.say("cancel")
    assert "stopped" in text and "shared" not in text


def test_got_my_role_in_a_month_asks_which_level_keeping_the_date(services):
    chat = FakeChannel(services)
    assert chat.say("got my SW4 in feb").startswith("Which level of Team Manager are you?")
    assert chat.press("SW4B").startswith("Set your level to SW4B since 1 February 2026?")


@pytest.mark.parametrize("said, refused", [("tell me about Sam Smith", True), ("tell me about supervision", False),
                                           ("tell me about kent", False), ("tell me about AMHP", False),
                                           ("tell me about stepping up", False)])
def test_tell_me_about_someone_is_refused_but_not_about_a_subject(services, said, refused):
    assert FakeChannel(services).say(said).startswith("I can't tell you about") is refused


def test_the_data_export_says_reminders_sent_not_planned(services):
    chat = FakeChannel(services)
    text = chat.say("export my data")
    assert "Reminders already sent: 0" in text and "planned" not in text


@pytest.mark.parametrize("said", ["no, I qualified in July 2022", "actually I qualified in 2020",
                                  "no, on maternity leave in 2025", "no, until 5 January 2027",
                                  "sorry, I'll do it tomorrow at 3", "no, not until 2027"])
def test_a_correction_with_more_than_a_date_is_not_a_new_start(services, said):
    chat = _with_level(services)
    text = chat.say(said)
    assert "Set your level" not in text and "Since when have you been" not in text


def test_a_new_start_for_a_level_named_uses_that_level(services):
    chat = _with_level(services)
    assert chat.say("change my start date for SW2C to May 2025").startswith(
        "Set your level to SW2C since 1 May 2025?")
    chat.press("No")
    chat.say("leave it")
    assert chat.say("my start date is wrong, I moved to SW2C in June").startswith(
        "Set your level to SW2C since 1 June 2026?")  # a new level: the latest June, not the year on record


def test_a_question_at_the_since_step_is_not_read_as_a_date(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2B")
    assert "as a date" not in chat.say("does the 24 months include my ASYE?")


def test_a_start_in_a_question_is_only_offered_for_saving_when_the_level_is_said(services):
    chat = _with_level(services, "SW2A", date(2024, 3, 1))
    chat.say("I'm SW2A and I had my appraisal last month, how long until SW2B?")
    assert not any(c.label.startswith("Save") for r in chat.last for c in r.choices)
    assert "From what you said" not in chat.say("I'm SW2A and I had my appraisal last month, how long until SW2B?")
    chat.say("I've been in the team for 2 years, how long until SW2B?")
    assert not any(c.label.startswith("Save") for r in chat.last for c in r.choices)
    assert "SW2A since 1 September 2024" in chat.say("I started SW2A in sept 24, how long before SW2B?")


def test_who_can_be_promoted_to_a_role_is_a_framework_question(services):
    assert "staff recorded" not in FakeChannel(services).say("who can be promoted to team manager?")


def test_a_snooze_range_is_not_a_negative_number(services):
    chat = FakeChannel(services)
    assert "needs a time after today" not in chat.say("snooze for 1 - 2 weeks")


@pytest.mark.parametrize("said", ["what does every senior need?", "what do most seniors need?",
                                  "what does Ofsted really need from a team manager?"])
def test_ordinary_words_are_not_taken_for_a_name(services, said):
    assert not FakeChannel(services).say(said).startswith("I can't tell you about")


@pytest.mark.parametrize("said", ["can a social worker with 3 years post qualifying experience apply for SW3A?",
                                  "I qualified in 2022 as an AMHP, can I go for SW3B?"])
def test_a_third_person_or_another_qualification_is_not_the_askers_qualifying(services, said):
    assert "From what you said" not in FakeChannel(services).say(said)


@pytest.mark.parametrize("said, asks", [
    ("I started SW2B on 3rd April last year", "Set your level to SW2B since 3 April 2025?"),
    ("I'm SW2B since 2 Jan 98", "Set your level to SW2B since 2 January 1998?"),
])
def test_days_with_last_year_and_last_century(services, said, asks):
    assert FakeChannel(services).say(said).startswith(asks)


def test_29_february_last_year_is_no_date(services):
    assert "Set your level to SW2B since 1 February" not in FakeChannel(services).say(
        "I started SW2B on 29 Feb last year")


def test_who_can_apply_for_a_level_from_someone_with_no_team_is_about_the_level(services):
    text = FakeChannel(services).say("who can apply for SW3A?")
    assert "staff recorded" not in text and "SW3A" in text


def test_an_abandoned_self_assessment_is_listed_as_unfinished(services):
    chat = FakeChannel(services)
    chat.say("self-assessment for SW2C")
    chat.say("met")
    chat.say("skip")
    chat.say("pause")
    text = chat.say("prepare for supervision")
    assert "stay saved as an unfinished self-assessment" in text or "stays saved as an unfinished" in text
    chat.press("Start the check-in")
    chat.say("cancel")
    text = chat.say("have I done a self-assessment?")
    assert "Unfinished, kept as they were" in text and "Self-assessment for SW2C" in text


# -- words typed in a hurry ("whats", "whos", "dont", "b4") and one-word asks ("reminders?", "team") --------------
def _manager_and_report(services):
    services.store.upsert_people([
        Person(id="boss", display_name="Sam Boss"),
        Person(id="amy", display_name="Amy Archer", level_code="SW2A", level_since=date(2024, 1, 31),
               manager_id="boss"),
    ])


@pytest.mark.parametrize("said, starts", [
    ("whos my manager", "Your manager in my records is Sam Boss."),
    ("dont know what level i am", "Your level: SW2A, since 31 January 2024"),
    ("reminders?", "Your reminders"),
    ("where's my self-assessment?", "You haven't completed a self-assessment or check-in yet."),
    ("wheres my self assessment", "You haven't completed a self-assessment or check-in yet."),
    ("delete everything you have on me", "Delete everything careerbot holds about you?"),
])
def test_hurried_and_one_word_asks_of_ones_own(services, said, starts):
    _manager_and_report(services)
    assert FakeChannel(services, user="amy").say(said).startswith(starts)


@pytest.mark.parametrize("said", ["whos ready", "who's ready?", "team", "Team?"])
def test_a_managers_one_word_asks_about_the_team(services, said):
    _manager_and_report(services)
    assert "Amy Archer: SW2A since 31 January 2024" in FakeChannel(services, user="boss").say(said)


def test_whats_is_read_as_what_is(services):
    # "whats" was searched as a word no document uses: "The framework documents don't mention 'whats'"
    assert "Inquiry Officer" in FakeChannel(services).say("whats an inquiry officer")


@pytest.mark.parametrize("said", ["team manager", "what does a team manager need?", "its my team's turn",
                                  "where do I find the framework?"])
def test_words_near_the_one_word_asks_are_not_them(services, said):
    _manager_and_report(services)
    text = FakeChannel(services, user="amy").say(said)
    assert not text.startswith(("Your team's milestones", "Your reminders", "You haven't completed"))


@pytest.mark.parametrize("said", ["amy?", "Amy", "what about amy", "and Amy Archer?", "open amy's latest"])
def test_a_manager_naming_a_report_alone_gets_that_report(services, said):
    _manager_and_report(services)
    assert FakeChannel(services, user="boss").say(said).startswith("Amy Archer")


@pytest.mark.parametrize("said", ["amy?", "what about amy"])
def test_a_name_alone_from_someone_it_does_not_report_to_shows_nothing_of_them(services, said):
    _manager_and_report(services)
    services.store.upsert_person(Person(id="zed", display_name="Zed"))
    assert "SW2A since 31 January 2024" not in FakeChannel(services, user="zed").say(said)


def _finished_assessment(services, user="amy"):
    chat = FakeChannel(services, user=user)
    chat.say("assess me for SW2C")
    while chat.last and chat.last[-1].status == "dialog":
        chat.say("met")
    return chat


@pytest.mark.parametrize("said", ["share it with sam", "share my self-assessment with Sam Boss"])
def test_sharing_with_ones_manager_by_name_shares_it(services, said):
    _manager_and_report(services)
    chat = _finished_assessment(services)
    assert chat.say(said).startswith("Shared with Sam Boss")
    from dialogs.privacy import shared_records_for_manager

    assert len(shared_records_for_manager(services.store, "boss", "amy")) == 1


def test_sharing_with_someone_else_by_name_shares_nothing(services):
    _manager_and_report(services)
    chat = _finished_assessment(services)
    text = chat.say("share it with Jo")
    assert text.startswith("I can only share with your manager.") and "Sam Boss" in text
    from dialogs.privacy import shared_records_for_manager

    assert shared_records_for_manager(services.store, "boss", "amy") == []


def test_what_is_left_with_no_level_uses_the_latest_self_assessment(services):
    # "what do I still need?" said "I don't know your level yet" although a finished SW2C self-assessment held it
    chat = FakeChannel(services, user="nolevel")
    chat.say("assess me for SW2C")
    while chat.last and chat.last[-1].status == "dialog":
        chat.say("partly")
    text = chat.say("what do i still need")
    assert text.startswith("What you still need for SW2C, from your self-assessment")
    assert "I don't know your level, so this is for SW2C" in text and "Partly: " in text


@pytest.mark.parametrize("said", ["can u remind me b4 supervision", "I'd like a reminder before my next supervision"])
def test_a_reminder_before_supervision_points_to_the_check_in_that_sets_one(services, said):
    # "The framework documents don't mention 'remind'"
    chat = FakeChannel(services)
    text = chat.say(said)
    assert text.startswith("I can help you get ready for supervision.") and "A reminder a few days before" in text
    assert chat.last[0].choices[0].label == "Prepare for supervision"


def test_why_a_figure_after_an_answer_shows_where_it_comes_from_and_the_note_on_it(services):
    # "why 18?" after the time at SW3B gave the children's PO3 "18 months CPD" and Kent "over the age of 18"
    chat = FakeChannel(services)
    chat.say("sw3c time")
    text = chat.say("why 18?")
    assert text.startswith("Where “18” comes from: SW3C")
    assert "A minimum of 18 months experience at level SW3B" in text and "The two documents disagree" in text
    assert "12 months — document 001" not in text  # only the part that gives the figure asked about
    assert "12 months — document 001" in chat.say("why?")


def test_why_with_nothing_before_it_is_not_about_an_old_answer(services):
    assert not FakeChannel(services).say("why?").startswith("Where")


@pytest.mark.parametrize("first, then, starts", [
    ("skills for sw2c", "for sw3?", "Skills: Senior Social Worker, SW3C (Accomplished)"),
    ("sw2b evidence", "for sw3?", "Evidence for SW3B (Practising)"),
])
def test_a_follow_up_naming_only_another_role_keeps_the_topic_and_the_level(services, first, then, starts):
    # it gave the other role's overview, dropping the topic asked about
    chat = FakeChannel(services)
    chat.say(first)
    assert chat.say(then).startswith(starts)


def test_a_role_alone_after_a_level_overview_is_that_roles_overview(services):
    chat = FakeChannel(services)
    chat.say("what do i need for sw3b")
    assert chat.say("what about sw2").startswith("Overview: Social Worker (SW2)")


@pytest.mark.parametrize("said, starts", [
    ("hiya im sw2b since feb 2025", "Set your level to SW2B since 1 February 2025?"),  # the greeting aside
    ("what level should i be", "The framework does not set a level by years qualified"),
    ("hi so basically i qualified in 2020, did my asye at kent, now i supervise two scos and im halfway through my "
     "practice educator. my manager says im sw2c, what level should i be", "The framework does not set a level"),
    ("change my level to sw2b", "Since when have you been SW2B?"),
    ("been sw3a since jan", "Set your level to SW3A since 1 January 2026?"),
    ("update my level to SW3A please", "Since when have you been SW3A?"),
])
def test_statements_and_questions_said_casually(services, said, starts):
    assert FakeChannel(services).say(said).startswith(starts)


@pytest.mark.parametrize("said, starts", [
    ("who needs evidence", "Who should be gathering evidence"),
    ("who in my team needs evidence", "Who should be gathering evidence"),
    ("whats amy need", "Amy Archer"),
    ("hi whats amy need", "Amy Archer"),
    ("add a new starter to my team", "I can't change the staff list."),
    ("change amy's level to sw2b", "I can't change the staff list."),
])
def test_a_managers_casual_asks(services, said, starts):
    _manager_and_report(services)
    assert FakeChannel(services, user="boss").say(said).startswith(starts)


def test_hi_alone_is_still_a_hello(services):
    assert FakeChannel(services).say("hi").startswith("Hello!")


def test_a_manager_is_told_the_digest_goes_with_their_reminders(services):
    # "stop reminders" stopped the weekly team digest without a word; "turn my digest off" was a framework search
    _manager_and_report(services)
    boss = FakeChannel(services, user="boss")
    assert boss.say("is my digest on?").startswith("Your weekly team digest is on.")
    text = boss.say("when does my digest come?")
    assert "It comes on Mondays in your working hours" in text and "the next 8 weeks" in text
    assert "This stops your weekly team digest too" in boss.say("stop reminders")
    assert boss.say("turn my digest back on").startswith("Your weekly team digest is off, because your reminders")
    assert [c.label for c in boss.last[0].choices] == ["Start reminders"]
    assert "Amy" not in boss.say("stop reminders")  # nothing about the team's own reminders
    assert "digest" not in FakeChannel(services, user="amy").say("stop reminders")  # no team: no digest to mention


@pytest.mark.parametrize("said, until", [
    ("snooze til i'm back in april", date(2027, 4, 1)),
    ("pause my reminders till im back from maternity leave on 5 january", date(2027, 1, 5)),
])
def test_a_snooze_until_one_is_back(services, said, until):
    chat = FakeChannel(services)
    chat.say(said)
    assert services.store.get_person("u1").prefs.snoozed_until == until


def test_mat_leave_is_maternity_leave(services):
    assert FakeChannel(services).say("does mat leave count").startswith(
        "The framework does not say whether maternity leave counts towards time in level.")


# -- from the review of the fourth session's rules: what they must not catch -------------------------------------
def _team_with_word_names(services):
    services.store.upsert_people([
        Person(id="sam", display_name="Sam Taylor"),
        Person(id="will", display_name="Will Jones", level_code="SW2A", level_since=date(2025, 9, 1),
               manager_id="sam"),
        Person(id="may", display_name="May Chen", level_code="SW2B", level_since=date(2024, 9, 1), manager_id="sam"),
        Person(id="hope", display_name="Hope Adeyemi", manager_id="sam"),
    ])
    return FakeChannel(services, user="sam")


@pytest.mark.parametrize("said", ["snooze until May", "pause reminders, I will be on leave until 5 January",
                                  "snooze this week's reminders", "stop reminding me until May"])
def test_a_managers_own_reminders_are_theirs_whatever_names_the_team_has(services, said):
    sam = _team_with_word_names(services)
    assert not sam.say(said).startswith("I can only change your own reminders.")
    prefs = services.store.get_person("sam").prefs
    assert prefs.opted_out or prefs.snoozed_until is not None


@pytest.mark.parametrize("said", ["will do", "hope so", "cheers Will", "may I ask something?"])
def test_words_that_are_also_first_names_are_not_a_report(services, said):
    sam = _team_with_word_names(services)
    assert not sam.say(said).startswith(("Will Jones", "May Chen", "Hope Adeyemi"))


@pytest.mark.parametrize("said, not_starts", [
    ("I recently qualified as a BIA, does that count for SW3?", "Welcome"),
    ("I don't want a reminder before supervision", "I can help you get ready for supervision."),
    ("why does SW2C list different skills to SW2B?", "Where SW2C names SW2B"),
])
def test_the_new_rules_leave_these_alone(services, said, not_starts):
    assert not FakeChannel(services).say(said).startswith(not_starts)


def test_where_do_i_start_a_self_assessment_starts_one(services):
    chat = FakeChannel(services)
    chat.say("where do I start a self-assessment?")
    assert chat.last[0].meta.get("dialog") == "self_assessment"


def test_share_it_with_manager_without_my_is_ones_manager(services):
    _manager_and_report(services)
    chat = _finished_assessment(services)
    assert chat.say("share it with line manager").startswith("Shared with Sam Boss")


def test_which_figure_applies_after_figures_that_differ(services):
    chat = FakeChannel(services)
    chat.say("sw3c time")
    text = chat.say("which one applies to me")
    assert text.startswith("Which applies to you: the documents do not say (SW3C)")
    assert "18 months — document 003" in text and "12 months — document 001" in text
    assert "Your manager can say which applies to you." in text


def test_a_year_then_a_month_keeps_the_year(services):
    # "im sw2b since 2025", asked for the month, "march": it was 1 March 2026, the year said dropped
    chat = FakeChannel(services)
    chat.say("im sw2b since 2025")
    assert chat.say("march").startswith("Set your level to SW2B since 1 March 2025?")


@pytest.mark.parametrize("said", ["what do you tell my staff", "what reminders do my team get",
                                  "can my staff see what i see"])
def test_a_manager_asking_what_staff_get_is_told(services, said):
    # these gave the team's milestones, or the manager's own reminders
    _manager_and_report(services)
    text = FakeChannel(services, user="boss").say(said)
    assert text.startswith("What your staff get from me") and "private to them until they share one" in text


@pytest.mark.parametrize("said", ["can you remind raj to do his self assessment",
                                  "please nudge my team about evidence"])
def test_reminding_someone_else_is_not_done_on_their_behalf(services, said):
    assert FakeChannel(services).say(said).startswith("I can't send messages on anyone's behalf.")


def test_tell_me_about_a_level_is_not_a_message_to_send(services):
    assert FakeChannel(services).say("tell me about sw3b").startswith("What the framework asks for SW3B")


def test_a_managers_view_of_a_date_carries_the_notes_the_staff_member_sees(services):
    # the team list said "has the time in level for SW3C" with no word that document 001 gives 12 months, not 18
    services.store.upsert_people([
        Person(id="boss", display_name="Sam Boss"),
        Person(id="raj", display_name="Raj Rao", level_code="SW3B", level_since=date(2025, 3, 1), manager_id="boss"),
    ])
    boss = FakeChannel(services, user="boss")
    for said in ("my team", "raj?", "who's ready?"):
        text = boss.say(said)
        assert "The sources differ on the minimum time at SW3B before SW3C" in text, said
        assert "check with HR which applies" in text and "check with your manager" not in text, said  # the reader


def test_a_managers_view_of_an_sco_speaks_to_the_manager(services):
    services.store.upsert_people([
        Person(id="boss", display_name="Sam Boss"),
        Person(id="kim", display_name="Kim Lee", level_code="SCO 4A", level_since=date(2025, 9, 1), manager_id="boss"),
    ])
    text = FakeChannel(services, user="boss").say("my team")
    assert "You can talk through with them when it might be right to put themselves forward for SCO 4B." in text
    assert "put yourself forward" not in text
    own = FakeChannel(services, user="kim").say("when can I go for SCO 4B?")
    assert "Your manager can talk through" in own or "put yourself forward" in own or "no minimum time" in own


# -- someone else's time: answered from the framework, never with the asker's own record -----------------------
@pytest.mark.parametrize("said", [
    "she's been SW2A for 18 months, can she apply for SW2B?",
    "how long before he can go for SW2B? he's SW2A",
    "my colleague is SW2A, how long before SW2B?",
    "one of my team is SW2A, how long before SW2B?",
    "jo's been SW2A for ages, how long before SW2B?",
])
def test_a_question_about_someone_else_is_not_answered_with_ones_own_record(services, said):
    services.store.upsert_people([Person(id="u1", display_name="Raj", level_code="SW2A",
                                         level_since=date(2024, 3, 1))])
    text = FakeChannel(services).say(said)
    assert "24 months at SW2A before SW2B" in text and "For you" not in text and "1 March 2024" not in text


@pytest.mark.parametrize("said", [
    "how long before I can go for SW2B?", "my manager says I need 24 months, how long before SW2B?",
    "it's been 2 years, how long before SW2B?", "how long before SW2B? the team has been great",
])
def test_ones_own_time_still_comes_with_ones_own_record(services, said):
    services.store.upsert_people([Person(id="u1", display_name="Raj", level_code="SW2A",
                                         level_since=date(2024, 3, 1))])
    text = FakeChannel(services).say(said)
    assert "For you" in text and "since 1 March 2024" in text and "can't tell you about" not in text


def test_a_manager_asking_about_a_reports_acting_up_gets_the_framework_answer_not_their_own_record(services):
    _manager_and_report(services)
    services.store.upsert_people([Person(id="boss", display_name="Sam Boss", level_code="SW4B",
                                         level_since=date(2022, 1, 10))])
    chat = FakeChannel(services, user="boss")
    text = chat.say("amy's been acting up as TM for 3 months, does that count?")
    assert "does not say whether acting up counts" in text and "SW4B" not in text and "For you" not in text
    text = chat.say("amy has been SW2A for 2 years, how long before SW2B?")
    assert "For you" not in text and "10 January 2022" not in text


@pytest.mark.parametrize("said", ["is my self-assessment saved?", "will it keep my answers if I close teams?",
                                  "can I finish it later?", "do I need to save it?"])
def test_how_a_self_assessment_is_kept_is_answered(services, said):
    text = FakeChannel(services).say(said)
    assert text.startswith("Your self-assessment is saved as you go.") and "“resume”" in text


@pytest.mark.parametrize("said", ["do I need to keep evidence for SW2B?", "does it save my level?",
                                  "is it kept in my HR records?"])
def test_questions_near_saving_are_not_about_saving(services, said):
    assert not FakeChannel(services).say(said).startswith("Your self-assessment is saved as you go.")


def test_saving_help_mentions_a_paused_self_assessment(services):
    chat = FakeChannel(services)
    chat.say("self-assessment for SW2C")
    chat.say("met")
    chat.say("pause")
    text = chat.say("is my self-assessment saved?")
    assert "Say “resume” to carry on where you were." in text and "Your self-assessment is saved as you go." in text


@pytest.mark.parametrize("said", ["I've been with the council for 18 months, can I go for SW2B?",
                                  "I've been in the team for 2 years, when can I go for SW2B?",
                                  "I joined the team in March 2024, when can I go for SW2B?"])
def test_time_in_a_team_is_not_worked_out_as_time_at_a_level(services, said):
    chat = FakeChannel(services)
    text = chat.say(said)
    assert "From what you said" not in text and "not time" in text
    assert not any(c.label.startswith("Save") for r in chat.last for c in r.choices)


def test_a_level_start_said_beside_time_in_a_team_is_still_worked_out(services):
    text = FakeChannel(services).say("I'm SW2A since March 2025 and I've been in the team for 2 years, "
                                     "when can I go for SW2B?")
    assert "From what you said: SW2A since 1 March 2025" in text


@pytest.mark.parametrize("said", ["who hasnt got a level recorded", "who is missing a level?",
                                  "anyone in my team without a start date?", "which of my staff has no level"])
def test_a_manager_asks_who_has_no_level_recorded(services, said):
    _manager_and_report(services)
    services.store.upsert_people([Person(id="jo", display_name="Jo Smith", manager_id="boss"),
                                  Person(id="kim", display_name="Kim Lee", level_code="SCO 4A", manager_id="boss")])
    chat = FakeChannel(services, user="boss")
    text = chat.say(said)
    assert text.startswith("Who has no level or start date recorded (2 of 3)")
    assert "Jo Smith: level not recorded" in text and "Kim Lee: SCO 4A, start date not recorded" in text
    assert "Amy" not in text.split("Levels come from")[0]


def test_who_has_no_level_from_someone_with_no_team_says_so(services):
    assert FakeChannel(services).say("who hasn't got a level?").startswith("I have no staff recorded as reporting")
    assert "SW2B" in FakeChannel(services).say("what level do I need for SW2B?")


def test_whats_left_with_a_paused_self_assessment_offers_resume_not_a_second_one(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2B since March 2025")
    chat.press("Yes")
    chat.say("self-assessment for SW2C")
    chat.say("met")
    chat.say("skip")
    chat.say("pause")
    text = chat.say("what do I still need?")
    assert "Your self-assessment for SW2C isn't finished yet" in text and "You haven't done" not in text
    labels = [c.label for r in chat.last for c in r.choices]
    assert labels[0] == "Resume" and "Self-assessment for SW2C" not in labels


@pytest.mark.parametrize("said", ["how long do you keep my data?", "how long are my records kept?",
                                  "how long is my self-assessment kept for?", "what's your data retention?"])
def test_how_long_data_is_kept_is_answered_with_the_privacy_help(services, said):
    text = FakeChannel(services).say(said)
    assert "Nothing of yours is deleted by itself" in text and "“delete my data”" in text


@pytest.mark.parametrize("said", ["how long do I need to keep evidence?", "how long is SW2A?",
                                  "how long are my reminders snoozed for?"])
def test_other_how_long_questions_are_not_about_keeping_data(services, said):
    assert "Nothing of yours is deleted by itself" not in FakeChannel(services).say(said)


def test_a_start_said_alone_is_for_the_level_on_record_or_asks_which_level(services):
    chat = FakeChannel(services)
    assert chat.say("since april 2023").startswith("Since April 2023 at which level?")
    assert services.store.get_person("u1").level_since is None
    chat.say("I'm SW2B since March 2025")
    chat.press("Yes")
    assert chat.say("since april 2025").startswith("Set your level to SW2B since 1 April 2025?")
    chat.press("Yes")
    assert services.store.get_person("u1").level_since == date(2025, 4, 1)
    assert "snoozed" not in chat.say("from next week")  # not a date alone the way a start is
    assert services.store.get_person("u1").level_since == date(2025, 4, 1)


@pytest.mark.parametrize("said", ["delete my self-assessment only", "can i delete just my self assessment",
                                  "remove my check-in", "get rid of my last assessment"])
def test_deleting_one_record_says_what_can_be_done_and_starts_nothing(services, said):
    chat = FakeChannel(services)
    assert chat.say(said).startswith("I can't delete one self-assessment or check-in on its own.")
    assert services.store.load_dialog(KEY) == (None, 0)


@pytest.mark.parametrize("said", ["delete everything", "im leaving next month, wipe everything pls",
                                  "erase it all"])
def test_deleting_everything_in_other_words_asks_to_delete_the_data(services, said):
    assert FakeChannel(services).say(said).startswith("Delete everything careerbot holds about you?")


@pytest.mark.parametrize("said", ["how do I delete something from my notes?", "can I wipe all off the record?",
                                  "what do I need for SW2B?"])
def test_other_deleting_words_start_no_deletion(services, said):
    assert not FakeChannel(services).say(said).startswith("Delete everything careerbot holds about you?")


def test_deleting_one_during_a_self_assessment_keeps_it_open(services):
    chat = FakeChannel(services)
    chat.say("self-assessment for SW2C")
    text = chat.say("delete my self-assessment")
    assert "I can't delete one self-assessment or check-in on its own." in text
    state = services.store.load_dialog(KEY)[0]
    assert state["dialog"] == "self_assessment" and state["data"]["target"] == "SW2C"


@pytest.mark.parametrize("said", ["who's close to being eligible", "who becomes eligible next month",
                                  "who is close to eligible?", "who is coming up for progression",
                                  "who's nearly ready"])
def test_a_manager_asks_who_is_close_to_the_time_in_level(services, said):
    services.store.upsert_people([
        Person(id="boss", display_name="Sam Boss", level_code="SW4B", level_since=date(2022, 1, 10)),
        Person(id="amy", display_name="Amy Archer", level_code="SW3B", level_since=date(2025, 6, 1),
               manager_id="boss"),  # 18 months: 1 December 2026, within 3 months of 26 November 2026
        Person(id="raj", display_name="Raj Rao", level_code="SW2A", level_since=date(2024, 3, 1),
               manager_id="boss"),  # already has the time
        Person(id="dev", display_name="Dev Das", level_code="SW2A", level_since=date(2026, 6, 1),
               manager_id="boss"),  # not until 2028
    ])
    text = FakeChannel(services, user="boss").say(said)
    assert text.startswith("Who has the time in level for their next level within 3 months (1 of 3)")
    assert "Amy Archer" in text and "Raj Rao" not in text and "Dev Das" not in text and "SW4B" not in text


@pytest.mark.parametrize("said", ["where is my data stored", "what happens to my data if i leave the council",
                                  "how long is my data kept for", "where is my self-assessment kept"])
def test_where_and_how_long_data_is_kept_get_the_privacy_help(services, said):
    assert FakeChannel(services).say(said).startswith("Your self-assessments and check-ins are private to you.")


@pytest.mark.parametrize("said", ["whats GDPR", "what does GDPR stand for?", "what is the GDPR"])
def test_what_gdpr_means_is_the_glossary_not_the_privacy_help(services, said):
    assert FakeChannel(services).say(said).startswith("GDPR: General Data Protection Regulations")


def test_where_is_my_self_assessment_still_lists_them(services):
    assert FakeChannel(services).say("where's my self-assessment?").startswith(
        "You haven't completed a self-assessment or check-in yet.")


def test_the_next_supervision_date_is_told_moved_and_its_reminder_cancelled(services):
    chat = FakeChannel(services)
    assert chat.say("when's my next supervision?").startswith("I don't have a date for your next supervision.")
    person = services.store.get_person("u1")
    person.prefs.next_supervision, person.prefs.supervision_reminder_days = date(2026, 12, 29), 5
    services.store.upsert_person(person)
    text = chat.say("when is my next supervision")
    assert text.startswith("Your next supervision is on Tuesday 29 December 2026.")
    assert "I'll remind you on Thursday 24 December 2026." in text
    text = chat.say("my supervision moved to 5th jan")
    assert text.startswith("Done: your next supervision is on Tuesday 5 January 2027.")
    prefs = services.store.get_person("u1").prefs
    assert prefs.next_supervision == date(2027, 1, 5) and prefs.supervision_reminder_days == 5  # Thu 31 Dec
    assert chat.say("cancel my supervision reminder").startswith("Done: no reminder before your supervision")
    prefs = services.store.get_person("u1").prefs
    assert prefs.supervision_reminder_days is None and prefs.opted_out is False
    assert "I won't send a reminder before it." in chat.say("next supervision date?")


@pytest.mark.parametrize("said", ["what do I need for supervision with a student?", "when is supervision for SW3A",
                                  "what should I bring to my supervision?"])
def test_other_supervision_questions_are_not_the_date(services, said):
    text = FakeChannel(services).say(said)
    assert not text.startswith(("I don't have a date for your next supervision.", "Your next supervision is on"))


@pytest.mark.parametrize("said", ["will you message me on christmas day?", "do you send reminders on bank holidays",
                                  "what time zone do you have me in", "what time will reminders come?"])
def test_when_reminders_come_is_answered_with_the_persons_reminders(services, said):
    text = FakeChannel(services).say(said)
    assert text.startswith("Your reminders") and "never on bank holidays" in text and "Europe/London" in text


def test_changing_the_time_zone_says_where_it_comes_from(services):
    text = FakeChannel(services).say("can you change my timezone to Europe/Madrid")
    assert text.startswith("I can't change your time zone in chat.") and "Europe/London" in text
    assert services.store.get_person("u1").timezone == "Europe/London"


@pytest.mark.parametrize("said", ["what do I need for SW2B at the weekend?", "is christmas a bank holiday?"])
def test_holidays_in_other_questions_are_not_about_reminders(services, said):
    assert not FakeChannel(services).say(said).startswith("Your reminders")


@pytest.mark.parametrize(("said", "starts"), [
    ("just got promoted to Sw3b!! started on monday", "Set your level to SW3B since 23 November 2026?"),
    ("passed my sw2b panel today!", "Set your level to SW2B since 25 November 2026?"),  # the tests' today
    ("yay i got promoted to sw3a yesterday", "Set your level to SW3A since 24 November 2026?"),
    ("promoted to SW3B in March 2025", "Set your level to SW3B since 1 March 2025?"),
    ("just got promoted to SW3B", "Since when have you been SW3B?"),
])
def test_a_promotion_is_offered_to_be_recorded(services, said, starts):
    assert FakeChannel(services).say(said).startswith(starts)
    assert services.store.get_person("u1").level_code is None  # confirmed first, as any level


@pytest.mark.parametrize("said", ["my colleague just got promoted to SW3B", "what do I need to get promoted to SW3B?",
                                  "just got promoted to SW3B, what do I need for SW3C?"])
def test_other_promotion_words_record_nothing(services, said):
    chat = FakeChannel(services)
    text = chat.say(said)
    assert not text.startswith(("Set your level", "Since when have you been")), text[:80]


def test_corrections_of_a_level_or_its_year(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2C since March 2025")
    chat.press("Yes")
    assert chat.say("oops wrong level, im sw2b not sw2c").startswith("Since when have you been SW2B?")
    chat.say("cancel")
    assert chat.say("wrong year, it was 2024").startswith("Set your level to SW2C since 1 March 2024?")
    chat.say("no")
    assert chat.say("it was jan 2024").startswith("Set your level to SW2C since 1 January 2024?")
    chat.press("Yes")
    assert services.store.get_person("u1").level_since == date(2024, 1, 1)
    assert not chat.say("it was a good month").startswith("Set your level")


@pytest.mark.parametrize(("said", "starts"), [
    ("k", "Okay."), ("kk", "Okay."), ("ok cool", "Okay."), ("brill ta", "Okay."), ("sound", "Okay."),
    ("fair enough", "Okay."), ("got it 👍", "Okay."), ("sorry", "No problem."), ("my bad", "No problem."),
    ("sorry?", "Sorry, that didn't answer what you meant."),
])
def test_short_acknowledgements_are_not_searched_for(services, said, starts):
    assert FakeChannel(services).say(said).startswith(starts)


@pytest.mark.parametrize("said", ["sound judgement", "cool down period", "what is grand rounds"])
def test_words_that_acknowledge_inside_questions_are_still_questions(services, said):
    assert not FakeChannel(services).say(said).startswith(("Okay.", "No problem."))


@pytest.mark.parametrize(("said", "since"), [
    ("I've been SW2A for eighteen months, can I apply for B?", "SW2A since 25 May 2025"),  # the tests' today
    ("been a 2a for a year and a half, when can i go for 2b", "SW2A since 25 May 2025"),
    ("I've been SW2A for two and a half years, can I go for SW2B?", "SW2A since 25 May 2024"),
])
def test_a_time_said_in_words_is_worked_out(services, said, since):
    assert f"From what you said: {since}" in FakeChannel(services).say(said)


@pytest.mark.parametrize(("said", "code"), [("im a 2b now", "SW2B"), ("I'm 3a", "SW3A"), ("i'm a 2c", "SW2C")])
def test_a_level_without_its_role_is_recorded_as_a_social_worker_or_senior_level(services, said, code):
    assert FakeChannel(services).say(said).startswith(f"Since when have you been {code}?")


@pytest.mark.parametrize("said", ["I'm 2 a.m. person", "i'm 2a.m. ready", "i'm on 3b", "I moved to team 2b in march",
                                  "btw I joined pod 2c last year"])
def test_times_wards_and_teams_are_not_levels(services, said):
    assert not FakeChannel(services).say(said).startswith("Since when have you been")


def test_the_digest_day_said_is_the_configured_one(services):
    _manager_and_report(services)
    services.router.digest_weekday = 4
    assert "It comes on Fridays" in FakeChannel(services, user="boss").say("when does my digest come?")


@pytest.mark.parametrize("said", ["which gap should i do first", "help me with my gaps",
                                  "how do I get evidence for the first gap?"])
def test_questions_about_ones_gaps_show_them_and_say_the_framework_does_not_rank_them(services, said):
    chat = FakeChannel(services)
    chat.say("I'm SW2B since March 2025")
    chat.press("Yes")
    _complete_assessment(chat, "SW2C")
    text = chat.say(said)
    assert text.startswith("What you still need for SW2C, from your self-assessment") and "Not yet: " in text
    assert "The framework does not rank the criteria" in text


@pytest.mark.parametrize("said", ["is there a gap year?", "what about gaps in my employment?",
                                  "what's the gap between SW2B and SW2C?"])
def test_other_gaps_are_not_the_self_assessments(services, said):
    assert "The framework does not rank the criteria" not in FakeChannel(services).say(said)


# -- the review of the fifth session's rules: messages they must leave alone ---------------------------------
def _boss_with_report(services):
    services.store.upsert_people([
        Person(id="boss", display_name="Sam Boss", level_code="SW4B", level_since=date(2022, 1, 10)),
        Person(id="amy", display_name="Amy Archer", level_code="SW2C", manager_id="boss"),
    ])
    return FakeChannel(services, user="boss")


def test_who_has_no_level_is_private_in_a_channel_and_not_a_diploma_question(services):
    boss = _boss_with_report(services)
    msg = Incoming(channel="test", user_id="boss", conversation_id="team-channel",
                   text="who hasn't got a level recorded?", is_direct=False)
    text = "\n".join(r.plain_text() for r in services.router.handle(msg))
    assert text.startswith("I'll answer that in a private chat.") and "Amy" not in text
    assert "Amy" not in boss.say("can anyone without a level 3 diploma apply to be a social care officer?")


@pytest.mark.parametrize("said", ["no, not 2 weeks", "dont snooze for a month", "not monday",
                                  "i'm on leave from friday", "what happens in 2 weeks"])
def test_a_no_or_a_question_after_until_when_snoozes_nothing(services, said):
    chat = FakeChannel(services)
    chat.say("snooze")
    chat.say(said)
    assert services.store.get_person("u1").prefs.snoozed_until is None


@pytest.mark.parametrize("said", ["thanks, remind me again on monday what the SW2C evidence is",
                                  "can you remind me again what PCF stands for",
                                  "could you remind me on what date I started"])
def test_remind_me_what_is_a_question_not_a_snooze(services, said):
    chat = FakeChannel(services)
    text = chat.say(said)
    assert not text.startswith(("Until when", "Reminders snoozed"))
    assert services.store.get_person("u1").prefs.snoozed_until is None


@pytest.mark.parametrize("said", ["Amy's supervision moved to friday", "group supervision has been moved to 12 January",
                                  "my student's supervision moved to thursday", "did I cancel my supervision reminder",
                                  "I didn't cancel my supervision reminder but it never came",
                                  "stop supervision reminders for Amy"])
def test_someone_elses_supervision_or_a_question_changes_nothing(services, said):
    boss = _boss_with_report(services)
    person = services.store.get_person("boss")
    person.prefs.next_supervision, person.prefs.supervision_reminder_days = date(2026, 12, 29), 5
    services.store.upsert_person(person)
    boss.say(said)
    prefs = services.store.get_person("boss").prefs
    assert (prefs.next_supervision, prefs.supervision_reminder_days) == (date(2026, 12, 29), 5)


@pytest.mark.parametrize("said", ["do I need to delete all my old evidence before applying for SW2C?",
                                  "if I leave will you delete everything?", "please don't delete everything",
                                  "wipe all the answers and start again"])
def test_delete_all_inside_other_sentences_starts_no_deletion(services, said):
    assert not FakeChannel(services).say(said).startswith("Delete everything careerbot holds about you?")


@pytest.mark.parametrize("said", ["I've stepped up to SW3A temporarily while my senior is off sick",
                                  "I was promoted to SW2C by mistake", "I passed my sw2c panel but it was overturned",
                                  "I've been promoted to SW2C, starting in January"])
def test_news_that_is_not_a_promotion_now_records_nothing(services, said):
    assert not FakeChannel(services).say(said).startswith(("Set your level", "Since when have you been"))


def test_a_wait_is_not_a_time_at_a_level_and_someone_elses_time_offers_no_save(services):
    services.store.upsert_people([Person(id="u1", display_name="Raj", level_code="SW2B",
                                         level_since=date(2024, 5, 1))])
    chat = FakeChannel(services)
    text = chat.say("been waiting for a year and a half to apply for SW2C, how long do I need at SW2B?")
    assert "From what you said" not in text
    chat.say("I've been supervising a student who's been SW2A for a year, when can he go for SW2B?")
    assert not any(c.label.startswith("Save") for r in chat.last for c in r.choices)


@pytest.mark.parametrize("said", ["my manager wants me to apply, how long before I can apply for SW2C?",
                                  "my partner is pregnant, how long before I can go for SW2C?",
                                  "work's been mad lately, how long before I can go for SW2C?"])
def test_ones_own_question_with_someone_else_in_it_keeps_ones_own_date(services, said):
    services.store.upsert_people([Person(id="u1", display_name="Raj", level_code="SW2B",
                                         level_since=date(2024, 5, 1))])
    assert "For you" in FakeChannel(services).say(said)


@pytest.mark.parametrize("said", ["where is my self-assessment?", "where are my check-ins?"])
def test_where_are_my_records_lists_them(services, said):
    assert FakeChannel(services).say(said).startswith("You haven't completed a self-assessment or check-in yet.")


@pytest.mark.parametrize("said", ["how can I keep up with CPD?", "how do I keep my registration with Social Work "
                                  "England?", "do I have to keep my case notes", "can I keep my caseload when I'm "
                                  "promoted"])
def test_keeping_other_things_is_not_about_saving_a_self_assessment(services, said):
    assert not FakeChannel(services).say(said).startswith("Your self-assessment is saved as you go.")


@pytest.mark.parametrize("said", ["who becomes eligible for progression under the framework, is it automatic?",
                                  "if I go for SW3A, does it come with out of hours work?",
                                  "when's the next supervision training?"])
def test_framework_questions_near_team_reminder_and_supervision_words(services, said):
    text = _boss_with_report(services).say(said)
    assert not text.startswith(("Who has the time in level", "Your reminders", "Your next supervision",
                                "I don't have a date for your next supervision"))


def test_the_digest_explained_in_a_channel_and_how_long_a_self_assessment_takes(services):
    msg = Incoming(channel="test", user_id="u1", conversation_id="team-channel", text="what is the digest?",
                   is_direct=False)
    text = "\n".join(r.plain_text() for r in services.router.handle(msg))
    assert not text.startswith("I'll change your reminders in a private chat.")
    chat = FakeChannel(services)
    chat.say("self-assessment for SW3B")
    assert "12 months at SW3A before SW3B" not in chat.say("how long will this take?")


def test_a_reminder_for_ones_own_task_is_declined_and_changes_nothing(services):
    chat = FakeChannel(services)
    assert chat.say("remind me next week to bring my certificates").startswith(
        "I can't set reminders for things of your own.")
    assert services.store.get_person("u1").prefs.snoozed_until is None
    assert "snoozed until 5 January 2027" in chat.say("snooze to 5 January")


@pytest.mark.parametrize("said", ["I'm not SW2C, I'm SW2B", "sorry i meant sw2b", "wrong level, should be sw2b"])
def test_more_corrections_of_a_level(services, said):
    chat = FakeChannel(services)
    chat.say("I'm SW2C since March 2025")
    chat.press("Yes")
    assert chat.say(said).startswith("Since when have you been SW2B?")


@pytest.mark.parametrize(("first", "then", "starts"), [
    ("what do I need for SW3B?", "ok what about C", "What the framework asks for SW3C"),
    ("evidence for SW3C", "fair enough but why 18?", "Where “18” comes from"),
])
def test_an_acknowledgement_before_a_follow_up_keeps_the_follow_up(services, first, then, starts):
    chat = FakeChannel(services)
    chat.say(first)
    assert chat.say(then).startswith(starts)


def test_a_plain_yes_in_other_words_confirms_a_level(services):
    chat = FakeChannel(services)
    chat.say("I'm SW2A since 1 May 2024")
    assert chat.say("ok save that").startswith("Done: your level is SW2A")


def test_my_mate_is_someone_else(services):
    services.store.upsert_people([Person(id="u1", display_name="Raj", level_code="SW2A",
                                         level_since=date(2025, 5, 26))])
    assert "For you" not in FakeChannel(services).say("how long has my mate got left before SW2B")
