"""Tests of the CSV roster import and export, run against both stores."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.roster import COLUMNS, export_roster, import_roster, validate_rows
from bot.storage import open_store
from bot.storage.base import Person, ReminderPrefs, Store
from tests.storage_fixtures import store as store  # noqa: F401
from tests.storage_fixtures import store_url as store_url  # noqa: F401

TODAY = date(2025, 3, 3)
KNOWN_LEVELS = ("SW1", "SW2A", "SW2B", "SW3", "TM1")
HEADER = "id,display_name,email,level,level_since,manager_id,timezone,holiday_region,slack_user_id,teams_user_id"


def normalise_level(raw: str) -> str:
    code = raw.strip().upper().replace(" ", "")
    if code not in KNOWN_LEVELS:
        raise ValueError(f"unknown level code {raw!r}; known codes are {', '.join(KNOWN_LEVELS)}")
    return code


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


GOOD = csv_text(
    "M1,Mary Manager,mary@example.org,TM1,2019-01-07,,,,UM1,",
    "P1,Ann Smith,ann@example.org,sw2b,2023-09-01,M1,,scotland,,",
    "P2,Bob Jones,bob@example.org,SW1,15/08/2024,M1,Europe/London,england-and-wales,UP2,29:bob",
)


def run_import(store: Store, text: str | Path | bytes, **kw):
    return import_roster(store, text, normalise_level=normalise_level, today=TODAY, **kw)


def problems_by_line(problems: list[tuple[int, str]]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for line, reason in problems:
        out.setdefault(line, []).append(reason)
    return out


def test_good_file_imports(store: Store) -> None:
    assert validate_rows(GOOD, normalise_level=normalise_level, today=TODAY) == []
    result = run_import(store, GOOD)
    assert (result.imported, result.updated, result.skipped, result.problems) == (3, 0, 0, [])
    assert result.ok
    ann = store.get_person("P1")
    assert (ann.display_name, ann.email, ann.level_code, ann.level_since, ann.manager_id) == (
        "Ann Smith", "ann@example.org", "SW2B", date(2023, 9, 1), "M1")
    assert (ann.timezone, ann.holiday_region) == ("Europe/London", "scotland")  # defaults filled in
    bob = store.get_person("P2")
    assert bob.level_since == date(2024, 8, 15)  # DD/MM/YYYY
    assert (bob.slack_user_id, bob.teams_user_id) == ("UP2", "29:bob")
    assert [p.id for p in store.list_reports("M1")] == ["P1", "P2"]
    assert store.get_person("M1").manager_id is None


def test_every_kind_of_bad_row_is_reported_with_its_line(store: Store) -> None:
    text = csv_text(
        "M1,Mary Manager,mary@example.org,TM1,2019-01-07,,,,U1,",            # 2 good (but shares U1)
        ",No Id,noid@example.org,SW1,2020-01-01,M1,,,,",                     # 3 empty id
        "P3,,p3@example.org,SW1,2020-01-01,M1,,,,",                          # 4 no name
        "P4,Bad Email,not-an-email,SW1,2020-01-01,M1,,,,",                    # 5 email
        "P5,Bad Level,p5@example.org,SW9,2020-01-01,M1,,,,",                  # 6 level
        "P6,Bad Date,p6@example.org,SW1,31/02/2020,M1,,,,",                   # 7 date
        "P7,Future,p7@example.org,SW1,2030-01-01,M1,,,,",                     # 8 future
        "P8,No Manager,p8@example.org,SW1,2020-01-01,X99,,,,",                # 9 unknown manager
        "P9,Own Manager,p9@example.org,SW1,2020-01-01,P9,,,,",                # 10 own manager
        "P10,Bad Zone,p10@example.org,SW1,2020-01-01,M1,Mars/Olympus,,,",     # 11 timezone
        "P11,Bad Region,p11@example.org,SW1,2020-01-01,M1,,wales-north,,",    # 12 region
        "P12,Twice,p12@example.org,SW1,2020-01-01,M1,,,,",                    # 13 duplicate id
        "P12,Twice Again,p12b@example.org,SW1,2020-01-01,M1,,,,",             # 14 duplicate id
        "P13,Too Many,p13@example.org,SW1,2020-01-01,M1,,,,,surplus",         # 15 extra values
        "P14,Same Slack,p14@example.org,SW1,2020-01-01,M1,,,U1,",             # 16 slack id clash
        "P15,Loop A,p15@example.org,SW1,2020-01-01,P16,,,,",                  # 17 loop
        "P16,Loop B,p16@example.org,SW1,2020-01-01,P15,,,,",                  # 18 loop
        "P17,Same Email,MARY@example.org,SW1,2020-01-01,M1,,,,",              # 19 email clash
    )
    problems = validate_rows(text, normalise_level=normalise_level, today=TODAY)
    by_line = problems_by_line(problems)
    expected = {
        3: "id is empty", 4: "display_name is empty", 5: "not an email address", 6: "unknown level code 'SW9'",
        7: "is not a date", 8: "in the future", 9: "manager X99", 10: "their own manager",
        11: "not a known time zone", 12: "holiday_region", 13: "appears more than once",
        14: "appears more than once", 15: "has 11 values", 16: "slack_user_id U1 is also used by M1",
        17: "management chain loops", 18: "management chain loops", 19: "email mary@example.org is also used",
    }
    for line, words in expected.items():
        assert any(words in reason for reason in by_line.get(line, [])), (line, by_line.get(line))
    assert set(by_line) == set(expected) | {2}  # line 2 only for the shared Slack id
    assert problems == sorted(problems, key=lambda p: p[0])

    result = run_import(store, text)
    assert result.problems == problems
    assert (result.imported, result.updated, result.skipped) == (0, 0, 18)
    assert store.list_people() == []  # all or nothing


def test_header_problems_stop_everything(store: Store) -> None:
    text = "id,display_name,level\nP1,Ann,SW1\n"
    result = run_import(store, text, skip_invalid=True)
    assert result.problems[0][0] == 1
    assert "email" in result.problems[0][1] and "manager_id" in result.problems[0][1]
    assert store.list_people() == []
    assert validate_rows("", normalise_level=normalise_level) == [
        (1, "the file is empty: it needs a header row and at least one person")]
    dup = csv_text("P1,Ann,,SW1,2020-01-01,,,,,", header=HEADER + ",Email")
    assert validate_rows(dup, normalise_level=normalise_level)[0] == (1, "column email appears twice in the header")


def test_skip_invalid_imports_the_good_rows(store: Store) -> None:
    text = csv_text(
        "M1,Mary Manager,mary@example.org,TM1,2019-01-07,,,,,",
        "M2,Bad Manager,m2@example.org,XX,2019-01-07,,,,,",   # bad level
        "P1,Ann Smith,ann@example.org,SW1,2020-01-01,M1,,,,",
        "P2,Bob Jones,bob@example.org,SW1,2020-01-01,M2,,,,",  # fine itself, but its manager is skipped
        "P3,Cat Brown,cat@example.org,SW1,not a date,M1,,,,",
    )
    result = run_import(store, text, skip_invalid=True)
    assert (result.imported, result.skipped) == (2, 3)
    assert [p.id for p in store.list_people()] == ["M1", "P1"]
    lines = problems_by_line(result.problems)
    assert set(lines) == {3, 5, 6}
    assert "M2" in lines[5][0]


def test_reimport_updates_and_never_duplicates(store: Store) -> None:
    run_import(store, GOOD)
    # Things learnt in chat since the last import: the file knows nothing of them.
    ann = store.get_person("P1")
    ann.slack_user_id = "U-ANN"
    ann.prefs = ReminderPrefs(weekly_cap=1, opted_out=True)
    ann.unreachable = {"teams": "not installed"}
    store.upsert_person(ann)

    again = GOOD.replace("Ann Smith,ann@example.org,sw2b,2023-09-01", "Ann Smith-Jones,,SW3,2025-01-06")
    result = run_import(store, again)
    assert (result.imported, result.updated, result.unchanged, result.skipped) == (0, 1, 2, 0)
    assert len(store.list_people()) == 3
    ann = store.get_person("P1")
    assert (ann.display_name, ann.level_code, ann.level_since) == ("Ann Smith-Jones", "SW3", date(2025, 1, 6))
    assert ann.email == "ann@example.org"  # blank cell keeps what was known
    assert ann.slack_user_id == "U-ANN" and ann.prefs.weekly_cap == 1 and ann.prefs.opted_out
    assert ann.unreachable == {"teams": "not installed"}

    result = run_import(store, again)
    assert (result.imported, result.updated, result.unchanged) == (0, 0, 3)


def test_manager_already_in_the_store(store: Store) -> None:
    store.upsert_person(Person(id="M9", display_name="Existing Manager"))
    text = csv_text("P1,Ann,ann@example.org,SW1,2020-01-01,M9,,,,")
    assert validate_rows(text, normalise_level=normalise_level, today=TODAY)[0][1].startswith("manager M9")
    assert validate_rows(text, normalise_level=normalise_level, store=store, today=TODAY) == []
    assert run_import(store, text).imported == 1
    assert store.get_person("P1").manager_id == "M9"


def test_slack_id_held_by_someone_in_the_store(store: Store) -> None:
    store.upsert_person(Person(id="X1", display_name="Someone", slack_user_id="U7"))
    result = run_import(store, csv_text("P1,Ann,ann@example.org,SW1,2020-01-01,,,,U7,"))
    assert result.problems == [(2, "slack_user_id U7 is also used by X1")]


def test_export_round_trips(store: Store, store_url: str) -> None:
    run_import(store, GOOD)
    store.upsert_person(Person(id="chat:U9", display_name="=HYPERLINK(\"http://evil\")", slack_user_id="U9"))
    exported = export_roster(store)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert tuple(rows[0]) == COLUMNS
    assert [r["id"] for r in rows] == ["M1", "P1", "P2", "chat:U9"]
    assert rows[1]["level"] == "SW2B" and rows[2]["level_since"] == "2024-08-15"
    assert rows[1]["timezone"] == "Europe/London" and rows[1]["holiday_region"] == "scotland"
    assert rows[3]["display_name"].startswith("'=")  # a spreadsheet must not run it

    result = run_import(store, exported)
    assert (result.imported, result.updated, result.unchanged, result.problems) == (0, 0, 4, [])

    fresh = open_store("sqlite:///:memory:")
    try:
        assert run_import(fresh, exported).imported == 4
        assert fresh.list_people() == store.list_people()
        assert export_roster(fresh) == exported
    finally:
        fresh.close()


def test_bom_header_variants_blank_lines_and_crlf(store: Store, tmp_path: Path) -> None:
    text = (
        "\ufeff ID , Display Name,E-mail,Level Code,Level Since,Manager ID,Time Zone,Holiday Region,Slack ID,Teams ID,"
        "Payroll Number\r\n"
        "\r\n"
        "M1,Mary Manager,mary@example.org,TM1,07/01/2019,,europe/london,Scotland,,,123\r\n"
        ",,,,,,,,,,\r\n"
        "P1,\"Smith, Ann\",ann@example.org,SW 2B,1/9/2023,M1,,Northern Ireland,,,456\r\n"
        "\r\n"
    )
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode("utf-8"))
    assert validate_rows(path, normalise_level=normalise_level, today=TODAY) == []
    assert validate_rows(str(path), normalise_level=normalise_level, today=TODAY) == []
    result = run_import(store, path)
    assert result.imported == 2 and result.ok
    m1, p1 = store.get_person("M1"), store.get_person("P1")
    assert (m1.level_since, m1.timezone, m1.holiday_region) == (date(2019, 1, 7), "Europe/London", "scotland")
    assert (p1.display_name, p1.level_code, p1.level_since, p1.holiday_region) == (
        "Smith, Ann", "SW2B", date(2023, 9, 1), "northern-ireland")


def test_line_numbers_count_quoted_line_breaks_and_blank_lines() -> None:
    text = csv_text(
        "",
        "P1,\"Ann\nSmith\",ann@example.org,SW1,2020-01-01,,,,,",
        "P2,Bob,bob@example.org,SW1,2020-99-01,,,,,",
    )
    assert [line for line, _ in validate_rows(text, normalise_level=normalise_level, today=TODAY)] == [5]


def test_windows_1252_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(csv_text("P1,Zoë Brontë,zoe@example.org,SW1,2020-01-01,,,,,").encode("cp1252"))
    assert run_import(store, path).imported == 1
    assert store.get_person("P1").display_name == "Zoë Brontë"


def test_missing_file_is_an_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run_import(store, tmp_path / "nope.csv")


names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).map(str.strip).filter(bool)
people = st.lists(
    st.builds(
        Person,
        id=st.from_regex(r"[A-Z][A-Z0-9:-]{0,8}", fullmatch=True),
        display_name=names | st.sampled_from(["=SUM(A1)", "'=1+1", "''@x", "Smith, \"Ann\"", "Anne\nMarie"]),
        email=st.none() | st.from_regex(r"[a-z]{1,8}@example\.org", fullmatch=True),
        level_code=st.none() | st.sampled_from(KNOWN_LEVELS),
        level_since=st.none() | st.dates(date(1990, 1, 1), TODAY),
        timezone=st.sampled_from(["Europe/London", "Europe/Dublin", "America/New_York"]),
        holiday_region=st.sampled_from(["england-and-wales", "scotland", "northern-ireland"]),
    ),
    min_size=1, max_size=8, unique_by=(lambda p: p.id, lambda p: p.email or p.id),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people)
def test_export_import_round_trip_property(generated: list[Person]) -> None:
    source, target = open_store("sqlite:///:memory:"), open_store("sqlite:///:memory:")
    try:
        source.upsert_people(generated)
        exported = export_roster(source)
        result = run_import(target, exported)
        assert result.problems == [] and result.imported == len(generated)
        assert target.list_people() == source.list_people()
    finally:
        source.close()
        target.close()
