"""Settings from the environment: the only module that reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "careerbot"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, not {raw!r}") from exc


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    framework_dir: Path | None
    port: int = 3978
    host: str = "0.0.0.0"  # noqa: S104 - a server inside a container listens on every interface
    log_json: bool = False
    log_level: str = "INFO"
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"
    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = field(default=None, repr=False)
    microsoft_app_type: str = "MultiTenant"
    microsoft_app_tenant_id: str | None = None
    teams_openid_metadata_url: str | None = None  # tests point this at a local document
    teams_token_url: str | None = None  # the Bot Framework token endpoint (tests point it at a mock)
    teams_proxy_url: str | None = None  # HTTP(S) proxy for calls to the Bot Connector
    teams_turn_threads: int = 4  # worker threads for Teams turns
    teams_proactive_interval: float = 1.0  # seconds between proactive messages to one conversation
    teams_tenant_rate: float = 40.0  # proactive messages per second per tenant (Teams allows 50)
    reminder_interval_seconds: int = 300
    reminders_enabled: bool = True
    dialog_expiry_days: int = 30
    digest_weekday: int = 0  # Monday
    eligible_for_long_months: int = 6
    shutdown_timeout_seconds: int = 20  # on SIGTERM, how long turns in flight may take to finish
    notify_file: Path | None = None  # deliver proactive messages as JSON lines to this file (trials, tests)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_signing_secret and self.slack_bot_token)

    @property
    def teams_auth_enabled(self) -> bool:
        return bool(self.microsoft_app_id and self.microsoft_app_password)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings; env defaults to os.environ. Raises ValueError with a clear message."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("CAREERBOT_DATA_DIR") or _default_data_dir()).expanduser()
    database_url = env.get("DATABASE_URL", "").strip() or f"sqlite:///{data_dir / 'careerbot.db'}"
    framework_dir = env.get("CAREERBOT_FRAMEWORK_DIR", "").strip()
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        framework_dir=Path(framework_dir).expanduser() if framework_dir else None,
        port=_int(env, "PORT", 3978),
        host=env.get("CAREERBOT_HOST", "0.0.0.0"),  # noqa: S104
        log_json=_flag(env, "CAREERBOT_LOG_JSON"),
        log_level=env.get("CAREERBOT_LOG_LEVEL", "INFO").upper(),
        slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        slack_app_token=env.get("SLACK_APP_TOKEN") or None,
        slack_api_url=env.get("SLACK_API_URL") or "https://slack.com/api/",
        microsoft_app_id=env.get("MICROSOFT_APP_ID") or None,
        microsoft_app_password=env.get("MICROSOFT_APP_PASSWORD") or None,
        microsoft_app_type=env.get("MICROSOFT_APP_TYPE") or "MultiTenant",
        microsoft_app_tenant_id=env.get("MICROSOFT_APP_TENANT_ID") or None,
        teams_openid_metadata_url=env.get("CAREERBOT_TEAMS_OPENID_METADATA") or None,
        teams_token_url=env.get("CAREERBOT_TEAMS_TOKEN_URL") or None,
        teams_proxy_url=env.get("CAREERBOT_TEAMS_PROXY") or None,
        teams_turn_threads=_int(env, "CAREERBOT_TEAMS_TURN_THREADS", 4),
        teams_proactive_interval=_float(env, "CAREERBOT_TEAMS_PROACTIVE_INTERVAL", 1.0),
        teams_tenant_rate=_float(env, "CAREERBOT_TEAMS_TENANT_RATE", 40.0),
        reminder_interval_seconds=_int(env, "CAREERBOT_REMINDER_INTERVAL", 300),
        reminders_enabled=_flag(env, "CAREERBOT_REMINDERS", True),
        dialog_expiry_days=_int(env, "CAREERBOT_DIALOG_EXPIRY_DAYS", 30),
        eligible_for_long_months=_int(env, "CAREERBOT_ELIGIBLE_FOR_LONG_MONTHS", 6),
        shutdown_timeout_seconds=_int(env, "CAREERBOT_SHUTDOWN_TIMEOUT", 20),
        notify_file=Path(env["CAREERBOT_NOTIFY_FILE"]).expanduser() if env.get("CAREERBOT_NOTIFY_FILE") else None,
    )
