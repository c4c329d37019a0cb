"""Answers to questions the documents leave open but touch on: hours of CPD. Each says plainly what the documents
do not say, who decides, and quotes what they do say.

A part of the answer engine (AnswerEngine inherits it): it uses the engine's helpers for replies and citations.
"""

from __future__ import annotations

import re

from bot.answers.questions import Query
from bot.conversation import Block, Reply

# "how many CPD hours do I need?", "hours of training": hours of learning, not hours of work
CPD_HOURS = re.compile(r"\b(?:cpd|training|learning|development)\s+hours?\b|\bhours?\s+(?:of\s+)?(?:cpd|training|"
                       r"learning|continu\w+ (?:professional )?development)\b")
_ROLE_ORDER = ("SCO", "SW2", "SW3", "SW4")  # the adult roles first, upwards; other posts after
_CPD = re.compile(r"\bCPD\b|\bcontinu\w+ (?:professional )?development\b", re.I)


class UnsaidReplies:
    """Questions the documents leave open: hours of CPD."""

    def _cpd_hours(self, q: Query) -> Reply:
        """'How many CPD hours do I need?': no document gives hours of CPD; what they ask of CPD, in their words
        (for the role or level named, when one is)."""
        levels = {(r, lv) for r, lv, _p in q.levels if r in self.k.roles}
        roles = {r for r in q.roles if r in self.k.roles}
        found = [c for c in self.k.criteria if _CPD.search(c.text) and c.topic != "duties"
                 and (not levels or (c.role, c.level) in levels) and (levels or not roles or c.role in roles)]
        # the framework's own roles in order, levels upwards, each level's requirement before its evidence
        found.sort(key=lambda c: (_ROLE_ORDER.index(c.role) if c.role in _ROLE_ORDER else len(_ROLE_ORDER),
                                  c.level or "", c.topic != "qualifications"))
        asked = " or ".join(self.k.code(r, lv) for r, lv in sorted(levels)) or " or ".join(
            self._role_name(r) for r in sorted(roles))
        blocks = [Block(text="None of the framework documents gives a number of hours of CPD (continuous "
                             f"professional development){' for ' + asked if asked else ''}. "
                             + ("What they ask about CPD is below, in their own words. " if found else "")
                             + "Your manager or HR can say whether your employer sets hours.")]

        def where(c) -> str:
            return f"{self.k.code(c.role, c.level)} – {c.source.heading}" if c.role and c.level else (
                f"{self._role_name(c.role)} – {c.source.heading}" if c.role else c.source.heading)

        quoted, _ = self._blocks(found, key=where)
        reply = Reply(title="The framework sets no number of CPD hours.", blocks=blocks + quoted,
                      sources=self._sources(found), status="answered" if found else "not_in_framework",
                      choices=[self.ask_choice("What is CPD?", "what does CPD stand for?")])
        only = {c.role for c in found}
        reply.meta.update(role=self._public_role(next(iter(only))) if len(only) == 1 else None,
                          level=None, topic="search")
        return reply
