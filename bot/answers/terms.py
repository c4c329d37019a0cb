"""Terms the framework uses: abbreviations and their meanings (the glossary), where the documents use them,
and the Professional Capabilities Framework's domains. Each answer quotes the documents and cites them.

A part of the answer engine (AnswerEngine inherits it): it uses the engine's helpers for replies and citations.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import replace

from bot.answers.questions import Query
from bot.answers.shared import _heading_with_group
from bot.conversation import Block, Reply
from bot.knowledge.model import Criterion

_MENTIONS_SHOWN = 4  # lines quoted under a term's meaning; the rest are counted


# "what does the PCF say about supervision?", "PCF on reflection": a subject within it
_PCF_ABOUT = re.compile(r"\b(?:say|says|said|mention|mentions|cover|covers)\s+(?:about|on)\s+(?:the\s+)?"
                        r"([a-z][a-z' -]{2,40}?)\s*\??$|"
                        r"\bpcf\s+(?:on|about)\s+(?:the\s+)?([a-z][a-z' -]{2,40}?)\s*\??$")

# "Is the PCF the same as the framework?", "how does the PCF relate to the career progression framework?": the two
# frameworks, not the PCF's content. The other framework must be named apart from the PCF's own name ("the
# Professional Capabilities Framework" is the PCF), and not as another framework ("the KMSAB competency framework",
# "the KSS")
_PCF_NAMED = re.compile(r"\bpcf\b|\bprofessional capabilit(?:y|ies) framework\b")
_CAREER_FRAMEWORK = re.compile(r"\b(?:the|this|our|my|your|medway(?:'s)?|council'?s?)\s+(?:own\s+)?"
                               r"(?:career\s+(?:progression\s+)?|progression\s+)?framework\b"
                               r"|\bcareer\s+(?:progression\s+)?framework\b|\bprogression framework\b")
_RELATION = re.compile(r"\bsame\b|\bdiffer|\brelat(?:e|es|ed|ion|ionship)\b|\bpart of\b|\blink(?:s|ed)?\b|"
                       r"\bconnect(?:s|ed|ion)?\b|\bvs\.?\b|\bversus\b|\bcompar\w*|\bfit(?:s)? (?:in|with)\b|"
                       r"\binstead of\b|\breplace[sd]?\b|\bbased on\b|\bmap(?:s|ped)? (?:to|onto)\b")
_PCF_TAGGED = re.compile(r"\(PCF ?\d\)")
_NUMBER_WORDS = dict(enumerate("zero one two three four five six seven eight nine ten".split()))


class TermReplies:
    """Glossary and PCF answers."""

    def _build_glossary_terms(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for e in self.k.glossary:
            for t in [e.term, *e.aliases]:
                out[t.lower()] = e.term
        return out

    def _terms_named(self, q: Query) -> list[str]:
        """The glossary's terms the question names, in order, each once (never a grade code)."""
        found = []
        for token in re.findall(r"[A-Za-z0-9/&]+", q.text):
            term = self._glossary_terms.get(token.lower())
            if not term or term.lower() in {"sw2", "sw3", "sw4", "kr9", "kr10", "po3", "sco", "pcf", "sw"}:
                continue
            # Two-letter terms (IT, UK, OP, PE, OT...) are ordinary words in lower case: require capitals.
            if len(token) <= 2 and token != token.upper():
                continue
            if term not in found:
                found.append(term)
        return found

    def _compared_terms(self, terms: list[str]) -> Reply:
        """"What's the difference between AMHP and BIA?": each term's meaning and where the framework names it,
        side by side; the documents compare no two of them, so nothing more is said."""
        blocks: list[Block] = []
        sources: list[str] = []
        notes: list[str] = []
        for term in terms[:3]:
            one = self._glossary(term, quotes=False)
            blocks.append(Block(title=one.title, text=" ".join(b.text for b in one.blocks if b.text)))
            sources += [s for s in one.sources if s not in sources]
            notes += [n for n in one.notes if n not in notes]
        names = terms[:3]  # the glossary's own spellings (_terms_named gives them)
        blocks.append(Block(text=f"The documents do not compare {' and '.join(names)}; each is described above "
                                 "as the documents give it."))
        reply = Reply(title=f"{' and '.join(names)}: what the framework documents say", blocks=blocks, notes=notes,
                      sources=sources, choices=[self.ask_choice(f"Where {t} is asked for", f"where is {t} needed?")
                                                for t in names])
        reply.meta.update(role=None, level=None, topic="glossary")
        return reply

    def _glossary_term(self, q: Query) -> str | None:
        named = self._terms_named(q)
        if named:
            return named[0]
        if (
            "pcf" in q.lower.split()
            and q.glossary_hint
            and not q.pcf_domain
            and len(q.lower.split()) <= 5
            and "level" not in q.lower
            and "experienced" not in q.lower
        ):
            return self._glossary_terms.get("pcf")
        return None

    def _code_letters(self, letters: str) -> Reply | None:
        """"What does KR stand for?": the letters of grade codes (KR9, SW3, PO3), which no document spells out."""
        codes = [c for c, info in self.k.roles.items() if info.kind == "role" and re.fullmatch(rf"{letters}\d+", c)]
        if not codes:
            return None
        named = " and ".join(self._role_name(c) for c in codes)
        which = f"grade codes {', '.join(codes[:-1])} and {codes[-1]}" if len(codes) > 1 else f"grade code {codes[0]}"
        reply = Reply(title=f"“{letters}”: the letters of the {which}",
                      blocks=[Block(text=f"The documents use “{letters}” only in the {which}: {named}. They never "
                                         "say what the letters stand for, so I won't guess.")],
                      choices=[self.ask_choice(f"About {c}", f"what is {c}?") for c in codes[:3]])
        reply.meta.update(role=None, level=None, topic="glossary")
        return reply

    def _pcf_practitioner(self) -> Reply | None:
        """"What is the PCF practitioner level?": a name only the KR10 specification uses, quoted with its note;
        never answered as the Experienced level the appendix describes."""
        said = [c for c in self.k.criteria if "Practitioner level" in c.text]
        if not said:
            return None
        reply = self._reply(title="“Practitioner level” of the PCF: where the documents use it",
                            criteria=said, role=None, level=None, topic="pcf_domain",
                            choices=[self.ask_choice("The PCF level described", "what is the PCF experienced level?")])
        reply.blocks.insert(0, Block(text=(
            "Only the Kent KR10 person specification names a “Practitioner level” of the Professional Capabilities "
            "Framework, and no document says which level that is. The PCF appendix held (Children's Services) "
            "describes the Experienced Social Worker level; nothing says the two are the same.")))
        return reply

    def _meaning_term(self, q: Query) -> str | None:
        """The spelt-out form asked about: "what does 'Making Safeguarding Personal' mean?" -> MSP."""
        for entry in self.k.glossary:
            if entry.meaning and len(entry.meaning) > 8 and entry.meaning.lower() in q.lower:
                return entry.term
        return None

    def _asks_meaning(self, q: Query, term: str) -> bool:
        """'What does AMHP stand for?', 'what is the ASYE?', 'DoLS?' — but not 'NQSW' alone (a level)."""
        entry = self.k.glossary_entry(term)
        names = [n.lower() for n in [term, *(entry.aliases if entry else []), *([entry.meaning] if entry and
                                                                                 entry.meaning else [])]]
        alt = "|".join(re.escape(n) for n in names)
        if re.search(r"stand(?:s)? for|short for|\bmean(?:s|ing)?\b|acronym|abbreviation|\bdefin", q.lower):
            return True
        if re.fullmatch(rf"(?:what|who)(?:'s|s| is| are| was)\s+(?:an?\s+|the\s+)?(?:{alt})"
                        r"(?:\s+(?:competency|competencies|safeguarding|framework|course|training|qualification|"
                        r"award|role|board|policy|procedures|standards)){0,3}\s*\??", q.lower):
            return True  # also "what's the KMSAB competency framework?", "what's a BIA course?"
        if re.fullmatch(rf"(?:{alt})\s*\??", q.lower):
            return not q.inferred_level and not q.levels
        return False

    def _glossary(self, term: str, *, quotes: bool = True) -> Reply:
        entry = self.k.glossary_entry(term)
        assert entry is not None
        blocks: list[Block] = []
        sources: list[str] = []
        if entry.meaning:
            title = f"{entry.term}: {entry.meaning}"
            if entry.document:
                doc = self.k.documents.get(entry.document)
                line = f", line {entry.line}" if entry.line else ""
                sources.append(f"{doc.title if doc else 'Document'} (document {entry.document}){line}")
        else:
            title = f"{entry.term}: not spelt out in the framework"
            blocks.append(
                Block(
                    text=f"The framework documents use “{entry.term}” but never say what it stands "
                    "for, so I won't guess. Your manager or practice lead can tell you."
                )
            )
        mentions = self._mentions(entry)
        if mentions and quotes and not entry.meaning:
            # "do I need GCSE maths?": what the framework asks comes first; that it never spells GCSE out, after
            title = f"What the framework says about {entry.term}"
            blocks = []
        if mentions and quotes:  # "how do I become an AMHP?": the lines that use it, quoted
            shown = mentions[:_MENTIONS_SHOWN]
            more = len(mentions) - len(shown)
            blocks.append(Block(text=f"Where the framework mentions {entry.term}"
                                     + (f" (the first {len(shown)} of {len(mentions)} places):" if more else ":")))
            found, _ = self._blocks(shown, key=self._where)
            blocks += found
            sources += self._sources(shown)
            if not entry.meaning:
                blocks.append(Block(text=f"The documents do not spell out “{entry.term}”."))
        elif mentions:  # "what does AMHP stand for?": the meaning, and where to look
            places = list(dict.fromkeys(self._where(c).split(" – ")[0] for c in mentions))
            blocks.append(Block(text=f"The framework mentions {entry.term} at: {', '.join(places)}."))
        reply = Reply(title=title, blocks=blocks, notes=[entry.note] if entry.note else [], sources=sources)
        reply.meta.update(role=None, level=None, topic="glossary")
        return reply

    def _mentions(self, entry) -> list[Criterion]:
        """The framework's own lines that use a term (or its spelt-out form), in role and level order: what
        "how do I become an AMHP?" or "do I need to know MOSAIC?" is really after."""
        found = self._mention_cache.get(entry.term)
        if found is None:
            words = [w for w in (entry.term, *entry.aliases, entry.meaning or "") if len(w) >= 2]
            # short terms are ordinary words in lower case ("OT", "IT"): those must match in capitals; longer
            # ones, and the spelt-out form, in any case ("Practice Educator", "Practice educator")
            exact = "|".join(re.escape(w) for w in words if len(w) <= 3)
            any_case = "|".join(re.escape(w) for w in words if len(w) > 3)
            pattern = "|".join(p for p in (exact, any_case and f"(?i:{any_case})") if p)
            rx = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)")
            # a level's own lines first, then role-wide ones, then reference frameworks (the PCF)
            found = sorted((c for c in self.k.criteria if c.role and rx.search(c.text)),
                           key=lambda c: (self.k.roles[c.role].kind != "role" if c.role in self.k.roles else True,
                                          not c.level, self._role_order.get(c.role, 99), c.level or "",
                                          c.source.document_id))
            self._mention_cache[entry.term] = found
        return found

    def _where(self, c: Criterion) -> str:
        """"SW3B – Evidence for progression to level SW3B – Qualifications": the level, then the heading."""
        heading = re.sub(r"Level [ABC] \([A-Za-z]+\) – ", "", _heading_with_group(c))
        if c.variant:
            heading = heading.removeprefix(f"{c.variant} table – ")
        if c.level:
            code = self.k.code(c.role, c.level)
            return f"{code} ({c.variant}) – {heading}" if c.variant else f"{code} – {heading}"
        return f"{self._role_name(c.role)} – {heading}"

    @staticmethod
    def asks_pcf_and_framework(q: Query) -> bool:
        """'Is the PCF the same as the framework?': how the PCF and the career progression framework relate."""
        return bool(_PCF_NAMED.search(q.lower) and _RELATION.search(q.lower)
                    and _CAREER_FRAMEWORK.search(_PCF_NAMED.sub(" ", q.lower)))

    def _pcf_and_framework(self) -> Reply:
        """'Is the PCF the same as the framework?': no. The career progression framework is the documents' roles
        and levels; the PCF is another framework, which they refer to: where they do, quoted, and what they do
        not say (which PCF level goes with which level; what the Medway guide's "CPF" is)."""
        laddered = [r for r, info in self.k.roles.items() if info.kind == "role" and info.levels]
        names = [self._role_name(r) for r in laddered]
        ladder = f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else "".join(names)
        named = [c for c in self.k.criteria if c.role in self.k.roles and self.k.roles[c.role].kind == "role"
                 and re.search(r"Capabilit\w* Framework|\(PCF\)", c.text)]
        # the posts with levels (the career progression framework) first, then the one-grade posts
        quoted = sorted((c for c in named if not c.text.startswith("See Appendix")),
                        key=lambda c: (not self.k.roles[c.role].levels, self._role_order.get(c.role, 99),
                                       c.level or ""))
        pointer = next((c for c in named if c.text.startswith("See Appendix")), None)
        tagged = [c for c in self.k.criteria if c.role in self.k.roles and _PCF_TAGGED.search(c.text)]
        appendix = [c for c in self.k.criteria if c.role == "PCF" and c.topic == "overview"][:1]
        domains = {c.number for c in self.k.criteria if c.role == "PCF" and c.topic == "pcf_domain" and c.number}
        info = self.k.roles.get("PCF")
        blocks, _ = self._blocks(quoted, key=self._where)
        docs = [d for d in sorted(self.k.documents) if "progression framework" in self.k.documents[d].title.lower()]
        which = f"documents {', '.join(docs[:-1])} and {docs[-1]}" if len(docs) > 1 else f"document {''.join(docs)}"
        blocks.insert(0, Block(text=(
            f"The career progression framework is the roles and levels {which} set out, and what each level "
            f"asks for: {ladder}. The Professional Capabilities Framework for Social Work (the PCF) is another "
            "framework, which the documents refer to. Where they name it:")))
        profile = pointer or (tagged[0] if tagged else None)
        if profile is not None:
            said = [f"The {self._role_name(profile.role)} job profile"
                    + (f" says “{pointer.text}”." if pointer else " refers to the PCF.")]
            if tagged:
                said.append(f"It ends {len(tagged)} of its requirements with a PCF domain number, for example "
                            f"“{_PCF_TAGGED.search(tagged[0].text).group(0)}”.")
            if appendix and info:
                said.append(f"Its Appendix A gives one level of the PCF, the {info.title.split(' – ')[-1]}, with "
                            f"its {_NUMBER_WORDS.get(len(domains), str(len(domains)))} domains.")
            blocks.append(Block(text=" ".join(said)))
        blocks.append(Block(text=("Beyond these, no document says which level of the PCF goes with which level of "
                                  "the career progression framework.")))
        cpf = self.k.glossary_entry("CPF")
        reply = Reply(title="The PCF and the career progression framework: two different frameworks", blocks=blocks,
                      notes=[cpf.note] if cpf and cpf.note else [],
                      sources=self._sources([*quoted, *([pointer] if pointer else []), *tagged, *appendix]),
                      choices=[self.ask_choice("The PCF level described", "what is the PCF experienced level?"),
                               self.ask_choice("The roles and levels", "what are the levels?")])
        reply.meta.update(role=None, level=None, topic="pcf_domain")
        return reply

    def _pcf(self, q: Query) -> Reply:
        if self.asks_pcf_and_framework(q):
            return self._pcf_and_framework()
        pcf = [c for c in self.k.criteria if c.topic == "pcf_domain"]
        if q.pcf_domain is not None:
            items = [c for c in pcf if c.number == q.pcf_domain]
            if not items:
                numbers = sorted({c.number for c in pcf if c.number is not None})
                reply = Reply(
                    title=f"The PCF in the framework has no domain {q.pcf_domain}.",
                    blocks=[Block(text=f"It has domains {numbers[0]} to {numbers[-1]}.")],
                    status="not_in_framework",
                )
                reply.meta.update(role=None, level=None, topic="pcf_domain")
                return reply
            title = f"PCF domain {q.pcf_domain}: {items[0].title or ''}".strip()
            return self._reply(
                title=title,
                criteria=items,
                role=None,
                level=None,
                topic="pcf_domain",
                key=lambda c: "At the Experienced Social Worker level:",
            )
        named = self._pcf_domain_by_name(q, pcf)
        if named is not None:
            return self._pcf(replace(q, pcf_domain=named))
        about = _PCF_ABOUT.search(q.lower)
        if about:  # "what does the PCF say about supervision?": its own lines on that, by domain
            subject = (about.group(1) or about.group(2)).strip()
            hits = [h for h in self.retriever.search(subject, roles={"PCF"}, limit=12)
                    if self.retriever.coverage(subject, h) == 1.0]
            if hits:
                found = sorted((h.criterion for h in hits[:6]), key=lambda c: (c.number or 0))
                return self._reply(title=f"What the PCF says about {subject}", criteria=found, role=None, level=None,
                                   topic="pcf_domain", key=lambda c: (f"Domain {c.number}: {c.title}" if c.number
                                                                      else _heading_with_group(c)))
        # the level in general
        overview = [c for c in self.k.criteria if c.role == "PCF" and c.topic == "overview"]
        titles = OrderedDict()
        for c in pcf:
            titles.setdefault(c.number, c.title)
        domain_block = Block(title="The nine domains", bullets=[f"{n}. {t}" for n, t in titles.items()])
        info = self.k.roles.get("PCF")
        return self._reply(
            title=info.title if info else "Professional Capabilities Framework",
            criteria=overview,
            role=None,
            level=None,
            topic="pcf_domain",
            extra_blocks=[domain_block],
            choices=[
                self.ask_choice(f"Domain {n}", f"what is PCF domain {n}") for n in list(titles)[:5] if n is not None
            ],
        )

    def _pcf_domain_by_name(self, q: Query, pcf: list[Criterion]) -> int | None:
        """'the knowledge domain', 'PCF values and ethics', 'professional leadership' -> the domain number."""
        scores: dict[int, int] = {}
        text = q.lower.replace("&", "and")
        for c in pcf:
            if c.number is None or not c.title or c.number in scores:
                continue
            words = [w for w in re.findall(r"[a-z]+", c.title.lower()) if w not in {"and", "of", "the"}]
            found = [w for w in words if re.search(rf"\b{w}\b", text)]
            if found:
                scores[c.number] = sum(len(w) for w in found)
        if not scores:
            return None
        top = max(scores.values())
        winners = [n for n, sc in scores.items() if sc == top]
        return winners[0] if len(winners) == 1 else None  # a word two domains share decides nothing
