"""Answers about time: how long at a level before the next, paths over several steps, moving into a new role,
the top of a role, the next step, and how the ASYE fits the time at SW2A.

A part of the answer engine (AnswerEngine inherits it): it uses the engine's helpers for replies and citations.
"""

from __future__ import annotations

import re

from bot.answers.questions import LADDER, Query, parse
from bot.answers.shared import _SKIP, _SKIP_NOTE, Context, _heading_with_group
from bot.conversation import Block, Reply
from bot.knowledge.model import LEVEL_NAMES, Criterion, TimeRule

# The experience a role's first level asks for, in years, months or post-qualifying experience
_TIME_OR_PQE = re.compile(r"\byears?\b|\bmonths?\b|post qualifying", re.I)


# "Does maternity leave count towards my time at SW2A?", "is time in level pro rata for part-timers?", "does my
# experience at my previous council count?": what might or might not count towards the time at a level
# Part-time said without the word: "I work 3 days a week", "0.6 FTE", "80% FTE", "reduced hours", "a job share" (never
# five days a week, nor days of something else: "3 days a week of training")
_PART_TIME_SAID = (r"(?:work|working|do|doing|contracted(?: for)?|on)\s+(?:only\s+|just\s+)?(?:[1-4](?:\.5)?|one|two|"
                   r"three|four|(?:two|three|four) and a half)\s+days?\s+(?:a|per|each|of the)\s+week(?!\s+of\b)|"
                   r"0?\.\d{1,2}\s*fte|[1-9]\d\s*%\s*fte|fte\s+(?:of\s+)?0?\.\d{1,2}|reduced hours|"
                   r"job[- ]?shar(?:e|ing)")
_COUNTED_THING = re.compile(
    r"\b(?:part[- ]?time(?:rs?| work(?:ing)?| hours| contract)?|pro[- ]?rata|" + _PART_TIME_SAID + r"|"
    r"maternity(?: leave)?|paternity(?: leave)?|"
    r"(?:shared )?parental leave|adoption leave|sick(?:ness)?(?: leave)?|long[- ]term sick(?:ness)?|career break|"
    r"secondments?|seconded|acting up|agency (?:work|social work|experience)|agency|locum(?: work)?|"
    r"(?:time|experience|years?|months?) (?:at|in|from|with) (?:my |a |an )?(?:previous|last|old|other|another|"
    r"former) (?:local authority|council|authority|employer|job|la)|(?:my )?(?:previous|last|old|former) "
    r"(?:local authority|council|authority|employer|la)|another (?:local authority|council|authority)|"
    r"(?:time|years?|experience) as (?:an? )?(?:sco|social care officer)|"
    r"(?:my )?sco (?:time|years?|experience))\b", re.I)
_COUNTED_NAMES = ((r"part[- ]?time.*|pro[- ]?rata|" + _PART_TIME_SAID, "part-time working"),
                  (r"sick(?:ness)?", "sickness absence"),
                  (r"(?:time|years?|experience) as (?:an? )?(?:sco|social care officer)|(?:your )?sco (?:time|years?|"
                   r"experience)", "time as a social care officer"),
                  (r"seconded|secondments", "secondment"), (r"agency", "agency work"), (r"locum", "locum work"))
_COUNTING = re.compile(r"\b(?:counts?|counted|counting|pro[- ]?rata|reset|resets|restarts?|stop the clock|clock stops?|"
                       r"(?:need|take|takes|wait|be) longer|longer at|"
                       r"pause the clock|carry (?:over|across)|transfer(?:s|red)?)\b|"
                       r"\b(?:included|include) in (?:my |the )?(?:time|\d+ months)|"
                       # "does my time at SW2A stop?", "will the clock pause?", "do my months freeze?", "stop my time"
                       r"\b(?:time|clock|months?)(?: (?:at|in|on) (?:level )?[a-z0-9]{1,5}(?: ?[a-z0-9]{1,3})?)? "
                       r"(?:stops?|stopped|pauses?|paused|freezes?|frozen|(?:be|get|go) (?:paused|frozen|on hold)|"
                       r"starts? (?:again|over))\b|"
                       r"\b(?:stop|stops|pause|pauses|freeze|freezes) (?:my|the) (?:time|clock|months)\b", re.I)
_ABOUT_TIME = re.compile(r"\btime (?:in|at) (?:level|sw|sco|my)|\btime[- ]in[- ]level\b|\bmonths?\b|\byears?\b|"
                         r"\blonger\b|\bclock\b|\btime at\b|(?<!part[- ])(?<!full[- ])\btime\b", re.I)
# "does acting up count as evidence?", "towards the post qualifying experience": not time in level
_NOT_TIME = re.compile(r"\b(?:as|for|towards|in) (?:my |the |your )?(?:evidence|experience|portfolio|"
                       r"post[- ]?qualif\w*|pqe|qualifications?)\b", re.I)


def _by_step(rules: list[TimeRule]) -> dict[tuple[str, str], list[TimeRule]]:
    steps: dict[tuple[str, str], list[TimeRule]] = {}
    for r in rules:
        steps.setdefault((r.role, r.to_level), []).append(r)
    return steps


class TimingReplies:
    """Time in level, paths and next steps."""

    def _what_counts(self, q: Query, ctx: Context) -> Reply | None:
        """'Does maternity leave count towards the 24 months?': the framework never says what counts towards
        time in level. Say so, quote the rule for the level (the person's, or the one named), and who can say:
        the rules themselves say the time is evidenced by HR records."""
        thing = _COUNTED_THING.search(q.lower)
        if not thing or q.covering or not _COUNTING.search(q.lower) or _NOT_TIME.search(q.lower) or not (
                _ABOUT_TIME.search(q.lower) or q.levels or len(q.lower.split()) <= 6):
            return None  # covering a manager ("does acting up for my manager count?") has its own answer
        what = re.sub(r"\bmy\b", "your", thing.group(0))
        for pattern, name in _COUNTED_NAMES:
            if re.fullmatch(pattern, what):
                what = name
        role = level = None
        if q.levels:
            role, named = q.levels[-1][0], q.levels[-1][1]
            towards = re.search(r"\b(?:towards|for|before|to)\s+(?:level\s+)?(?:sw|sco)", q.lower)
            if towards and self.k.previous_level(role, named) is None and self._previous_role(role):
                # "…does my time count less towards getting to SW3A?": a role's first level asks for
                # post-qualifying experience, not time at the level below
                return self._counted_towards_entry(q, what, role, named)
            level = named if towards and self.k.previous_level(role, named) else self.k.next_level(role, named)
        elif ctx.role in self.k.roles and ctx.level:
            role, level = ctx.role, self.k.next_level(ctx.role, ctx.level)
        rules = self.k.rules_for(role, level) if role and level else []
        months = re.search(r"\b(?:the|my|those|these|your) (\d{1,2}) months?\b", q.lower)
        if not rules and months:  # "does it count towards the 24 months?": the steps that ask for 24 months
            rules = [r for r in self.k.time_rules if r.min_months == int(months.group(1))]
            role, level = (rules[0].role, rules[0].to_level) if rules else (None, None)
        if not rules and role and level is None and q.levels:  # "…towards my time at SW4C?": the top of a role
            return self._top_level(role, q.levels[-1][1], topic="time_in_level")
        blocks = []
        for (r_role, to), step in _by_step(rules).items():
            frm = self.k.previous_level(r_role, to)
            blocks.append(Block(title=f"What it says about the time at {self.k.code(r_role, frm)} before "
                                      f"{self.k.code(r_role, to)}",
                                bullets=[f"“{r.text}” (document {r.source.document_id})" for r in step],
                                notes=[r.note for r in step if r.note]))
        hr = any("hr records" in r.text.lower() for r in rules)
        untimed = role in self.k.roles and not any(r.role == role for r in self.k.time_rules)
        if untimed:  # "does my time at SCO 4A stop on maternity leave?": that role has no time in level at all
            blocks.append(Block(text=f"The framework gives no minimum time in level for {self._role_name(role)}."))
        blocks.append(Block(text=(f"The time is “evidenced by HR records”, so HR (or your manager) can tell you how "
                                  f"{what} is counted." if hr else
                                  f"HR or your manager can tell you how {what} is counted.")
                                 + ("" if rules or untimed else " Name your level for the rule the framework gives, "
                                                                "for example “does it count towards time at SW2A?”.")))
        choices = []
        if rules and role and level:
            before = self.k.code(role, self.k.previous_level(role, level))
            choices.append(self.ask_choice(f"Time needed at {before}", f"how long before {self.k.code(role, level)}"))
        reply = Reply(title=f"The framework does not say whether {what} counts towards time in level.",
                      blocks=blocks, sources=self._sources(rules), status="answered" if rules else "not_in_framework",
                      choices=choices)
        reply.meta.update(role=role, level=level, topic="time_in_level")
        return reply

    def _counted_towards_entry(self, q: Query, what: str, role: str, level: str) -> Reply:
        """'I work 3 days a week, does my time count less towards SW3A?': SW3A, the first level of its role, has no
        time in level; what it asks instead (post-qualifying experience) is quoted, and that the framework does
        not say how the thing asked about counts towards that either."""
        code = self.k.code(role, level)
        asked = [c for c in self.k.find(role=role, level=level, topic="experience")
                 + self.k.find(role=role, level=level, topic="evidence") if _TIME_OR_PQE.search(c.text)]
        quoted, _ = self._blocks(asked)
        prev_role = self._previous_role(role)
        below = f" rather than time at {self.k.code(prev_role, list(self.k.roles[prev_role].levels)[-1])}" \
            if prev_role in self.k.roles and self.k.roles[prev_role].levels else ""
        blocks = [Block(text=f"{code} is the first level of {self._role_name(role)}. The framework sets no time in "
                             f"level for moving into it: it asks for post-qualifying experience{below}:"
                        if asked else f"{code} is the first level of {self._role_name(role)}. The framework sets "
                                      "no time in level for moving into it."),
                  *quoted,
                  Block(text=f"It does not say whether or how {what} counts towards that experience; HR or your "
                             "manager can tell you how it is counted.")]
        choices = [self.ask_choice(f"What {code} needs", f"what do I need for {code}"), *self.evidence_choices(code)]
        held = next(((r, lv) for r, lv, _p in q.levels if r != role and self.k.next_level(r, lv)), None)
        if held and self.k.rules_for(held[0], self.k.next_level(*held)):
            # "I'm SW2B…": the time the framework does set for the person's own next step, a button away
            nxt = self.k.code(held[0], self.k.next_level(*held))
            choices.append(self.ask_choice(f"Time needed at {self.k.code(*held)}", f"how long before {nxt}"))
        reply = Reply(title=f"The framework does not say whether {what} counts towards the experience {code} "
                            "asks for.",
                      blocks=blocks, sources=self._sources(asked), choices=choices,
                      status="answered" if asked else "not_in_framework")
        reply.meta.update(role=role, level=level, topic="time_in_level")
        return reply

    def _asye_time(self) -> Reply:
        """'How long is the ASYE?', 'does my ASYE year count towards the 24 months?': what the framework does say
        (SW2A's Year 1 and Year 2, the time at SW2A), and that it says no more."""
        asye = [c for c in self.k.find(role="SW2", level="A", topic="qualifications") if "asye" in c.text.lower()
                or "assessed" in c.text.lower()] if "SW2" in self.k.roles else []
        rules = self.k.rules_for("SW2", "B") if "SW2" in self.k.roles else []
        blocks = [Block(text="The framework does not say how long the ASYE lasts, nor in so many words whether it "
                             "counts towards the time at SW2A. What it does say:")]
        quoted, _ = self._blocks(asye, key=_heading_with_group)
        blocks += quoted
        if rules:
            blocks.append(Block(title="Time at SW2A before SW2B",
                                bullets=[f"“{r.text}” (document {r.source.document_id})" for r in rules]))
        blocks.append(Block(text="SW2A itself is split into Year 1 (working towards the ASYE) and Year 2 (its "
                                 "completion), so the ASYE sits within SW2A. Your manager or HR can confirm how "
                                 "your own time is counted."))
        entry = self.k.glossary_entry("ASYE")
        if entry and entry.meaning:
            blocks.insert(1, Block(text=f"ASYE stands for {entry.meaning}."))
        reply = Reply(title="How the ASYE fits the time at SW2A", blocks=blocks,
                      sources=self._sources([*asye, *rules]),
                      choices=[self.ask_choice("What SW2A needs", "what do I need for SW2A"),
                               self.ask_choice("Evidence for SW2B", "evidence for SW2B")],
                      status="answered")
        reply.meta.update(role="SW2", level="A", topic="time_in_level")
        return reply

    def _from_to(self, q: Query, role: str, levels: list[tuple[str, str]]) -> tuple[str | None, str | None]:
        mine = [lv for r, lv in levels if r == role]
        if len(mine) >= 2:  # "how long to SW2B from SW2A", "how long before SW2B? I'm SW2A": upwards, in any order
            low, high = sorted(mine[:2])
            return low, high
        if not mine:
            return None, None
        lv = mine[0]
        code_pat = rf"{role[:2].lower()}\s*[-_.]?\s*{role[2:].lower()}\s*[-_./]?\s*{lv.lower()}"
        towards = re.search(
            rf"\b(?:to|for|reach|reaching|become|becoming|into|get|achieve|progress to)\s+"
            rf"(?:level\s+)?{code_pat}",
            q.lower,
        )
        if (
            re.search(
                rf"\b(?:at|in|on|been|stay|spend|spent|stuck|remain|currently|am|i'm|skip|skipping)\s+(?:level\s+)?"
                rf"{code_pat}",
                q.lower,
            )
            or re.search(r"\bfrom\s+" + code_pat, q.lower)
            or (lv == "A" and not towards)
        ):
            return lv, self.k.next_level(role, lv)
        return self.k.previous_level(role, lv), lv

    _GOAL_BEFORE = re.compile(
        r"(?:\b(?:be|become|becoming|get to|move to|move up to|go for|going for|aim for|aiming for|apply for|"
        r"applying for|reach|reaching|promoted to|"
        r"promotion to|step up to|route to|way to|path to|progress to)|\b(?:until|till|til)(?:\s+(?:i'?m|i am|i can be|"
        r"i become))?|\bbefore\s+(?:i'?m|i am|i can be|i become))\s+(?:an?\s+|the\s+)?$")

    def _role_is_the_goal(self, q: Query, role: str) -> bool:
        """'How long until I'm a senior?', 'how long to become a team manager?': the role is where the person
        wants to get to (its first level), not where they are."""
        return any(r == role and self._GOAL_BEFORE.search(q.lower[:p]) for r, p in q.mentions)

    def _time_in_level(self, q: Query, roles: list[str], levels: list[tuple[str, str]]) -> Reply:
        role = roles[0]
        info = self.k.roles[role]
        frm, to = self._from_to(q, role, levels)
        all_rules = [r for r in self.k.time_rules if r.role == role]
        if not info.levels or not all_rules:
            what = self._role_name(role)
            experience = [c for c in self.k.find(role=role, topic="experience") if c.level in (None, to)]
            years = [c for c in experience if re.search(r"\b(?:years?|months?)\b", c.text, re.I)]
            # progression evidence given in months ("18 months CPD from completing the ASYE") counts too
            years += [c for c in self.k.find(role=role, topic="evidence") if c.level in (None, to)
                      and re.search(r"\b(?:years?|months?)\b", c.text, re.I)]
            if not info.levels and not years:
                years = experience[:4]  # a one-grade post: the experience its person specification asks for
            if years:  # "how many years' experience for the PO3 post?": what it asks instead of time in a level
                return self._reply(title=f"{what} has no time-in-level rule; it asks for this experience",
                                   criteria=years, role=role, level=to, topic="time_in_level",
                                   choices=[self.ask_choice(f"What {role} needs", f"tell me about {role}")])
            reply = Reply(
                title=f"The framework gives no minimum time in level for {what}.",
                blocks=[
                    Block(
                        text="Its documents set out what is needed at each level, but no time "
                        "you must spend at one before the next."
                    )
                ],
                status="not_in_framework",
                choices=[self.ask_choice(f"What {role} needs", f"tell me about {role}")],
            )
            reply.meta.update(role=self._public_role(role), level=to, topic="time_in_level")
            return reply
        if to is None and frm is None and self._role_is_the_goal(q, role):
            frm, to = None, next(iter(info.levels), None)
        if to is None and frm is not None:
            return self._top_level(role, frm, topic="time_in_level")
        if to is None:
            return self._clarify_level(
                role,
                "How long at which level?",
                "how long at {code} before the next level",
                topic="time_in_level",
                levels_from=("A", "B"),
            )
        if frm is None:
            # Entering level A of a role: no time-in-level rule, the sources ask for experience instead.
            return self._entry_level(role, to)
        if to and to > frm and self.k.next_level(role, frm) != to:
            return self._path_time((role, frm), (role, to))  # "how long from SW3A to SW3C?": both steps
        rules = self.k.rules_for(role, to)
        title_code = f"{self.k.code(role, frm)} to {self.k.code(role, to)}"
        if not rules:
            reply = Reply(title=f"The framework gives no minimum time for {title_code}.", status="not_in_framework")
            reply.meta.update(role=role, level=to, topic="time_in_level")
            return reply
        longest = max(rules, key=lambda r: (r.min_months, r.max_months or 0))
        blocks = []
        headline = f"At least {longest.months_text} at {self.k.code(role, frm)} before {self.k.code(role, to)}."
        if len(rules) > 1 and len({(r.min_months, r.max_months) for r in rules}) > 1:
            headline = (
                f"The documents differ: careerbot uses the longer minimum, {longest.min_months} months "
                f"at {self.k.code(role, frm)} before {self.k.code(role, to)}."
            )
        for r in rules:
            bullet = f"“{r.text}” ({r.source.document_title}, document {r.source.document_id})"
            blocks.append(
                Block(
                    title=f"{r.months_text} — document {r.source.document_id}",
                    bullets=[bullet],
                    notes=[r.note] if r.note else [],
                )
            )
        if longest.max_months and longest.max_months != longest.min_months:
            blocks.append(
                Block(
                    text=f"This is a range: a minimum of between {longest.min_months} and "
                    f"{longest.max_months} months. careerbot counts milestones from the lower end "
                    f"({longest.min_months} months); the guide sets no deadline."
                )
            )
        after = self.k.next_level(role, to)
        following = self.k.rules_for(role, after) if after else []
        if following:
            longest_next = max(following, key=lambda r: (r.min_months, r.max_months or 0))
            blocks.append(
                Block(
                    text=f"After that: at least {longest_next.months_text} at {self.k.code(role, to)} "
                    f"before {self.k.code(role, after)} (ask about {self.k.code(role, after)} for "
                    "the details)."
                )
            )
        if _SKIP.search(q.lower):  # "can I skip SW3A?" is answered first, then the time it asks
            blocks.insert(0, Block(text=_SKIP_NOTE))
        evidence = self.k.find(role=role, level=to, topic="evidence")
        blocks.append(
            Block(
                text=f"Time alone is not a promotion: the framework also asks for evidence to progress "
                f"to {self.k.code(role, to)}."
            )
        )
        reply = Reply(
            title=headline,
            blocks=blocks,
            sources=self._sources(rules),
            choices=(
                [self.ask_choice(f"Evidence for {self.k.code(role, to)}", f"evidence for {self.k.code(role, to)}")]
                if evidence
                else []
            )
            + [self.ask_choice(f"What {self.k.code(role, to)} needs", f"what do I need for {self.k.code(role, to)}")],
        )
        reply.meta.update(role=role, level=to, topic="time_in_level")
        return reply

    def _path_ends(self, q: Query, roles: list[str], levels: list[tuple[str, str]],
                   ctx: Context) -> tuple[tuple[str, str], tuple[str, str]] | None:
        """'How long from SW2A to SW3A?', 'how long until I'm a senior? I'm SW2B', 'how long from newly qualified
        to team manager?': a start and a goal in different roles of the one ladder, the goal further up."""
        ladder = [r for r in LADDER if r in self.k.roles]
        named = [r for r in dict.fromkeys(roles) if r in ladder]
        goal_role = next((r for r in named if self._role_is_the_goal(q, r)), None)
        if goal_role is None and len(named) >= 2:
            to = re.search(r"\b(?:to|until|till|before|become|becoming|reach)\b", q.lower)
            after = [r for r, p in q.mentions if r in named and to and p > to.start()]
            goal_role = after[0] if after else None
        if goal_role is None:
            return None
        starts = [r for r in named if r != goal_role]
        if starts:
            start_role = starts[0]
            start_level = next((lv for r, lv in levels if r == start_role), None)
            if start_level is None:
                start_level = ctx.level if ctx.role == start_role and ctx.level else next(iter(
                    self.k.roles[start_role].levels))
        elif ctx.role in ladder and ctx.level:
            start_role, start_level = ctx.role, ctx.level
        else:
            return None
        if ladder.index(start_role) >= ladder.index(goal_role):
            return None
        goal_level = next((lv for r, lv in levels if r == goal_role), None) or next(iter(
            self.k.roles[goal_role].levels))
        return (start_role, start_level), (goal_role, goal_level)

    def _path_time(self, start: tuple[str, str], goal: tuple[str, str]) -> Reply:
        """Every step from start to goal with the time the framework sets for it, quoted; where the path enters a
        new role there is no time in level, so the experience that role's first level asks for is quoted."""
        code = self.k.code
        blocks: list[Block] = []
        cited: list[Criterion | TimeRule] = []
        total = 0
        entries: list[str] = []
        role, level = start
        for _ in range(12):
            if (role, level) == goal:
                break
            nxt = self.k.next_level(role, level)
            if nxt:
                rules = self.k.rules_for(role, nxt)
                step = f"{code(role, level)} to {code(role, nxt)}"
                if rules:
                    longest = max(rules, key=lambda r: (r.min_months, r.max_months or 0))
                    total += longest.min_months
                    b = Block(title=f"{step}: at least {longest.months_text}",
                              bullets=[f"“{r.text}” (document {r.source.document_id})" for r in rules],
                              notes=[r.note for r in rules if r.note])
                    if len({(r.min_months, r.max_months) for r in rules}) > 1:
                        b.notes.insert(0, f"The documents differ; careerbot counts the longer minimum, "
                                          f"{longest.min_months} months.")
                    blocks.append(b)
                    cited += rules
                else:
                    blocks.append(Block(title=f"{step}: no minimum time in the framework"))
                level = nxt
                continue
            new_role = self._next_role(role)
            if new_role is None:
                break
            first = next(iter(self.k.roles[new_role].levels))
            experience = self.k.find(role=new_role, level=first, topic="experience")
            asked = [c for c in experience if _TIME_OR_PQE.search(c.text)]
            b = Block(title=f"{code(role, level)} to {code(new_role, first)}: a new role, with no time in level",
                      text=f"The framework sets no time in level between roles. {code(new_role, first)} asks "
                           "for experience instead:" if asked else "The framework sets no time in level between "
                           "roles.")
            quoted, _ = self._blocks(asked)
            b.bullets = [bullet for qb in quoted for bullet in qb.bullets]
            b.notes = [n for qb in quoted for n in qb.notes]
            blocks.append(b)
            cited += asked
            if asked:
                entries.append(code(new_role, first))
            role, level = new_role, first
        start_code, goal_code = code(*start), code(*goal)
        years = f" ({total // 12} years{f' {total % 12} months' if total % 12 else ''})" if total >= 12 else ""
        asks = "asks" if len(entries) == 1 else "ask"
        if total:
            headline = f"From {start_code} to {goal_code}: at least {total} months{years} of time in level"
            headline += f", and the experience {' and '.join(entries)} {asks} for." if entries else "."
        else:  # "from SW2C to SW3A": no time-in-level rule on the way, only the experience the new role asks
            headline = (f"From {start_code} to {goal_code}: no time in level is set"
                        + (f"; {' and '.join(entries)} {asks} for experience instead." if entries else "."))
        blocks.append(Block(text="These are minimums from the documents, added up; they are not a timetable. "
                                 "Each step also needs the evidence the framework asks for, and the documents do "
                                 "not say whether the experience asked for overlaps with time spent at the levels "
                                 "below: your manager or HR can say how it is counted."))
        reply = Reply(
            title=headline,
            blocks=blocks,
            sources=self._sources(cited),
            choices=[self.ask_choice(f"What {goal_code} needs", f"what do I need for {goal_code}"),
                     *self.evidence_choices(goal_code)],
        )
        reply.meta.update(role=goal[0], level=goal[1], topic="time_in_level")
        return reply

    def _entry_level(self, role: str, level: str) -> Reply:
        info = self.k.roles[role]
        experience = self.k.find(role=role, level=level, topic="experience")
        evidence = [
            c
            for c in self.k.find(role=role, level=level, topic="evidence")
            if re.search(r"year|month|experience", c.text, re.I)
        ]
        pqe = [c for c in experience + evidence if _TIME_OR_PQE.search(c.text)]
        blocks, _ = self._blocks(pqe or experience)
        prev_role = self._previous_role(role)
        intro = (
            f"{self.k.code(role, level)} is the first level of the {info.title} role. "
            "The framework sets no time in level for moving into it"
        )
        intro += f" from {self.k.code(prev_role, 'C')}" if prev_role else ""
        intro += "; it asks for experience instead:"
        reply = Reply(
            title=f"No time-in-level rule for moving into {self.k.code(role, level)}.",
            blocks=[Block(text=intro), *blocks],
            sources=self._sources(pqe or experience),
            choices=self._level_choices(role, level, exclude="time"),
        )
        reply.meta.update(role=role, level=level, topic="time_in_level")
        return reply

    def _previous_role(self, role: str) -> str | None:
        return LADDER[LADDER.index(role) - 1] if role in LADDER and LADDER.index(role) > 0 else None

    def _next_role(self, role: str) -> str | None:
        return LADDER[LADDER.index(role) + 1] if role in LADDER and LADDER.index(role) + 1 < len(LADDER) else None

    def _top_level(self, role: str, level: str, *, topic: str) -> Reply:
        info = self.k.roles[role]
        nxt_role = self._next_role(role)
        blocks = [
            Block(
                text=f"{self.k.code(role, level)} ({LEVEL_NAMES.get(level, '')}) is the top level of the {info.title} "
                "role in the framework: there is no next level within the role."
            )
        ]
        criteria: list[Criterion] = []
        choices = []
        if nxt_role:
            nxt = self.k.roles[nxt_role]
            criteria = [
                c
                for c in self.k.find(role=nxt_role, level="A", topic="experience")
                + self.k.find(role=nxt_role, level="A", topic="evidence")
                if re.search(r"\byears?\b|post qualifying", c.text, re.I)
            ]
            blocks.append(
                Block(
                    text=f"Moving to a different role, such as {nxt.title} ({self.k.code(nxt_role, 'A')}), has no "
                    "time-in-level rule in the sources. What they ask for instead:"
                )
            )
            choices.append(
                self.ask_choice(
                    f"What {self.k.code(nxt_role, 'A')} needs", f"what do I need for {self.k.code(nxt_role, 'A')}"
                )
            )
        else:
            blocks.append(Block(text="The framework does not describe a next role from here."))
        more, _ = self._blocks(criteria)
        reply = Reply(
            title=f"{self.k.code(role, level)} is the top level of {info.title}.",
            blocks=blocks + more,
            sources=self._sources(criteria),
            choices=choices,
        )
        reply.meta.update(role=role, level=None, topic=topic)
        return reply

    def _next_step(self, role: str, level: str | None) -> Reply:
        info = self.k.roles[role]
        if not info.levels:
            return self._no_levels(role, parse(role))
        if level is None:
            return self._clarify_level(
                role, f"The next step from which {role} level?", "what comes after {code}", topic="next_step"
            )
        nxt = self.k.next_level(role, level)
        if nxt is None:
            return self._top_level(role, level, topic="next_step")
        reply = self._time_in_level(
            parse(f"how long at {self.k.code(role, level)} before {self.k.code(role, nxt)}"),
            [role],
            [(role, level), (role, nxt)],
        )
        reply.title = f"After {self.k.code(role, level)} comes {self.k.code(role, nxt)} ({info.levels[nxt]}). " + (
            reply.title or ""
        )
        if reply.status == "not_in_framework":
            # no time rule for this role (SCO): the step is still answered with what the next level asks
            code = self.k.code(role, nxt)
            asked = self._level(parse(f"what do I need for {code}"), role, nxt)
            reply.blocks += [Block(title=f"What {code} asks", text="In the framework's own words:"), *asked.blocks]
            reply.sources = list(dict.fromkeys(reply.sources + asked.sources))
            reply.choices = asked.choices
            reply.status = "answered"
        if level in self._year_levels(role):
            # "I'm newly qualified, what's next?": SW2A's own Year 1 and Year 2 (the ASYE) come first
            years = [c for c in self.k.find(role=role, level=level, topic="qualifications")
                     if c.group and "year" in c.group.lower()]
            quoted, _ = self._blocks(years, key=_heading_with_group)
            if quoted:
                reply.blocks[0:0] = [Block(text=f"{self.k.code(role, level)} itself has a Year 1 and a Year 2:"),
                                     *quoted]
                reply.sources = list(dict.fromkeys(self._sources(years) + reply.sources))
        reply.meta.update(topic="next_step", level=nxt)
        return reply
