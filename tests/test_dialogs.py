"""End-to-end tests of the guided dialogs: real framework data, real SQLite store on a temporary file."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.conversation import Aside, Incoming, Reply
from bot.knowledge.loader import load_knowledge
from bot.storage import open_store
from bot.storage.base import Person
from dialogs import DIALOG_TRIGGERS, DialogRunner, detect_start
from dialogs.pack import export_assessment, to_docx, to_markdown
from dialogs.privacy import shared_records_for_manager
from dialogs.self_assessment import criteria_for
from dialogs.words import global_word, rating, yes_no

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


# -- helpers ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge()


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


class Notified:
    def __init__(self) -> None:
        self.sent: list[tuple[Person, Reply]] = []

    def __call__(self, person: Person, reply: Reply) -> bool:
        self.sent.append((person, reply))
        return True


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "careerbot.db"


@pytest.fixture
def store(db_path):
    s = open_store(f"sqlite:///{db_path}")
    s.upsert_person(Person(id="m1", display_name="Sam Manager"))
    s.upsert_person(Person(id="m2", display_name="Other Manager"))
    s.upsert_person(Person(id="u1", display_name="Jo Worker", level_code="SW3A", level_since=date(2025, 1, 1),
                           manager_id="m1"))
    s.upsert_person(Person(id="u2", display_name="Alex Report", level_code="SW2B", level_since=date(2024, 6, 1),
                           manager_id="m2"))
    s.upsert_person(Person(id="u3", display_name="No Manager"))
    yield s
    s.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def notified():
    return Notified()


@pytest.fixture
def runner(store, knowledge, clock, notified):
    return DialogRunner(store=store, knowledge=knowledge, clock=clock, notify=notified)


class Chat:
    """One person talking in one conversation, as a channel would drive the runner."""

    def __init__(self, runner: DialogRunner, person_id: str = "u1", conversation: str = "dm1") -> None:
        self.runner = runner
        self.store = runner.store
        self.person_id = person_id
        self.conversation = conversation
        self.last: list[Reply] | None = None

    def person(self) -> Person:
        return self.store.get_person(self.person_id) or Person(id=self.person_id)

    def msg(self, text: str = "", value=None) -> Incoming:
        return Incoming(channel="test", user_id=self.person_id, conversation_id=self.conversation, text=text,
                        value=value)

    @property
    def key(self) -> str:
        return self.msg().conversation_key

    def say(self, text: str = "", value=None) -> list[Reply] | None:
        self.last = self.runner.handle(self.msg(text, value), self.person())
        return self.last

    def start(self, name: str, args: dict | None = None, **kw) -> list[Reply]:
        self.last = self.runner.start(name, msg=self.msg(), person=self.person(), args={**(args or {}), **kw})
        return self.last

    def choice(self, label: str):
        for reply in reversed(self.last or []):
            for c in reply.choices:
                if c.label == label:
                    return c
        raise AssertionError(f"no button {label!r} in {[c.label for r in self.last or [] for c in r.choices]}")

    def press(self, label: str) -> list[Reply] | None:
        return self.say("", self.choice(label).value)

    def state(self) -> dict | None:
        return self.store.load_dialog(self.key)[0]

    def text(self) -> str:
        return "\n".join(r.plain_text() for r in self.last or [])

    def meta(self) -> dict:
        return self.last[-1].meta


def assert_polite(replies) -> None:
    """A reply exists, reads well and offers a way forward."""
    assert replies, "no reply at all"
    for r in replies:
        assert isinstance(r, Reply)
        text = r.plain_text()
        assert text.strip() and "Traceback" not in text
    assert replies[-1].choices, f"no buttons: {replies[-1].plain_text()}"


def answer_all(chat: Chat, answers) -> list[Reply]:
    """Rate every remaining criterion with the answers given in turn (and skip the note)."""
    answers = list(answers)
    i = 0
    while chat.state() is not None:
        st = chat.state()
        phase = st["data"]["phase"]
        if phase == "note":
            chat.say("skip")
        elif phase == "choose_variant":
            chat.say("standard")
        else:
            chat.say(answers[i % len(answers)])
            i += 1
        assert i < 500
    return chat.last


SW3B_TOTAL = 21  # SW3B criteria in qualifications/knowledge/experience/skills, without the 5 reviewer comments


# -- the words ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed,expected", [
    ("met", "met"), ("Yes", "met"), ("mett", "met"), ("yes!", "met"), ("👍", "met"),
    ("mostly", "partly"), ("partyl", "partly"), ("partly.", "partly"), ("sort of", "partly"),
    ("not really", "not_yet"), ("no", "not_yet"), ("not yet", "not_yet"), ("nto yet", "not_yet"),
    ("not sure", "not_sure"), ("dunno", "not_sure"), ("not shure", "not_sure"), ("I don't know", "not_sure"),
    ("n/a", "na"), ("not applicable", "na"),
    ("yes, partly", "partly"), ("no idea", "not_sure"),
    ("banana", None), ("", None), ("x" * 5000, None), ("🦄", None),
])
def test_typed_ratings(typed, expected):
    assert rating(typed) == expected


@pytest.mark.parametrize("typed,expected", [
    ("help", "help"), ("hepl", "help"), ("HELP ME", "help"), ("back", "back"), ("bakc", "back"), ("go back", "back"),
    ("skip", "skip"), ("skp", "skip"), ("skip category", "skip_category"), ("skip the rest of this section",
                                                                          "skip_category"),
    ("pause", "pause"), ("puase", "pause"), ("cancel", "cancel"), ("cancle", "cancel"), ("resume", "resume"),
    ("carry on", "resume"), ("I helped a family move house", None), ("back pain at work", None),
])
def test_global_words(typed, expected):
    assert global_word(typed) == expected


def test_yes_no_strict_for_destructive():
    assert yes_no("yess") == "yes"
    assert yes_no("yess", strict=True) is None
    assert yes_no("yes", strict=True) == "yes"
    assert yes_no("nope") == "no"


@pytest.mark.parametrize("text,expected", [
    ("assess me", ("self_assessment", {})),
    ("self-assessment for SW3B", ("self_assessment", {"level": "SW3B"})),
    ("self assessment", ("self_assessment", {})),
    ("Start assessment", ("self_assessment", {})),
    ("I'd like a self assessment for sw 2c please", ("self_assessment", {"level": "SW2C"})),
    ("check-in", ("checkin", {})),
    ("checkin", ("checkin", {})),
    ("prepare for supervision", ("checkin", {})),
    ("export my data", ("export_data", {})),
    ("delete my data", ("delete_data", {})),
    ("share it with my manager", ("share_latest", {})),
    ("supervision pack", ("pack_latest", {})),
    ("download it", ("pack_latest", {})),  # the latest one, as the buttons under it say
    ("can I get it as a Word doc?", ("pack_latest", {})),
    ("i get it", None),
    ("download the framework", None),
    ("what is a self-assessment?", None),
    ("what do I need for SW3B?", None),
    ("", None),
])
def test_detect_start(text, expected):
    assert detect_start(text) == expected
    assert DIALOG_TRIGGERS is detect_start


def test_words_that_ask_nothing_on_their_own_are_quoted_but_never_rated(knowledge):
    # SW2A's table opens with the KSS introduction and has fragments a page break left ("KSS 5", "As set out in
    # KSS"): people were asked to rate them
    rated = [c.text for c in criteria_for(knowledge, "SW2A")]
    for words in ("The Knowledge & Skills Statement (KSS) sets out", "The statement relates to all social workers"):
        assert not any(t.startswith(words) for t in rated)
    assert "KSS 5" not in rated and "As set out in KSS" not in rated
    assert "Degree in Social Work" in rated and len(rated) == 31
    quoted = [c.text for c in knowledge.find(role="SW2", level="A")]
    assert "KSS 5" in quoted and "As set out in KSS" in quoted  # answers still quote the table as it is


# -- a complete self-assessment -------------------------------------------------------------------------------

def test_complete_self_assessment_typed_and_buttons(runner, store, knowledge):
    chat = Chat(runner)
    name, args = detect_start("self-assessment for SW3B")
    replies = chat.start(name, **args)
    assert_polite(replies)
    first = chat.text()
    assert f"1 of {SW3B_TOTAL}" in first and "SW3B (Practising)" in first
    assert "in addition to" in first  # level B builds on level A
    typed = iter(["met", "partyl", "Not yet", "dunno", "mostly", "not really", "n/a", "yes", "not shure", "no"])
    pressed = iter(["Met", "Partly", "Not yet", "Not sure"])
    expected: dict[str, str] = {}
    mapping = {"met": "met", "partyl": "partly", "Not yet": "not_yet", "dunno": "not_sure", "mostly": "partly",
               "not really": "not_yet", "n/a": "na", "yes": "met", "not shure": "not_sure", "no": "not_yet",
               "Met": "met", "Partly": "partly", "Not sure": "not_sure"}
    n = 0
    while chat.state() is not None:
        st = chat.state()
        data = st["data"]
        uid = data["items"][data["pos"]]["uid"]
        if data["phase"] == "rate":
            assert chat.meta()["progress"] == f"{data['pos'] + 1} of {SW3B_TOTAL}"
            n += 1
            if n % 2:
                word = next(typed, None) or "met"
                chat.say(word)
            else:
                word = next(pressed, None) or "Met"
                chat.press(word)
            expected[uid] = mapping[word]
        else:
            # every other note is written, the rest skipped with the button
            if n % 3 == 0:
                chat.say(f"evidence for {uid}")
            else:
                chat.press("Skip note")
        assert_polite(chat.last)
    assert n == SW3B_TOTAL
    summary = chat.text()
    for heading in ("Strengths", "Gaps to work on", "Evidence the framework asks for, for SW3B", "Time in level",
                    "Ways to develop that the guide describes"):
        assert heading in summary
    # the guide pairs none of its ways to develop with a kind of gap: nor does the summary
    assert "The guide does not say which suits which gap" in summary and "(for experience" not in summary
    assert "A minimum of 12 months experience at level SW3A" in summary  # evidence from 003's table
    assert "You have been at SW3A" in summary  # time-in-level status from milestones
    assert "Stepping Up" in summary and "document 003" in summary  # a route, quoted, with its source
    assert [c.label for c in chat.last[-1].choices] == ["Share with my manager", "Download supervision pack", "Done"]

    records = store.list_records("u1", "assessment")
    assert len(records) == 1
    rec = records[0]
    assert rec["shared"] is False and rec["data"]["status"] == "complete" and rec["data"]["target"] == "SW3B"
    got = {i["uid"]: i["rating"] for i in rec["data"]["items"]}
    assert got == expected
    notes = {i["uid"]: i["evidence"] for i in rec["data"]["items"] if i["evidence"]}
    assert notes and all(v == f"evidence for {k}" for k, v in notes.items())
    assert not any(i["text"].startswith("(Can") for i in rec["data"]["items"])  # reviewer comments never asked


def test_reviewer_comments_skipped_and_source_notes_shown(knowledge, runner):
    items = criteria_for(knowledge, "SW3B")
    assert len(items) == SW3B_TOTAL
    assert not any("reviewer" in (c.note or "") for c in items)
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.say("skip category")  # qualifications
    chat.say("skip category")  # knowledge
    text = chat.text()
    assert "Minimum of 3 years relevant post qualifying experience." in text
    assert "The documents differ on post-qualifying experience" in text  # the item's source note is shown


def test_sw2a_groups_and_sco_generic_table(knowledge, runner):
    sw2a = criteria_for(knowledge, "SW2A")
    assert {c.group for c in sw2a} == {"Year 1", "Year 2"}
    sco = criteria_for(knowledge, "SCOA")
    assert sco and all(c.variant is None for c in sco)
    assert "safeguarding" in {c.topic for c in sco}
    deaf = criteria_for(knowledge, "SCOA", "Deaf services")
    assert any(c.variant == "Deaf services" for c in deaf)
    chat = Chat(runner)
    chat.start("self_assessment", level="SW2A")
    assert "(Year 1)" in chat.last[-1].title


def test_target_asked_with_buttons_when_unknown(runner):
    chat = Chat(runner, "u3")
    replies = chat.start("self_assessment")
    assert_polite(replies)
    assert "Which role" in chat.text()
    chat.press("Social Care Officer (SCO)")
    assert "Which level" in chat.text()
    chat.say("back")
    assert "Which role" in chat.text()
    chat.say("sco")
    chat.say("b")
    assert "Which table for SCO 4B (Practising)?" in chat.text()  # the deaf services table is separate
    chat.press("Standard table")
    st = chat.state()
    assert st["data"]["target"] == "SCO 4B" and st["data"]["phase"] == "rate" and st["data"]["variant"] is None
    assert "in addition to" in chat.text()
    chat.say("cancel")
    chat.start("self_assessment")
    chat.say("SW4C")
    assert chat.state()["data"]["target"] == "SW4C"


def test_next_level_from_person_record(runner):
    chat = Chat(runner, "u2")  # SW2B -> SW2C
    chat.start("self_assessment")
    assert chat.state()["data"]["target"] == "SW2C"


def test_unknown_target_is_asked_again(runner):
    chat = Chat(runner)
    replies = chat.start("self_assessment", level="SW9Z")
    assert_polite(replies)
    assert "not a level I can find" in chat.text() and "Which role" in chat.text()


# -- navigation -------------------------------------------------------------------------------------------------

def test_skip_skip_category_back_help(runner):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    assert chat.meta()["progress"] == f"1 of {SW3B_TOTAL}"
    chat.say("skip")
    assert chat.meta()["progress"] == f"2 of {SW3B_TOTAL}"
    chat.say("help")
    assert "Met: you can show this now" in chat.text() and chat.meta()["progress"] == f"2 of {SW3B_TOTAL}"
    chat.say("skip category")
    assert chat.meta()["category"] == "knowledge" and "Skipped the rest of Qualifications" in chat.text()
    chat.say("met")
    chat.say("back")  # from the note back to the rating
    assert chat.state()["data"]["phase"] == "rate" and chat.meta()["category"] == "knowledge"
    chat.say("back")  # back to the last qualifications question
    assert chat.meta()["progress"] == f"2 of {SW3B_TOTAL}"
    chat.press("Partly")
    chat.press("Skip note")
    st = chat.state()
    answers = st["data"]["answers"]
    items = st["data"]["items"]
    assert answers[items[0]["uid"]]["rating"] == "skipped"
    assert answers[items[1]["uid"]]["rating"] == "partly"
    assert answers[items[2]["uid"]]["rating"] == "met"
    chat.say("back")
    chat.say("back")
    chat.say("back")
    chat.say("back")
    assert "first question" in chat.text() or chat.meta()["progress"] == f"1 of {SW3B_TOTAL}"


def test_pause_and_resume(runner, store):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    for word in ("met", "skip", "partly", "skip", "not yet"):
        chat.say(word)
    chat.say("pause")
    assert_polite(chat.last)
    assert "Paused" in chat.text()
    assert chat.state()["status"] == "paused"
    drafts = store.list_records("u1", "assessment")
    assert len(drafts) == 1 and drafts[0]["data"]["status"] == "paused"
    assert [i["rating"] for i in drafts[0]["data"]["items"][:3]] == ["met", "partly", "not_yet"]
    # While paused, other questions go to the router as usual.
    assert chat.say("what do I need for SW3B?") is None
    chat.say("resume")
    assert "Welcome back" in chat.text()
    assert chat.meta()["progress"] == f"3 of {SW3B_TOTAL}" and chat.state()["data"]["phase"] == "note"
    # the note step names the criterion it is for: after a pause it is no longer on screen
    third = chat.state()["data"]["items"][2]["text"]
    assert f"“{third[:40]}" in chat.text()
    answer_all(chat, ["met"])
    final = store.list_records("u1", "assessment")
    assert len(final) == 1 and final[0]["data"]["status"] == "complete"  # the draft became the record


def test_pause_button_then_resume_button(runner):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.press("Pause")
    assert chat.last[0].replaces_prompt
    chat.press("Resume")
    assert chat.meta()["progress"] == f"1 of {SW3B_TOTAL}"


def test_cancel(runner, store):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.say("cancel")  # nothing answered yet: stopped at once
    assert chat.state() is None and "stopped your self-assessment" in chat.text()
    chat.start("self_assessment", level="SW3B")
    chat.say("met")
    chat.say("cancel")  # an answer given: asked first
    assert chat.state() is not None and "Before I stop" in chat.text()
    chat.press("Discard my answers")
    assert chat.state() is None
    assert "stopped your self-assessment" in chat.text() and "discarded your 1 answer" in chat.text()
    assert_polite(chat.last)
    assert store.list_records("u1", "assessment") == []
    assert chat.say("met") is None  # nothing open any more: the router answers


# -- bad input ----------------------------------------------------------------------------------------------------

BAD_VALUES = [
    {"action": "dialog"},
    {"action": "dialog", "dialog_id": "nope", "step": 1, "answer": "met"},
    {"action": "dialog", "dialog_id": None, "step": "1", "answer": {"x": [1, 2]}},
    {"foo": [1, 2, {"bar": None}]},
    {"action": 42},
    [1, 2, 3],
    "just a string",
]


def _bad_inputs(chat: Chat) -> None:
    st = chat.state()
    before = (st["step"], st.get("turns", 0), json.dumps(st["data"], sort_keys=True))
    sid = st["id"]
    bad = [("", None), ("🦄🦄🦄", None), ("{\"x\": [1, 2, null], \"y\": {}}", None), ("x" * 10000, None)]
    bad += [("", v) for v in BAD_VALUES]
    bad += [("", {"action": "dialog", "dialog_id": sid, "step": st["step"] - 1, "answer": "met"}),
            ("", {"action": "dialog", "dialog_id": sid, "step": True, "answer": "yes"}),
            ("", {"action": "dialog", "dialog_id": sid, "step": st["step"], "answer": "x" * 5000})]
    free_text = st["dialog"] == "checkin" and st["data"]["slots"][st["data"]["pos"]] in (
        "went_well", "discuss", "needs") or (st["dialog"] == "self_assessment" and st["data"].get("phase") == "note")
    for text, value in bad:
        if free_text and text and value is None and any(ch.isalnum() for ch in text):
            continue  # any words are a valid answer to a free-text question
        replies = chat.say(text, value)
        assert_polite(replies)
        st = chat.state()
        assert st is not None
        assert (st["step"], st.get("turns", 0), json.dumps(st["data"], sort_keys=True)) == before, (text[:20], value)


def test_bad_input_at_every_step(runner):
    chat = Chat(runner, "u3")
    chat.start("self_assessment")
    _bad_inputs(chat)  # choosing a role
    chat.press("Senior Social Worker (SW3)")
    _bad_inputs(chat)  # choosing a level
    chat.say("B")
    _bad_inputs(chat)  # a rating
    chat.say("met")
    _bad_inputs(chat)  # the evidence note (words are a note; only junk is refused)
    chat.say("x" * 10000)  # a huge note is kept, cut to size
    st = chat.state()
    note = st["data"]["answers"][st["data"]["items"][0]["uid"]]["evidence"]
    assert len(note) <= 1001 and "kept the first" in chat.text()
    chat.start("checkin")
    _bad_inputs(chat)  # "abandon or continue?"
    chat.press("Start the check-in")
    _bad_inputs(chat)
    chat.say("skip")
    chat.say("skip")
    chat.say("skip")  # needs
    _bad_inputs(chat)  # next supervision date
    chat.say("14/13/2026")
    assert "couldn't read a date" in chat.text()
    chat.say("1 January 2020")
    assert "already passed" in chat.text()
    chat.say("20 March")
    _bad_inputs(chat)  # reminder days
    chat.say("cancel")
    chat.start("set_level", level_code="SW2B", since="2025-03-01")
    _bad_inputs(chat)
    chat.say("no")
    chat.start("delete_data")
    _bad_inputs(chat)
    chat.say("no")


def test_stale_and_double_button_presses(runner):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    met = chat.choice("Met").value
    partly = chat.choice("Partly").value
    chat.say("", met)
    assert chat.last[0].replaces_prompt
    turns = chat.state()["turns"]
    again = chat.say("", met)  # double click
    assert_polite(again)
    assert "earlier question" in chat.text() and not again[0].replaces_prompt
    chat.say("", partly)  # an old card
    st = chat.state()
    assert st["turns"] == turns
    assert st["data"]["answers"][st["data"]["items"][0]["uid"]] == {"rating": "met"}
    assert st["data"]["phase"] == "note"


# -- restarts and concurrency -------------------------------------------------------------------------------

_CHILD = textwrap.dedent("""
    import json, sys
    from datetime import datetime, UTC
    from bot.conversation import Incoming
    from bot.knowledge.loader import load_knowledge
    from bot.storage import open_store
    from dialogs import DialogRunner

    store = open_store("sqlite:///" + sys.argv[1])
    runner = DialogRunner(store=store, knowledge=load_knowledge(), clock=lambda: datetime(2026, 3, 4, tzinfo=UTC))
    person = store.get_person("u1")
    out = []
    for text in sys.argv[2:]:
        replies = runner.handle(Incoming(channel="test", user_id="u1", conversation_id="dm1", text=text), person)
        out.append({"title": replies[-1].title, "meta": replies[-1].meta})
    print(json.dumps(out))
    store.close()
""")


def test_restart_in_a_new_process_resumes(runner, store, db_path, knowledge, clock):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    for word in ("met", "a note", "partly", "skip", "not yet"):
        chat.say(word)
    where = chat.meta()
    assert where["progress"] == f"3 of {SW3B_TOTAL}" and chat.state()["data"]["phase"] == "note"
    store.close()
    done = subprocess.run([sys.executable, "-c", _CHILD, str(db_path), "help", "skip", "met"], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen[0]["meta"]["progress"] == f"3 of {SW3B_TOTAL}"  # the same question, in a new process
    assert seen[1]["meta"]["progress"] == f"4 of {SW3B_TOTAL}"
    assert seen[2]["meta"]["phase"] == "note"
    # And a brand-new store object and runner in this process carry on from there.
    store2 = open_store(f"sqlite:///{db_path}")
    try:
        chat2 = Chat(DialogRunner(store=store2, knowledge=knowledge, clock=clock))
        chat2.say("my evidence")
        assert chat2.meta()["progress"] == f"5 of {SW3B_TOTAL}"
        st = chat2.state()
        ratings = [st["data"]["answers"].get(i["uid"], {}).get("rating") for i in st["data"]["items"][:4]]
        assert ratings == ["met", "partly", "not_yet", "met"]
        assert st["data"]["answers"][st["data"]["items"][3]["uid"]]["evidence"] == "my evidence"
    finally:
        store2.close()


def test_two_messages_at_once_lose_nothing(runner, store, db_path, knowledge, clock):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    # Two replicas: separate store objects and runners on the same file, plus the first runner.
    other_store = open_store(f"sqlite:///{db_path}")
    try:
        runners = [runner, DialogRunner(store=other_store, knowledge=knowledge, clock=clock)]
        for round_ in range(6):
            st = chat.state()
            assert st["data"]["phase"] == "rate"
            pos, turns = st["data"]["pos"], st["turns"]
            uid = st["data"]["items"][pos]["uid"]
            barrier = threading.Barrier(2)
            results: list = []

            def send(i: int, text: str) -> None:
                barrier.wait()
                c = Chat(runners[i])
                results.append(c.say(text))

            # Each is a valid answer in either order: "met" rates, "skip" skips the note or the question.
            texts = ("met", "skip")
            threads = [threading.Thread(target=send, args=(i, texts[i])) for i in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert all(results)
            st = chat.state()
            assert st["turns"] == turns + 2  # both applied, neither twice
            answers, items = st["data"]["answers"], st["data"]["items"]
            if answers[uid]["rating"] == "met":  # met, then skip the note
                assert st["data"]["pos"] == pos + 1 and st["data"]["phase"] == "rate"
            else:  # skip the question, then rate the next one
                assert answers[uid]["rating"] == "skipped"
                assert answers[items[pos + 1]["uid"]]["rating"] == "met" and st["data"]["phase"] == "note"
                chat.say("skip")
    finally:
        other_store.close()


def test_double_click_from_two_threads_records_once(runner, store, db_path, knowledge, clock):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    value = chat.choice("Partly").value
    other_store = open_store(f"sqlite:///{db_path}")
    try:
        runners = [runner, DialogRunner(store=other_store, knowledge=knowledge, clock=clock)]
        barrier = threading.Barrier(2)
        out: list = []

        def press(i: int) -> None:
            barrier.wait()
            out.append(Chat(runners[i]).say("", value))

        threads = [threading.Thread(target=press, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        st = chat.state()
        assert st["turns"] == 1 and st["data"]["phase"] == "note"
        assert sum("earlier question" in r[0].plain_text() for r in out) == 1
    finally:
        other_store.close()


class RacingStore:
    """A store that lets another replica write just before this one saves, once: a forced Conflict."""

    def __init__(self, inner, race) -> None:
        self._inner = inner
        self._race = race

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def save_dialog(self, key, state, *, expected_version):
        race, self._race = self._race, None
        if race is not None:
            race()
        return self._inner.save_dialog(key, state, expected_version=expected_version)


def test_conflict_reruns_the_turn_on_fresh_state(store, db_path, knowledge, clock):
    base = DialogRunner(store=store, knowledge=knowledge, clock=clock)
    chat = Chat(base)
    chat.start("self_assessment", level="SW3B")
    chat.say("met")  # now at the note of item 1
    other = open_store(f"sqlite:///{db_path}")
    try:
        other_runner = DialogRunner(store=other, knowledge=knowledge, clock=clock)

        def race():
            Chat(other_runner).say("skip")  # the other replica skips the note first

        racing = DialogRunner(store=RacingStore(store, race), knowledge=knowledge, clock=clock)
        Chat(racing).say("partly")  # loses the race, re-runs: it now rates item 2
        st = chat.state()
        items = st["data"]["items"]
        assert st["turns"] == 3
        assert st["data"]["answers"][items[0]["uid"]] == {"rating": "met"}
        assert st["data"]["answers"][items[1]["uid"]] == {"rating": "partly"}
        assert st["data"]["phase"] == "note" and st["data"]["pos"] == 1
    finally:
        other.close()


# -- expiry -----------------------------------------------------------------------------------------------------

def test_idle_dialog_expires_gently_and_keeps_answers(runner, store, clock):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.say("met")
    chat.say("skip")
    chat.say("partly")
    clock.advance(days=31)
    replies = chat.say("what do I need for SW3B?")
    assert_polite(replies)
    text = chat.text()
    assert "Your self-assessment for SW3B from 3 March was paused for over 30 days; your answers are kept" in text
    assert "resume" in text and "cancel" in text
    ask = chat.choice("Answer my question instead").value
    assert ask == {"action": "ask", "question": "what do I need for SW3B?"}
    rec = store.list_records("u1", "assessment")
    assert len(rec) == 1 and rec[0]["data"]["status"] == "expired"
    assert [i["rating"] for i in rec[0]["data"]["items"][:2]] == ["met", "partly"]
    assert chat.say("hello again") is None  # told once; after that the router answers as usual
    chat.say("resume")
    assert chat.meta()["progress"] == f"2 of {SW3B_TOTAL}" and chat.state()["data"]["phase"] == "note"


def test_expire_idle_sweep(runner, store, clock):
    a = Chat(runner, "u1", "dm-a")
    b = Chat(runner, "u2", "dm-b")
    a.start("self_assessment", level="SW3B")
    a.say("met")
    clock.advance(days=20)
    b.start("checkin")
    b.say("a good week")
    clock.advance(days=15)
    assert runner.expire_idle(clock()) == 1
    assert a.state()["status"] == "expired" and b.state()["status"] == "active"
    assert store.list_records("u1", "assessment")[0]["data"]["status"] == "expired"
    assert runner.expire_idle(clock()) == 0
    a.say("anything")
    assert "paused for over 30 days" in a.text()


def test_stale_confirmation_is_dropped(runner, clock):
    chat = Chat(runner)
    chat.start("set_level", level_code="SW3B", since="2026-01-01")
    clock.advance(days=40)
    assert chat.say("yes") is None
    assert chat.state() is None


# -- the summary ------------------------------------------------------------------------------------------------

def test_summary_compares_with_previous_assessment(runner, store, clock):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    answer_all(chat, ["not yet"])
    first = store.list_records("u1", "assessment")[0]
    assert first["data"]["previous"] is None
    clock.advance(days=60)
    chat.start("self_assessment", level="SW3B")
    answer_all(chat, ["met", "partly", "not yet"])
    text = chat.text()
    assert "What moved since your last assessment on 3 March 2026" in text
    assert "Not yet → Met" in text and "Not yet → Partly" in text
    latest = store.list_records("u1", "assessment")[0]["data"]
    assert latest["previous"]["id"] == first["id"]
    assert len(latest["moved"]["up"]) == 14 and latest["moved"]["down"] == []


def test_summary_with_no_level_recorded(runner):
    chat = Chat(runner, "u3")
    chat.start("self_assessment", level="SCOA")
    answer_all(chat, ["partly"])
    text = chat.text()
    assert "I don't know your current level" in text
    assert "Safeguarding" not in text or "safeguarding" in text.lower()
    assert "Learning from others" in text


# -- sharing and privacy ---------------------------------------------------------------------------------------

def _finish_assessment(chat: Chat) -> str:
    chat.start("self_assessment", level="SW3B")
    answer_all(chat, ["met", "partly"])
    return chat.meta()["record_id"]


def test_share_with_manager(runner, store, notified):
    chat = Chat(runner)
    rid = _finish_assessment(chat)
    assert shared_records_for_manager(store, "m1", "u1") == []  # private until shared
    chat.press("Share with my manager")
    assert "Shared with Sam Manager" in chat.text()
    assert len(notified.sent) == 1
    manager, reply = notified.sent[0]
    assert manager.id == "m1"
    assert "Jo Worker has shared their self-assessment for SW3B" in reply.title
    assert "Strengths" in reply.plain_text()
    shared = shared_records_for_manager(store, "m1", "u1")
    assert [r["id"] for r in shared] == [rid]
    # Sharing twice sends nothing more.
    chat.say("", {"action": "dialog_record", "op": "share", "record_id": rid})
    assert "already shared" in chat.text() and len(notified.sent) == 1
    # The manager opens the pack from their message; anyone else is refused.
    boss = Chat(runner, "m1", "dm-boss")
    boss.say("", reply.choices[0].value)
    assert boss.last[0].attachments and "Supervision pack" in boss.text()
    other = Chat(runner, "m2", "dm-other")
    other.say("", reply.choices[0].value)
    assert "isn't yours" in other.text()
    with pytest.raises(PermissionError):
        shared_records_for_manager(store, "m2", "u1")
    with pytest.raises(PermissionError):
        shared_records_for_manager(store, "m1", "u2")
    with pytest.raises(PermissionError):
        shared_records_for_manager(store, "u1", "u1")
    # Stop sharing: the manager sees nothing again.
    chat.say("", {"action": "dialog_record", "op": "unshare", "record_id": rid})
    assert shared_records_for_manager(store, "m1", "u1") == []


def test_manager_sees_only_what_was_shared(runner, store):
    chat = Chat(runner)
    first = _finish_assessment(chat)
    chat.press("Done")
    assert "saved, private to you" in chat.text()
    second = _finish_assessment(chat)
    chat.press("Share with my manager")
    ids = [r["id"] for r in shared_records_for_manager(store, "m1", "u1")]
    assert ids == [second] and first not in ids


def test_a_share_stays_with_the_manager_it_was_shared_with(runner, store, notified):
    chat = Chat(runner)
    rid = _finish_assessment(chat)
    chat.press("Share with my manager")
    person = store.get_person("u1")
    person.manager_id = "m2"  # the staff list changes Jo's manager
    store.upsert_person(person)
    assert shared_records_for_manager(store, "m2", "u1") == []  # Jo never shared with m2
    boss = Chat(runner, "m2", "dm-other")
    boss.say("", notified.sent[0][1].choices[0].value)  # nor can m2 open the pack from m1's message
    assert not boss.last[0].attachments
    chat.say("", {"action": "dialog_record", "op": "share", "record_id": rid})  # shared anew: now with m2
    assert "Shared with Other Manager." in chat.text()
    assert [r["id"] for r in shared_records_for_manager(store, "m2", "u1")] == [rid]
    chat.say("", {"action": "dialog_record", "op": "share", "record_id": rid})
    assert "already shared with Other Manager" in chat.text()


def test_share_without_manager(runner, store, notified):
    chat = Chat(runner, "u3")
    chat.start("self_assessment", level="SCOA")
    answer_all(chat, ["met"])
    chat.press("Share with my manager")
    assert "don't have a manager recorded" in chat.text()
    assert_polite(chat.last)
    assert notified.sent == [] and not store.list_records("u3")[0]["shared"]


def test_someone_elses_record_button_is_refused(runner, store):
    chat = Chat(runner)
    rid = _finish_assessment(chat)
    intruder = Chat(runner, "u2", "dm-u2")
    intruder.say("", {"action": "dialog_record", "op": "share", "record_id": rid})
    assert "can't find that record" in intruder.text()
    intruder.say("", {"action": "dialog_record", "op": "pack", "record_id": rid, "person_id": "u1"})
    assert "isn't yours" in intruder.text()
    assert not store.list_records("u1")[0]["shared"]


# -- the supervision pack -----------------------------------------------------------------------------------------

def _docx_text(data: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def test_control_characters_pasted_into_a_note_reach_the_word_pack_as_line_breaks(runner, store, knowledge):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.say("met")
    chat.say("first line\x0bsecond line\x00 with a NUL\x1b[31m and an escape")  # Word's Shift+Enter, NUL, ESC
    answer_all(chat, ["partly"])
    rec = store.list_records("u1", "assessment")[0]
    assert rec["data"]["items"][0]["evidence"] == "first line\nsecond line with a NUL[31m and an escape"
    # a record kept before text was cleaned on the way in still makes a Word pack
    rec["data"]["items"][0]["evidence"] = "old\x0bnote\x07\uffff"
    assert "old\nnote" in _docx_text(to_docx(rec, store.get_person("u1"), knowledge))


def test_the_pack_in_chat_is_blocks_and_a_note_with_markdown_characters_reads_as_typed(runner, store):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.say("met")
    chat.say("Led case #12 *twice*, see [notes] <link> _urgent_")
    answer_all(chat, ["partly", "not yet"])
    chat.press("Download supervision pack")
    shown = [x for b in chat.last[0].blocks for x in (b.title or "", b.text or "", *b.bullets, *b.notes)]
    assert any("Evidence: Led case #12 *twice*, see [notes] <link> _urgent_" in x for x in shown)
    assert not any(x.startswith(("#", "- ", "**")) or "\\" in x for x in shown)  # no Markdown, no escapes
    assert "Summary" in shown and "Gaps to work on" in shown
    # nothing of the Markdown file is lost in chat: every line's words are in some block
    md = next(a for a in chat.last[0].attachments if a.filename.endswith(".md")).data.decode()
    joined = "\n".join(shown)
    for line in md.splitlines()[1:]:  # the first is the document's title: the reply's own title says it
        words = re.sub(r"^\s*(?:#+|-|\d+\.|•)\s*(?:Note: )?", "", line).replace("**", "").replace("\\", "").strip("_ ")
        assert not words or words in joined, line


def test_pack_markdown_and_docx(runner, store, knowledge):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.say("met")
    chat.say("Certificate from the PE course, May 2025")
    answer_all(chat, ["partly", "not yet"])
    chat.press("Download supervision pack")
    reply = chat.last[0]
    kinds = sorted(a.content_type for a in reply.attachments)
    assert kinds == ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "text/markdown"]
    rec = store.list_records("u1", "assessment")[0]
    person = store.get_person("u1")
    md = to_markdown(rec, person, knowledge)
    docx_text = _docx_text(to_docx(rec, person, knowledge))
    for text in (md, docx_text):
        assert "3 March 2026" in text and "Jo Worker" in text and "SW3B (Practising)" in text
        assert "Certificate from the PE course, May 2025" in text
        for item in rec["data"]["items"]:
            assert item["text"][:40] in text.replace("\\", "")
        assert "Evidence the framework asks for" in text and "A minimum of 12 months experience" in text
        assert "Time in level" in text and "You have been at SW3A" in text
        assert "Development routes" in text and "Acting Up" in text
        assert "document 003" in text and "Sources" in text
        assert "Not yet" in text and "Partly" in text and "Met" in text
    name, data = export_assessment(store, knowledge, "u1", fmt="md")
    assert name == "supervision-pack-SW3B-2026-03-03.md" and data.decode() == md
    name, data = export_assessment(store, knowledge, "u1", fmt="docx", record_id=rec["id"])
    assert name.endswith(".docx") and "Jo Worker" in _docx_text(data)
    with pytest.raises(ValueError):
        export_assessment(store, knowledge, "u1", fmt="pdf")
    with pytest.raises(LookupError):
        export_assessment(store, knowledge, "nobody")
    with pytest.raises(LookupError):
        export_assessment(store, knowledge, "u3")


def test_pack_of_a_paused_draft(runner, store, knowledge):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.say("met")
    chat.say("pause")
    name, data = export_assessment(store, knowledge, "u1", fmt="md")
    text = data.decode()
    assert "Paused, not finished (1 of 21 answered)" in text
    assert "Not answered" in text


# -- check-in ---------------------------------------------------------------------------------------------------

def test_checkin_with_gaps_and_reminder(runner, store, knowledge):
    chat = Chat(runner)
    _finish_assessment(chat)
    chat.press("Done")
    chat.start(*detect_start("prepare for supervision"))
    assert "gaps from your self-assessment for SW3B" in chat.text()
    chat.say("Closed two complex cases well")
    chat.say("skip")
    gaps = chat.state()["data"]["gaps"]
    assert len(gaps) == 8 and "Progress on your gaps (1 of 8)" in chat.last[-1].title
    chat.say("Booked onto the PE course")
    chat.say("skip")
    chat.press("Skip the rest of the gaps")
    assert "What do you need from your manager" in chat.last[-1].title
    chat.say("Time to shadow a panel")
    chat.say("remind me 3 days before my supervision on 20 March")
    assert chat.state() is None
    text = chat.text()
    for part in ("What has gone well", "Closed two complex cases well", "What I'd like to discuss", "(skipped)",
                 "Booked onto the PE course", "Time to shadow a panel", "20 March 2026", "17 March 2026"):
        assert part in text
    person = store.get_person("u1")
    assert person.prefs.next_supervision == date(2026, 3, 20) and person.prefs.supervision_reminder_days == 3
    rec = store.list_records("u1", "checkin")[0]
    assert rec["data"]["went_well"] == "Closed two complex cases well" and not rec["shared"]
    assert rec["data"]["gaps"][0]["progress"] == "Booked onto the PE course"
    md = to_markdown(rec, person, knowledge)
    assert "# Supervision check-in note" in md and "Time to shadow a panel" in md
    assert "Time to shadow a panel" in _docx_text(to_docx(rec, person, knowledge))
    chat.press("Share with my manager")
    assert [r["kind"] for r in shared_records_for_manager(store, "m1", "u1")] == ["checkin"]


def test_checkin_without_assessment_and_reminder_buttons(runner, store):
    chat = Chat(runner, "u3")
    chat.start("checkin")
    assert "haven't done a self-assessment" in chat.text()
    chat.say("fine")
    chat.say("back")
    assert "What has gone well" in chat.last[-1].title and "You said: “fine”" in chat.text()
    chat.say("skip")
    chat.say("workload")
    chat.say("nothing")
    chat.say("10 April")
    chat.press("1 week before")
    person = store.get_person("u3")
    # A week before is Good Friday (3 April 2026), a bank holiday: the reminder is promised, and saved, for the
    # working day before it
    assert person.prefs.next_supervision == date(2026, 4, 10) and person.prefs.supervision_reminder_days == 8
    assert "I'll remind you on Thursday 2 April 2026: 7 days before is Friday 3 April 2026, a bank holiday " \
           "(Good Friday)" in chat.text()
    assert store.list_records("u3", "checkin")[0]["data"]["discuss"] == "workload"


# -- starting while another is open -----------------------------------------------------------------------------

def test_start_while_another_is_open(runner, store):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.say("met")
    chat.say("skip")
    chat.start("checkin")
    assert "You have your self-assessment for SW3B" in chat.text() and "open (question 2 of 21)." in chat.text()
    assert "If you abandon it, your answer so far is thrown away." in chat.text()
    chat.press("Carry on with it")
    assert chat.meta()["progress"] == f"2 of {SW3B_TOTAL}"
    chat.say("check-in")  # typed mid-question: the same choice is offered
    assert "abandon it and start the check-in" in chat.text()
    chat.say("start the new one")
    assert chat.state()["dialog"] == "checkin"
    assert "What has gone well" in chat.last[-1].title


def test_export_mid_dialog_keeps_the_dialog(runner):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.say("export my data")
    assert chat.last[0].attachments and chat.meta()["progress"] == f"1 of {SW3B_TOTAL}"


# -- level, export and erasure -------------------------------------------------------------------------------------

def test_set_level_confirmation(runner, store):
    chat = Chat(runner, "u3")
    chat.start("set_level", level_code="SW2B", since="2025-03-01")
    assert chat.last[-1].title == "Set your level to SW2B since 1 March 2025?"
    chat.say("no")
    assert store.get_person("u3").level_code is None
    chat.start("set_level", level_code="SW2B", since="2025-03-01")
    chat.press("Yes")
    person = store.get_person("u3")
    assert person.level_code == "SW2B" and person.level_since == date(2025, 3, 1)
    assert "Done: your level is SW2B (Practising)" in chat.text()
    assert "Self-assessment for SW2C" in [c.label for c in chat.last[-1].choices]
    bad = chat.start("set_level", level_code="SW9", since="2025-03-01")
    assert "not a level" in bad[0].title and chat.state() is None


def test_export_my_data(runner, store):
    chat = Chat(runner)
    _finish_assessment(chat)
    replies = chat.start(*detect_start("export my data"))
    att = replies[0].attachments[0]
    assert att.content_type == "application/json" and att.filename.endswith(".json")
    data = json.loads(att.data)
    assert data["person"]["id"] == "u1" and len(data["records"]) == 1
    assert_polite(replies)


def test_delete_my_data(runner, store, db_path):
    chat = Chat(runner)
    _finish_assessment(chat)
    Chat(runner, "u1", "other-conversation").start("checkin")
    chat.start(*detect_start("delete my data"))
    assert "can't be undone" in chat.text()
    chat.say("yse")  # a typo is not a yes for erasure
    assert "Yes, delete everything" in chat.text() and store.get_person("u1") is not None
    chat.press("Export my data first")
    assert chat.last[0].attachments and "Delete everything" in chat.last[-1].title
    chat.say("no")
    assert store.get_person("u1") is not None and store.list_records("u1")
    chat.start("delete_data")
    chat.press("Yes, delete everything")
    assert "has been deleted" in chat.text()
    assert store.get_person("u1") is None
    assert store.list_records("u1") == [] and store.list_dialogs(person_id="u1") == []
    assert store.export_person("u1")["person"] is None
    with sqlite3.connect(db_path) as conn:
        for table in ("records", "dialogs", "ledger", "conversation_refs"):
            assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE person_id = 'u1'").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM people WHERE id = 'u1'").fetchone()[0] == 0
        raw = b"".join(bytes(str(r), "utf-8") for r in conn.execute("SELECT * FROM records").fetchall())
        assert b"Jo Worker" not in raw
    assert chat.say("hello") is None  # nothing open any more


def test_expired_dialog_and_a_new_start(runner, clock):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.say("met")
    clock.advance(days=45)
    chat.say("check-in")
    assert "for SW3B from 3 March paused at question 1 of 21." in chat.text()
    assert "(paused)" not in chat.text() and "abandon it and start the check-in" in chat.text()
    # what abandoning loses, plainly: the answers were saved when it was paused
    assert "your answer so far stays saved as an unfinished self-assessment, but you won't be able to carry on " \
           "with it" in chat.text() and "wasn't already saved" not in chat.text()
    chat.press("Carry on with it")
    assert chat.state()["status"] == "active" and chat.state()["data"]["phase"] == "note"


# -- through the router, as the channels call it ----------------------------------------------------------------

def router_say(store, knowledge, clock, user: str = "u1"):
    """say(text, value) through a real Router and DialogRunner, as a channel calls them."""
    from bot.answers.engine import AnswerEngine
    from bot.router import Router

    runner = DialogRunner(store=store, knowledge=knowledge, clock=clock)
    router = Router(knowledge=knowledge, engine=AnswerEngine(knowledge), store=store, dialogs=runner, clock=clock)

    def say(text="", value=None):
        return router.handle(Incoming(channel="console", user_id=user, conversation_id="console", text=text,
                                      value=value))
    return say


def test_through_the_router(store, knowledge, clock):
    say = router_say(store, knowledge, clock)
    replies = say("assess me")
    assert replies[-1].meta["dialog"] == "self_assessment" and replies[-1].meta["target"] == "SW3B"
    met = replies[-1].choices[0].value
    assert say(value=met)[-1].meta["phase"] == "note"
    assert say("pause")[-1].meta["phase"] == "paused"
    answer = say("what do I need for SW3B?")
    assert answer and answer[-1].status != "dialog"  # answered normally while paused
    assert say("resume")[-1].meta["phase"] == "note"


def test_bare_rating_at_the_note_step_is_no_note(runner):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW3B")
    chat.say("met")
    chat.say("met")  # the rating again (a different one is asked about: test_dialog_answers)
    st = chat.state()
    assert "as no note" in chat.text() and st["data"]["pos"] == 1 and st["data"]["phase"] == "rate"
    assert st["data"]["answers"][st["data"]["items"][0]["uid"]] == {"rating": "met"}


@pytest.mark.parametrize("said", ["not booked yet", "no", "don't know", "nothing", "not scheduled yet"])
def test_checkin_next_supervision_not_known_yet_is_skipped_with_its_reminder(runner, store, said):
    store.upsert_person(Person(id="u5", display_name="New Person"))
    chat = Chat(runner, "u5")
    chat.start("checkin")
    for answer in ("fine", "workload", "time"):
        chat.say(answer)
    assert "Your next supervision" in chat.last[-1].title
    chat.say(said)
    assert chat.state() is None and "check-in note" in chat.last[0].title  # finished: no reminder question
    assert store.get_person("u5").prefs.next_supervision is None


def test_a_privacy_request_typed_at_a_free_text_step_is_a_request_not_the_answer(runner, store):
    store.upsert_person(Person(id="u6", display_name="New Person"))
    chat = Chat(runner, "u6")
    chat.start("checkin")
    chat.say("fine")
    chat.say("delete my data")  # at "What would you like to discuss?", where any text would do
    assert "open (question 2 of 5)" in chat.text() and "delete your data" in chat.text()
    assert "discuss" not in chat.state()["data"]["answers"]
    chat.press("Carry on with it")
    chat.say("export my data")  # an instant request: done, then back to the question
    assert chat.last[0].attachments and "What would you like to discuss" in chat.last[-1].title
    chat.say("my self-assessment results")  # ordinary words stay an answer
    assert chat.state()["data"]["answers"]["discuss"] == "my self-assessment results"


def test_a_question_typed_at_the_carry_on_or_start_again_choice_is_answered_and_the_choice_kept(runner, store):
    store.upsert_person(Person(id="u7", display_name="New Person"))
    chat = Chat(runner, "u7")
    chat.start("self_assessment", level="SW3B")
    chat.start("checkin")
    assert "Carry on with it" in [c.label for c in chat.last[-1].choices]
    replies = chat.say("what does AMHP stand for?")
    assert isinstance(replies, Aside) and replies[0].meta.get("phase") == "switch"  # the router answers first
    assert chat.state()["pending_start"]["name"] == "checkin"
    chat.say("check-in")  # asking for the new one again chooses it
    assert chat.state()["dialog"] == "checkin"


@pytest.mark.parametrize("asked", ["what does this mean?", "I don't understand", "explain this", "what's this?"])
def test_what_does_this_mean_explains_the_criterion_on_screen_and_keeps_the_place(runner, store, asked):
    chat = Chat(runner)
    chat.start("self_assessment", level="SW2C")
    for _ in range(40):
        if "MCAs" in chat.text():
            break
        chat.say("skip")
    else:
        raise AssertionError("no criterion mentioning MCAs in SW2C")
    before = store.load_dialog(chat.key)[0]["data"]["pos"]
    chat.say(asked)
    text = chat.text()
    assert "This criterion is from Social Worker career progression framework, document 001" in text
    assert "MCAs: the documents use it without spelling it out" in text  # never guessed
    assert "“Not sure” is a good answer" in text and "Met: you can show this now" in text
    assert store.load_dialog(chat.key)[0]["data"]["pos"] == before  # nothing rated, same question
    assert "Has the ability to consider executive functioning in undertaking MCAs." in text


def test_an_abbreviation_the_glossary_spells_out_is_explained(knowledge):
    found = {e.term: e.meaning for e in knowledge.glossary_in(
        "Provide certificate of attaining the Practice Educator or Best Interest Assessor or AMPH Qualification.")}
    assert found == {"AMHP": "Approved Mental Health Professional"}  # the source's "AMPH" typo is an alias
    assert knowledge.glossary_in("a bia in lower case inside no word") == []


@pytest.mark.parametrize("day", ["next Tuesday", "next tues", "on Tue"])
def test_checkin_takes_a_weekday_for_the_next_supervision_and_yes_for_the_reminder(runner, store, clock, day):
    chat = Chat(runner, "u3")
    chat.start("checkin")
    for said in ("a good month", "workload", "nothing"):
        chat.say(said)
    chat.say(day)
    tuesday = clock().date() + timedelta(days=(1 - clock().date().weekday() - 1) % 7 + 1)
    assert f"Shall I remind you before your supervision on {tuesday.day}" in chat.text()
    chat.say("yes please")
    assert "I've taken that as 3 days before" in chat.text()
    # 3 days before Tuesday 10 March is a Saturday: promised, and saved, for the Friday
    assert tuesday == date(2026, 3, 10)
    assert "I'll remind you on Friday 6 March 2026: 3 days before is Saturday 7 March 2026, and reminders are " \
           "only sent on working days." in chat.text()
    person = store.get_person("u3")
    assert person.prefs.next_supervision == tuesday and person.prefs.supervision_reminder_days == 4


def test_a_social_care_officer_chooses_the_deaf_services_table_and_can_go_back_to_change_it(runner, knowledge):
    chat = Chat(runner, "u3")
    chat.start("self_assessment", level="SCO 4B")
    assert [c.label for c in chat.last[-1].choices] == ["Standard table", "Deaf services table", "Back"]
    chat.say("the deaf services one")
    st = chat.state()["data"]
    assert st["variant"] == "Deaf services" and st["phase"] == "rate"
    deaf = {i["text"] for i in st["items"]}
    standard = {c.text for c in criteria_for(knowledge, "SCO 4B")}
    assert deaf != standard and "Using the Deaf services criteria" in chat.text()
    chat.say("back")
    assert "Which table for SCO 4B" in chat.text()
    chat.say("standard")
    assert {i["text"] for i in chat.state()["data"]["items"]} == standard
    chat.say("pause")
    assert "Your self-assessment for SCO 4B from" in chat.text()  # the code as people write it, never "SCOB"
