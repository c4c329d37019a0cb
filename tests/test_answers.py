"""The answer engine against the real framework data: the dev evaluation set, every level and topic, the
questions the framework cannot answer, citations and notes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.answers.engine import AnswerEngine, Context
from bot.answers.questions import parse
from bot.cli import answer_json
from bot.knowledge.loader import load_knowledge
from tests.eval_check import check_item

ROOT = Path(__file__).resolve().parents[1]
EVAL_FILE = ROOT.parent / "shared" / "eval" / "questions-dev.yaml"


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge()


@pytest.fixture(scope="module")
def engine(knowledge):
    return AnswerEngine(knowledge)


def ask(engine, question, **kw):
    return answer_json(engine.answer(question, **kw), question)


# -- the development evaluation set -------------------------------------------------------------------
def _eval_items():
    if not EVAL_FILE.exists():
        return []
    return yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))


@pytest.mark.skipif(not EVAL_FILE.exists(), reason="shared/eval is not beside this checkout")
@pytest.mark.parametrize("item", _eval_items(), ids=lambda it: it["id"])
def test_eval_dev_item(engine, item):
    result = ask(engine, item["question"])
    assert check_item(item, result) == [], result["text"]


# -- every role, level and topic ------------------------------------------------------------------------
PHRASINGS = {
    "qualifications": ["what qualifications do I need for {code}?", "{code} qualifications", "quals for {code}"],
    "knowledge": ["what knowledge is expected at {code}?", "{code} knowledge", "what do I need to know for {code}"],
    "experience": ["what experience do I need for {code}?", "{code} experience"],
    "skills": ["what skills do I need for {code}?", "{code} skills"],
    "safeguarding": ["{code} safeguarding", "what safeguarding is needed at {code}?"],
    "evidence": ["what evidence for {code}?", "{code} evidence", "what evidence do I need to progress to {code}?"],
}


def _cases():
    k = load_knowledge()
    cases = []
    for role, info in k.roles.items():
        for level in info.levels:
            for topic, phrasings in PHRASINGS.items():
                items = [c for c in k.find(role=role, level=level, topic=topic) if not c.variant]
                if not items:
                    continue
                for phrasing in phrasings:
                    cases.append((role, level, topic, phrasing.format(code=k.code(role, level))))
    return cases


@pytest.mark.parametrize("role,level,topic,question", _cases())
def test_every_level_topic_is_answered_in_full(engine, knowledge, role, level, topic, question):
    result = ask(engine, question)
    assert result["status"] == "answered", result["text"]
    assert (result["role"], result["level"]) == (role, level)
    text = result["text"]
    for c in knowledge.find(role=role, level=level, topic=topic):
        if not c.variant:
            assert c.text in text, f"missing {c.text!r}"
    assert result["sources"], "every answer cites its source"


@pytest.mark.parametrize("typed,expected", [
    ("SW3B", ("SW3", "B")), ("sw 3 b", ("SW3", "B")), ("SW3-B", ("SW3", "B")), ("sw3b reqs", ("SW3", "B")),
    ("senoir social worker level c", ("SW3", "C")), ("team manager accomplished", ("SW4", "C")),
    ("SCO 4B", ("SCO", "B")), ("sco-4b", ("SCO", "B")), ("NQSW", ("SW2", "A")), ("sw2 a", ("SW2", "A")),
    ("Social Worker level B", ("SW2", "B")), ("team manger developing", ("SW4", "A")),
    ("social care officer practising", ("SCO", "B")), ("SW4.C", ("SW4", "C")), ("sw 4c", ("SW4", "C")),
    ("newly qualified social worker", ("SW2", "A")), ("senior social worker practicing", ("SW3", "B")),
])
def test_level_codes_however_typed(typed, expected):
    q = parse(typed)
    assert [(r, lv) for r, lv, _ in q.levels][:1] == [expected]


@pytest.mark.parametrize("text", ["sw2 and sw3", "I am a social worker", "a team manager", "what is a sco"])
def test_words_are_not_mistaken_for_levels(text):
    assert all(lv in "ABC" for _, lv, _ in parse(text).levels)
    assert parse(text).unknown_codes == []


# -- what the framework does not say ----------------------------------------------------------------------
@pytest.mark.parametrize("question", [
    "what's the salary for SW3?", "How much does a KR10 earn?", "how much annual leave do I get as a SW2?",
    "is there a pension?", "can I work from home as a team manager?", "how many hours a week is a SCO?",
    "what's the mileage allowance?", "what is the notice period for SW4?", "is there an SW5?",
    "what do I need for SW2D?", "SCO level D requirements", "does KR10 equal SW3?",
    "is a PO3 the same as SW3?", "what is the probation period?", "how much is the pay rise to SW3B?",
])
def test_out_of_scope_is_declined_without_inventing(engine, question):
    result = ask(engine, question)
    assert result["status"] == "not_in_framework", result["text"]
    assert "£" not in result["text"]
    assert not re.search(r"\b\d+\s*(?:hours|days)\b", result["text"])


@pytest.mark.parametrize("question", [
    "who signs off my progression?", "what happens if my manager disagrees?", "can I appeal?",
    "what if my progression is turned down", "how do I apply for progression?", "who approves it?",
])
def test_the_procedure_is_not_in_the_framework_but_what_it_says_is_quoted(engine, question):
    result = ask(engine, question)
    assert result["status"] == "not_in_framework" and result["topic"] == "out_of_scope", result["text"]
    assert "does not cover who approves progression" in result["text"]
    # quoted word for word from the Medway guide, and cited
    assert "inform conversations with your line manager" in result["text"]
    assert any("document 003" in s for s in result["sources"])
    assert result["role"] is None  # "my manager" is not a question about the Team Manager role
    assert "Team Manager" not in result["text"]


def test_how_to_apply_for_a_named_level_is_its_evidence(engine):
    result = ask(engine, "how do I apply for SW3A?")
    assert (result["status"], result["topic"], result["role"], result["level"]) == ("answered", "evidence", "SW3", "A")
    assert "through interview or in application" in result["text"]


def test_when_can_i_progress_asks_for_the_level_or_uses_the_one_on_record(engine):
    result = ask(engine, "when can I progress?")
    assert result["status"] == "clarify" and "I'm SW2B since" in result["text"]
    known = ask(engine, "when can I progress?", context=Context(role="SW2", level="A"))
    assert known["status"] == "answered" and "24 months" in known["text"]


def test_seniors_and_managers_in_the_plural_are_roles(engine):
    assert ask(engine, "what do seniors do?")["role"] == "SW3"
    assert ask(engine, "what do team managers do?")["role"] == "SW4"


def test_comparing_two_levels_without_a_role_offers_each_role_s_pair(engine):
    result = ask(engine, "what is the difference between practising and accomplished?")
    assert result["status"] == "clarify"
    assert "Social Care Officer: SCO 4B and SCO 4C" in result["choices"]
    assert "Social Worker: SW2B and SW2C" in result["choices"]
    picked = engine.answer("difference between SCO 4B and SCO 4C")
    assert picked.meta["topic"] == "comparison" and picked.meta["role"] == "SCO"


@pytest.mark.parametrize("question, target", [
    ("can an SCO progress to SW2?", "SW2A"), ("how do I go from SCO 4C to SW2A?", "SW2A"),
    ("how can a social care officer become a social worker?", "SW2A"),
    ("I'm a social worker, how do I become a team manager?", "SW4A"),
    ("how do I apply to SW3A after SW2C?", "SW3A"),  # the role after "to" is the goal, whatever comes first
    ("SW2 to SW3: what do I need?", "SW3A"), ("social care officer to social worker", "SW2A"),
])
def test_a_move_between_roles_shows_what_the_new_role_asks(engine, question, target):
    result = ask(engine, question)
    assert result["status"] == "answered" and result["topic"] == "role_change", result["text"]
    assert f"{result['role']}{result['level']}" == target
    assert "sets no time in level for moving between roles" in result["text"]
    assert any(f"Evidence for {target}" == c for c in result["choices"])
    if target == "SW2A":
        assert "Degree in Social Work" in result["text"] and "document 001" in " ".join(result["sources"])


def test_a_move_within_a_role_is_still_time_in_level(engine):
    assert ask(engine, "how long from SW2A to SW2B?")["topic"] == "time_in_level"
    assert ask(engine, "how long from SW2C to SW3A?")["topic"] == "time_in_level"  # the time answer explains PQE
    assert ask(engine, "what is the difference between SW2 and SW3?")["topic"] == "comparison"


@pytest.mark.parametrize("question, role", [("what does a KR10 need?", "KR10"), ("what is needed for PO3?", "PO3"),
                                            ("what are the requirements for KR9?", "KR9")])
def test_what_a_one_grade_post_needs_is_its_person_specification(engine, question, role):
    result = ask(engine, question)
    assert result["role"] == role and result["topic"] == "person_spec", result["text"]
    assert len(result["text"]) > 500 and result["sources"]


@pytest.mark.parametrize("question, code", [("I want to be a team manager one day", "SW4A"),
                                            ("how do I join as a senior social worker?", "SW3A")])
def test_wanting_to_become_a_role_gets_everything_its_first_level_asks(engine, question, code):
    result = ask(engine, question)
    assert f"{result['role']}{result['level']}" == code and result["topic"] == "overview", result["text"]
    assert "Qualifications" in result["text"] and "Experience" in result["text"]


def test_sw2_year_1_and_2_are_sw2a(engine):
    result = ask(engine, "what is SW2 year 2?")
    assert (result["role"], result["level"]) == ("SW2", "A") and "Year 2" in result["text"]
    assert "Year 1" not in result["text"]


def test_pay_answer_points_to_what_the_documents_do_say(engine):
    text = ask(engine, "What's the pay for a KR10 at Kent?")["text"]
    assert "KR10" in text and "Kent County Council" in text and "per annum" not in text


def test_unknown_level_lists_the_known_ones(engine):
    text = ask(engine, "what do I need for SW5?")["text"]
    assert "SW5" in text and "SW2A" in text and "SW4C" in text


# -- notes, citations, comparisons, time in level -----------------------------------------------------------
def test_source_typo_is_kept_and_flagged(engine):
    text = ask(engine, "how long at SW4B before SW4C?")["text"]
    assert "SW2B" in text  # the source's words are quoted as they are
    assert "SW4B" in text and "typo" in text.lower() or "almost certainly" in text.lower()


def test_conflicting_minimums_use_the_longer_and_show_both(engine):
    result = ask(engine, "how long do I have to be SW3B before going for SW3C?")
    text = result["text"]
    assert "18 months" in text and "12 months" in text
    assert "document 001" in text and "document 003" in text
    assert result["level"] == "C"


def test_range_is_stated(engine):
    text = ask(engine, "how long at SW2B before SW2C?")["text"]
    assert "6-12 months" in text
    # "Minimum of 6-12 months" is a minimum: no deadline is read into its upper end
    assert "a minimum of between 6 and 12 months" in text and "sets no deadline" in text
    assert "within 12 months" not in text


def test_reviewer_comments_are_marked_not_requirements(engine):
    text = ask(engine, "SW3B experience")["text"]
    assert "(Can the dates of performance clinics attended be added" in text
    assert "reviewer" in text.lower()


def test_comparison_shows_what_the_higher_level_adds(engine, knowledge):
    result = ask(engine, "what's the difference between SW2A and SW2B?")
    for c in knowledge.find(role="SW2", level="B", topic="skills"):
        assert c.text in result["text"]
    assert "24 months" in result["text"]


def test_next_step_at_the_top_level_points_to_the_next_role(engine):
    text = ask(engine, "what comes after SW2C?")["text"]
    assert "top level" in text and "SW3A" in text and "no" in text.lower()


def test_free_question_lists_what_each_framework_says(engine):
    result = ask(engine, "do I need a driving licence?")
    text = result["text"]
    assert "Full UK driving licence" in text and "full driving licence" in text
    assert "Social Care Officer" in text and "PO3" in text


def test_glossary_spelled_out_and_not(engine):
    assert "Approved Mental Health Professional" in ask(engine, "what does AMHP stand for?")["text"]
    text = ask(engine, "what does CFA stand for?")["text"]
    assert "never say" in text or "not spelt out" in text


def test_context_fills_the_role_from_the_persons_record(engine):
    result = ask(engine, "what evidence do I need for the next level?", context=Context(role="SW2", level="A"))
    assert (result["role"], result["level"]) == ("SW2", "B")


def test_every_cited_heading_exists_in_the_data(engine, knowledge):
    headings = {c.source.heading for c in knowledge.criteria} | {r.source.heading for r in knowledge.time_rules}
    for question in ["what do I need for SW3B?", "SW4C evidence", "KR9 person spec", "pcf domain 2",
                     "do I need a driving licence?", "difference between SW3A and SW3B"]:
        reply = engine.answer(question)
        for source in reply.sources:
            cited = re.split(r"\(document \w+\): ", source, maxsplit=1)[1].split("; ")
            assert all(h in headings for h in cited), source


@pytest.mark.parametrize("question", ["", "   ", "?!?", "a" * 20000, "<!channel> SW3B", "\x00\x01SW2B\x7f",
                                      "🙂🙂🙂", "SW3B " * 2000, "what do I need for " + "SW" * 500,
                                      "DROP TABLE people; --", "\u202eSW3B", "sw99z", "level Z"])
def test_odd_input_never_crashes(engine, question):
    result = ask(engine, question)
    assert result["status"] in ("answered", "clarify", "not_in_framework")
    assert result["text"].strip()


def test_long_input_is_cut_with_a_note(engine):
    result = ask(engine, "what do I need for SW3B? " + "x" * 10000)
    assert "only the first" in result["text"]
    # said with the answer, not among the notes on the source documents
    reply = engine.answer("what do I need for SW3B? " + "x" * 10000)
    assert reply.blocks[0].text.startswith("Your message was very long") and not any(
        "very long" in n for n in reply.notes)


# -- the command line ----------------------------------------------------------------------------------------
def test_cli_batch_json(tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("what do I need for SW3B?\n\nwhat's the salary for SW3?\nlevel B knowledge\n")
    out = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", "--batch", str(questions)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["status"] for r in rows] == ["answered", "not_in_framework", "clarify"]
    for r in rows:
        assert {"question", "status", "role", "level", "topic", "text", "sources"} <= set(r)


def test_cli_batch_from_stdin():
    out = subprocess.run([sys.executable, "-m", "bot", "ask", "--batch", "-"], input="SW4C evidence\n",
                         capture_output=True, text=True, check=True, cwd=ROOT)
    row = json.loads(out.stdout)
    assert row["role"] == "SW4" and row["level"] == "C"


def test_glossary_from_the_spelt_out_form(engine):
    result = ask(engine, "What does 'Making Safeguarding Personal' mean?")
    assert result["topic"] == "glossary" and "MSP" in result["text"]
    assert ask(engine, "What is the role of a practice educator?")["topic"] != "glossary"


@pytest.mark.parametrize("question,number", [("which domain covers diversity?", 3),
                                             ("what is in the professionalism domain?", 1),
                                             ("PCF values and ethics", 2)])
def test_pcf_domains_by_name(engine, question, number):
    assert ask(engine, question)["text"].startswith(f"PCF domain {number}:")


def test_hours_are_out_of_scope(engine):
    assert ask(engine, "what are the hours for a team manager?")["status"] == "not_in_framework"


def test_a_section_the_documents_never_have_is_not_called_blank(engine):
    assert "no such section" in ask(engine, "what evidence for SCO 4B?")["text"]
    assert "blank" in ask(engine, "SCO 4C qualifications")["text"]


@pytest.mark.parametrize(("asked", "first"), [
    ("how many years until I'm a senior?", "SW3A"),
    ("how long till i'm a team manager", "SW4A"),
    ("how long before I can be a senior", "SW3A"),
    ("how long does it take to become a senior social worker", "SW3A"),
])
def test_how_long_until_i_am_a_role_is_about_its_first_level(engine, asked, first):
    reply = engine.answer(asked)
    assert reply.status != "clarify"
    assert f"moving into {first}" in reply.plain_text()
    assert "post qualifying experience" in reply.plain_text()  # what the documents ask instead, quoted


def test_being_a_senior_already_is_not_the_goal(engine):
    reply = engine.answer("I'm a senior, how long until I can go for the next level?")
    assert reply.status == "clarify" and "SW3A" in reply.plain_text()


@pytest.mark.parametrize("asked", ["how many levels are there", "what's the highest level", "what levels are there"])
def test_questions_about_the_levels_in_general_get_the_overview(engine, asked):
    text = engine.answer(asked).plain_text()
    assert "SW2A Developing, SW2B Practising, SW2C Accomplished" in text and "document 001" in text


@pytest.mark.parametrize("asked", [
    "how do I get promoted",
    "what happens if I don't meet the criteria?",
    "my manager says I'm not ready, what can I do?",
])
def test_questions_about_the_procedure_say_it_is_not_in_the_framework(engine, asked):
    reply = engine.answer(asked)
    assert reply.status == "not_in_framework" and reply.meta.get("topic") == "out_of_scope"
    assert "Team Manager" not in reply.plain_text()  # "my manager" is the person's own manager, not the role


def test_a_manager_as_a_role_is_still_the_team_manager(engine):
    assert "Team Manager (SW4)" in engine.answer("how do I become a manager").plain_text()


@pytest.mark.parametrize(("asked", "letter"), [("what does practising mean", "B"), ("what is level C", "C")])
def test_the_meaning_of_a_level_name_is_explained_and_the_role_asked(engine, asked, letter):
    reply = engine.answer(asked)
    text = reply.plain_text()
    assert reply.status == "clarify" and "A (Developing), B (Practising) and C (Accomplished)" in text
    assert "required to reach an Accomplished level within that job role" in text and "document 003" in text
    assert [c.label for c in reply.choices][:2] == [f"Social Worker SW2{letter}", f"Senior Social Worker SW3{letter}"]


@pytest.mark.parametrize("asked", ["when was the framework written", "who wrote this framework",
                                   "where does your information come from?", "is this the latest version?"])
def test_questions_about_the_documents_list_them_with_employer_and_date_as_given(engine, asked, knowledge):
    reply = engine.answer(asked)
    text = reply.plain_text()
    assert reply.meta.get("topic") == "documents"
    for doc in knowledge.documents.values():
        assert f"Document {doc.id}: {doc.title}" in text
        assert (f"Date: {doc.date}" if doc.date else "The document gives no date.") in text
    assert "December 2024 (updated May 2025)" in text  # the Medway guide's own dates


@pytest.mark.parametrize("asked", ["what documents do I need to bring for SW3B", "when was I eligible"])
def test_documents_as_evidence_or_personal_dates_are_not_about_the_sources(engine, asked):
    assert engine.answer(asked).meta.get("topic") != "documents"


@pytest.mark.parametrize(("asked", "title"), [
    ("is there a dress code", "The framework documents don't mention “dress”."),
    ("is there a uniform", "The framework documents don't mention “uniform”."),
    ("do I need a masters?", "The framework documents don't mention “masters”."),
])
def test_a_subject_no_document_mentions_is_said_plainly_not_matched_on_a_side_word(engine, asked, title):
    reply = engine.answer(asked)
    assert reply.title == title and reply.status in ("not_in_framework", "clarify")
    assert "Code of Ethics" not in reply.plain_text()


def test_a_subject_the_documents_do_mention_is_still_found(engine):
    assert "full driving licence" in engine.answer("do I need a driving licence").plain_text()
    assert "Direct Payments" in engine.answer("do I need to know about direct payments").plain_text()


def test_the_kmsab_competency_framework_is_the_glossary_entry(engine):
    reply = engine.answer("whats the KMSAB competency framework")
    assert reply.title.startswith("KMSAB: Kent & Medway Safeguarding Adults Board")
    assert "not included in the framework documents" in reply.plain_text()


@pytest.mark.parametrize(("asked", "role", "codes"), [
    ("tell me about SCO", "Social Care Officer (SCO)", ["SCO 4A", "SCO 4B", "SCO 4C"]),
    ("tell me about SW3", "Senior Social Worker (SW3)", ["SW3A", "SW3B", "SW3C"]),
])
def test_tell_me_about_a_role_gives_its_summary_and_duties_with_a_button_per_level(engine, asked, role, codes):
    reply = engine.answer(asked)
    assert reply.status == "answered" and reply.title == f"Overview: {role}"
    assert "Duties" in [b.title for b in reply.blocks]
    assert [c.label.split(" (")[0] for c in reply.choices] == codes


@pytest.mark.parametrize(("asked", "topic"), [
    ("diff sw2b sw2c", "comparison"),
    ("is 12 months enough for SW3C", "time_in_level"),
    ("is a year long enough at SW4A", "time_in_level"),
])
def test_shorthand_and_yes_no_forms_of_common_questions(engine, asked, topic):
    assert engine.answer(asked).meta.get("topic") == topic


@pytest.mark.parametrize("asked", ["what do I need to do to get to the next level", "what's next"])
def test_the_next_level_without_a_level_on_record_asks_which_level(engine, asked):
    reply = engine.answer(asked)
    assert reply.status == "clarify" and reply.title == "Which level are you at now?"
    assert "I'm SW2B since March 2025" in reply.plain_text()
    assert [c.value["question"] for c in reply.choices][:2] == ["what comes after SW2", "what comes after SW3"]


def test_the_next_level_with_a_level_on_record_is_about_that_level(engine):
    from bot.answers.engine import Context

    assert engine.answer("what's next", context=Context(role="SW2", level="A")).title.startswith(
        "After SW2A comes SW2B")


@pytest.mark.parametrize("asked", ["where can I find the framework", "can I see the full framework"])
def test_asking_for_the_documents_lists_them_and_says_who_has_copies(engine, asked):
    reply = engine.answer(asked)
    assert reply.meta.get("topic") == "documents" and "your manager or HR can give you a copy" in reply.plain_text()


@pytest.mark.parametrize("asked", ["SW2B vs SW3A", "is SW2 the same as SW3?"])
def test_levels_of_one_ladder_are_compared_not_called_other_employers_grades(engine, asked):
    reply = engine.answer(asked)
    assert reply.meta.get("topic") != "mapping" and "different employers" not in reply.plain_text()


def test_grades_of_different_employers_are_still_not_mapped(engine):
    assert "different employers" in engine.answer("is SW3 the same as KR10").plain_text()


def test_a_kent_social_worker_is_the_kent_posts_not_medways_sw2(engine):
    text = engine.answer("kent social worker requirements").plain_text()
    assert "KR9, Kent County Council" in text and "Social Worker (SW2)" not in text


@pytest.mark.parametrize("asked", ["I was off sick for 3 months, does that count?",
                                   "does sickness absence count towards time in level"])
def test_absence_is_out_of_scope_not_a_missing_word(engine, asked):
    reply = engine.answer(asked)
    assert reply.status == "not_in_framework" and reply.title == (
        "The framework does not say whether sickness absence counts towards time in level.")
    assert "don't mention “count”" not in reply.plain_text()


@pytest.mark.parametrize("asked", ["I'm a student social worker", "I'm studying social work, what will I need"])
def test_a_student_is_shown_where_the_framework_starts(engine, asked):
    reply = engine.answer(asked)
    assert reply.title == "What the framework asks for SW2A (Developing)"
    assert reply.blocks[0].text.startswith("The framework has no level for students: it starts at SW2A")
    assert "Degree in Social Work" in reply.plain_text()


@pytest.mark.parametrize("asked, code", [
    ("how do i get from SCO B to SCO C", "SCO 4C"),
    ("how do I get to SW2C from SW2B", "SW2C"),
    ("what do I need to get from SCO A to SCO B", "SCO 4B"),
    ("I'm SW2B what do I need for SW2C", "SW2C"),
    ("what do I need for SW2C, I'm at SW2B now", "SW2C"),
])
def test_of_two_levels_the_one_being_reached_is_answered(engine, asked, code):
    assert engine.answer(asked).title.startswith(f"What the framework asks for {code} ")


@pytest.mark.parametrize("asked, headline", [
    ("can i skip SW3A and go straight to SW3B", "At least 12 months at SW3A before SW3B."),
    ("can I skip SW2B", "At least 6-12 months at SW2B before SW2C."),
    ("can I go straight to SW3B", "At least 12 months at SW3A before SW3B."),
])
def test_skipping_a_level_is_answered_with_the_time_the_framework_asks(engine, asked, headline):
    reply = engine.answer(asked)
    assert reply.title == headline
    assert reply.blocks[0].text.startswith("The framework does not describe skipping a level")  # the ask, first


@pytest.mark.parametrize("asked", ["what happens if my manager says no", "who do I talk to about progression",
                                   "is there a panel for progression to SW3"])
def test_questions_about_the_procedure_are_said_to_be_outside_the_framework(engine, asked):
    reply = engine.answer(asked)
    assert reply.status == "not_in_framework" and reply.title.startswith("The framework does not cover who approves")
    assert "guarantee of progression" in reply.plain_text()


def test_how_often_supervision_happens_is_outside_the_framework_and_offers_help_preparing(engine):
    reply = engine.answer("how often should I have supervision?")
    assert reply.title == "The framework does not cover how often supervision happens or how it is arranged."
    assert "inform conversations with your line manager" in reply.plain_text()
    assert "Prepare for supervision" in [c.label for c in reply.choices]
    assert any("document 003" in s for s in reply.sources)


@pytest.mark.parametrize("asked, title", [
    ("whats needed for team manager", "What the framework asks for SW4A (Developing), the first level of Team Manager"),
    ("requirements for SW3", "What the framework asks for SW3A (Developing), the first level of Senior Social Worker"),
    ("what do i need to do to become a senior social worker",
     "What the framework asks for SW3A (Developing), the first level of Senior Social Worker"),
])
def test_what_a_role_needs_is_its_first_level(engine, asked, title):
    assert engine.answer(asked).title.startswith(title)


@pytest.mark.parametrize("asked", ["what is KR9", "tell me about KR10"])
def test_a_one_grade_post_asked_about_by_its_code_gets_its_description(engine, asked):
    text = engine.answer(asked).plain_text()
    assert "Purpose of the Job" in text and "Responsible to" in text


@pytest.mark.parametrize("asked, title", [
    ("what level is a practice manager", "The framework has no role called “practice manager”."),
    ("how do I become a senior practitioner", "The framework has no role called “senior practitioner”."),
    ("what do consultant social workers do", "The framework has no role called “consultant social worker”."),
])
def test_job_titles_the_framework_does_not_have_are_named_not_mapped(engine, asked, title):
    reply = engine.answer(asked)
    assert reply.title == title and reply.status == "not_in_framework"
    text = reply.plain_text()
    assert "Team Manager (SW4)" in text and "Senior Social Worker (SW3)" in text  # the roles it does describe
    if "practice manager" in asked:
        assert not reply.sources  # no document mentions one
    else:  # the Kent job descriptions mention the title in passing: quoted, with the source
        assert "only in passing" in text and any("document 002" in s for s in reply.sources)


@pytest.mark.parametrize("asked, domain", [("tell me about professionalism", 1), ("what is critical reflection", 6),
                                           ("how do I show professional leadership", 9)])
def test_a_pcf_domain_asked_by_its_name_alone(engine, asked, domain):
    assert engine.answer(asked).title.startswith(f"PCF domain {domain}:")


def test_a_degree_no_document_asks_for_is_said_before_what_they_do_ask(engine):
    reply = engine.answer("do I need a masters for SW4")
    assert reply.meta.get("topic") == "qualifications"
    assert reply.blocks[0].text.startswith("None of the framework documents mentions a master's degree.")
    assert "Degree in Social Work" in reply.plain_text() or "social work, nursing" in reply.plain_text()


@pytest.mark.parametrize("asked", ["explain the levels", "describe the roles"])
def test_asking_to_explain_the_levels_gives_the_framework_overview(engine, asked):
    assert engine.answer(asked).title == "The roles and levels in the framework"


@pytest.mark.parametrize("asked, headline", [
    ("how long from SW2A to SW3A",
     "From SW2A to SW3A: at least 30 months (2 years 6 months) of time in level, and the experience SW3A asks for."),
    ("how long from newly qualified to senior",
     "From SW2A to SW3A: at least 30 months (2 years 6 months) of time in level, and the experience SW3A asks for."),
    ("how many years from SW2A to SW4A",
     "From SW2A to SW4A: at least 60 months (5 years) of time in level, and the experience SW3A and SW4A ask for."),
    ("how long will it take me to become a team manager from SW2B",
     "From SW2B to SW4A: at least 36 months (3 years) of time in level, and the experience SW3A and SW4A ask for."),
    ("how long from SW3A to SW3C", "From SW3A to SW3C: at least 30 months (2 years 6 months) of time in level."),
    ("how long from SW2A to SW2C", "From SW2A to SW2C: at least 30 months (2 years 6 months) of time in level."),
])
def test_time_over_several_steps_adds_up_each_step_and_quotes_it(engine, asked, headline):
    reply = engine.answer(asked)
    assert reply.title == headline
    text = reply.plain_text()
    if "SW3A" in headline and "SW3C" not in headline:
        assert "2-3 years relevant post qualifying experience." in text  # entering SW3A: experience, not time
        assert "SW2C to SW3A: a new role, with no time in level" in text
    if "SW3C" in headline:  # 12 months in 001, 18 in 003: the longer counts, and the difference is said
        assert "SW3B to SW3C: at least 18 months" in text and "The documents differ" in text
    assert "they are not a timetable" in text and reply.sources


def test_time_to_the_next_role_starts_from_the_persons_own_level(engine):
    reply = engine.answer("how long until I'm a senior", context=Context(role="SW2", level="B"))
    assert reply.title.startswith("From SW2B to SW3A: at least 6 months")
    assert engine.answer("how long at SW2A before SW2B").title == "At least 24 months at SW2A before SW2B."


@pytest.mark.parametrize("asked", ["who is the framework for", "does the framework apply to children's services"])
def test_who_the_framework_is_for_quotes_the_professions_and_lists_the_documents(engine, asked):
    reply = engine.answer(asked)
    text = reply.plain_text()
    assert reply.title == "Who the framework is for"
    assert "Senior Social Workers" in text and "Team managers" in text
    assert "Children's Services" in text and "whether one applies to your own team" in text


def test_a_length_is_not_a_time_in_level(engine):
    reply = engine.answer("how long should my written statement be")
    assert reply.meta.get("topic") == "search" and "max 500 words" in reply.plain_text()


def test_case_examples_are_evidence(engine):
    assert engine.answer("what case examples do I need for sw3c").title.startswith("Evidence for SW3C")


def test_an_abbreviation_in_a_role_question_is_searched_in_full(engine):
    reply = engine.answer("BIA training for SW3")
    assert "Best Interest Assessor" in reply.blocks[0].bullets[0]  # not "training / upskilling of the team"


@pytest.mark.parametrize("typed, kept", [("a different team", "different"), ("my supervisor", "supervisor"),
                                         ("which professions", "professions"), ("who manages me", "manages")])
def test_real_words_are_not_corrected_into_other_words(typed, kept):
    from bot.answers.questions import correct_typos
    assert kept in correct_typos(typed)
    assert correct_typos("requirments for sw3b") == "requirements for sw3b"  # a real typo still is


def test_changing_team_or_employer_is_outside_the_framework(engine):
    reply = engine.answer("what if I move to a different team")
    assert reply.status == "not_in_framework"
    assert reply.title == ("The framework does not cover what happens to your level or time in level if you "
                           "change team, post or employer.")


@pytest.mark.parametrize("asked, kind", [("can agency workers use this", "agency and temporary work"),
                                         ("my manager won't put me forward", "who approves progression")])
def test_employment_terms_and_being_put_forward_are_outside_the_framework(engine, asked, kind):
    reply = engine.answer(asked)
    assert reply.status == "not_in_framework" and kind in reply.title


@pytest.mark.parametrize("said, code, choice", [
    ("I feel stuck at SW2B", "SW2C", "Self-assessment for SW2C"),
    ("i'm worried i'm not good enough for SW3", "SW3A", "Self-assessment for SW3A"),
    ("I feel stuck in my career", None, "Start a self-assessment"),
])
def test_feeling_stuck_is_acknowledged_with_the_routes_the_guide_suggests(engine, said, code, choice):
    reply = engine.answer(said)
    text = reply.plain_text()
    assert reply.title == "I'm sorry it feels that way. Here is what can help."
    assert "Acting Up (covering the duties of a higher-graded post" in text and any(
        "document 003" in s for s in reply.sources)
    assert (f"criteria for {code} you already meet" in text) if code else "criteria for" not in text
    assert reply.choices[0].label == choice and reply.choices[0].value["action"] == "assess"


def test_feeling_stressed_without_a_career_question_is_signposted_not_lectured(engine):
    reply = engine.answer("I'm stressed")
    assert reply.title == "I'm sorry you're feeling that way."
    assert "talk to your manager, HR or someone you trust" in reply.plain_text() and not reply.sources


@pytest.mark.parametrize("asked", ["is it normal to take 3 years to get to SW2C",
                                   "how long does it take to get to SW2C"])
def test_how_long_it_takes_to_get_to_a_level_counts_from_the_roles_start(engine, asked):
    assert engine.answer(asked).title.startswith("From SW2A to SW2C: at least 30 months")
    assert engine.answer("how long before I can go for SW2C").title == "At least 6-12 months at SW2B before SW2C."


def test_a_lone_topic_word_asks_which_role(engine):
    reply = engine.answer("how long")
    assert reply.title == "Which role do you mean?"
    assert [c.label for c in reply.choices] == ["Social Worker (SW2)", "Senior Social Worker (SW3)",
                                                "Team Manager (SW4)"]
    assert "It sets no time in level for" in reply.plain_text() and "Social Care Officer (SCO)" in reply.plain_text()


def test_do_i_need_x_to_be_a_role_answers_from_what_the_role_says_about_x(engine):
    reply = engine.answer("do I need to be an AMHP to be a senior")
    assert reply.meta.get("topic") == "search" and "Approved Mental Health Professional" in reply.blocks[0].bullets[0]


@pytest.mark.parametrize("asked, says", [
    ("do I need to know MOSAIC for sw4", "an electronic integrated system such as MOSAIC"),
    ("do I need to know MOSAIC for sw4a", "an electronic integrated system such as MOSAIC"),
])
def test_a_yes_no_question_about_a_rare_word_finds_the_line_that_has_it(engine, asked, says):
    reply = engine.answer(asked)
    assert reply.meta.get("topic") == "search" and says in reply.blocks[0].bullets[0]


def test_a_rare_word_inside_the_named_topic_keeps_the_whole_topic(engine):
    reply = engine.answer("Do I need DSO experience for SW3C?")
    assert reply.meta.get("topic") == "experience" and "DSO for safeguarding cases" in reply.plain_text()


@pytest.mark.parametrize("asked, role", [("how many GCSEs do I need", "Social Care Officer (SCO)")])
def test_a_word_only_one_role_uses_is_answered_not_asked_about(engine, asked, role):
    reply = engine.answer(asked)
    assert reply.meta.get("topic") == "search" and role in reply.plain_text() and "5 GCSE" in reply.plain_text()


@pytest.mark.parametrize("asked", ["what does SW3A year 2 mean", "is there a year 1 and year 2 for SW3"])
def test_a_year_of_a_level_without_years_is_said_to_have_none(engine, asked):
    reply = engine.answer(asked)
    assert reply.blocks[0].text == "SW3A is not split into years: in the framework only SW2A has a Year 1 and a Year 2."


def test_the_experienced_social_worker_level_is_the_pcf(engine):
    assert engine.answer("capabilities for experienced social worker").meta.get("topic") == "pcf_domain"
    assert engine.answer("team mgr level a").title.startswith("What the framework asks for SW4A")


def test_two_asks_in_one_message_answer_the_time_and_offer_the_rest(engine):
    reply = engine.answer("what do i need for sw3b and how long does it take")
    assert reply.title == "At least 12 months at SW3A before SW3B."
    assert reply.blocks[0].text.startswith("You asked two things.")
    assert "What SW3B needs" in [c.label for c in reply.choices]
    assert "You asked two things" not in engine.answer("how long at SW2A before SW2B").plain_text()


@pytest.mark.parametrize("asked, title", [
    ("how long till senior", "No time-in-level rule for moving into SW3A."),
    ("what's the quickest route to SW4", "No time-in-level rule for moving into SW4A."),
    ("can I jump from SW3A to SW3C", "From SW3A to SW3C: at least 30 months (2 years 6 months) of time in level."),
])
def test_more_ways_of_asking_how_long_to_a_role_or_level(engine, asked, title):
    reply = engine.answer(asked)
    assert reply.title == title
    if "jump" in asked:
        assert "does not describe skipping a level" in reply.plain_text()


def test_progressing_from_a_to_b_in_a_role_without_time_rules_shows_what_b_asks(engine):
    reply = engine.answer("how do SCOs progress from A to B")
    assert reply.title.startswith("After SCO 4A comes SCO 4B (Practising).") and reply.status == "answered"
    assert "Training on what is required to complete a CHC checklist." in reply.plain_text()


@pytest.mark.parametrize("asked", ["what does KR10 need that KR9 doesnt", "is KR10 more senior than KR9"])
def test_two_kent_posts_are_compared(engine, asked):
    reply = engine.answer(asked)
    assert reply.meta.get("topic") == "comparison"
    assert "KR9, Kent County Council" in reply.plain_text() and "KR10, Kent County Council" in reply.plain_text()


def test_moving_between_one_grade_posts_shows_the_new_posts_person_spec(engine):
    reply = engine.answer("how do I go from KR9 to KR10")
    assert reply.meta.get("topic") == "role_change" and reply.meta.get("role") == "KR10"
    assert "describe no route or time between them" in reply.plain_text()


def test_a_post_without_desirable_criteria_says_so(engine):
    reply = engine.answer("PO3 desirable criteria")
    assert "documents list no desirable criteria" in reply.plain_text()
    assert "driving licence" in engine.answer("does PO3 need a driving licence").blocks[0].bullets[0]


def test_values_to_show_are_the_values_not_the_evidence_sections(engine):
    reply = engine.answer("what are the values I need to show")
    assert reply.meta.get("topic") == "values" and "We are brave." in reply.plain_text()


@pytest.mark.parametrize("asked", ["i've been qualified 3 years what level should I be",
                                   "which level for someone with 5 years post qualifying experience"])
def test_years_qualified_are_answered_with_what_each_level_asks_not_a_level(engine, asked):
    reply = engine.answer(asked)
    text = reply.plain_text()
    assert reply.title == "The framework does not set a level by years qualified"
    assert text.index("2 years post qualifying experience") < text.index("A minimum of 4 years relevant post")
    assert "Post Qualifying Programme" not in text and "years alone do not decide it" in text


def test_a_small_c_after_get_to_is_a_level(engine):
    reply = engine.answer("hi there, i'm a social worker at sw2b and i want to know what i need to do to get to c")
    assert reply.title.startswith("What the framework asks for SW2C")


@pytest.mark.parametrize("asked", ["how long is the ASYE", "can i count my ASYE year towards the 24 months"])
def test_the_asye_and_the_time_at_sw2a_are_answered_from_what_the_framework_says(engine, asked):
    reply = engine.answer(asked)
    text = reply.plain_text()
    assert reply.title == "How the ASYE fits the time at SW2A"
    assert "does not say how long the ASYE lasts" in text and "Working towards ASYE" in text
    assert "Minimum of 24 months experience at Level SW2A" in text and reply.sources


def test_in_addition_to_level_a_is_explained_with_the_tables_words(engine):
    reply = engine.answer('what does "In addition to level A" mean')
    assert reply.title == "Each level adds to the levels below it"
    assert "In addition to level A" in reply.plain_text()


@pytest.mark.parametrize("asked, kind", [
    ("Is progression automatic after 24 months?", "who approves progression"),
    ("I was SW2B at Kent, what level am I here", "change team, post or employer"),
    ("what's the Kent equivalent of SW3", "how these grades compare"),
])
def test_automatic_progression_moving_employer_and_kent_equivalents_are_not_answered_by_guessing(engine, asked,
                                                                                                   kind):
    reply = engine.answer(asked)
    assert reply.status == "not_in_framework" and kind in reply.title


def test_a_new_team_manager_is_not_someone_changing_team(engine):
    assert engine.answer("I'm a new team manager, what do I need").meta.get("topic") != "out_of_scope"
    assert engine.answer("I'm moving to another team").meta.get("topic") == "out_of_scope"


def test_a_lost_certificate_is_not_a_feeling(engine):
    sorry = "I'm sorry it feels that way. Here is what can help."
    assert engine.answer("I lost my certificate, what do I do").title != sorry
    assert engine.answer("I've been stuck at SW3A for ages").title == sorry


def test_experience_of_something_is_not_years_qualified(engine):
    reply = engine.answer("I have experience of chairing meetings, which level needs that?")
    assert reply.title != "The framework does not set a level by years qualified"


@pytest.mark.parametrize("asked", ["how do managers use the framework", "how do I support someone going for SW3"])
def test_managers_using_the_framework_get_the_guides_words_for_managers(engine, asked):
    reply = engine.answer(asked)
    assert reply.title == "Using the framework as a manager"
    assert "structure conversations with individual Social Workers" in reply.plain_text()
    if "SW3" in asked:
        assert [c.label for c in reply.choices] == ["What SW3A needs", "Evidence for SW3A"]


# -- a term asked about: its meaning, and where the framework uses it ---------------------------------

@pytest.mark.parametrize(("question", "quoted", "level"), [
    ("how do i become an AMHP", "Working towards Practice Educator and/or Best Interest Assessor and/or Approved "
                                "Mental Health Professional.", "SW3B"),
    ("do i need to know mosaic", "an electronic integrated system such as MOSAIC or similar", "SW4A"),
    ("CHC checklist training which level", "Training on what is required to complete a CHC checklist.", "SCO 4B"),
    ("what are the KMSAB competencies 1-5", "Refer to KMSAB- Safeguarding Competency framework basic 1-5,6& 7:",
     "SCO 4B"),
    ("do I need a DBS check", "There is a requirement for the post holder to have DBS checks.", "PO3"),
])
def test_a_term_asked_about_is_shown_where_the_framework_uses_it(engine, question, quoted, level):
    result = ask(engine, question)
    assert quoted in result["text"] and level in result["text"]
    assert "document 00" in " ".join(result["sources"])


def test_kmsab_competencies_are_not_answered_with_another_frameworks_competencies(engine):
    text = ask(engine, "what are the KMSAB competencies 1-5")["text"]
    assert "Carries Out Performance Management" not in text  # the PO3 profile's, nothing to do with KMSAB
    assert "The KMSAB competency framework itself is not included in the framework documents." in text


def test_what_an_abbreviation_stands_for_lists_where_it_is_used_without_quoting_it_all(engine):
    text = ask(engine, "what does AMHP stand for?")["text"]
    assert text.startswith("AMHP: Approved Mental Health Professional")
    assert "The framework mentions AMHP at: SW3B, SW3C, SW4A" in text
    assert "Working towards Practice Educator" not in text


def test_the_rcn_note_is_shown_where_the_rcn_is_asked_about(engine):
    assert "NMC" in ask(engine, "is the RCN a regulator")["text"]


def test_a_section_a_level_lacks_is_not_called_absent_when_its_lines_speak_of_it(engine):
    result = ask(engine, "safeguarding for sw2b")
    assert result["text"].startswith("SW2B has no safeguarding section in the framework, but these lines")
    assert "Can safeguard people at risk of abuse or neglect" in result["text"]
    assert "no such section at any level" not in result["text"]
    assert "Experience of undertaking assessment and planning for safeguarding in complex cases" in ask(
        engine, "safeguarding requirements for sw2c")["text"]


@pytest.mark.parametrize(("question", "says"), [
    ("what is the SW2C time requirement", "At least 6-12 months at SW2B before SW2C."),
    ("whats the time requirement for sw4b", "At least 12 months at SW4A before SW4B."),
    ("what is the SW4C experience time requirement", "Minimum of 24 months experience at level SW2B"),
    ("how many years experience for children's senior social worker",
     "A minimum of 2.5 years qualified Social Work experience."),
])
def test_time_asked_in_other_words(engine, question, says):
    assert says in ask(engine, question)["text"]


def test_no_time_button_where_the_framework_sets_no_time(engine):
    labels = ask(engine, "what do I need for SCO 4B")["choices"]
    assert labels and not any(label.startswith("Time needed") for label in labels)
    assert "Time needed at SW3A" in ask(engine, "what do I need for SW3B")["choices"]


def test_progressing_to_a_named_post_is_what_that_post_asks(engine):
    text = ask(engine, "how do i progress to senior in childrens services")["text"]
    assert "provide a portfolio to evidence 18 months CPD from completing the ASYE" in text
    assert "Personal development routes" not in text
    assert "What SW3A needs" in ask(engine, "how can i develop my skills for senior")["choices"]


@pytest.mark.parametrize(("question", "starts"), [
    ("I'm SW3C what now", "SW3C is the top level of Senior Social Worker."),
    ("I'm SW4C what now", "SW4C is the top level of Team Manager."),
    ("I'm SW2B what now", "After SW2B comes SW2C"),
])
def test_what_now_is_the_next_step_not_the_level_already_held(engine, question, starts):
    assert ask(engine, question)["text"].startswith(starts)


def test_a_term_only_a_reviewers_comment_uses_at_a_level_is_shown_where_it_is_asked_for(engine):
    text = ask(engine, "do I need to be a DSO for SW3B")["text"]
    assert text.startswith("Not at SW3B: the framework asks for this at SW3C")
    assert "Experience of being a DSO for safeguarding cases" in text
    assert "a reviewer's comment in the table mentions it, which is not a requirement" in text


def test_a_line_with_a_typo_is_found_by_what_was_meant(engine):
    # the source says "Care 2014" (known issue); people ask about the Care Act
    text = ask(engine, "what's the care act requirement for SCO B")["text"]
    assert "statutory responsibilities under the Care 2014" in text and 'the word "Act" is missing' in text
    assert text.index("SCO 4B – Level B") < text.index("Deaf services")  # the standard table first


def test_comparing_sco_levels_keeps_to_one_table(engine):
    text = ask(engine, "difference between sco A and sco C")["text"]
    assert "Knowledge of a wide range of specialist equipment appropriate to people who are deaf" not in text
    assert "The deaf services team has its own version of this table" in text
    deaf = ask(engine, "difference between deaf services sco A and sco C")["text"]
    assert "people who are deaf" in deaf


@pytest.mark.parametrize(("question", "where"), [
    ("do I need a driving licence for SW2", "Social Worker (SW2)"),
    ("do senior social workers need to drive", "Senior Social Worker (SW3)"),
    ("do I need a driving licence for SW3B", "SW3B"),
])
def test_a_requirement_only_other_roles_have_is_not_read_as_this_ones(engine, question, where):
    result = ask(engine, question)
    assert result["text"].startswith("The framework doesn't mention")
    assert f"for {where}" in result["text"].splitlines()[0]
    assert "Full UK driving licence" in result["text"] and "SCO 4A" in result["text"]  # where it is, quoted
    assert f"So the framework sets no such requirement for {where}" in result["text"]


@pytest.mark.parametrize(("question", "quoted", "not_there"), [
    ("how many training courses do I need for SW2B", "Evidence a minimum of 3 training courses attended",
     "Knowledge of the prevention and enablement agenda."),
    ("what is the Equality Act requirement for SW2", "An understanding of the Equality Act 2020",
     "Degree in Social Work"),
    ("sw3b vs sw3c experience", "Experience of being a DSO for safeguarding cases", "Level C (Accomplished) – Skills"),
])
def test_a_named_part_of_a_level_is_answered_without_the_rest(engine, question, quoted, not_there):
    text = ask(engine, question)["text"]
    assert quoted in text and not_there not in text


def test_the_equality_act_typo_note_is_shown(engine):
    assert "the Act is the Equality Act 2010" in ask(engine, "what is the Equality Act requirement for SW2")["text"]


def test_a_newly_qualified_social_workers_next_step_starts_with_the_asye_years(engine):
    text = ask(engine, "I'm a newly qualified social worker, what's next?")["text"]
    assert "SW2A itself has a Year 1 and a Year 2" in text and "Working towards ASYE" in text
    assert text.index("Completion of Assessed & Supported Year") < text.index("“Minimum of 24 months")


def test_time_to_move_to_another_role_is_the_move_answer(engine):
    text = ask(engine, "how long does it take to go from SCO to social worker")["text"]
    assert text.startswith("From Social Care Officer (SCO) to Social Worker (SW2)")
    assert "Degree in Social Work" in text


def test_comparing_two_posts_leaves_out_what_both_say_word_for_word(engine):
    text = ask(engine, "what's the difference between KR9 and KR10")["text"]
    assert "medium to high complexity" in text and "of high complexity" in text
    assert "Newly Qualified Social Worker or Social Worker level" in text and "Practitioner level" in text
    assert "Directorate: Adult Social Care and Health" not in text  # the same in both
    assert "are left out, so what differs stands out" in text


def test_a_role_named_as_the_people_supervised_is_not_the_role_asked_about(engine):
    text = ask(engine, "when do I start supervising SCOs")["text"]
    assert "Experience of providing supervision to SCOs" in text
    assert not text.startswith("Overview: Social Care Officer")


@pytest.mark.parametrize(("question", "quoted"), [
    ("does SW2B have a safeguarding section?", "Can safeguard people at risk of abuse or neglect"),
    ("does SW2C involve supervising SCOs?", "Experience of providing supervision to SCOs"),
    ("can an OT become a team manager?", "Degree in Social Work, Occupational Therapy or Nursing."),
])
def test_words_that_frame_a_question_are_not_taken_for_its_subject(engine, question, quoted):
    result = ask(engine, question)
    assert quoted in result["text"]
    assert "The framework doesn't mention" not in result["text"]


@pytest.mark.parametrize(("question", "starts"), [
    ("can a newly qualified social worker apply for KR9?", "From Social Worker (SW2) to Social Worker (KR9"),
    ("I've been KR9 for 2 years, can I apply for KR10?", "From Social Worker (KR9, Kent County Council) to Social "
                                                         "Worker (KR10"),
    ("how long from SW2C to SW3A", "From SW2C to SW3A: no time in level is set; SW3A asks for experience instead."),
])
def test_moves_between_posts_and_roles(engine, question, starts):
    assert ask(engine, question)["text"].startswith(starts)


def test_the_asye_asked_of_another_post_is_that_posts_line(engine):
    text = ask(engine, "does KR9 require the ASYE?")["text"]
    assert "Completion of an assessed first year of practice (ASYE)" in text and "SW2A" not in text


def test_how_long_a_statement_can_be_is_not_a_time_in_level(engine):
    text = ask(engine, "what written statements do I need for SW3C and how long can they be?")["text"]
    assert "(max 400 words)" in text and not text.startswith("The documents differ")


def test_a_glossary_term_in_a_topic_question_does_not_take_it_over(engine):
    assert ask(engine, "What values does ASC expect from its staff?")["text"].startswith("Values in the framework")
    assert not ask(engine, "what are the values expected of social care staff in the UK?")["text"].startswith("UK:")


def test_becoming_a_better_social_worker_is_about_developing(engine):
    text = ask(engine, "How can I develop my skills to become a better social worker?")["text"]
    assert text.startswith("Developing your career")


@pytest.mark.parametrize("text", ["\u200b" * 4100, " " * 4100 + "x", "\x00" * 5000])
def test_long_blank_or_invisible_text_is_answered_not_a_crash(engine, text):
    assert ask(engine, text)["text"]


@pytest.mark.parametrize(("question", "quoted"), [
    ("is stepping up paid?", "(unpaid)"),
    ("is acting up paid more?", "(paid)"),
    ("does the council pay for my AMHP training?", "Where possible, we will support individuals"),
    ("can I do a secondment to another council?", "can also be an external organisation"),
])
def test_what_the_guide_says_beside_what_it_does_not_cover(engine, question, quoted):
    result = ask(engine, question)
    assert result["text"].startswith("The framework does not cover") and quoted in result["text"]
    assert "document 003" in " ".join(result["sources"])


def test_kent_yes_no_questions_are_answered_from_the_kent_posts(engine):
    text = ask(engine, "does Kent require MCA training?")["text"]
    assert "having undertaken Mental Capacity Act training" in text and "Directorate:" not in text
    text = ask(engine, "do Kent social workers need a driving licence?")["text"]
    assert text.startswith("The framework doesn't mention “driving” or “licence” for the Kent posts")


def test_a_small_level_letter_ending_the_question_is_the_level_asked_for(engine):
    assert ask(engine, "i'm a snr sw at level b, what do i need for c?")["text"].startswith(
        "What the framework asks for SW3C")


def test_a_subject_no_document_mentions_is_said_to_be_unmentioned(engine):
    text = ask(engine, "do SCOs need to speak BSL?")["text"]
    assert text.startswith("The framework documents don't mention “BSL”.")
    assert "Fluency in English" not in text


def test_which_pcf_level_a_post_asks_for_is_that_posts_own_line(engine):
    text = ask(engine, "which PCF level is a KR10 expected to work at?")["text"]
    assert "Competent to work at the Practitioner level of the Professional Capabilities Framework" in text
    text = ask(engine, "which PCF level for SW3B")["text"]
    assert "documents do not say which level of the PCF applies" in text


def test_development_activities_are_the_guides_routes(engine):
    text = ask(engine, "what development activities does the framework suggest?")["text"]
    for route in ("On the job learning", "Learning from others", "Formal learning", "Stepping Up", "Acting Up",
                  "Secondments"):
        assert route in text


def test_a_line_that_introduces_a_list_brings_its_items(engine):
    text = ask(engine, "what teams does the children's senior social worker profile cover?")["text"]
    assert "in the following teams:" in text
    assert "Localities" in text and "MASH" in text and "Leaving Care" in text


@pytest.mark.parametrize(("question", "starts"), [
    ("I work in the deaf services team as an SCO level A. what do I need for level B?",
     "What the framework asks for SCO 4B (Practising) – Deaf services"),
    ("Im a social care officer standard team level B. what do i need for C", "What the framework asks for SCO 4C"),
    ("I'm a senior social worker, SW3B. what do I need to be a team manager?",
     "From Senior Social Worker (SW3) to Team Manager (SW4)"),
    ("I'm SW3C, what do I need for team manager?", "From Senior Social Worker (SW3) to Team Manager (SW4)"),
    ("do team managers need to be social workers?", "Qualifications: Team Manager, SW4A"),
    ("I'm a Kent social worker on KR9. what's the KR10 person spec say about experience?",
     "Person specification: Social Worker (KR10"),
])
def test_the_level_or_role_asked_about_not_the_one_held(engine, question, starts):
    assert ask(engine, question)["text"].startswith(starts)


def test_eligibility_for_another_post_is_about_that_post(engine):
    text = ask(engine, "I've been a KR9 for 3 years. am I eligible for KR10?")["text"]
    assert text.startswith("Social Worker (KR10, Kent County Council) has no time-in-level rule")
    assert "Significant post qualification experience" in text
    text = ask(engine, "how many years experience for children's senior social worker")["text"]
    assert "18 months CPD from completing the ASYE" in text


def test_tm_is_team_manager(engine):
    assert "A minimum of 4 years relevant post qualifying experience" in ask(engine, "how many years PQE for TM?")[
        "text"]


def test_two_levels_of_different_roles_are_shown_side_by_side(engine):
    text = ask(engine, "compare SW3C and SW4A")["text"]
    assert text.startswith("SW3C and SW4A, side by side")
    assert "SW3C – Qualifications" in text and "SW4A – Qualifications" in text
    assert "Degree in Social Work, Occupational Therapy or Nursing." in text


def test_a_yes_no_question_about_a_term_leads_with_what_the_framework_asks(engine):
    text = ask(engine, "do i need GCSE maths?")["text"]
    assert text.startswith("What the framework says about GCSE")
    assert text.index("Minimum of 5 GCSE (grade 4-9) including Maths and English") < text.index(
        "The documents do not spell out “GCSE”.")


@pytest.mark.parametrize(("question", "not_starts"), [
    ("should I apply for SW2B now?", "The framework documents don't mention"),
    ("do SW2s need a car?", "The framework documents don't mention “SW2s”"),
    ("can I go straight to team manager?", "The framework documents don't mention"),
    ("do I need to do anything else for SW2B?", "The framework documents don't mention"),
])
def test_ordinary_words_are_not_called_unmentioned(engine, question, not_starts):
    assert not ask(engine, question)["text"].startswith(not_starts)


@pytest.mark.parametrize(("question", "has"), [
    ("I'm SW2C, what knowledge do I need for SW3A?", "Level A (Developing) – Knowledge"),
    ("I have the knowledge needed for SW3A, what about SW3B?", "SW3B"),
])
def test_second_review_answers(engine, question, has):
    assert has in ask(engine, question)["text"][:600]


def test_notes_on_a_role_as_a_whole_are_shown_with_answers_about_the_role(engine):
    result = ask(engine, "what is range 4?")
    assert result["text"].startswith("Social Care Officer (SCO): grade Range 4")
    assert 'the footnote that the marker points to is missing from the source document' in result["text"]
    assert "rows are shifted one column to the left" in ask(engine, "what does a senior social worker do?")["text"]


# -- from the 26 November QA (second day) ------------------------------------------------------------------------

@pytest.mark.parametrize(("asked", "title"), [
    ("what is the difference between SW3B and C?", "What SW3C adds to SW3B"),
    ("difference between sw4b and c", "What SW4C adds to SW4B"),
    ("SW2B vs C", "What SW2C adds to SW2B"),
    ("what is the difference between SCO level A and B?", "What SCO 4B adds to SCO 4A"),
])
def test_a_letter_joined_to_a_level_is_a_level_of_the_same_role(engine, asked, title):
    assert engine.answer(asked).title == title


@pytest.mark.parametrize(("asked", "starts"), [
    ("I'm at SW3C, what do I need to progress further as a social worker?", "SW3C is the top level of Senior Social"),
    ("I want to progress in my career as a social worker, what do I need for SW3C?",
     "What the framework asks for SW3C (Accomplished)"),
    ("I'm SW2B, how do I progress as a social worker?", "After SW2B comes SW2C (Accomplished)."),
    ("I'm SW4A, how do I progress?", "After SW4A comes SW4B (Practising)."),
])
def test_progressing_as_a_social_worker_is_the_next_step_not_a_move_to_sw2(engine, asked, starts):
    reply = engine.answer(asked)
    assert reply.plain_text().startswith(starts)
    assert "to Social Worker (SW2)" not in reply.title


def test_how_do_i_progress_with_no_level_is_still_the_guides_development_routes(engine):
    assert engine.answer("how do I progress?").title.startswith("Developing your career")


@pytest.mark.parametrize("asked", ["sw3c time", "time for SW3C"])
def test_a_code_and_time_alone_is_the_time_in_level(engine, asked):
    assert engine.answer(asked).meta.get("topic") == "time_in_level"


@pytest.mark.parametrize("asked", [
    "I've been covering my manager's sick leave, does that count as evidence?",
    "I have been covering some of my team manager's duties, does that count?",
    "I cover for my manager when she's away, does that help?",
])
def test_covering_for_someone_quotes_the_guides_routes_not_leave_entitlements(engine, asked):
    reply = engine.answer(asked)
    text = reply.plain_text()
    assert reply.title.startswith("Covering for") and "leave entitlements" not in text
    assert "Stepping Up (covering an employee's annual or sick leave" in text
    assert "Acting Up (covering the duties of a higher-graded post" in text
    assert "Evidence of chairing meetings on behalf of team manager e.eg. meeting minutes." in text  # as written
    assert "does not say whether cover you have done counts" in text


@pytest.mark.parametrize("asked", ["does the framework cover sick leave?", "how much sick leave do I get?"])
def test_leave_itself_is_still_out_of_scope(engine, asked):
    assert engine.answer(asked).title == "The framework does not cover annual leave or other leave entitlements."


@pytest.mark.parametrize(("asked", "grade"), [
    ("how much is range 4 paid?", "Grade: Range 4"),
    ("what is the pay for range 4", "Grade: Range 4"),
    ("what's the hourly rate for an SCO", "Grade: Range 4"),
    ("what's the hourly rate for a social worker", "Grade: SW2"),
])
def test_pay_asked_by_grade_or_hourly_rate_says_there_are_no_figures(engine, asked, grade):
    reply = engine.answer(asked)
    assert reply.title == "The framework does not cover pay or salary figures." and grade in reply.plain_text()


def test_complaints_as_part_of_a_job_are_answered_from_the_framework(engine):
    text = engine.answer("do team managers need to handle complaints?").plain_text()
    assert "Provides professional complaint responses within specified timescale." in text
    assert engine.answer("can I complain if my manager won't progress me?").status == "not_in_framework"


@pytest.mark.parametrize(("asked", "title"), [
    ("what does KR stand for?", "“KR”: the letters of the grade codes KR9 and KR10"),
    ("what does PO stand for?", "“PO”: the letters of the grade code PO3"),
    ("what is SW short for?", "SW: Social Worker"),
    ("what does sco stand for?", "SCO: Social Care Officer"),
])
def test_the_letters_of_a_grade_code_are_answered_without_a_guess(engine, asked, title):
    reply = engine.answer(asked)
    assert reply.title == title
    assert "don't mention" not in reply.plain_text()


def test_the_pcf_practitioner_level_is_said_to_be_named_only_by_the_kr10_specification(engine):
    for asked in ("what is the PCF practitioner level?",
                  "is the PCF practitioner level the same as experienced social worker?"):
        text = engine.answer(asked).plain_text()
        assert "Only the Kent KR10 person specification names a “Practitioner level”" in text
        assert "Competent to work at the Practitioner level of the Professional Capabilities Framework" in text
        assert "do not map" not in text


def test_just_qualified_is_sw2a(engine):
    reply = engine.answer("I've just qualified, what level do I start at?")
    assert (reply.meta.get("role"), reply.meta.get("level")) == ("SW2", "A")


def test_a_word_limit_is_answered_from_the_evidence_that_sets_it(engine):
    text = engine.answer("what is the word limit for the SW3C skills statement?").plain_text()
    assert "(max 400 words)" in text and "(max 500 words)" in text


def test_training_for_a_level_also_quotes_the_training_its_evidence_asks_for(engine):
    reply = engine.answer("what training do I need for SW2B?")
    assert "Evidence a minimum of 3 training courses attended or briefing sessions" in reply.plain_text()
    assert any("document 003" in s for s in reply.sources)


@pytest.mark.parametrize("question", ["what is the consolidation year?", "what do I need in my consolidation year"])
def test_a_sub_heading_that_names_its_items_finds_them(engine, question):
    # Medway's SW2A evidence: "Year 2: Consolidation year • Evidence of ASYE pass" (003:172); the name is only in
    # the heading
    text = engine.answer(question).plain_text()
    assert "Year 2: Consolidation year" in text and "Evidence of ASYE pass" in text and "document 003" in text


@pytest.mark.parametrize("question", ["what's the difference between AMHP and BIA?", "AMHP vs BIA",
                                      "compare BIA and AMHP"])
def test_two_terms_compared_get_both_meanings_and_no_invented_comparison(engine, question):
    reply = engine.answer(question)
    text = reply.plain_text()
    assert "AMHP: Approved Mental Health Professional" in text and "BIA: Best Interest Assessor" in text
    assert "The documents do not compare" in text


def test_a_comparison_with_a_level_is_not_a_glossary_comparison(engine):
    assert "The documents do not compare" not in engine.answer("AMHP or BIA, which one for SW3C?").plain_text()


def test_a_short_terms_spelt_out_form_is_found_in_any_case(engine):
    # PE must be in capitals (it is a word in lower case), but "Practice Educator" is found however it is written
    text = engine.answer("what does PE stand for?").plain_text()
    assert "SW3B" in text.split("The framework mentions PE at:")[1].split("\n")[0]


@pytest.mark.parametrize("question", ["why does sw4c say sw2b", "how come the SW4C evidence mentions SW2B?"])
def test_why_one_level_names_another_is_answered_from_that_line_and_its_note(engine, question):
    # it answered with SW2B's requirements; the line is a noted typo in Medway's Team Manager table (003:228)
    reply = engine.answer(question)
    text = reply.plain_text()
    assert reply.title == "Where SW4C names SW2B"
    assert "Minimum of 24 months experience at level SW2B" in text and "almost certainly a typo for SW4B" in text
    assert "You also asked about SW2B" not in text


def test_two_levels_asked_about_are_not_a_question_about_wording(engine):
    assert not engine.answer("what do I need for SW4C and SW2B?").title.startswith("Where")


@pytest.mark.parametrize("question", ["what does the pcf say about supervision", "PCF on supervision?"])
def test_a_subject_within_the_pcf_is_answered_from_its_own_lines(engine, question):
    # it gave the PCF's general introduction; 004:105 and 004:238 speak of supervision
    reply = engine.answer(question)
    text = reply.plain_text()
    assert reply.title == "What the PCF says about supervision"
    assert "expect and seek supervision that covers practice" in text
    assert "provide supervision to colleagues as required" in text


@pytest.mark.parametrize("hurried, in_full", [
    ("how long b4 i can go 4 sw3", "how long before i can go for sw3"),
    ("whats the evidence 4 sw3c", "what's the evidence for sw3c"),
    ("wat do u need 4 sw2b pls", "what do you need for sw2b please"),
])
def test_text_speak_is_answered_as_the_words_in_full(engine, hurried, in_full):
    assert engine.answer(hurried).plain_text() == engine.answer(in_full).plain_text()


@pytest.mark.parametrize("question, title", [
    ("what do i need for 4b", "What the framework asks for SCO 4B (Practising)"),
    ("4c?", "What the framework asks for SCO 4C (Accomplished)"),
])
def test_4a_4b_4c_alone_are_the_social_care_officers_levels(engine, question, title):
    assert engine.answer(question).title == title


@pytest.mark.parametrize("question", ["can I work 4 a week part time?", "what does SW 4B need?"])
def test_a_four_and_a_letter_elsewhere_is_not_a_social_care_officer_level(engine, question):
    assert "SCO" not in engine.answer(question).title


@pytest.mark.parametrize("question", ["do I need a COS to work as a social worker?", "do i need 4 years pqe for sw4a"])
def test_words_that_look_hurried_but_are_not(engine, question):
    text = engine.answer(question).plain_text()
    assert "because" not in text.split("\n")[0] and "for years" not in text


@pytest.mark.parametrize("question", ["will my time as sco count", "does my sco experience count towards sw2b"])
def test_time_as_a_social_care_officer_counting_is_not_said(engine, question):
    # a deaf services duty about handling cash was the answer
    assert engine.answer(question).title == (
        "The framework does not say whether time as a social care officer counts towards time in level.")


def test_is_acting_up_paid_leads_to_the_guides_line_that_says_so(engine):
    text = engine.answer("is acting up paid").plain_text()
    assert "The guide's line on Acting Up is below; the framework gives no pay figures." in text
    assert "on a longer-term basis (paid))" in text


def test_become_and_without_frame_a_question_and_are_not_its_subject(engine):
    # "can i become a sw without a degree" led with a deaf services duty ("who have become deaf")
    text = engine.answer("can i become a sw without a degree").plain_text()
    assert "Degree in Social Work" in text and "become deaf" not in text


@pytest.mark.parametrize("question", ["i work part time 3 days does that mean i need longer at b",
                                      "does part time mean it takes longer to get to sw2c"])
def test_whether_part_time_means_longer_is_not_said(engine, question):
    # "does that mean I need longer" was answered as hours of work, which the framework does not cover
    assert engine.answer(question).title == (
        "The framework does not say whether part-time working counts towards time in level.")


def test_a_four_in_a_level_is_never_for(engine):
    assert engine.answer("what do i need for sco 4 b").title.startswith("What the framework asks for SCO 4B")


@pytest.mark.parametrize("question", ["sco deaf team level b", "deaf team sco b"])
def test_a_level_of_the_deaf_services_table_is_that_table(engine, question):
    # "deaf" and "team" name the table, not a subject in it: it gave a search snippet of two lines
    assert engine.answer(question).title == "What the framework asks for SCO 4B (Practising) – Deaf services"


def test_a_subject_within_the_deaf_services_table_is_still_searched(engine):
    text = engine.answer("sco 4b deaf services equipment").plain_text()
    assert text.startswith("What the framework says on this for SCO 4B") and "specialist equipment" in text


def test_the_evidence_quoted_beside_training_keeps_its_section_note(engine):
    # the SW3B evidence section carries a note (its Knowledge and Skills cells are blank): quoting part of that
    # section must show the note, as the full evidence answer does
    text = engine.answer("what training do I need for SW3B?").plain_text()
    assert "Evidence a minimum of 3 training courses" in text
    assert "The Knowledge and Skills cells for SW3B are blank in the table" in text


@pytest.mark.parametrize(("asked", "title"), [
    ("What is covered in the Team Manager job description?", "Duties: Team Manager (SW4)"),
    ("Is my time in level covered if I take maternity leave?",
     "The framework does not cover annual leave or other leave entitlements."),
    ("Does part time work get covered in the senior role?", "The framework does not cover hours of work."),
])
def test_covered_in_the_passive_is_not_covering_for_someone(engine, asked, title):
    assert engine.answer(asked).title == title


@pytest.mark.parametrize("asked", ["I'm covering for my manager, does that count towards SW3C?",
                                   "can I cover a colleague's caseload while they're off sick?",
                                   "does acting up for my manager count towards SW3C?"])
def test_covering_with_a_level_or_a_colleague_is_the_cover_answer(engine, asked):
    assert engine.answer(asked).title.startswith("Covering for")


@pytest.mark.parametrize(("asked", "not_about"), [
    ("I'm SW3A and just qualified as an AMHP, does that help for SW3B?", ("SW2", "A")),
    ("what do I need to progress my SW3A evidence?", ("SW3", "B")),
])
def test_todays_patterns_leave_other_questions_alone(engine, asked, not_about):
    reply = engine.answer(asked)
    assert (reply.meta.get("role"), reply.meta.get("level")) != not_about


def test_an_hour_is_not_pay(engine):
    assert engine.answer("Is the interview for SW3A an hour?").meta.get("topic") != "out_of_scope"


def test_a_capital_a_that_starts_a_word_is_not_a_level(engine):
    assert "SW2A" not in engine.answer("I'm SW2B, A colleague is SW3A, what's the difference?").title


def test_what_an_abbreviation_means_for_a_role_is_that_roles_answer(engine):
    assert engine.answer("What does PCF mean for SW2?").title.startswith("What the Social Worker (SW2) documents")


@pytest.mark.parametrize("asked", ["what's KR?", "KR meaning", "KR"])
def test_the_letters_kr_alone_are_the_grade_codes_letters(engine, asked):
    assert engine.answer(asked).title == "“KR”: the letters of the grade codes KR9 and KR10"


def test_a_contraction_is_not_a_word_the_documents_lack(engine):
    assert "doesn" not in engine.answer("my manager doesn't give feedback").title


@pytest.mark.parametrize(("asked", "answered", "button"), [
    ("qualifications for SW3A and C", "SW3A", "Qualifications for SW3C"),
    ("what do I need for SW2B and C?", "SW2B", "What SW2C needs"),
    ("evidence for SW2B and SW2C", "SW2B", "Evidence for SW2C"),
])
def test_a_second_level_asked_is_said_and_a_button_away(engine, asked, answered, button):
    reply = engine.answer(asked)
    assert f"this answer is for {answered} only" in reply.plain_text()
    assert button in [c.label for c in reply.choices]


# -- a word with its number ("conversation 3") is a phrase the search keeps ------------------------------------
@pytest.mark.parametrize("question", ["what does conversation 3 involve?", "what's conversation 3?",
                                      "Conversation 3 - what is it"])
def test_a_numbered_phrase_finds_the_line_that_says_it(engine, question):
    first = ask(engine, question)["text"].split("\n\n")[1]
    assert "completing conversation 3" in first


def test_the_number_alone_does_not_decide(engine):
    # "conversation 2" is a different line: the phrase must match with its own number
    first = ask(engine, "what is conversation 2?")["text"].split("\n\n")[1]
    assert "conversation 2" in first and "conversation 3" not in first


# -- "I'm SW3B, how long before c?": a small letter after "before", "apply for", "go for" is the next level ---------
@pytest.mark.parametrize("question, says", [
    ("im a sw3b, how long before c", "18 months at SW3B before SW3C"),
    ("im a sw2b, how long before c", "6-12 months at SW2B before SW2C"),
    ("im sw4b how long before c", "24 months at SW4B before SW4C"),
    ("how long do i have to be a senior b before going to c", "18 months at SW3B before SW3C"),
    ("been a senior b for a year, can i apply for c now?", "18 months at SW3B before SW3C"),
])
def test_a_small_letter_after_before_or_apply_for_is_a_level(engine, question, says):
    assert says in ask(engine, question)["text"].split("\n")[0]


@pytest.mark.parametrize("text", ["can I apply for a job in another team?", "I want to go for a promotion",
                                  "before a panel, what do I need?", "sign up to a course",
                                  "apply for cpd funding"])
def test_articles_after_apply_for_are_not_levels(text):
    assert parse(text).bare_levels == [] and parse(text).levels == []


# -- "my TM says…", "my senior told me…": someone's words, not a role asked about ------------------------------------
@pytest.mark.parametrize("question, first_line", [
    ("my TM says i need to do a 500 word statement for sw2c, is that actually in the framework?",
     "What the framework says on this for SW2C"),
    ("my team manager told me i need a written statement for sw2c", "What the framework says on this for SW2C"),
    ("my senior says i need to chair meetings for sw2c, is that true?",
     "Not at SW2C: the framework asks for this at SW3B and SW3C"),
])
def test_someones_words_are_not_a_move_between_roles(engine, question, first_line):
    text = ask(engine, question)["text"]
    assert text.split("\n")[0] == first_line and "From Team Manager" not in text and "From Senior" not in text


def test_a_team_manager_asked_about_is_still_the_role(engine):
    assert parse("what does a team manager need?").roles == ["SW4"]
    assert parse("my team manager role: what does it need at level B?").roles == ["SW4"]


# -- asked at one role, asked for only by a later one: say where ----------------------------------------------------
def test_a_thing_only_a_later_role_asks_for_is_said_to_be_there(engine):
    text = ask(engine, "do i need to chair meetings for sw2c?")["text"]
    assert text.startswith("Not at SW2C: the framework asks for this at SW3B")
    assert "Nothing in SW2C's requirements asks for it." in text
    assert "Experience of chairing meetings e.g. team meetings" in text
    # where the level itself asks for it, that is the answer, as before
    assert ask(engine, "do i need to chair meetings for sw3b?")["text"].startswith(
        "What the framework says on this for SW3B")


# -- a role's levels: the top one, how many -----------------------------------------------------------------------
@pytest.mark.parametrize("question, first", [
    ("is sw4c the highest level?", "SW4C is the top level of Team Manager."),
    ("what's the top level for a senior", "SW3C is the top level of Senior Social Worker."),
    ("how many levels are there for social workers",
     "Social Worker (SW2) has 3 levels in the framework: SW2A (Developing), SW2B (Practising), SW2C (Accomplished)."),
])
def test_the_top_level_and_how_many_levels(engine, question, first):
    assert ask(engine, question)["text"].split("\n")[0] == first


def test_a_level_that_is_not_the_top_is_said_so(engine):
    text = ask(engine, "is SW3B the top level?")["text"]
    assert "No: SW3C is the top level of Senior Social Worker." in text


@pytest.mark.parametrize("question, code", [("compare sco 4b and 4c", "SCO 4C adds to SCO 4B"),
                                            ("sco 4a vs 4b?", "SCO 4B adds to SCO 4A")])
def test_sco_levels_written_with_their_4(engine, question, code):
    assert code in ask(engine, question)["text"].split("\n")[0]


def test_and_social_worker_is_not_a_typo_of_a_senior(engine):
    assert parse("what's the difference between SCO and social worker").roles == ["SCO", "SW2"]


def test_basw_is_in_the_glossary_with_the_words_the_documents_use(engine):
    text = ask(engine, "what does BASW stand for?")["text"]
    assert text.startswith("BASW: British Association of Social Workers")
    assert "does not say whether membership of BASW is required" in text


def test_years_qualified_is_post_qualifying_experience(engine):
    assert "A minimum of 4 years relevant post qualifying experience." in ask(
        engine, "how many years qualified for sw4")["text"]


# -- what counts towards time in level: the framework never says; the rule, and who can say --------------------------
@pytest.mark.parametrize("question, what, quoted", [
    ("im on secondment to the hospital team, does that count as time at sw3a", "secondment",
     "A minimum of 12 months experience at level SW3A"),
    ("i work part time, does my time in level at sw2a count pro rata?", "part-time working",
     "Minimum of 24 months experience at Level SW2A"),
    ("i was on maternity leave for 9 months, does that count towards the 24 months", "maternity leave",
     "Minimum of 24 months experience at Level SW2A"),
    ("is acting up counted towards SW3B?", "acting up", "A minimum of 12 months experience at level SW3A"),
])
def test_what_counts_towards_time_in_level_is_not_said_and_the_rule_is_quoted(engine, question, what, quoted):
    text = ask(engine, question)["text"]
    assert text.startswith(f"The framework does not say whether {what} counts towards time in level.")
    assert quoted in text and "evidenced by HR records”, so HR (or your manager) can tell you" in text


def test_what_counts_uses_the_askers_own_level(engine):
    from bot.answers.shared import Context

    text = engine.answer("does sick leave count towards my time?", context=Context(role="SW2", level="B")).plain_text()
    assert "What it says about the time at SW2B before SW2C" in text


@pytest.mark.parametrize("question, quoted", [
    ("i'm going on mat leave in march, does my time at sw2a stop?", "Minimum of 24 months experience at Level SW2A"),
    ("does maternity leave stop my time at SW2A", "Minimum of 24 months experience at Level SW2A"),
    ("will my time at sw3a pause while im off sick", "A minimum of 12 months experience at level SW3A"),
    ("does my time start again after a career break at sw3a", "A minimum of 12 months experience at level SW3A"),
])
def test_time_stopping_or_pausing_is_the_same_question_as_counting(engine, question, quoted):
    text = ask(engine, question)["text"]
    assert "counts towards time in level" in text.split("\n")[0] and quoted in text


def test_time_stopping_at_a_role_without_time_in_level_says_it_has_none(engine):
    text = ask(engine, "does my time at sco 4a stop while I'm on paternity leave")["text"]
    assert "no minimum time in level for Social Care Officer (SCO)" in text and "Name your level" not in text


@pytest.mark.parametrize("question", ["my maternity pay stops after 9 months, what do I need for SW2B?",
                                      "im on mat leave, will my reminders pause", "when does maternity leave stop",
                                      "does sickness stop me applying for SW3B?",
                                      "will my maternity leave pause my self-assessment?"])
def test_other_things_that_stop_or_pause_are_not_time_in_level(engine, question):
    assert "counts towards time in level" not in ask(engine, question)["text"]


@pytest.mark.parametrize("question", ["can i go on secondment as a sw2?", "what is acting up?",
                                      "how long is maternity leave?", "does SW3B count as a senior?"])
def test_other_questions_about_these_things_are_not_about_counting_time(engine, question):
    assert "counts towards time in level" not in ask(engine, question)["text"]


# -- moving into a role above its first level, skipping, "SW" alone ----------------------------------------------
def test_a_move_into_a_later_level_of_another_role_says_what_comes_first(engine):
    text = ask(engine, "can an sco go straight to sw2b if they get their degree")["text"]
    assert "SW2B comes after SW2A" in text and "no way into Social Worker (SW2) at SW2B" in text
    assert "Minimum of 24 months experience at Level SW2A" in text and "2 years post qualifying experience" in text


def test_a_move_from_below_the_top_of_a_role_that_skips_says_so(engine):
    text = ask(engine, "can i go from sw2a straight to sw3a if i have 4 years pqe")["text"]
    assert "does not describe leaving Social Worker (SW2) before its top level: SW2B and SW2C come after SW2A" in text
    assert "before its top level" not in ask(engine, "can I move from SW2C to SW3A?")["text"]


@pytest.mark.parametrize("question, roles", [("what do i need to move from sco to sw", ["SCO", "SW2"]),
                                             ("do sws need a driving licence", ["SW2"]),
                                             ("what do I need for SW3B?", ["SW3"])])
def test_sw_alone_is_the_social_worker_role(question, roles):
    assert parse(question).roles == roles


def test_an_agency_social_worker_is_told_contracts_are_not_covered(engine):
    assert ask(engine, "im an agency sw, can i use this framework")["text"].startswith(
        "The framework does not cover contract terms")


@pytest.mark.parametrize("question", ["do i need to be a social worker to be a team manager, im an OT",
                                      "do you have to be a senior before you can become a team manager?"])
def test_need_to_be_one_role_to_be_another_answers_for_the_goal(engine, question):
    text = ask(engine, question)["text"]
    assert "SW4A" in text.split("\n")[0] and "Occupational Therapy" in text and "SW2A" not in text


@pytest.mark.parametrize("question", ["moving from kent cc as a KR10, what level would i come in at medway",
                                      "i'm a KR9 at Kent, what level would I be at Medway?"])
def test_coming_in_from_kent_at_medway_is_not_mapped(engine, question):
    assert ask(engine, question)["text"].startswith("The framework does not say how these grades compare.")


def test_a_blank_part_of_the_table_still_shows_what_the_evidence_lists_under_it(engine):
    text = ask(engine, "qualifications for sw2c")["text"]
    assert text.startswith("The framework lists no qualifications for SW2C.")
    assert "The evidence for progression to SW2C does list, under Qualifications" in text
    assert "Certificate of training attendance" in text and "document 003" in text


@pytest.mark.parametrize("question, button", [
    ("how long do i need at sw2a and what evidence do i need for sw2b", "Evidence for SW2B"),
    ("what do I need for SW3B and how long does it take?", "What SW3B needs"),
    ("what training do i need for sw2c and how long will it take", "Training for SW2C"),
])
def test_two_asks_in_one_say_the_other_is_a_button_away(engine, question, button):
    reply = engine.answer(question)
    assert "You asked two things. This is the time" in reply.plain_text() and f"“{button}”" in reply.plain_text()
    assert button in [c.label for c in reply.choices]


# -- follow-ups: a role after a time answer, the deaf team after an SCO answer -------------------------------------
def test_a_role_after_a_time_answer_keeps_the_time(engine):
    from bot.answers.shared import Context

    ctx = Context(last_role="SW2", last_level="C", last_topic="time_in_level")
    assert engine.answer("what about for sco?", context=ctx).title == (
        "The framework gives no minimum time in level for Social Care Officer (SCO).")
    assert engine.answer("what about sw4?", context=ctx).title == "How long at which level?"
    # after anything else, a role alone is that role, as before
    other = Context(last_role="SW2", last_level="C", last_topic="evidence")
    assert engine.answer("what about sw4?", context=other).title.startswith("Overview: Team Manager")


def test_the_deaf_team_after_an_sco_answer_is_the_same_part_of_its_table(engine):
    from bot.answers.shared import Context

    reply = engine.answer("what about the deaf team", context=Context(last_role="SCO", last_level="B",
                                                                      last_topic="skills"))
    assert reply.title == "Skills: Social Care Officer, SCO 4B (Practising) – Deaf services"


# -- the review of 26 November: ordinary questions the day's new patterns must leave alone --------------------------
@pytest.mark.parametrize("question, not_first", [
    ("what is the last level before team manager?", "top level of Team Manager"),
    ("do I need a top grade in my degree for SW2A?", "top level"),
    ("what does SW3B need at the highest level of safeguarding?", "top level"),
    ("how many levels of supervision does a SW3A give?", "has 3 levels"),
])
def test_top_and_how_many_leave_other_questions_alone(engine, question, not_first):
    assert not_first not in ask(engine, question)["text"].split("\n\n")[0]


@pytest.mark.parametrize("question", [
    "do secondments count as evidence for SW3B?", "does acting up count as experience for SW4A?",
    "does agency experience count towards the post qualifying experience for SW3A?",
    "I'm part time, what's included in SW2B?", "I work towards SW2B part time, what evidence do I need?",
])
def test_counting_as_evidence_or_experience_is_not_time_in_level(engine, question):
    assert "counts towards time in level" not in ask(engine, question)["text"]


def test_counting_towards_the_top_of_a_role_says_it_is_the_top(engine):
    assert "top level" in ask(engine, "does sick leave count towards my time at SW4C?")["text"].split("\n")[0]


def test_a_later_role_must_ask_for_every_word_of_it(engine):
    # "manage a budget": SW3B only "considers budget implications"; SW4 manages one
    assert ask(engine, "do I need to manage a budget for SW2B?")["text"].startswith(
        "Not at SW2B: the framework asks for this at SW4B")


def test_an_agency_past_does_not_stop_a_level_question(engine):
    assert "contract terms" not in ask(engine, "I used to be an agency SW, what does SW2B need?")["text"]


@pytest.mark.parametrize("question", ["do I have to be SW3C to be a team manager?"])
def test_need_to_be_a_level_to_be_a_role_answers_for_the_role(engine, question):
    assert "SW4A" in ask(engine, question)["text"].split("\n")[0]


@pytest.mark.parametrize("asked", ["how long before SW2B? I'm SW2A", "how long to SW2B from SW2A",
                                   "how long before he can go for SW2B? he's SW2A", "how long from SW2A to SW2B"])
def test_two_levels_in_a_time_question_are_read_upwards_whatever_their_order(engine, asked):
    reply = engine.answer(asked)
    assert reply.title == "At least 24 months at SW2A before SW2B."
    assert "SW2B to SW2A" not in reply.plain_text()


@pytest.mark.parametrize("said", ["i hate my job lol", "I'm burnt out", "thinking of quitting tbh", "I'm tired of it",
                                  "feeling undervalued"])
def test_feelings_in_other_words_are_signposted(engine, said):
    reply = engine.answer(said)
    assert reply.title == "I'm sorry you're feeling that way." and not reply.sources


@pytest.mark.parametrize("said", ["I hate paperwork, do I need it for SW2B?", "what do I need for SW2B? I'm tired",
                                  "what if I want to leave the team"])
def test_words_near_feelings_are_not_feelings(engine, said):
    assert engine.answer(said).title != "I'm sorry you're feeling that way."


# -- Fifth session (26 November) -----------------------------------------------------------------------------

@pytest.mark.parametrize("question", ["can I do an apprenticeship?", "are there apprenticeships?",
                                      "is there a social work apprenticeship?"])
def test_an_apprenticeship_finds_what_the_documents_say_of_apprentices(engine, question):
    reply = engine.answer(question)
    assert "social work apprentices within the team" in reply.plain_text()
    assert not reply.title.startswith("The framework documents don't mention")


@pytest.mark.parametrize(("word", "other"), [
    ("leadership", "leaders"), ("membership", "member"), ("relationship", "relation"),
    ("partnership", "partners"), ("hardship", "hard"), ("citizenship", "citizen"),
])
def test_other_ship_words_keep_their_ship(word, other):
    from bot.answers.retrieval import stem
    assert stem(word) == stem(word) != stem(other)
    assert stem(word + "s") != stem(other)


def test_only_the_apprentice_loses_its_ship():
    from bot.answers.retrieval import stem
    assert stem("apprenticeship") == stem("apprenticeships") == stem("apprentices") == stem("apprentice")


@pytest.mark.parametrize(("asked", "word"), [("leadership", "leadership"), ("membership", "membership"),
                                             ("relationships", "relationship")])
def test_ship_words_still_find_their_own_word(engine, asked, word):
    hits = engine.retriever.search(asked, limit=5)
    assert hits and all(word in f"{h.criterion.text} {h.criterion.title}".lower() for h in hits)


@pytest.mark.parametrize(("said", "place"), [
    ("I've been in the team for 2 years, can I go for SW3A?", "in the team"),
    ("I've been here for 2 years", "here"),
    ("I've worked here 18 months, can I apply for SW2C?", "here"),
    ("I've been with the council for 2 years", "with the council"),
    ("I've worked for the council since 2022", "with the council"),
    ("I joined the team in March 2024, can I go for SW2B?", "in the team"),
    ("I've been at Medway for three years", "at Medway"),
    ("I'm SW2A and I've been in the team for 2 years, can I go for SW2B?", "in the team"),
])
def test_time_in_a_team_or_with_an_employer_is_read_as_such(said, place):
    from bot.answers.questions import time_in_place
    assert time_in_place(said.lower()) == place
    assert parse(said).time_in_place == place


@pytest.mark.parametrize("said", [
    "I've been SW2B for 2 years",  # time at a level
    "I've been SW2B in the team for 2 years",  # a level named in the same clause: still time at SW2B
    "I've been SW2A since March 2024",
    "I joined as SW2A in March 2024",
    "I've been a senior here for a year",  # a role named: not only time in a place
    "I've been in the team, what do I need for SW3A?",  # no time said
    "I've been here before, what's SW3A?",
    "how long do people in the team stay at SW2B?",  # not said of oneself
    "my manager has been in the team for 2 years",
    "I've been in the team's duty rota for 2 years",
    "I've been qualified for 3 years",
    "I've applied for the team manager post 2 years ago",
])
def test_time_at_a_level_or_no_time_is_not_time_in_a_place(said):
    from bot.answers.questions import time_in_place
    assert time_in_place(said.lower()) is None


@pytest.mark.parametrize("question", ["I've been in the team for 2 years, can I go for SW3A?",
                                      "I've been with the council for 18 months, can I go for SW2B?",
                                      "I've worked here for 2 years, have I got enough PQE for SW3A?"])
def test_time_in_a_team_is_said_not_to_be_time_at_a_level(engine, question):
    text = engine.answer(question).plain_text()
    assert "The framework counts time at a level and post-qualifying experience, not time" in text
    assert "has not been taken as either" in text


def test_time_at_a_level_gets_no_note_about_teams(engine):
    reply = engine.answer("I've been SW2B for 2 years, can I go for SW2C?")
    assert reply.meta["topic"] == "time_in_level" and "not time in" not in reply.plain_text()


@pytest.mark.parametrize("question", ["do I need 4 years PQE, qualified since 2021",
                                      "I qualified in 2021, do I need 4 years PQE?",
                                      "I've been qualified 5 years, is that enough post qualifying experience?"])
def test_a_figure_of_pqe_from_someone_who_says_when_they_qualified_gets_every_levels_figure(engine, question):
    reply = engine.answer(question)
    text = reply.plain_text()
    assert reply.title == "How many years of post-qualifying experience depends on the level"
    assert reply.status == "answered" and reply.meta["topic"] == "experience" and reply.meta["role"] is None
    # every level's figure, the 4 years of SW4A too (the list of places PQE is named stopped at 4 of 7)
    assert text.index("2 years post qualifying experience") < text.index("A minimum of 4 years relevant post")
    assert "years alone do not decide it" in text
    assert any("do not use the abbreviation PQE" in n for n in reply.notes) == ("PQE" in question)


@pytest.mark.parametrize(("question", "title"), [
    ("do I need 4 years PQE?", "Which role do you mean?"),  # no date of qualifying: which role, as before
    ("qualified in 2021, how much PQE for SW4A?", "Experience: Team Manager, SW4A (Developing)"),  # a level named
    ("I qualified in 2021, how much PQE does a team manager need?", None),  # a role named
    ("what is PQE?", "PQE: post qualifying experience"),
    ("do I need qualified social work experience for PO3?", None),
])
def test_pqe_asked_with_a_level_a_role_or_no_date_is_answered_as_before(engine, question, title):
    reply = engine.answer(question)
    assert reply.title != "How many years of post-qualifying experience depends on the level"
    if title:
        assert reply.title == title


PCF_AND_FRAMEWORK = "The PCF and the career progression framework: two different frameworks"


@pytest.mark.parametrize("question", [
    "is the PCF the same as the framework?", "is the PCF the same as the career progression framework?",
    "what's the difference between the PCF and the career framework?", "how does the PCF relate to the framework?",
    "is the PCF part of this framework?", "PCF vs career progression framework",
    "is the career progression framework the same as the PCF?", "are the PCF and the framework the same thing?",
    "is the Professional Capabilities Framework the same as our framework?",
])
def test_the_pcf_and_the_career_framework_are_told_apart_from_the_documents(engine, question):
    reply = engine.answer(question)
    text = reply.plain_text()
    assert reply.title == PCF_AND_FRAMEWORK and reply.status == "answered"
    # where the documents name the PCF, word for word, and cited
    assert "Demonstrated the requirements of the Professional Capabilities Framework (PCF)" in text  # SW2A, 001
    assert "level of the Professional Capability Framework for Social Work" in text  # KR9, 002
    assert "See Appendix A for Professional Capabilities Framework for Social Work (PCF)" in text  # PO3, 004
    assert "with a PCF domain number, for example “(PCF 5)”" in text
    assert "the Experienced Social Worker level, with its nine domains" in text
    assert "no document says which level of the PCF goes with which level" in text
    assert any("CPF criteria" in n for n in reply.notes)
    assert any("(document 001)" in s for s in reply.sources) and any("(document 004)" in s for s in reply.sources)
    assert "BASW" not in text and "British Association" not in text  # no document says whose the PCF is


@pytest.mark.parametrize("question", [
    "what is the PCF?", "what does the PCF say about supervision?", "what is PCF domain 6?",
    "is the PCF the same as the KSS?", "which PCF level is SW3B?",
    "is the KMSAB competency framework the same as the PCF?",
    "is the Professional Capabilities Framework the same as the PCF?",  # one framework, named twice
    "what framework does the PCF use for SW3B?",  # no relation asked
])
def test_other_pcf_questions_are_not_the_two_frameworks(engine, question):
    assert engine.answer(question).title != PCF_AND_FRAMEWORK


# -- performance procedures (a PIP, capability, disciplinary): beyond the framework -------------------------------
@pytest.mark.parametrize("question, code", [
    ("im on a performance improvement plan, can i still go for sw2c", "SW2C"),
    ("I had a final warning last year, can I go for SW3A?", "SW3A"),
    ("I'm on a PIP, who decides if I can go for SW2B?", "SW2B"),
    ("there's a capability process going on for me, can I apply for SW3B", "SW3B"),
])
def test_performance_procedures_are_beyond_the_framework_with_the_level_a_button_away(engine, question, code):
    result = ask(engine, question)
    assert result["status"] == "not_in_framework"
    assert result["text"].startswith("The framework does not cover performance, capability or disciplinary")
    assert "Your manager or HR can tell you that." in result["text"]
    assert result["choices"][:2] == [f"What {code} needs", f"Evidence for {code}"]


def test_a_pip_with_no_level_named_says_what_the_framework_does_set_out(engine):
    result = ask(engine, "I'm on a PIP")
    assert result["status"] == "not_in_framework" and "what evidence for SW3B?" in result["text"]


@pytest.mark.parametrize("question", [
    "do I need to know about PIP for SW2A", "how do I help someone apply for pip?",
    "do team managers deal with disciplinary issues?", "multi-disciplinary working at SW2B",
    "how do I deal with poor performance in my team", "experience of attending performance meetings for SW3B",
    "what is a service improvement plan?",
])
def test_pip_the_benefit_and_performance_in_the_criteria_are_not_a_procedure(engine, question):
    assert "performance, capability or disciplinary" not in ask(engine, question)["text"]


# -- the deaf services team: whether it makes a difference --------------------------------------------------------
@pytest.mark.parametrize("question", ["im in the deaf services team does that change anything",
                                      "is there a different framework for the deaf team?",
                                      "does working in deaf services affect anything for an sco"])
def test_whether_the_deaf_services_team_makes_a_difference_names_its_own_table(engine, question):
    result = ask(engine, question)
    assert result["text"].startswith("The deaf services team has its own Social Care Officer table")
    assert "Knowledge of basic equipment appropriate to people who are deaf or deafened." in result["text"]
    assert result["choices"] == ["Deaf services SCO 4A", "Deaf services SCO 4B", "Deaf services SCO 4C"]
    assert "no title or column headings" in result["text"]  # the source's note on the table, once
    assert result["text"].count("no title or column headings") == 1


def test_a_social_worker_in_the_deaf_team_hears_first_that_their_role_has_no_such_table(engine):
    text = ask(engine, "im a social worker in the deaf team, is it different for me?")["text"]
    assert text.split("\n\n")[1].startswith("The Social Worker (SW2) framework has no deaf services version")


@pytest.mark.parametrize("question", ["i'm deaf myself, does that change anything?", "deaf services",
                                      "what are the duties in the deaf services team", "sco deaf team level b",
                                      "I'm hard of hearing, is that different?",
                                      "does the deaf team need different evidence for sco 4b"])
def test_other_deaf_questions_are_not_the_whole_table(engine, question):
    assert not ask(engine, question)["text"].startswith("The deaf services team has its own")


# -- three or more levels compared: all of them, or those left out said and a button away -------------------------
@pytest.mark.parametrize("question", ["SW3B vs SW3C vs SW4A", "what's the difference between sw3b, sw3c and sw4a"])
def test_three_levels_of_two_roles_are_all_side_by_side(engine, question):
    result = ask(engine, question)
    assert result["text"].startswith("SW3B, SW3C and SW4A, side by side")
    assert "SW4A is in a different role from SW3B and SW3C" in result["text"]
    for code in ("SW3B", "SW3C", "SW4A"):
        assert f"\n{code} – " in result["text"]
    assert "What SW3C adds to SW3B" in result["choices"]


@pytest.mark.parametrize("question", ["SW3A vs SW3B vs SW3C", "SW3C vs SW3A vs SW3B",
                                      "difference between sw3a, sw3b and sw3c"])
def test_three_levels_of_one_role_say_what_each_adds(engine, question):
    text = ask(engine, question)["text"]
    assert text.startswith("What SW3B and SW3C add to SW3A")
    assert "SW3B adds the following to SW3A, and SW3C adds more on top" in text
    assert "\nEvidence for SW3B – " in text and "\nEvidence for SW3C – " in text


def test_more_levels_than_fit_side_by_side_are_said_and_offered(engine):
    result = ask(engine, "SW2C vs SW3A vs SW3B vs SW4A")
    assert result["text"].startswith("SW2C, SW3A and SW3B, side by side")
    assert "You named 4 levels; this compares the first 3. For SW4A, choose below." in result["text"]
    assert result["choices"][0] == "What SW4A needs"


@pytest.mark.parametrize("question, title, lead", [
    ("SW3A vs SW3C", "What SW3C adds to SW3A", "SW3C asks for everything at SW3A, plus the following."),
    ("compare SW3C and SW4A", "SW3C and SW4A, side by side", "SW4A is in a different role from SW3C; the framework "
                                                              "sets no time in level between roles."),
])
def test_two_levels_compared_keep_their_answers(engine, question, title, lead):
    text = ask(engine, question)["text"]
    assert text.startswith(title) and lead in text and "Within a role" not in text and "You named" not in text


# -- skipping a role's level on the way to another role -----------------------------------------------------------
@pytest.mark.parametrize("question", ["can i skip sw2c and go straight for sw3a",
                                      "can i skip sw2c and go straight to sw3a", "can i skip sw2c and go for sw3a",
                                      "how do I move to SW3A without doing SW2C?"])
def test_skipping_a_level_on_the_way_to_another_role_says_the_framework_does_not_say(engine, question):
    result = ask(engine, question)
    first = result["text"].split("\n\n")[1]
    assert first.startswith("The framework does not say SW2C can be skipped. It does not describe leaving Social "
                            "Worker (SW2) before its top level (SW2C), and it sets out SW2C after SW2B")
    assert "at least 6-12 months at SW2B" in first and "Nor does it set any time at SW2C before SW3A" in first
    assert "2-3 years relevant post qualifying experience." in result["text"]  # what SW3A asks
    assert result["topic"] == "role_change" and "Evidence for SW3A" in result["choices"]


@pytest.mark.parametrize("question", ["can I move from SW2C to SW3A?", "I'm SW2C, can I go for SW3A?",
                                      "can i skip SW3A and go straight to SW3B",
                                      "can i go from sw2a straight to sw3a if i have 4 years pqe",
                                      "I'm SW2C, can I become SW3A without a practice educator award?"])
def test_a_move_that_skips_no_named_level_says_nothing_of_skipping_one(engine, question):
    assert "can be skipped" not in ask(engine, question)["text"]


# -- "not sure if I'm 4A or 4B": what separates the two, and who says which ----------------------------------------
@pytest.mark.parametrize("question, title", [
    ("hello i work as a social care officer in the hospital team, not sure if im 4a or 4b?? how do i know",
     "What SCO 4B adds to SCO 4A"),
    ("am i sw2b or sw2c?", "What SW2C adds to SW2B"),
    ("which level am i, SW3A or SW3B?", "What SW3B adds to SW3A"),
    ("not sure if I'm SW2C or SW3A", "SW2C and SW3A, side by side"),
    ("how do I know if I'm SW3A or SW3B", "What SW3B adds to SW3A"),
])
def test_which_of_two_levels_am_i_compares_them_and_points_to_the_manager(engine, question, title):
    result = ask(engine, question)
    assert result["text"].startswith(title) and result["topic"] == "comparison"
    assert "Which level you are at is for you and your manager to agree" in result["text"]


@pytest.mark.parametrize("question", [
    "how do I know which evidence to bring for SW2B or SW2C", "not sure whether SW2B or SW2C needs the PE award",
    "I'm SCO 4A, how do I get to 4B?", "what level am i", "am i ready for sw2b or should i wait",
    "I'm SW2B, not sure if I'm ready for SW2C",
])
def test_other_questions_with_levels_or_doubt_are_not_which_am_i(engine, question):
    assert "Which level you are at is for you and your manager" not in ask(engine, question)["text"]


@pytest.mark.parametrize("question", ["I'm SW2B, not sure if I'm ready for SW2C or not",
                                      "how do I know if I'm ready for SW3B? I'm SW3A"])
def test_doubt_about_being_ready_is_not_which_level_am_i(engine, question):
    assert "Which level you are at is for you and your manager" not in ask(engine, question)["text"]


# -- an occupational therapist, as a nurse: the qualification the documents name --------------------------------------
def test_an_occupational_therapist_as_team_manager_is_answered_as_a_nurse_is(engine):
    nurse = ask(engine, "can a nurse be a team manager")
    therapist = ask(engine, "can an occupational therapist be a team manager")
    for result in (nurse, therapist):
        assert result["role"] == "SW4" and "Degree in Social Work, Occupational Therapy or Nursing." in result["text"]
    assert "no role called" not in therapist["text"]


def test_an_occupational_therapist_after_the_nurse_question_is_the_same_question(engine):
    after = Context(last_role="SW4", last_topic="search")
    text = engine.answer("what about an occupational therapist", context=after).plain_text()
    assert text.startswith("What the framework says for Team Manager (SW4)")
    assert "Degree in Social Work, Occupational Therapy or Nursing." in text


@pytest.mark.parametrize("question, context", [
    ("what about an occupational therapist", None),
    ("what level is an occupational therapist", None),
    ("what about an occupational therapist", Context(last_role="PCF", last_topic="pcf_domain")),
])
def test_an_occupational_therapist_alone_is_still_no_role_of_the_framework(engine, question, context):
    text = engine.answer(question, context=context).plain_text()
    assert text.startswith("The framework has no role called “occupational therapist”.")
    assert "The documents mention occupational therapy only in passing" in text
    assert "Degree in Social Work, Occupational Therapy or Nursing." in text


@pytest.mark.parametrize("question", ["what level is a practice manager", "is there a role for support workers?"])
def test_other_titles_are_still_no_role_of_the_framework(engine, question):
    assert ask(engine, question)["text"].startswith("The framework has no role called")


# -- "why 2-3 years?": a range, asked as a figure is -----------------------------------------------------------------
_AFTER_SW3A_TIME = Context(last_role="SW3", last_level="A", last_topic="time_in_level")
_AFTER_SW3A = Context(last_role="SW3", last_level="A", last_topic="overview")


@pytest.mark.parametrize("question, context, title", [
    ("why 2-3 years?", _AFTER_SW3A_TIME, "Where “2-3” comes from: SW3A"),
    ("why 2 to 3 years", _AFTER_SW3A_TIME, "Where “2-3” comes from: SW3A"),
    ("why 2-3 years? which one applies to me", _AFTER_SW3A_TIME, "Which applies to you: the documents do not say "
                                                                 "(SW3A)"),
    ("why 2-3 years? which one applies to me", _AFTER_SW3A, "Which applies to you: the documents do not say (SW3A)"),
    ("why 2.5?", _AFTER_SW3A, "Where “2.5” comes from: SW3A"),
])
def test_why_a_range_or_a_decimal_shows_where_it_comes_from(engine, question, context, title):
    reply = engine.answer(question, context=context)
    text = reply.plain_text()
    assert reply.title == title
    assert "2-3 years relevant post qualifying experience." in text and "2.5 years" in text  # the note on the figures
    assert "The documents give no reasons for their figures" in text


def test_the_time_answer_replayed_for_why_is_the_time_to_the_level_not_at_it(engine):
    # "how long before I can go for SW3A?" is answered with the experience SW3A asks; "why?" used to replay the
    # time at SW3A before SW3B (12 months)
    text = engine.answer("which one applies to me", context=_AFTER_SW3A_TIME).plain_text()
    assert "2-3 years relevant post qualifying experience." in text and "12 months experience at level SW3A" not in text


@pytest.mark.parametrize("question", ["why 2-3 years of experience and not 4?",
                                      "why 2-3 years? what do I need for SW3B", "why 2-3 years and 4 months?",
                                      "2-3 years"])
def test_other_questions_with_a_range_are_not_why_that(engine, question):
    assert not engine.answer(question, context=_AFTER_SW3A_TIME).title.startswith(("Where “", "Which applies"))


# -- "I'm SW3C, looking at going for team manager": the role gone for, from its first level -------------------------
@pytest.mark.parametrize("question", [
    "I'm a senior sw, SW3C since March 2023. Looking at going for team manager. What do I need?",
    "I'm SW3C, looking at going for team manager, what do I need?",
    "I'm SW3C and want to go for a team manager post",
    "SW3C here, aiming for team manager, what do I need?",
])
def test_a_level_held_and_another_role_gone_for_answers_the_role_gone_for(engine, question):
    result = ask(engine, question)
    assert result["topic"] == "role_change" and (result["role"], result["level"]) == ("SW4", "A")
    assert result["text"].startswith("From Senior Social Worker (SW3) to Team Manager (SW4)")
    assert "A minimum of 4 years relevant post qualifying experience." in result["text"]


@pytest.mark.parametrize("question", [
    "I'm SW3C, what do I need?", "what does a team manager need from an SW3C?",
    "I'm SW3C and I go for supervision with my team manager, what do I need?",
    "I'm SW3C, my team manager says go for it, what do I need?",
])
def test_a_level_held_with_no_other_role_gone_for_keeps_its_answer(engine, question):
    result = ask(engine, question)
    assert result["topic"] != "role_change" and (result["role"], result["level"]) == ("SW3", "C")


# -- "going for senior": the role's first level, or the level after one already held in it ---------------------------
_RAMBLE = ("hiya so basically ive been working in the LD team for about 3 and a half years and my manager keeps saying "
           "ill be going for senior soon but nobody has told me what that actually involves, ive done my BIA training "
           "and i supervise a student, what do i need to do next??")


@pytest.mark.parametrize("question, context", [
    (_RAMBLE, None), (_RAMBLE, Context(role="SW2", level="C")), ("I'm going for senior, what do I need?", None),
    ("aiming for a senior post, what's needed?", Context(role="SW2", level="B")),
])
def test_going_for_a_role_is_its_first_level(engine, question, context):
    reply = engine.answer(question, context=context)
    assert (reply.meta["role"], reply.meta["level"]) == ("SW3", "A")
    assert reply.title.startswith("What the framework asks for SW3A (Developing), the first level of Senior Social "
                                  "Worker (SW3)")
    assert "Evidence for SW3A" in [c.label for c in reply.choices]


def test_going_for_the_role_already_held_is_the_level_after_the_one_held(engine):
    reply = engine.answer(_RAMBLE, context=Context(role="SW3", level="A"))
    assert (reply.meta["role"], reply.meta["level"]) == ("SW3", "B")
    assert reply.plain_text().startswith("What the framework asks for SW3B (Practising), the level after yours\n\n"
                                         "Your record says SW3A, a level of Senior Social Worker (SW3) already")
    top = engine.answer("I'm going for senior, what do I need?", context=Context(role="SW3", level="C"))
    assert top.title == "SW3C is the top level of Senior Social Worker."


@pytest.mark.parametrize("question", ["I'm going for supervision with a senior tomorrow, what should I bring?",
                                      "going for lunch with the seniors, what do they do?"])
def test_going_for_something_else_beside_a_role_is_not_the_role_gone_for(engine, question):
    assert engine.answer(question).meta.get("level") is None


# -- part-time said in days or FTE, and towards a role's first level (post-qualifying experience, no time in level) ----
@pytest.mark.parametrize("question, code, figure", [
    ("Hi, I'm SW2B since jan 2024 but I work 3 days a week (0.6 FTE) - does that mean my time counts less towards "
     "getting to SW3A?", "SW3A", "2-3 years relevant post qualifying experience."),
    ("I'm 0.8 FTE, does that count towards SW4A?", "SW4A", "A minimum of 4 years relevant post qualifying experience."),
    ("i work part time, does it take longer to get to sw3a", "SW3A", "2-3 years relevant post qualifying experience."),
])
def test_part_time_towards_a_roles_first_level_quotes_the_experience_it_asks(engine, question, code, figure):
    result = ask(engine, question)
    assert result["text"].startswith(f"The framework does not say whether part-time working counts towards the "
                                     f"experience {code} asks for.")
    assert f"{code} is the first level of" in result["text"] and figure in result["text"]
    assert "It does not say whether or how part-time working counts towards that experience" in result["text"]
    assert (result["role"], result["level"]) == (code[:3], code[3])


def test_part_time_towards_a_roles_first_level_offers_the_askers_own_next_time(engine):
    result = ask(engine, "I'm SW2B and work 3 days a week, does my time count less towards SW3A?")
    assert "Time needed at SW2B" in result["choices"] and "rather than time at SW2C" in result["text"]


@pytest.mark.parametrize("question", ["I work 3 days a week, does my time at SW2A count less?",
                                      "i'm 0.6 fte, does my time at sw2a count pro rata",
                                      "I job share, does that count towards my time at SW2A?"])
def test_part_time_said_in_days_or_fte_is_part_time(engine, question):
    text = ask(engine, question)["text"]
    assert text.startswith("The framework does not say whether part-time working counts towards time in level.")
    assert "Minimum of 24 months experience at Level SW2A" in text


@pytest.mark.parametrize("question", ["I work 5 days a week, does my time count?",
                                      "I have 3 days a week of training, does that count towards my time at SW2B?",
                                      "I do 3 days a week of training, does that count towards my time at SW2B?",
                                      "does maternity leave count towards my time at SW3A?"])
def test_other_days_a_week_and_time_at_a_first_level_are_not_part_time_towards_it(engine, question):
    text = ask(engine, question)["text"]
    assert "part-time working" not in text and "counts towards the experience" not in text


# -- "i qualified in june 2019", said: the post-qualifying experience each level asks, never a search for "2019" -------
@pytest.mark.parametrize("question", ["i qualified in june 2019", "i qualified in 2019 tho", "qualified in 2019",
                                      "Hi, I qualified on 12 June 2019.", "I qualified 5 years ago",
                                      "I've been qualified for 3 years"])
def test_when_someone_qualified_said_alone_gives_each_levels_figure(engine, question):
    result = ask(engine, question)
    assert result["text"].startswith("Post-qualifying experience: what each level asks")
    for line in ("2 years post qualifying experience", "2-3 years relevant post qualifying experience.",
                 "A minimum of 4 years relevant post qualifying experience."):
        assert line in result["text"]
    assert "February 2019" not in result["text"]  # the PO3 profile's date, which a search for "2019" found


def test_when_someone_qualified_said_after_a_level_gives_that_levels_figure(engine):
    reply = engine.answer("i qualified in 2019 tho", context=Context(last_role="SW3", last_level="A",
                                                                    last_topic="overview"))
    text = reply.plain_text()
    assert reply.title == "Post-qualifying experience: what SW3A asks"
    assert (reply.meta["role"], reply.meta["level"]) == ("SW3", "A")
    assert "2-3 years relevant post qualifying experience." in text and "4 years" not in text
    # after a level that gives no figure, every level's
    after = Context(last_role="SW3", last_level="C", last_topic="overview")
    assert engine.answer("i qualified in 2019 tho", context=after).title.endswith("what each level asks")


@pytest.mark.parametrize("question", ["My manager qualified in 2019", "I qualified in 2019 as an AMHP",
                                      "I qualified in 2019, what about supervising students?",
                                      "I qualified in 2019, can I go for SW3A?"])
def test_a_qualifying_date_with_more_said_or_of_someone_else_keeps_its_answer(engine, question):
    assert not ask(engine, question)["text"].startswith("Post-qualifying experience: what")


# -- "can I skip SW2C?" alone: the top level of a role passed over, on the way to the next role ------------------------
@pytest.mark.parametrize("question, code, after, goal", [
    ("can I skip SW2C?", "SW2C", "Senior Social Worker (SW3)", "SW3A"),
    ("can i miss out sw2c", "SW2C", "Senior Social Worker (SW3)", "SW3A"),
    ("can I skip SW3C?", "SW3C", "Team Manager (SW4)", "SW4A"),
])
def test_skipping_a_top_level_alone_says_the_framework_does_not_say(engine, question, code, after, goal):
    result = ask(engine, question)
    first = result["text"].split("\n\n")[1]
    assert result["text"].startswith(f"Skipping {code} on the way to {after}")
    assert first.startswith(f"{code} is the top level of ") and f"after it comes {after}, from {goal}." in first
    assert f"The framework does not say {code} can be skipped." in first
    assert f"Nor does it set any time at {code} before {goal}" in first
    assert result["topic"] == "role_change" and f"Evidence for {goal}" in result["choices"]


@pytest.mark.parametrize("question, start", [
    ("can I skip SW2B?", "At least 6-12 months at SW2B before SW2C."),
    ("can I skip SW4C?", "SW4C is the top level of Team Manager."),  # no role after it
    ("can I skip SCO 4C?", "The framework gives no minimum time in level for Social Care Officer (SCO)."),
    ("can I skip the SW2C evidence?", "At least 6-12 months at SW2B before SW2C."),
    ("I'm SW2C, can I skip supervision?", ""),
])
def test_other_skips_keep_their_answers(engine, question, start):
    text = ask(engine, question)["text"]
    assert text.startswith(start) and "can be skipped" not in text


# -- "why 12?" when the last answer has no 12: said, with the figures it does give ------------------------------------
@pytest.mark.parametrize("question", ["why 12?", "why 12 months", "why 12? which one applies to me"])
def test_why_a_figure_the_last_answer_does_not_give_says_so_and_offers_its_figures(engine, question):
    reply = engine.answer(question, context=_AFTER_SW3A_TIME)
    assert reply.title == "There is no “12” in my last answer (SW3A)" and reply.status == "clarify"
    assert reply.plain_text().split("\n\n")[1].startswith("The figures it gives are “2-3 years”")
    assert "Why 2-3 years?" in [c.label for c in reply.choices]
    assert (reply.meta["role"], reply.meta["level"], reply.meta["topic"]) == ("SW3", "A", "time_in_level")


def test_why_a_figure_after_an_answer_with_no_figures_asks_which(engine):
    reply = engine.answer("why 12?", context=Context(last_role="SW3", last_level="A", last_topic="skills"))
    assert reply.plain_text().strip() == ("There is no “12” in my last answer (SW3A)\n\nIt gives no figure in months "
                                          "or years. Which figure do you mean?")


@pytest.mark.parametrize("question, context, title", [
    ("why 12?", Context(last_role="SW2", last_level="C", last_topic="time_in_level"), "Where “12” comes from: SW2C"),
    ("why 2-3 years?", _AFTER_SW3A_TIME, "Where “2-3” comes from: SW3A"),
])
def test_why_a_figure_the_last_answer_gives_still_shows_where_it_comes_from(engine, question, context, title):
    assert engine.answer(question, context=context).title == title


def test_why_a_figure_with_no_answer_before_is_not_about_a_last_answer(engine):
    assert "my last answer" not in engine.answer("why 12?").title


@pytest.mark.parametrize("asked", ["i dread my job interview for SW3A, what evidence do they want?",
                                   "thinking about leaving the council, does my SW2B time transfer?",
                                   "I'm exhausted after the BIA course, what else do I need for SW3A?"])
def test_a_feeling_before_a_question_gets_the_question_answered(engine, asked):
    assert not engine.answer(asked).title.startswith("I'm sorry")


@pytest.mark.parametrize("asked", ["I've been qualified since I left uni in 2020, can I go for SW3A?",
                                   "my manager said come back to her once I have the evidence for SW2C, what evidence "
                                   "do I need?", "when I come back from annual leave can I apply for SW2C?"])
def test_coming_back_to_someone_or_from_leave_is_not_a_return_after_a_break(engine, asked):
    assert engine.answer(asked).title != "The framework does not cover coming back after a career break."


@pytest.mark.parametrize("asked", ["who sits in team 3a?", "I passed module 2b of my practice educator course",
                                   "I got a 2a in my dissertation, does that matter?"])
def test_teams_modules_and_grades_are_not_levels(engine, asked):
    assert not any(r in ("SW2", "SW3") for r, _lv, _ in parse(asked).levels)
