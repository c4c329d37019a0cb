"""Shared test set-up: every test runs with its own data directory, never the user's real one."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREERBOT_DATA_DIR", str(tmp_path / "careerbot-data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CAREERBOT_FRAMEWORK_DIR", raising=False)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "MICROSOFT_APP_ID",
                 "MICROSOFT_APP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
