"""Dates as people type them in UK English ("March 2025", "1 March 2025", "01/03/2025", "2025-03-01")."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, timedelta

from bot.milestones import add_months  # the one calendar-month arithmetic (clamped to a month's end)

MONTHS = {
    name: i
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
         ("nov", "november"), ("dec", "december")],
        start=1,
    )
    for name in names
}
# A month's name as people type it, as a word, for patterns that find a date in a message ("no, it was April"):
# the usual abbreviations and the misspellings people make in a hurry ("Febuary", "Sepember"); each keeps its
# month's first three letters, which MONTHS reads
_MONTH_SPELLINGS = (
    "jan", "january", "janurary", "feb", "february", "febuary", "feburary", "febrary", "mar", "march", "apr",
    "april", "may", "jun", "june", "jul", "july", "aug", "august", "augest", "sep", "sept", "september",
    "sepember", "septmber", "oct", "october", "octber", "nov", "november", "novemeber", "novmber",
    "dec", "december", "decemeber", "decmber",
)
MONTH_WORD = "(?:" + "|".join(sorted(_MONTH_SPELLINGS, key=len, reverse=True)) + ")"
_MONTH = f"({MONTH_WORD})"


# A month said alone, as a correction of a date ("no, April", "in June."): see in_year_of
MONTH_ALONE = re.compile(rf"\s*(?:in\s+)?{MONTH_WORD}\s*[.!]?\s*", re.I)


def in_year_of(found: date, anchor: date, today: date) -> date:
    """A month said alone to correct anchor ("no, April" to "since 1 March 2025?"): that month in anchor's year,
    not the latest such month; unless that is still to come, when found (the latest one) stands."""
    try:
        moved = found.replace(year=anchor.year)
    except ValueError:  # 29 February
        return found
    return moved if moved <= today else found


# A day and a month as typed ("31/02", "29 Feb", "30th of February"): when no date can be read from such text,
# the day does not exist in that month
_DAY_AND_MONTH = re.compile(rf"\b\d{{1,2}}\s*[/.-]\s*\d{{1,2}}\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b",
                            re.I)


def names_a_day(text: str) -> bool:
    """Whether text gives a day of a month ("31/02/2025", "29 Feb"): if it reads as no date, there is no such day."""
    return bool(_DAY_AND_MONTH.search(text))


def format_uk(d: date) -> str:
    """1 March 2025."""
    return f"{d.day} {d.strftime('%B')} {d.year}"


def parse_date(text: str, *, today: date | None = None, prefer_future: bool = False,
               prefer_past: bool = False, after_today: bool = False) -> date | None:
    """The first date in text, or None. A month without a day means its 1st. Day-month order (UK).

    Without a year, the date is this year's, or next year's when prefer_future and it has passed.
    prefer_past (a date something started): a month on its own ("March", "last June") is the latest such
    month that has begun. after_today (a date to wait until): only a date after today counts, and one without
    a year is the next to come ("29 February" is the next leap day). Invalid dates (31 February) give None
    rather than a guess.
    """
    found = _parse_date(text.lower(), today or date.today(), prefer_future, prefer_past, after_today)
    return None if after_today and found is not None and found <= (today or date.today()) else found


def _parse_date(s: str, today: date, prefer_future: bool, prefer_past: bool, after_today: bool) -> date | None:
    if after_today:
        prefer_future = True
    try:
        relative = _relative(s, today, prefer_past=prefer_past)
        if relative is not None:
            return relative
        m = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", s)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.search(r"\b(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})\b", s)  # "05/05/2025", "05-05-2025", "5.5.25"
        if m:
            year = int(m.group(4))
            year += 2000 if year < 100 else 0
            return date(year, int(m.group(3)), int(m.group(1)))
        # "2nd Jan 2024", "2nd Jan '24", "2 Jan 24": after a day and a month, two digits are a year
        m = re.search(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH}\b\.?(?:,?\s+(\d{{4}}|['’]\d{{2}}\b|"
                      rf"\d{{2}}\b(?!\s*(?:days?|weeks?|months?|years?|hours?|mins?|minutes?)\b)))?", s)
        if m:
            year = m.group(3)
            if year and len(year.lstrip("'’")) == 2:
                year = str(_century(int(year[-2:]), today))
            return _with_year(int(m.group(1)), MONTHS[m.group(2)[:3]],
                              year, today, prefer_future, prefer_past, after_today)
        # "in Sept 24", "in March 25": a month and two digits after "in" are a month and a year, as people write a
        # start ("I became a senior in sept 24"); a day would be "on 24 September". So are two digits over 31.
        m = re.search(rf"(?:\bin\s+{_MONTH}\s+(\d{{2}})|\b{_MONTH}\s+(3[2-9]|[4-9]\d))\b(?!\s*(?:st|nd|rd|th|"
                      rf"days?|weeks?|months?|years?|hours?)\b)(?!\s*[/:.]\d)", s)
        if m:
            return date(_century(int(m.group(2) or m.group(4)), today), MONTHS[(m.group(1) or m.group(3))[:3]], 1)
        m = re.search(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", s)
        if m and not (m.group(3) is None and len(m.group(2)) == 4):
            return _with_year(int(m.group(2)), MONTHS[m.group(1)[:3]], m.group(3), today, prefer_future,
                              prefer_past, after_today)
        m = re.search(rf"\b{_MONTH}\s+(\d{{4}})\b", s)
        if m:
            return date(int(m.group(2)), MONTHS[m.group(1)[:3]], 1)
        m = re.search(rf"\b{_MONTH}(?:-|\s?['’])(\d{{2}})\b(?!\s*(?:months?|years?|weeks?|days?)\b)", s)
        if m:  # "Mar-25", "March '25": a month and a two-digit year
            return date(2000 + int(m.group(2)), MONTHS[m.group(1)[:3]], 1)
        m = re.search(r"(?<![/.\d])\b(0?[1-9]|1[0-2])/(\d{2})\b(?![/.]\d)(?!\s*(?:days?|weeks?|hours?|of|time)\b)", s)
        if m and int(m.group(2)) > 12:  # "03/25": no 25th month, so March 2025 (as on a card's expiry date)
            return date(2000 + int(m.group(2)), int(m.group(1)), 1)
        # "5/1" or "05.01": 5 January, this year or the next; after the month names ("since January 2024, part
        # time 3/5 days" starts in January), and never a fraction of something ("3/5 days")
        m = re.search(r"\b(\d{1,2})/(\d{1,2})\b(?![/.]\d)(?!\s*(?:days?|weeks?|hours?|of|time)\b)"
                      r"|\b(\d{2})\.(\d{2})\b(?!\.\d)", s)
        if m:
            day, month = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            return _with_year(int(day), int(month), None, today, prefer_future, prefer_past, after_today)
        m = re.fullmatch(rf"\s*(?:in\s+|back in\s+|since\s+|from\s+)?(?:(last|this)\s+)?{_MONTH}\s*[.!]?\s*", s)
        if m and prefer_past:
            month = MONTHS[m.group(2)[:3]]
            year = today.year if month <= today.month else today.year - 1
            if m.group(1) == "last" and month == today.month:
                year -= 1  # "last November", said in November: a year ago
            return date(year, month, 1)
        m = re.fullmatch(rf"\s*(?:snooze\s+)?(?:until|till|til|to|in|for)?\s*(?:(next|this)\s+)?{_MONTH}\s*[.!]?\s*",
                         s)
        if m and after_today:  # "until January": the 1st of the next such month to begin
            month = MONTHS[m.group(2)[:3]]
            return date(today.year if month > today.month else today.year + 1, month, 1)
    except (ValueError, OverflowError):  # 31 February, or "in 12 years" at the end of the calendar
        return None
    return None


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# "next tues", "on fri": a day's short name counts only after such a word ("I sat", "wed" and "sun" are words)
_DAY_SHORT = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "weds": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4,
              "sat": 5, "sun": 6}
_WEEKDAY = re.compile(r"\b(?:(next|this|last|on|coming)\s+)?(?:the\s+)?(" + "|".join(_WEEKDAYS) + r")(?:s)?\b"
                      r"(?!\s+\d)|\b(next|this|last|on|coming)\s+("
                      + "|".join(sorted(_DAY_SHORT, key=len, reverse=True)) + r")\b\.?(?!\s+\d)")
_UNITS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen").split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
# Counts in words up to sixty ("eighteen months", "twenty-four months", "thirty six months"), and half of one
_NUMBER_WORDS: dict[str, float] = {
    "a": 1, "an": 1, "a couple of": 2, "couple of": 2, "half a": 0.5, "half an": 0.5, "sixty": 60,
    **{w: i for i, w in enumerate(_UNITS, start=1)}, **_TENS,
    **{f"{t}{sep}{u}": n + i for t, n in _TENS.items() for i, u in enumerate(_UNITS[:9], start=1) for sep in "- "},
}
# "two and a half": a count and a half, inside the count ("two and a half years"); "a year and a half" has its
# half after the unit, inside the unit
_AND_A_HALF = r"(?:\s+and\s+a\s+half)"
_COUNT_WORDS = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_NUMBER_WORDS, key=len, reverse=True))
COUNT = rf"((?:\d{{1,3}}|{_COUNT_WORDS}){_AND_A_HALF}?)"
_UNIT = rf"((?:days?|weeks?|fortnights?|months?|years?){_AND_A_HALF}?)"


def _relative(s: str, today: date, *, prefer_past: bool) -> date | None:
    """Dates said relative to today: "today", "tomorrow", "yesterday", "(next|this|on) Tuesday", "a week on
    Friday", "in 2 weeks", "in a fortnight", "3 months ago". A weekday alone is the next one after today, or the
    last one before it when prefer_past. Absolute dates in the same text win (checked after this only when
    none of these words is there)."""
    if re.search(r"\btoday\b", s):
        return today
    festival = _festival(s, today, prefer_past=prefer_past)
    if festival is not None:
        return festival
    if re.search(r"\btomorrow\b", s):
        return today + timedelta(days=1)
    if re.search(r"\byesterday\b", s):
        return today - timedelta(days=1)
    if prefer_past and re.search(r"\blast month\b", s):  # a start: the month, from its 1st (as "March" is)
        return add_months(today.replace(day=1), -1)
    if prefer_past and re.search(r"\b(?:this|earlier this) month\b", s):
        return today.replace(day=1)
    # "April last year", "March of this year", "June two years ago": that month of that year
    m = re.search(rf"\b(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?)?{_MONTH}\s+(?:of\s+)?(?:(last|this|next)\s+year|"
                  rf"{COUNT}\s+years?\s+ago)\b", s)
    if m:  # with its day if it has one ("3rd April last year"); 29 February of a year without one is no date
        n = {"last": -1, "this": 0, "next": 1}[m.group(3)] if m.group(3) else -_count_value(m.group(4))
        if n == int(n):  # "June two and a half years ago" is no month
            return date(today.year + int(n), MONTHS[m.group(2)[:3]], int(m.group(1) or 1))
    m = re.search(rf"\bin\s+{COUNT}\s+{_UNIT}(?:'?s)?(?:\s+time)?\b", s)
    if m:
        return shift(today, m.group(1), m.group(2), +1)
    m = re.search(rf"\b{COUNT}\s+{_UNIT}\s+ago\b", s)
    if m:
        return shift(today, m.group(1), m.group(2), -1)
    m = _WEEKDAY.search(s)
    if m and not re.search(rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH}\b|\b\d{{1,2}}[/.-]\d{{1,2}}", s):
        lead, said = m.group(1) or m.group(3), m.group(2) or m.group(4)
        wanted = _WEEKDAYS.index(said) if said in _WEEKDAYS else _DAY_SHORT[said]
        backwards = lead == "last" or (prefer_past and lead not in ("next", "coming"))
        if lead == "this" and wanted == today.weekday():
            return today  # "this Thursday", said on a Thursday
        if backwards:
            day = today - timedelta(days=(today.weekday() - wanted - 1) % 7 + 1)
        else:
            day = today + timedelta(days=(wanted - today.weekday() - 1) % 7 + 1)
        if re.search(rf"\ba week (?:on|from)\s+(?:this\s+|next\s+)?{said}\b", s):
            day += timedelta(days=7)
        return day
    return None


_FESTIVAL = re.compile(r"\b(after\s+)?(?:the\s+)?(christmas|xmas|boxing day|new year)(?:'?s)?(?:\s+(day|eve))?\b"
                       r"(?:\s+(\d{4}|next year|this year))?")
_FESTIVAL_DAYS = {"christmas": (12, 25), "xmas": (12, 25), "boxing day": (12, 26), "new year": (1, 1)}


def _festival(s: str, today: date, *, prefer_past: bool) -> date | None:
    """"until Christmas" (25 December), "Christmas Eve" (24th), "after Christmas" (27th), "the new year" (1
    January), "New Year's Eve" (31 December), "Christmas 2027"; for a start ("since Christmas"), the latest one
    that has passed. Only where no other date is given ("Tuesday 5 January, after the new year" is 5 January)."""
    m = _FESTIVAL.search(s)
    if not m or names_a_day(s) or re.search(rf"\b{_MONTH}\s+\d", s):
        return None
    if not (prefer_past or m.group(1) or m.group(4) or re.search(r"\b(?:until|till|til|to|over|snooze|since)\b", s)):
        return None
    month, day = _FESTIVAL_DAYS[m.group(2)]
    if m.group(3) == "eve":
        month, day = (12, 24) if month == 12 else (12, 31)
    elif m.group(1):
        day += 2 if month == 12 else 1
    year = m.group(4)
    if year and year.isdigit():
        return date(int(year), month, day)
    if year == "next year":
        return date(today.year + 1, month, day)
    candidate = date(today.year, month, day)
    if prefer_past:
        return candidate if candidate <= today else date(today.year - 1, month, day)
    return candidate if candidate > today else date(today.year + 1, month, day)


def _century(yy: int, today: date) -> int:
    """A two-digit year as a year: this century's, unless that is more than ten years ahead ("dec 99" is 1999)."""
    year = today.year - today.year % 100 + yy
    return year - 100 if year > today.year + 10 else year


def _count_value(count: str) -> float:
    """A count as typed ("2", "two", "a couple of", "twenty-four", "two and a half") as a number."""
    count = re.sub(r"\s+", " ", count.strip().lower())
    half = re.search(_AND_A_HALF + "$", count)
    if half:
        count = count[:half.start()]
    n = int(count) if count.isdigit() else _NUMBER_WORDS[count]
    return n + 0.5 if half else n


def shift(today: date, count: str, unit: str, sign: int = 1) -> date:
    """today moved by a span as typed: ("2", "weeks"), ("a couple of", "months"), ("one", "fortnight"),
    ("eighteen", "months"), ("two and a half", "years"), ("a", "year and a half"). Half a month is 15 days."""
    n = _count_value(count)
    unit = re.sub(r"\s+", " ", unit.strip().lower())
    if unit.endswith(" and a half"):
        n, unit = n + 0.5, unit.split()[0]
    unit = unit.rstrip("s")
    if unit in ("day", "week", "fortnight"):
        return today + sign * timedelta(days=round(n * {"day": 1, "week": 7, "fortnight": 14}[unit]))
    months = n * (12 if unit == "year" else 1)
    moved = add_months(today, int(months) * sign)
    return moved + sign * timedelta(days=15) if months != int(months) else moved


# A span of time as typed: "2 weeks", "a month", "two fortnights", "a couple of days"
SPAN = re.compile(rf"\b{COUNT}\s+{_UNIT}\b")


def _with_year(day: int, month: int, year: str | None, today: date, prefer_future: bool,
               prefer_past: bool = False, after_today: bool = False) -> date:
    if year:
        return date(int(year), month, day)
    if after_today:  # the next such day to come: 29 February may be years away
        for y in range(today.year, today.year + 9):
            if day <= monthrange(y, month)[1] and date(y, month, day) > today:
                return date(y, month, day)
        raise ValueError("no such day")
    candidate = date(today.year, month, min(day, monthrange(today.year, month)[1]))
    if day > monthrange(today.year, month)[1]:
        raise ValueError("no such day")
    if prefer_future and candidate < today:
        candidate = date(today.year + 1, month, day)
    elif prefer_past and candidate > today:
        candidate = date(today.year - 1, month, min(day, monthrange(today.year - 1, month)[1]))
    return candidate
