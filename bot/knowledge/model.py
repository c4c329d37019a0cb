"""The framework knowledge as the rest of careerbot sees it: roles, levels, criteria, time rules, glossary."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from bot.knowledge.schema import Document, FrameworkFile, GlossaryEntry, GlossaryFile, Section

LEVEL_NAMES = {"A": "Developing", "B": "Practising", "C": "Accomplished"}
LEVEL_ORDER = ("A", "B", "C")
_COMMENT = re.compile(r"reviewer'?s comment|not a requirement", re.I)


@dataclass(frozen=True)
class Source:
    """Where a piece of framework content comes from, for citations."""

    document_id: str
    document_title: str
    organisation: str | None
    heading: str
    line: int | None = None

    def cite(self) -> str:
        org = f" ({self.organisation})" if self.organisation else ""
        return f"{self.document_title}{org}, document {self.document_id}: {self.heading}"


@dataclass(frozen=True)
class Criterion:
    """One quoted item with everything needed to find, show and cite it."""

    uid: str
    text: str
    note: str | None
    role: str | None
    level: str | None
    topic: str
    source: Source
    part: str | None = None
    group: str | None = None
    variant: str | None = None
    number: int | None = None
    title: str | None = None
    section_note: str | None = None
    rated: bool = True  # False: words that ask nothing on their own (an introduction, a fragment), never rated

    @property
    def is_comment(self) -> bool:
        """A reviewer's comment left in a table (its note says so): shown as such, never as a requirement."""
        return bool(self.note and _COMMENT.search(self.note))


@dataclass(frozen=True)
class TimeRule:
    role: str
    from_level: str
    to_level: str
    min_months: int
    max_months: int | None
    text: str
    note: str | None
    source: Source

    @property
    def months_text(self) -> str:
        if self.max_months is not None and self.max_months != self.min_months:
            return f"{self.min_months}-{self.max_months} months"
        return f"{self.min_months} months"


@dataclass
class RoleInfo:
    code: str
    titles: list[str]
    kind: str
    grades: list[str]
    organisations: list[str]
    aliases: list[str]
    levels: dict[str, str]  # code -> name
    notes: list[tuple[str, Source]]
    documents: list[str]

    @property
    def title(self) -> str:
        return self.titles[0]

    def level_label(self, level: str) -> str:
        name = self.levels.get(level) or LEVEL_NAMES.get(level, "")
        code = Knowledge.code(self.code, level)
        return f"{code} ({name})" if name else code


@dataclass
class Knowledge:
    documents: dict[str, Document]
    roles: dict[str, RoleInfo]
    criteria: list[Criterion]
    time_rules: list[TimeRule]
    glossary: list[GlossaryEntry]
    _index: dict[tuple[str | None, str | None, str], list[Criterion]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        index: dict[tuple[str | None, str | None, str], list[Criterion]] = defaultdict(list)
        for c in self.criteria:
            index[(c.role, c.level, c.topic)].append(c)
        self._index = dict(index)

    # -- lookups -------------------------------------------------------------------------------
    def find(
        self,
        *,
        role: str | None,
        level: str | None = None,
        topic: str | None = None,
        include_role_wide: bool = False,
    ) -> list[Criterion]:
        """Criteria of a role (and level, topic). include_role_wide adds the level-less sections too."""
        if topic is not None and level is not None and not include_role_wide:
            return list(self._index.get((role, level, topic), ()))
        out = []
        for c in self.criteria:
            if c.role != role:
                continue
            if topic is not None and c.topic != topic:
                continue
            if level is not None and c.level != level and not (include_role_wide and c.level is None):
                continue
            out.append(c)
        return out

    def guidance(self) -> list[Criterion]:
        return [c for c in self.criteria if c.role is None]

    def level_codes(self) -> list[str]:
        """Every full level code as shown to people, e.g. SW2A, SCO 4B, in a stable order."""
        return [self.code(code, lv) for code, info in self.roles.items() for lv in LEVEL_ORDER if lv in info.levels]

    @staticmethod
    def code(role: str, level: str | None) -> str:
        """How a level is written: SW2A; the Social Care Officer table writes its levels "4A", "4B"."""
        if not level:
            return role
        return f"SCO 4{level}" if role == "SCO" else f"{role}{level}"

    def role_codes(self, *, kind: str | None = "role") -> list[str]:
        return [c for c, r in self.roles.items() if kind is None or r.kind == kind]

    def ordered_levels(self, role: str) -> list[str]:
        """A role's levels in order ("A", "B", "C"); none for an unknown role or a one-grade post."""
        info = self.roles.get(role)
        return [lv for lv in LEVEL_ORDER if lv in info.levels] if info else []

    def next_level(self, role: str, level: str) -> str | None:
        ordered = self.ordered_levels(role)
        if level not in ordered:
            return None
        i = ordered.index(level)
        return ordered[i + 1] if i + 1 < len(ordered) else None

    def previous_level(self, role: str, level: str) -> str | None:
        ordered = self.ordered_levels(role)
        if level not in ordered:
            return None
        i = ordered.index(level)
        return ordered[i - 1] if i > 0 else None

    def rules_for(self, role: str, to_level: str) -> list[TimeRule]:
        return [r for r in self.time_rules if r.role == role and r.to_level == to_level]

    def glossary_in(self, text: str) -> list[GlossaryEntry]:
        """The glossary entries whose term (or an alias) a text uses, in the order of the glossary: the
        abbreviations of a criterion, to explain it. Short all-capital terms match only as written ("BIA",
        not "bia" inside a word); others match as whole words in any case."""
        found = []
        for e in self.glossary:
            for name in (e.term, *e.aliases):
                flags = 0 if name.isupper() and len(name) <= 6 else re.I
                if re.search(rf"(?<![\w-]){re.escape(name)}s?(?![\w-])", text, flags):
                    found.append(e)
                    break
        return found

    def glossary_entry(self, term: str) -> GlossaryEntry | None:
        t = term.strip().lower()
        for e in self.glossary:
            if e.term.lower() == t or t in (a.lower() for a in e.aliases):
                return e
        return None


def _source(doc: Document, heading: str, line: int | None) -> Source:
    return Source(doc.id, doc.title, doc.organisation, heading, line)


def _add_section(out: list[Criterion], doc: Document, role: str | None, section: Section, prefix: str) -> None:
    for i, item in enumerate(section.items):
        out.append(
            Criterion(
                uid=f"{prefix}.{i}",
                text=item.text,
                note=item.note,
                role=role,
                level=section.level,
                topic=section.topic,
                source=_source(doc, section.heading, item.line),
                part=section.part,
                group=section.group,
                variant=section.variant,
                number=section.number,
                title=section.title,
                section_note=section.note,
                rated=item.rated,
            )
        )


def build_knowledge(files: list[FrameworkFile], glossary: GlossaryFile | None) -> Knowledge:
    documents: dict[str, Document] = {}
    roles: dict[str, RoleInfo] = {}
    criteria: list[Criterion] = []
    rules: list[TimeRule] = []
    for f in files:
        doc = f.document
        documents[doc.id] = doc
        for role in f.roles:
            info = roles.get(role.code)
            if info is None:
                info = roles[role.code] = RoleInfo(role.code, [], role.kind, [], [], [], {}, [], [])
            for value, bucket in ((role.title, info.titles), (role.grade, info.grades),
                                  (role.organisation or doc.organisation, info.organisations)):
                if value and value not in bucket:
                    bucket.append(value)
            info.aliases += [a for a in role.aliases if a not in info.aliases]
            for lv, lvinfo in role.levels.items():
                info.levels.setdefault(lv, lvinfo.name)
            if role.note:
                info.notes.append((role.note, _source(doc, role.title, None)))
            info.documents.append(doc.id)
            for s_i, section in enumerate(role.sections):
                _add_section(criteria, doc, role.code, section, f"{doc.id}.{role.code}.{s_i}")
        for g_i, section in enumerate(f.guidance):
            _add_section(criteria, doc, None, section, f"{doc.id}.guidance.{g_i}")
        for rule in f.time_rules:
            rules.append(
                TimeRule(rule.role, rule.from_level, rule.to_level, rule.min_months, rule.max_months,
                         rule.text, rule.note, _source(doc, rule.heading, rule.line))
            )
    for info in roles.values():
        info.levels = {lv: info.levels[lv] for lv in LEVEL_ORDER if lv in info.levels}
    return Knowledge(documents, roles, criteria, rules, list(glossary.glossary) if glossary else [])
