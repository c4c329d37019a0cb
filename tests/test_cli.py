"""The careerbot command's admin verbs: a bad person or record is a clear message and exit code 2, never a
traceback."""

from __future__ import annotations

from datetime import date

import pytest

from bot.cli import main
from bot.storage import open_store
from bot.storage.base import Person


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CAREERBOT_REMINDERS", "0")
    return url


@pytest.mark.parametrize("what", ["assessment", "data"])
def test_exporting_someone_unknown_says_so(db, capsys, what):
    assert main(["export", what, "--user", "nobody", "--out", "-"]) == 2
    err = capsys.readouterr().err
    assert "no person" in err and "nobody" in err and "Traceback" not in err


def test_exporting_an_assessment_for_someone_with_only_a_check_in_points_to_it(db, capsys, tmp_path):
    store = open_store(db)
    store.upsert_person(Person(id="fay", display_name="Fay", level_code="SW2B", level_since=date(2025, 3, 1)))
    record_id = store.add_record("fay", "checkin", {"answers": {}, "status": "completed"})
    store.close()
    assert main(["export", "assessment", "--user", "fay", "--out", "-"]) == 2
    assert f"fay has no self-assessment yet; their latest check-in note is --id {record_id}" in capsys.readouterr().err
