"""Answers to questions the documents leave open but touch on: a return after a career break (does the old time
count, at which level does one come back) and hours of CPD. Each says plainly what the documents do not say, who
decides, and quotes what they do say.

A part of the answer engine (AnswerEngine inherits it): it uses the engine's helpers for replies and citations.
"""

from __future__ import annotations

import re

from bot.answers.questions import Query
from bot.answers.shared import Context
from bot.conversation import Block, Reply

# Someone coming back after time away: "I'm coming back to social work after a career break", "what level will I
# come back at?", "does my old time at SW2B still count?", "was SW2B before I left", "returning to practice". Not
# "I'll come back to this later", "can I go back to SW2B?" (a step down), nor a break taken while in post ("does a
# career break count towards my time at SW2A?": what counts towards time in level, answered as such)
RETURNING = re.compile(
    r"\b(?:come|comes|coming|came)\s+back\b(?!\s+(?:to\s+(?:you|me|her|him|them|my manager|this|that|it|the "
    r"(?:question|bot|chat)|careerbot)|later|tomorrow|another time|from (?:annual |my )?(?:leave|holiday|lunch)|"
    r"once|when|after (?:annual )?leave)\b)"
    r"|\breturn(?:s|ed|ing)?\s+(?:to\s+(?:social work|work|practice|the profession|my (?:job|role|post|team))|from\s+"
    r"(?:a|my)\s+(?:career\s+)?break)\b|\breturners?\b|\breturn to practice\b"
    r"|\b(?:been|was|being) out of (?:social )?work\b|\bback (?:in)?to social work\b"
    r"|\bbefore (?:i|we) left\b(?!\s+(?:uni|university|college|school))|\bwhen (?:i|we) left\b(?!\s+(?:uni|"
    r"university|college|school))|\bsince (?:i|we) left\b(?!\s+(?:uni|university|college|school))"
    r"|\bmy (?:old|earlier|previous|former) (?:time|level|grade|months|years)\b"
    r"(?!\s+(?:at|in|with) (?:my |a |an |the )?(?:previous|last|old|other|another|former)?\s*"
    r"(?:local authority|council|authority|employer|la)\b)(?!.*\bnow i'?m\b)"
    r"|\bre-?join(?:s|ed|ing)?\b")
_ASKS_LEVEL = re.compile(r"\b(?:what|which) (?:level|grade)\b|\bcome back (?:in )?(?:at|as|on)\b")
# "how many CPD hours do I need?", "hours of training": hours of learning, not hours of work
CPD_HOURS = re.compile(r"\b(?:cpd|training|learning|development)\s+hours?\b|\bhours?\s+(?:of\s+)?(?:cpd|training|"
                       r"learning|continu\w+ (?:professional )?development)\b")
_ROLE_ORDER = ("SCO", "SW2", "SW3", "SW4")  # the adult roles first, upwards; other posts after
_CPD = re.compile(r"\bCPD\b|\bcontinu\w+ (?:professional )?development\b", re.I)


class UnsaidReplies:
    """Questions the documents leave open: a return after a break, hours of CPD."""

    def _returning(self, q: Query, ctx: Context) -> Reply:
        """'I'm coming back after a 5 year career break, I was SW2B', 'does my old time at SW2B still count?',
        'what level will I come back at?': the documents say nothing of a return, of earlier time or of a break.
        Say so, who decides, and quote the time the named level asks for before the next, in its own words."""
        named = [(r, lv) for r, lv, _p in q.levels if r in self.k.roles]
        if not named and ctx.last_topic == "returning" and ctx.last_role in self.k.roles and ctx.last_level:
            named = [(ctx.last_role, ctx.last_level)]  # "what level will I come back at?" after saying SW2B
        blocks = [Block(text="The career progression framework documents do not cover coming back after a career "
                             "break or time away: they do not say whether time at a level before a break still "
                             "counts, how a break affects the years of post-qualifying experience some levels ask "
                             "for, or at which level someone comes back. That is for HR and your manager to decide "
                             "with you when you return.")]
        role = level = None
        rules = []
        if named:
            role, level = named[-1]
            code = self.k.code(role, level)
            after = self.k.next_level(role, level)
            rules = self.k.rules_for(role, after) if after else []
            if rules:
                blocks.append(Block(title=f"What it says about the time at {code} before "
                                          f"{self.k.code(role, after)}",
                                    bullets=[f"“{r.text}” (document {r.source.document_id})" for r in rules],
                                    notes=[r.note for r in rules if r.note]))
                if any("hr records" in r.text.lower() for r in rules):
                    blocks.append(Block(text="The time is “evidenced by HR records”, so HR can tell you what their "
                                             f"records show of your time at {code}."))
            elif after is None:
                blocks.append(Block(text=f"{code} is the top level of {self._role_name(role)}; the framework sets "
                                         "no time at it."))
            else:
                blocks.append(Block(text=f"The framework gives no minimum time in level for "
                                         f"{self._role_name(role)}."))
        else:
            blocks.append(Block(text="Tell me the level you were at (for example “I was SW2B before my break”) and "
                                     "I'll show what the framework asks at that level and the time it sets."))
        choices = []
        if role and level:
            code = self.k.code(role, level)
            choices.append(self.ask_choice(f"What {code} needs", f"what do I need for {code}"))
            after = self.k.next_level(role, level)
            if after:
                choices += self.evidence_choices(self.k.code(role, after))[:1]
        if _ASKS_LEVEL.search(q.lower):
            title = "The framework does not say at which level someone comes back after a break."
        elif re.search(r"\bcount", q.lower):
            title = "The framework does not say whether time before a break still counts."
        else:
            title = "The framework does not cover coming back after a career break."
        reply = Reply(title=title,
                      blocks=blocks, sources=self._sources(rules),
                      status="answered" if rules else "not_in_framework", choices=choices)
        reply.meta.update(role=self._public_role(role), level=level, topic="returning")
        return reply

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
