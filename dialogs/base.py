"""What every guided dialog shares: the turn context, the flow interface, buttons and record helpers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.conversation import Block, Choice, Reply
from bot.knowledge.model import Knowledge
from bot.storage.base import Person, Store

log = logging.getLogger(__name__)

DIALOG_ACTION = "dialog"  # {"action": "dialog", "dialog_id", "step", "answer"}
RECORD_ACTION = "dialog_record"  # {"action": "dialog_record", "op", "record_id"[, "person_id"]}
START_ACTION = "dialog_start"  # {"action": "dialog_start", "name", "args"}


class NotUnderstood(Exception):
    """The input does not answer the current question; the hint is shown above the question again.

    caught: the input was understood but cannot be taken ("25 November 2026 has already passed", "let me think
    about it"), so the hint is shown without "Sorry, I didn't catch that".
    """

    def __init__(self, hint: str, *, caught: bool = False) -> None:
        super().__init__(hint)
        self.hint = hint
        self.caught = caught


@dataclass
class Answer:
    """One input to a dialog step: a button's answer, or typed text (value set when it matched a button label)."""

    text: str = ""
    value: str | None = None
    button: bool = False


@dataclass
class Out:
    """What a step says: blocks shown above the next question, or whole replies when the dialog ends."""

    before: list[Block] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass
class Ctx:
    store: Store
    knowledge: Knowledge
    person: Person
    now: datetime
    notify: Callable[[Person, Reply], Any] | None = None

    @property
    def today(self) -> date:
        return local_today(self.now, self.person)


def local_today(now: datetime, person: Person | None) -> date:
    try:
        tz = ZoneInfo(person.timezone) if person and person.timezone else None
    except (KeyError, ValueError):  # an unknown zone name must not cost an answer
        tz = None
    if tz is None or now.tzinfo is None:
        return now.date()
    return now.astimezone(tz).date()


def choice(state: dict[str, Any], label: str, answer: str, style: str | None = None) -> Choice:
    """A button for the current step of a dialog."""
    return Choice(label=label, value={"action": DIALOG_ACTION, "dialog_id": state["id"], "step": state["step"],
                                      "answer": answer}, style=style)


def record_choice(label: str, op: str, record_id: str, *, person_id: str | None = None,
                  style: str | None = None) -> Choice:
    value: dict[str, Any] = {"action": RECORD_ACTION, "op": op, "record_id": record_id}
    if person_id:
        value["person_id"] = person_id
    return Choice(label=label, value=value, style=style)


def start_choice(label: str, name: str, args: dict[str, Any] | None = None, style: str | None = None) -> Choice:
    return Choice(label=label, value={"action": START_ACTION, "name": name, "args": dict(args or {})}, style=style)


class Flow:
    """One kind of guided dialog. State lives in state["data"]; methods mutate it in place.

    The engine handles global words, stale buttons, pausing, expiry and saving; a flow only knows its steps.
    """

    name = "flow"
    noun = "conversation"  # "self-assessment", used in "Your self-assessment for SW3B ..."
    keeps_partial = False  # save what was answered as a record on pause/expiry
    can_pause = True

    def begin(self, ctx: Ctx, state: dict[str, Any], args: dict[str, Any]) -> Out:
        raise NotImplementedError

    def question(self, ctx: Ctx, state: dict[str, Any]) -> Reply:
        raise NotImplementedError

    def answer(self, ctx: Ctx, state: dict[str, Any], ans: Answer) -> Out:
        raise NotImplementedError

    def back(self, ctx: Ctx, state: dict[str, Any]) -> bool:
        """Step back one question; False when already at the first."""
        return False

    def skip(self, ctx: Ctx, state: dict[str, Any]) -> Out | None:
        """Skip the current question; None when it cannot be skipped."""
        return None

    def skip_category(self, ctx: Ctx, state: dict[str, Any]) -> Out | None:
        return self.skip(ctx, state)

    def help_text(self, ctx: Ctx, state: dict[str, Any]) -> str:
        return "Choose one of the options, or type your answer."

    def free_text(self, state: dict[str, Any]) -> bool:
        """True at a step that takes any words as its answer (an evidence note, a check-in answer)."""
        return False

    def answered(self, state: dict[str, Any]) -> int:
        """How many answers have been given so far (cancelling asks first when there are any)."""
        return 0

    def discard(self, ctx: Ctx, state: dict[str, Any]) -> None:
        """Throw the answers away: a draft kept at an earlier pause is deleted."""

    def describe(self, state: dict[str, Any], today: date) -> str:
        return f"your {self.noun}"

    def progress(self, state: dict[str, Any]) -> str | None:
        return None

    def save_partial(self, ctx: Ctx, state: dict[str, Any], status: str) -> str | None:
        """Keep what was answered as a record (status paused/expired/cancelled); return its id."""
        return None


# -- records ------------------------------------------------------------------------------------------

def find_record(store: Store, person_id: str, record_id: str, kind: str | None = None) -> dict[str, Any] | None:
    if not isinstance(record_id, str) or not record_id:
        return None
    for rec in store.list_records(person_id, kind):
        if rec["id"] == record_id:
            return rec
    return None


def upsert_record(store: Store, state: dict[str, Any], person_id: str, kind: str, data: dict[str, Any]) -> str:
    """Write the dialog's record, once: the same dialog always updates the same record (retries are safe)."""
    data = dict(data, dialog_id=state["id"])
    rid = state.get("record_id")
    if not rid:
        for rec in store.list_records(person_id, kind):
            if rec["data"].get("dialog_id") == state["id"]:
                rid = rec["id"]
                break
    if rid:
        try:
            store.update_record(rid, data=data)
            state["record_id"] = rid
            return rid
        except KeyError:
            log.info("record %s vanished; writing a new one", rid)
    rid = store.add_record(person_id, kind, data, shared=False)
    state["record_id"] = rid
    return rid


def drop_draft(store: Store, person_id: str, state: dict[str, Any], kind: str) -> None:
    """Delete the record a paused dialog kept, when the person discards their answers. A record that was
    completed or shared is not a draft, and stays."""
    rid = state.pop("record_id", None)
    rec = find_record(store, person_id, rid, kind) if rid else None
    if rec is None or rec["shared"] or (rec.get("data") or {}).get("status") == "complete":
        return
    store.delete_record(rid)


def completed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if (r.get("data") or {}).get("status", "complete") == "complete"]
