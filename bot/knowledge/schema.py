"""The shape of a framework file (framework_data/*.yaml), as typed models that validate it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Topic = Literal[
    "overview",  # what the role/level is, role summaries, grade, job purpose
    "duties",  # what the job involves / key responsibilities
    "qualifications",
    "knowledge",
    "experience",
    "skills",
    "safeguarding",
    "evidence",  # evidence required to progress (003)
    "values",  # organisational values, behaviours
    "competencies",
    "special_conditions",
    "pcf_domain",  # a domain of the Professional Capabilities Framework
    "guidance",  # purpose and use of a framework, development routes, anything general
]
TOPICS: tuple[str, ...] = Topic.__args__  # type: ignore[attr-defined]

LevelCode = Literal["A", "B", "C"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Item(_Strict):
    """One criterion, duty or sentence, quoted word for word from the source."""

    text: str = Field(min_length=1)
    line: int | None = Field(default=None, ge=1, description="line in the seed file, as cat -n prints it")
    note: str | None = Field(default=None, description="a typo, contradiction, gap or doubt in the source")
    rated: bool = Field(default=True, description="false for words that ask nothing on their own (an "
                        "introduction, a fragment left by a page break): quoted in answers, never rated in a "
                        "self-assessment")


class Section(_Strict):
    """A group of items that share a topic, a level and a place in the source."""

    topic: Topic
    level: LevelCode | None = None  # None: applies to the whole role
    heading: str = Field(min_length=1, description="where in the source, for the citation")
    part: str | None = None  # e.g. "Person specification", "Job description", "Role summary"
    group: str | None = None  # a sub-heading within the section, e.g. "Year 1"
    variant: str | None = None  # e.g. "Deaf services"
    number: int | None = None  # e.g. PCF domain number
    title: str | None = None  # e.g. PCF domain title, development route name
    note: str | None = None
    items: list[Item] = Field(min_length=1)

    @field_validator("items", mode="before")
    @classmethod
    def _plain_strings_are_items(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"text": v} if isinstance(v, str) else v for v in value]
        return value


class LevelInfo(_Strict):
    name: str  # e.g. "Developing"
    note: str | None = None


class Role(_Strict):
    """A job role (or a reference framework such as the PCF) as one document describes it."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,9}$")
    title: str
    kind: Literal["role", "reference"] = "role"
    grade: str | None = None  # e.g. "Range 4", "SCP 32 - 35 (PO3)"
    organisation: str | None = None
    aliases: list[str] = Field(default_factory=list)
    levels: dict[LevelCode, LevelInfo] = Field(default_factory=dict)
    note: str | None = None
    sections: list[Section] = Field(default_factory=list)

    @model_validator(mode="after")
    def _levels_declared(self) -> Role:
        for section in self.sections:
            if section.level is not None and section.level not in self.levels:
                raise ValueError(
                    f"section {section.heading!r} is at level {section.level}, "
                    f"but role {self.code} declares levels {sorted(self.levels) or 'none'}"
                )
        return self


class TimeRule(_Strict):
    """A minimum time at one level before progressing to the next, as a source states it."""

    role: str
    from_level: LevelCode
    to_level: LevelCode
    min_months: int = Field(ge=0)
    max_months: int | None = Field(default=None, ge=0)
    text: str  # the source's words
    heading: str
    line: int | None = Field(default=None, ge=1)
    note: str | None = None

    @model_validator(mode="after")
    def _range_ordered(self) -> TimeRule:
        if self.max_months is not None and self.max_months < self.min_months:
            raise ValueError("max_months is smaller than min_months")
        return self


class Document(_Strict):
    id: str = Field(pattern=r"^[0-9A-Za-z_-]+$")  # e.g. "001"
    seed: str | None = None  # the seed file name it was encoded from
    title: str
    organisation: str | None = None
    date: str | None = None
    notes: list[str] = Field(default_factory=list)


class FrameworkFile(_Strict):
    """One YAML file: one source document and everything encoded from it."""

    document: Document
    roles: list[Role] = Field(default_factory=list)
    time_rules: list[TimeRule] = Field(default_factory=list)
    guidance: list[Section] = Field(default_factory=list)  # topic "guidance"; not tied to a role

    @model_validator(mode="after")
    def _unique_roles(self) -> FrameworkFile:
        codes = [r.code for r in self.roles]
        dupes = {c for c in codes if codes.count(c) > 1}
        if dupes:
            raise ValueError(f"role codes repeated in one file: {sorted(dupes)}")
        return self


class GlossaryEntry(_Strict):
    term: str
    meaning: str | None = None  # None: used in the sources but never spelled out
    document: str | None = None  # document id where it is spelled out
    line: int | None = None
    aliases: list[str] = Field(default_factory=list)
    note: str | None = None


class GlossaryFile(_Strict):
    glossary: list[GlossaryEntry]
