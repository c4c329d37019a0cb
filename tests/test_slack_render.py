"""Block Kit rendering: Slack's limits always hold, every text is escaped, and /career maps to router text."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.slack import OPEN_MODAL, command_text
from bot.channels.slack_render import (
    MAX_BLOCKS,
    answered_blocks,
    cut,
    decode_choice,
    esc,
    render_reply,
    split_text,
    unesc,
)
from bot.conversation import Block, Choice, Reply

DANGEROUS = ["<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C123>", "<http://evil.example|click me>",
             "<!subteam^S1>", "&lt;!channel&gt;"]


def texts(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from texts(item)


def blocks_of(*, title: int, bullet: int, text: int, note: int):
    """Blocks with texts up to these lengths (any characters)."""
    return st.builds(Block, title=st.one_of(st.none(), st.text(max_size=title)),
                     bullets=st.lists(st.text(max_size=bullet), max_size=6),
                     text=st.one_of(st.none(), st.text(max_size=text)),
                     notes=st.lists(st.text(max_size=note), max_size=3))


def check_limits(messages) -> None:
    for msg in messages:
        assert len(msg.blocks) <= MAX_BLOCKS
        assert 0 < len(msg.text) <= 40000
        assert "<" not in msg.text and ">" not in msg.text
        for block in msg.blocks:
            kind = block["type"]
            if kind == "header":
                assert len(block["text"]["text"]) <= 150
            elif kind == "section":
                assert 0 < len(block["text"]["text"]) <= 3000
            elif kind == "context":
                assert 1 <= len(block["elements"]) <= 10
                assert all(len(e["text"]) <= 3000 for e in block["elements"])
            elif kind == "actions":
                assert 1 <= len(block["elements"]) <= 25
                for b in block["elements"]:
                    assert len(b["text"]["text"]) <= 75
                    assert len(b["value"]) <= 2000
                ids = [b["action_id"] for b in block["elements"]]
                assert len(ids) == len(set(ids))
        for t in texts(msg.blocks):
            assert "<" not in t and ">" not in t, t


def test_escaping_of_everything_echoed():
    for bad in DANGEROUS:
        reply = Reply(title=f"About {bad}", blocks=[Block(title=bad, text=f"You asked: {bad}", bullets=[bad],
                                                          notes=[bad])],
                      notes=[bad], sources=[bad], footer=bad, choices=[Choice(bad, {"action": "ask", "question": bad})])
        [msg] = render_reply(reply, owner="U1")
        check_limits([msg])
        dumped = json.dumps(msg.blocks) + msg.text
        assert decode_choice([b for b in msg.blocks if b["type"] == "actions"][0]["elements"][0]["value"])[0] == {
            "action": "ask", "question": bad}
        assert "<!channel>" not in dumped and "<@U123>" not in dumped and "<http" not in dumped
    assert esc("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert unesc("&lt;!here&gt; &amp;amp;") == "<!here> &amp;"


def test_a_question_with_ampersands_round_trips():
    assert unesc(esc("A&E <3 & <b>")) == "A&E <3 & <b>"


def test_cut_never_breaks_an_entity():
    s = esc("a" * 10 + "<<<<")
    for limit in range(2, len(s)):
        out = cut(s, limit)
        assert len(out) <= limit
        assert not out.rstrip("…").endswith(("&", "&l", "&lt", "&g", "&gt", "&a", "&am", "&amp"))


def test_split_text_keeps_pieces_within_the_limit():
    text = esc("\n".join(f"• point {i} " + "word " * 80 for i in range(40)))
    pieces = split_text(text, 3000)
    assert len(pieces) > 1 and all(len(p) <= 3000 for p in pieces)
    long_word = esc("<" * 5000)
    assert all(len(p) <= 3000 and not p.endswith("&") for p in split_text(long_word, 3000))


def test_long_answer_is_split_over_messages_with_buttons_last():
    blocks = [Block(title=f"Section {i}", bullets=[f"Point {i}.{j} " + "detail " * 60 for j in range(8)],
                    notes=[f"note {i}"]) for i in range(40)]
    reply = Reply(title="A very long answer " * 12, blocks=blocks, sources=["Doc 001, p. 3"] * 12,
                  choices=[Choice(f"Option {i}", {"action": "ask", "question": f"q{i}"}) for i in range(30)])
    messages = render_reply(reply, owner="U1")
    assert len(messages) > 1
    check_limits(messages)
    assert messages[0].blocks[0]["type"] == "header"
    assert all(b["type"] != "actions" for m in messages[:-1] for b in m.blocks)
    actions = [b for b in messages[-1].blocks if b["type"] == "actions"]
    assert sum(len(b["elements"]) for b in actions) == 30 and len(actions) == 2
    assert "part 1 of" in messages[0].text
    # Every bullet made it into some message.
    everything = "".join(json.dumps(m.blocks) for m in messages)
    assert all(f"Point {i}.7" in everything for i in range(40))


def test_choice_values_round_trip_and_oversized_ones_are_dropped():
    reply = Reply(title="t", choices=[Choice("ok", {"action": "ask", "question": "q"}),
                                      Choice("huge", {"action": "ask", "question": "x" * 3000})])
    [msg] = render_reply(reply, owner="U9")
    [actions] = [b for b in msg.blocks if b["type"] == "actions"]
    assert len(actions["elements"]) == 1
    value, owner = decode_choice(actions["elements"][0]["value"])
    assert value == {"action": "ask", "question": "q"} and owner == "U9"
    assert decode_choice("not json") == (None, None)
    assert decode_choice('{"v": 3}') == (None, None)


def test_answered_blocks_remove_our_buttons_and_show_the_choice():
    [msg] = render_reply(Reply(title="Pick", choices=[Choice("Yes <b>", {"action": "x"})]), owner="U1")
    after = answered_blocks(msg.blocks, "Yes <b>")
    assert all(b["type"] != "actions" for b in after)
    assert "You chose: *Yes &lt;b&gt;*" in after[-1]["elements"][0]["text"]


def test_an_empty_reply_posts_nothing():
    assert render_reply(Reply()) == []
    assert render_reply(Reply(title="  ", blocks=[Block(bullets=["", " "])])) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.one_of(st.none(), st.text(max_size=400)),
    blocks=st.lists(blocks_of(title=200, bullet=4000, text=7000, note=300), max_size=30),
    labels=st.lists(st.text(min_size=1, max_size=120), max_size=40),
    sources=st.lists(st.text(max_size=300), max_size=14),
)
def test_any_reply_fits_slack(title, blocks, labels, sources):
    reply = Reply(title=title, blocks=blocks, sources=sources,
                  choices=[Choice(label, {"action": "ask", "question": label}) for label in labels])
    check_limits(render_reply(reply, owner="U1"))


def test_career_command_mapping():
    assert command_text("") == "help"
    assert command_text("help") == "help"
    assert command_text("what do I need for SW3B") == "what do I need for SW3B"
    assert command_text("assess") == "assess me"
    assert command_text("assess SW3B") == "self-assessment for SW3B"
    assert command_text("assess me for SW3B") == "self-assessment for SW3B"
    assert command_text("checkin") == "check-in"
    assert command_text("check in") == "check-in"
    assert command_text("level SW2B since 2025-03-01") == "my level is SW2B since 2025-03-01"
    assert command_text("level") is OPEN_MODAL
    assert command_text("level SW2B") == "my level is SW2B"  # the router asks since when
    assert command_text("level please") == "my level"
    assert command_text("reminders") == "my reminders"
    assert command_text("snooze 2026-01-05") == "snooze 2026-01-05"
    assert command_text("ask   how long at SW2A?") == "how long at SW2A?"


def _without_ids(messages):
    out = json.loads(json.dumps([{"text": m.text, "blocks": m.blocks} for m in messages]))
    for m in out:
        for b in m["blocks"]:
            if b["type"] == "actions":
                b.pop("block_id", None)
    return out


def _fresh_render(reply, **kwargs):
    from bot.channels.slack_render import _render_reply

    return _render_reply(reply, owner=kwargs.get("owner"), max_blocks=kwargs.get("max_blocks", MAX_BLOCKS),
                         block_id=None)[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.one_of(st.none(), st.text(max_size=200)),
    blocks=st.lists(blocks_of(title=50, bullet=300, text=3500, note=100), max_size=30),
    labels=st.lists(st.text(min_size=1, max_size=40), max_size=30),
    owners=st.lists(st.sampled_from(["U1", "U22", None]), min_size=2, max_size=3),
)
def test_a_reply_rendered_again_is_the_same_with_new_buttons(title, blocks, labels, owners):
    """The render cache gives what a fresh rendering gives: same text and blocks, buttons of the person asking
    (their own value), and a new block id for every set of buttons."""
    reply = Reply(title=title, blocks=blocks, sources=["Doc 001, SW3B"],
                  choices=[Choice(label, {"action": "ask", "question": label}) for label in labels])
    seen_ids = set()
    for owner in owners:
        again = render_reply(reply.copy(), owner=owner)
        assert _without_ids(again) == _without_ids(_fresh_render(reply, owner=owner))
        for msg in again:
            for b in msg.blocks:
                if b["type"] == "actions":
                    assert b["block_id"] not in seen_ids
                    seen_ids.add(b["block_id"])
                    for button in b["elements"]:
                        assert decode_choice(button["value"])[1] == owner


def test_answers_are_rendered_once_then_reused(monkeypatch):
    import bot.channels.slack_render as render

    calls = []
    real = render._render_reply
    monkeypatch.setattr(render, "_render_reply", lambda *a, **k: calls.append(1) or real(*a, **k))
    reply = Reply(title="What you need for SW3B", blocks=[Block(title="Knowledge", bullets=["one", "two"])],
                  choices=[Choice("Evidence for SW3B", {"action": "ask", "question": "evidence for SW3B"})])
    first = render_reply(reply, owner="U1")
    second = render_reply(reply.copy(), owner="U2")
    assert len(calls) == 1
    assert first[0].blocks[:-1] == second[0].blocks[:-1]
    assert first[0].blocks[-1]["block_id"] != second[0].blocks[-1]["block_id"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=30)), max_size=8),
       st.sampled_from(["", "&", "&&", "=", "a", "&b"]))
def test_the_form_parser_reads_what_parse_qs_reads(pairs, tail):
    from urllib.parse import parse_qs, urlencode

    from bot.channels.slack import _parse_form

    text = urlencode(pairs) + tail
    try:
        expected = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True, strict_parsing=True).items()}
    except ValueError:
        expected = None
    try:
        got = _parse_form(text)
    except ValueError:
        got = None
    assert got == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(max_size=100), bullets=st.lists(st.text(max_size=200), max_size=5),
       labels=st.lists(st.text(min_size=1, max_size=30), max_size=4))
def test_a_message_as_json_is_its_blocks_and_text(title, bullets, labels):
    reply = Reply(title=title or "T", blocks=[Block(title="Knowledge", bullets=bullets)],
                  choices=[Choice(label, {"action": "ask", "question": label}) for label in labels])
    for owner in ("U1", "U2"):  # the second rendering comes from the cache, with its JSON kept
        for msg in render_reply(reply.copy(), owner=owner):
            expected = {"response_type": "ephemeral", "text": msg.text, "blocks": msg.blocks}
            assert json.loads(msg.to_json(response_type="ephemeral")) == expected
            assert json.loads(msg.to_json()) == {"text": msg.text, "blocks": msg.blocks}
