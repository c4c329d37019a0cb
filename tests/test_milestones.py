"""Tests for bot.milestones: calendar arithmetic and the time-in-level assessment."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.milestones import (
    UnknownLevel,
    add_months,
    assess,
    format_date,
    months_between,
    split_level_code,
)
from tests.fakes import small_knowledge

K = small_knowledge()


# -- add_months / months_between ---------------------------------------------------------------------

@pytest.mark.parametrize(("start", "n", "expected"), [
    (date(2025, 8, 31), 6, date(2026, 2, 28)),
    (date(2023, 8, 31), 6, date(2024, 2, 29)),  # leap year
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2025, 3, 31), 1, date(2025, 4, 30)),
    (date(2025, 3, 15), 24, date(2027, 3, 15)),
    (date(2025, 11, 30), 3, date(2026, 2, 28)),
    (date(2025, 12, 1), 1, date(2026, 1, 1)),
    (date(2025, 3, 31), -1, date(2025, 2, 28)),
    (date(2025, 5, 10), 0, date(2025, 5, 10)),
])
def test_add_months(start: date, n: int, expected: date) -> None:
    assert add_months(start, n) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    (date(2025, 8, 31), date(2026, 2, 27), 5),
    (date(2025, 8, 31), date(2026, 2, 28), 6),  # the clamped boundary day counts
    (date(2024, 2, 29), date(2025, 2, 27), 11),
    (date(2024, 2, 29), date(2025, 2, 28), 12),
    (date(2024, 3, 1), date(2026, 2, 28), 23),
    (date(2024, 3, 1), date(2026, 3, 1), 24),
    (date(2025, 1, 31), date(2025, 2, 28), 1),
    (date(2025, 1, 31), date(2025, 3, 30), 1),
    (date(2025, 1, 31), date(2025, 3, 31), 2),
    (date(2025, 5, 10), date(2025, 5, 10), 0),
    (date(2025, 5, 10), date(2025, 4, 10), -1),
])
def test_months_between(a: date, b: date, expected: int) -> None:
    assert months_between(a, b) == expected


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)), st.integers(min_value=0, max_value=600))
def test_months_between_is_consistent_with_add_months(start: date, n: int) -> None:
    boundary = add_months(start, n)
    assert months_between(start, boundary) >= n  # eligible on the boundary day itself
    if n > 0:
        assert months_between(start, boundary - timedelta(days=1)) < n  # and not the day before


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)),
       st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_months_between_is_the_largest_whole_month(a: date, b: date) -> None:
    n = months_between(a, b)
    assert add_months(a, n) <= b < add_months(a, n + 1)


def test_format_date_is_uk_order() -> None:
    assert format_date(date(2025, 3, 1)) == "1 March 2025"


# -- assess --------------------------------------------------------------------------------------------

def test_boundary_day_is_eligible_and_the_day_before_is_not() -> None:
    since = date(2024, 3, 1)
    before = assess(K, level_code="SW2A", since=since, today=date(2026, 2, 28))
    on = assess(K, level_code="SW2A", since=since, today=date(2026, 3, 1))
    assert before.eligible is False and before.months_in_level == 23
    assert on.eligible is True and on.months_in_level == 24
    assert on.earliest_eligible_date == before.earliest_eligible_date == date(2026, 3, 1)
    assert on.next_level == "SW2B"
    assert on.rule is not None and on.rule.min_months == 24 and on.rule.document_id == "003"


def test_29_february_start() -> None:
    r = assess(K, level_code="SW2B", since=date(2024, 2, 29), today=date(2024, 8, 28))
    assert r.earliest_eligible_date == date(2024, 8, 29)
    assert r.eligible is False
    r = assess(K, level_code="SW3A", since=date(2024, 2, 29), today=date(2025, 2, 28))
    assert r.earliest_eligible_date == date(2025, 2, 28)  # non-leap year: clamped
    assert r.eligible is True and r.months_in_level == 12


def test_month_end_start_clamps() -> None:
    r = assess(K, level_code="SW2B", since=date(2025, 8, 31), today=date(2026, 2, 27))
    assert r.earliest_eligible_date == date(2026, 2, 28)
    assert r.eligible is False


def test_range_uses_lower_bound_and_says_so() -> None:
    r = assess(K, level_code="SW2B", since=date(2025, 1, 15), today=date(2025, 7, 15))
    assert r.rule is not None and (r.rule.min_months, r.rule.max_months) == (6, 12)
    assert r.earliest_eligible_date == date(2025, 7, 15) and r.eligible is True
    assert any("6-12 months" in n and "lower end" in n for n in r.notes)
    assert r.to_json()["rule"]["max_months"] == 12


def test_conflicting_rules_longer_minimum_wins_and_both_are_shown() -> None:
    r = assess(K, level_code="SW3B", since=date(2024, 1, 10), today=date(2025, 2, 1))
    assert r.rule is not None and r.rule.min_months == 18 and r.rule.document_id == "003"
    assert r.earliest_eligible_date == date(2025, 7, 10)
    assert r.eligible is False  # 12 months (001) would have said yes: the longer rule governs
    assert {(x.document_id, x.min_months) for x in r.all_rules} == {("001", 12), ("003", 18)}
    assert [x.min_months for x in r.other_rules] == [12]
    conflict = [n for n in r.notes if "differ" in n]
    assert conflict and "12 months" in conflict[0] and "18 months" in conflict[0] and "document 001" in conflict[0]
    data = r.to_json()
    assert data["other_rules"][0]["min_months"] == 12 and "document 001" in data["other_rules"][0]["source"]
    text = r.describe()
    assert "Social Worker career progression framework" in text and "18 months" in text and "12 months" in text


def test_sw4c_typo_is_quoted_with_its_note() -> None:
    r = assess(K, level_code="SW4B", since=date(2024, 1, 1), today=date(2025, 1, 1))
    assert r.rule is not None and "SW2B" in r.rule.text
    typo = [n for n in r.notes if "SW2B" in n]
    assert typo and "typo" in typo[0] and "SW4B" in typo[0]
    assert r.earliest_eligible_date == date(2026, 1, 1)


def test_typo_is_flagged_even_without_a_note_in_the_data() -> None:
    files = small_knowledge()
    rules = [r for r in files.time_rules if not (r.role == "SW4" and r.to_level == "C")]
    bare = next(r for r in files.time_rules if r.role == "SW4" and r.to_level == "C")
    from dataclasses import replace

    files.time_rules = rules + [replace(bare, note=None)]
    r = assess(files, level_code="SW4B", since=date(2024, 1, 1), today=date(2025, 1, 1))
    assert any("names SW2B" in n and "SW4B" in n for n in r.notes)


def test_top_level_points_to_the_next_role_without_a_time_rule() -> None:
    r = assess(K, level_code="SW2C", since=date(2023, 1, 1), today=date(2025, 1, 1))
    assert r.next_level is None and r.eligible is None and r.earliest_eligible_date is None and r.rule is None
    assert any("SW3A" in n and "no minimum time" in n for n in r.notes)
    pqe = [n for n in r.notes if "post-qualifying" in n]
    assert pqe and '"2-3 years relevant post qualifying experience."' in pqe[0]
    assert "document 001" in pqe[0] and "document 003" in pqe[0]
    assert "supervision to SCOs" not in pqe[0]  # only the post-qualifying items are quoted
    assert r.evidence_for == "SW3A" and r.evidence_needed
    assert "a different role" in r.describe()


def test_top_of_the_last_role() -> None:
    r = assess(K, level_code="SW4C", since=date(2023, 1, 1), today=date(2025, 1, 1))
    assert r.eligible is None and r.next_level is None
    assert any("no further role" in n for n in r.notes)


def test_role_without_time_rules() -> None:
    r = assess(K, level_code="SCOA", since=date(2024, 1, 1), today=date(2025, 6, 1))
    assert r.eligible is None and r.earliest_eligible_date is None and r.next_level == "SCO 4B"
    assert any("gives no minimum time" in n for n in r.notes)
    assert r.months_in_level == 17


def test_grade_without_levels() -> None:
    r = assess(K, level_code="KR9", since=date(2024, 1, 1), today=date(2025, 6, 1))
    assert r.eligible is None and r.next_level is None
    assert any("no minimum time in grade" in n for n in r.notes)


@pytest.mark.parametrize("code", ["SW5A", "SW2D", "XYZ", "SW2", ""])
def test_unknown_codes_raise_for_the_caller(code: str) -> None:
    with pytest.raises(UnknownLevel):
        assess(K, level_code=code, since=date(2024, 1, 1), today=date(2025, 1, 1))


def test_parse_level_hook() -> None:
    r = assess(K, level_code="senior b", since=date(2024, 1, 1), today=date(2025, 1, 1),
               parse_level=lambda s: ("SW3", "B"))
    assert r.level == "SW3B"


def test_split_level_code() -> None:
    assert split_level_code(K, "sw2a") == ("SW2", "A")
    assert split_level_code(K, "KR9") == ("KR9", None)


def test_evidence_is_listed_and_time_is_never_a_promotion() -> None:
    r = assess(K, level_code="SW2A", since=date(2024, 3, 1), today=date(2026, 4, 1))
    assert [e.text for e in r.evidence_needed][0].startswith("Minimum of 24 months")
    assert any(e.note for e in r.evidence_needed)
    text = r.describe()
    assert "put yourself forward for SW2B" in text
    assert "not a promotion" in text
    assert "you are promoted" not in text.lower() and "you will be promoted" not in text.lower()
    assert "1 March 2026" in text


def test_start_date_in_the_future() -> None:
    r = assess(K, level_code="SW2A", since=date(2026, 1, 1), today=date(2025, 1, 1))
    assert r.months_in_level == 0 and r.eligible is False
    assert any("after today" in n for n in r.notes)


def test_to_json_shape() -> None:
    r = assess(K, level_code="SW2A", since=date(2024, 3, 1), today=date(2025, 11, 5))
    data = json.loads(json.dumps(r.to_json()))
    assert list(data) == ["level", "since", "today", "months_in_level", "next_level", "earliest_eligible_date",
                          "eligible", "rule", "notes", "other_rules", "evidence_needed"]
    assert data["since"] == "2024-03-01" and data["today"] == "2025-11-05"
    assert data["earliest_eligible_date"] == "2026-03-01" and data["eligible"] is False
    assert set(data["rule"]) == {"min_months", "max_months", "text", "source"}
    top = assess(K, level_code="SW4C", since=date(2024, 3, 1), today=date(2025, 11, 5)).to_json()
    assert top["rule"] is None and top["earliest_eligible_date"] is None and top["eligible"] is None


# -- the real framework data ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real():
    from bot.knowledge.loader import load_knowledge

    return load_knowledge()


@pytest.mark.parametrize(("code", "months", "doc"), [
    ("SW2A", 24, "003"), ("SW2B", 6, "003"), ("SW3A", 12, "003"), ("SW3B", 18, "003"),
    ("SW4A", 12, "003"), ("SW4B", 24, "003"),
])
def test_real_rules(real, code: str, months: int, doc: str) -> None:
    r = assess(real, level_code=code, since=date(2024, 1, 31), today=date(2024, 2, 1))
    assert r.rule is not None and r.rule.min_months == months and r.rule.document_id == doc
    assert r.earliest_eligible_date == add_months(date(2024, 1, 31), months)
    assert r.evidence_needed, "the next level's evidence comes from the Medway guide"


def test_real_sw3b_conflict(real) -> None:
    r = assess(real, level_code="SW3B", since=date(2024, 1, 1), today=date(2025, 3, 1))
    assert sorted((x.document_id, x.min_months) for x in r.all_rules) == [("001", 12), ("003", 18)]
    assert r.rule.min_months == 18 and r.eligible is False


def test_real_sw2b_range_and_sw4c_typo(real) -> None:
    r = assess(real, level_code="SW2B", since=date(2024, 1, 1), today=date(2024, 7, 1))
    assert r.rule.months_text == "6-12 months" and r.eligible is True
    r = assess(real, level_code="SW4B", since=date(2024, 1, 1), today=date(2024, 7, 1))
    assert "SW2B" in r.rule.text and any("SW2B" in n and "typo" in n for n in r.notes)


def test_real_top_level_and_roles_without_rules(real) -> None:
    r = assess(real, level_code="SW2C", since=date(2024, 1, 1), today=date(2025, 1, 1))
    assert r.eligible is None and any("SW3A" in n and "post qualifying" in n for n in r.notes)
    for code in ("SCOB", "KR9", "KR10", "PO3"):
        r = assess(real, level_code=code, since=date(2024, 1, 1), today=date(2025, 1, 1))
        assert r.eligible is None and r.earliest_eligible_date is None
        assert any("no minimum time" in n for n in r.notes), code
    # 004's "18 months CPD from completing the ASYE" belongs to a different numbering; it is no time rule.
    assert not [x for x in real.time_rules if x.role == "PO3"]


def test_notes_said_to_a_manager_speak_to_the_manager() -> None:
    from bot.milestones import to_the_manager

    assert to_the_manager("The two documents disagree; check with your manager which applies.") == (
        "The two documents disagree; check with HR which applies.")
    assert to_the_manager("… so there is no date to work out. Your manager can talk through when it might be right to "
                          "put yourself forward for SCO 4B.").endswith(
        "You can talk through with them when it might be right to put themselves forward for SCO 4B.")
    assert to_the_manager("Ask your manager.") == "Ask your manager."  # anything else as it was
