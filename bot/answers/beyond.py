"""Answers where the framework does not answer directly: out of scope, job titles it does not have, grades it
does not map, unknown levels, feelings, who it is for, how managers use it, years qualified, students, the
documents themselves, and what "in addition to level A" means. Each says what the documents do say.

A part of the answer engine (AnswerEngine inherits it): it uses the engine's helpers for replies and citations.
"""

from __future__ import annotations

import re

from bot.answers.questions import LADDER, Query, parse
from bot.answers.shared import (
    _CURRENT_BEFORE,
    LEVEL_NAMES_TEXT,
    OUT_OF_SCOPE_WHAT,
    PROCESS_GUIDANCE,
    SUPERVISION_GUIDANCE,
    Context,
)
from bot.conversation import Block, Choice, Reply

# The guide's development routes, as a question and the guide name them ("stepping up", "a secondment")
_DEVELOPMENT_WORDS = re.compile(r"\bstepping up\b|\bstep up\b|\bacting up\b|\bact up\b|\bsecondments?\b")
_TRAINING_WORDS = re.compile(r"\btraining\b|\bcourses?\b|\bqualifications?\b|\bamhp\b|\bbia\b|"
                             r"\bpractice educator\b|\bstud(?:y|ying)\b")

_COVER_CRITERIA = re.compile(r"\bon behalf of (?:the )?team manager\b|\bdeputise for\b|\bcover in the absence\b",
                             re.I)


class BeyondReplies:
    """Replies for questions the framework does not answer directly."""

    def _covering(self, q: Query) -> Reply:
        """"I've been covering my manager's sick leave, does it count?": the guide's Stepping Up and Acting Up, and
        the levels that ask for experience of cover, in their own words. Whether it counts is not said."""
        routes = [c for c in self.k.guidance() if re.match(r"(?:Stepping|Acting) Up \(", c.text)]
        said = [c for c in self.k.criteria if c.role and c.level and _COVER_CRITERIA.search(c.text)]
        blocks = [Block(text="The guide names covering for someone as a way to develop, and some levels ask for "
                             "experience of it. It does not say whether cover you have done counts towards a level: "
                             "that is for you and your manager to weigh against the evidence the level asks for.")]
        if routes:
            blocks.append(Block(title="Development routes in the guide", bullets=[c.text for c in routes]))
        for c in said:
            blocks.append(Block(title=self._where(c), bullets=[c.text],
                                notes=[f"“{c.text[:60]}…”: {c.note}"] if c.note else []))
        codes = list(dict.fromkeys(self.k.code(c.role, c.level) for c in said))
        reply = Reply(title="Covering for " + ("your manager" if "manager" in q.lower else "someone")
                            + ": what the framework says",
                      blocks=blocks, sources=self._sources(routes + said),
                      choices=[ch for code in codes[:2] for ch in self.evidence_choices(code)][:2])
        reply.meta.update(role=None, level=None, topic="guidance")
        return reply

    def _for_students(self) -> Reply:
        first = next(iter(self.k.roles["SW2"].levels))
        code = self.k.code("SW2", first)
        reply = self._level(parse(f"what do I need for {code}"), "SW2", first)
        reply.blocks.insert(0, Block(text=f"The framework has no level for students: it starts at {code}, the "
                                          "first level of Social Worker (the role is for social workers "
                                          "“including Newly Qualified”). This is what it asks there."))
        return reply

    def _next_step_for_whom(self) -> Reply:
        """'What do I need to get to the next level?' from someone whose level is not on record."""
        choices = [self.ask_choice(f"{info.title} ({code})", f"what comes after {code}")
                   for code, info in self.k.roles.items() if info.kind == "role" and info.levels]
        reply = Reply(
            title="Which level are you at now?",
            blocks=[Block(text="Tell me your level and when you started it, for example “I'm SW2B since March "
                               "2025”, and I'll show what your next level asks and when you can go for it. Or "
                               "choose your role.")],
            choices=choices,
            status="clarify",
        )
        reply.meta.update(role=None, level=None, topic="next_step")
        return reply

    def _encourage(self, q: Query, ctx: Context) -> Reply:
        """'I feel stuck at SW2B': acknowledged plainly, then what careerbot and the framework offer: the person's
        next level (when known), the development routes the Medway guide suggests (quoted), and a self-assessment
        to take to supervision. No promises and no advice beyond the documents."""
        placed = [(r, lv, p) for r, lv, p in q.levels if r in self.k.roles]
        named = [r for r in q.roles if r in self.k.roles and self.k.roles[r].levels]
        if not placed and not named and not re.search(
                r"\b(?:career|progress\w*|promot\w*|levels?|next|stuck|behind|nowhere|good enough|overlooked|"
                r"stagnat\w*)\b", q.lower):
            # "I'm stressed": not about a career step, and careerbot is not the place for it
            reply = Reply(title="I'm sorry you're feeling that way.",
                          blocks=[Block(text="I can only help with career progression: what a level asks, time in "
                                             "level, self-assessments and preparing for supervision. For how you are "
                                             "feeling, please talk to your manager, HR or someone you trust.")],
                          choices=[self.ask_choice("Prepare for supervision", "how do I prepare for supervision?")],
                          status="answered")
            reply.meta.update(role=None, level=None, topic="help")
            return reply
        role = level = nxt = None  # where the person is, and the level they are aiming for
        if placed:
            r, lv, p = placed[0]
            if _CURRENT_BEFORE.search(q.lower[max(0, p - 30):p]):  # "stuck at SW2B"
                role, level, nxt = r, lv, self.k.next_level(r, lv)
            else:  # "not good enough for SW3B"
                role, nxt = r, lv
        elif named and ctx.role != named[0]:  # "not good enough for SW3": its first level
            role, nxt = named[0], next(iter(self.k.roles[named[0]].levels))
        elif ctx.role and ctx.level:
            role, level, nxt = ctx.role, ctx.level, self.k.next_level(ctx.role, ctx.level)
        blocks: list[Block] = []
        choices: list[Choice] = []
        if nxt:
            code = self.k.code(role, nxt)
            start = f"From {self.k.code(role, level)}, the next level is {code}. " if level else ""
            blocks.append(Block(text=f"{start}Seeing exactly which of the criteria for {code} you already meet "
                                     "often shows the way forward."))
            choices += [Choice(label=f"Self-assessment for {code}", value={"action": "assess", "level": code}),
                        self.ask_choice(f"What {code} needs", f"what do I need for {code}")]
        else:
            choices.append(Choice(label="Start a self-assessment", value={"action": "assess"}))
        routes = [c for c in self.k.guidance()
                  if c.title in ("On the job learning", "Learning from others", "Formal learning", "Stepping Up",
                                 "Acting Up", "Secondments")]
        if routes:
            blocks.append(Block(title="Ways to develop that the Medway guide suggests",
                                bullets=[c.text for c in routes]))
        blocks.append(Block(text="A self-assessment gives you a summary of strengths and gaps to take to supervision, "
                                 "which is what the guide says the framework is for: informing conversations with your "
                                 "line manager. If it is affecting how you feel at work, please talk to your manager "
                                 "or HR too."))
        choices.append(self.ask_choice("Prepare for supervision", "how do I prepare for supervision?"))
        reply = Reply(
            title="I'm sorry it feels that way. Here is what can help.",
            blocks=blocks,
            sources=self._sources(routes),
            choices=choices,
            status="answered",
        )
        reply.meta.update(role=self._public_role(role) if nxt else None, level=nxt, topic="guidance")
        return reply

    def _experience_by_level(self, *, title: str = "The framework does not set a level by years qualified",
                             term: str | None = None) -> Reply:
        """'I've been qualified 3 years, what level should I be?': the documents place nobody by years; what they
        ask in post-qualifying experience, level by level, in their own words. Also 'do I need 4 years PQE,
        qualified since 2021' (with its own title, and the glossary's note on the abbreviation asked with)."""
        pqe = re.compile(r"post[- ]?qualif|qualified social work experience", re.I)
        criteria = [c for c in self.k.criteria if c.role in self.k.roles and self.k.roles[c.role].kind == "role"
                    and c.topic in ("experience", "evidence", "qualifications") and pqe.search(c.text)
                    and not re.search(r"programme", c.text, re.I)]
        order = {r: i for i, r in enumerate(dict.fromkeys([*LADDER, *self.k.roles]))}
        criteria.sort(key=lambda c: (order.get(c.role, 99), c.level or "", c.topic != "experience"))
        reply = self._reply(
            title=title,
            criteria=criteria,
            role=None,
            level=None,
            topic="experience",
            key=lambda c: f"{self.k.code(c.role, c.level) if c.level else self._role_name(c.role)} – "
                          f"{c.source.heading}",
            extra_blocks=[Block(text="Each level also asks for its own knowledge, skills and evidence, so years "
                                     "alone do not decide it. Which level fits you is for you and your manager "
                                     "to agree: a self-assessment is a good way to start that conversation.")],
            choices=[Choice(label="Start a self-assessment", value={"action": "assess"}),
                     self.ask_choice("The roles and levels", "what are the levels?")],
        )
        reply.blocks.insert(0, Block(text="What the documents ask in post-qualifying experience, level by level:"))
        entry = self.k.glossary_entry(term) if term else None
        if entry and entry.note:
            reply.notes.append(entry.note)
        return reply

    def _for_managers(self, q: Query) -> Reply:
        """'How do managers use the framework?': the Medway guide's words for managers and supporters, what
        careerbot does for managers, and the level named if there is one."""
        said = [c for c in self.k.guidance() if c.source.heading.endswith("For Managers") or c.title == "Supporters"]
        choices = []
        named = [(r, lv) for r, lv, _ in q.levels if r in self.k.roles]
        roles = [r for r in q.roles if r in self.k.roles and self.k.roles[r].levels]
        if named or roles:
            role, level = named[0] if named else (roles[0], next(iter(self.k.roles[roles[0]].levels)))
            code = self.k.code(role, level)
            choices += [self.ask_choice(f"What {code} needs", f"what do I need for {code}"),
                        *self.evidence_choices(code)]
        reply = self._reply(
            title="Using the framework as a manager",
            criteria=said,
            role=None,
            level=None,
            topic="guidance",
            key=lambda c: c.source.heading,
            extra_blocks=[Block(text="In careerbot: “my team” shows your reports' time-in-level milestones (also in a "
                                     "weekly digest), “what does Jo need?” one report's next step, and your reports "
                                     "can share a self-assessment or check-in with you before supervision.")],
            choices=choices,
        )
        return reply

    def _in_addition(self) -> Reply:
        """'What does "in addition to level A" mean?': the tables' own words, and that a level adds to those
        below it (which is what the tables say, level by level)."""
        said = [c for c in self.k.criteria if c.topic == "overview" and re.search(r"in addition to", c.text, re.I)]
        reply = self._reply(
            title="Each level adds to the levels below it",
            criteria=said,
            role=None,
            level=None,
            topic="overview",
            key=lambda c: f"{self.k.code(c.role, c.level)} – {c.source.heading}",
            extra_blocks=[Block(text="So what a level lists is what it asks on top of the levels below: someone "
                                     "going for B is expected to meet A's requirements as well. A self-assessment "
                                     "for a level covers what that level adds.")],
        )
        reply.blocks.insert(0, Block(text="The tables say it level by level, in these words:"))
        return reply

    def _who_for(self) -> Reply:
        """'Who is the framework for?': the professions the Medway guide says it covers and how individuals and
        managers can use it, in its words, then the documents with the services their titles name."""
        guidance = self.k.guidance()
        covered = [c for c in guidance if c.title == "Roles within the service"]
        use = [c for c in guidance if c.title == "How to use the framework" and c.source.heading.endswith(
            ("For Individuals", "For Managers"))][:1] + [c for c in guidance if c.title == "How to use the framework"
                                                         and c.source.heading.endswith("For Managers")][:1]
        docs = Block(title="The documents, and the services their titles name",
                     bullets=[f"Document {d}: {doc.title}" for d, doc in sorted(self.k.documents.items())])
        reply = self._reply(
            title="Who the framework is for",
            criteria=covered + use,
            role=None,
            level=None,
            topic="guidance",
            key=lambda c: c.source.heading,
            extra_blocks=[docs, Block(text="The documents come from different employers and services, so whether one "
                                           "applies to your own team is for your manager or HR to say.")],
            choices=[self.ask_choice("The roles and levels", "what are the levels?")],
        )
        return reply

    def _documents(self) -> Reply:
        """The framework documents careerbot answers from: title, employer and date as each gives them."""
        docs = sorted(self.k.documents.values(), key=lambda d: d.id)
        blocks = [Block(title=f"Document {doc.id}: {doc.title}", bullets=[
            f"Organisation: {doc.organisation}" if doc.organisation else "The document names no employer.",
            f"Date: {doc.date}" if doc.date else "The document gives no date.",
        ]) for doc in docs]
        reply = Reply(
            title="The framework documents I answer from",
            blocks=blocks,
            footer="Every answer names the document it comes from. I don't hand out the documents themselves: your "
                   "manager or HR can give you a copy. If your organisation has a newer version of any of them, "
                   "whoever looks after careerbot can update its framework files.",
            sources=[f"{d.title}{', ' + d.organisation if d.organisation else ''} (document {d.id})" for d in docs],
        )
        reply.meta.update(role=None, level=None, topic="documents")
        return reply

    def _mentioned(self, word: str) -> bool:
        pattern = re.compile(rf"\b{re.escape(word)}\b", re.I)
        return any(pattern.search(c.text) for c in self.k.criteria)

    def _other_title(self, title: str) -> Reply:
        """'What level is a practice manager?': the framework has no such role. Say so, quote where a document
        mentions the title in passing, and offer the roles it does describe."""
        singular = re.sub(r"s\b", "", title) if title.endswith("s") and not title.endswith("ss") else title
        # "occupational therapist": the documents name the profession as "Occupational Therapy"
        also = r"|\b" + re.escape(singular[:-3]) + r"y\b" if singular.endswith("therapist") else ""
        word = re.compile(r"\b" + re.escape(singular) + r"s?\b" + also, re.I)
        mentions = [c for c in self.k.criteria if word.search(c.text)]
        blocks = []
        if mentions:
            what = (f"{singular[:-3]}y" if also else
                    f"{'an' if singular[:1] in 'aeiou' else 'a'} {singular}")
            blocks.append(Block(text=f"The documents mention {what} only in passing, without describing "
                                     "the role or what it asks:"))
            quoted, _ = self._blocks(mentions[:3], key=lambda c: (
                f"{self._role_name(c.role)} – {c.source.heading}" if c.role else c.source.heading))
            blocks += quoted
        roles = [(code, info) for code, info in self.k.roles.items() if info.kind == "role"]
        blocks.append(Block(title="The roles the framework does describe",
                            bullets=[self._role_name(code) for code, _ in roles]))
        blocks.append(Block(text="Your organisation may use other job titles for these roles; the framework "
                                 "does not say which, so your manager or HR can tell you how they map."))
        reply = Reply(
            title=f"The framework has no role called “{singular}”.",
            blocks=blocks,
            status="not_in_framework",
            sources=self._sources(mentions[:3]),
            choices=[self.ask_choice(f"About {code}", f"tell me about {code}") for code, _ in roles
                     if self.k.roles[code].levels][:4],
        )
        reply.meta.update(role=None, level=None, topic="out_of_scope")
        return reply

    def _known_levels_text(self) -> str:
        parts = []
        for code, info in self.k.roles.items():
            if info.kind != "role":
                continue
            if info.levels:
                levels = list(info.levels)
                span = (f"{self.k.code(code, levels[0])}–{self.k.code(code, levels[-1])}" if len(levels) > 1
                        else self.k.code(code, levels[0]))
                parts.append(f"{info.title} {span}")
            else:
                parts.append(f"{code} ({info.title}{', ' + info.organisations[0] if info.organisations else ''})")
        return "; ".join(parts)

    def _unknown_level(self, q: Query) -> Reply:
        shown, why = [], []
        for c in dict.fromkeys(q.unknown_codes):
            m = re.fullmatch(r"(SCO|[A-Z]+\d*)([A-Z])?", c)
            role, letter = (m.group(1), m.group(2)) if m else (c, None)
            shown.append(f"SCO level {letter}" if role == "SCO" and letter else c)
            if role not in self.k.roles:
                graded = [f"{r} ({info.title})" for r, info in self.k.roles.items() if info.kind == "role"
                          and info.levels and re.fullmatch(r"[A-Z]+\d+", r) and r[:2] == role[:2]]
                why.append(f"There is no {role} grade in the framework documents."
                           + (f" The graded roles are {', '.join(graded[:-1])} and {graded[-1]}."
                              if len(graded) > 1 else ""))
            else:
                why.append(f"{self._role_name(role)} has levels {LEVEL_NAMES_TEXT} only, and no level "
                           f"beyond C.")
        reply = Reply(
            title=f"The framework does not have {', '.join(shown)}.",
            blocks=[
                Block(text=" ".join(dict.fromkeys(why))),
                Block(title="Levels and roles the framework covers", text=self._known_levels_text()),
            ],
            status="not_in_framework",
        )
        role = next((r for r in q.roles if r in self.k.roles), None)
        if role and self.k.roles[role].levels:
            top = list(self.k.roles[role].levels)[-1]
            reply.choices.append(
                self.ask_choice(f"What {self.k.code(role, top)} needs", f"what do I need for {self.k.code(role, top)}")
            )
        reply.meta.update(role=self._public_role(role), level=None, topic="out_of_scope")
        return reply

    def _mapping(self, q: Query) -> Reply:
        roles = [r for r in q.roles if r in self.k.roles]
        names = " and ".join(self._role_name(r) for r in roles) or "these grades"
        blocks = [
            Block(
                text=f"The framework documents do not map {names} onto each other. They come from different "
                "employers (Medway Council's social worker framework, Kent County Council's job "
                "descriptions, and a Children's Services job profile), and none says that one grade "
                "equals another."
            ),
        ]
        for role in roles:
            info = self.k.roles[role]
            bits = [
                f"Grade: {', '.join(info.grades)}" if info.grades else None,
                f"Organisation: {', '.join(info.organisations)}" if info.organisations else None,
            ]
            blocks.append(Block(title=self._role_name(role), bullets=[b for b in bits if b]))
        reply = Reply(
            title="The framework does not say how these grades compare.",
            blocks=blocks,
            status="not_in_framework",
            choices=[self.ask_choice(f"About {r}", f"tell me about {r}") for r in roles],
        )
        reply.meta.update(role=self._public_role(roles[0]) if roles else None, level=None, topic="out_of_scope")
        return reply

    def _out_of_scope(self, q: Query, ctx: Context) -> Reply:  # noqa: C901 - one reply, several related finds
        what = OUT_OF_SCOPE_WHAT[q.out_of_scope or "pay"]
        roles = [r for r in q.roles if r in self.k.roles] or ([ctx.role] if ctx.role else [])
        blocks = [
            Block(
                text=f"The career progression framework documents do not cover {what}, so I can't "
                "answer that from them. Your HR team, your contract or your manager can."
            )
        ]
        if q.out_of_scope == "performance":
            # "I'm on a PIP, can I still go for SW2C?": whether it affects progression is not said; what the level
            # asks is, a button away
            blocks = [Block(text=f"The career progression framework documents do not cover {what}, nor say "
                                 "whether one affects when you can progress. Your manager or HR can tell you that.")]
        levels_asked = list(dict.fromkeys((r, lv) for r, lv, _ in q.levels if r in self.k.roles))
        if q.out_of_scope in ("process", "supervision", "performance"):
            roles = []  # "my manager disagrees" is not a question about the Team Manager role
        for role in roles:
            info = self.k.roles[role]
            facts = []
            if info.grades:
                facts.append(f"Grade: {', '.join(info.grades)}")
            if info.organisations:
                facts.append(f"Organisation: {', '.join(info.organisations)}")
            facts.append(
                "The documents give the grade label only, with no figures."
                if q.out_of_scope == "pay"
                else "The documents describe the role's duties and requirements, not its terms and conditions."
            )
            blocks.append(Block(title=f"What the framework does say about {self._role_name(role)}", bullets=facts))
        related = []
        if q.out_of_scope in ("leave",):
            related = [c for c in self.k.guidance() if "leave" in c.text.lower()]
            if related:
                blocks.append(Block(title="The only mention of leave", bullets=[c.text for c in related[:2]]))
        if q.out_of_scope == "supervision":
            related = [c for c in self.k.guidance() if any(p in c.text.lower() for p in SUPERVISION_GUIDANCE)]
            if related:
                blocks.append(Block(title="What the framework does say", bullets=[c.text for c in related[:3]]))
            blocks.append(Block(text="I can help you get ready for it: a check-in note or a self-assessment to "
                                     "bring. Say “prepare for supervision”."))
        if q.out_of_scope in ("process", "performance"):
            related = [c for c in self.k.guidance() if any(p in c.text.lower() for p in PROCESS_GUIDANCE)]
            if related:
                blocks.append(Block(title="What the framework does say", bullets=[c.text for c in related[:3]]))
        if q.out_of_scope == "process" or q.out_of_scope == "performance" and not levels_asked:
            blocks.append(Block(text="For each level it does set out the evidence to bring and the time in level "
                                     "it asks for: ask me “what evidence for SW3B?” or “how long before I can go "
                                     "for SW2B?”."))
        elif q.out_of_scope == "performance":
            codes = [self.k.code(r, lv) for r, lv in levels_asked]
            blocks.append(Block(text=f"It does set out what {' and '.join(codes)} asks for and the evidence to bring: "
                                     "choose below."))
        if not related and (_DEVELOPMENT_WORDS.search(q.lower) or _TRAINING_WORDS.search(q.lower)):
            # "is stepping up paid?", "will the council pay for my AMHP training?", "a secondment to another
            # council?": the guide's own line on that route says something (unpaid; external; support where possible)
            def routes(text: str) -> set[str]:
                return {w.rstrip("s").replace("stepping", "step").replace("acting", "act")
                        for w in _DEVELOPMENT_WORDS.findall(text.lower())}

            asked = routes(q.lower)
            related = [c for c in self.k.guidance() if asked & routes(c.text)]
            if _TRAINING_WORDS.search(q.lower):
                related += [c for c in self.k.guidance() if "working towards relevant qualifications" in c.text]
            if related:
                blocks.append(Block(title="What the guide does say", bullets=[c.text for c in related[:3]]))
                named = [c.title for c in related[:3] if c.title and _DEVELOPMENT_WORDS.search(c.title.lower())]
                if q.out_of_scope == "pay" and named:  # "is acting up paid?": the guide's own line answers it
                    blocks.insert(0, Block(text=f"The guide's line on {' and '.join(named)} is below; the "
                                                "framework gives no pay figures."))
        choices = [self.ask_choice(f"Duties of {r}", f"what are the duties of {r}") for r in roles[:2]]
        if q.out_of_scope == "performance":
            for r, lv in levels_asked[:2]:
                code = self.k.code(r, lv)
                choices += [self.ask_choice(f"What {code} needs", f"what do I need for {code}"),
                            *self.evidence_choices(code)]
        if q.out_of_scope == "supervision":
            choices.append(self.ask_choice("Prepare for supervision", "how do I prepare for supervision?"))
        reply = Reply(
            title=f"The framework does not cover {what}.",
            blocks=blocks,
            status="not_in_framework",
            sources=self._sources(related),
            choices=choices,
        )
        reply.meta.update(role=self._public_role(roles[0]) if roles else None, level=None, topic="out_of_scope")
        return reply

    def _not_mentioned(self, words: list[str]) -> Reply:
        shown = " or ".join(f"“{w if len(w) <= 40 else w[:39] + '…'}”" for w in words[:3])
        reply = self.help_reply(prefix=f"The framework documents don't mention {shown}.")
        reply.blocks.insert(0, Block(text="So I can't answer that from them; your manager or HR may know. Here is "
                                          "what I can help with."))
        reply.status = "not_in_framework"
        reply.meta.update(role=None, level=None, topic="search")
        return reply
