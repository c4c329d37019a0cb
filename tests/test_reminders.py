"""Tests for bot.reminders: send windows, what is due, exactly-once passes, retries, digests and snooze parsing."""

from __future__ import annotations

import io
import threading
import time as systime
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.conversation import DeliveryError
from bot.notifiers import ConsoleNotifier, LogNotifier
from bot.reminders import (
    DIGEST,
    ELIGIBLE,
    HEADS_UP,
    SUPERVISION,
    Policy,
    ReminderService,
    Scheduler,
    bank_holiday,
    blocked_reason,
    compose_reply,
    digest_key,
    due_reminders,
    holiday_subdiv,
    next_send_window,
    parse_snooze,
    reminder_plan,
)
from bot.storage.base import LedgerEntry, Person, ReminderPrefs
from tests.fakes import FakeStore, FixedClock, RecordingNotifier, small_knowledge

K = small_knowledge()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def person(pid: str, level: str | None = None, since: date | None = None, **kw) -> Person:
    kw.setdefault("slack_user_id", f"U{pid}")
    kw.setdefault("display_name", pid.capitalize())
    return Person(id=pid, level_code=level, level_since=since, **kw)


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    """The same service tests on the in-memory fake, on SQLite and (when reachable) on PostgreSQL."""
    if request.param == "fake":
        yield FakeStore()
        return
    from bot.storage import open_store

    if request.param == "sqlite":
        s = open_store("sqlite:///" + str(tmp_path / "s.db"))
        s.migrate()
        yield s
        s.close()
        return
    from tests.storage_fixtures import _pg_schema  # skips (or fails under CI) when PostgreSQL is unreachable

    with _pg_schema() as url:
        s = open_store(url)
        yield s
        s.close()


def service(store, *notifiers, owner: str = "test-owner", now: datetime | None = None, **kw) -> ReminderService:
    return ReminderService(store, K, list(notifiers) or [RecordingNotifier()], owner=owner,
                           clock=FixedClock(now or utc(2026, 3, 9, 9)), **kw)


# -- policy: working hours, clock changes, weekends, bank holidays ---------------------------------------

def test_summer_0830_utc_is_inside_hours_and_winter_is_not() -> None:
    p = person("ana")
    assert blocked_reason(utc(2025, 7, 1, 8, 30), p) is None  # 09:30 BST
    assert blocked_reason(utc(2025, 12, 2, 8, 30), p) == "outside working hours"  # 08:30 GMT
    assert blocked_reason(utc(2025, 12, 2, 9, 0), p) is None
    assert blocked_reason(utc(2025, 7, 1, 16, 0), p) == "outside working hours"  # 17:00 BST: end is exclusive
    assert blocked_reason(utc(2025, 12, 2, 16, 59), p) is None


def test_next_send_window_across_clock_changes() -> None:
    p = person("ana")
    # Friday evening before the clocks go back: next is Monday 09:00 GMT.
    assert next_send_window(utc(2025, 10, 24, 16, 30), p) == utc(2025, 10, 27, 9)
    # Friday evening before the clocks go forward: next is Monday 09:00 BST = 08:00 UTC.
    assert next_send_window(utc(2026, 3, 27, 18), p) == utc(2026, 3, 30, 8)
    # Inside the window: now.
    assert next_send_window(utc(2025, 7, 1, 10), p) == utc(2025, 7, 1, 10)
    # Before hours on a working day: that morning.
    assert next_send_window(utc(2025, 12, 2, 7), p) == utc(2025, 12, 2, 9)


def test_other_time_zone_and_hours() -> None:
    p = person("zed", timezone="America/New_York", prefs=ReminderPrefs(working_hours=(10, 16)))
    assert blocked_reason(utc(2025, 12, 2, 14, 30), p) == "outside working hours"  # 09:30 in New York
    assert blocked_reason(utc(2025, 12, 2, 15, 30), p) is None  # 10:30 in New York
    assert next_send_window(utc(2025, 12, 2, 12), p) == utc(2025, 12, 2, 15)


def test_weekends() -> None:
    p = person("ana")
    assert blocked_reason(utc(2026, 3, 7, 10), p) == "weekend"
    assert next_send_window(utc(2026, 3, 7, 10), p) == utc(2026, 3, 9, 9)


def test_holiday_regions_map_to_the_right_subdivisions() -> None:
    assert holiday_subdiv("england-and-wales") == "ENG"
    assert holiday_subdiv("scotland") == "SCT"
    assert holiday_subdiv("northern-ireland") == "NIR"
    assert holiday_subdiv("wales") == "WLS"
    assert holiday_subdiv("narnia") == "ENG"


def test_bank_holidays_per_nation() -> None:
    ew, sc, ni = "england-and-wales", "scotland", "northern-ireland"
    assert bank_holiday(date(2025, 4, 21), region=ew)  # Easter Monday
    assert bank_holiday(date(2025, 4, 21), region=sc) is None  # not a Scottish bank holiday
    assert bank_holiday(date(2026, 11, 30), region=sc)  # St Andrew's Day
    assert bank_holiday(date(2026, 11, 30), region=ew) is None
    assert bank_holiday(date(2025, 12, 1), region=sc)  # St Andrew's Day fell on a Sunday: substitute
    assert bank_holiday(date(2026, 1, 2), region=sc)
    assert bank_holiday(date(2026, 1, 2), region=ew) is None
    assert bank_holiday(date(2026, 3, 17), region=ni)  # St Patrick's Day
    assert bank_holiday(date(2026, 3, 17), region=ew) is None
    assert bank_holiday(date(2025, 7, 14), region=ni)  # 12 July fell on a Saturday
    assert bank_holiday(date(2026, 7, 13), region=ni)
    assert bank_holiday(date(2026, 7, 13), region=ew) is None


def test_bank_holidays_block_sends() -> None:
    eng, sco = person("ana"), person("sam", holiday_region="scotland")
    good_friday = utc(2025, 4, 18, 10)
    assert blocked_reason(good_friday, eng).startswith("bank holiday")
    assert next_send_window(good_friday, eng) == utc(2025, 4, 22, 8)  # after Easter Monday, 09:00 BST
    assert next_send_window(good_friday, sco) == utc(2025, 4, 21, 8)  # Easter Monday is a working day
    assert blocked_reason(utc(2025, 12, 1, 10), sco).startswith("bank holiday")
    assert blocked_reason(utc(2025, 12, 1, 10), eng) is None
    assert blocked_reason(utc(2026, 1, 2, 10), sco).startswith("bank holiday")
    assert blocked_reason(utc(2026, 1, 2, 10), eng) is None


def test_snooze_and_opt_out_in_the_window() -> None:
    p = person("ana", prefs=ReminderPrefs(snoozed_until=date(2026, 3, 20)))
    assert blocked_reason(utc(2026, 3, 10, 10), p) == "snoozed until 20 March 2026"
    assert next_send_window(utc(2026, 3, 10, 10), p) == utc(2026, 3, 20, 9)
    assert blocked_reason(utc(2026, 3, 20, 9), p) is None
    q = person("bob", prefs=ReminderPrefs(opted_out=True))
    assert blocked_reason(utc(2026, 3, 10, 10), q) == "opted out of reminders"
    assert next_send_window(utc(2026, 3, 10, 10), q) is None


# -- what is due --------------------------------------------------------------------------------------------

def test_heads_up_and_eligible_are_due_at_the_right_times() -> None:
    ana = person("ana", "SW2A", date(2024, 3, 7))  # earliest 7 March 2026 (a Saturday)
    before = due_reminders([ana], knowledge=K, now=utc(2026, 1, 9, 12))
    assert before == []
    heads = due_reminders([ana], knowledge=K, now=utc(2026, 1, 12, 9))
    assert [m.key for _, m in heads] == ["ana|SW2A->SW2B|heads_up|2026-01-10"]
    assert heads[0][1].payload["evidence"]
    on = due_reminders([ana], knowledge=K, now=utc(2026, 3, 7, 10))
    assert [m.key for _, m in on] == ["ana|SW2A->SW2B|eligible|2026-03-07"]
    # Still due (same key) until sent; after six months the manager's digest takes over.
    assert [m.key for _, m in due_reminders([ana], knowledge=K, now=utc(2026, 9, 6, 10))] == [on[0][1].key]
    assert due_reminders([ana], knowledge=K, now=utc(2026, 9, 7, 10)) == []


def test_nothing_due_without_rules_level_or_date() -> None:
    people = [person("a", "SCOA", date(2020, 1, 1)), person("b", "SW2C", date(2020, 1, 1)),
              person("c", "KR9", date(2020, 1, 1)), person("d", "SW2A", None), person("e", "SW9Z", date(2020, 1, 1))]
    assert due_reminders(people, knowledge=K, now=utc(2026, 3, 9, 9)) == []


def test_supervision_reminder_is_due_before_the_meeting() -> None:
    p = person("ana", prefs=ReminderPrefs(next_supervision=date(2026, 3, 12), supervision_reminder_days=3))
    assert due_reminders([p], knowledge=K, now=utc(2026, 3, 8, 9)) == []
    due = due_reminders([p], knowledge=K, now=utc(2026, 3, 9, 9))
    assert [(m.kind, m.due) for _, m in due] == [(SUPERVISION, date(2026, 3, 9))]
    assert due_reminders([p], knowledge=K, now=utc(2026, 3, 13, 9)) == []


# -- composing ---------------------------------------------------------------------------------------------

def test_heads_up_message_is_respectful_and_cited() -> None:
    ana = person("ana", "SW2A", date(2024, 3, 7))
    [(_, msg)] = due_reminders([ana], knowledge=K, now=utc(2026, 1, 12, 9))
    reply = compose_reply(msg)
    text = reply.plain_text()
    assert "Heads-up: you could be eligible to put yourself forward for SW2B from 7 March 2026" in text
    assert "The framework asks for this evidence" in text
    assert "Minimum of 24 months experience at Level SW2A" in text
    assert any("document 003" in s for s in reply.sources)
    assert "snooze" in text and "stop reminders" in text
    assert "not a promotion" in text
    assert reply.meta["reminder_key"] == msg.key
    assert "It is unclear whether briefing sessions count." in text  # the source's note travels with the item


def test_eligible_message_never_claims_a_promotion() -> None:
    ana = person("ana", "SW2A", date(2024, 3, 7))
    [(_, msg)] = due_reminders([ana], knowledge=K, now=utc(2026, 3, 9, 9))
    text = compose_reply(msg).plain_text()
    assert "you can put yourself forward for SW2B" in text
    assert "promoted" not in text.lower()


# -- passes --------------------------------------------------------------------------------------------------

def test_eligible_on_saturday_is_sent_on_monday_with_the_same_key(store) -> None:
    store.upsert_person(person("ana", "SW2A", date(2024, 3, 7)))
    slack = RecordingNotifier()
    svc = service(store, slack)
    saturday = svc.run_pass(utc(2026, 3, 7, 10))
    assert saturday.sent == 0 and saturday.skipped == 1
    monday = svc.run_pass(utc(2026, 3, 9, 9))
    assert monday.sent == 1 and slack.keys == ["ana|SW2A->SW2B|eligible|2026-03-07"]
    again = svc.run_pass(utc(2026, 3, 9, 10))
    assert again.sent == 0 and again.claimed == 0
    assert len(slack.sent) == 1


def test_clock_change_in_a_pass(store) -> None:
    store.upsert_people([person("ben", "SW3A", date(2024, 7, 1)), person("cat", "SW3A", date(2024, 12, 2))])
    slack = RecordingNotifier()
    svc = service(store, slack)
    assert svc.run_pass(utc(2025, 7, 1, 8, 30)).sent == 1  # 09:30 BST
    assert svc.run_pass(utc(2025, 12, 2, 8, 30)).sent == 0  # 08:30 GMT
    assert svc.run_pass(utc(2025, 12, 2, 9, 0)).sent == 1
    assert sorted(slack.keys) == ["ben|SW3A->SW3B|eligible|2025-07-01", "cat|SW3A->SW3B|eligible|2025-12-02"]


def test_bank_holiday_in_a_pass(store) -> None:
    store.upsert_people([person("eng", "SW3A", date(2025, 4, 21)),
                         person("sco", "SW3A", date(2025, 4, 21), holiday_region="scotland")])
    slack = RecordingNotifier()
    svc = service(store, slack)
    svc.run_pass(utc(2026, 4, 6, 9))  # Easter Monday 2026, 10:00 BST
    assert [k.split("|")[0] for k in slack.keys] == ["sco"]
    svc.run_pass(utc(2026, 4, 7, 9))
    assert sorted(k.split("|")[0] for k in slack.keys) == ["eng", "sco"]


def test_snooze_opt_out_and_opt_in(store) -> None:
    ana = person("ana", "SW2A", date(2024, 3, 7), prefs=ReminderPrefs(snoozed_until=date(2026, 3, 20)))
    bob = person("bob", "SW2A", date(2024, 3, 7), prefs=ReminderPrefs(opted_out=True))
    store.upsert_people([ana, bob])
    slack = RecordingNotifier()
    svc = service(store, slack)
    assert svc.run_pass(utc(2026, 3, 9, 9)).sent == 0
    assert svc.run_pass(utc(2026, 3, 20, 9)).sent == 1 and slack.keys[0].startswith("ana|")
    bob.prefs.opted_out = False
    store.upsert_person(bob)
    assert svc.run_pass(utc(2026, 3, 20, 10)).sent == 1 and slack.keys[1].startswith("bob|")
    assert svc.run_pass(utc(2026, 3, 23, 10)).sent == 0


def test_weekly_cap(store) -> None:
    prefs = ReminderPrefs(weekly_cap=1, next_supervision=date(2026, 3, 20), supervision_reminder_days=14)
    store.upsert_person(person("ana", "SW2A", date(2024, 3, 7), prefs=prefs))
    slack = RecordingNotifier()
    svc = service(store, slack)
    first = svc.run_pass(utc(2026, 3, 9, 9))
    assert first.sent == 1 and slack.sent[0][1].meta["kind"] == ELIGIBLE  # the most time-sensitive first
    assert svc.run_pass(utc(2026, 3, 12, 9)).sent == 0
    plans = {p.kind: p for p in svc.dry_run(utc(2026, 3, 12, 9))}
    assert plans[SUPERVISION].action == "wait" and "weekly cap" in plans[SUPERVISION].reason
    assert plans[ELIGIBLE].action == "done"
    assert svc.run_pass(utc(2026, 3, 16, 9, 0)).sent == 0  # exactly 7 days: still inside the window
    assert svc.run_pass(utc(2026, 3, 16, 9, 1)).sent == 1
    assert [r.meta["kind"] for _, r in slack.sent] == [ELIGIBLE, SUPERVISION]


def test_restart_between_claim_and_send(store) -> None:
    store.upsert_person(person("ana", "SW2A", date(2024, 3, 7)))
    now = utc(2026, 3, 9, 9)
    [(_, msg)] = due_reminders(store.list_people(), knowledge=K, now=now)
    # A process claimed it and died before sending.
    assert store.claim_reminder(msg.ledger_entry(), owner="crashed", lease_seconds=120, now=now)
    slack = RecordingNotifier()
    fresh = service(store, slack, owner="fresh")
    assert fresh.run_pass(now + timedelta(seconds=60)).sent == 0  # the lease still holds
    plans = fresh.dry_run(now + timedelta(seconds=60))
    assert plans[0].action == "wait" and "crashed" in plans[0].reason
    report = fresh.run_pass(now + timedelta(seconds=121))
    assert report.sent == 1 and slack.keys == [msg.key]
    assert fresh.run_pass(now + timedelta(seconds=200)).sent == 0
    [entry] = store.ledger(person_id="ana")
    assert entry.status == "sent" and entry.attempts == 2 and entry.claimed_by == "fresh"


def test_retries_with_backoff_then_give_up(store) -> None:
    store.upsert_person(person("ana", "SW2A", date(2024, 3, 7)))
    slack = RecordingNotifier(errors=[DeliveryError(f"timeout {i}") for i in range(6)])
    svc = service(store, slack)
    t = utc(2026, 3, 9, 9)
    for minutes in (1, 5, 30, 120, 120):
        report = svc.run_pass(t)
        assert report.failed == 1 and report.retried == 1 and report.sent == 0
        [entry] = store.ledger(person_id="ana")
        assert entry.status == "failed" and entry.next_attempt_at == t + timedelta(minutes=minutes)
        assert svc.run_pass(t + timedelta(minutes=minutes) - timedelta(seconds=1)).claimed == 0
        t += timedelta(minutes=minutes)
    last = svc.run_pass(t)
    assert last.failed == 1 and last.dead == 1
    [entry] = store.ledger(person_id="ana")
    assert entry.status == "dead" and entry.attempts == 6 and "timeout 5" in entry.last_error
    assert svc.run_pass(t + timedelta(hours=1)).claimed == 0
    assert slack.sent == []
    assert any(p.action == "done" and "given up" in p.reason for p in svc.dry_run(t + timedelta(hours=1)))


def test_retry_then_success_and_retry_after(store) -> None:
    store.upsert_person(person("ana", "SW2A", date(2024, 3, 7)))
    slack = RecordingNotifier(errors=[DeliveryError("rate limited", retry_after=600)])
    svc = service(store, slack)
    t = utc(2026, 3, 9, 9)
    svc.run_pass(t)
    [entry] = store.ledger(person_id="ana")
    assert entry.next_attempt_at == t + timedelta(minutes=10)  # the channel's Retry-After beats 1 minute
    assert svc.run_pass(t + timedelta(minutes=10)).sent == 1
    assert svc.run_pass(t + timedelta(minutes=20)).sent == 0
    assert len(slack.sent) == 1


def test_unreachable_person(store) -> None:
    store.upsert_person(person("ana", "SW2A", date(2024, 3, 7), teams_user_id="29:ana"))
    slack = RecordingNotifier("slack", errors=[DeliveryError("account_inactive", retryable=False)])
    teams = RecordingNotifier("teams")
    svc = service(store, slack, teams)
    report = svc.run_pass(utc(2026, 3, 9, 9))
    assert report.dead == 1 and report.sent == 0
    stored = store.get_person("ana")
    assert stored.unreachable == {"slack": "account_inactive"}
    assert svc.notifier_for(stored).name == "teams"
    [entry] = store.ledger(person_id="ana")
    assert entry.status == "dead"
    assert svc.run_pass(utc(2026, 3, 9, 10)).claimed == 0  # never sent twice, even on another channel
    only_slack = service(store, RecordingNotifier("slack"))
    assert only_slack.notifier_for(stored) is None


def test_channel_choice(store) -> None:
    svc = service(store, RecordingNotifier("teams"), RecordingNotifier("slack"), LogNotifier())
    assert svc.notifier_for(person("a")).name == "slack"
    assert svc.notifier_for(person("a", slack_user_id=None, teams_user_id="29:a")).name == "teams"
    assert svc.notifier_for(person("a", slack_user_id=None)).name == "log"


def test_the_digest_says_why_someone_is_in_none_of_its_lists(store) -> None:
    store.upsert_people([
        person("mo", "SW4A", date(2025, 10, 1), display_name="Mo"),
        person("a1", "SW2A", date(2024, 4, 1), manager_id="mo", display_name="Aisha"),  # eligible 1 Apr 2026
        person("s1", "SCO 4A", date(2025, 1, 1), manager_id="mo", display_name="Sol"),
        person("t1", "SW3C", date(2025, 1, 1), manager_id="mo", display_name="Tam"),
    ])
    slack = RecordingNotifier()
    service(store, slack).run_pass(utc(2026, 3, 9, 9))
    [digest] = [r for pid, r in slack.sent if r.meta["kind"] == DIGEST]
    others = next(b for b in digest.blocks if b.title == "Not in these lists").bullets
    assert others == ["Sol (SCO 4A): the framework sets no minimum time before SCO 4B",
                      "Tam (SW3C): the top level of the role"]


def test_the_digest_carries_the_notes_on_its_dates(store) -> None:
    # a report eligible for SW3C by Medway's 18 months: document 001 says 12; the staff member is told, so is the
    # manager. Notes on someone in none of the lists are not shown
    store.upsert_people([
        person("mo", "SW4A", date(2025, 10, 1), display_name="Mo"),
        person("r1", "SW3B", date(2024, 6, 1), manager_id="mo", display_name="Raj"),  # 18 months: 1 Dec 2025
        person("d1", "SW2B", date(2026, 2, 1), manager_id="mo", display_name="Dev"),  # 6-12 months, not yet due
    ])
    slack = RecordingNotifier()
    service(store, slack).run_pass(utc(2026, 3, 9, 9))
    [digest] = [r for pid, r in slack.sent if r.meta["kind"] == DIGEST]
    assert any("The sources differ on the minimum time at SW3B before SW3C" in n for n in digest.notes)
    assert not any("check with your manager" in n for n in digest.notes)  # said to the manager: "check with HR"
    assert not any("range" in n for n in digest.notes)  # Dev's 6-12 months: Dev is in no list


def test_manager_digest(store) -> None:
    store.upsert_people([
        person("mo", "SW4A", date(2025, 10, 1), display_name="Mo"),
        person("a1", "SW2A", date(2024, 4, 1), manager_id="mo", display_name="Aisha"),  # eligible 1 Apr 2026
        person("a2", "SW3A", date(2025, 2, 1), manager_id="mo", display_name="Bryn"),  # eligible since 1 Feb 2026
        person("a3", "SW2B", date(2024, 6, 1), manager_id="mo", display_name="Cara"),  # since 1 Dec 2024
        person("a4", "SW2A", date(2025, 9, 1), manager_id="mo", display_name="Dev"),  # not until 2027
        person("a5", manager_id="mo", display_name="Eve"),
        person("nia", display_name="Nia"),
        person("b1", "SW3A", date(2025, 3, 1), manager_id="nia", display_name="Fin"),
        person("oli", display_name="Oli"),
        person("c1", "SW2A", date(2025, 9, 1), manager_id="oli", display_name="Gus"),
    ])
    slack = RecordingNotifier()
    svc = service(store, slack)
    svc.run_pass(utc(2026, 3, 9, 9))
    digests = {pid: r for pid, r in slack.sent if r.meta["kind"] == DIGEST}
    assert set(digests) == {"mo", "nia"}  # Oli has nothing to hear about: no message at all
    assert digests["mo"].meta["reminder_key"] == "mo|digest|week|2026-W11" == digest_key("mo", date(2026, 3, 11))
    mo = digests["mo"].plain_text()
    assert "Aisha: SW2A to SW2B from 1 April 2026" in mo
    assert "Bryn: could put themselves forward for SW3B since 1 February 2026" in mo
    assert "Cara: SW2B, could have put themselves forward for SW2C since 1 December 2024" in mo
    titles = [b.title for b in digests["mo"].blocks]
    assert titles[:3] == ["Could become eligible in the next 8 weeks", "Eligible now",
                          "Eligible for more than 6 months with no change of level"]
    for other in ("Dev", "Fin", "Gus"):  # Dev is not due for a while; Fin and Gus are other managers' reports
        assert other not in mo
    # Eve has no level on record, so no list can hold her: the manager is told why, to put it right
    assert titles[3] == "Not in these lists" and "Eve: level or start date not recorded" in mo
    assert "Fin" in digests["nia"].plain_text() and "Aisha" not in digests["nia"].plain_text()
    assert "not a promotion" in mo
    # Reports hear about their own milestones; Cara's is too old for a personal reminder.
    personal = sorted((pid, r.meta["kind"]) for pid, r in slack.sent if r.meta["kind"] != DIGEST)
    assert personal == [("a1", HEADS_UP), ("a2", ELIGIBLE), ("b1", ELIGIBLE)]
    # One digest per manager per week.
    svc.run_pass(utc(2026, 3, 9, 14))
    svc.run_pass(utc(2026, 3, 10, 9))
    assert sum(1 for _, r in slack.sent if r.meta["kind"] == DIGEST) == 2
    svc.run_pass(utc(2026, 3, 16, 9))
    keys = [r.meta["reminder_key"] for pid, r in slack.sent if pid == "mo"]
    assert keys == ["mo|digest|week|2026-W11", "mo|digest|week|2026-W12"]


def test_digest_waits_for_the_first_working_moment_of_the_week(store) -> None:
    store.upsert_people([person("mo"), person("a2", "SW3A", date(2025, 2, 1), manager_id="mo")])
    slack = RecordingNotifier()
    svc = service(store, slack)
    svc.run_pass(utc(2026, 4, 6, 9))  # Easter Monday
    assert not [1 for pid, _ in slack.sent if pid == "mo"]
    svc.run_pass(utc(2026, 4, 7, 8))  # Tuesday 09:00 BST
    assert [r.meta["reminder_key"] for pid, r in slack.sent if pid == "mo"] == ["mo|digest|week|2026-W15"]


def test_dry_run_explains_and_changes_nothing() -> None:
    store = FakeStore()
    store.upsert_people([
        person("ana", "SW2A", date(2024, 3, 7)),
        person("bob", "SW2A", date(2024, 3, 7), prefs=ReminderPrefs(opted_out=True)),
        person("cy", "SW2A", date(2024, 3, 7), prefs=ReminderPrefs(snoozed_until=date(2026, 4, 1))),
        person("di", "SW2A", date(2024, 3, 7), holiday_region="scotland"),
    ])
    svc = service(store, RecordingNotifier())
    plans = {p.person_id: p for p in svc.dry_run(utc(2026, 3, 9, 9))}
    assert plans["ana"].action == "send"
    assert (plans["bob"].action, plans["bob"].reason) == ("skip", "opted out of reminders")
    assert plans["cy"].action == "wait" and plans["cy"].send_at == utc(2026, 4, 1, 8)
    assert "snoozed until 1 April 2026" in plans["cy"].reason
    quiet = {p.person_id: p for p in svc.dry_run(utc(2026, 3, 9, 7))}
    assert quiet["ana"].reason == "outside working hours" and quiet["ana"].send_at == utc(2026, 3, 9, 9)
    assert store.claim_calls == 0 and store.ledger() == []
    svc.run_pass(utc(2026, 3, 9, 9))
    after = {p.person_id: p for p in svc.dry_run(utc(2026, 3, 9, 10))}
    assert after["ana"].action == "done" and "already sent" in after["ana"].reason
    assert "ana" in after["ana"].describe()


def test_two_services_send_each_key_exactly_once(store) -> None:
    people = [person(f"p{i:02d}", "SW3A", date(2025, 1, 1) + timedelta(days=i)) for i in range(20)]
    store.upsert_people(people)
    a, b = RecordingNotifier(), RecordingNotifier()
    svcs = [service(store, a, owner="replica-a"), service(store, b, owner="replica-b")]
    for minute in range(3):
        now = utc(2026, 3, 9, 9, minute)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(svc: ReminderService, now: datetime = now, barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait()
                svc.run_pass(now)
            except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(s,)) for s in svcs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors
    keys = a.keys + b.keys
    assert len(keys) == len(set(keys)) == 20
    assert {e.status for e in store.ledger()} == {"sent"}


def test_scheduler_runs_passes_and_releases_claims_on_stop(store) -> None:
    store.upsert_people([person("ana", "SW2A", date(2024, 3, 7)), person("bob", "SW2A", date(2024, 3, 7))])
    slack = RecordingNotifier()
    svc = service(store, slack, owner="sched")
    # A claim this owner holds but has not sent (as if stopped mid-pass) is given back on stop.
    pending = LedgerEntry(key="bob|manual|eligible|2026-03-07", person_id="bob", kind=ELIGIBLE,
                          due=date(2026, 3, 7), payload={}, status="claimed")
    assert store.claim_reminder(pending, owner="sched", lease_seconds=120, now=utc(2026, 3, 9, 9))
    sched = Scheduler(svc, interval_seconds=0.02)
    sched.start()
    deadline = systime.monotonic() + 5
    while len(slack.sent) < 2 and systime.monotonic() < deadline:
        systime.sleep(0.01)
    systime.sleep(0.1)  # a few more passes: still nothing sent twice
    sched.stop()
    assert sorted(slack.keys) == ["ana|SW2A->SW2B|eligible|2026-03-07", "bob|SW2A->SW2B|eligible|2026-03-07"]
    released = [e for e in store.ledger(person_id="bob") if e.key == pending.key]
    assert released[0].status == "failed"


def test_console_notifier_prints_plain_text() -> None:
    stream = io.StringIO()
    store = FakeStore()
    store.upsert_person(person("ana", "SW2A", date(2024, 3, 7), slack_user_id=None, display_name="Ana"))
    svc = service(store, ConsoleNotifier(stream=stream))
    assert svc.run_pass(utc(2026, 3, 9, 9)).sent == 1
    out = stream.getvalue()
    assert out.startswith("--- To Ana ---") and "put yourself forward for SW2B" in out


def test_policy_is_configurable() -> None:
    store = FakeStore()
    store.upsert_people([person("mo"), person("a2", "SW3A", date(2025, 2, 1), manager_id="mo")])
    slack = RecordingNotifier()
    svc = service(store, slack, policy=Policy(digest_weekday=2))
    svc.run_pass(utc(2026, 3, 9, 9))
    assert not [1 for pid, _ in slack.sent if pid == "mo"]
    svc.run_pass(utc(2026, 3, 11, 9))
    assert [pid for pid, _ in slack.sent].count("mo") == 1


# -- snooze from chat ------------------------------------------------------------------------------------

TODAY = date(2025, 11, 10)  # a Monday


@pytest.mark.parametrize(("text", "expected"), [
    ("snooze until 5 January", date(2026, 1, 5)),
    ("Snooze until 5th Jan", date(2026, 1, 5)),
    ("snooze until January 5th", date(2026, 1, 5)),
    ("snooze 2026-01-05", date(2026, 1, 5)),
    ("snooze until 5/1", date(2026, 1, 5)),  # day-month order
    ("snooze until 05/01/2026", date(2026, 1, 5)),
    ("snooze until 20 November", date(2025, 11, 20)),
    ("snooze until 10 November", date(2026, 11, 10)),  # today: the next one
    ("snooze until 29 February", date(2028, 2, 29)),
    ("snooze until 5 January 2027", date(2027, 1, 5)),
    ("snooze for 2 weeks", date(2025, 11, 24)),
    ("snooze for two weeks", date(2025, 11, 24)),
    ("snooze for a week", date(2025, 11, 17)),
    ("snooze for 10 days", date(2025, 11, 20)),
    ("snooze for a month", date(2025, 12, 10)),
    ("snooze next month", date(2025, 12, 10)),
    ("snooze for a fortnight", date(2025, 11, 24)),
    ("snooze until tomorrow", date(2025, 11, 11)),
    ("snooze until monday", date(2025, 11, 17)),
    ("snooze until Friday", date(2025, 11, 14)),
    ("snooze until Christmas", date(2025, 12, 25)),
    ("snooze till after Christmas", date(2025, 12, 27)),
    ("snooze until the new year", date(2026, 1, 1)),
    ("snooze until after the new year", date(2026, 1, 2)),
    ("snooze until January", date(2026, 1, 1)),  # a month alone: its 1st
    ("snooze until November", date(2026, 11, 1)),  # this month has begun: next year's
    ("snooze 2025-01-05", None),  # in the past
    ("snooze until 31 June", None),
    ("snooze please", None),
])
def test_parse_snooze(text: str, expected: date | None) -> None:
    assert parse_snooze(text, TODAY) == expected


def test_parse_snooze_month_end() -> None:
    assert parse_snooze("snooze for 1 month", date(2026, 1, 31)) == date(2026, 2, 28)


def test_range_messages_say_which_end_is_used() -> None:
    bryn = person("bryn", "SW2B", date(2025, 8, 31))  # 6-12 months: eligible from 28 February 2026
    [(_, heads)] = due_reminders([bryn], knowledge=K, now=utc(2026, 1, 5, 9))
    assert "from 28 February 2026" in compose_reply(heads).plain_text()
    assert "lower end of the range (6 months)" in compose_reply(heads).plain_text()
    [(_, on)] = due_reminders([bryn], knowledge=K, now=utc(2026, 3, 2, 9))
    text = compose_reply(on).plain_text()
    assert "you have completed 6 months at SW2B, the lower end of the 6-12 months" in text


def test_a_store_error_for_one_person_does_not_stop_the_pass() -> None:
    class Flaky(FakeStore):
        def claim_reminder(self, entry, **kw):
            if entry.person_id == "ana":
                from bot.storage.base import StoreError

                raise StoreError("person gone")
            return super().claim_reminder(entry, **kw)

    store = Flaky()
    store.upsert_people([person("ana", "SW2A", date(2024, 3, 7)), person("bob", "SW2A", date(2024, 3, 7))])
    slack = RecordingNotifier()
    report = service(store, slack).run_pass(utc(2026, 3, 9, 9))
    assert report.errors == 1 and report.sent == 1 and slack.keys[0].startswith("bob|")


@pytest.mark.parametrize("who", [
    person("ana", "SW2A", date(2024, 3, 7)),
    person("ben", "SW3B", date(2026, 1, 31), prefs=ReminderPrefs(next_supervision=date(2026, 3, 12),
                                                                  supervision_reminder_days=3)),
    person("cat", "SW2B", date(2025, 12, 15), prefs=ReminderPrefs(heads_up_weeks=0)),
])
def test_the_plan_people_are_shown_is_what_the_scheduler_sends(who) -> None:
    """'When's my next reminder?' must not promise what the scheduler will not do: on each planned day the
    scheduler has exactly that reminder due, under the same ledger key, and not the day before."""
    today = date(2026, 1, 2)
    plan = reminder_plan(K, who, today)
    assert plan and plan == sorted(plan, key=lambda p: p.due)
    for planned in plan:
        on_the_day = due_reminders([who], knowledge=K, now=utc(*planned.due.timetuple()[:3], 12))
        assert planned.key in [m.key for _, m in on_the_day]
        day_before = planned.due - timedelta(days=1)
        if day_before >= today:
            before = due_reminders([who], knowledge=K, now=utc(*day_before.timetuple()[:3], 12))
            assert planned.key not in [m.key for _, m in before]
    if who.id == "cat":  # heads-up turned off: only the day itself
        assert [p.kind for p in plan] == [ELIGIBLE]
