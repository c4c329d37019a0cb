"""Questions said briefly or left open by the documents: levels without their role ("3b", "senior b"), a topic
word with a role ("safeguarding for sw2"), CPD hours, an informal "straight to team manager", and a return after
a career break."""

from __future__ import annotations

import pytest

from bot.answers.engine import AnswerEngine
from bot.answers.questions import parse
from bot.knowledge.loader import load_knowledge


@pytest.fixture(scope="module")
def engine():
    return AnswerEngine(load_knowledge())


def _levels(text: str) -> list[tuple[str, str]]:
    return [(r, lv) for r, lv, _ in parse(text).levels]


# -- a level without its role ------------------------------------------------------------------------
@pytest.mark.parametrize("question, levels", [
    ("whats needed for level 3b", [("SW3", "B")]),
    ("what do i need for a 2c", [("SW2", "C")]),
    ("whats the minimum time at 3a before 3b", [("SW3", "A"), ("SW3", "B")]),
    ("how long do i have left at 2b", [("SW2", "B")]),
    ("been a 2a for a year and a half, when can i go for 2b", [("SW2", "A"), ("SW2", "B")]),
    ("what's the diff between 2b and 2c", [("SW2", "B"), ("SW2", "C")]),
    ("level 3 b", [("SW3", "B")]),
    ("what are 2b's requirements", [("SW2", "B")]),
    ("sw three b", [("SW3", "B")]),
    ("senior b requirements", [("SW3", "B")]),
    ("team manager c evidence", [("SW4", "C")]),
    ("what do i need for 4b", [("SCO", "B")]),  # still the Social Care Officer's
])
def test_a_level_without_its_role_is_read(question, levels):
    assert _levels(question) == levels


@pytest.mark.parametrize("question", [
    "i have 2 b honest", "see page 3a of the guide", "is section 2b of the MHA in it", "supervision is at 3a.m.",
    "what is PCF 2", "is it 3am", "I was an sw two years ago", "flat 2c is my address", "domain 3a",
    "year 2a", "is being a senior b etter", "as a senior a lot changes", "2 a week", "kr 3a", "3ab", "2b'd",
])
def test_a_number_and_letter_elsewhere_is_not_a_level(question):
    assert _levels(question) == []


@pytest.mark.parametrize("question, title", [
    ("whats needed for level 3b", "What the framework asks for SW3B (Practising)"),
    ("what do i need for a 2c", "What the framework asks for SW2C (Accomplished)"),
    ("whats the minimum time at 3a before 3b", "At least 12 months at SW3A before SW3B."),
    ("how long do i have left at 2b", "At least 6-12 months at SW2B before SW2C."),
    ("been a 2a for a year and a half, when can i go for 2b", "At least 24 months at SW2A before SW2B."),
    ("what's the diff between 2b and 2c", "What SW2C adds to SW2B"),
    ("sw three b", "What the framework asks for SW3B (Practising)"),
    ("senior b requirements", "What the framework asks for SW3B (Practising)"),
])
def test_a_level_without_its_role_is_answered(engine, question, title):
    assert engine.answer(question).title == title


# -- a topic word and a role ---------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["safeguarding for sw2", "safeguarding for social workers", "sw2 safeguarding?"])
def test_a_topic_and_a_role_find_the_roles_lines_that_mention_it(engine, question):
    reply = engine.answer(question)
    assert reply.title == ("There is no separate safeguarding section for Social Worker (SW2); these criteria "
                           "mention it")
    # the same lines as the longer question, the role's code not counted as a word to find
    assert reply.plain_text() == engine.answer("what safeguarding do social workers need").plain_text()
    assert reply.plain_text().count("safeguard") >= 6


def test_a_topic_and_a_role_with_that_section_get_the_section(engine):
    assert engine.answer("safeguarding for sco").title == "Safeguarding: Social Care Officer (SCO)"


def test_a_line_sharing_one_word_of_the_topic_is_not_it(engine):
    # "special leading hub meetings" is not about special conditions
    assert engine.answer("special conditions for sw3").title == (
        "The framework lists no special conditions for Senior Social Worker (SW3).")


# -- the level the person is at, and "ready for B?" ------------------------------------------------------
@pytest.mark.parametrize("question", ["Ive been SW3A for 14 months. ready for B?",
                                      "Ive been senior A for 14 months. ready for B?",
                                      "I'm SW3A since March 2025, am I ready for SW3B?"])
def test_ready_for_the_next_level_after_a_time_said_is_a_time_question(engine, question):
    reply = engine.answer(question)
    assert reply.title == "At least 12 months at SW3A before SW3B."
    assert "also asked" not in reply.plain_text()


@pytest.mark.parametrize("question", ["I've been SW3A for 14 months, what do I need to be ready for SW3B?",
                                      "I'm SW3A, ready to learn what SW3B needs", "is SW3B ready for me?"])
def test_ready_without_a_time_or_asking_what_is_needed_is_not_a_time_question(question):
    assert "time_in_level" not in parse(question).topics


@pytest.mark.parametrize("question, title", [
    ("I'm SW2A, what evidence for SW2B?", "Evidence for SW2B (Practising)"),
    ("im on sw2b, skills for sw2c?", "Skills: Social Worker, SW2C (Accomplished)"),
    ("I'm a senior A, skills for senior C?", "Skills: Senior Social Worker, SW3C (Accomplished)"),
])
def test_the_level_the_person_is_at_is_not_another_question(engine, question, title):
    reply = engine.answer(question)
    assert reply.title == title and "also asked" not in reply.plain_text()


def test_two_levels_asked_still_say_the_other(engine):
    assert "You also asked about SW3A" in engine.answer("qualifications for SW3A and SW3C").plain_text()


# -- straight to the next role ----------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["can i go straight to team manager from 3b", "im 3b can i go straight to tm",
                                      "can I go straight to team manager from SW3B?"])
def test_straight_to_the_next_role_from_below_its_top_is_the_skip_answer(engine, question):
    assert engine.answer(question).plain_text() == engine.answer(
        "can I skip SW3C and go straight for SW4A?").plain_text()


@pytest.mark.parametrize("question", ["can i go straight to team manager from sw3c",
                                      "can I go from 3b to team manager"])
def test_no_skip_is_said_from_the_top_or_without_a_word_of_skipping(engine, question):
    text = engine.answer(question).plain_text()
    assert text.startswith("From Senior Social Worker (SW3) to Team Manager (SW4)")
    assert "can be skipped" not in text


# -- hours of CPD ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["how many cpd hours do i need", "how many hours of CPD a year?",
                                      "how many training hours do I need for SW2B?"])
def test_cpd_hours_say_none_are_set_and_quote_what_is(engine, question):
    reply = engine.answer(question)
    text = reply.plain_text()
    assert reply.title == "The framework sets no number of CPD hours."
    assert "None of the framework documents gives a number of hours of CPD" in text
    assert "Evidence a minimum of 3 training courses attended or briefing sessions" in text
    assert "Evidence of ongoing continuous professional development" in text
    assert "hours of work" not in text


def test_cpd_hours_for_a_level_quote_that_level_only(engine):
    text = engine.answer("how many cpd hours for sw2b").plain_text()
    assert "for SW2B" in text and "SW3B" not in text and "SCO" not in text


@pytest.mark.parametrize("question", ["how many hours a week do social workers work?", "can I do part time hours?",
                                      "what hours does a team manager work", "how many hours is training day"])
def test_hours_of_work_are_still_hours_of_work(engine, question):
    assert engine.answer(question).title == "The framework does not cover hours of work."


# -- coming back after a break ---------------------------------------------------------------------------------
@pytest.mark.parametrize("question, title", [
    ("im coming back to social work after a 5 year career break, was SW2B before i left in 2021",
     "The framework does not cover coming back after a career break."),
    ("does my old time at sw2b still count", "The framework does not say whether time before a break still counts."),
    ("i was SW2B before i left, what level would i come back at?",
     "The framework does not say at which level someone comes back after a break."),
])
def test_a_return_says_the_framework_is_silent_and_quotes_the_levels_time(engine, question, title):
    reply = engine.answer(question)
    text = reply.plain_text()
    assert reply.title == title
    assert "That is for HR and your manager to decide with you when you return." in text
    assert "Minimum of 6-12 months experience at Level SW2B" in text  # the time at SW2B before SW2C, quoted
    assert "annual leave" not in text and reply.meta["topic"] == "returning"


def test_a_return_with_no_level_asks_for_it_and_a_follow_up_uses_the_last(engine):
    from bot.answers.shared import Context

    alone = engine.answer("what level will i come back at?")
    assert alone.title == "The framework does not say at which level someone comes back after a break."
    assert "Tell me the level you were at" in alone.plain_text()
    after = engine.answer("what level will i come back at?", context=Context(last_role="SW2", last_level="B",
                                                                              last_topic="returning"))
    assert "Minimum of 6-12 months experience at Level SW2B" in after.plain_text()


def test_a_return_at_a_role_with_no_time_rules_says_so(engine):
    assert "no minimum time in level for Social Care Officer" in engine.answer(
        "returning to practice as sco 4b, does it count").plain_text()


@pytest.mark.parametrize("question", ["can I go back to SW2B from SW3A", "I'll come back to you on that",
                                      "coming back from maternity leave, does my time at SW2A count?",
                                      "does a career break count towards my time at SW2A?",
                                      "what do I need to do before I leave for SW3A?", "join the team as SW2A",
                                      "my old time at my previous council, does it count towards SW2B?"])
def test_what_is_not_a_return_is_not_answered_as_one(engine, question):
    assert engine.answer(question).meta.get("topic") != "returning"
