"""Property and fuzz tests (hypothesis): no input crashes the answer engine, the level-code and question
parsers, the date arithmetic, the date and snooze parsers, or the two HTTP endpoints; answers never cite
a document or heading that is not in the data."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.answers.engine import AnswerEngine
from bot.answers.levels import find_codes, normalise_text
from bot.answers.questions import parse
from bot.conversation import Reply
from bot.dates import format_uk, parse_date
from bot.knowledge.loader import load_knowledge
from bot.milestones import add_months, months_between
from bot.reminders import parse_snooze

KNOWLEDGE = load_knowledge()
ENGINE = AnswerEngine(KNOWLEDGE)

# Words the engine and parsers react to, so that generated text reaches deep branches, not just "not found".
VOCAB = [
    "what", "do", "I", "need", "for", "how", "long", "before", "can", "go", "evidence", "experience", "SW2A",
    "SW2B", "SW2C", "SW3A", "SW3B", "SW3C", "SW4A", "SW4B", "SW4C", "SW5", "SW2D", "sw 3 b", "sw3-b", "SCO",
    "SCO 4B", "sco-4a", "KR9", "KR10", "PO3", "level", "A", "B", "C", "D", "difference", "between", "and", "to",
    "from", "next", "step", "months", "years", "year 1", "year 2", "PCF", "domain", "6", "AMHP", "NQSW", "ASYE",
    "deaf", "children's", "Kent", "Medway", "qualifications", "knowledge", "skills", "senior", "social", "worker",
    "team", "manager", "practice", "educator", "grade", "?", "!", "'", "’", "stand", "mean", "assess", "me",
    "since", "March", "2025", "help", "snooze", "until", "5", "January", "stop", "reminders", "my", "progress",
]
texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(VOCAB), max_size=14).map(" ".join),
    st.lists(st.one_of(st.sampled_from(VOCAB), st.text(max_size=6)), max_size=10).map(" ".join),
)
PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the answer engine -------------------------------------------------------------------------------------------

def _valid_citations() -> tuple[dict[str, str], dict[str, set[str]]]:
    """(document id -> the citation prefix the engine writes, document id -> every heading it may cite)."""
    prefixes: dict[str, set[str]] = {}
    headings: dict[str, set[str]] = {}
    for item in [*KNOWLEDGE.criteria, *KNOWLEDGE.time_rules]:
        src = item.source
        org = f", {src.organisation}" if src.organisation else ""
        prefixes.setdefault(src.document_id, set()).add(f"{src.document_title}{org} (document {src.document_id})")
        headings.setdefault(src.document_id, set()).add(src.heading)
    for doc_id, doc in KNOWLEDGE.documents.items():
        org = f", {doc.organisation}" if doc.organisation else ""
        prefixes.setdefault(doc_id, set()).update({f"{doc.title} (document {doc_id})",
                                                   f"{doc.title}{org} (document {doc_id})"})
    return prefixes, headings


PREFIXES, HEADINGS = _valid_citations()


def _splits_into_headings(text: str, allowed: set[str]) -> bool:
    """True when text is one or more allowed headings joined by '; ' (a heading may itself contain '; ')."""
    if text in allowed:
        return True
    return any(text.startswith(h + "; ") and _splits_into_headings(text[len(h) + 2:], allowed) for h in allowed)


def assert_cites_only_the_data(reply: Reply) -> None:
    for source in reply.sources:
        m = re.search(r"\(document ([^)]+)\)", source)
        assert m, f"a source without a document: {source!r}"
        doc_id = m.group(1)
        assert doc_id in KNOWLEDGE.documents, f"cites document {doc_id!r}, which is not in the data: {source!r}"
        head, rest = source[:m.end()], source[m.end():]
        assert head in PREFIXES[doc_id], f"cites document {doc_id} under another title: {source!r}"
        if rest.startswith(": "):
            assert _splits_into_headings(rest[2:], HEADINGS.get(doc_id, set())), \
                f"cites a heading that is not in document {doc_id}: {source!r}"
        else:
            assert rest == "" or re.fullmatch(r", line \d+", rest), f"unexpected citation tail: {source!r}"


@PROPS
@given(texts)
@example("what do I need for SW3B?")
@example("how long before I can go for SW3C?")
@example("what does AMHP stand for?")
@example("grade of KR10")
@example("\x00\ud7ff\U0010ffff" * 50)
def test_the_answer_engine_never_crashes_and_cites_only_the_data(text):
    reply = ENGINE.answer(text)
    assert isinstance(reply, Reply)
    assert reply.status in ("answered", "clarify", "not_in_framework")
    assert isinstance(reply.plain_text(), str)
    assert_cites_only_the_data(reply)


def test_the_citation_check_catches_an_invented_heading():
    good = ENGINE.answer("what do I need for SW3B?")
    assert good.sources
    assert_cites_only_the_data(good)
    bad = Reply(sources=[good.sources[0] + "; Level Z (Invented) – Wishes"])
    with pytest.raises(AssertionError):
        assert_cites_only_the_data(bad)
    with pytest.raises(AssertionError):
        assert_cites_only_the_data(Reply(sources=["Some framework (document 999): Level A"]))


# -- the question and level-code parsers ---------------------------------------------------------------------------

@PROPS
@given(texts)
def test_the_question_parser_never_crashes_and_keeps_its_shape(text):
    q = parse(text)
    # words typed in a hurry are read in full ("u" -> "you"), so the text grows by a factor of three at most
    assert isinstance(q.text, str) and isinstance(q.lower, str) and len(q.text) <= 3 * len(text)
    for role, level, position in q.levels:
        assert isinstance(role, str) and level in ("A", "B", "C") and 0 <= position <= len(q.lower)
    assert all(isinstance(c, str) and c for c in q.unknown_codes)


@PROPS
@given(texts)
@example("sw 3 b and SCO-4B then kr10, po 3")
def test_level_codes_are_found_where_they_were_typed(text):
    lowered = normalise_text(text)
    for mention in find_codes(lowered):
        assert lowered[mention.start:mention.start + len(mention.typed)] == mention.typed
        assert re.fullmatch(r"(SW\d+|SCO|KR\d+|PO\d+)", mention.role), mention
        assert mention.level is None or mention.level in "ABCDE"


@PROPS
@given(st.sampled_from(["SW2", "SW3", "SW4"]), st.sampled_from("ABC"), st.sampled_from(["", " ", "-"]),
       st.booleans())
def test_every_way_of_typing_a_known_code_parses_to_it(role, level, sep, upper):
    typed = f"{role[:2]}{role[2:]}{sep}{level}"
    typed = typed.upper() if upper else typed.lower()
    q = parse(f"what do I need for {typed}?")
    assert (role, level) in [(r, lv) for r, lv, _ in q.levels]


# -- the date arithmetic -------------------------------------------------------------------------------------------

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
months = st.integers(min_value=-1200, max_value=1200)


@PROPS
@given(dates, months)
def test_add_months_lands_on_the_same_day_or_the_month_end(d, n):
    out = add_months(d, n)
    assert (out.year * 12 + out.month) - (d.year * 12 + d.month) == n
    assert out.day == d.day or (out.day < d.day and (out + timedelta(days=1)).day == 1)


@PROPS
@given(dates, st.integers(min_value=0, max_value=1200))
def test_months_between_undoes_add_months(d, n):
    assert months_between(d, add_months(d, n)) == n
    assert months_between(d, add_months(d, n)) >= n


@PROPS
@given(dates, dates)
def test_months_between_is_the_largest_whole_number_of_months(a, b):
    n = months_between(a, b)
    assert add_months(a, n) <= b < add_months(a, n + 1)
    assert (n >= 0) == (b >= a)


@PROPS
@given(dates, dates, months)
def test_add_months_is_monotonic_in_the_date(a, b, n):
    assume(a <= b)
    assert add_months(a, n) <= add_months(b, n)


@PROPS
@given(dates, months, months)
def test_add_months_is_monotonic_in_the_months(d, m, n):
    assume(m <= n)
    assert add_months(d, m) <= add_months(d, n)


@PROPS
@given(dates, dates, dates)
def test_months_between_grows_with_the_end_date(a, b, c):
    assume(b <= c)
    assert months_between(a, b) <= months_between(a, c)


# -- the date and snooze parsers -----------------------------------------------------------------------------------

@PROPS
@given(texts, dates, st.booleans())
def test_parse_date_never_crashes(text, today, prefer_future):
    out = parse_date(text, today=today, prefer_future=prefer_future)
    assert out is None or isinstance(out, date)


@PROPS
@given(texts, dates, st.booleans())
def test_parse_date_preferring_the_past_never_crashes(text, today, prefer_future):
    out = parse_date(text, today=today, prefer_past=True)
    assert out is None or isinstance(out, date)


@PROPS
@given(st.sampled_from(["January", "Feb", "march", "last April", "May", "june", "last July", "Sept", "October",
                        "last November", "December"]),
       st.one_of(st.none(), st.integers(1, 28)),
       st.dates(min_value=date(1001, 1, 1), max_value=date(9998, 12, 31)))
def test_a_start_date_without_a_year_is_the_latest_one_not_in_the_future(month, day, today):
    text = f"{day} {month.removeprefix('last ')}" if day else month
    out = parse_date(text, today=today, prefer_past=True)
    assert out is not None and out <= today and (today - out).days < 366 + 31
    if not day:
        assert out.day == 1


@PROPS
@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
def test_parse_date_reads_back_what_it_writes(d):
    assert parse_date(format_uk(d)) == d
    assert parse_date(d.isoformat()) == d
    assert parse_date(f"{d.day:02d}/{d.month:02d}/{d.year}") == d


@PROPS
@given(st.one_of(texts, texts.map(lambda t: "snooze " + t)), dates)
@example("snooze until 29 February", date(2025, 3, 1))
@example("snooze for 999 months", date(2200, 1, 1))
def test_parse_snooze_never_crashes_and_only_looks_ahead(text, today):
    out = parse_snooze(text, today)
    assert out is None or out > today


# -- the request parsers: random bytes and random JSON at both endpoints of the real app -----------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
maybe_text = st.one_of(st.none(), st.text(max_size=60), st.sampled_from(VOCAB), st.integers(), st.lists(st.text()))
maybe_id = st.one_of(st.none(), st.text(max_size=20), st.integers(), st.just(""))


button_values = st.one_of(
    st.fixed_dictionaries({"action": st.sampled_from(["ask", "assess", "reminders", "reminders.stop", "dialog",
                                                      "dialog_start", "dialog_record", "reminders.snooze"])},
                          optional={"question": maybe_text, "level": maybe_text, "weeks": json_values,
                                    "what": maybe_text, "until": maybe_text, "answer": maybe_text,
                                    "dialog_id": maybe_id, "step": json_values, "name": maybe_text,
                                    "op": maybe_text, "record_id": maybe_id, "args": json_values}),
    st.dictionaries(st.text(max_size=10), json_values, max_size=4),
)


def mutated(base: dict, data) -> dict:
    """A copy of a valid payload with a few fields (top level or one level down) deleted or replaced by
    random JSON; half the time none, so that the valid path is exercised with random text as well."""
    out = json.loads(json.dumps(base))
    for _ in range(data.draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]), label="mutations")):
        target = out
        key = data.draw(st.sampled_from(sorted(out)), label="key")
        if isinstance(out[key], dict) and out[key] and data.draw(st.booleans(), label="nested"):
            target, key = out[key], data.draw(st.sampled_from(sorted(out[key])), label="inner key")
        if data.draw(st.booleans(), label="delete"):
            del target[key]
        else:
            target[key] = data.draw(json_values, label="value")
    return out


def teams_activity(service_url: str, data) -> dict:
    """A Teams activity as the Bot Connector posts it (message, button press or install), with random text and
    values and random damage. The serviceUrl always points at the mock connector."""
    from tests.mock_connector import install, message

    kind = data.draw(st.sampled_from(["message", "message", "press", "install"]), label="kind")
    user = data.draw(st.sampled_from(["29:user-1", "29:user-2"]), label="user")
    if kind == "install":
        base = install(service_url, user_id=user)
    elif kind == "press":
        base = message(service_url, "", user_id=user, value=data.draw(button_values, label="value"),
                       reply_to=data.draw(maybe_id, label="reply to"))
    else:
        base = message(service_url, data.draw(texts, label="text"), user_id=user)
    activity = mutated(base, data)
    if isinstance(activity, dict):
        activity["serviceUrl"] = service_url
    return activity


class AppUnderFuzz:
    """make_app(build_services(load_settings(env))) with Slack on (signed against a mock Slack) and Teams
    (unauthenticated, replies to a mock Bot Connector), served in a private event loop on 127.0.0.1."""

    def __init__(self, tmp_path) -> None:
        from aiohttp.test_utils import TestClient, TestServer

        from bot.app import build_services
        from bot.channels.web import make_app
        from bot.config import load_settings
        from tests.mock_connector import MockConnector
        from tests.mock_slack import MockSlack
        from tests.slack_fixtures import SECRET, TOKEN

        self.loop = asyncio.new_event_loop()
        self.slack = MockSlack().start()
        self.connector = MockConnector(record_bodies=False)
        self.loop.run_until_complete(self.connector.start())
        env = {"CAREERBOT_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": f"sqlite:///{tmp_path}/fuzz.db",
               "CAREERBOT_REMINDERS": "0", "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": self.slack.api_url}
        self.services = build_services(load_settings(env))
        self.client = TestClient(TestServer(make_app(self.services), host="127.0.0.1"), loop=self.loop)
        self.loop.run_until_complete(self.client.start_server())
        self.statuses: list[int] = []

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        async def go() -> int:
            async with self.client.post(path, data=body, headers=headers) as resp:
                await resp.read()
                return resp.status

        status = self.loop.run_until_complete(asyncio.wait_for(go(), 30))
        self.statuses.append(status)
        return status

    def close(self) -> None:
        self.loop.run_until_complete(asyncio.sleep(0.5))  # replies the Slack channel sends after its ack
        self.loop.run_until_complete(self.client.close())
        self.loop.run_until_complete(self.connector.close())
        self.services.close()
        self.slack.stop()
        self.loop.close()


@pytest.fixture
def fuzz_app(tmp_path, caplog):
    caplog.set_level(logging.ERROR)
    app = AppUnderFuzz(tmp_path)
    yield app
    app.close()
    # Work done after the response (Slack acks first) must not die unseen either: no task crashed.
    crashes = [r for r in caplog.records if r.name in ("asyncio", "aiohttp.server", "aiohttp.web")
               and r.levelno >= logging.ERROR]
    assert not crashes, "\n".join(r.getMessage() for r in crashes[:5])


HTTP = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8",
                                 "application/x-www-form-urlencoded", "text/plain", "multipart/form-data",
                                 "application/octet-stream", ""])


@pytest.mark.slow
@HTTP
@given(body=st.one_of(st.binary(max_size=2000), json_values.map(lambda v: json.dumps(v).encode())),
       content_type=CONTENT_TYPES)
def test_random_bodies_at_the_teams_endpoint_never_get_a_5xx(fuzz_app, body, content_type):
    status = fuzz_app.post("/api/messages", body, {"Content-Type": content_type} if content_type else {})
    assert status < 500, (status, body[:200])


@pytest.mark.slow
@HTTP
@given(data=st.data())
def test_random_activities_at_the_teams_endpoint_never_get_a_5xx(fuzz_app, data):
    activity = teams_activity(fuzz_app.connector.url, data)
    status = fuzz_app.post("/api/messages", json.dumps(activity).encode(), {"Content-Type": "application/json"})
    assert status < 500, (status, activity)


def slack_request(response_url: str, data) -> tuple[bytes, str]:
    """A Slack request as Slack sends it (a DM or mention event, a /career command, a button press), with
    random text and values and random damage; or random bytes or JSON. response_url is always the mock's."""
    import time as _time

    from tests.mock_slack import BOT_USER, TEAM

    kind = data.draw(st.sampled_from(["dm", "dm", "mention", "home", "command", "command", "action", "bytes",
                                      "json", "payload"]), label="kind")
    user = data.draw(st.sampled_from(["U1001", "U1002"]), label="user")
    ts = f"{_time.time():.6f}"
    if kind in ("dm", "mention", "home"):
        event = {"type": "message", "channel_type": "im", "channel": "D1001", "user": user,
                 "text": data.draw(texts, label="text"), "ts": ts, "event_ts": ts}
        if kind == "mention":
            event.update(type="app_mention", channel="C2002", text=f"<@{BOT_USER}> {event['text']}")
            del event["channel_type"]
        elif kind == "home":
            event = {"type": "app_home_opened", "user": user, "channel": "D1001", "tab": "home", "event_ts": ts}
        body = {"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
                "event_id": data.draw(st.text(alphabet="abcdef0123456789", min_size=1, max_size=12), label="id"),
                "event_time": int(_time.time()),
                "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}], "event": event}
        return json.dumps(mutated(body, data)).encode(), "application/json"
    if kind == "command":
        fields = {"token": "legacy", "team_id": TEAM, "team_domain": "test", "channel_id": "C2002",
                  "channel_name": "general", "user_id": user, "user_name": "pat", "command": "/career",
                  "text": data.draw(texts, label="text"), "api_app_id": "A1", "response_url": response_url,
                  "trigger_id": "trig.1"}
        fields = mutated(fields, data)
        fields["response_url"] = response_url
        return urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}).encode(), \
            "application/x-www-form-urlencoded"
    if kind == "action":
        payload = {"type": "block_actions", "user": {"id": user, "username": "pat", "team_id": TEAM},
                   "team": {"id": TEAM, "domain": "test"}, "api_app_id": "A1", "token": "legacy",
                   "trigger_id": "trig.2", "response_url": response_url,
                   "container": {"type": "message", "message_ts": ts, "channel_id": "D1001", "is_ephemeral": False},
                   "channel": {"id": "D1001", "name": "directmessage"},
                   "actions": [{"type": "button", "action_id": data.draw(st.sampled_from(
                       ["career:choice:0", "career:choice:3", "career:set_level", "career:", "x"]), label="action id"),
                       "block_id": "b1", "value": data.draw(st.one_of(
                           button_values.map(lambda v: json.dumps({"v": v, "u": user})),
                           button_values.map(lambda v: json.dumps({"v": v})),
                           st.text(max_size=80), json_values.map(json.dumps)), label="value"), "action_ts": ts}],
                   "message": {"type": "message", "ts": ts, "text": "hi", "blocks": [], "user": BOT_USER}}
        payload = mutated(payload, data)
        payload["response_url"] = response_url
        return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"
    if kind == "bytes":
        return data.draw(st.binary(max_size=1500), label="bytes"), data.draw(CONTENT_TYPES, label="type")
    if kind == "json":
        return json.dumps(data.draw(json_values, label="json")).encode(), data.draw(CONTENT_TYPES, label="type")
    return (urlencode({"payload": json.dumps(data.draw(json_values, label="payload"))}).encode(),
            "application/x-www-form-urlencoded")


@pytest.mark.slow
@HTTP
@given(data=st.data(), signed=st.sampled_from([True, True, True, False]))
def test_random_signed_requests_at_the_slack_endpoint_never_get_a_5xx(fuzz_app, data, signed):
    from tests.slack_fixtures import sign

    body, content_type = slack_request(fuzz_app.slack.response_url("fuzz"), data)
    headers = {"Content-Type": content_type} if content_type else {}
    if signed:
        headers.update(sign(body))
    status = fuzz_app.post("/slack/events", body, headers)
    assert status < 500, (status, body[:300])
    if not signed:
        assert 400 <= status < 500


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@PROPS
@given(st.sampled_from(WEEKDAYS), st.sampled_from(["", "on ", "next ", "this ", "coming "]), dates, st.booleans())
def test_a_weekday_is_the_next_one_or_with_a_start_date_the_last_one(day, lead, today, past):
    out = parse_date(f"{lead}{day}", today=today, prefer_past=past)
    if out is None:  # only at the very ends of the calendar
        assert today.year in (1, 9999)
        return
    assert WEEKDAYS[out.weekday()] == day
    if lead == "this " and today.weekday() == WEEKDAYS.index(day):
        assert out == today
    elif past and lead in ("", "on ", "this "):  # a start date: the one just gone
        assert 1 <= (today - out).days <= 7
    else:
        assert 1 <= (out - today).days <= 7


@PROPS
@given(st.integers(1, 40), st.sampled_from(["day", "week", "month", "year"]), dates)
def test_in_n_units_is_after_today_and_n_units_ago_before(n, unit, today):
    later = parse_date(f"in {n} {unit}s", today=today)
    earlier = parse_date(f"{n} {unit}s ago", today=today)
    assert later is None or later > today
    assert earlier is None or earlier < today


def test_relative_dates_people_type():
    thursday = date(2026, 11, 26)
    assert parse_date("next Tuesday", today=thursday, prefer_future=True) == date(2026, 12, 1)
    assert parse_date("a week on Friday", today=thursday) == date(2026, 12, 4)
    assert parse_date("in a fortnight", today=thursday) == date(2026, 12, 10)
    assert parse_date("tomorrow", today=thursday) == date(2026, 11, 27)
    assert parse_date("3 months ago", today=thursday, prefer_past=True) == date(2026, 8, 26)
    assert parse_date("last Monday", today=thursday) == date(2026, 11, 23)
    assert parse_date("Tuesday 1 December", today=thursday) == date(2026, 12, 1)  # the date itself wins
    assert parse_date("in a few weeks", today=thursday) is None  # too vague to put in a diary


def test_a_day_and_month_without_a_year():
    thursday = date(2026, 11, 26)
    assert parse_date("5/1", today=thursday, prefer_past=True) == date(2026, 1, 5)  # a start: this January
    assert parse_date("5/1", today=thursday, prefer_future=True) == date(2027, 1, 5)  # a supervision: next
    assert parse_date("26/11", today=thursday, after_today=True) == date(2027, 11, 26)  # today is not after today
    assert parse_date("29 February", today=thursday, after_today=True) == date(2028, 2, 29)
    assert parse_date("2026-11-26", today=thursday, after_today=True) is None
    assert parse_date("31/2", today=thursday) is None


@PROPS
@given(st.text(max_size=40), dates)
def test_a_date_after_today_is_after_today(text, today):
    out = parse_date(text, today=today, after_today=True)
    assert out is None or out > today


def test_dates_from_the_review():
    thursday = date(2026, 11, 26)
    assert parse_date("since January 2024, part time 3/5 days", today=thursday, prefer_past=True) == date(2024, 1, 1)
    assert parse_date("sometime later this month", today=thursday, prefer_future=True) is None  # not the 1st
    assert parse_date("last month", today=thursday, prefer_past=True) == date(2026, 10, 1)
    assert parse_date("05.01", today=thursday, after_today=True) == date(2027, 1, 5)
    assert parse_date("1.5", today=thursday) is None  # a number, not a date
