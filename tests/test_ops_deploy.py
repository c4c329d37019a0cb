"""The deployment files stay true to the code: every setting documented, dependencies pinned to what the
tests run with, the image non-root with a health check, two replicas behind the proxy, a hardened unit.

(Docker is not available where these tests run, so the files are checked by reading them.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def config_env_names() -> set[str]:
    """Every environment variable bot/config.py reads."""
    text = (ROOT / "bot" / "config.py").read_text(encoding="utf-8")
    names = set(re.findall(r"""(?:env|environ)(?:\.get)?[\(\[]\s*["']([A-Z][A-Z0-9_]+)["']""", text))
    names |= set(re.findall(r"""_[a-z]+\(env,\s*["']([A-Z][A-Z0-9_]+)["']""", text))
    return names


def env_example() -> dict[str, str]:
    """NAME -> value for every NAME=value line of .env.example, commented out or not."""
    out = {}
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^#?\s*([A-Z][A-Z0-9_]+)=(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_env_example_lists_every_setting_with_its_meaning():
    names = config_env_names()
    assert {"DATABASE_URL", "SLACK_BOT_TOKEN", "MICROSOFT_APP_ID", "CAREERBOT_DATA_DIR"} <= names  # parsing works
    documented = env_example()
    missing = sorted(names - documented.keys())
    assert missing == [], f"settings read in bot/config.py but not in deploy/.env.example: {missing}"
    # ... each with a comment just above it saying what it means
    lines = (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines()
    for name in names:
        i = next(i for i, line in enumerate(lines) if re.match(rf"^#?\s*{name}=", line))
        assert lines[i - 1].startswith("# ") and len(lines[i - 1]) > 10, f"{name} has no explanation above it"


def test_env_example_holds_no_secret():
    for name, value in env_example().items():
        assert not re.search(r"xox[baprs]-\w|xapp-\w", value), name
        if any(word in name for word in ("SECRET", "PASSWORD", "TOKEN")):
            assert value == "" or "change-me" in value, f"{name} must be empty in the example"


def test_requirements_lock_pins_exactly_what_the_tests_run_with():
    pins = {}
    for line in (DEPLOY / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            pins[name] = version
    for dep in ("slack-bolt", "botbuilder-core", "aiohttp", "psycopg", "psycopg-binary", "prometheus-client",
                "pydantic", "holidays", "rapidfuzz", "pyyaml", "python-docx"):
        assert dep in pins, dep
    for name, version in pins.items():
        assert metadata.version(name) == version, f"{name}: lock {version}, installed {metadata.version(name)}"
    for test_only in ("pytest", "hypothesis", "ruff"):
        assert test_only not in pins


def test_lock_script_reproduces_the_committed_lock(tmp_path):
    out = tmp_path / "check.lock"
    subprocess.run(["sh", str(DEPLOY / "lock.sh")], check=True, capture_output=True, timeout=60,
                   env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin", "LOCK_OUT": str(out)})

    def pins(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("#")]

    committed = (DEPLOY / "requirements.lock").read_text(encoding="utf-8")
    assert pins(out.read_text(encoding="utf-8")) == pins(committed), \
        "deploy/requirements.lock is stale: run deploy/lock.sh"


def test_dockerfile_is_multi_stage_non_root_pinned_with_a_health_check():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert len(stages) == 2 and "python:3.11-slim" in text
    runtime = text[text.rindex("\nFROM "):]
    assert re.search(r"^USER\s+careerbot", runtime, re.M), "the runtime stage must run as a non-root user"
    assert "--no-index" in runtime and "requirements.lock" in runtime  # only the pinned, prebuilt wheels
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", runtime, re.M)
    assert "curl" not in runtime.split("HEALTHCHECK", 1)[1].split("\n\n")[0]
    assert re.search(r"^EXPOSE 3978$", runtime, re.M)
    assert "CAREERBOT_DATA_DIR=/data" in runtime and re.search(r'^VOLUME \["/data"\]', runtime, re.M)
    assert 'ENTRYPOINT ["careerbot"]' in runtime and 'CMD ["serve"]' in runtime  # exec form: PID 1 gets SIGTERM
    assert "CAREERBOT_FRAMEWORK_DIR=/app/framework_data" in runtime and "COPY framework_data" in runtime


def test_compose_runs_two_replicas_behind_a_proxy_on_postgres():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    replicas = [s for name, s in services.items() if name.startswith("careerbot-")]
    assert len(replicas) == 2
    for svc in replicas:
        assert svc["env_file"] == ".env"
        assert svc["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert "/readyz" in " ".join(svc["healthcheck"]["test"])
        assert svc["restart"] == "unless-stopped"
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "stop_grace_period" in svc
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["nginx"]["restart"] == "unless-stopped"
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    for name in ("careerbot-a", "careerbot-b"):
        assert name in services and re.search(rf"server {name}:3978", nginx)
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]


def test_systemd_unit_runs_serve_as_its_own_user_with_hardening():
    unit = (DEPLOY / "systemd" / "careerbot.service").read_text(encoding="utf-8")
    for line in ("User=careerbot", "EnvironmentFile=/etc/careerbot/careerbot.env", "Restart=on-failure",
                 "NoNewPrivileges=true", "ProtectSystem=strict", "StateDirectory=careerbot", "KillSignal=SIGTERM"):
        assert re.search(rf"^{re.escape(line)}$", unit, re.M), line
    assert re.search(r"^ExecStart=\S+/careerbot serve$", unit, re.M)


def test_systemd_timer_runs_one_reminder_pass_with_the_same_settings():
    service = (DEPLOY / "systemd" / "careerbot-remind.service").read_text(encoding="utf-8")
    timer = (DEPLOY / "systemd" / "careerbot-remind.timer").read_text(encoding="utf-8")
    main = (DEPLOY / "systemd" / "careerbot.service").read_text(encoding="utf-8")
    assert re.search(r"^Type=oneshot$", service, re.M)
    assert re.search(r"^ExecStart=\S+/careerbot remind --send$", service, re.M)
    for key in ("User=", "EnvironmentFile=", "Environment=CAREERBOT_DATA_DIR=", "Environment=CAREERBOT_FRAMEWORK_DIR="):
        [mine] = [line for line in service.splitlines() if line.startswith(key)]
        assert mine in main.splitlines(), f"{mine} differs from careerbot.service"
    assert re.search(r"^OnCalendar=\S+$", timer, re.M) and "WantedBy=timers.target" in timer
