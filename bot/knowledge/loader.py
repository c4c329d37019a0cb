"""Reading and validating a folder of framework files, reporting every problem with file and line."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.knowledge.model import Knowledge, build_knowledge
from bot.knowledge.schema import FrameworkFile, GlossaryFile
from bot.shipped import shipped

log = logging.getLogger(__name__)

GLOSSARY_FILE = "glossary.yaml"
DEFAULT_FRAMEWORK_DIR = shipped("framework_data")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class FrameworkError(Exception):
    """The framework folder has problems; each is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _line_map(node: yaml.Node, path: tuple[Any, ...] = (), out: dict | None = None) -> dict:
    """Map every key path in a YAML document to the line (1-based) where it starts."""
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[path + (key,)] = key_node.start_mark.line + 1
            _line_map(value_node, path + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _line_map(child, path + (index,), out)
    return out


def _line_for(loc: tuple[Any, ...], lines: dict) -> int | None:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: start-up is several times faster


class _Lines(dict):
    """Line numbers of a file's keys, worked out only when a problem needs reporting."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text
        self._done = False

    def _fill(self) -> None:
        if not self._done:
            self._done = True
            node = yaml.compose(self._text, Loader=Loader)
            if node is not None:
                self.update(_line_map(node))

    def __contains__(self, key: object) -> bool:
        self._fill()
        return super().__contains__(key)

    def __getitem__(self, key: Any) -> Any:
        self._fill()
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._fill()
        return super().get(key, default)


def _read_yaml(path: Path, label: str) -> tuple[Any, dict, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, {}, [Problem(label, None, f"cannot read the file: {exc}")]
    try:
        data = yaml.load(text, Loader=Loader)  # noqa: S506 - Loader is a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, {}, [Problem(label, line, f"not valid YAML: {problem}")]
    return data, _Lines(text), []


def _pydantic_problems(exc: ValidationError, label: str, lines: dict) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(top)"
        msg = err["msg"].removeprefix("Value error, ")
        problems.append(Problem(label, _line_for(loc, lines), f"{where}: {msg}"))
    return problems


def read_folder(folder: Path) -> tuple[list[tuple[str, FrameworkFile, dict]], GlossaryFile | None, list[Problem]]:
    """Parse and validate every file; return what parsed and every problem found."""
    problems: list[Problem] = []
    files: list[tuple[str, FrameworkFile, dict]] = []
    glossary: GlossaryFile | None = None
    if not folder.is_dir():
        return [], None, [Problem(str(folder), None, "no such folder of framework files")]
    paths = sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"})
    if not paths:
        problems.append(Problem(str(folder), None, "the folder has no framework files (*.yaml)"))
    for path in paths:
        label = str(path)
        data, lines, read_problems = _read_yaml(path, label)
        if read_problems:
            problems += read_problems
            continue
        model = GlossaryFile if path.name == GLOSSARY_FILE else FrameworkFile
        if not isinstance(data, dict):
            problems.append(Problem(label, 1, "expected a mapping at the top of the file"))
            continue
        try:
            parsed = model.model_validate(data)
        except ValidationError as exc:
            problems += _pydantic_problems(exc, label, lines)
            continue
        if isinstance(parsed, GlossaryFile):
            glossary = parsed
        else:
            files.append((label, parsed, lines))
    problems += _cross_checks(files)
    return files, glossary, problems


def _cross_checks(files: list[tuple[str, FrameworkFile, dict]]) -> list[Problem]:
    """Checks that span files: unique document ids, time rules naming known roles and levels."""
    problems: list[Problem] = []
    seen_docs: dict[str, str] = {}
    levels: dict[str, set[str]] = {}
    for _label, parsed, _ in files:
        for role in parsed.roles:
            levels.setdefault(role.code, set()).update(role.levels)
    for label, parsed, lines in files:
        doc_id = parsed.document.id
        if doc_id in seen_docs:
            problems.append(
                Problem(
                    label, lines.get(("document", "id")), f"document id {doc_id!r} is also used by {seen_docs[doc_id]}"
                )
            )
        seen_docs.setdefault(doc_id, label)
        for i, rule in enumerate(parsed.time_rules):
            line = lines.get(("time_rules", i))
            if rule.role not in levels:
                problems.append(Problem(label, line, f"time rule names role {rule.role!r}, which no file defines"))
                continue
            for lv in (rule.from_level, rule.to_level):
                if lv not in levels[rule.role]:
                    problems.append(
                        Problem(label, line, f"time rule names level {rule.role}{lv}, which no file declares")
                    )
    return problems


def validate_folder(folder: Path) -> list[Problem]:
    return read_folder(folder)[2]


def load_knowledge(folder: Path | None = None) -> Knowledge:
    """Load and index every framework file; raise FrameworkError listing every problem."""
    folder = Path(folder) if folder else DEFAULT_FRAMEWORK_DIR
    files, glossary, problems = read_folder(folder)
    if problems:
        raise FrameworkError(problems)
    knowledge = build_knowledge([parsed for _, parsed, _ in files], glossary)
    log.info("loaded %d framework documents from %s", len(files), folder)
    return knowledge
