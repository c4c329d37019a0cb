"""Spans of time said in words: "eighteen months", "twenty-four months", "a year and a half", "two and a half
years" (dates.py's COUNT, SPAN and shift, which the router and the personal views use)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.dates import COUNT, SPAN, parse_date, shift

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("count, unit, since", [
    ("eighteen", "months", date(2025, 5, 26)),
    ("Eighteen", "months", date(2025, 5, 26)),
    ("fourteen", "months", date(2025, 9, 26)),
    ("twenty-four", "months", date(2024, 11, 26)),
    ("twenty four", "months", date(2024, 11, 26)),
    ("sixty", "months", date(2021, 11, 26)),
    ("two and a half", "years", date(2024, 5, 26)),
    ("a", "year and a half", date(2025, 5, 26)),
    ("half a", "year", date(2026, 5, 26)),
    ("18", "months", date(2025, 5, 26)),
    ("two and a half", "weeks", date(2026, 11, 8)),
    ("one", "month and a half", date(2026, 10, 11)),
])
def test_a_span_in_words_goes_back_as_far_as_in_figures(count, unit, since):
    assert shift(TODAY, count, unit, -1) == since


@pytest.mark.parametrize("said, span", [
    ("for eighteen months", ("eighteen", "months")),
    ("for a year and a half", ("a", "year and a half")),
    ("about two and a half years", ("two and a half", "years")),
    ("for thirty six months", ("thirty six", "months")),
    ("snooze for a couple of weeks", ("a couple of", "weeks")),
])
def test_spans_in_words_are_found(said, span):
    assert SPAN.search(said).groups() == span


@pytest.mark.parametrize("said", ["for seventy months", "for twenty", "and a half", "for a half hour",
                                  "one and a half hours", "for several months", "for eighteen"])
def test_what_is_not_a_span_of_days_to_years_is_not_one(said):
    assert SPAN.search(said) is None


def test_a_count_is_a_whole_word():
    # "tenfold", "someone", "attend" hold number words but are not counts
    assert not [m for m in re.finditer(rf"\b{COUNT}\b", "tenfold someone attend sixtyish") if m.group(1)]


@pytest.mark.parametrize("said, when", [
    ("a year and a half ago", date(2025, 5, 26)),
    ("two and a half years ago", date(2024, 5, 26)),
    ("in eighteen months", date(2028, 5, 26)),
    ("June two years ago", date(2024, 6, 1)),
])
def test_relative_dates_in_words(said, when):
    assert parse_date(said, today=TODAY) == when
