"""Rendering replies for Teams (bot/channels/teams_cards.py): Adaptive Cards 1.5, plain messages, escaping,
splitting within Teams' size limit, and redrawing a card after a press. Pure functions: no server."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels import teams_cards as cards
from bot.conversation import Attachment, Block, Choice, Reply

TEAMS_LIMIT = 28_000  # bytes of one activity, roughly, that Teams takes


def _size(part) -> int:
    return len(json.dumps(part, ensure_ascii=False).encode("utf-8"))


def _texts(part) -> list[str]:
    card = cards.card_of(part)
    if card is None:
        return [part.get("text", "")]
    return [el["text"] for el in card["body"] if el.get("type") == "TextBlock"]


def _actions(part):
    card = cards.card_of(part) or {}
    found = list(card.get("actions") or [])
    for el in card.get("body") or []:
        if el.get("type") == "ActionSet":
            found += el["actions"]
    return found


def test_module_is_pure():
    tree = ast.parse(Path(cards.__file__).read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m.split(".")[0] for m in modules} & {"botbuilder", "botframework", "aiohttp"}


def test_a_full_answer_is_one_adaptive_card():
    reply = Reply(title="What the framework asks for SW3B",
                  blocks=[Block(title="Knowledge", bullets=["One", "Two"], notes=["A note on two"]),
                          Block(title="Time in level", text="At least 12 months at SW3A.")],
                  choices=[Choice("Evidence for SW3B", {"action": "ask", "question": "evidence for SW3B"},
                                  style="primary"),
                           Choice("Stop", {"action": "stop"}, style="danger")],
                  sources=["Document 001: Level B"], notes=["The table is shifted"], footer="Check with HR.")
    [part] = cards.render_reply(reply, card_id="abc")
    assert part["type"] == "message" and part["summary"] == "What the framework asks for SW3B"
    [att] = part["attachments"]
    assert att["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = att["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5" and card["$schema"].startswith("http")
    body = card["body"]
    assert body[0] == {"type": "TextBlock", "text": "What the framework asks for SW3B", "wrap": True,
                       "weight": "Bolder", "size": "Medium"}
    assert all(el["wrap"] for el in body)
    texts = [el["text"] for el in body]
    assert "• One" in texts and "• Two" in texts and "Note: A note on two" in texts
    source = body[texts.index("Document 001: Level B")]
    assert source["isSubtle"] is True and source["size"] == "Small"
    assert "Notes on the source" in texts and "Check with HR." in texts
    first, second = card["actions"]
    assert first["type"] == "Action.Submit" and first["title"] == "Evidence for SW3B"
    assert first["style"] == "positive" and second["style"] == "destructive"
    assert first["data"]["action"] == "ask" and first["data"]["question"] == "evidence for SW3B"
    assert first["data"][cards.CHOICE_KEY] == {"label": "Evidence for SW3B", "card": "abc",
                                               "prompt": "What the framework asks for SW3B"}


def test_a_one_line_reply_is_a_plain_message():
    [part] = cards.render_reply(Reply(title="Reminders are on."))
    assert part == {"type": "message", "textFormat": "markdown", "text": "Reminders are on."}
    [part] = cards.render_reply(Reply(blocks=[Block(text="Done.")]))
    assert part["text"] == "Done."
    # ...unless a card is wanted (to replace a prompt card), or there is more than a line
    assert cards.card_of(cards.render_reply(Reply(title="Done."), force_card=True)[0])
    assert cards.card_of(cards.render_reply(Reply(title="Done.", sources=["x"]))[0])
    assert cards.card_of(cards.render_reply(Reply(title="Done.", choices=[Choice("OK", {"a": 1})]))[0])


def test_text_is_escaped():
    evil = "**bold** _it_ [link](http://evil.example) `code` ~strike~ <at>Boss</at> \\ back"
    [part] = cards.render_reply(Reply(title=evil, blocks=[Block(bullets=["- not a list", "1. not numbered",
                                                                         "# not a heading", "> not a quote"])]))
    title, *bullets = _texts(part)
    assert title == ("\\*\\*bold\\*\\* \\_it\\_ \\[link\\](http://evil.example) \\`code\\` \\~strike\\~ "
                     "<at>Boss</at> \\\\ back")
    assert bullets == ["• - not a list", "• 1. not numbered", "• # not a heading", "• > not a quote"]
    lines = cards.escape_markdown("- a\n1. b\n  # c")
    assert lines == "\\- a\n1\\. b\n  \\# c"
    [message] = cards.render_reply(Reply(title="<at>Boss</at> & *you*"))
    assert message["text"] == "&lt;at&gt;Boss&lt;/at&gt; &amp; \\*you\\*"


def test_a_long_answer_is_split_under_teams_limit_with_buttons_on_the_last_card():
    bullets = [f"Criterion {i}: " + "evidence of practice " * 12 for i in range(400)]
    reply = Reply(title="A very long answer", blocks=[Block(title="Knowledge", bullets=bullets)],
                  choices=[Choice("Next", {"action": "next"})], sources=["Document 001"])
    parts = cards.render_reply(reply)
    assert 2 <= len(parts) <= cards.MAX_PARTS
    assert all(_size(p) < cards.MAX_CARD_BYTES + 500 < TEAMS_LIMIT for p in parts)
    assert [bool(_actions(p)) for p in parts] == [False] * (len(parts) - 1) + [True]
    shown = [t for p in parts for t in _texts(p)]
    if len(parts) < cards.MAX_PARTS:  # nothing lost, in order
        assert [t for t in shown if t.startswith("• Criterion")] == [f"• {b}" for b in bullets]
    # a block that goes on in the next card says so
    assert _texts(parts[1])[0] == "Knowledge (continued)"


def test_a_reply_too_long_for_teams_is_cut_with_a_note():
    bullets = ["x" * 900 for _ in range(400)]
    parts = cards.render_reply(Reply(title="Huge", blocks=[Block(bullets=bullets)],
                                     choices=[Choice("Next", {"a": 1})]))
    assert len(parts) == cards.MAX_PARTS
    assert cards.TRUNCATED_NOTE in _texts(parts[-1])
    assert _actions(parts[-1])


def test_one_huge_paragraph_is_split_too():
    reply = Reply(title="Long", blocks=[Block(text=("word " * 12000).strip())])
    parts = cards.render_reply(reply)
    assert len(parts) >= 3 and all(_size(p) < TEAMS_LIMIT for p in parts)
    assert " ".join(" ".join(_texts(p)) for p in parts).count("word") == 12000


def test_more_buttons_than_the_action_bar_holds_go_in_rows():
    reply = Reply(title="Choose", choices=[Choice(f"Option {i}", {"i": i}) for i in range(9)])
    [part] = cards.render_reply(reply)
    card = cards.card_of(part)
    assert "actions" not in card
    assert [a["title"] for a in _actions(part)] == [f"Option {i}" for i in range(9)]


def test_buttons_in_a_shared_conversation_say_who_they_are_for():
    [part] = cards.render_reply(Reply(title="Q", choices=[Choice("Yes", {"a": 1})]), for_user="aad-1")
    assert _actions(part)[0]["data"][cards.CHOICE_KEY]["for"] == "aad-1"


def test_marking_a_card_chosen_removes_every_button():
    reply = Reply(title="Choose", blocks=[Block(text="Pick one")],
                  choices=[Choice(f"Option {i}", {"i": i}) for i in range(9)])
    card = cards.card_of(cards.render_reply(reply)[0])
    chosen = cards.mark_chosen(card, "Option *3*")
    assert "actions" not in chosen and not any(el["type"] == "ActionSet" for el in chosen["body"])
    assert chosen["body"][-1]["text"] == "✓ You chose: Option \\*3\\*"
    assert chosen["body"][0]["text"] == "Choose"
    assert any(el["type"] == "ActionSet" for el in card["body"])  # the original is untouched
    by_name = cards.mark_chosen(card, "Yes", who="Sam")
    assert by_name["body"][-1]["text"] == "✓ Sam chose: Yes"
    fallback = cards.chosen_card("Yes", prompt="Shall I?")
    assert [el["text"] for el in fallback["body"]] == ["Shall I?", "✓ You chose: Yes"]


def test_attachments_are_mentioned_not_lost():
    reply = Reply(title="Your pack", attachments=[Attachment("pack.docx", "application/msword", b"x")])
    texts = _texts(cards.render_reply(reply)[0])
    assert any("pack.docx" in t for t in texts)


def test_chunk_text_respects_bytes_and_words():
    text = "naïve café – ünïcödé " * 500
    pieces = cards.chunk_text(text, 1000)
    assert all(len(p.encode()) <= 1000 for p in pieces)
    assert " ".join(pieces).split() == text.split()
    assert cards.chunk_text("", 100) == [""]
    assert cards.chunk_text("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)


@settings(max_examples=150, deadline=None)
@given(title=st.none() | _text,
       blocks=st.lists(st.builds(Block, title=st.none() | _text, bullets=st.lists(_text, max_size=30),
                                 text=st.none() | st.text(max_size=6000), notes=st.lists(_text, max_size=3)),
                       max_size=6),
       labels=st.lists(st.text(min_size=1, max_size=60), max_size=8),
       sources=st.lists(_text, max_size=4), footer=st.none() | _text)
def test_any_reply_renders_within_teams_limits(title, blocks, labels, sources, footer):
    reply = Reply(title=title, blocks=blocks, choices=[Choice(label, {"n": i}) for i, label in enumerate(labels)],
                  sources=sources, footer=footer)
    parts = cards.render_reply(reply, card_id="d1", for_user="u1")
    assert 1 <= len(parts) <= cards.MAX_PARTS
    for part in parts:
        assert _size(part) < TEAMS_LIMIT
        json.loads(json.dumps(part))  # plain JSON
        card = cards.card_of(part)
        if card is not None:
            assert card["body"], "a card always shows something"
            assert all(el["type"] in ("TextBlock", "ActionSet") for el in card["body"])
    if labels:
        assert [a["title"] for a in _actions(parts[-1])] == [label[:100] for label in labels]
