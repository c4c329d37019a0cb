"""careerbot doctor: checks configuration, store, frameworks and channel credentials, offline where it can."""

from __future__ import annotations

import re
import sys
from typing import TextIO

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


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
