"""The shape of the codebase: only the channels (and the composition root) know any chat platform."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_MODULES = ("slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp")
ALLOWED = {ROOT / "bot" / "app.py"}
BOTBUILDER_HOME = ROOT / "bot" / "channels" / "teams.py"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _sources():
    for folder in ("bot", "dialogs"):
        yield from (ROOT / folder).rglob("*.py")


def test_only_channels_import_chat_platforms():
    offenders = []
    for path in _sources():
        if path in ALLOWED or (ROOT / "bot" / "channels") in path.parents:
            continue
        bad = [m for m in _imports(path) if m.split(".")[0] in PLATFORM_MODULES]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)}: {bad}")
    assert offenders == []


def test_botbuilder_lives_in_one_module():
    users = [p for p in _sources() if any(m.split(".")[0] in ("botbuilder", "botframework") for m in _imports(p))]
    assert users in ([], [BOTBUILDER_HOME]), users


def test_only_config_reads_the_environment():
    offenders = []
    for path in _sources():
        if path.name == "config.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "os.environ" in text or "os.getenv" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_module_says_what_it_owns():
    missing = [str(p.relative_to(ROOT)) for p in _sources()
               if p.stat().st_size and ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None
               and p.name != "__init__.py"]
    assert missing == []
