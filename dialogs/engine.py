"""DialogRunner: runs one turn of a guided dialog, with its state saved to the store after every turn.

State is plain JSON data under the conversation key. Every turn is load -> work on a copy -> save with the
version read; a Conflict (another message, another replica) reloads and re-runs the turn on the fresh state,
so no answer is lost or applied twice. Turns of one conversation are also serialised in-process.
"""

from __future__ import annotations

import copy
import logging
import random
import re
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import metrics
from bot.conversation import MAX_TEXT, Aside, Block, Choice, Incoming, Reply
from bot.knowledge.model import Knowledge
from bot.storage.base import DIALOG_PERSON_KEY, Conflict, Person, Store, StoreError
from dialogs.base import (
    DIALOG_ACTION,
    RECORD_ACTION,
    START_ACTION,
    Answer,
    Ctx,
    Flow,
    NotUnderstood,
    Out,
    choice,
    start_choice,
)
from dialogs.checkin import CheckIn
from dialogs.privacy import DeleteData, export_data_reply, latest_record, record_action, share_record, unshare_all
from dialogs.self_assessment import SelfAssessment
from dialogs.set_level import SetLevel
from dialogs.triggers import DELETE_ONE, detect_start
from dialogs.words import (
    GLOBAL_WORDS,
    clip,
    dialog_command,
    global_word,
    looks_like_request,
    match_phrase,
    plural,
    tidy,
)

log = logging.getLogger(__name__)

STATE_VERSION = 1
FLOWS: dict[str, Flow] = {f.name: f for f in (SelfAssessment(), CheckIn(), SetLevel(), DeleteData())}
INSTANT = ("export_data", "share_latest", "unshare_all", "pack_latest")  # one-shot actions, no dialog state
# Requests understood even at a step that takes any text as its answer (a note, a check-in answer): short and
# unmistakable. There, a message that is exactly a dialog command ("assess me", "check-in") or plainly a
# question (ends with "?") is not kept as the answer either (see DialogRunner._free_text).
ANYWHERE = ("delete_data", *INSTANT)
# What is only done in a direct message: in a channel everyone there would see the answers or the file
PRIVATE = ("self_assessment", "checkin", "delete_data", "set_level", *INSTANT)
ALIASES = {"assess": "self_assessment", "self-assessment": "self_assessment", "assessment": "self_assessment",
           "check_in": "checkin", "check-in": "checkin", "export": "export_data", "delete": "delete_data",
           "share": "share_latest", "pack": "pack_latest"}
GLOBALS = ("help", "back", "skip", "skip_category", "pause", "cancel", "resume")
SWITCH_WORDS = {
    "continue": ("continue", "carry on", "carry on with it", "keep going", "keep it", "the old one", "old one",
                 "finish it", "resume", "keep", "stay", "go on", "finish the old one"),
    "abandon": ("abandon", "abandon it", "start the new one", "start new", "new one", "the new one", "start again",
                "start over", "discard", "drop it", "replace it", "new", "start the new", "abandon the old one"),
}
# "Cancel" after answers: keep them and pause, discard them, or carry on. Discarding is matched exactly (no typo
# correction), like the other destructive confirmations.
CANCEL_WORDS = {
    "keep": ("keep", "keep them", "keep my answers", "keep my answers and pause", "keep and pause", "keep it",
             "save", "save them", "save my answers", "save it", "pause", "pause it", "later", "stop for now",
             "save and pause", "keep them and pause", "pause for now", "finish later", "continue later"),
    "carry_on": ("carry on", "continue", "resume", "go on", "keep going", "carry on now", "back", "go back",
                 "don't cancel", "dont cancel", "do not cancel", "never mind", "nevermind", "oops", "no",
                 "not now", "no thanks"),
}
DISCARD_WORDS = ("discard", "discard them", "discard it", "discard my answers", "discard all", "discard everything",
                 "delete them", "delete my answers", "delete it", "throw them away", "throw away", "throw it away",
                 "bin them", "bin it", "don't keep them", "dont keep them", "do not keep them", "cancel anyway",
                 "yes discard", "yes discard them", "scrap it", "scrap them", "lose them", "get rid of them")
_LOCK_STRIPES = 64
# "yes", "yes cancel it", "ok stop": stop, keeping the answers (nothing is lost; discarding is only ever said).
# A bare "cancel" is not among them: said again to a paused dialog, it would only ask the same question again.
_STOP_KEEPING = re.compile(r"\s*(?:yes|yeah|yep|yup|ok|okay|sure)\b[\s,.!]*(?:please\s+)?(?:cancel|stop|end|quit)?"
                           r"(?:\s+(?:it|this|that|now|the (?:assessment|check-?in|self-?assessment)))?[\s,.!]*"
                           r"(?:please)?[\s.!]*", re.I)


def _yes_or_no_then(text: str) -> str | None:
    """"no, carry on", "yes", "yes cancel it" to "keep, discard or carry on?": what a yes or no leads into."""
    m = re.match(r"\s*(?:no|nope|nah)\b[\s,.!-]*(?P<rest>.*)$", text, re.I)
    if m:
        rest = m.group("rest")
        return "carry_on" if not tidy(rest) else (match_phrase(rest, CANCEL_WORDS) or
                                                  ("discard" if tidy(rest) in DISCARD_WORDS else None))
    if re.search(r"\w", text) and _STOP_KEEPING.fullmatch(text):
        return "keep"
    return None


@dataclass
class Turn:
    replies: list[Reply] | None  # None: not for the dialog; the router answers the message as usual
    state: dict[str, Any] | None  # what to save (None deletes the dialog)
    save: bool = True


def _about_framework(text: str) -> bool:
    """A question about the framework (a level, a role, a topic it covers, an abbreviation): answered, not kept as
    a check-in answer. "Can we talk about my caseload?" at "what would you like to discuss?" is an answer."""
    from bot.answers.questions import parse

    if _ABOUT_CAREERBOT.search(text):  # "who will see what I write here?", "when is my next reminder?"
        return True
    q = parse(text)
    return bool(q.roles or q.levels or q.unknown_codes or q.topics or q.glossary_hint or q.pcf_domain
                or q.comparison or q.next_step)


# A question typed without its question mark ("hang on whats the difference between sw2b and sw2c") at a step
# that takes any words: asked, not written as evidence ("what I did was chair…", "how I handled…" are notes)
_ASKED = re.compile(
    r"(?:(?:hang on|hold on|wait|sorry|quick question|actually|btw|oh|before that|just)[,.!:;-]*\s+)*"
    r"(?:what(?:'s| is| are| do| does| about| happens| counts)|whats|what's the difference|"
    r"how (?:do|does|long|many|much|can|"
    r"would|is)|why (?:is|are|do|does|did|would|can|can't|isn't)|when (?:do|does|can|will|is|am|could|would)|"
    r"which (?:one|level) (?:is|are|do|does|should)|"
    r"(?:can|could) i (?:go|apply|be|become|get|skip|move|progress|count|use)|"
    r"(?:can|could) you (?:tell|explain|remind)|do i (?:need|have to|qualify|count|meet)|does (?:it|that|this|my|the)|"
    r"is (?:it|there|that)|are there|"
    r"(?:the )?difference between|tell me (?:about|what))\b")
def _about_level(state: dict[str, Any]) -> str | None:
    """The level a self-assessment is about, for a question asked in it that names none."""
    if state.get("dialog") != "self_assessment":
        return None
    target = (state.get("data") or {}).get("target")
    return target if isinstance(target, str) and target else None


# "no, keep my data", "never mind", "forget it": not the new one, so the open one carries on
_KEEP_OLD = re.compile(r"(?!.*\b(?:start|new|fresh|bin|drop|abandon|bother|scrap|ditch|need to)\b)"
                       r"\s*(?:no|nope|nah|never ?mind|forget (?:it|that)|don'?t|do not|leave it|not now)\b", re.I)
# "can you give me an example", "how do i word this", "what should i write": help with the step itself
_STEP_HELP = re.compile(r"(?:can you |could you )?(?:give me |show me )?(?:an? )?example\b|how (?:do|should|would) i "
                        r"(?:word|phrase|write|put) (?:this|it|that)\b|what (?:should|do|can) i (?:write|put|say)"
                        r"(?: here)?\s*\??$")
# "is this saved", "can I finish it later": about the dialog itself, answered by the router
_ABOUT_THE_DIALOG = re.compile(r"(?:is (?:this|it) (?:saved|being saved)|can i (?:finish|complete|carry on with|come "
                               r"back to) (?:it|this) later)\s*\??$")
_KEEP_AS_ANSWER = re.compile(r"\s*(?:note|my note|answer|my answer)\s*:\s*", re.I)
# Questions about careerbot itself (privacy, reminders, what it does) asked at a step: answered, never kept
_ABOUT_CAREERBOT = re.compile(
    r"\b(?:who (?:will|can|else can|could) (?:see|read)|confidential|private|privacy|can my manager see|"
    r"will my manager see|is this shared|reminders?|careerbot)\b", re.I)


class DialogRunner:
    """Runs guided dialogs for every channel. Thread-safe; many runners may share one store."""

    max_retries = 8

    def __init__(self, *, store: Store, knowledge: Knowledge, clock: Callable[[], datetime] | None = None,
                 expiry_days: int = 30, notify: Callable[[Person, Reply], Any] | None = None) -> None:
        self.store = store
        self.knowledge = knowledge
        self.clock = clock or (lambda: datetime.now(UTC))
        self.expiry_days = max(int(expiry_days), 1)
        self.notify = notify
        self._locks = [threading.RLock() for _ in range(_LOCK_STRIPES)]

    # -- public API ---------------------------------------------------------------------------------------
    def handle(self, msg: Incoming, person: Person) -> list[Reply] | None:
        """One turn of the conversation's active dialog; None when there is none (or the message is not for it)."""
        value = msg.value if isinstance(msg.value, dict) else None
        action = value.get("action") if value else None
        if action == RECORD_ACTION:
            return record_action(self.store, self.knowledge, person, value, notify=self.notify, now=self._now())
        if action == START_ACTION:
            name = value.get("name")
            args = value.get("args") if isinstance(value.get("args"), dict) else {}
            if isinstance(name, str) and (name in FLOWS or name in INSTANT):
                return self.start(name, msg=msg, person=person, args=args)
            return None
        key = msg.conversation_key
        with self._lock(key):
            return self._run(key, lambda state: self._turn(state, msg, person) if state else Turn(None, None, False))

    def start(self, name: str, *, msg: Incoming, person: Person, args: dict[str, Any] | None = None) -> list[Reply]:
        """Start a dialog (or a one-shot action such as export). Asks first if another dialog is open."""
        name = ALIASES.get(name, name)
        args = dict(args) if isinstance(args, dict) else {}
        if not msg.is_direct and name in PRIVATE:
            return [_in_private_only(name)]
        if name in INSTANT:
            return self._instant(name, person, args)
        flow = FLOWS.get(name)
        if flow is None:
            return [Reply(title="Sorry, I can't start that.", status="error",
                          choices=[start_choice("Start a self-assessment", "self_assessment")])]
        key = msg.conversation_key
        with self._lock(key):
            replies = self._run(key, lambda state: self._start_turn(state, name, flow, args, person))
        return replies or []

    def where_we_are(self, key: str, person: Person) -> Reply | None:
        """What this conversation is in the middle of, read only: the open question (or the pending "keep,
        discard or carry on?"), or for a paused dialog how to resume it. None when nothing is open. For a person
        coming back (the console after a restart) and for "hello" while a dialog is paused."""
        state, _ = self.store.load_dialog(key)
        if state is None or not self._valid(state):
            return None
        flow = FLOWS[state["dialog"]]
        ctx = Ctx(self.store, self.knowledge, person, self._now(), self.notify)
        if state.get("confirm_cancel"):
            return self._cancel_question(ctx, flow, state)
        if state.get("pending_start"):
            return self._switch_question(ctx, state)
        if state["status"] == "active":
            return self._question(ctx, flow, state, [Block(text="We're in the middle of it: here's the current "
                                                                "question.")])
        return self._paused_note(ctx, flow, state, "", expired=state["status"] == "expired")

    def expire_idle(self, now: datetime | None = None) -> int:
        """Periodic sweep: pause every dialog idle for longer than expiry_days, keeping what was answered."""
        now = now or self._now()
        count = 0
        for key, state, _version in self.store.list_dialogs():
            if not self._valid(state) or state.get("status") != "active" or not self._idle(state, now):
                continue
            with self._lock(key):
                for _ in range(self.max_retries):
                    fresh, version = self.store.load_dialog(key)
                    if not self._valid(fresh) or fresh.get("status") != "active" or not self._idle(fresh, now):
                        break
                    fresh = copy.deepcopy(fresh)
                    person = self.store.get_person(fresh[DIALOG_PERSON_KEY]) or Person(id=fresh[DIALOG_PERSON_KEY])
                    ctx = Ctx(self.store, self.knowledge, person, now, self.notify)
                    try:
                        new_state = self._mark_expired(ctx, FLOWS[fresh["dialog"]], fresh)
                        self.store.save_dialog(key, new_state, expected_version=version)
                    except Conflict:
                        continue
                    except StoreError:
                        log.warning("could not expire dialog %s; will try again next sweep", key, exc_info=True)
                        break
                    count += 1
                    metrics.dialog_event(fresh["dialog"], "expired")
                    break
        return count

    # -- the turn loop ------------------------------------------------------------------------------------
    def _now(self) -> datetime:
        now = self.clock()
        return now if now.tzinfo else now.replace(tzinfo=UTC)

    def _lock(self, key: str) -> threading.RLock:
        return self._locks[zlib.crc32(key.encode("utf-8", "replace")) % _LOCK_STRIPES]

    def _run(self, key: str, work: Callable[[dict[str, Any] | None], Turn]) -> list[Reply] | None:
        for attempt in range(self.max_retries):
            state, version = self.store.load_dialog(key)
            if state is not None and not self._valid(state):
                log.warning("dropping unreadable dialog state for %s", key)
                try:
                    self.store.save_dialog(key, None, expected_version=version)
                except Conflict:
                    continue
                state, version = None, 0
            turn = work(copy.deepcopy(state) if state is not None else None)
            if not turn.save:
                return turn.replies
            if turn.state is not None and turn.state.get("deleted"):
                return turn.replies  # the person's data, this dialog included, is gone
            finished = turn.state is not None and bool(turn.state.get("done"))
            name = (turn.state or state or {}).get("dialog", "unknown")
            if finished:
                turn.state = None
            try:
                if turn.state is not None or state is not None:
                    self.store.save_dialog(key, turn.state, expected_version=version)
                if state is None and turn.state is not None:
                    metrics.dialog_event(name, "started")
                elif state is not None and turn.state is None:
                    metrics.dialog_event(name, "completed" if finished else "ended")
                return turn.replies
            except Conflict:
                log.info("dialog %s changed under this turn (attempt %d); re-running on the fresh state",
                         key, attempt + 1)
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # noqa: S311 - jitter, not security
        log.warning("dialog %s: gave up after %d conflicting attempts", key, self.max_retries)
        return [Reply(title="Sorry, that crossed with another message.",
                      blocks=[Block(text="Nothing was lost. Please send it again.")], status="error")]

    def _valid(self, state: Any) -> bool:
        return (isinstance(state, dict) and state.get("dialog") in FLOWS and isinstance(state.get("id"), str)
                and isinstance(state.get("step"), int) and isinstance(state.get("data"), dict)
                and isinstance(state.get(DIALOG_PERSON_KEY), str))

    def _idle(self, state: dict[str, Any], now: datetime) -> bool:
        try:
            last = datetime.fromisoformat(state.get("updated_at") or state.get("started_at"))
        except (TypeError, ValueError):
            return False
        if last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        return now - last > timedelta(days=self.expiry_days)

    def _new_state(self, name: str, person: Person, now: datetime) -> dict[str, Any]:
        return {DIALOG_PERSON_KEY: person.id, "v": STATE_VERSION, "dialog": name, "id": uuid.uuid4().hex[:16],
                "step": 1, "turns": 0, "status": "active", "started_at": now.isoformat(),
                "updated_at": now.isoformat(), "data": {}, "pending_start": None, "record_id": None}

    # -- starting -----------------------------------------------------------------------------------------
    def _instant(self, name: str, person: Person, args: dict[str, Any] | None = None) -> list[Reply]:
        now = self._now()
        if name == "export_data":
            return [export_data_reply(self.store, person, now=now)]
        if name == "unshare_all":
            return [unshare_all(self.store, person)]
        if name == "share_latest":
            record = latest_record(self.store, person.id)
            if record is None:
                return [_nothing_yet("to share")]
            return [share_record(self.store, person, record, notify=self.notify, now=now)]
        from dialogs.pack import pack_reply

        if (args or {}).get("kind") == "checkin":  # "download my check-in note"
            record = latest_record(self.store, person.id, ("checkin",))
            if record is None and latest_record(self.store, person.id, ("assessment",)):
                return [Reply(title="You haven't done a check-in yet.",
                              blocks=[Block(text="A check-in note comes from “prepare for supervision”. Your "
                                                 "finished self-assessment makes a supervision pack.")],
                              choices=[start_choice("Prepare for supervision", "checkin"),
                                       start_choice("Download supervision pack", "pack_latest")],
                              status="clarify")]
        else:
            record = latest_record(self.store, person.id, ("assessment",)) or latest_record(self.store, person.id)
        if record is None:
            reply = _nothing_yet("to put in a pack")
            reply.blocks.insert(0, Block(text="A supervision pack is made from a finished self-assessment: your "
                                              "strengths and gaps, the evidence the framework asks for, your time "
                                              "in level and the development routes the guide suggests, as a Word "
                                              "document and as text. A check-in makes a one-page note."))
            return [reply]
        return [pack_reply(record, person, self.knowledge)]

    def _start_turn(self, state: dict[str, Any] | None, name: str, flow: Flow, args: dict[str, Any],
                    person: Person) -> Turn:
        ctx = Ctx(self.store, self.knowledge, person, self._now(), self.notify)
        if state is not None:
            old = FLOWS[state["dialog"]]
            if old.keeps_partial:
                if state["status"] == "active" and self._idle(state, ctx.now):
                    state = self._mark_expired(ctx, old, state)
                state.pop("confirm_cancel", None)  # the new question replaces "keep, discard or carry on?"
                state["pending_start"] = {"name": name, "args": args}
                state["step"] += 1
                state["updated_at"] = ctx.now.isoformat()
                return Turn([self._switch_question(ctx, state)], state)
            # A pending yes/no question is simply replaced.
        new = self._new_state(name, person, ctx.now)
        try:
            out = flow.begin(ctx, new, args)
        except NotUnderstood as e:
            return Turn([Reply(title=e.hint, status="clarify",
                               choices=[start_choice("Start a self-assessment", "self_assessment")]
                               if name != "self_assessment" else [])], None, save=False)
        if new.get("done"):
            return Turn(out.replies, None, save=state is not None)
        return Turn(out.replies + [self._question(ctx, flow, new, out.before)], new)

    def _switch_question(self, ctx: Ctx, state: dict[str, Any], before: list[Block] | None = None) -> Reply:
        old = FLOWS[state["dialog"]]
        pending = state["pending_start"]
        new = FLOWS[pending["name"]]
        what = old.describe(state, ctx.today)
        prog = old.progress(state) if state["data"] else None
        if state["status"] != "active":
            title = f"You have {what} paused" + (f" at question {prog}." if prog else ".")
        else:
            title = f"You have {what} open" + (f" (question {prog})." if prog else ".")
        new_what = f"a new {new.noun}" if new.name == old.name else f"the {new.noun}"
        return Reply(
            title=title,
            blocks=(before or []) + [Block(text=f"Would you like to carry on with it, or abandon it and start "
                                                f"{new_what}?", notes=[self._abandon_note(old, state)])],
            choices=[choice(state, "Carry on with it", "continue", "primary"),
                     choice(state, self._start_label(state), "abandon")],
            status="dialog", meta={"dialog": state["dialog"], "dialog_id": state["id"], "step": state["step"],
                                   "phase": "switch"})

    @staticmethod
    def _start_label(state: dict[str, Any]) -> str:
        """The button that abandons the open dialog for the one asked for: "Start the new one" for another of the
        same kind, else what it starts ("Start the request to delete your data")."""
        name = state["pending_start"]["name"]
        return "Start the new one" if name == state["dialog"] else f"Start the {FLOWS[name].noun}"

    @staticmethod
    def _abandon_note(flow: Flow, state: dict[str, Any]) -> str:
        """What abandoning a dialog loses, plainly."""
        n = flow.answered(state)
        if not n:
            return "You haven't answered anything in it yet, so abandoning it loses nothing."
        answers, verb = ("answer", "is") if n == 1 else (f"{n} answers", "are")
        if state.get("record_id"):  # saved at a pause: abandoning marks that record unfinished, for good
            return (f"If you abandon it, your {answers} so far {'stays' if n == 1 else 'stay'} saved as an "
                    f"unfinished {flow.noun}, but you won't be able to carry on with it.")
        return f"If you abandon it, your {answers} so far {verb} thrown away."

    # -- one turn of an open dialog -----------------------------------------------------------------------
    def _turn(self, state: dict[str, Any], msg: Incoming, person: Person) -> Turn:
        now = self._now()
        ctx = Ctx(self.store, self.knowledge, person, now, self.notify)
        flow = FLOWS[state["dialog"]]
        value = msg.value if isinstance(msg.value, dict) else None
        text = msg.text if isinstance(msg.text, str) else ""
        text = text[:MAX_TEXT]

        if state["status"] == "active" and self._idle(state, now):
            if not flow.keeps_partial:
                return Turn(None, None)  # a stale yes/no question: drop it, answer the message normally
            state = self._mark_expired(ctx, flow, state)
            word = self._word_from(state, value, text)
            started = detect_start(text) if value is None and word is None else None
            if started and ALIASES.get(started[0], started[0]) not in INSTANT:
                state["expiry_noted"] = True
                return self._start_within(ctx, flow, state, started, msg, person)
            if word not in ("resume", "cancel"):
                state["expiry_noted"] = True
                return Turn([self._paused_note(ctx, flow, state, text if not value else "", expired=True)], state)

        if state.get("confirm_cancel"):
            return self._confirm_turn(ctx, flow, state, value, text)

        if state["status"] in ("paused", "expired") and not state.get("pending_start"):
            return self._while_paused(ctx, flow, state, value, text)

        # Buttons: only a press for this dialog's current step counts.
        ans: Answer
        pressed = False
        if value is not None and value.get("action") == DIALOG_ACTION:
            pressed = True
            answer = value.get("answer")
            if (value.get("dialog_id") != state["id"] or type(value.get("step")) is not int
                    or value.get("step") != state["step"] or not isinstance(answer, str) or len(answer) > 200):
                return Turn([self._repeat(ctx, flow, state, "That button was for an earlier question, so I haven't "
                                                            "changed anything. Here's where we are:")], state,
                            save=False)
            ans = Answer(text="", value=answer, button=True)
        elif value is not None and not text:
            return Turn([self._repeat(ctx, flow, state, "I couldn't use that. Here's where we are:")], state,
                        save=False)
        else:
            ans = Answer(text=text)

        if state.get("pending_start"):
            return self._switch_turn(ctx, state, ans, pressed)

        if not ans.button:
            if not tidy(text):
                return self._hint(ctx, flow, state, "I didn't get any text there.")
            matched = self._match_choice(ctx, flow, state, text)
            if matched:
                ans.value = matched
        word = ans.value if ans.value in GLOBALS else (None if ans.button or ans.value else global_word(text))
        state["updated_at"] = now.isoformat()
        if word:
            return self._global(ctx, flow, state, word, pressed)
        if not ans.button and not ans.value and len(text.split()) <= 6:
            # "delete my data", "export my data": commands, even where any text would do as an answer
            started = detect_start(text)
            if started and started[0] in ANYWHERE:
                return self._start_within(ctx, flow, state, started, msg, person)
        if not ans.button and not ans.value and flow.free_text(state):
            kept = _KEEP_AS_ANSWER.match(text)
            if kept and re.search(r"\w", text[kept.end():]):  # "note: what's the difference…": the answer, as typed
                ans.text = text[kept.end():]
            else:
                turn = self._free_text(ctx, flow, state, text, msg, person)
                if turn is not None:
                    return turn
        snapshot = copy.deepcopy(state["data"])
        try:
            out = flow.answer(ctx, state, ans)
        except NotUnderstood as e:
            state["data"] = snapshot
            if e.caught:  # understood, but it can't be taken: say why, without "didn't catch that"
                return self._hint(ctx, flow, state, e.hint, caught=True)
            if not ans.button:
                started = detect_start(text)
                if started:
                    return self._start_within(ctx, flow, state, started, msg, person)
                if looks_like_request(text) or DELETE_ONE.search(text):  # "delete my self-assessment": answered
                    return self._aside(ctx, flow, state)
            return self._hint(ctx, flow, state, e.hint)
        return self._applied(ctx, flow, state, out, pressed)

    def _free_text(self, ctx: Ctx, flow: Flow, state: dict[str, Any], text: str, msg: Incoming,
                   person: Person) -> Turn | None:
        """At a step that takes any words (a note, a check-in answer), what is not the answer: a question
        ("what does AMHP stand for?") is answered as one and the step asked again; a message that is exactly a
        dialog command ("assess me", "prepare for supervision") is not saved. None: the text is the answer."""
        s = tidy(text)
        marked = s.endswith("?") and (len(s.split()) >= 3 or looks_like_request(s.rstrip("?")))
        if _STEP_HELP.match(s):  # "can you give me an example", "how do i word this": the step's help, kept nothing
            return self._hint(ctx, flow, state, flow.help_text(ctx, state).strip(), caught=True)
        if _ABOUT_THE_DIALOG.match(s) or (marked or _ASKED.match(s)) and _about_framework(text):
            where = self._where(ctx, flow, state)
            again = ("send it again without the question mark" if marked else
                     "send it again with “note:” in front")
            return Turn(Aside([self._question(ctx, flow, state, [Block(
                title=f"{where} is still open" + self._at(flow, state) + ".",
                text=f"I've answered your question above and haven't kept it as your answer. If it was meant as "
                     f"your answer, {again}.")])], about=_about_level(state)), state, save=False)
        name = dialog_command(text)
        if name is None:
            return None
        started = detect_start(text)  # for its arguments ("self-assessment for SW3C")
        if started is None or ALIASES.get(started[0], started[0]) != name:
            started = (name, {})
        if name == state["dialog"] and not self._other_target(ctx, state, started[1]):
            where = self._where(ctx, flow, state)
            shown, _ = clip(text, 60)
            return Turn([self._question(ctx, flow, state, [Block(
                title=f"{where} is already open" + self._at(flow, state) + ".",
                text=f"So I haven't kept “{shown}” as your answer. Type your answer to this question to carry on "
                     "(answering the rest finishes it), or say “skip” to leave it out, “pause” to carry on later "
                     "or “cancel” to stop.")])], state, save=False)
        return self._start_within(ctx, flow, state, started, msg, person)

    def _other_target(self, ctx: Ctx, state: dict[str, Any], args: dict[str, Any]) -> bool:
        """A self-assessment asked for by level, for a level other than the open one's."""
        asked = args.get("level") if isinstance(args, dict) else None
        if state["dialog"] != "self_assessment" or not asked:
            return False
        from dialogs.self_assessment import parse_target

        return parse_target(ctx.knowledge, str(asked)) != state["data"].get("target")

    @staticmethod
    def _where(ctx: Ctx, flow: Flow, state: dict[str, Any]) -> str:
        what = flow.describe(state, ctx.today)
        return f"Your {what.removeprefix('a ').removeprefix('your ')}"

    @staticmethod
    def _at(flow: Flow, state: dict[str, Any]) -> str:
        prog = flow.progress(state) if state["data"] else None
        return f" (question {prog})" if prog else ""

    def _aside(self, ctx: Ctx, flow: Flow, state: dict[str, Any]) -> Turn:
        """A new question typed instead of an answer ("when am I eligible?" at "Set your level...? Yes/No").
        A quick yes/no question is dropped and the message answered; a longer dialog stays exactly where it
        was (nothing saved), the message is answered, and a line says how to carry on."""
        if not flow.keeps_partial:
            return Turn(None, None)
        what = flow.describe(state, ctx.today)
        prog = flow.progress(state) if state["data"] else None
        reply = Reply(title=f"Your {what.removeprefix('a ').removeprefix('your ')} is still open"
                            + (f" (question {prog})." if prog else "."),
                      blocks=[Block(text="Say “resume” to go back to the question, or “cancel” to stop it.")],
                      choices=[choice(state, "Resume", "resume", "primary"), choice(state, "Cancel it", "cancel")],
                      status="dialog", meta={"dialog": state["dialog"], "dialog_id": state["id"],
                                             "step": state["step"], "phase": "aside"})
        return Turn(Aside([reply], about=_about_level(state)), state, save=False)

    def _applied(self, ctx: Ctx, flow: Flow, state: dict[str, Any], out: Out, pressed: bool) -> Turn:
        state["turns"] = state.get("turns", 0) + 1
        state["step"] += 1
        if state.get("done"):
            replies = list(out.replies)
        else:
            replies = list(out.replies) + [self._question(ctx, flow, state, out.before)]
        if pressed and replies:
            replies[0].replaces_prompt = True
        return Turn(replies, state)

    def _word_from(self, state: dict[str, Any], value: dict[str, Any] | None, text: str) -> str | None:
        if value is not None:
            if value.get("action") == DIALOG_ACTION and value.get("dialog_id") == state["id"]:
                answer = value.get("answer")
                return answer if answer in GLOBALS else None
            return None
        return global_word(text)

    def _match_choice(self, ctx: Ctx, flow: Flow, state: dict[str, Any], text: str) -> str | None:
        """Typed text that is one of the current buttons' labels (console users type them)."""
        try:
            reply = flow.question(ctx, state)
        except Exception:  # noqa: BLE001 - matching labels is a nicety, never a reason to fail
            return None
        vocab: dict[str, tuple[str, ...]] = {}
        for c in reply.choices:
            answer = c.value.get("answer") if c.value.get("action") == DIALOG_ACTION else None
            if isinstance(answer, str):
                vocab.setdefault(answer, ())
                vocab[answer] += (tidy(c.label),)
        return match_phrase(text, vocab) if vocab else None

    def _global(self, ctx: Ctx, flow: Flow, state: dict[str, Any], word: str, pressed: bool) -> Turn:
        if word == "help":
            return Turn([self._question(ctx, flow, state, [Block(title="Help", text=flow.help_text(ctx, state))])],
                        state)
        if word == "resume":
            return Turn([self._question(ctx, flow, state, [Block(text="We're in the middle of it: here's the "
                                                                      "current question.")])], state)
        if word == "back":
            if flow.back(ctx, state):
                state["step"] += 1
                state["turns"] = state.get("turns", 0) + 1
                turn = Turn([self._question(ctx, flow, state, [Block(text="Back one question.")])], state)
            else:
                turn = Turn([self._question(ctx, flow, state, [Block(text="This is the first question, so there's "
                                                                          "nothing to go back to.")])], state)
            if pressed:
                turn.replies[0].replaces_prompt = True
            return turn
        if word in ("skip", "skip_category"):
            out = flow.skip_category(ctx, state) if word == "skip_category" else flow.skip(ctx, state)
            if out is None:
                return self._hint(ctx, flow, state, "This one can't be skipped. Choose an answer, or say cancel.",
                                  caught=True)
            return self._applied(ctx, flow, state, out, pressed)
        if word == "pause" and flow.can_pause:
            return self._pause(ctx, flow, state, pressed)
        # cancel (or pause of a quick yes/no question)
        return self._cancel(ctx, flow, state, pressed)

    def _pause(self, ctx: Ctx, flow: Flow, state: dict[str, Any], pressed: bool) -> Turn:
        flow.save_partial(ctx, state, "expired" if state["status"] == "expired" else "paused")
        if state["status"] == "active":
            state["status"] = "paused"
            state["paused_at"] = ctx.now.isoformat()
        state["expiry_noted"] = True
        state["step"] += 1
        reply = self._paused_note(ctx, flow, state, "", expired=False)
        reply.replaces_prompt = pressed
        return Turn([reply], state)

    def _cancel(self, ctx: Ctx, flow: Flow, state: dict[str, Any], pressed: bool, *,
                confirmed: bool = False) -> Turn:
        """Stop the dialog. With answers given, ask first: keep them and pause, discard them, or carry on."""
        n = flow.answered(state) if flow.keeps_partial else 0
        if n and not confirmed:
            state["confirm_cancel"] = True
            state["step"] += 1
            reply = self._cancel_question(ctx, flow, state)
            reply.replaces_prompt = pressed
            return Turn([reply], state)
        if confirmed:
            flow.discard(ctx, state)
        elif state.get("record_id"):
            flow.save_partial(ctx, state, "cancelled")
        what = flow.describe(state, ctx.today)
        args = {"level": state["data"].get("target")} if state["dialog"] == "self_assessment" and \
            state["data"].get("target") else {}
        choices: list[Choice] = []
        if flow.keeps_partial:
            choices.append(start_choice("Start again", state["dialog"], args))
        gone = f" and discarded your {plural(n, 'answer')}" if confirmed and n else ""
        reply = Reply(title=f"OK, I've stopped {what}{gone}.",
                      blocks=[Block(text=("Nothing was shared. " if flow.keeps_partial else "")  # records only
                                    + "Ask me anything, or start again whenever you like.")],
                      choices=choices, replaces_prompt=pressed)
        return Turn([reply], None)

    def _cancel_question(self, ctx: Ctx, flow: Flow, state: dict[str, Any],
                         before: list[Block] | None = None) -> Reply:
        n = flow.answered(state)
        what = flow.describe(state, ctx.today)
        paused = state["status"] != "active"
        keep = "Keep my answers" if paused else "Keep my answers and pause"
        text = (f"Would you like to keep {'them' if n > 1 else 'it'} (say “resume” any time to carry on), discard "
                f"{'them' if n > 1 else 'it'}, or carry on now?")
        return Reply(
            title=f"Before I stop {what}: you've given {plural(n, 'answer')} so far.",
            blocks=(before or []) + [Block(text=text, notes=["Discarded answers can't be brought back."])],
            choices=[choice(state, keep, "keep", "primary"), choice(state, "Discard my answers", "discard"),
                     choice(state, "Carry on", "carry_on")],
            status="dialog", meta={"dialog": state["dialog"], "dialog_id": state["id"], "step": state["step"],
                                   "phase": "confirm_cancel"})

    def _confirm_turn(self, ctx: Ctx, flow: Flow, state: dict[str, Any], value: dict[str, Any] | None,
                      text: str) -> Turn:
        """The answer to "keep your answers and pause, discard them, or carry on?"."""
        pressed = value is not None
        said: str | None = None
        if value is not None:
            answer = value.get("answer") if value.get("action") == DIALOG_ACTION else None
            if (value.get("dialog_id") != state["id"] or value.get("step") != state["step"]
                    or type(value.get("step")) is not int or answer not in ("keep", "discard", "carry_on")):
                return Turn([self._cancel_question(ctx, flow, state, [Block(
                    text="That button was for an earlier question, so I haven't changed anything.")])], state,
                    save=False)
            said = answer
        elif tidy(text):
            if tidy(text) in DISCARD_WORDS:
                said = "discard"
            else:
                said = match_phrase(text, CANCEL_WORDS)
                word = global_word(text) if said is None else None
                if word in ("pause",):
                    said = "keep"
                elif word in ("resume", "back"):
                    said = "carry_on"
                elif word == "help":
                    return Turn([self._cancel_question(ctx, flow, state, [Block(title="Help", text=(
                        "“Keep my answers” saves what you've answered so you can carry on later. “Discard my answers” "
                        "throws them away. “Carry on” goes back to the question you were on."))])], state,
                        save=False)
            if said is None:
                said = _yes_or_no_then(text)
            if said is None and looks_like_request(text):
                return Turn(Aside([self._cancel_question(ctx, flow, state)]), state, save=False)
        if said is None:
            return Turn([self._cancel_question(ctx, flow, state, [Block(
                text="Choose “Keep my answers”, “Discard my answers” or “Carry on”.")])], state, save=False)
        state.pop("confirm_cancel", None)
        state["updated_at"] = ctx.now.isoformat()
        if said == "discard":
            return self._cancel(ctx, flow, state, pressed, confirmed=True)
        if said == "keep":
            return self._pause(ctx, flow, state, pressed)
        state["status"] = "active"
        state["expiry_noted"] = False
        state["step"] += 1
        reply = self._question(ctx, flow, state, [Block(text="OK, carrying on where you were.")])
        reply.replaces_prompt = pressed
        return Turn([reply], state)

    def _start_within(self, ctx: Ctx, flow: Flow, state: dict[str, Any], started: tuple[str, dict[str, Any]],
                      msg: Incoming, person: Person) -> Turn:
        name, args = started
        name = ALIASES.get(name, name)
        state.pop("confirm_cancel", None)
        if name in INSTANT:
            replies = self._instant(name, person, args)
            return Turn(replies + [self._question(ctx, flow, state, [Block(text="Back to where we were:")])],
                        state, save=False)
        if name == state["dialog"] and not flow.keeps_partial:
            # "delete my data" again while its question is open: that question, not "carry on or start anew?"
            return Turn([self._question(ctx, flow, state, [Block(text="This is already open:")])], state,
                        save=False)
        state["pending_start"] = {"name": name, "args": args}
        state["step"] += 1
        return Turn([self._switch_question(ctx, state)], state)

    def _switch_turn(self, ctx: Ctx, state: dict[str, Any], ans: Answer, pressed: bool) -> Turn:
        said = ans.value if ans.value in ("continue", "abandon") else None
        start = self._start_label(state)
        if said is None and ans.text:
            said = ("abandon" if tidy(ans.text) == tidy(start) else match_phrase(ans.text, SWITCH_WORDS)
                    or ("continue" if _KEEP_OLD.match(ans.text) else None))
            word = global_word(ans.text) if said is None else None
            if word in ("back", "cancel", "resume"):
                said = "continue"
            elif word == "pause" and FLOWS[state["dialog"]].can_pause:  # "pause": the open one, paused
                state["pending_start"] = None
                return self._pause(ctx, FLOWS[state["dialog"]], state, pressed)
            elif word == "help":
                return Turn([self._switch_question(ctx, state, [Block(title="Help", text=(
                    f"“Carry on with it” goes back to where you were. “{start}” abandons it and starts "
                    "afresh."))])], state)
        if said is None and ans.text:
            started = detect_start(ans.text)
            if started and ALIASES.get(started[0], started[0]) == state["pending_start"]["name"]:
                said = "abandon"  # asked for the new one again: that is the answer
            elif looks_like_request(ans.text) and not started:
                # A question instead of an answer: answered, then the choice is asked again.
                return Turn(Aside([self._switch_question(ctx, state)]), state, save=False)
        if said is None:
            return Turn([self._switch_question(ctx, state, [Block(text="Sorry, I didn't catch that. Choose “Carry "
                                                                      f"on with it” or “{start}”.")])],
                        state, save=False)
        old = FLOWS[state["dialog"]]
        pending = state.pop("pending_start")
        state["pending_start"] = None
        state["step"] += 1
        state["updated_at"] = ctx.now.isoformat()
        if said == "continue":
            if state["status"] != "active":
                state["status"] = "active"
            reply = self._question(ctx, old, state, [Block(text="OK, carrying on where you left off.")])
            reply.replaces_prompt = pressed
            return Turn([reply], state)
        if state.get("record_id"):
            old.save_partial(ctx, state, "cancelled")
        flow = FLOWS[pending["name"]]
        new = self._new_state(pending["name"], ctx.person, ctx.now)
        new["step"] = state["step"] + 1  # old buttons can never match the new dialog's steps
        try:
            out = flow.begin(ctx, new, pending.get("args") or {})
        except NotUnderstood as e:
            return Turn([Reply(title=e.hint, status="clarify")], None)
        if new.get("done"):
            return Turn(out.replies, None)
        replies = out.replies + [self._question(ctx, flow, new, out.before)]
        if pressed:
            replies[0].replaces_prompt = True
        return Turn(replies, new)

    # -- pausing and expiry --------------------------------------------------------------------------------
    def _mark_expired(self, ctx: Ctx, flow: Flow, state: dict[str, Any]) -> dict[str, Any]:
        if not flow.keeps_partial:
            return None  # type: ignore[return-value]
        flow.save_partial(ctx, state, "expired")
        state.pop("confirm_cancel", None)  # a week-old "keep or discard?" is not asked again; the answers are kept
        state["status"] = "expired"
        state["expired_at"] = ctx.now.isoformat()
        state["expiry_noted"] = False
        state["step"] += 1
        return state

    def _paused_note(self, ctx: Ctx, flow: Flow, state: dict[str, Any], text: str, *, expired: bool) -> Reply:
        what = flow.describe(state, ctx.today)
        what = what[:1].upper() + what[1:]
        prog = flow.progress(state)
        where = f" You were at question {prog}." if prog else ""
        if expired:
            title = f"{what} was paused for over {self.expiry_days} days; your answers are kept."
        else:
            title = f"Paused. {what[:1].upper() + what[1:]} is saved, with your answers so far."
        choices = [choice(state, "Resume", "resume", "primary"), choice(state, "Cancel it", "cancel")]
        tidy_text = tidy(text)
        if tidy_text and not global_word(text) and not any(tidy_text in p for p in GLOBAL_WORDS["resume"]):
            choices.append(Choice("Answer my question instead", {"action": "ask", "question": clip(text, 500)[0]}))
        return Reply(title=title,
                     blocks=[Block(text=f"Say “resume” to carry on, or “cancel”.{where} Meanwhile, ask me anything.")],
                     choices=choices, status="dialog",
                     meta={"dialog": state["dialog"], "dialog_id": state["id"], "step": state["step"],
                           "phase": state["status"]})

    def _while_paused(self, ctx: Ctx, flow: Flow, state: dict[str, Any], value: dict[str, Any] | None,
                      text: str) -> Turn:
        word = self._word_from(state, value, text)
        if word == "resume":
            state["status"] = "active"
            state["step"] += 1
            state["updated_at"] = ctx.now.isoformat()
            state["expiry_noted"] = False
            reply = self._question(ctx, flow, state, [Block(text="Welcome back: picking up where you left off.")])
            reply.replaces_prompt = value is not None
            return Turn([reply], state)
        if word == "cancel":
            return self._cancel(ctx, flow, state, value is not None)
        if value is not None and value.get("action") == DIALOG_ACTION and value.get("dialog_id") == state["id"]:
            return Turn([self._paused_note(ctx, flow, state, "", expired=state["status"] == "expired")], state,
                        save=False)
        if state["status"] == "expired" and not state.get("expiry_noted"):
            state["expiry_noted"] = True
            return Turn([self._paused_note(ctx, flow, state, text, expired=True)], state)
        return Turn(None, state, save=False)  # not for the dialog: the router answers it

    # -- replies --------------------------------------------------------------------------------------------
    def _question(self, ctx: Ctx, flow: Flow, state: dict[str, Any], before: list[Block] | None = None) -> Reply:
        reply = flow.question(ctx, state)
        if before:
            reply.blocks[:0] = before
        reply.status = "dialog"
        reply.meta.setdefault("dialog", state["dialog"])
        reply.meta.setdefault("dialog_id", state["id"])
        reply.meta["step"] = state["step"]
        return reply

    def _repeat(self, ctx: Ctx, flow: Flow, state: dict[str, Any], text: str) -> Reply:
        if state.get("pending_start"):
            return self._switch_question(ctx, state, [Block(text=text)])
        return self._question(ctx, flow, state, [Block(text=text)])

    def _hint(self, ctx: Ctx, flow: Flow, state: dict[str, Any], hint: str, *, caught: bool = False) -> Turn:
        said = hint if caught else f"Sorry, I didn't catch that. {hint}"
        return Turn([self._question(ctx, flow, state, [Block(text=said.strip())])], state)


def _in_private_only(name: str) -> Reply:
    what = {"self_assessment": "A self-assessment", "checkin": "A supervision check-in",
            "set_level": "Recording your level"}.get(name, "Your data")
    return Reply(title=f"{what} is for a private chat with me, not a channel.",
                 blocks=[Block(text="Everyone in this channel would see your answers. Send me a direct message (in "
                                    "Slack, a DM; in Teams, a one-to-one chat with careerbot) and say the same "
                                    "there.")],
                 status="clarify")


def _nothing_yet(what: str) -> Reply:
    return Reply(title=f"You don't have a finished self-assessment or check-in {what} yet.",
                 blocks=[Block(text="Say “assess me” to start a self-assessment, or “check-in” to prepare for "
                                    "supervision.")],
                 choices=[start_choice("Start a self-assessment", "self_assessment"),
                          start_choice("Prepare for supervision", "checkin")],
                 status="clarify")
