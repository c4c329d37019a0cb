"""Level codes as people type them: "SW3B", "sw 3 b", "SCO-4B", "senior social worker level c", "NQSW"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

LEVEL_WORDS = {
    "developing": "A",
    "practising": "B",
    "practicing": "B",
    "practising level": "B",
    "accomplished": "C",
}

# Role names people type, mapped to the role code they most often mean. Titles that several
# documents share (e.g. "senior social worker") are resolved further in the question parser.
ROLE_NAMES: dict[str, str] = {
    "social care officer": "SCO",
    "social care officers": "SCO",
    "sco": "SCO",
    "scos": "SCO",
    "social worker": "SW2",
    "social workers": "SW2",
    "sws": "SW2",
    "newly qualified social worker": "SW2",
    "newly qualified": "SW2",
    "nqsw": "SW2",
    "asye": "SW2",
    "senior social worker": "SW3",
    "senior social workers": "SW3",
    "senior": "SW3",
    "seniors": "SW3",
    "ssw": "SW3",
    "snr social worker": "SW3",
    "snr sw": "SW3",
    "senior sw": "SW3",
    "snr": "SW3",
    "team manager": "SW4",
    "team managers": "SW4",
    "team mgr": "SW4",
    "team mgrs": "SW4",
    "team mngr": "SW4",
    "tm": "SW4",
    "tms": "SW4",
    "manager": "SW4",
    "managers": "SW4",
    "pcf": "PCF",
    "professional capabilities framework": "PCF",
    "professional capability framework": "PCF",
}

_CODE = re.compile(
    r"""
    (?<![a-z0-9])
    (?:
        (?P<sw>sw|social\s*worker)\s*[-_.]?\s*(?P<swn>\d{1,2})(?:\s*[-_./]?\s*(?:level\s*)?(?P<swl>[a-z])(?![a-z]))?
      | (?P<sco>sco|social\s+care\s+officer)s?\s*[-_.]?\s*(?:range\s*)?(?:level\s*)?(?P<scon>4)?\s*[-_.]?\s*
        (?P<scol>[a-d])(?![a-z])
      | (?P<kr>kr)\s*[-_.]?\s*(?P<krn>\d{1,2})(?![0-9])
      | (?P<po>po)\s*[-_.]?\s*(?P<pon>\d)(?![0-9])
    )
    """,
    re.VERBOSE,
)
_LEVEL_ALONE = re.compile(r"(?<![a-z0-9])(?:level|lvl|grade)\s*[-_.]?\s*(?:4\s*)?(?P<l>[a-z])(?![a-z])")
# Applied to the text as typed: a bare capital letter after "to"/"for" ("before I can go to B").
_LEVEL_AFTER_TO = re.compile(
    r"(?i:\bto|\bfor|\breach|\bget|\bgo\s+(?:for|to)|\bmove\s+(?:up\s+)?to)\s+(?P<l>[ABCD])(?![A-Za-z0-9'])"
)


@dataclass(frozen=True)
class LevelMention:
    """A role and maybe a level found in text, with where it was (to order 'from' and 'to')."""

    role: str  # e.g. "SW2", "SCO", "KR10", or an unknown code such as "SW5"
    level: str | None  # "A".."D" as typed (D is never valid; it is reported, not dropped)
    start: int
    typed: str

    @property
    def code(self) -> str:
        return f"{self.role}{self.level or ''}"


def normalise_text(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", " ", text).strip()


def find_codes(text: str) -> list[LevelMention]:
    """Explicit codes: SW3B, sw 3 b, SW3-B, SCO 4B, SCO-4B, KR10, PO3 (text must be lower case)."""
    found: list[LevelMention] = []
    for m in _CODE.finditer(text):
        if m.group("sw"):
            level = (m.group("swl") or "").upper() or None
            # "sw2 a" is a code, but "sw2 and" or "sw3 I" is not: accept only letters that look like levels.
            if level and level not in "ABCDE":
                level = None
            found.append(LevelMention(f"SW{int(m.group('swn'))}", level, m.start(), m.group(0)))
        elif m.group("sco"):
            # "sco a" / "sco 4b" / "social care officer level c"
            found.append(LevelMention("SCO", m.group("scol").upper(), m.start(), m.group(0)))
        elif m.group("kr"):
            found.append(LevelMention(f"KR{int(m.group('krn'))}", None, m.start(), m.group(0)))
        elif m.group("po"):
            found.append(LevelMention(f"PO{int(m.group('pon'))}", None, m.start(), m.group(0)))
    return found


_ROLE_CHOICES = sorted(ROLE_NAMES, key=len, reverse=True)


def find_role_names(text: str) -> list[tuple[str, int, str]]:
    """Role names in words, tolerating typos ("senoir social worker"): (role, position, matched)."""
    hits: list[tuple[str, int, str]] = []
    taken: list[tuple[int, int]] = []
    # Typo'd multi-word names first ("senoir social worker"), so that the shorter exact
    # "social worker" inside them does not win.
    for role, start, end, name in _fuzzy_names(text):
        taken.append((start, end))
        hits.append((role, start, name))
    for m in _ROLE_PATTERN.finditer(text):
        span = (m.start(), m.end())
        if any(a < span[1] and span[0] < b for a, b in taken):
            continue
        if m.group(0) in ("manager", "managers") and _SOMEONES_MANAGER.search(text, 0, m.start()):
            continue  # "my manager says I'm not ready": the person's own line manager, not the Team Manager role
        if _SOMEONES_MANAGER.search(text, 0, m.start()) and _SAYS.match(text, m.end()):
            continue  # "my TM says I need…", "my senior told me…": someone's words, not a role asked about
        taken.append(span)
        hits.append((ROLE_NAMES[m.group(0)], m.start(), m.group(0)))
    for m in _SW_ALONE.finditer(text):  # "from SCO to SW", "as an agency SW": the role, where no code follows
        if not any(a <= m.start(1) < b for a, b in taken):
            hits.append(("SW2", m.start(1), "sw"))
    return sorted(hits, key=lambda h: h[1])


_SW_ALONE = re.compile(r"\b(?:to|into|an?|as|agency|become)\s+(sw)\s*(?=[?.!,;]|$|\s+(?:and|or|but|so|role|post|job|"
                       r"level|can|what|how|do|does)\b)")
_SOMEONES_MANAGER = re.compile(r"\b(?:my|our|your|his|her|their|line|operations|service|area)\s+$")
_SAYS = re.compile(r"\s+(?:has\s+|have\s+|keeps\s+|is\s+|was\s+)?(?:says?|said|saying|told|tells|thinks?|reckons?|"
                   r"wants?|mentioned|suggested|asked|insists?|insisted|advised)\b")

# Longest names first, so "senior social worker" wins over "social worker" at the same place.
_ROLE_PATTERN = re.compile("|".join(rf"(?<![a-z]){re.escape(n)}(?![a-z])" for n in _ROLE_CHOICES))


def _fuzzy_names(text: str) -> list[tuple[str, int, int, str]]:
    """Multi-word role names typed with a typo: (role, start, end, name). Exact spellings are left alone."""
    words = list(re.finditer(r"[a-z']+", text))
    found: list[tuple[str, int, int, str]] = []
    for size in (3, 2):
        names = [n for n in _ROLE_CHOICES if n.count(" ") == size - 1]
        for i in range(len(words) - size + 1):
            start, end = words[i].start(), words[i + size - 1].end()
            if any(a < end and start < b for _, a, b, _ in found):
                continue
            window = text[start:end]
            if window in ROLE_NAMES:
                continue
            match = process.extractOne(window, names, scorer=fuzz.ratio, score_cutoff=88)
            # the first word must be a typo of the name's own: "and social worker" is not "snr social worker"
            if match and fuzz.ratio(words[i].group(0), match[0].split()[0]) >= 60:
                found.append((ROLE_NAMES[match[0]], start, end, match[0]))
    return found


def find_level_words(text: str) -> list[tuple[str, int]]:
    """Level letters given as words or as 'level c': (letter, position)."""
    out: list[tuple[str, int]] = []
    for word, letter in LEVEL_WORDS.items():
        for m in re.finditer(rf"\b{word}\b", text):
            out.append((letter, m.start()))
    for m in _LEVEL_ALONE.finditer(text):
        letter = m.group("l").upper()
        if letter in "ABCD":
            out.append((letter, m.start()))
    return sorted(set(out), key=lambda x: x[1])


# "what I need to do to get to c": a small b or c after a verb of moving up is a level too ("a" is not: an article)
_SMALL_LEVEL_AFTER_MOVE = re.compile(
    r"(?i:\bget\s+to|\bgo\s+(?:up\s+)?to|\bmove\s+(?:up\s+)?to|\bprogress\s+to|\breach|\bstep\s+up\s+to)\s+"
    r"(?P<l>[bc])(?![A-Za-z0-9'])"
    # "what do i need for c?": a small b or c ending the question after "for"
    r"|(?i:\bneed\s+for|\bask\s+for|\brequired\s+for|\bneeded\s+for)\s+(?:level\s+)?(?P<l2>[bc])\s*[?.!]*\s*$"
    # "how long before c", "can I apply for c now?", "put her forward for c", "before going to c"
    r"|(?i:\bbefore(?:\s+(?:going|moving|getting)\s+(?:up\s+)?to|\s+(?:i|you|we|they|he|she)\s+(?:can\s+)?"
    r"(?:go|move|get|apply)\s+(?:up\s+)?(?:to|for))?|\bapply(?:ing)?\s+for|\bgo(?:ing)?\s+for|\bforward\s+for|"
    r"\bgoing\s+(?:up\s+)?to|\bup\s+to)\s+(?:level\s+)?(?P<l3>[bc])(?![A-Za-z0-9'])")


def level_after_to(typed: str) -> list[tuple[str, int]]:
    """Bare capital letters after 'to'/'for' in the text as typed ('before I can go to B'), and a small b or c
    after a verb of moving up ('to get to c')."""
    found = [(m.group("l"), m.start("l")) for m in _LEVEL_AFTER_TO.finditer(typed)]
    for m in _SMALL_LEVEL_AFTER_MOVE.finditer(typed):
        group = next(g for g in ("l", "l2", "l3") if m.group(g))
        found.append((m.group(group).upper(), m.start(group)))
    return found
