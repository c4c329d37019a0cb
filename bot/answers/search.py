"""Searching the framework's own lines for what a question is about: a specific thing at a level or in a role
("do I need to chair meetings at SW3B?"), something a role's documents never mention ("do I need a driving
licence for SW2?"), and free text when no role is named. Answers quote the lines found, with their notes.

A part of the answer engine (AnswerEngine inherits it): it uses the engine's helpers for replies and citations.
"""

from __future__ import annotations

import re

from bot.answers.levels import ROLE_NAMES
from bot.answers.questions import LADDER, Query
from bot.answers.retrieval import terms
from bot.answers.shared import _heading_with_group
from bot.conversation import Block, Reply
from bot.knowledge.model import Criterion

LEVEL_TOKEN = re.compile(
    r"(?:sw|sco|kr|po)\d*[a-d]?|\d[a-d]?|[a-d]|senior|manag|develop|practis|accomplish|"
    r"newly|qualifi|nqsw|grade|need|requir|level|year|y[12]|expect|everyth|give|show|"
    r"tell|detail|list",
    re.I,
)
RARE_TERM_IDF = 4.4  # a word in at most about one criterion in sixty
# Abbreviations the documents never spell out beside them but write in full elsewhere (the glossary keeps
# their meaning empty, so it is not asserted); search looks for the full words too
_SEARCH_ALSO = {"ot": "occupational therapy", "ots": "occupational therapy"}
# Words that frame a yes/no question rather than name its subject ("does SW2B have a safeguarding section?",
# "does SW2C involve supervising SCOs?", "can an OT become a team manager?")
_FRAME_STEMS = frozenset(terms(
    "section sections part parts involve involves involved include includes included require requires expect "
    "expected allow allowed able possible become becoming apply applying get getting go move moving progress "
    "promoted promotion mean means count counts accept accepted okay ok eligible necessary essential needed "
    "mandatory compulsory have having use used cover covered ask asks asked"))


# Words that name the table asked about ("SCO deaf team level B"), not a subject within it: the variant says them
_VARIANT_STEMS = frozenset(terms("deaf deafened hearing audiology team teams service services table tables"))


def _stem_in(stem: str, stems: frozenset[str]) -> bool:
    """A stem, or one sharing its first six letters ("supervis" and "supervision"), is among the stems."""
    return stem in stems or (len(stem) >= 6 and any(s[:6] == stem[:6] for s in stems if len(s) >= 6))


# Sections some roles have and others do not, and the word that shows a line elsewhere is about the same thing
_SECTION_WORDS = {"safeguarding": "safeguard", "values": "values", "competencies": "competenc"}


class SearchReplies:
    """Answers found by searching the criteria."""

    def _expand_terms(self, text: str) -> str:
        """Add the spelt-out form of abbreviations ('amhp' also searches 'Approved Mental Health Professional')."""
        extra = []
        for token in re.findall(r"[a-z0-9]+", text.lower()):
            if token in _SEARCH_ALSO:
                extra.append(_SEARCH_ALSO[token])
                continue
            term = self._glossary_terms.get(token)
            entry = self.k.glossary_entry(term) if term else None
            if entry and entry.meaning and len(token) > 2:
                extra.append(entry.meaning)
        return " ".join([text, *extra])

    def _level_hits(self, q: Query, role: str, level: str) -> Reply | None:
        """A specific question about a level ('do I need to be a practice educator for SW3C?')."""
        content = self._content_words(q, role)
        if not content:
            return None
        allowed = {lv for lv in self.k.roles[role].levels if lv <= level} | {None}
        found = self._about_rare_terms(q, role, [
            h for h in self.retriever.search(self._expand_terms(" ".join(content)), roles={role}, limit=30)
            if h.score >= 3.0
        ])
        hits = [h for h in found if h.criterion.level in allowed]
        # "do I need to be a DSO for SW3B?": at SW3B only a reviewer's comment says DSO; SW3C asks for it
        later = [h.criterion for h in found if h.criterion.level not in allowed and not h.criterion.is_comment]
        if later and all(h.criterion.is_comment for h in hits):
            return self._asked_later(role, level, later[:4])
        if not hits:
            return self._in_a_later_role(q, role, level, content)
        top = hits[0].score
        chosen = [h.criterion for h in hits if h.score >= top * 0.5][:8]
        chosen = self._with_list_items(chosen)
        chosen.sort(key=lambda c: (c.level != level, c.level or "", c.variant != q.variant, c.topic))
        code = self.k.code(role, level)
        reply = self._reply(
            title=f"What the framework says on this for {code}",
            criteria=chosen,
            role=role,
            level=level,
            topic="search",
            key=lambda c: (f"{self.k.code(role, c.level)} – " if c.level else "") + _heading_with_group(c),
            choices=[
                self.ask_choice(f"Everything for {code}", f"what do I need for {code}"),
                *self._level_choices(role, level),
            ],
        )
        if any(c.level != level for c in chosen):
            reply.blocks.append(Block(text=f"Requirements of the levels below {code} also apply at {code}."))
        return reply

    def _in_a_later_role(self, q: Query, role: str, level: str, content: list[str]) -> Reply | None:
        """"Do I need to chair meetings for SW2C?": nothing in the Social Worker role asks for it, and the
        Senior Social Worker role does (SW3B): say where, so the answer is not the whole of SW2C."""
        if role not in LADDER:
            return None
        later_roles = set(LADDER[LADDER.index(role) + 1:])
        rare = set(self._rare_terms(q, role))
        if not later_roles or not rare:
            return None
        # every word the question is about, not only its rarest: "manage a budget" is not "budget implications"
        wanted = [t for t in terms(q.lower) if t in self.retriever.postings  # words no document uses ("says") aside
                  and t not in _FRAME_STEMS and t not in self._role_words(role)
                  and not re.fullmatch(r"(?:sw|sco|kr|po)\d*[a-d]?|\d[a-d]?|[a-d]|need|requir|level", t)]
        found = []
        for h in self.retriever.search(self._expand_terms(" ".join(content)), roles=later_roles, limit=30):
            said = frozenset(terms(h.criterion.text))
            if h.score >= 3.0 and not h.criterion.is_comment and rare <= said and all(_stem_in(t, said)
                                                                                     for t in wanted):
                found.append(h.criterion)
        if not found:
            return None
        first = min(found, key=lambda c: LADDER.index(c.role)).role
        later = sorted((c for c in found if c.role == first), key=lambda c: c.level or "")[:4]
        return self._asked_later(role, level, later)

    def _asked_later(self, role: str, level: str, later: list[Criterion]) -> Reply:
        code = self.k.code(role, level)
        where = list(dict.fromkeys(self.k.code(c.role, c.level) for c in later))
        reply = self._reply(
            title=f"Not at {code}: the framework asks for this at {' and '.join(where)}",
            criteria=later, role=role, level=level, topic="search",
            key=lambda c: f"{self.k.code(c.role, c.level)} – {_heading_with_group(c)}",
            choices=[self.ask_choice(f"Everything for {code}", f"what do I need for {code}"),
                     *[self.ask_choice(f"What {w} needs", f"what do I need for {w}") for w in where[:2]]])
        reply.blocks.insert(0, Block(text=f"Nothing in {code}'s requirements asks for it (a reviewer's comment in "
                                          f"the table mentions it, which is not a requirement)."
                                     if self._comment_mentions(role, level, later) else
                                     f"Nothing in {code}'s requirements asks for it."))
        return reply

    def _comment_mentions(self, role: str, level: str, later: list[Criterion]) -> bool:
        words = {w.lower() for c in later for w in re.findall(r"\b[A-Z]{2,}\b", c.text)}
        return any(c.is_comment and any(w in c.text.lower() for w in words)
                   for c in self.k.find(role=role, level=level))

    def _said_elsewhere(self, q: Query, role: str, level: str | None, *, where: str | None = None) -> Reply | None:
        """"Do I need a driving licence for SW2?": the Social Worker documents never mention driving. Say so, and
        quote where the framework does (the SCO table, the PO3 post), so nobody reads one role's rule as another's."""
        words = self._content_words(q, role)
        content = [t for t in terms(self._expand_terms(" ".join(words)))
                   if t not in _FRAME_STEMS and len(t) >= 3 and not LEVEL_TOKEN.fullmatch(t)]
        own = self._role_stems(role)
        if not content or any(_stem_in(t, own) for t in content):
            return None  # the role's documents do speak of it (or the question names nothing): answered elsewhere
        candidates = [w for w in words
                      if terms(w) and terms(w)[0] not in _FRAME_STEMS and not re.fullmatch(r"(?:sw|sco|kr|po)\d*s?", w)]
        unknown = set(self.retriever.unknown_words(" ".join(candidates)))  # stopwords, "now", "straight" left out
        nowhere = [w for w in candidates if w in unknown or (len(w) == 3 and w.isalpha() and not self.retriever.known(w)
                                                              and w.upper() in q.text)]
        if nowhere:  # "do SCOs need to speak BSL?": no document says BSL at all (said back as typed)
            return self._not_mentioned([m.group(0) if (m := re.search(rf"\b{re.escape(w)}\b", q.text, re.I)) else w
                                        for w in nowhere])
        absent = [t for t in content if self.retriever.idf.get(t, 0.0) >= RARE_TERM_IDF]
        if not absent:
            return None
        typed = [w for w in re.findall(r"[a-z0-9]+", q.lower) if terms(w) and terms(w)[0] in absent]
        shown = " or ".join(f"“{w}”" for w in dict.fromkeys(typed)) or "this"
        where = where or (self.k.code(role, level) if level else self._role_name(role))
        elsewhere = [self.retriever.criteria[i] for t in absent for i in sorted(self.retriever.postings.get(t, ()))]
        elsewhere = [c for c in dict.fromkeys(elsewhere) if c.role and not c.is_comment and c.variant is None]
        if not elsewhere:
            return self._not_mentioned(typed or absent)
        elsewhere.sort(key=lambda c: (self._role_order.get(c.role, 99), c.level or ""))
        roles = list(dict.fromkeys(c.role for c in elsewhere))
        reply = self._reply(
            title=f"The framework doesn't mention {shown} for {where}",
            criteria=elsewhere[:4], role=role, level=level, topic="search", key=self._where,
            extra_blocks=[Block(text=f"So the framework sets no such requirement for {where}; your manager can "
                                     "tell you what the post itself needs.")],
            choices=[self.ask_choice(f"What {self.k.code(role, level) if level else role} needs",
                                     f"what do I need for {self.k.code(role, level) if level else role}")])
        reply.blocks.insert(0, Block(text=f"It is mentioned only for {', '.join(self._role_name(r) for r in roles)}:"))
        return reply

    def _with_list_items(self, chosen: list[Criterion]) -> list[Criterion]:
        """A line that introduces a list ("…in the following teams:") brings the list's items with it, in the
        document's order: the lead-in alone answers nothing."""
        if not any(c.text.rstrip().endswith(":") for c in chosen):
            return chosen
        if self._order is None:
            self._order = {c.uid: i for i, c in enumerate(self.k.criteria)}
        out: list[Criterion] = []
        for c in chosen:
            if c not in out:
                out.append(c)
            if not c.text.rstrip().endswith(":"):
                continue
            i = self._order.get(c.uid, -1) + 1
            while 0 < i < len(self.k.criteria):
                nxt = self.k.criteria[i]
                if (nxt.role, nxt.level, nxt.topic, nxt.source.heading, nxt.variant) != (
                        c.role, c.level, c.topic, c.source.heading, c.variant) or nxt.text.rstrip().endswith(":"):
                    break
                if nxt not in out:
                    out.append(nxt)
                i += 1
        return out

    def _role_stems(self, role: str) -> frozenset[str]:
        """Every word stem in a role's criteria, worked out once per role."""
        stems = self._role_stems_cache.get(role)
        if stems is None:
            stems = frozenset(t for c in self.k.find(role=role) for t in terms(c.text))
            self._role_stems_cache[role] = stems
        return stems

    def _one_role_says(self, q: Query) -> bool:
        """'How many GCSEs do I need?', 'CQC registration': a rare word that only one role's documents use
        answers the question better than asking which role."""
        rare = [t for t in terms(q.text) if self.retriever.idf.get(t, 0.0) >= RARE_TERM_IDF
                and not LEVEL_TOKEN.fullmatch(t)]
        if not rare:
            return False
        rarest = max(rare, key=lambda t: self.retriever.idf[t])
        roles = {self.retriever.criteria[i].role for i in self.retriever.postings.get(rarest, ())}
        return len(roles) == 1 and None not in roles

    def _role_words(self, role: str) -> frozenset[str]:
        """The stems of a role's own names, titles and grades (and every role name): not what a question is about.
        Worked out once per role; the knowledge never changes."""
        words = self._role_words_cache.get(role)
        if words is None:
            info = self.k.roles[role]
            # "ASYE" names SW2A in ROLE_NAMES but is also what a post may ask for ("does KR9 require the ASYE?")
            names = [n for n in ROLE_NAMES if n != "asye"]
            # where a post is (an employer, children's services) is not what the question is about
            places = ["kent", "medway", "children", "childrens", "services"]
            words = frozenset(terms(" ".join([info.title, *info.titles, *info.aliases, *info.grades, *names,
                                              *info.organisations, *places])))
            self._role_words_cache[role] = words
        return words

    def _content_words(self, q: Query, role: str) -> list[str]:
        """The question's words as typed, without the role's own names and level words ("do I need to supervise
        students for SW3C?" -> need, supervise, students): what to search the role's criteria for."""
        role_words = self._role_words(role) | (_VARIANT_STEMS if q.variant else frozenset())
        out = []
        for word in re.findall(r"[a-z0-9]+", q.lower):
            stems = terms(word)
            if stems and not LEVEL_TOKEN.fullmatch(stems[0]) and stems[0] not in role_words \
                    and stems[0] not in _FRAME_STEMS:
                out.append(word)
        return out

    def _about_rare_terms(self, q: Query, role: str, hits: list) -> list:
        """Hits that contain one of the question's rare words, when any does: 'MOSAIC' decides, 'need' does not."""
        rare = set(self._rare_terms(q, role))
        if not rare:
            return hits
        counted = [(len(rare & set(terms(h.criterion.text))), i, h) for i, h in enumerate(hits)]
        with_rare = [h for n, _, h in sorted(counted, key=lambda x: (-x[0], x[1])) if n]
        return with_rare or hits

    def _topics_mention(self, q: Query, role: str, level: str | None, topics: list[str]) -> bool:
        """Whether the topic the question names already holds its rare word ("DSO experience for SW3C": the
        experience section has it, so the whole section is the answer, with the line in its context)."""
        rare = set(self._rare_terms(q, role))
        return any(rare & set(terms(c.text)) for t in topics for c in self.k.find(role=role, level=level, topic=t))

    def _rare_terms(self, q: Query, role: str) -> list[str]:
        """The question's words that few criteria use ("MOSAIC", "chair", "students", "CQC"), leaving out the
        role's own names and level words: what a yes/no question is really about."""
        role_words = self._role_words(role)
        return [t for t in terms(q.text) if not LEVEL_TOKEN.fullmatch(t) and t not in role_words
                and t not in _FRAME_STEMS and self.retriever.idf.get(t, 0.0) >= RARE_TERM_IDF]

    def _role_hits(self, q: Query, role: str) -> Reply | None:
        """A specific question about a role ('do SW3s chair meetings?'): answer from matching criteria.

        'Tell me about KR9' has nothing to search for once the role's own names are taken out: it asks
        for the role itself, not for the one line that happens to say "Grade: KR9"."""
        content = self._content_words(q, role)
        if not content:
            return None
        hits = self._about_rare_terms(q, role, [
            h for h in self.retriever.search(self._expand_terms(" ".join(content)), roles={role}) if h.score >= 3.0])
        if not hits:
            return None
        top = hits[0].score
        chosen = [h.criterion for h in hits if h.score >= top * 0.5][:8]
        chosen = self._with_list_items(chosen)
        return self._reply(
            title=f"What the framework says for {self._role_name(role)}",
            criteria=chosen,
            role=role,
            level=None,
            topic="search",
        )

    def _free(self, q: Query) -> Reply:
        hits = self.retriever.search(q.text, limit=40)
        unknown = self.retriever.unknown_words(q.text)
        if not hits or hits[0].score < 2.0:
            if unknown:  # "do I need a masters?": say which word no document uses
                return self._not_mentioned(unknown)
            reply = self.help_reply(prefix="I couldn't find that in the career progression framework.")
            reply.status = "clarify"
            reply.meta.update(role=None, level=None, topic=None)
            return reply
        if unknown and self.retriever.coverage(q.text, hits[0]) <= 0.5:
            # "Is there a dress code?": the best match shares only a word or two ("code of ethics"), and the
            # word that matters appears in no document. Say so instead of showing unrelated criteria.
            return self._not_mentioned(unknown)
        top = hits[0].score
        chosen = [h.criterion for h in hits if h.score >= top * 0.45][:14]
        chosen = self._with_list_items(chosen)
        roles_hit = list(dict.fromkeys(c.role for c in chosen))

        def key(c: Criterion) -> str:
            who = self._role_name(c.role) if c.role else "Guidance"
            return f"{who} – {c.source.heading}"

        silent = [self._role_name(r) for r, info in self.k.roles.items() if info.kind == "role" and r not in roles_hit]
        extra = [Block(text="Nothing on this in the documents for: " + ", ".join(silent) + ".")] if silent else []
        return self._reply(
            title="What the framework documents say",
            criteria=chosen,
            role=None,
            level=None,
            topic="search",
            key=key,
            extra_blocks=extra,
        )

    def _merged(self, replies: list[Reply]) -> Reply:
        """Several roles' answers to one question as one reply (the first one's title)."""
        first = replies[0]
        if len(replies) > 1:  # say which post each part is from
            for r in replies:
                if r.meta.get("role"):
                    r.blocks.insert(0, Block(title=self._role_name(r.meta["role"])))
        for other in replies[1:]:
            first.blocks += other.blocks
            first.sources = list(dict.fromkeys(first.sources + other.sources))
            first.choices += [c for c in other.choices if c.label not in {x.label for x in first.choices}]
        first.title = "What the Kent posts say about this" if len(replies) > 1 else first.title
        return first

    def _mentioned_at_level(self, role: str, level: str, topics: list[str]) -> list[Criterion]:
        """A level's lines, in any section, that use the word of a section it does not have."""
        stems = [_SECTION_WORDS[t] for t in topics if t in _SECTION_WORDS]
        if not stems:
            return []
        rx = re.compile(r"\b(?:" + "|".join(stems) + ")", re.I)
        return [c for c in self.k.find(role=role, level=level) if rx.search(c.text)]
