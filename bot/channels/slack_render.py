"""Rendering careerbot's neutral Reply as Slack Block Kit, within Slack's limits, with every text escaped.

Pure functions, no I/O: the Slack channel (slack.py) and the Slack notifier both use them.

Limits honoured (https://api.slack.com/reference/block-kit):
- at most 50 blocks per message (long replies are split over several messages, buttons on the last);
- header text at most 150 characters, section text at most 3,000, context elements at most 10 per block,
  at most 25 elements per actions block, button text at most 75 characters, button value at most 2,000;
- the top-level ``text`` (notifications, screen readers, clients without blocks) at most 40,000 characters.

Escaping: Slack reads ``&``, ``<`` and ``>`` as control characters (``<!channel>``, ``<@U123>``,
``<http://x|y>``). Every text we send, the person's own words included, goes through :func:`esc`, so a
question that contains ``<!channel>`` is shown as typed and never pings anyone.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from bot.conversation import Block, Choice, HomeSummary, Reply

log = logging.getLogger(__name__)

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_CONTEXT_ELEMENT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK = 40000
# A readable fallback: notifications show only the start, and 40,000 characters is the hard limit.
FALLBACK_SOFT = 3000

ACTION_PREFIX = "career:"
CHOICE_ACTION = "career:choice"  # + ":<n>" so action ids are unique within a message
SET_LEVEL_ACTION = "career:set_level"  # opens the modal
SET_LEVEL_VIEW = "career_set_level"  # the modal's callback id
ACTIONS_BLOCK_PREFIX = "careeract-"

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")
_SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")


def esc(text: Any) -> str:
    """Escape text for Slack: & < > become &amp; &lt; &gt; (nothing else: quotes stay readable)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unesc(text: str) -> str:
    """Slack's escaping undone (incoming message text arrives with &amp; &lt; &gt;)."""
    return _SLACK_ENTITY.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], text or "")


def cut(escaped: str, limit: int, ellipsis: str = "…") -> str:
    """Shorten already-escaped text to at most limit characters without breaking an entity."""
    if len(escaped) <= limit:
        return escaped
    out = escaped[: max(limit - len(ellipsis), 0)]
    out = _PARTIAL_ENTITY.sub("", out)
    return out.rstrip() + ellipsis


def split_text(escaped: str, limit: int = MAX_SECTION) -> list[str]:
    """Split already-escaped text into pieces of at most limit characters, at line breaks where possible,
    then at spaces, never inside an entity."""
    pieces: list[str] = []
    rest = escaped
    while len(rest) > limit:
        at = rest.rfind("\n", 0, limit + 1)
        if at < limit // 2:
            at = rest.rfind(" ", 0, limit + 1)
        if at < limit // 4:
            at = limit
            m = _PARTIAL_ENTITY.search(rest[:at])
            if m:
                at = m.start()
        pieces.append(rest[:at].rstrip())
        rest = rest[at:].lstrip("\n ")
    if rest.strip() or not pieces:
        pieces.append(rest)
    return [p for p in pieces if p.strip()] or [""]


# -- building blocks ---------------------------------------------------------------------------------------

def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(esc(text), MAX_HEADER), "emoji": True}}


def sections(escaped_mrkdwn: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}}
            for piece in split_text(escaped_mrkdwn, MAX_SECTION) if piece.strip()]


def contexts(escaped_items: list[str]) -> list[dict[str, Any]]:
    """Context blocks for small print: one element per item, at most 10 elements per block."""
    elements = []
    for item in escaped_items:
        elements += [{"type": "mrkdwn", "text": piece} for piece in split_text(item, MAX_CONTEXT_ELEMENT)
                     if piece.strip()]
    return [{"type": "context", "elements": elements[i:i + MAX_CONTEXT_ELEMENTS]}
            for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS)]


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {"type": "button", "action_id": action_id,
                         "text": {"type": "plain_text", "text": cut(esc(label), MAX_BUTTON_TEXT), "emoji": True},
                         "value": value}
    if style in ("primary", "danger"):
        b["style"] = style
    return b


# Made once: json.dumps with options other than the defaults builds a new encoder on every call.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_choice(choice: Choice, owner: str | None) -> str | None:
    """A button value: the core's value dict plus the person the buttons belong to, as JSON (≤ 2,000 chars)."""
    payload: dict[str, Any] = {"v": choice.value}
    if owner:
        payload["u"] = owner
    raw = _COMPACT.encode(payload)
    # JSON escapes for & < >: the same value, and no Slack control characters anywhere in the payload.
    raw = raw.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    if len(raw) > MAX_BUTTON_VALUE:
        log.warning("button %r dropped: its value is %d characters (Slack allows %d)", choice.label, len(raw),
                    MAX_BUTTON_VALUE)
        return None
    return raw


def decode_choice(raw: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """(value dict, owner) from a button value; (None, None) when it is not one of ours."""
    try:
        data = json.loads(raw or "")
    except (TypeError, ValueError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    value = data.get("v")
    owner = data.get("u")
    if not isinstance(value, dict):
        return None, None
    return value, owner if isinstance(owner, str) else None


def choice_blocks(choices: list[Choice], owner: str | None, *, block_id: str | None = None) -> list[dict[str, Any]]:
    """Actions blocks for the choices: at most 25 buttons per block, each with a unique action id."""
    buttons = []
    for n, choice in enumerate(choices):
        value = encode_choice(choice, owner)
        if value is not None:
            buttons.append(button(choice.label, f"{CHOICE_ACTION}:{n}", value, choice.style))
    block_id = block_id or new_actions_block_id()
    out = []
    for i in range(0, len(buttons), MAX_ACTIONS):
        out.append({"type": "actions", "block_id": f"{block_id}-{i // MAX_ACTIONS}",
                    "elements": buttons[i:i + MAX_ACTIONS]})
    return out


_PROCESS_TAG = secrets.token_hex(4)  # block ids differ between processes (replicas, restarts)
_block_ids = itertools.count(1)


def new_actions_block_id() -> str:
    """Every rendered set of buttons gets its own block id, so a click can be recognised as answered.
    (A counter, not uuid4: os.urandom costs far more than the rest of the rendering on some hosts.)"""
    return f"{ACTIONS_BLOCK_PREFIX}{_PROCESS_TAG}{next(_block_ids):x}"


# -- a Reply as messages -------------------------------------------------------------------------------------

@dataclass
class _Piece:
    blocks: list[dict[str, Any]]
    plain: str  # the same content as plain text, for the fallback
    keep_with_next: bool = False


class _Rendered:
    """A rendered reply without its buttons, as kept by the render cache, with its JSON made once."""

    __slots__ = ("blocks", "text", "_json")

    def __init__(self, blocks: list[dict[str, Any]], text: str) -> None:
        self.blocks = blocks
        self.text = text
        self._json: str | None = None

    def json(self) -> str:
        """'"text": ..., "blocks": [<these blocks>' (no closing bracket: the buttons may follow)."""
        if self._json is None:
            self._json = f'"text": {json.dumps(self.text)}, "blocks": [' + ", ".join(map(json.dumps, self.blocks))
        return self._json


@dataclass
class Message:
    """One Slack message: the ``text`` fallback and its blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    cached: _Rendered | None = field(default=None, repr=False, compare=False)  # its first blocks, pre-encoded

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}

    def to_json(self, **fields: Any) -> str:
        """``json.dumps({**fields, "text": ..., "blocks": ...})``, for a slash command's acknowledgement; the
        blocks kept by the render cache are encoded once, not for every answer."""
        r = self.cached
        n = len(r.blocks) if r is not None else 0
        if r is None or r.text != self.text or self.blocks[:n] != r.blocks:
            return json.dumps({**fields, "text": self.text, "blocks": self.blocks})
        head = json.dumps(fields)[:-1] + ", " if fields else "{"
        rest = ", ".join(map(json.dumps, self.blocks[n:]))
        return head + r.json() + (", " if n and rest else "") + rest + "]}"


def _block_pieces(block: Block) -> list[_Piece]:
    lines: list[str] = []
    plain: list[str] = []
    if block.title and block.title.strip():
        lines.append(f"*{esc(block.title.strip())}*")
        plain.append(block.title)
    if block.text and block.text.strip():
        lines.append(esc(block.text))
        plain.append(block.text)
    for bullet in block.bullets:
        if bullet.strip():
            lines.append(f"• {esc(bullet)}")
            plain.append(f"  • {bullet}")
    pieces: list[_Piece] = []
    if lines:
        pieces.append(_Piece(sections("\n".join(lines)), "\n".join(plain)))
    notes = [n for n in block.notes if n.strip()]
    if notes:
        pieces.append(_Piece(contexts([f"_Note:_ {esc(n)}" for n in notes]),
                             "\n".join(f"  Note: {n}" for n in notes)))
    return [p for p in pieces if p.blocks]


RENDER_CACHE_SIZE = 1024  # rendered answers kept (a few KB each): people ask the same questions again


class _RenderCache:
    """Recently rendered replies, by their content, without their buttons: the answer engine hands out the
    same answers again and again, and rendering one costs more than the rest of a turn. Buttons are made
    afresh every time (each set has its own block id, and the values name the person they belong to).

    The cached block dicts are shared between messages: nothing may change them (nothing does; after a
    click, answered_blocks builds a new list)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple, _Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> _Rendered | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: tuple, value: _Rendered) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_rendered = _RenderCache(RENDER_CACHE_SIZE)


def _content_key(reply: Reply, max_blocks: int) -> tuple:
    """Everything the rendering depends on, except the buttons' values (str hashes are cached, so this is
    cheap for the answer engine's replies, whose strings are shared)."""
    return (reply.title, reply.footer, max_blocks, tuple(reply.notes), tuple(reply.sources),
            tuple(c.label for c in reply.choices),
            tuple((b.title, b.text, tuple(b.bullets), tuple(b.notes)) for b in reply.blocks))


def render_reply(reply: Reply, *, owner: str | None = None, max_blocks: int = MAX_BLOCKS,
                 block_id: str | None = None) -> list[Message]:
    """The reply as one or more Slack messages (more only when it needs more than max_blocks blocks).

    owner: the Slack user the buttons belong to (others pressing them are told so).
    A reply that fits one message is rendered once and kept (see _RenderCache); its buttons are new each time.
    """
    key = _content_key(reply, max_blocks)
    hit = _rendered.get(key)
    if hit is not None:
        actions = choice_blocks(reply.choices, owner, block_id=block_id) if reply.choices else []
        if len(hit.blocks) + len(actions) <= max_blocks:
            return [Message(text=hit.text, blocks=hit.blocks + actions, cached=hit)]
    messages, n_actions = _render_reply(reply, owner=owner, max_blocks=max_blocks, block_id=block_id)
    if len(messages) == 1:  # the buttons are its last n_actions blocks
        msg = messages[0]
        msg.cached = _Rendered(msg.blocks[:len(msg.blocks) - n_actions], msg.text)
        _rendered.put(key, msg.cached)
    return messages


def _render_reply(reply: Reply, *, owner: str | None, max_blocks: int, block_id: str | None
                  ) -> tuple[list[Message], int]:
    """The messages, and how many actions blocks (the buttons, always last) they end with."""
    pieces: list[_Piece] = []
    if reply.title and reply.title.strip():
        blocks = [header(reply.title)]
        if len(esc(reply.title)) > MAX_HEADER:  # keep the whole title readable
            blocks += sections(f"*{esc(reply.title)}*")
        pieces.append(_Piece(blocks, reply.title, keep_with_next=True))
    for block in reply.blocks:
        pieces += _block_pieces(block)
    notes = [n for n in reply.notes if n.strip()]
    if notes:
        pieces.append(_Piece(contexts(["*Notes on the source*"] + [esc(n) for n in notes]),
                             "Notes on the source\n" + "\n".join(f"  • {n}" for n in notes)))
    tail: list[_Piece] = []
    sources = [s for s in reply.sources if s.strip()]
    if sources:
        label = "Source" if len(sources) == 1 else "Sources"
        tail.append(_Piece(contexts([f"*{label}:* {esc(s)}" for s in sources]),
                           f"{label}:\n" + "\n".join(f"  {s}" for s in sources)))
    if reply.footer and reply.footer.strip():
        tail.append(_Piece(contexts([esc(reply.footer)]), reply.footer))
    actions = choice_blocks(reply.choices, owner, block_id=block_id) if reply.choices else []
    if actions:
        tail.append(_Piece(actions, "Options: " + " | ".join(c.label for c in reply.choices)))
    pieces += tail
    if not pieces:
        return [], 0  # nothing to say: nothing is posted

    # Pack pieces into messages of at most max_blocks blocks; a piece bigger than a message is split.
    messages: list[tuple[list[dict[str, Any]], list[str]]] = [([], [])]
    for piece in pieces:
        blocks = piece.blocks
        while blocks:
            current, plain = messages[-1]
            room = max_blocks - len(current)
            if len(blocks) <= room:
                current += blocks
                plain.append(piece.plain)
                blocks = []
            elif len(blocks) <= max_blocks and current:
                messages.append(([], []))
            else:
                current += blocks[:room]
                plain.append(piece.plain)
                blocks = blocks[room:]
                messages.append(([], []))
    messages = [(b, p) for b, p in messages if b]
    # A header alone at the end of a message belongs with what follows it.
    for i in range(len(messages) - 1):
        blocks, plain = messages[i]
        if blocks and blocks[-1]["type"] == "header" and len(messages[i + 1][0]) < max_blocks:
            messages[i + 1][0].insert(0, blocks.pop())
    messages = [(b, p) for b, p in messages if b]

    full = reply.plain_text().strip()
    if len(messages) == 1:
        return [Message(text=fallback(full), blocks=messages[0][0])], len(actions)
    out = []
    total = len(messages)
    for n, (blocks, plain) in enumerate(messages, start=1):
        head = reply.title or "Answer"
        text = f"{head} (part {n} of {total})\n" + "\n".join(plain)
        out.append(Message(text=fallback(text), blocks=blocks))
    return out, len(actions)


def fallback(plain: str) -> str:
    """The top-level text: escaped, at most FALLBACK_SOFT characters (ending with an ellipsis when cut)."""
    return cut(esc(plain.strip() or " "), min(FALLBACK_SOFT, MAX_FALLBACK))


def error_message(text: str) -> Message:
    return Message(text=esc(text), blocks=sections(esc(text)))


# -- after a click -------------------------------------------------------------------------------------------

def answered_blocks(blocks: list[dict[str, Any]], chosen_label: str, *, actions_block_id: str | None = None
                    ) -> list[dict[str, Any]]:
    """The prompt message with its careerbot buttons taken away and the choice made shown instead."""
    out: list[dict[str, Any]] = []
    for block in blocks or []:
        if block.get("type") == "actions" and _is_ours(block, actions_block_id):
            continue
        out.append(block)
    out.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": cut(f"✅ You chose: *{esc(chosen_label)}*", MAX_CONTEXT_ELEMENT)}]})
    return out[-MAX_BLOCKS:]


def _is_ours(block: dict[str, Any], actions_block_id: str | None) -> bool:
    bid = str(block.get("block_id") or "")
    if actions_block_id and bid.rsplit("-", 1)[0] == actions_block_id.rsplit("-", 1)[0]:
        return True
    return any(str(e.get("action_id", "")).startswith(ACTION_PREFIX) for e in block.get("elements", []))


# -- App Home and the modal ----------------------------------------------------------------------------------

def home_view(summary: HomeSummary, *, owner: str) -> dict[str, Any]:
    """The App Home tab from the core's summary. All inputs are plain text; they are escaped here."""
    blocks: list[dict[str, Any]] = [header("Your career progression")]
    if summary.level:
        blocks += sections(f"*Your level:* {esc(summary.level)}"
                           + (f", since {esc(summary.since_text)}" if summary.since_text else ""))
        for line in summary.milestone:
            blocks += sections(esc(line))
        if summary.evidence:
            shown = summary.evidence[:12]
            more = len(summary.evidence) - len(shown)
            target = summary.evidence_for or "the next level"
            text = f"*Still needed for {esc(target)}*\n" + "\n".join(f"• {esc(e)}" for e in shown)
            if more > 0:
                text += f"\n_…and {more} more: ask me “evidence for {esc(summary.evidence_for or '')}”._"
            blocks += sections(text)
    else:
        blocks += sections("*I don't know your level yet.* Set your level and the date you started it, "
                           "and I'll work out when you can put yourself forward for the next one.")
    for p in summary.problems:
        blocks += contexts([esc(p)])
    blocks.append({"type": "divider"})
    blocks += sections("*Your last self-assessment:* " + (esc(summary.last_assessment) if summary.last_assessment
                                                          else "none yet."))
    if summary.reminders:
        blocks += contexts([f"Reminders: {esc(summary.reminders)}. Say “my reminders” to see what is planned."])
    assess_value: dict[str, Any] = {"action": "assess"}
    if summary.next_level:
        assess_value["level"] = summary.next_level
    elements = [button("Start a self-assessment", f"{CHOICE_ACTION}:0",
                       encode_choice(Choice("Start a self-assessment", assess_value), owner) or "{}", "primary"),
                button("Set my level and start date", SET_LEVEL_ACTION, "{}")]
    blocks.append({"type": "actions", "block_id": "careerhome-actions", "elements": elements})
    blocks += contexts(["Meeting the time in level is not a promotion in itself: the framework also asks for "
                        "evidence. Message me any question about the framework, or use /career."])
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def set_level_modal(*, level: str | None, since_iso: str | None, metadata: dict[str, Any]) -> dict[str, Any]:
    level_input: dict[str, Any] = {"type": "plain_text_input", "action_id": "level", "max_length": 20,
                                   "placeholder": {"type": "plain_text", "text": "For example SW2B"}}
    if level:
        level_input["initial_value"] = level
    date_input: dict[str, Any] = {"type": "datepicker", "action_id": "since",
                                  "placeholder": {"type": "plain_text", "text": "Choose a date"}}
    if since_iso:
        date_input["initial_date"] = since_iso
    return {
        "type": "modal",
        "callback_id": SET_LEVEL_VIEW,
        "title": {"type": "plain_text", "text": "Your level"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(metadata)[:3000],
        "blocks": [
            {"type": "input", "block_id": "level", "element": level_input,
             "label": {"type": "plain_text", "text": "Your current level"},
             "hint": {"type": "plain_text", "text": "The code from your framework, for example SW2B or SCO 4B."}},
            {"type": "input", "block_id": "since", "element": date_input,
             "label": {"type": "plain_text", "text": "The date you started this level"}},
        ],
    }
