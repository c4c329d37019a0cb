# ruff: noqa: F811 - pytest fixtures imported from test_dialogs are used as arguments
"""How the dialogs read typed answers: negated and hedged ratings, a note on the same line as the rating,
questions and commands typed at a free-text step, cancelling after answers, and a supervision reminder that
would fall on a day reminders are not sent. Real framework data, a real SQLite store on a temporary file."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.conversation import Incoming
from bot.reminders import SUPERVISION, reminder_plan
from dialogs import DialogRunner
from dialogs.pack import export_assessment, to_markdown
from dialogs.words import dialog_command, global_word, rating, rating_with_note

# The store and framework fixtures are test_dialogs' own (a real SQLite file per test, the shipped framework).
from tests.test_dialogs import (  # noqa: F401
    Chat,
    Clock,
    answer_all,
    assert_polite,
    db_path,
    knowledge,
    router_say,
    store,
)

NOV_26 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # a Thursday


@pytest.fixture
def clock():
    return Clock(NOV_26)


@pytest.fixture
def runner(store, knowledge, clock):
    return DialogRunner(store=store, knowledge=knowledge, clock=clock)


def _first_uid(chat: Chat) -> str:
    return chat.state()["data"]["items"][0]["uid"]


def _sw2c(chat: Chat) -> None:
    chat.start("self_assessment", level="SW2C")
    assert chat.meta()["progress"] == "1 of 14"


# -- 1. negation and hedges -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "not fully", "not completely", "not entirely met", "met but not fully", "not 100%", "yes and no", "mostly",
    "sort of", "not quite", "haven't fully met it", "I wouldn't say fully", "met, but not fully",
    "yes but not always", "Not fully met", "only partly", "met-ish", "most of it",
])
def test_hedged_and_negated_met_is_partly(typed):
    assert rating(typed) == "partly"


@pytest.mark.parametrize("typed", [
    "I don't think I have met this", "I wouldn't say met", "haven't met", "I haven't met this",
    "I have not met this yet", "I don't think so", "not at all", "I've not met it", "I haven't done this",
    "no, not really",
])
def test_a_denied_met_is_not_yet(typed):
    assert rating(typed) == "not_yet"


@pytest.mark.parametrize("typed,expected", [
    ("met", "met"), ("yes", "met"), ("I have met this", "met"), ("definitely met", "met"), ("fully met", "met"),
    ("met it fully", "met"), ("Met, I think", "met"), ("yes I have", "met"), ("not sure I have met it", "not_sure"),
    ("doesn't apply to my post", "na"), ("yes, partly", "partly"),
])
def test_plain_ratings_still_read(typed, expected):
    assert rating(typed) == expected


@pytest.mark.parametrize("typed", [
    "I have to go", "I have to think about it", "let me think about it", "yes, no", "I have some experience",
    "I think so", "I can do this",
])
def test_what_cannot_be_read_confidently_is_not_a_rating(typed):
    assert rating(typed) is None


@pytest.mark.parametrize("typed", ["I have to go", "gotta go", "I've got to go", "I need to go"])
def test_having_to_go_is_pause(typed):
    assert global_word(typed) == "pause"


@pytest.mark.parametrize("typed,expected", [
    ("not fully", "partly"), ("not completely", "partly"), ("not entirely met", "partly"),
    ("met but not fully", "partly"), ("not 100%", "partly"), ("I don't think I have met this", "not_yet"),
    ("I wouldn't say met", "not_yet"), ("yes and no", "partly"), ("mostly", "partly"), ("sort of", "partly"),
    ("haven't met", "not_yet"),
])
def test_the_qa_phrases_are_recorded_as_said(runner, typed, expected):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say(typed)
    st = chat.state()
    assert st["data"]["answers"][_first_uid(chat)]["rating"] == expected
    assert st["data"]["phase"] == "note"


@pytest.mark.parametrize("typed", ["i dont want to do this anymore", "I don't want to continue this assessment",
                                   "i give up", "I'm done with this"])
def test_giving_up_asks_before_discarding_and_records_no_rating(runner, typed):
    # "i dont want to do this anymore" was recorded as Not yet
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("met")
    chat.say("skip")  # the note: one answer is kept, then the second criterion is asked
    chat.say(typed)
    answers = chat.state()["data"]["answers"]
    assert [a["rating"] for a in answers.values()] == ["met"]  # the give-up was not recorded as a rating
    assert "Keep my answers and pause" in chat.text() and "Discard my answers" in chat.text()


@pytest.mark.parametrize("typed", ["definitely not", "absolutely not", "of course not"])
def test_an_emphatic_no_is_not_yet(typed):
    assert rating(typed) == "not_yet"


@pytest.mark.parametrize("typed", ["I don't want to share it", "I don't want to do home visits alone yet",
                                   "I don't want to do this one", "I don't want to do the AMHP"])
def test_not_wanting_something_else_is_not_giving_up(typed):
    assert global_word(typed) is None


def test_i_have_to_go_pauses_and_records_nothing(runner):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("I have to go")
    st = chat.state()
    assert st["status"] == "paused" and st["data"]["answers"] == {}
    assert "Paused." in chat.text()


def test_i_have_to_think_about_it_is_not_recorded_and_says_skip_or_pause_are_fine(runner):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("I have to think about it")
    st = chat.state()
    assert st["data"]["answers"] == {} and st["data"]["pos"] == 0 and st["status"] == "active"
    text = chat.text()
    assert "That's fine" in text and "“skip”" in text and "“pause”" in text
    assert "didn't catch" not in text  # it was understood


@pytest.mark.parametrize("typed", ["yes, no", "Met but I need the certificate", "I can do this"])
def test_an_unclear_rating_is_asked_again(runner, typed):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say(typed)
    st = chat.state()
    assert st["data"]["answers"] == {} and st["data"]["pos"] == 0 and st["data"]["phase"] == "rate"
    assert "Please choose Met, Partly, Not yet or Not sure" in chat.text()


# -- 2. the note on the same line ----------------------------------------------------------------------------

@pytest.mark.parametrize("typed,expected", [
    ("Partly: co-chaired only", ("partly", "co-chaired only")),
    ("Met - I have 4 years PQE", ("met", "I have 4 years PQE")),
    ("Met – I have 4 years PQE", ("met", "I have 4 years PQE")),
    ("Partly, see my BIA certificate", ("partly", "see my BIA certificate")),
    ("Partly co-chaired only", ("partly", "co-chaired only")),
    ("Met (see supervision notes)", ("met", "see supervision notes")),
    ("Not yet, but I'm booked on the course in May", ("not_yet", "but I'm booked on the course in May")),
    ("not fully - I've co-chaired once", ("partly", "I've co-chaired once")),
    ("yes, partly", ("partly", None)),
    ("met, but not fully", ("partly", None)),
    ("met - not 100%", ("partly", None)),
    ("no, not really", ("not_yet", None)),
    ("Met, I think", ("met", None)),
    ("partly met", ("partly", None)),
    ("Not sure, what is MCA?", ("not_sure", None)),  # a question is not a note of evidence
    ("Met but I need the certificate", (None, None)),  # not plainly Met: asked again
])
def test_rating_with_note(typed, expected):
    assert rating_with_note(typed) == expected


@pytest.mark.parametrize("typed,expected", [
    ("Partly: co-chaired only", ("partly", "co-chaired only")),
    ("Met - I have 4 years PQE", ("met", "I have 4 years PQE")),
    ("Partly, see my BIA certificate", ("partly", "see my BIA certificate")),
])
def test_a_note_typed_with_the_rating_is_kept_said_back_and_not_asked_for_again(runner, typed, expected):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    uid = _first_uid(chat)
    chat.say(typed)
    st = chat.state()
    assert st["data"]["answers"][uid] == {"rating": expected[0], "evidence": expected[1]}
    assert st["data"]["phase"] == "rate" and st["data"]["pos"] == 1  # no "add a note" question
    text = chat.text()
    label = {"met": "Met", "partly": "Partly"}[expected[0]]
    assert f"Recorded {label}, with your note: “{expected[1]}”." in text
    assert "Add a note of your evidence" not in text


@pytest.mark.parametrize(("rating", "typed", "expected", "said"), [
    ("not yet", "Partly - did one audit", {"rating": "partly", "evidence": "did one audit"}, "changed your rating"),
    ("partly", "Partly: did one audit", {"rating": "partly", "evidence": "did one audit"}, None),
    ("met", "Met with my manager weekly", {"rating": "met", "evidence": "Met with my manager weekly"}, None),
    ("met", "partly tbh, chaired 2 mtgs", {"rating": "partly", "evidence": "chaired 2 mtgs"}, "changed your rating"),
])
def test_a_rating_typed_at_the_note_step_is_the_rating_and_the_rest_the_note(runner, rating, typed, expected, said):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    uid = _first_uid(chat)
    chat.say(rating)
    chat.say(typed)
    assert chat.state()["data"]["answers"][uid] == expected
    assert (said in chat.text()) if said else ("changed your rating" not in chat.text())


@pytest.mark.parametrize("typed", ["sure", "ok", "Fine."])
def test_an_acknowledgement_at_the_note_step_is_not_kept_as_evidence(runner, typed):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    uid = _first_uid(chat)
    chat.say("met")
    chat.say(typed)
    assert chat.state()["data"]["answers"][uid] == {"rating": "met"} and chat.state()["data"]["phase"] == "note"
    assert "as a note of evidence" in chat.text()


@pytest.mark.parametrize("rating", ["met", "partly"])
@pytest.mark.parametrize("typed", ["nah not really", "no evidence yet", "I haven't got any"])
def test_a_no_at_the_note_step_after_met_is_asked_about_never_kept_as_evidence(runner, rating, typed):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    uid = _first_uid(chat)
    chat.say(rating)
    chat.say(typed)
    st = chat.state()
    assert "evidence" not in st["data"]["answers"][uid] and st["data"]["phase"] == "note"  # still at the note
    assert "To change the rating, say “back”; if you have no note to add, say skip." in chat.text()
    chat.say("skip")
    assert chat.state()["data"]["answers"][uid] == {"rating": rating}


def test_a_no_at_the_note_step_after_not_yet_is_no_note(runner):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    uid = _first_uid(chat)
    chat.say("not yet")
    chat.say("no evidence yet")
    assert chat.state()["data"]["answers"][uid] == {"rating": "not_yet"} and "as no note" in chat.text()
    assert chat.state()["data"]["pos"] == 1


def test_the_note_typed_with_the_rating_reaches_the_supervision_pack(runner, store, knowledge):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("Partly: co-chaired only")
    answer_all(chat, ["met"])
    record = store.list_records("u3", "assessment")[0]
    item = next(i for i in record["data"]["items"] if i["evidence"])
    assert (item["rating"], item["evidence"]) == ("partly", "co-chaired only")
    md = to_markdown(record, store.get_person("u3"), knowledge)
    assert "Evidence: co-chaired only" in md


# -- 3. questions and commands at a free-text step -------------------------------------------------------------

def _router(store, knowledge, clock):
    return router_say(store, knowledge, clock, user="u3")


def _text(replies) -> str:
    return "\n".join(r.plain_text() for r in replies)


@pytest.mark.parametrize("typed", ["prepare for supervision", "I want to prepare for supervision", "check-in",
                                   "check in please"])
def test_a_checkin_command_at_a_checkin_answer_is_not_saved(runner, typed):
    chat = Chat(runner, "u3")
    chat.start("checkin")
    chat.say(typed)
    st = chat.state()
    assert st["data"]["answers"] == {} and st["data"]["pos"] == 0
    text = chat.text()
    assert "is already open (question 1 of 5)" in text and "haven't kept" in text and "“pause”" in text
    assert "What has gone well" in chat.last[-1].title  # the question again
    assert_polite(chat.last)


def test_assess_me_at_a_checkin_answer_offers_the_switch_and_saves_nothing(runner):
    chat = Chat(runner, "u3")
    chat.start("checkin")
    chat.say("assess me")
    st = chat.state()
    assert st["data"]["answers"] == {} and st["pending_start"]["name"] == "self_assessment"
    assert "abandon it and start the self-assessment" in chat.text()
    chat.press("Carry on with it")
    assert "What has gone well" in chat.last[-1].title


def test_a_question_at_a_checkin_answer_is_answered_and_the_question_asked_again(store, knowledge, clock):
    say = _router(store, knowledge, clock)
    say("check-in")
    for answer in ("a good month", "workload"):
        say(answer)
    replies = say("what does AMHP stand for?")  # at "What do you need from your manager?"
    text = _text(replies)
    assert "Approved Mental Health Professional" in text  # answered as a framework question...
    assert "What do you need from your manager" in replies[-1].title  # ...then the same question again
    assert "haven't kept it as your answer" in text
    state = store.load_dialog(Incoming(channel="console", user_id="u3", conversation_id="console")
                              .conversation_key)[0]
    assert "needs" not in state["data"]["answers"]
    say("Time to shadow a panel")
    say("skip")  # the next supervision
    record = store.list_records("u3", "checkin")[0]["data"]
    assert record["needs"] == "Time to shadow a panel"
    assert "AMHP" not in str(record)


def test_a_question_at_the_evidence_note_is_answered_not_kept_as_evidence(store, knowledge, clock):
    say = _router(store, knowledge, clock)
    say("self-assessment for SW2C")
    say("met")
    replies = say("What is the difference between SW2B and SW2C?")
    assert "Add a note of your evidence" in _text(replies[-1:])  # the note step again
    key = Incoming(channel="console", user_id="u3", conversation_id="console").conversation_key
    state = store.load_dialog(key)[0]
    assert state["data"]["phase"] == "note"
    assert "evidence" not in state["data"]["answers"][state["data"]["items"][0]["uid"]]


@pytest.mark.parametrize("said", ["hang on whats the difference between sw2b and sw2c",
                                  "wait, what does AMHP stand for", "do i need a BIA for SW2C"])
def test_a_question_without_its_question_mark_at_the_note_is_answered_not_kept(store, knowledge, clock, said):
    say = _router(store, knowledge, clock)
    say("self-assessment for SW2C")
    say("not sure")
    replies = say(said)
    assert "send it again with “note:” in front" in _text(replies)
    key = Incoming(channel="console", user_id="u3", conversation_id="console").conversation_key
    state = store.load_dialog(key)[0]
    uid = state["data"]["items"][0]["uid"]
    assert state["data"]["phase"] == "note" and "evidence" not in state["data"]["answers"][uid]
    say(f"note: {said}")  # meant as the note after all
    state = store.load_dialog(key)[0]
    assert state["data"]["answers"][uid]["evidence"] == said and state["data"]["phase"] == "rate"


@pytest.mark.parametrize("said", ["what I did was explain SW2C's duties to a student",
                                  "how I handled a complex safeguarding case at SW2B", "why I think so: my SW2C audit",
                                  "can I talk about the SW2C audit I did"])
def test_a_note_that_opens_like_a_question_is_kept(store, knowledge, clock, said):
    state, uid = _after_a_note(store, knowledge, clock, said)
    assert state["data"]["answers"][uid]["evidence"] == said


def _after_a_note(store, knowledge, clock, said):
    """An SW2C self-assessment through the router, its first criterion rated Met, then ``said`` at the note:
    the dialog's state and that criterion's uid."""
    say = _router(store, knowledge, clock)
    say("self-assessment for SW2C")
    say("met")
    say(said)
    state = store.load_dialog(Incoming(channel="console", user_id="u3", conversation_id="console")
                              .conversation_key)[0]
    return state, state["data"]["items"][0]["uid"]


@pytest.mark.parametrize("said", ["no, keep my data", "never mind", "forget it", "nah"])
def test_no_to_another_dialog_carries_on_with_the_open_one(runner, said):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("met")
    chat.say("delete my data")
    assert [c.label for c in chat.last[-1].choices] == ["Carry on with it", "Start the request to delete your data"]
    chat.say(said)
    st = chat.state()
    assert st["dialog"] == "self_assessment" and not st.get("pending_start") and "carrying on" in chat.text()


def test_pause_at_the_switch_question_pauses_the_open_one_and_its_button_label_can_be_typed(runner):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("met")
    chat.say("delete my data")
    chat.say("pause")
    st = chat.state()
    assert st["status"] == "paused" and not st.get("pending_start") and "Paused." in chat.text()
    chat.say("resume")
    chat.say("assess me for SW3B")  # another level, at the note: asked, never kept as the note
    assert "evidence" not in chat.state()["data"]["answers"][_first_uid(chat)]
    assert chat.state()["pending_start"] == {"name": "self_assessment", "args": {"level": "SW3B"}}
    chat.say("start the new one")
    assert chat.state()["data"]["target"] == "SW3B"


def test_commands_at_the_evidence_note_are_not_kept_as_evidence(runner):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("met")
    chat.say("assess me")
    st = chat.state()
    assert "evidence" not in st["data"]["answers"][_first_uid(chat)] and st["data"]["phase"] == "note"
    assert "is already open (question 1 of 14)" in chat.text()
    chat.say("self-assessment for SW3B")  # another level: the usual carry on or start the new one
    assert chat.state()["pending_start"] == {"name": "self_assessment", "args": {"level": "SW3B"}}
    chat.press("Carry on with it")
    chat.say("I had a check-in with my manager about it")  # words that merely mention a command are a note
    st = chat.state()
    assert st["data"]["answers"][_first_uid(chat)]["evidence"] == "I had a check-in with my manager about it"


def test_an_answer_without_the_question_mark_is_kept(runner):
    chat = Chat(runner, "u3")
    chat.start("checkin")
    chat.say("Should I apply for SW3A")
    assert chat.state()["data"]["answers"]["went_well"] == "Should I apply for SW3A"


@pytest.mark.parametrize("typed,expected", [
    ("assess me", "self_assessment"), ("self-assessment for SW2C", "self_assessment"),
    ("I want to prepare for supervision", "checkin"), ("check-in", "checkin"), ("download my pack", "pack_latest"),
    ("download the check-in note", "pack_latest"), ("I had a check-in with my manager", None),
    ("the supervision went well", None), ("assessment for the AMHP case", None),
])
def test_dialog_command_is_the_whole_message(typed, expected):
    assert dialog_command(typed) == expected


# -- 4. cancelling after answers -------------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["cancel", "quit", "exit"])
def test_cancel_after_answers_asks_first_and_keep_pauses(runner, store, word):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("Partly: co-chaired only")
    chat.say("met")
    chat.say(word)
    assert chat.state() is not None and chat.meta()["phase"] == "confirm_cancel"
    assert [c.label for c in chat.last[-1].choices] == ["Keep my answers and pause", "Discard my answers", "Carry on"]
    assert "you've given 2 answers" in chat.text()
    chat.press("Keep my answers and pause")
    st = chat.state()
    assert st["status"] == "paused" and len(st["data"]["answers"]) == 2
    assert store.list_records("u3", "assessment")[0]["data"]["status"] == "paused"
    chat.say("resume")
    assert chat.state()["status"] == "active" and chat.meta()["progress"] == "2 of 14"


def test_carry_on_goes_back_to_the_question(runner):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("met")
    chat.say("skip")
    chat.say("quit")
    chat.say("carry on")
    st = chat.state()
    assert st["status"] == "active" and "confirm_cancel" not in st and chat.meta()["progress"] == "2 of 14"


def test_cancel_with_no_answers_stops_at_once(runner):
    chat = Chat(runner, "u3")
    chat.start("checkin")
    chat.say("cancel")
    assert chat.state() is None and "stopped your supervision check-in" in chat.text()


def test_the_cancel_question_survives_a_restart_and_cancel_again_discards_nothing(runner, store, knowledge,
                                                                                   clock):
    chat = Chat(runner, "u3")
    chat.start("checkin")
    chat.say("a good month")
    chat.say("exit")
    assert chat.state()["confirm_cancel"] is True
    again = Chat(DialogRunner(store=store, knowledge=knowledge, clock=clock), "u3")  # a new process
    again.say("cancel")  # not one of the three answers: asked again, nothing thrown away
    assert again.state()["data"]["answers"] == {"went_well": "a good month"}
    assert "Choose “Keep my answers”, “Discard my answers” or “Carry on”" in again.text()
    stale = again.choice("Discard my answers").value
    again.press("Carry on")
    again.say("", stale)  # a button from the earlier question does nothing
    assert again.state()["data"]["answers"] == {"went_well": "a good month"}


@pytest.mark.parametrize("typed, status, answers_kept", [
    ("no, carry on", "active", True), ("no", "active", True), ("nope, keep going", "active", True),
    ("yes", "paused", True), ("yes cancel it", "paused", True), ("ok, stop please", "paused", True),
    ("no, discard them", None, False),
])
def test_a_yes_or_no_to_the_cancel_question(runner, store, typed, status, answers_kept):
    chat = Chat(runner, "u3")
    chat.start("checkin")
    chat.say("a good month")
    chat.say("cancel")
    chat.say(typed)
    st = chat.state()
    assert (st["status"] if st else None) == status, chat.text()
    if st:
        assert "confirm_cancel" not in st and (st["data"]["answers"] == {"went_well": "a good month"}) is answers_kept


def test_discard_after_a_pause_deletes_the_saved_draft(runner, store):
    chat = Chat(runner, "u3")
    chat.start("self_assessment", level="SW2B")  # an earlier, finished assessment stays whatever happens
    while chat.state() is not None:
        chat.say("met")
    finished = store.list_records("u3", "assessment")
    assert len(finished) == 1 and finished[0]["data"]["status"] == "complete"
    _sw2c(chat)
    chat.say("Met - I have 4 years PQE")
    chat.say("pause")
    assert store.list_records("u3", "assessment")[0]["data"]["items"][0]["evidence"] == "I have 4 years PQE"
    chat.say("cancel")  # while paused
    assert "Keep my answers" in [c.label for c in chat.last[-1].choices]
    chat.say("discard them")
    assert chat.state() is None and "discarded your 1 answer" in chat.text()
    assert [r["id"] for r in store.list_records("u3", "assessment")] == [finished[0]["id"]]
    name, md = export_assessment(store, chat.runner.knowledge, "u3", fmt="md")
    assert "4 years PQE" not in md.decode()


# -- 5. a reminder is promised for a working day ---------------------------------------------------------------

def _checkin_to_reminder(chat: Chat, when: str) -> None:
    chat.start("checkin")
    for said in ("a good month", "workload", "time"):
        chat.say(said)
    chat.say(when)
    assert "A reminder?" in chat.last[-1].title


def test_only_reminders_after_today_are_offered_before_a_supervision_soon(runner):
    chat = Chat(runner, "u3")
    _checkin_to_reminder(chat, "1 December")  # in 5 days
    assert [c.label for c in chat.last[-1].choices][:3] == ["1 day before", "3 days before", "No reminder"]
    chat.say("7 days")
    assert "7 days before 1 December 2026 is today or already past" in chat.text()
    assert chat.state()["data"].get("reminder_days") is None
    chat.say("yes please")  # the middle option, which fits
    assert "3 days before, the middle option" in chat.text()
    other = Chat(runner, "u1")
    _checkin_to_reminder(other, "27 November")  # tomorrow: no day before it is after today
    assert [c.label for c in other.last[-1].choices][:1] == ["No reminder"]
    assert "too soon for a reminder" in other.last[-1].plain_text()


def test_a_reminder_that_would_fall_on_a_saturday_is_promised_for_the_friday(runner, store, knowledge):
    chat = Chat(runner, "u3")
    _checkin_to_reminder(chat, "14 December")
    chat.say("2 days before")
    text = chat.text()
    assert "I'll remind you on Friday 11 December 2026: 2 days before is Saturday 12 December 2026, and " \
           "reminders are only sent on working days." in text
    assert "12 December 2026 (" not in text and "remind you on 12 December" not in text
    person = store.get_person("u3")
    assert person.prefs.next_supervision == date(2026, 12, 14)
    # the scheduler's own plan sends it on the Friday promised
    [planned] = [p for p in reminder_plan(knowledge, person, date(2026, 11, 26)) if p.kind == SUPERVISION]
    assert planned.due == date(2026, 12, 11)
    record = store.list_records("u3", "checkin")[0]["data"]
    assert record["reminder_on"] == "2026-12-11"
    assert "14 December 2026 (reminder on Friday 11 December 2026)" in text


def test_a_reminder_that_would_fall_on_bank_holidays_goes_before_them(runner, store, knowledge):
    chat = Chat(runner, "u3")
    _checkin_to_reminder(chat, "29 December")
    chat.say("3 days")  # Saturday 26 December; Boxing Day is then Monday 28, Christmas Day Friday 25
    text = chat.text()
    assert "I'll remind you on Thursday 24 December 2026: 3 days before is Saturday 26 December 2026" in text
    person = store.get_person("u3")
    [planned] = [p for p in reminder_plan(knowledge, person, date(2026, 11, 26)) if p.kind == SUPERVISION]
    assert planned.due == date(2026, 12, 24)


def test_a_reminder_on_a_working_day_is_promised_as_asked(runner, store):
    chat = Chat(runner, "u3")
    _checkin_to_reminder(chat, "16 December")
    chat.press("1 day before")
    assert "I'll remind you on Tuesday 15 December 2026, 1 day before." in chat.text()
    assert store.get_person("u3").prefs.supervision_reminder_days == 1


def test_no_working_day_left_before_the_supervision_says_so(store, knowledge):
    saturday = Clock(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    chat = Chat(DialogRunner(store=store, knowledge=knowledge, clock=saturday), "u3")
    _checkin_to_reminder(chat, "30 November")  # Monday; the day before is Sunday, and Friday has gone
    chat.press("1 day before")
    assert "There is no working day between now and then" in chat.text()


# -- 6. wording ------------------------------------------------------------------------------------------------

def test_a_date_that_has_passed_is_not_called_not_caught(runner):
    chat = Chat(runner, "u3")
    chat.start("checkin")
    for said in ("a good month", "workload", "time"):
        chat.say(said)
    chat.say("25 November 2026")
    text = chat.text()
    assert "25 November 2026 has already passed. Please give the date" in text and "didn't catch" not in text


def test_the_options_are_not_called_buttons(runner):
    chat = Chat(runner, "u3")
    _checkin_to_reminder(chat, "16 December")
    chat.say("whenever")
    assert "Choose one of the options" in chat.text() and "buttons" not in chat.text()


def test_a_paused_dialog_is_described_once_as_paused(runner):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("met")
    chat.say("skip")
    chat.say("pause")
    chat.start("checkin")
    title = chat.last[-1].title
    assert title == "You have your self-assessment for SW2C from 26 November paused at question 2 of 14."
    assert "open (paused)" not in chat.text()


def test_a_yes_or_no_at_the_start_of_a_note_is_part_of_the_note(runner):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    uid = _first_uid(chat)
    chat.say("met")
    chat.say("No, I'll add it later")
    assert chat.state()["data"]["answers"][uid] == {"rating": "met", "evidence": "No, I'll add it later"}


def test_a_bare_different_rating_at_the_note_step_is_asked_about_not_dropped(runner):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    uid = _first_uid(chat)
    chat.say("met")
    chat.say("partly")
    assert "You rated this one Met. To change it to Partly, say “back”" in chat.text()
    assert chat.state()["data"]["answers"][uid] == {"rating": "met"} and chat.state()["data"]["pos"] == 0
    chat.say("met")  # the same rating again: no note, on to the next
    assert chat.state()["data"]["pos"] == 1


@pytest.mark.parametrize("typed", ["I have evidence for this", "got it", "I have one"])
def test_a_positive_note_after_met_is_kept(runner, typed):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    uid = _first_uid(chat)
    chat.say("met")
    chat.say(typed)
    assert chat.state()["data"]["answers"][uid] == {"rating": "met", "evidence": typed}


def test_at_the_note_what_does_this_mean_explains_the_criterion_too(runner):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("met")
    chat.say("what does this mean?")
    text = chat.text()
    assert "This criterion is from Social Worker career progression framework" in text
    assert "Type a line about your evidence" in text and chat.state()["data"]["phase"] == "note"


@pytest.mark.parametrize("said", ["no idea what this is tbh", "i don't understand this one"])
def test_no_idea_at_the_note_is_not_kept_as_evidence(runner, said):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("met")
    chat.say(said)
    st = chat.state()
    assert "evidence" not in st["data"]["answers"][_first_uid(chat)] and st["data"]["phase"] == "note"
    assert "rate it Not sure" in chat.text()


def test_a_note_that_starts_no_but_is_evidence_is_kept(runner):
    chat = Chat(runner, "u3")
    _sw2c(chat)
    chat.say("met")
    chat.say("I don't know if it counts, but I chaired two complex case conferences in June")
    assert chat.state()["data"]["answers"][_first_uid(chat)]["evidence"].startswith("I don't know if it counts")


def test_a_question_about_this_level_in_a_self_assessment_is_about_its_level(store, knowledge, clock):
    say = _router(store, knowledge, clock)
    say("self-assessment for SW3A")
    say("met")
    replies = say("what counts as evidence for this?")
    assert replies[0].title.startswith("Evidence for SW3A")
    assert "Add a note of your evidence" in _text(replies[-1:])


@pytest.mark.parametrize("said", ["what counts as evidence for this", "can you give me an example",
                                  "how do i word this", "is this saved", "sound"])
def test_questions_and_acknowledgements_at_the_note_are_not_kept_as_evidence(store, knowledge, clock, said):
    state, uid = _after_a_note(store, knowledge, clock, said)
    assert state["data"]["phase"] == "note" and "evidence" not in state["data"]["answers"][uid]
