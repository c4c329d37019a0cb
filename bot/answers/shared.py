"""Constants and small helpers the answer engine and its parts (timing.py, beyond.py) share."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.model import Criterion


@dataclass(frozen=True)
class Context:
    """What the caller knows about the person asking (their recorded level), to fill gaps."""

    role: str | None = None
    level: str | None = None
    # the answer just given in this conversation, for a follow-up ("what about C?", "and the evidence?")
    last_role: str | None = None
    last_level: str | None = None
    last_topic: str | None = None
    last_variant: str | None = None  # "Deaf services" when the last answer was from that table


OUT_OF_SCOPE_WHAT = {
    "performance": "performance, capability or disciplinary procedures, such as a performance improvement plan (PIP)",
    "pay": "pay or salary figures",
    "leave": "annual leave or other leave entitlements",
    "hours": "hours of work",
    "pension": "pensions",
    "working_place": "hybrid or home working",
    "allowances": "mileage, car or other allowances",
    "contract": "contract terms such as notice periods, probation, or agency and temporary work",
    "moves": "what happens to your level or time in level if you change team, post or employer",
    "caseload_size": "caseload numbers",
    "process": "who approves progression, how to apply or what happens if a request is turned down",
    "supervision": "how often supervision happens or how it is arranged",
}


# What the guidance does say about using the framework with one's manager (quoted, for "process" questions).
PROCESS_GUIDANCE = ("guarantee of progression", "conversations with your line manager")


SUPERVISION_GUIDANCE = ("conversations with your line manager", "career conversations")


# Before a level code: the level the person is at or is leaving, not the one they ask about
_CURRENT_BEFORE = re.compile(r"\b(?:from|at|on|been|am|i'?m|im|currently|now|still|beyond|skip|skipping|"
                             r"miss out|bypass)\s+(?:level\s+|an?\s+)?$")


_SKIP = re.compile(r"\bskip(?:ping|ped)?\b|\bjump(?:ing)? (?:straight )?(?:to|over|from)\b|\bstraight (?:in )?to\b|"
                   r"\bfast[- ]?track|\bbypass|\bmiss out\b")


_SKIP_NOTE = ("The framework does not describe skipping a level or shortening the time: it sets the minimum time "
              "at each level before the next. Your manager or HR can say whether exceptions are ever made.")


LEVEL_NAMES_TEXT = "A (Developing), B (Practising) and C (Accomplished)"


def _heading_with_group(c: Criterion) -> str:
    if c.group and c.group.lower() not in c.source.heading.lower():
        return f"{c.source.heading} – {c.group}"
    return c.source.heading


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
