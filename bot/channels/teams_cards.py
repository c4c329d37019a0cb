"""Rendering careerbot replies for Microsoft Teams: Adaptive Cards 1.5 or a plain message. Pure functions.

Nothing here talks to the network or imports the Bot Framework: it turns a neutral Reply into the
message parts of Bot Framework activities ({"type": "message", ...} dicts without addressing), split
so that each activity stays well under Teams' limit of about 28 KB.

All reply text is treated as plain text and escaped, so that nothing a person typed (echoed back in a
reply) or found in a framework document can inject Markdown, links or mentions.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from bot.conversation import Block, Choice, Reply

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"
# Teams refuses activities over about 28 KB; the activity envelope, the summary and the JSON of the
# connector request add up to a couple of KB, so a card's own JSON stays under this.
MAX_CARD_BYTES = 20_000
MAX_TEXT_BYTES = 20_000
MAX_PARTS = 8  # one reply never floods a conversation: past this it is cut short, with a note
MAX_TOP_LEVEL_ACTIONS = 6  # Teams shows at most six buttons in a card's action bar
SHORT_TEXT_CHARS = 300  # a reply of one line up to this long is sent as a message, not a card
# Key added to every button's Action.Submit data: the label shown, the prompt's title and the person the
# buttons are meant for. The channel strips it before the data reaches the core as Incoming.value.
CHOICE_KEY = "careerbotChoice"

TRUNCATED_NOTE = ("This answer is too long to show in full in Teams. Ask me about one level or one topic "
                  "to see the rest.")

_CARD_OVERHEAD = len(json.dumps({"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION,
                                 "msteams": {"width": "Full"}, "body": [], "actions": []}))

# -- escaping -------------------------------------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]~])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([#>+\-=])|(\d+)([.)]))", re.M)


_MD_ANY = re.compile(r"[\\`*_\[\]~]|^\s*(?:[#>+\-=]|\d+[.)])", re.M)


def escape_markdown(text: str) -> str:
    """Plain text made safe for an Adaptive Card TextBlock (which renders a subset of Markdown)."""
    if not _MD_ANY.search(text):
        return text  # most text has nothing to escape
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else
                                                     f"{m.group(3)}\\{m.group(4)}"), text)


def escape_message(text: str) -> str:
    """Plain text made safe for a Teams message with textFormat "markdown" (Markdown and inline HTML,
    including <at> mentions)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escape_markdown(text)


def _utf8_len(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


_CONTROL = re.compile(r'["\\\x00-\x1f]')
_props_size: dict[tuple[Any, ...], int] = {}


def _element_size(element: dict[str, Any]) -> int:
    """len(json.dumps(element).encode()) for a TextBlock, without encoding it: the size of its properties
    (the same few combinations again and again, so cached) plus that of its text as a JSON string."""
    get = element.get
    key = (len(element), get("weight"), get("size"), get("spacing"), get("isSubtle"), get("color"), get("wrap"))
    base = _props_size.get(key)
    if base is None:
        base = _utf8_len({**element, "text": ""})
        if len(_props_size) < 256:
            _props_size[key] = base
    text = get("text", "")
    extra = len(text.encode("utf-8")) if not text.isascii() else len(text)
    if _CONTROL.search(text):
        extra += sum(1 if c in '"\\\n\r\t\b\f' else 5 for c in _CONTROL.findall(text))
    return base + extra


def chunk_text(text: str, max_bytes: int) -> list[str]:
    """Split text at whitespace (or anywhere, as a last resort) into pieces of at most max_bytes in UTF-8."""
    max_bytes = max(max_bytes, 16)
    pieces: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > max_bytes:
        # the longest prefix that fits, by characters (a character is at most 4 bytes)
        lo, hi = max_bytes // 4, min(len(rest), max_bytes)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if len(rest[:mid].encode("utf-8")) <= max_bytes:
                lo = mid
            else:
                hi = mid - 1
        cut = lo
        space = rest.rfind(" ", 0, cut + 1)
        newline = rest.rfind("\n", 0, cut + 1)
        brk = max(space, newline)
        if brk > cut // 2:
            cut = brk
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


# -- elements -------------------------------------------------------------------------------------------------

def _text_block(text: str, **props: Any) -> dict[str, Any]:
    el: dict[str, Any] = {"type": "TextBlock", "text": escape_markdown(text), "wrap": True}
    el.update(props)
    return el


def _title(text: str) -> dict[str, Any]:
    return _text_block(text, weight="Bolder", size="Medium")


def _heading(text: str, *, first: bool) -> dict[str, Any]:
    return _text_block(text, weight="Bolder", **({} if first else {"spacing": "Medium"}))


def _subtle(text: str, **props: Any) -> dict[str, Any]:
    return _text_block(text, **{"isSubtle": True, "size": "Small", "spacing": "Small", **props})


class _Item:
    """One element of a card body, with the heading to repeat if a split puts it at the top of a new card."""

    __slots__ = ("element", "heading", "size")

    def __init__(self, element: dict[str, Any], heading: str | None = None) -> None:
        self.element = element
        self.heading = heading
        self.size = _element_size(element) + 1


def _split_item(element: dict[str, Any], budget: int, heading: str | None) -> list[_Item]:
    """An element too big for a card on its own becomes several (its raw text is already escaped)."""
    overhead = _element_size({**element, "text": ""})
    pieces = chunk_text(element["text"], max(budget - overhead - 64, 256) // 2)  # escaping in JSON may double
    return [_Item({**element, "text": piece}, heading) for piece in pieces]


def _block_items(block: Block, *, first: bool) -> list[_Item]:
    items: list[_Item] = []
    heading = block.title
    if block.title:
        items.append(_Item(_heading(block.title, first=first)))
    if block.text:
        for para in [p for p in block.text.split("\n\n") if p.strip()] or [block.text]:
            items.append(_Item(_text_block(para.strip()), heading))
    for bullet in block.bullets:
        items.append(_Item(_text_block(f"• {bullet}", spacing="Small"), heading))
    for note in block.notes:
        items.append(_Item(_subtle(f"Note: {note}"), heading))
    return items


def _file_note(att: Any, personal: bool) -> str:
    if att.source is None:
        return f"I have prepared a file for you, “{att.filename}”, but I can't send it in Teams."
    if personal:
        return f"“{att.filename}” follows: choose Allow to save it to your OneDrive."
    return f"I send files only in our one-to-one chat: message me there to get “{att.filename}”."


def _reply_items(reply: Reply, personal: bool = True) -> list[_Item]:
    items: list[_Item] = []
    if reply.title:
        items.append(_Item(_title(reply.title)))
    for i, block in enumerate(reply.blocks):
        items += _block_items(block, first=not items and i == 0)
    if reply.notes:
        items.append(_Item(_text_block("Notes on the source", weight="Bolder", isSubtle=True, size="Small",
                                       spacing="Medium")))
        items += [_Item(_subtle(f"• {n}"), "Notes on the source") for n in reply.notes]
    for att in reply.attachments:
        items.append(_Item(_subtle(_file_note(att, personal), spacing="Medium")))
    if reply.sources:
        label = "Source" if len(reply.sources) == 1 else "Sources"
        items.append(_Item(_text_block(label, weight="Bolder", isSubtle=True, size="Small", spacing="Medium")))
        items += [_Item(_subtle(s), label) for s in reply.sources]
    if reply.footer:
        items.append(_Item(_text_block(reply.footer, isSubtle=True, spacing="Medium")))
    return items


def choice_data(choice: Choice, *, prompt: str | None = None, for_user: str | None = None,
                card_id: str | None = None) -> dict[str, Any]:
    """What a button sends back: the choice's own value, plus what the channel needs to update the card.

    card_id tells one drawing of a card from another, so a press on a redrawn card is not taken for a
    second press on the old one."""
    data = dict(choice.value)
    meta: dict[str, Any] = {"label": choice.label[:200]}
    if card_id:
        meta["card"] = card_id
    if prompt:
        meta["prompt"] = prompt[:200]
    if for_user:
        meta["for"] = for_user
    data[CHOICE_KEY] = meta
    return data


def _actions(reply: Reply, for_user: str | None, card_id: str | None) -> list[dict[str, Any]]:
    actions = []
    for choice in reply.choices:
        action: dict[str, Any] = {"type": "Action.Submit", "title": choice.label[:100],
                                  "data": choice_data(choice, prompt=reply.title, for_user=for_user,
                                                      card_id=card_id)}
        if choice.style == "primary":
            action["style"] = "positive"
        elif choice.style == "danger":
            action["style"] = "destructive"
        actions.append(action)
    return actions


def new_card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION,
                            "msteams": {"width": "Full"}, "body": body}
    if actions:
        if len(actions) <= MAX_TOP_LEVEL_ACTIONS:
            card["actions"] = actions
        else:  # more buttons than the action bar shows: rows of action sets in the body
            for i in range(0, len(actions), MAX_TOP_LEVEL_ACTIONS - 1):
                body.append({"type": "ActionSet", "actions": actions[i:i + MAX_TOP_LEVEL_ACTIONS - 1]})
    return card


# -- replies --------------------------------------------------------------------------------------------------

def _one_line(reply: Reply) -> str | None:
    """The text of a reply that is just one short line (a card would add nothing), else None."""
    if reply.choices or reply.sources or reply.notes or reply.footer or reply.attachments:
        return None
    texts = [reply.title] if reply.title else []
    for block in reply.blocks:
        if block.title or block.bullets or block.notes:
            return None
        if block.text:
            texts.append(block.text)
    if len(texts) != 1:
        return None
    text = texts[0].strip()
    if not text or "\n" in text or len(text) > SHORT_TEXT_CHARS:
        return None
    return text


def summary_of(reply: Reply) -> str:
    """A short plain summary, shown in notifications and the chat list instead of "sent a card"."""
    text = reply.title or next((b.title or b.text for b in reply.blocks if b.title or b.text), "") or "careerbot"
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:119] + "…"


def render_reply(reply: Reply, *, for_user: str | None = None, force_card: bool = False,
                 card_id: str | None = None, max_bytes: int = MAX_CARD_BYTES) -> list[dict[str, Any]]:
    """The message activities (without addressing) that show the reply, in order: one plain message for a
    short one-line reply, else one or more Adaptive Cards, each under max_bytes; the buttons go on the last.

    for_user: in a shared conversation, the person the buttons are for; card_id: an id for this drawing."""
    line = None if force_card else _one_line(reply)
    if line is not None:
        return [{"type": "message", "textFormat": "markdown", "text": escape_message(line)}]
    budget = max_bytes - _CARD_OVERHEAD
    actions = _actions(reply, for_user, card_id)
    actions_size = _utf8_len(actions) if actions else 0
    items: list[_Item] = []
    for item in _reply_items(reply, personal=for_user is None):
        if item.size > budget:
            items += _split_item(item.element, budget, item.heading)
        else:
            items.append(item)
    if not items:
        items = [_Item(_text_block(" "))]

    bodies: list[list[dict[str, Any]]] = [[]]
    used = 0
    for item in items:
        if used + item.size > budget and bodies[-1]:
            bodies.append([])
            used = 0
            if item.heading:
                cont = _heading(f"{item.heading} (continued)", first=True)
                bodies[-1].append(cont)
                used += _element_size(cont) + 1
        bodies[-1].append(item.element)
        used += item.size
    if actions and used + actions_size > budget:
        bodies.append([_text_block("What would you like to do next?")])
    truncated = len(bodies) > MAX_PARTS
    if truncated:
        bodies = bodies[:MAX_PARTS]
        bodies[-1] = bodies[-1][:-1] if len(bodies[-1]) > 1 else bodies[-1]
        bodies[-1].append(_subtle(TRUNCATED_NOTE, spacing="Medium"))
    summary = summary_of(reply)
    parts = []
    for i, body in enumerate(bodies):
        last = i == len(bodies) - 1
        card = new_card(body, actions if last else None)
        parts.append({"type": "message", "summary": summary,
                      "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}]})
    return parts


def render_text(text: str) -> list[dict[str, Any]]:
    """A plain message (escaped), split if very long."""
    return [{"type": "message", "textFormat": "markdown", "text": escape_message(piece)}
            for piece in chunk_text(text, MAX_TEXT_BYTES // 2)]


# -- after a button press -------------------------------------------------------------------------------------

def _strip_actions(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for el in elements:
        if el.get("type") == "ActionSet":
            continue
        el = dict(el)
        el.pop("selectAction", None)
        for key in ("items", "columns"):
            if isinstance(el.get(key), list):
                el[key] = _strip_actions(el[key])
        out.append(el)
    return out


def chosen_line(label: str, who: str | None = None) -> dict[str, Any]:
    text = f"✓ {who} chose: {label}" if who else f"✓ You chose: {label}"
    return _text_block(text, weight="Bolder", color="Good", spacing="Medium")


def mark_chosen(card: dict[str, Any], label: str, *, who: str | None = None) -> dict[str, Any]:
    """The card as it was, without its buttons, and with the choice made shown at the end."""
    updated = copy.deepcopy(card)
    updated.pop("actions", None)
    updated["body"] = _strip_actions(updated.get("body") or []) + [chosen_line(label, who)]
    return updated


def chosen_card(label: str, *, prompt: str | None = None, who: str | None = None) -> dict[str, Any]:
    """A card recording the choice made, for when the original card is no longer at hand."""
    body = [_title(prompt)] if prompt else []
    body.append(chosen_line(label, who))
    return new_card(body)


def card_of(activity: dict[str, Any]) -> dict[str, Any] | None:
    for att in activity.get("attachments") or []:
        if att.get("contentType") == CARD_CONTENT_TYPE:
            return att.get("content")
    return None


def card_activity(card: dict[str, Any], summary: str | None = None) -> dict[str, Any]:
    activity: dict[str, Any] = {"type": "message", "attachments": [{"contentType": CARD_CONTENT_TYPE,
                                                                     "content": card}]}
    if summary:
        activity["summary"] = summary
    return activity
