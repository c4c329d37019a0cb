"""Free-text retrieval over every criterion: an inverted index of word stems, typo-tolerant via rapidfuzz."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.knowledge.model import Criterion, Knowledge

STOPWORDS = frozenset(
    """a an the and or of to in on for at by with from as is are be been being was were do does did doing i me my
    we our you your they them their it its this that these those what which who whom whose when where why how
    can could should would will shall may might must need needs needed have has had having get got go going
    there here about into than then so if not no yes any all some more most other such only own same very just
    also too up down out over under again further once per via eg e.g etc i'm im i've ive am tell say said
    know want like please thanks thank hi hello level levels role roles job work working worker workers social
    care officer sw sco kr po require required requirement requirements criteria framework without become
    becoming""".split()
)

_WORD = re.compile(r"[a-z0-9]+")
# Dates say when, and these verbs say how, not what: never "the subject no document mentions"
_NOT_A_SUBJECT = frozenset("""january february march april june july august september sept october november
    december monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow week weeks month
    months year years count counts counted matter matters happen happens mean means thing things stuff really
    actually still maybe think guess okay sure many much now then yet already soon straight directly anything
    something everything else just also instead stand stands short abbreviation abbreviations acronym
    acronyms doesn didn isn wasn aren weren haven hasn couldn wouldn shouldn""".split())


# "-ship" is kept (leadership is not leader, membership not member, hardship not hard), except where it is the
# time spent as the person the word names: an apprenticeship is what an apprentice does
_SHIP_HOLDERS = frozenset({"apprentice"})


def stem(word: str) -> str:
    """A deliberately small stemmer: plural and verb endings, so 'driving' meets 'drive'."""
    held = word[:-5] if word.endswith("ships") else word[:-4] if word.endswith("ship") else None
    if held in _SHIP_HOLDERS:
        word = held
    for suffix in ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ed", "es", "s", "e", "y"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if word.endswith("sion") and len(word) >= 9:  # "supervision" meets "supervising", "discussion" "discuss"
        word = word[:-3]
    return word


_PHRASE = re.compile(r"\b([a-z]{3,}) (\d{1,4})\b")


def _phrases(text: str) -> list[str]:
    return [f"{stem(w)} {n}" for w, n in _PHRASE.findall(text.lower()) if w not in STOPWORDS]


def terms(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


# What a note on a typo says was meant ("Care 2014" -> "the Care Act 2014"): people search with those words
_INTENDED = re.compile(r"\bit means the ([^,.;]+)|\"([^\"]+)\" appears to be meant|\ba typo for (\"[^\"]+\"|[\w ]+)",
                       re.I)


def intended(note: str | None) -> str:
    return " ".join(g for m in _INTENDED.finditer(note or "") for g in m.groups() if g)


def _subheading(c: Criterion) -> str:
    """A heading's part below the item's group, which names the items ("Qualifications – Year 2: Consolidation
    year"): people ask for it by name ("what is the consolidation year?")."""
    head, group = c.source.heading, c.group
    return head.split(f"{group} – ", 1)[1] if group and f"{group} – " in head else ""


@dataclass(frozen=True)
class Hit:
    criterion: Criterion
    score: float


class Retriever:
    """Built once at start-up; answering a query touches only the criteria that share a term with it."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.criteria = knowledge.criteria
        postings: dict[str, set[int]] = defaultdict(set)
        for i, c in enumerate(self.criteria):
            for t in set(terms(f"{c.text} {c.title or ''} {intended(c.note)} {_subheading(c)}")):
                postings[t].add(i)
        n = max(len(self.criteria), 1)
        self.postings = {t: frozenset(ids) for t, ids in postings.items()}
        self.idf = {t: math.log(1 + n / len(ids)) for t, ids in postings.items()}
        self.vocab = list(self.postings)
        # "conversation 3", "Act 2014": a word with its number, which single terms lose (digits alone say little)
        phrases: dict[str, set[int]] = defaultdict(set)
        for i, c in enumerate(self.criteria):
            for p in set(_phrases(c.text)):
                phrases[p].add(i)
        self.phrases = {p: (frozenset(ids), math.log(1 + n / len(ids))) for p, ids in phrases.items()}
        self._expand_cache: dict[str, list[tuple[str, float]]] = {}

    def _expand(self, term: str) -> list[tuple[str, float]]:
        """The term itself, plus close spellings from the vocabulary for typos ('licence' ~ 'license')."""
        cached = self._expand_cache.get(term)
        if cached is not None:
            return cached
        out: list[tuple[str, float]] = []
        if term in self.postings:
            out.append((term, 1.0))
        if len(term) >= 5:
            for word, score, _ in process.extract(term, self.vocab, scorer=fuzz.ratio, score_cutoff=84, limit=4):
                if word != term:
                    out.append((word, score / 100 * 0.8))
        if len(self._expand_cache) < 50_000:
            self._expand_cache[term] = out
        return out

    def unknown_words(self, query: str) -> list[str]:
        """Words of the query (as typed) that no document uses, even with a typo: "dress" in "dress code"."""
        words = [w for w in _WORD.findall(query.lower())
                 if w not in STOPWORDS and w not in _NOT_A_SUBJECT and len(w) > 3 and not w.isdigit()]
        return [w for w in dict.fromkeys(words) if not self._expand(stem(w))]

    def known(self, word: str) -> bool:
        """Whether any document uses the word (or, for a longer word, one a typo away)."""
        return bool(self._expand(stem(word.lower())))

    def coverage(self, query: str, hit: Hit) -> float:
        """The share of the query's terms that the hit's criterion contains (typos allowed)."""
        qterms = list(dict.fromkeys(terms(query)))
        if not qterms:
            return 0.0
        have = set(terms(f"{hit.criterion.text} {hit.criterion.title or ''}"))
        return sum(1 for qt in qterms if any(w in have for w, _ in self._expand(qt))) / len(qterms)

    def search(self, query: str, *, limit: int = 12, roles: set[str | None] | None = None) -> list[Hit]:
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, set[str]] = defaultdict(set)
        qterms = list(dict.fromkeys(terms(query)))
        for qt in qterms:
            for word, weight in self._expand(qt):
                for i in self.postings.get(word, ()):
                    if qt in matched[i]:
                        continue
                    matched[i].add(qt)
                    scores[i] += self.idf[word] * weight
        for p in set(_phrases(query)):
            ids, idf = self.phrases.get(p, ((), 0.0))
            for i in ids:
                scores[i] += idf
        hits = []
        for i, s in scores.items():
            c = self.criteria[i]
            if roles is not None and c.role not in roles:
                continue
            # Favour items that match more of the question's terms, then shorter items.
            coverage = len(matched[i]) / max(len(qterms), 1)
            hits.append(Hit(c, s * (0.5 + coverage) / (1 + len(c.text) / 2000)))
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]
