"""The people roster: importing and exporting the HR system's CSV of staff, levels and managers."""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.storage.base import DEFAULT_HOLIDAY_REGION, DEFAULT_TIMEZONE, HOLIDAY_REGIONS, Person, Store

log = logging.getLogger(__name__)

COLUMNS = (
    "id", "display_name", "email", "level", "level_since", "manager_id",
    "timezone", "holiday_region", "slack_user_id", "teams_user_id",
)
REQUIRED_COLUMNS = ("id", "display_name", "email", "level", "level_since", "manager_id")

# Other spellings HR systems use for the same columns (after lower-casing and spaces to underscores).
_HEADER_ALIASES = {
    "name": "display_name", "full_name": "display_name", "displayname": "display_name",
    "email_address": "email", "e_mail": "email",
    "level_code": "level", "grade": "level",
    "levelsince": "level_since", "level_start": "level_since", "level_start_date": "level_since",
    "managerid": "manager_id", "manager_staff_id": "manager_id", "line_manager_id": "manager_id",
    "time_zone": "timezone", "tz": "timezone",
    "holidayregion": "holiday_region", "region": "holiday_region",
    "slack_id": "slack_user_id", "slackuserid": "slack_user_id",
    "teams_id": "teams_user_id", "teamsuserid": "teams_user_id",
}
_REGION_ALIASES = {
    "england-and-wales": "england-and-wales", "england-wales": "england-and-wales", "england": "england-and-wales",
    "wales": "england-and-wales", "scotland": "scotland", "northern-ireland": "northern-ireland",
    "ni": "northern-ireland",
}
assert set(_REGION_ALIASES.values()) == set(HOLIDAY_REGIONS)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Problem = tuple[int, str]
LevelParser = Callable[[str], str]


@dataclass
class RosterResult:
    """What an import did. imported: new people; updated: existing people changed; unchanged: existing
    people the file left as they were; skipped: rows not imported; problems: (CSV line, reason)."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Row:
    line: int
    id: str
    display_name: str = ""
    email: str | None = None
    level: str | None = None
    level_since: date | None = None
    manager_id: str | None = None
    timezone: str | None = None
    holiday_region: str | None = None
    slack_user_id: str | None = None
    teams_user_id: str | None = None


# -- reading -------------------------------------------------------------------------------------------

def _read_source(source: str | Path | bytes) -> str:
    """Text of the CSV. A str that is blank or holds a comma or a line break is the CSV itself; any
    other str is a path."""
    if isinstance(source, str) and (not source.strip() or any(c in source for c in ",\n\r")):
        return source.removeprefix("\ufeff")
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ValueError("the roster file is neither UTF-8 nor Windows-1252 text; save it as CSV UTF-8") from exc
    log.info("roster file is not UTF-8; read it as Windows-1252 (Excel's default)")
    return text


def _header_key(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower().removeprefix("\ufeff")).strip("_")
    return _HEADER_ALIASES.get(key, key)


def _looks_guarded(value: str) -> bool:
    return value.lstrip("'").startswith(_FORMULA_START)


def _cell(value: str | None) -> str:
    value = (value or "").strip()
    # Undo export's spreadsheet-formula guard (see _guard), so values round-trip.
    if value.startswith("'") and _looks_guarded(value):
        value = value[1:]
    return value


def parse_date(value: str) -> date:
    """YYYY-MM-DD, or DD/MM/YYYY as UK HR exports write it."""
    m = _UK_DATE.match(value)
    if m:
        day, month, year = (int(g) for g in m.groups())
        return date(year, month, day)
    return datetime.strptime(value, "%Y-%m-%d").date()


@lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {z.lower(): z for z in available_timezones()}


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
        return value
    except (ZoneInfoNotFoundError, ValueError):
        pass
    canonical = _zones_by_lower_name().get(value.lower())
    if canonical is None:
        raise ValueError(f"timezone {value!r} is not a known time zone (for example Europe/London)")
    return canonical


def _region(value: str) -> str:
    key = re.sub(r"[\s_]+", "-", value.strip().lower()).replace("-&-", "-and-")
    region = _REGION_ALIASES.get(key)
    if region is None:
        raise ValueError(f"holiday_region {value!r} is not one of {', '.join(HOLIDAY_REGIONS)}")
    return region


def _parse(text: str, normalise_level: LevelParser, today: date) -> tuple[list[_Row], list[Problem], int, bool]:
    """Rows, the problems a single row shows on its own, and the number of data rows. The bool is
    False when the header is unusable, in which case no row can be imported at all."""
    problems: list[Problem] = []
    rows: list[_Row] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    data_rows = 0
    while True:
        start = reader.line_num + 1  # a quoted cell may span lines: report where the record starts
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append((start, f"cannot read this line as CSV: {exc}"))
            break
        line = start
        if not any(c.strip() for c in cells):
            continue  # blank line
        if header is None:
            header = [_header_key(c) for c in cells]
            seen: set[str] = set()
            for name in header:
                if name and name in seen:
                    problems.append((line, f"column {name} appears twice in the header"))
                seen.add(name)
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                problems.append((line, f"the header lacks column(s): {', '.join(missing)} "
                                       f"(expected {', '.join(COLUMNS)})"))
            if problems:
                return [], problems, 0, False
            continue
        data_rows += 1
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            problems.append((line, f"this row has {len(cells)} values but the header has {len(header)} columns"))
            continue
        values = {name: _cell(cells[i]) if i < len(cells) else "" for i, name in enumerate(header) if name}
        row, row_problems = _parse_row(line, values, normalise_level, today)
        problems.extend(row_problems)
        if row is not None:
            rows.append(row)
    if header is None:
        problems.append((1, "the file is empty: it needs a header row and at least one person"))
        return [], problems, 0, False
    return rows, problems, data_rows, True


def _parse_row(line: int, v: dict[str, str], normalise_level: LevelParser,
               today: date) -> tuple[_Row | None, list[Problem]]:
    problems: list[Problem] = []
    if not v.get("id"):
        return None, [(line, "id is empty")]
    row = _Row(line=line, id=v["id"], display_name=v.get("display_name", ""))
    if v.get("email"):
        if _EMAIL.match(v["email"]):
            row.email = v["email"]
        else:
            problems.append((line, f"email {v['email']!r} is not an email address"))
    if v.get("level"):
        try:
            row.level = normalise_level(v["level"]) or None
        except ValueError as exc:
            problems.append((line, f"level: {exc}"))
        else:
            if row.level is None:
                problems.append((line, f"level {v['level']!r} is not a level code careerbot knows"))
    if v.get("level_since"):
        try:
            row.level_since = parse_date(v["level_since"])
        except ValueError:
            problems.append((line, f"level_since {v['level_since']!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)"))
        else:
            if row.level_since > today:
                problems.append((line, f"level_since {row.level_since.isoformat()} is in the future"))
    row.manager_id = v.get("manager_id") or None
    if row.manager_id == row.id:
        problems.append((line, f"{row.id} is given as their own manager"))
    if v.get("timezone"):
        try:
            row.timezone = _timezone(v["timezone"])
        except ValueError as exc:
            problems.append((line, str(exc)))
    if v.get("holiday_region"):
        try:
            row.holiday_region = _region(v["holiday_region"])
        except ValueError as exc:
            problems.append((line, str(exc)))
    row.slack_user_id = v.get("slack_user_id") or None
    row.teams_user_id = v.get("teams_user_id") or None
    return row, problems


# -- checks across rows and against the store ---------------------------------------------------------

def _merge(row: _Row, old: Person | None) -> Person:
    """The person after the import. A blank cell never erases what careerbot already knows:
    chat identities, preferences and anything else the file leaves empty are kept."""
    base = dataclasses.replace(old) if old else Person(id=row.id)
    base.display_name = row.display_name or base.display_name
    base.email = row.email or base.email
    base.level_code = row.level or base.level_code
    base.level_since = row.level_since or base.level_since
    base.manager_id = row.manager_id or base.manager_id
    base.timezone = row.timezone or base.timezone or DEFAULT_TIMEZONE
    base.holiday_region = row.holiday_region or base.holiday_region or DEFAULT_HOLIDAY_REGION
    base.slack_user_id = row.slack_user_id or base.slack_user_id
    base.teams_user_id = row.teams_user_id or base.teams_user_id
    return base


def _cross_check(rows: list[_Row], existing: dict[str, Person]) -> list[Problem]:
    problems: list[Problem] = []
    lines_by_id: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        lines_by_id[r.id].append(r.line)
    for person_id, lines in lines_by_id.items():
        if len(lines) > 1:
            for ln in lines:
                others = [str(o) for o in lines if o != ln]
                where = f"line{'s' if len(others) > 1 else ''} {', '.join(others)}"
                problems.append((ln, f"id {person_id} appears more than once (also on {where})"))

    merged = {r.id: _merge(r, existing.get(r.id)) for r in rows}
    row_of = {r.id: r for r in rows}

    for r in rows:
        if not merged[r.id].display_name:
            problems.append((r.line, "display_name is empty"))
        if r.manager_id and r.manager_id not in row_of and r.manager_id not in existing:
            problems.append((r.line, f"manager {r.manager_id} is neither in this file nor already known to careerbot"))

    # Management chains must end: A managing B managing A would confuse every manager view.
    final = {**existing, **merged}
    for r in rows:
        chain = [r.id]
        current = final[r.id].manager_id
        while current and current in final:
            if current in chain:
                # Report only rows inside the loop (own-manager rows are already reported).
                if current == r.id and len(chain) > 1:
                    problems.append((r.line, f"management chain loops: {' -> '.join([*chain, current])}"))
                break
            chain.append(current)
            current = final[current].manager_id

    for attr, label in (("slack_user_id", "slack_user_id"), ("teams_user_id", "teams_user_id"),
                        ("email", "email")):
        holders: dict[str, list[str]] = defaultdict(list)
        people = final.values() if attr != "email" else merged.values()  # the store allows shared emails
        for p in people:
            value = getattr(p, attr)
            if value:
                holders[value.lower() if attr == "email" else value].append(p.id)
        for value, ids in holders.items():
            if len(ids) < 2:
                continue
            for person_id in ids:
                if person_id in row_of:
                    others = ", ".join(sorted(i for i in ids if i != person_id))
                    problems.append((row_of[person_id].line, f"{label} {value} is also used by {others}"))
    return problems


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(dict.fromkeys(problems), key=lambda p: p[0])


def validate_rows(source: str | Path | bytes, *, normalise_level: LevelParser, store: Store | None = None,
                  today: date | None = None) -> list[Problem]:
    """Every problem in the roster as (CSV line, reason), in line order; empty when it can be imported.
    With a store, managers and chat identities are also checked against the people already known."""
    existing = {p.id: p for p in store.iter_people()} if store is not None else {}
    rows, problems, _count, _usable = _parse(_read_source(source), normalise_level, today or date.today())
    return _sorted(problems + _cross_check(rows, existing))


def import_roster(store: Store, path_or_text: str | Path | bytes, *, normalise_level: LevelParser,
                  skip_invalid: bool = False, today: date | None = None) -> RosterResult:
    """Import the roster: all or nothing, or (skip_invalid) every row without a problem.

    Re-importing updates people by id and never duplicates them; people missing from the file are
    left alone. The merge reads the store before writing, so a preference a user changes in chat
    during the import may be overwritten by the value read a moment earlier.
    """
    existing = {p.id: p for p in store.iter_people()}
    rows, problems, data_rows, usable = _parse(_read_source(path_or_text), normalise_level, today or date.today())
    problems = _sorted(problems + _cross_check(rows, existing))
    result = RosterResult(problems=problems)
    if problems and (not skip_invalid or not usable):
        result.skipped = data_rows
        log.info("roster not imported: %d problem(s)", len(problems))
        return result

    bad_lines = {line for line, _ in problems}
    good = {r.id: r for r in rows if r.line not in bad_lines}
    # A manager whose own row was skipped is not in the store either: skip their reports too.
    changed = True
    while changed:
        changed = False
        for r in list(good.values()):
            if r.manager_id and r.manager_id not in good and r.manager_id not in existing:
                result.problems.append((r.line, f"skipped because manager {r.manager_id}'s row was skipped"))
                del good[r.id]
                changed = True
    result.problems = _sorted(result.problems)
    result.skipped = data_rows - len(good)

    to_write: list[Person] = []
    for r in good.values():
        old = existing.get(r.id)
        person = _merge(r, old)
        if old is None:
            result.imported += 1
        elif person == old:
            result.unchanged += 1
            continue
        else:
            result.updated += 1
        to_write.append(person)
    store.upsert_people(to_write)
    log.info("roster imported: %d new, %d updated, %d unchanged, %d skipped",
             result.imported, result.updated, result.unchanged, result.skipped)
    return result


# -- export ----------------------------------------------------------------------------------------------

def _guard(value: str) -> str:
    # A cell starting like a formula would run as one in a spreadsheet (CSV injection); quote it.
    return "'" + value if _looks_guarded(value) else value


def export_roster(store: Store) -> str:
    """Everyone in the store as roster CSV (same columns as the import; importing it changes nothing)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for p in store.iter_people():
        writer.writerow([
            _guard(v) for v in (
                p.id, p.display_name or "", p.email or "", p.level_code or "",
                p.level_since.isoformat() if p.level_since else "", p.manager_id or "",
                p.timezone or DEFAULT_TIMEZONE, p.holiday_region or DEFAULT_HOLIDAY_REGION,
                p.slack_user_id or "", p.teams_user_id or "",
            )
        ])
    return out.getvalue()
