"""careerbot doctor: checks configuration, store, frameworks and channel credentials, offline where it can."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TextIO

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def _writable_dir(path: Path) -> str | None:
    """Why careerbot could not create files in path (or the nearest folder that exists), or None."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable by this user"
    return None


def _operations(settings, say) -> None:
    """Logging, data folder and shutdown settings that would hurt in production."""
    level = settings.log_level
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        say("FAIL", "logging", f"CAREERBOT_LOG_LEVEL={level} is not one of DEBUG, INFO, WARNING, ERROR")
    elif level == "DEBUG":
        say("WARN", "logging", "CAREERBOT_LOG_LEVEL=DEBUG may write message text and names to the log; "
                               "use INFO in production")
    else:
        say("OK", "logging", f"{level}, {'JSON lines' if settings.log_json else 'plain text'}")
    if settings.database_url.startswith("sqlite:") and ":memory:" not in settings.database_url:
        from bot.storage import sqlite_path_from_url

        try:
            folder = Path(sqlite_path_from_url(settings.database_url)).parent
        except ValueError as exc:
            say("FAIL", "data folder", str(exc))
        else:
            problem = _writable_dir(folder)
            say("FAIL" if problem else "OK", "data folder", problem or f"the database can be written in {folder}")
    if settings.notify_file is not None:
        problem = _writable_dir(settings.notify_file.parent)
        if problem:
            say("FAIL", "notify file", f"CAREERBOT_NOTIFY_FILE: {problem}")
        else:
            say("WARN", "notify file", f"messages for people no chat channel reaches go to {settings.notify_file} "
                                       "(it holds message text: keep it private)")
    if settings.shutdown_timeout_seconds < 1:
        say("FAIL", "shutdown", "CAREERBOT_SHUTDOWN_TIMEOUT must be at least 1 second")


def run_doctor(env=None, out: TextIO | None = None) -> int:
    """Print one line per check (OK / WARN / FAIL); exit code 1 when anything failed."""
    out = out or sys.stdout
    failures = 0

    def say(status: str, what: str, detail: str = "") -> None:
        nonlocal failures
        failures += status == "FAIL"
        out.write(f"[{status:4}] {what}{': ' + detail if detail else ''}\n")

    from bot.config import load_settings

    try:
        settings = load_settings(env)
    except ValueError as exc:
        say("FAIL", "configuration", str(exc))
        return 1
    say("OK", "configuration", f"data directory {settings.data_dir}")
    _operations(settings, say)

    from bot.knowledge.loader import DEFAULT_FRAMEWORK_DIR, validate_folder

    folder = settings.framework_dir or DEFAULT_FRAMEWORK_DIR
    problems = validate_folder(folder)
    if problems:
        say("FAIL", "framework files", f"{len(problems)} problem(s) in {folder}; run 'careerbot validate'")
    else:
        say("OK", "framework files", str(folder))

    from bot.storage import open_store

    url = settings.database_url
    shown = re.sub(r"://([^:/@]+):[^@]+@", r"://\1:***@", url)
    try:
        store = open_store(url)
        try:
            if not store.ping():
                raise RuntimeError("the store did not answer")
            version = store.migrate()
            say("OK", "store", f"{shown} (schema version {version})")
        finally:
            store.close()
    except Exception as exc:  # every failure becomes a line of the report  # noqa: BLE001
        say("FAIL", "store", f"{shown}: {exc}")

    if settings.slack_bot_token or settings.slack_signing_secret:
        if not settings.slack_signing_secret:
            say("FAIL", "Slack", "SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not")
        elif not settings.slack_bot_token:
            say("FAIL", "Slack", "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not")
        elif not settings.slack_bot_token.startswith("xoxb-"):
            say("WARN", "Slack", "SLACK_BOT_TOKEN does not look like a bot token (xoxb-...)")
        else:
            say("OK", "Slack", "token and signing secret set")
        if settings.slack_app_token and not settings.slack_app_token.startswith("xapp-"):
            say("WARN", "Slack Socket Mode", "SLACK_APP_TOKEN does not look like an app-level token (xapp-...)")
    else:
        say("OK", "Slack", "off (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET not set)")

    if settings.microsoft_app_id or settings.microsoft_app_password:
        if not (settings.microsoft_app_id and settings.microsoft_app_password):
            say("FAIL", "Teams", "set both MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD, or neither")
        elif not GUID.match(settings.microsoft_app_id):
            say("FAIL", "Teams", "MICROSOFT_APP_ID should be a GUID")
        elif settings.microsoft_app_type.lower() == "singletenant" and not settings.microsoft_app_tenant_id:
            say("FAIL", "Teams", "MICROSOFT_APP_TYPE is SingleTenant but MICROSOFT_APP_TENANT_ID is not set")
        else:
            say("OK", "Teams", f"app id set ({settings.microsoft_app_type})")
    else:
        say("WARN", "Teams", "no MICROSOFT_APP_ID: /api/messages accepts unauthenticated requests (local use only)")
    out.write("All checks passed.\n" if not failures else f"{failures} check(s) failed.\n")
    return 1 if failures else 0
