"""Where the folders shipped with careerbot are: the framework files and the Teams app template.

In a checkout (and an editable install) they sit in the source tree. A wheel install puts them under the
install's data path, ``share/careerbot/...`` (pyproject.toml's data-files), which is where they are looked
for next. CAREERBOT_FRAMEWORK_DIR still overrides the framework folder (bot/config.py).
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[1]


def shipped(*parts: str) -> Path:
    """The shipped folder ``parts`` (e.g. "framework_data", or "deploy", "teams"). When it is nowhere, the
    source-tree path, so that the error a caller reports names the place it expected."""
    source = SOURCE_ROOT.joinpath(*parts)
    if source.is_dir():
        return source
    for base in dict.fromkeys((sysconfig.get_path("data"), sys.prefix)):
        installed = Path(base, "share", "careerbot", *parts)
        if installed.is_dir():
            return installed
    return source
