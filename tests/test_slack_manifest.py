"""deploy/slack/manifest.yaml: the least scopes that work, the slash command, events, interactivity, App Home."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parents[1] / "deploy" / "slack" / "manifest.yaml"


def test_manifest():
    m = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert sorted(m["oauth_config"]["scopes"]["bot"]) == sorted(
        ["chat:write", "im:history", "im:write", "app_mentions:read", "commands", "users:read", "files:write"])
    assert "user" not in m["oauth_config"]["scopes"]
    settings = m["settings"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == ["app_home_opened", "app_mention", "message.im"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    urls = [settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]]
    [command] = m["features"]["slash_commands"]
    assert command["command"] == "/career"
    urls.append(command["url"])
    assert all(u.startswith("https://") and u.endswith("/slack/events") for u in urls)
    home = m["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"] and not home["messages_tab_read_only_enabled"]
    assert m["features"]["shortcuts"][0]["callback_id"] == "career_set_level"
