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


def test_the_console_shows_the_open_question_when_a_chat_starts_again_so_numbers_mean_what_they_say(tmp_path):
    import io

    from bot.app import build_services
    from bot.channels.console import ConsoleChat
    from bot.config import load_settings

    settings = load_settings({"CAREERBOT_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/c.db",
                              "CAREERBOT_REMINDERS": "0"})
    services = build_services(settings)
    try:
        ConsoleChat(services.router, user="jo", out=io.StringIO()).say("self-assessment for SW3B")
        out = io.StringIO()
        again = ConsoleChat(services.router, user="jo", out=out)  # a new `careerbot chat` after a restart
        again.show_where_we_are()
        shown = out.getvalue()
        assert "We're in the middle of it" in shown and "[1] Met" in shown
        again.say("1")  # the number shown: Met, not the text "1"
        assert "Qualifications: Met" in out.getvalue()
        out2 = io.StringIO()
        ConsoleChat(services.router, user="new", out=out2).show_where_we_are()
        assert out2.getvalue() == ""  # nothing open: nothing shown
    finally:
        services.close()


def test_a_listing_comes_before_its_count_when_both_go_down_one_pipe(db):
    # the count goes to stderr, which is unbuffered: without a flush it came before (or inside) the listing
    import os
    import subprocess
    import sys

    store = open_store(db)
    store.upsert_people([Person(id="amy", display_name="Amy", level_code="SW2A", level_since=date(2024, 9, 1)),
                         Person(id="raj", display_name="Raj")])
    store.close()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered, as in a pipe
    out = subprocess.run([sys.executable, "-m", "bot.cli", "roster", "list"], text=True, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True).stdout
    assert out.splitlines() == ["amy\tAmy\tSW2A\t2024-09-01\tmanager=-", "raj\tRaj\t-\t-\tmanager=-", "2 people"]
