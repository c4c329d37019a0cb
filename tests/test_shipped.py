"""The framework files and the Teams template travel with a wheel install (pyproject data-files), and
bot/shipped.py finds them there when there is no source tree."""

from __future__ import annotations

import fnmatch
import sys
import tomllib
from pathlib import Path

import bot.shipped as shipped_mod

ROOT = Path(__file__).resolve().parents[1]


def test_a_checkout_uses_its_own_folders():
    assert shipped_mod.shipped("framework_data") == ROOT / "framework_data"
    assert shipped_mod.shipped("deploy", "teams") == ROOT / "deploy" / "teams"


def test_a_wheel_install_finds_them_under_the_install_s_data_path(tmp_path, monkeypatch):
    installed = tmp_path / "prefix" / "share" / "careerbot" / "framework_data"
    installed.mkdir(parents=True)
    monkeypatch.setattr(shipped_mod, "SOURCE_ROOT", tmp_path / "site-packages")  # no source tree beside bot/
    monkeypatch.setattr(shipped_mod.sysconfig, "get_path", lambda name: str(tmp_path / "prefix"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "elsewhere"))
    assert shipped_mod.shipped("framework_data") == installed
    # nowhere at all: the source-tree path, so the error names where it was expected
    assert shipped_mod.shipped("deploy", "teams") == tmp_path / "site-packages" / "deploy" / "teams"


def test_every_shipped_file_is_in_the_wheel_s_data_files():
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    patterns = [p for globs in data_files.values() for p in globs]
    needed = list((ROOT / "framework_data").iterdir())
    needed += [f for f in (ROOT / "deploy" / "teams").iterdir() if f.name != "README.md"]  # README: for people
    for f in needed:
        rel = f.relative_to(ROOT).as_posix()
        assert any(fnmatch.fnmatch(rel, p) for p in patterns), f"{rel} would be missing from a wheel"
