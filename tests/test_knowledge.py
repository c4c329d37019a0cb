"""The framework data: every file validates, every quote is in its seed, problems are reported with file and line."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge.loader import DEFAULT_FRAMEWORK_DIR, FrameworkError, load_knowledge, validate_folder

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge()


def _norm(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("•", " ").replace("\u00a0", " ").replace("**", "")
    text = re.sub(r"-\s+", "-", text)  # a word hyphenated across a line break
    return re.sub(r"\s+", " ", text).strip().lower()


def test_the_shipped_files_validate():
    assert validate_folder(DEFAULT_FRAMEWORK_DIR) == []


def test_every_source_is_encoded(knowledge):
    assert set(knowledge.documents) == {"000", "001", "002", "003", "004"}
    assert {"SCO", "SW2", "SW3", "SW4", "KR9", "KR10", "PO3", "PCF"} <= set(knowledge.roles)
    for role in ("SCO", "SW2", "SW3", "SW4"):
        assert list(knowledge.roles[role].levels) == ["A", "B", "C"]
    assert sorted({c.number for c in knowledge.criteria if c.topic == "pcf_domain"}) == list(range(1, 10))
    assert {c.variant for c in knowledge.criteria if c.role == "SCO"} == {None, "Deaf services"}
    assert {c.group for c in knowledge.find(role="SW2", level="A", topic="experience")} >= {"Year 1", "Year 2"}
    for role in ("SW2", "SW3", "SW4"):
        for level in "ABC":
            assert knowledge.find(role=role, level=level, topic="evidence"), f"{role}{level} evidence"
    titles = {c.title for c in knowledge.guidance()}
    assert {"Stepping Up", "Acting Up", "Secondments"} <= titles


@pytest.mark.skipif(not SEEDS.exists(), reason="shared/seeds is not beside this checkout")
def test_every_item_is_quoted_from_its_seed(knowledge):
    seeds = {}
    for doc in knowledge.documents.values():
        seeds[doc.id] = _norm((SEEDS / doc.seed).read_text(encoding="utf-8"))
    missing = []
    for c in knowledge.criteria:
        text = _norm(c.text)
        if text not in seeds[c.source.document_id] and not _pieced_together(text, seeds[c.source.document_id]):
            missing.append((c.source.document_id, c.text[:80]))
    assert missing == []


def _pieced_together(text: str, seed: str) -> bool:
    """Items joined across interleaved table columns: the text must split into runs of at least three
    consecutive source words, in order of the text (a cell's lines are interleaved with its neighbours')."""
    words = text.split()
    i = 0
    while i < len(words):
        j = i + 1
        while j <= len(words) and " ".join(words[i:j]) in seed:
            j += 1
        run = j - 1 - i
        if run < min(3, len(words) - i):
            return False
        i = j - 1
    return True


@pytest.mark.skipif(not SEEDS.exists(), reason="shared/seeds is not beside this checkout")
@pytest.mark.parametrize("role,level,topic,phrase", [
    ("SCO", "A", "qualifications", "Minimum of 5 GCSE (grade 4-9)"),
    ("SW3", "B", "experience", "(Can the dates of performance clinics attended be added"),
    ("SW2", "A", "knowledge", "Equality Act 2020"),
    ("SW4", "C", "evidence", "Minimum of 24 months experience at level SW2B"),
    ("SW3", "C", "evidence", "AMPH"),
])
def test_source_wording_is_kept_with_a_note(knowledge, role, level, topic, phrase):
    items = [c for c in knowledge.find(role=role, level=level, topic=topic) if phrase in c.text]
    assert items, phrase
    if phrase not in ("Minimum of 5 GCSE (grade 4-9)",):
        assert any(c.note or c.section_note for c in items), f"{phrase!r} should carry a note"


def test_time_rules_match_the_sources(knowledge):
    rules = {(r.role, r.from_level, r.to_level, r.source.document_id): (r.min_months, r.max_months)
             for r in knowledge.time_rules}
    assert rules[("SW2", "A", "B", "003")] == (24, None)
    assert rules[("SW2", "B", "C", "003")] == (6, 12)
    assert rules[("SW3", "A", "B", "003")] == (12, None)
    assert rules[("SW3", "B", "C", "003")] == (18, None)
    assert rules[("SW3", "B", "C", "001")] == (12, None)
    assert rules[("SW4", "A", "B", "003")] == (12, None)
    assert rules[("SW4", "B", "C", "003")] == (24, None)
    assert not [r for r in knowledge.time_rules if r.role in ("SCO", "KR9", "KR10", "PO3")]


def test_glossary_spells_out_only_what_sources_spell_out(knowledge):
    assert knowledge.glossary_entry("AMHP").meaning == "Approved Mental Health Professional"
    assert knowledge.glossary_entry("DoLS").meaning == "Deprivation of Liberty Safeguards"
    for term in ("CFA", "PAMs"):
        assert knowledge.glossary_entry(term).meaning is None
    assert knowledge.glossary_entry("AMPH").term == "AMHP"


# -- validation reports every problem with file and line ------------------------------------------------------
@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "frameworks"
    shutil.copytree(DEFAULT_FRAMEWORK_DIR, target)
    return target


def test_problems_are_reported_with_file_and_line(folder):
    path = folder / "sw-career-framework.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    topic_line = next(i for i, line in enumerate(lines) if "topic: duties" in line)
    lines[topic_line] = lines[topic_line].replace("topic: duties", "topic: salary")
    level_line = next(i for i, line in enumerate(lines) if line.strip().endswith("level: B"))
    lines[level_line] = lines[level_line].replace("level: B", "level: D")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "broken.yaml").write_text("document: [unclosed\n", encoding="utf-8")
    problems = validate_folder(folder)
    where = {(Path(p.file).name, p.line) for p in problems}
    assert ("sw-career-framework.yaml", topic_line + 1) in where
    assert ("sw-career-framework.yaml", level_line + 1) in where
    assert any(Path(p.file).name == "broken.yaml" and "not valid YAML" in p.message for p in problems)
    with pytest.raises(FrameworkError):
        load_knowledge(folder)


def test_validate_command_exit_codes(folder):
    ok = subprocess.run([sys.executable, "-m", "bot", "validate", str(folder)], capture_output=True, text=True,
                        cwd=ROOT)
    assert ok.returncode == 0 and "OK" in ok.stdout
    (folder / "medway-sw-guide.yaml").write_text("document:\n  id: '003'\n  title: x\nroles: 7\n", encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "bot", "validate", str(folder)], capture_output=True, text=True,
                         cwd=ROOT)
    assert bad.returncode == 1
    assert "medway-sw-guide.yaml:4" in bad.stdout


def test_an_organisation_can_use_its_own_folder(folder, monkeypatch):
    for path in folder.glob("*.yaml"):
        if path.name not in ("sco-career-framework.yaml", "glossary.yaml"):
            path.unlink()
    monkeypatch.setenv("CAREERBOT_FRAMEWORK_DIR", str(folder))
    out = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", "what do I need for SW3B?"],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    assert '"not_in_framework"' in out.stdout or '"clarify"' in out.stdout
    out = subprocess.run([sys.executable, "-m", "bot", "ask", "SCO 4B knowledge"], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert "Knowledge" in out.stdout
