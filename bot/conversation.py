"""Neutral conversation types: what a channel hands the core, and what the core hands back to render."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_TEXT = 4000  # longer incoming text is cut (with a note) before any processing


# Line and page breaks pasted from Word (Shift+Enter is a vertical tab) become new lines; other control characters
# (NUL, escape, the C1 range) are dropped: nothing downstream (a Word document, a terminal) has to meet them.
_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Typed text without control characters (tabs and new lines stay; a carriage return is a new line)."""
    if text.isprintable():
        return text
    return _CONTROLS.sub("", _BREAKS.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n")))


@dataclass(frozen=True)
class Incoming:
    """One message or button press from a person, whatever the platform. Its text is cleaned of control
    characters on the way in."""

    channel: str  # "slack" | "teams" | "console" | "test"
    user_id: str  # the platform's user id (Slack U..., Teams aad/29: id, console name)
    conversation_id: str  # where to reply (DM, channel+thread, Teams conversation)
    text: str = ""
    value: dict[str, Any] | None = None  # a button/card submission: {"action": ..., ...}
    display_name: str = ""
    event_id: str | None = None  # platform id for de-duplication of replays
    is_direct: bool = True  # DM/personal chat vs. a mention in a team channel
    timezone: str | None = None  # the platform's idea of the person's time zone, if it has one

    def __post_init__(self) -> None:
        if isinstance(self.text, str) and not self.text.isprintable():
            object.__setattr__(self, "text", clean_text(self.text))

    @property
    def conversation_key(self) -> str:
        """Dialog state is kept per person per conversation."""
        return f"{self.channel}:{self.conversation_id}:{self.user_id}"


@dataclass(frozen=True)
class Choice:
    """A button: label to show, value sent back in Incoming.value when pressed."""

    label: str
    value: dict[str, Any]
    style: str | None = None  # "primary" | "danger" | None


@dataclass
class Block:
    """A titled group of bullet points (e.g. 'Knowledge'); notes are shown under it."""

    title: str | None = None
    bullets: list[str] = field(default_factory=list)
    text: str | None = None  # a paragraph instead of (or before) bullets
    notes: list[str] = field(default_factory=list)


@dataclass
class Reply:
    """What the core says back. Channels render this as Block Kit, Adaptive Cards or plain text."""

    title: str | None = None
    blocks: list[Block] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # citations, shown small at the end
    notes: list[str] = field(default_factory=list)  # source notes (typos, contradictions, gaps)
    footer: str | None = None
    status: str = "answered"  # "answered" | "clarify" | "not_in_framework" | "dialog" | "error"
    attachments: list[Attachment] = field(default_factory=list)
    replaces_prompt: bool = False  # the reply answers a button: channels update the prompt message
    meta: dict[str, Any] = field(default_factory=dict)  # role, level, topic... for --json and tests

    def copy(self) -> Reply:
        """A copy whose lists can be changed without touching this one (cheaper than deepcopy)."""
        return Reply(
            title=self.title,
            blocks=[Block(b.title, list(b.bullets), b.text, list(b.notes)) for b in self.blocks],
            choices=list(self.choices), sources=list(self.sources), notes=list(self.notes), footer=self.footer,
            status=self.status, attachments=list(self.attachments), replaces_prompt=self.replaces_prompt,
            meta=dict(self.meta),
        )

    def plain_text(self) -> str:
        """The whole reply as plain text, exactly as a user reading a terminal would see it."""
        lines: list[str] = []
        if self.title:
            lines += [self.title, ""]
        for block in self.blocks:
            if block.title:
                lines.append(block.title)
            if block.text:
                lines.append(block.text)
            lines += [f"  • {b}" for b in block.bullets]
            lines += [f"  Note: {n}" for n in block.notes]
            lines.append("")
        if self.notes:
            lines.append("Notes on the source")
            lines += [f"  • {n}" for n in self.notes]
            lines.append("")
        if self.choices:
            lines.append("Options: " + " | ".join(c.label for c in self.choices))
            lines.append("")
        if self.sources:
            lines.append("Source" + ("s" if len(self.sources) > 1 else "") + ":")
            lines += [f"  {s}" for s in self.sources]
            lines.append("")
        if self.footer:
            lines.append(self.footer)
        return "\n".join(lines).strip() + "\n"


class Attachment:
    """A file sent with a reply (a supervision pack, a data export).

    The content may be given as a function that makes the bytes: it runs once, when a channel first asks
    for ``data``. A Word document takes a fifth of a second to build, so a turn can return at once and a
    channel on an event loop builds the file in a worker thread (:meth:`ready` says whether it still must).
    """

    __slots__ = ("filename", "content_type", "_content", "source")

    def __init__(self, filename: str, content_type: str, content: bytes | Callable[[], bytes], *,
                 source: dict[str, Any] | None = None) -> None:
        self.filename = filename
        self.content_type = content_type
        self._content = content
        # How the core can make this file again for the person (Router.file_again), for channels that hand
        # it over in a later request (Teams: after the person allows the upload). Plain JSON data.
        self.source = source

    @property
    def data(self) -> bytes:
        if callable(self._content):
            self._content = self._content()
        return self._content

    def ready(self) -> bool:
        return not callable(self._content)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Attachment):
            return NotImplemented
        return (self.filename, self.content_type, self.data) == (other.filename, other.content_type, other.data)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        size = f"{len(self._content)} bytes" if self.ready() else "not built yet"  # type: ignore[arg-type]
        return f"Attachment({self.filename!r}, {self.content_type!r}, {size})"


@dataclass
class HomeSummary:
    """A person's career at a glance (a Slack App Home, a welcome card): plain text, for a channel to render."""

    name: str | None = None
    level: str | None = None  # "SW2B (Practising)"; None when not recorded
    since_text: str | None = None  # "1 March 2025"
    milestone: list[str] = field(default_factory=list)  # the next step and the source's notes
    evidence_for: str | None = None  # the next level's code
    evidence: list[str] = field(default_factory=list)  # what the framework asks as evidence for it
    last_assessment: str | None = None  # one line about the latest self-assessment
    next_level: str | None = None  # for a "Start a self-assessment" button
    reminders: str | None = None  # "on", "snoozed until …", "off"
    problems: list[str] = field(default_factory=list)


class DeliveryError(Exception):
    """A channel could not deliver a message. retryable=False means the person cannot be reached."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Notifier(Protocol):
    """A channel's way to send a proactive message (reminders, digests, shared summaries)."""

    name: str

    def can_reach(self, person: Any) -> bool: ...

    def send(self, person: Any, reply: Reply) -> None:
        """Deliver or raise DeliveryError."""

    # Optional: ``delivered(person, key) -> bool | None``, whether a reminder (reply.meta["reminder_key"]) is
    # already with the person (None: cannot tell). The reminder service asks it before a retry.


class Aside(list):
    """What a dialog returns for a message that was not an answer to its question (a new question typed in
    the middle of it): the router answers the message as usual, then adds these replies (where the dialog
    stands, and how to carry on). ``about``: the level the dialog is about ("SW3A"), for a question that names
    none ("what counts as evidence for this?")."""

    about: str | None = None

    def __init__(self, replies=(), about: str | None = None) -> None:
        super().__init__(replies)
        self.about = about
