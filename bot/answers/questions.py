"""Understanding a question: which role and level, which topic, and what kind of answer is wanted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.answers.levels import find_codes, find_level_words, find_role_names, level_after_to
from bot.dates import COUNT

# Topic keywords, matched on word starts in the lower-cased question. Order matters where a
# question names two topics: the first listed wins for the headline topic.
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "time_in_level": (
        "how long",
        "how many months",
        "how many years",
        "how soon",
        "time in level",
        "time at level",
        "time requirement",
        "time required",
        "time needed",
        "timeframe",
        "time frame",
        "timescale",
        "minimum time",
        "minimum period",
        "months at",
        "months in",
        "years at",
        "when can i",
        "months enough",
        "years enough",
        "year enough",
        "long enough",
        "when could i",
        "when will i",
        "when am i",
        "eligible",
        "eligibility",
        "time in post",
        "wait before",
        "waiting time",
        "length of time",
        "how much time",
        "can i go for",
        "can i apply",
        "can i move up",
        "can i progress",
        "am i ready",
        "ready to go",
        "ready to apply",
        "for a year",
        "for two years",
        "for 2 years",
        "for a couple of years",
        "for 6 months",
        "for six months",
        "for 12 months",
        "for 18 months",
        "long til",
        "long until",
        "hw long",
        "how lng",
        "does it take",
        "quickest route",
        "quickest way",
        "fastest route",
        "fastest way",
        "will it take",
        "would it take",
        "should it take",
        "it took",
    ),
    "evidence": (
        "evidence",
        "portfolio",
        "prove ",
        "proof",
        "demonstrate that",
        "show that i",
        "documents do i",
        "what to bring",
        "submit",
        "need to show",
        "to show for",
        "have to show",
        "show for",
        "need to provide",
        "to provide",
        "should i provide",
        "to produce",
        "bring to",
        "case example",
        "case stud",
    ),
    "person_spec": (
        "person spec",
        "person specification",
        "personal specification",
        "job spec",
        "essential criteria",
        "essential requirements",
    ),
    "overview": (
        "report to",
        "reports to",
        "reporting to",
        "responsible to",
        "line manager",
        "who manages",
        "directorate",
        "which team",
        "which unit",
        "job title",
    ),
    "safeguarding": ("safeguard",),
    "qualifications": (
        "qualification",
        "degree",
        "training do i need",
        "training is needed",
        "training is required",
        "training needed",
        "training required",
        "what training",
        "certificate",
        "registration",
        "registered",
        "diploma",
        "gcse",
        "quals",
        "training required",
        "need to hold",
        "masters",
        "master's",
        "msc",
        "phd",
        "doctorate",
    ),
    "knowledge": ("knowledge", "know about", "need to know", "understanding of", "legislation", "laws"),
    "experience": ("experience", "exp ", "post qualifying", "pqe", "years of practice"),
    "skills": ("skill", "abilities", "ability", "able to", "competent"),
    "duties": (
        "duties",
        "duty",
        "day to day",
        "day-to-day",
        "responsibilit",
        "expected to do",
        "what do they do",
        "job description",
        "role involve",
        "what is involved",
        "do all day",
        "main tasks",
        "tasks",
        "purpose of the job",
        "job purpose",
        "accountabilit",
        "purpose of the",
        "purpose of a",
        "main purpose",
    ),
    "values": ("values", "behaviours", "behaviors"),
    "competencies": ("competenc",),
    "special_conditions": ("special condition", "conditions of the post"),
    "development": (
        "develop myself",
        "development route",
        "how can i develop",
        "how do i develop",
        "stepping up",
        "step up",
        "acting up",
        "act up",
        "secondment",
        "shadow",
        "on the job",
        "learning from others",
        "formal learning",
        "training opportunit",
        "career development",
        "progress my career",
        "how do i progress",
        "how can i progress",
        "transferable skills",
        "development activit",
        "development opportunit",
        "development options",
        "ways to develop",
        "learning opportunit",
    ),
    "guidance": (
        "purpose of the framework",
        "how to use the framework",
        "how do i use the framework",
        "what is the framework",
        "about the framework",
        "how does the framework work",
        "what is this framework",
        "use this framework",
        "professions",
    ),
    "grade": ("grade", "what band", "pay band", "scp", "spinal"),
}

OUT_OF_SCOPE: dict[str, tuple[str, ...]] = {
    # being under a performance procedure (a PIP, capability, disciplinary): the documents describe levels, not
    # those procedures; first, so "I'm on a PIP, who decides?" is this and not "process". Never "PIP" alone (a
    # benefit people are helped to claim), "disciplinary issues" (a Team Manager's duty) or "multi-disciplinary"
    "performance": (
        "performance improvement plan", "personal improvement plan", "on an improvement plan",
        *(f"{on} pip{end}" for on in ("on a", "on", "on my") for end in " ,.?!"), "on a performance plan",
        "capability procedure", "capability process", "capability hearing", "capability meeting", "capability plan",
        "formal capability", "on capability", "under capability", "a disciplinary", "disciplinary hearing",
        "disciplinary process", "disciplinary procedure", "disciplinary action", "disciplinary investigation",
        "under disciplinary", "written warning", "final warning", "formal warning", "concerns about my performance",
        "concerns over my performance", "my performance is being", "i'm underperforming", "i am underperforming",
    ),
    "pay": (
        "salary",
        "salaries",
        "hourly rate",
        "rate of pay",
        "pay rate",
        "pay ",
        "pay?",
        "paid",
        "wage",
        "£",
        "money",
        "earn",
        "pay rise",
        "payrise",
        "increment",
        "how much do",
        "how much does",
        "how much will",
    ),
    "leave": (
        "annual leave",
        "holiday entitlement",
        "leave entitlement",
        "days off",
        "holidays",
        "holiday ",
        "holiday?",
        "days leave",
        "days of leave",
        "sick leave",
        "sick pay",
        "maternity",
        "paternity",
        "time off",
        "off sick",
        "sickness",
        "career break",
        "adoption leave",
        "parental leave",
    ),
    "hours": (
        "hours a week",
        "hours per week",
        "hours do",
        "hours does",
        "working hours",
        "how many hours",
        "part time",
        "part-time",
        "full time",
        "full-time",
        "flexible working",
        "overtime",
        "shift",
        "the hours",
        "hours for",
        "hours of work",
        "what hours",
        "hours are",
        "hours is",
        "hours will",
    ),
    "pension": ("pension",),
    "working_place": ("hybrid", "home working", "work from home", "working from home", "wfh", "remote"),
    "allowances": ("mileage", "car allowance", "allowance", "expenses", "lease car"),
    "contract": ("notice period", "probation", "contract", "redundan", "agency worker", "agency staff", "agency sw",
                 "agency social worker", "locum", "bank staff", "zero hours", "temp worker"),
    # changing team, post or employer: what happens to one's level or time is not in the documents
    "moves": ("different team", "change team", "changing team", "change teams", "move team", "moving team",
              "move to another team", "moving to another team", "join another team", "move to a new team",
              "moving to a new team", "join a new team", "transfer to another team", "move to another council",
              "move council", "change employer",
              "new employer", "another council", "leave and come back", "come back to", "rejoin", "re-join",
              "what level am i here", "what level would i be here", "what level would i be at", "level here",
              "from another council", "from another authority", "another local authority"),
    "caseload_size": ("how many cases", "caseload size", "number of cases", "caseload numbers", "how big"),
    # who decides, how to apply, what if it is refused: the documents describe levels, not the procedure
    "process": (
        "sign off", "signs off", "signed off", "sign-off", "signoff", "who approves", "who decides",
        "who makes the decision", "who agrees", "approve my", "approves my", "approval", "appeal", "disagree",
        "turned down", "rejected", "refused", "how do i apply", "how to apply", "how can i apply",
        "application process", "who do i apply", "who do i send", "who do i give", "who assesses",
        "who will assess", "who checks my evidence", "where do i send", "where do i submit", "how do i submit",
        "not ready", "don't meet", "do not meet", "didn't meet", "did not meet", "don't pass", "fail", "unfair",
        "can i complain", "make a complaint", "raise a complaint", "complain about", "want to complain",
        "i complain", "grievance", "held back", "get promoted", "promote me", "how do i get a promotion",
        "what happens if i don't", "what happens if i do not", "what if i don't",
        "says no", "say no", "said no", "saying no", "won't support", "will not support", "doesn't support",
        "does not support", "who do i talk to", "who should i talk to", "who can i talk to", "who do i speak to",
        "who should i speak to", "who can i speak to", "who do i ask", "who should i ask", "who can i ask",
        "who do i contact", "who should i contact", "who to contact", "progression panel", "panel for progression",
        "panel to progress", "is there a panel", "go to panel", "go to a panel", "go before a panel",
        "put me forward", "putting me forward", "put forward for", "won't let me", "will not let me",
        "automatic", "automatically", "is it guaranteed", "guaranteed progression", "do i need to apply",
        "do i have to apply",
    ),
    # how often supervision happens, how long it lasts, who gives it: the documents use the framework in
    # supervision, they do not arrange it
    "supervision": (
        "how often should i have supervision", "how often should i get supervision", "how often do i get supervision",
        "how often do i have supervision", "how often is supervision", "how often should supervision",
        "how often does supervision", "how often are supervision", "how often will i have supervision",
        "how frequent is supervision", "how frequently should i have supervision", "supervision frequency",
        "frequency of supervision", "how long is supervision",
        "how long should supervision", "supervision policy", "supervision agreement", "supervision contract",
        "missed supervision", "not had supervision", "haven't had supervision",
        "cancelled supervision",
    ),
}

# The PCF domains' names that mean nothing else ("tell me about professionalism", "critical reflection"); not
# "knowledge" or "skills", which every level of every role also uses
_PCF_DOMAIN_NAMES = re.compile(
    r"\bprofessionalism\b|\bvalues (?:and|&) ethics\b|\bdiversity (?:and|&) equality\b|\beconomic wellbeing\b|"
    r"\brights,? justice\b|\bcritical reflection\b|\bskills (?:and|&) interventions\b|"
    r"\bcontexts (?:and|&) organisations\b|\bprofessional leadership\b")

LADDER = ("SW2", "SW3", "SW4")  # the Social Worker framework's roles, in order (document 001's table)
ONE_LADDER = frozenset(LADDER)
MAPPING_WORDS = (
    "equal",
    "equivalent",
    "same as",
    "same grade as",
    "same level as",
    "same role as",
    "the same level",
    "map to",
    "maps to",
    "mapped",
    "correspond",
    "compare to",
    "comparable",
    "match",
    " vs ",
    "versus",
    "translate",
)

COMPARISON_WORDS = (
    "difference",
    "diff ",
    "differ",
    "compare",
    "comparison",
    " vs ",
    "versus",
    "what changes between",
    "what's new in",
    "what is added",
    "added at",
    "adds",
    "add over",
    "add on top",
    "add to",
    "extra at",
    "more than at",
    "on top of",
    "step up from",
)
NEXT_WORDS = (
    "what comes after",
    "what's after",
    "what is after",
    "next level",
    "next step",
    "next grade",
    "what's next",
    "whats next",
    "what is next",
    "next for me",
    "where do i go from",
    "after i reach",
    "where next",
    "what next",
    "go next",
    "progress from",
    "move up from",
    "promotion from",
    "next role",
    "level up",
    "what now",
    "where now",
    "what do i do now",
    "where do i go now",
    "where can i go from",
    "where can i go next",
)
# Covering for someone (their leave, their duties, their post): the guide's Stepping Up and Acting Up
_COVERING = re.compile(
    r"\b(?:covering|covered for|cover for|cover (?:a|my|the|her|his|their) (?:colleague|manager|team manager|senior)|"
    r"stand(?:ing)? in for|stood in for|deputi[sz](?:ed|ing)|deputi[sz]e for)\b[^.?!]{0,60}\b(?:manager'?s?|duties|"
    r"leave|role|post|absence|off sick|job|grade|senior|colleague'?s?|caseload|work)\b"
    r"|\b(?:acting|stepping) up\b[^.?!]{0,60}\bcount")
_FIRST_PERSON = re.compile(r"\b(?:i|i'?ve|i'?m|im|me|my)\b")
_NEWLY_QUALIFIED = re.compile(r"\bnqsw\b|\bnew(?:ly)? qualified\b")
# "I've just qualified": newly qualified too, unless it is another qualification ("just qualified as an AMHP")
_JUST_QUALIFIED = re.compile(r"\b(?:just|recently|only just) qualified\b"
                             r"(?!\s+(?:as|in|for)\s+(?:an?\s+)?(?!social work))")
_AND_LETTER = re.compile(r"\s*(?:,|and|or|vs\.?|versus|&|/|compared (?:to|with))\s*(?:level\s+)?(4\s?)?([abcABC])"
                         r"\b(?!')"
                         r"(?=\s*$|\s*[?.!,;:)]|\s+(?:and|or|vs|level|for|in|at|please)\b)")
# "I'm SW2B, how do I progress?", "what do I need to progress further?": the next step from the level named
_HOW_TO_PROGRESS = re.compile(r"\b(?:how (?:do|can|could|would|should|might) i|what do i need to|what's needed to|"
                              r"what is needed to) (?:progress|move up|get promoted|go up)\b"
                              r"(?!\s+(?:to|into|onto|my|the|this|that|with|on|your|our|an?)\b)|"
                              r"\bprogress (?:further|from here)\b|\bfurther progression\b")
# Time in a team or with an employer, said of oneself: "I've been in the team for 2 years", "I've worked here 18
# months", "with the council since 2022", "I joined the team in March 2024". It is neither time at a level nor
# post-qualifying experience. A level or role named in the same clause ("I've been SW2B in the team for 2 years",
# "a senior here for a year") makes it time at that level or in that role, as before.
_PLACE = (r"\bhere\b|\b(?P<prep>in|with|at|for|within|on|into|joined)\s+(?:the\s+|this\s+|my\s+|our\s+|that\s+)?"
          r"(?P<place>team|council|local authority|authority|la|service|department|dept|organisation|organization|"
          r"directorate|medway|kent)\b(?!['’]s)")
_I_SAID = (r"\b(?:i'?ve been|i have been|i'?ve worked|i have worked|i worked|i'?ve had|i have had|i joined|i started|"
           r"i began|i came|i moved|i'?ve|i have)\b")
_STAY = (r"(?:\bfor\s+)?(?:about\s+|around\s+|nearly\s+|almost\s+|over\s+|just over\s+)?\b(?:\d{1,3}|an?|one|two|"
         r"three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple of|a few|few|several)\s+(?:years?|yrs?|"
         r"months?)\b|\bsince\s+\w+|\bin\s+(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?"
         r"(?:19|20)\d{2}\b|\bin\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\blast\s+year\b")
_TIME_IN_PLACE = re.compile(rf"{_I_SAID}(?P<clause>[^.?!,;]{{0,60}})", re.I)


def time_in_place(text: str) -> str | None:
    """Where a time the writer states of themselves was spent, when it is a team or an employer rather than a
    level: "in the team", "here", "with the council". None when no such time is stated, or the clause names a
    level or role ("I've been SW2B in the team for 2 years" is time at SW2B)."""
    for m in _TIME_IN_PLACE.finditer(text):
        clause = m.group(0).lower()
        place = re.search(_PLACE, clause)
        if not place or not re.search(_STAY, clause) or find_codes(clause) or find_role_names(clause):
            continue
        if not place.group("place"):
            return "here"
        prep = {"joined": "in", "into": "in", "within": "in", "for": "with"}.get(place.group("prep"),
                                                                               place.group("prep"))
        noun = place.group("place")
        return f"{prep} {'the ' + noun if noun not in ('medway', 'kent') else noun.title()}"
    return None


GLOSSARY_WORDS = (
    "stand for",
    "stands for",
    "what does",
    "what is",
    "what's",
    "meaning",
    "mean",
    "means",
    "define",
    "definition",
    "acronym",
    "abbreviation",
    "short for",
    "what are",
)
OVERVIEW_WORDS = (
    "what do i need",
    "requirements",
    "reqs",
    "criteria",
    "what is needed",
    "what's needed",
    "what is required",
    "what's required",
    "expected of",
    "expected at",
    "expectations",
    "tell me about",
    "overview",
    "summary",
    "what does it take",
    "need for",
    "needed for",
    "required for",
    "requirements for",
    "everything",
)


@dataclass
class Query:
    text: str  # as typed (whitespace folded)
    lower: str
    roles: list[str] = field(default_factory=list)  # distinct role codes mentioned, in order
    levels: list[tuple[str, str, int]] = field(default_factory=list)  # (role, level, position), in order
    mentions: list[tuple[str, int]] = field(default_factory=list)  # every role named (code or words), position
    bare_levels: list[tuple[str, int]] = field(default_factory=list)  # levels with no role beside them
    unknown_codes: list[str] = field(default_factory=list)  # SW5, SW2D, SCO D ...
    topics: list[str] = field(default_factory=list)
    out_of_scope: str | None = None
    mapping: bool = False
    time_in_place: str | None = None  # "I've been in the team for 2 years": "in the team", not time at a level
    covering: bool = False  # "I've been covering my manager's duties/sick leave": what the guide says of cover
    comparison: bool = False
    next_step: bool = False
    overview: bool = False
    glossary_hint: bool = False
    variant: str | None = None  # "Deaf services"
    year: int | None = None  # SW2A Year 1 / Year 2
    inferred_level: bool = False  # the level came from "NQSW"/"ASYE", not a typed code
    pcf_domain: int | None = None
    childrens: bool = False
    kent: bool = False
    medway: bool = False

    @property
    def topic(self) -> str | None:
        return self.topics[0] if self.topics else None


KNOWN_LEVELS = {"SW2": "ABC", "SW3": "ABC", "SW4": "ABC", "SCO": "ABC"}
KNOWN_UNLEVELLED = {"KR9", "KR10", "PO3"}


_WORD_LISTS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _has(lower: str, words: tuple[str, ...]) -> bool:
    """Any of the phrases, each starting at a word boundary (phrases with spaces at their ends match as given).

    One compiled pattern per list: this runs for every list on every message.
    """
    pattern = _WORD_LISTS.get(words)
    if pattern is None:
        alternatives = [re.escape(w) if w != w.strip() else rf"(?<![a-z]){re.escape(w)}" for w in words]
        pattern = _WORD_LISTS[words] = re.compile("|".join(alternatives))
    return pattern.search(f" {lower} ") is not None


# Words that carry the question's meaning, for typo correction ("evidnce", "knowlege", "requirments").
VOCABULARY = (
    "evidence",
    "knowledge",
    "qualification",
    "qualifications",
    "experience",
    "skills",
    "safeguarding",
    "requirements",
    "required",
    "duties",
    "responsibilities",
    "progression",
    "practising",
    "developing",
    "accomplished",
    "senior",
    "social",
    "worker",
    "manager",
    "officer",
    "supervision",
    "eligible",
    "specification",
    "competencies",
    "difference",
    "between",
    "minimum",
    "months",
    "salary",
)
_VOCAB_SET = frozenset(VOCABULARY)
# Real words a fuzzy match would "correct" into a different one ("profession" is not "progression",
# "different" is not "difference", "supervisor" is not "supervision", "who manages" is not "who manager")
_REAL_WORDS = frozenset("""different differently differs differing supervisor supervisors supervising supervise
    supervised profession professions managed manages managing requires""".split())


def correct_typos(lower: str) -> str:
    """Replace misspelt key words with the word meant; everything else is left exactly as typed."""

    def fix(m: re.Match) -> str:
        word = m.group(0)
        if len(word) < 5 or word in _VOCAB_SET or word in _REAL_WORDS or any(
                word.startswith(v) or v.startswith(word) for v in VOCABULARY):
            return word
        hit = process.extractOne(word, VOCABULARY, scorer=fuzz.ratio, score_cutoff=84)
        return hit[0] if hit else word

    return re.sub(r"[a-z]+", fix, lower)


# Words typed in a hurry, in full: contractions without their apostrophe ("whats", "dont") and text-speak ("b4",
# "pls"). Only words that are nothing else ("its", "ill", "were", "wont" and "lets" are real words, and stay).
_HURRIED = {
    "whats": "what's", "wats": "what's", "wat": "what", "wot": "what", "whos": "who's", "wheres": "where's",
    "whens": "when's", "hows": "how's", "thats": "that's", "theres": "there's", "dont": "don't", "cant": "can't",
    "didnt": "didn't", "doesnt": "doesn't", "isnt": "isn't", "arent": "aren't", "wasnt": "wasn't",
    "havent": "haven't", "hasnt": "hasn't", "shouldnt": "shouldn't", "wouldnt": "wouldn't", "couldnt": "couldn't",
    "ive": "i've", "youre": "you're", "pls": "please", "plz": "please", "u": "you", "ur": "your",
    "abt": "about", "wanna": "want to", "gonna": "going to",
}
# "b4 i can", "b4 the panel": before, only before such a word ("Band B4" is a grade); "cos" is left alone (a
# Certificate of Sponsorship)
_B4 = re.compile(r"\bb4(?=\s+(?:i|you|we|my|the|going|getting|applying|moving|that|then|next|supervision)\b)",
                 re.I)
_HURRIED_WORD = re.compile(r"(?<![\w'’])(" + "|".join(sorted(_HURRIED, key=len, reverse=True)) + r")(?![\w'’])",
                           re.I)


# "go 4 sw3", "ready 4 senior": "for" after a verb of moving on (never "SCO 4", "SW 4", "level 4")
_FOUR_AS_FOR = re.compile(r"\b(go|going|apply|applying|ready|eligible|need|needed|evidence|wait|waiting|up|time)\s+4"
                          r"(?=\s+(?!(?:years?|yrs?|months?|weeks?|days?|hours?|more|or|to|of)\b)[a-z])", re.I)


_MAT_PAT = re.compile(r"\b(mat|pat)\s+leave\b", re.I)  # "mat leave": maternity leave ("a mat" is a word alone)


def in_full(text: str) -> str:
    """Text with words typed in a hurry written in full ("whats a BIA" -> "what's a BIA"); nothing else changes."""
    if _HURRIED_WORD.search(text):
        text = _HURRIED_WORD.sub(lambda m: _HURRIED[m.group(1).lower()], text)
    if "b4" in text.lower():
        text = _B4.sub("before", text)
    if "leave" in text.lower():
        text = _MAT_PAT.sub(lambda m: ("maternity" if m.group(1).lower() == "mat" else "paternity") + " leave", text)
    return _FOUR_AS_FOR.sub(r"\1 for", text) if " 4 " in text else text


_SCO_LEVEL_ALONE = re.compile(r"(?<![\w/.-])(?<!sco )(?<!sw )(?<!kr )(?<!po )4(?:([abc])\b|"
                              r" ([abc])(?=\s*(?:[?.!,]|$)))")


# "what do I need for a 2c?", "minimum time at 3a before 3b", "level 3b": a 2 or 3 and a level letter, with no role,
# is SW2 or SW3 (the framework's only levels numbered 2 and 3; the Social Care Officer's are 4A to 4C). Never a
# number and a letter apart ("2 b"), a time ("3a.m."), a part of something ("page 3a", "section 2b", "PCF 2")
_SW_LEVEL_ALONE = re.compile(r"(?<![\w/.£$#:-])(?:level\s+)?([23])(?:([abc])|(?<=level [23]) ([abc]))"
                             r"(?![\w%])(?!'(?!s\b))(?!\.\w)")
_NOT_A_LEVEL_BEFORE = re.compile(
    r"\b(?:page|pages|pg|p|pp|section|sections|sec|s|para|paragraph|appendix|annex|table|figure|fig|item|question|q|"
    r"point|part|step|room|flat|unit|form|box|line|row|column|col|chapter|ch|article|art|schedule|clause|rule|domain|"
    r"pcf|kr|po|sco|sw|year|yr|band|grade|no|number|ref|version|v|floor|option|stage|tier|key stage|ks|ward|"
    r"bed|bay|block|house|road|route|bus|platform|gate|junction|team|pod|module|group|cohort|class|lot|plot|"
    r"office|building|got an?|scored an?|get an?|achieved an?)\.?\s*(?:no\.?\s*)?$")
# "sw three b", "SW two": the role's number as a word, before a level letter or at the end
_SW_NUMBER_WORD = re.compile(r"\b(sw|social worker)\s*-?\s*(two|three|four)\b"
                             r"(?=\s*[-/]?\s*(?:[bc]\b(?!')|a\s*(?:$|[?.!,;:)])|"
                             r"a\s+(?:and|or|to|for|before|since|vs|level|requirements?|needs?|evidence|time)\b)|"
                             r"\s*(?:$|[?.!,;:)]))")
_ROLE_NUMBERS = {"two": 2, "three": 3, "four": 4}


# "senior b requirements", "team manager c evidence": after a role's name, a small b or c before what a level asks
_WHAT_OF_A_LEVEL = re.compile(r"\s+(?:requirements?|reqs|criteria|evidence|needs?|time|duties|skills|knowledge|"
                              r"experience|qualifications?|quals)\b", re.I)


# "ready for B?", "am I ready?" after a time at a level said in the same message ("been SW3A for 14 months", "since
# March 2025"); not "ready to learn", nor a question about what is needed ("what do I need to be ready for SW3B?")
_READY = re.compile(r"\bready\b(?!\s+to\s+(?!go\b|apply\b|move\b|progress\b|put\b))")
_STATED_TIME = re.compile(rf"\b(?:been|for|since)\s+(?:about\s+|around\s+|nearly\s+|almost\s+|over\s+|just over\s+)?"
                          rf"(?:{COUNT}\s+(?:months?|years?)\b|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
                          rf"\b|(?:19|20)\d{{2}}\b|last\s+(?:year|month)\b)")


def _sw_level_alone(lower: str) -> str:
    """'3b' -> 'sw3b' where it stands alone as a level (see _SW_LEVEL_ALONE)."""
    lower = _SW_NUMBER_WORD.sub(lambda m: f"{m.group(1)}{_ROLE_NUMBERS[m.group(2)]}", lower)

    def code(m: re.Match) -> str:
        if _NOT_A_LEVEL_BEFORE.search(lower, 0, m.start()):
            return m.group(0)
        return f"sw{m.group(1)}{m.group(2) or m.group(3)}"

    return _SW_LEVEL_ALONE.sub(code, lower)


def parse(text: str) -> Query:
    typed = in_full(re.sub(r"\s+", " ", text).strip())
    lower = correct_typos(typed.lower().replace("’", "'").replace("‘", "'"))
    if "4" in lower:  # "what do I need for 4B?": only the Social Care Officer's levels are 4A, 4B and 4C
        lower = _SCO_LEVEL_ALONE.sub(lambda m: f"sco 4{m.group(1) or m.group(2)}", lower)
    if re.search(r"[23]|\btwo\b|\bthree\b|\bfour\b", lower):
        lower = _sw_level_alone(lower)
    q = Query(text=typed, lower=lower)

    q.childrens = bool(re.search(r"\bchild|\bpo3\b|\bpo 3\b", lower))
    q.kent = "kent" in lower or bool(re.search(r"\bkr ?\d", lower))
    q.medway = "medway" in lower
    if re.search(r"\bdeaf|\bdeafened|\baudiology|\bhearing|\bbsl\b|sign language", lower):
        q.variant = "Deaf services"
    m = re.search(r"\b(?:year|yr) ?([12])\b|\b(first|second) year\b", lower)
    if m:
        q.year = int(m.group(1)) if m.group(1) else (1 if m.group(2) == "first" else 2)
    m = re.search(r"\bdomain\s*(\d{1,2})\b|\bpcf\s*(\d{1,2})\b", lower)
    if m:
        q.pcf_domain = int(m.group(1) or m.group(2))

    # Roles and levels ------------------------------------------------------------------------
    codes = find_codes(lower)
    spans = [(c.start, c.start + len(c.typed)) for c in codes]
    mentions: list[tuple[str, str | None, int]] = [(c.role, c.level, c.start) for c in codes]
    childrens_post = bool(re.search(r"\bchild", lower))
    role_names = find_role_names(lower)
    posts = {c.role for c in codes} & {"KR9", "KR10", "PO3"}
    for role, pos, name in role_names:
        if any(a <= pos < b for a, b in spans):
            continue
        if posts and role in ("SW2", "SW3"):
            continue  # "a Kent social worker on KR9": the post's own title, not Medway's Social Worker role
        if (role == "SW2" and name.lower().startswith("social worker") and any(c.role in ("SW3", "SW4") for c in codes)
                and re.search(r"\b(?:as|being) an? $", lower[:pos])):
            continue  # "I'm SW3C, how do I progress as a social worker?": the profession, not the SW2 role
        # "senior social worker" in a children's services question means the PO3 profile
        if childrens_post and role in ("SW3", "SW2"):
            role = "PO3"
        mentions.append((role, None, pos))
    if childrens_post and not any(r == "PO3" for r, _, _ in mentions) and re.search(r"senior|social work", lower):
        mentions.append(("PO3", None, 0))
    others = [r for r, _, _ in mentions if r not in ("SW2", "PCF")]
    if (_NEWLY_QUALIFIED.search(lower) or re.search(r"\basye\b", lower) and not others
            or _JUST_QUALIFIED.search(lower) and not any(lv for _r, lv, _p in mentions)) \
            and not any(lv for r, lv, _ in mentions if r == "SW2"):
        # "NQSW" means SW2A; so does "the ASYE", unless another post is asked about ("does KR9 require the ASYE?")
        pos = next((p for r, _, p in mentions if r == "SW2"), 0)
        mentions = [m for m in mentions if m[0] != "SW2"]
        mentions.append(("SW2", "A", pos))
        q.inferred_level = True
    mentions.sort(key=lambda m: m[2])
    q.mentions = [(r, p) for r, _lv, p in mentions]

    level_words = find_level_words(lower) + level_after_to(typed)
    for m in re.finditer(r"\bfrom\s+(?:level\s+)?([abcABC])\s+(?:to|into|up to)\s+(?:level\s+)?([abcABC])\b", typed):
        # "from A to B": both letters are levels, though "a" alone is usually an article
        level_words += [(m.group(1).upper(), m.start(1)), (m.group(2).upper(), m.start(2))]
    for m in re.finditer(r"\bwhat (?:does|would|do) (?:level )?([ABC])\b(?= (?:add|need|ask|require|involve))", typed):
        level_words.append((m.group(1), m.start(1)))  # "what does B add?": a capital letter alone is a level
    # "SW3B and C", "SCO level A vs B": a letter joined to a level just named is a level of the same role
    joined: set[int] = set()
    for end in [b for _a, b in spans] + [p + 1 for _l, p in level_words]:
        m = _AND_LETTER.match(typed, end)
        if m and m.group(1) and not re.search(r"sco", typed[max(0, end - 12):end], re.I):
            m = None  # "SCO 4B and 4C": the Social Care Officer table writes its levels with the 4
        if m and (m.group(2).isupper() or m.group(1) or re.match(r"\s*$|\s*[?.!,]", typed[m.end():])):
            level_words.append((m.group(2).upper(), m.start(2)))
            joined.add(m.start(2))
    level_words = sorted(set(level_words), key=lambda x: x[1])
    for _role, pos, name in role_names:
        m = re.compile(r"\s*[-:]?\s*(?:level\s+)?([abcdABCD])(?=\s*$|\s*[?.!,]|\s+[A-Za-z])").match(
            typed, pos + len(name)
        )
        if m and (m.group(1).isupper() or re.match(r"\s*$|\s*[?.!,]", typed[m.end() :])
                  or m.group(1) in "bc" and _WHAT_OF_A_LEVEL.match(typed, m.end())):
            level_words.append((m.group(1).upper(), m.start(1)))
    for role, level, pos in mentions:
        if role not in q.roles:
            q.roles.append(role)
        if role not in KNOWN_LEVELS and role not in KNOWN_UNLEVELLED and role != "PCF":
            q.unknown_codes.append(f"{role}{level or ''}")
            continue
        if level:
            if role in KNOWN_LEVELS and level not in KNOWN_LEVELS[role]:
                q.unknown_codes.append(f"{role}{level}")
            else:
                q.levels.append((role, level, pos))
    # Level words ("level c", "accomplished", "to B") that are not part of an explicit code.
    for letter, pos in level_words:
        if pos not in joined and any(p <= pos <= p + 12 and lv is not None for _, lv, p in mentions):
            continue
        q.bare_levels.append((letter, pos))
    if q.bare_levels:
        levelled_roles = [r for r in q.roles if r in KNOWN_LEVELS]
        if levelled_roles:
            role = levelled_roles[0] if len(levelled_roles) == 1 else None
            for letter, pos in q.bare_levels:
                target = role or _nearest_role(mentions, pos)
                if target is None:
                    continue
                if letter not in KNOWN_LEVELS.get(target, ""):
                    q.unknown_codes.append(f"{target}{letter}")
                elif (target, letter) not in [(r, lv) for r, lv, _ in q.levels]:
                    q.levels.append((target, letter, pos))
            q.levels.sort(key=lambda x: x[2])
            q.bare_levels = []

    # What is asked ---------------------------------------------------------------------------
    for topic, words in TOPIC_WORDS.items():
        if _has(lower, words):
            q.topics.append(topic)
    if "time_in_level" not in q.topics and codes and len(lower.split()) <= 4 and re.search(
            r"\b(?:time|months|years)\b", lower):
        q.topics.append("time_in_level")  # "sw3c time", "SW2B months?": the time in level, said briefly
    if "time_in_level" in q.topics and re.search(
            r"\bhow long (?:can|should|must|may|do|does|is|are) (?:it|they|them|the \w+|my \w+|each \w+|a \w+)"
            r"(?: \w+)? (?:be|run|go on)\b|\bhow many words\b|\bword (?:limit|count)\b", lower):
        # "how long can the written statements be?": a length in words, not a time in level
        q.topics.remove("time_in_level")
        if "evidence" not in q.topics:
            q.topics.insert(0, "evidence")
    if re.search(r"\bword (?:limit|count)\b|\bhow many words\b|\bmax(?:imum)? (?:of )?(?:\d+ )?words\b", lower):
        # "what is the word limit for the SW3C skills statement?": the evidence says how long statements are
        q.topics = ["evidence", *[t for t in q.topics if t not in ("evidence", "time_in_level")]]
    if "values" in q.topics and q.topics[0] == "evidence" and not re.search(r"\bevidence\b|\bportfolio\b", lower):
        # "what are the values I need to show?": the values, not the evidence sections ("need to show")
        q.topics.remove("evidence")
    if "competencies" in q.topics and any(
        t in q.topics for t in ("qualifications", "knowledge", "experience", "skills", "safeguarding")
    ):
        q.topics.remove("competencies")
    if (
        re.search(r"\bwhat (?:does|do|would|will) (?:an? |the )?[a-z0-9' ]{2,40}\b(?:do|doing)\b", lower)
        and "duties" not in q.topics
        # "what do I need to do to become a senior?" asks what is needed, not what the job does
        and not re.search(r"\bwhat (?:do|would|will) (?:i|we|you) (?:need|have|got) to do\b", lower)
    ):
        q.topics.append("duties")
    # "is it normal to take 3 years to get to SW2C?", "two years to become a senior": a time question
    if "time_in_level" not in q.topics and re.search(
        r"\b(?:years?|months?) to (?:get to|reach|become|progress to|move up to|be an?|make it to)\b|"
        r"\btak(?:e|es|ing|en|e me|es people) (?:\d+|an?|one|two|three|four|five|six|several|many)\s+"
        r"(?:years?|months?)\b",
        lower):
        q.topics.insert(0, "time_in_level")
    # "how long should my written statement be?" asks about a length, not a time
    if "time_in_level" in q.topics and re.search(
        r"\bhow long (?:should|is|are|can|must|does|do|will) (?:my |the |a |an |each |these |those )?"
        r"(?:written |personal |reflective )?(?:statements?|reflections?|essays?|pieces?|case stud|case examples?|"
        r"examples?|portfolios?|supervision|interviews?|applications?)", lower):
        q.topics.remove("time_in_level")
    # "how many years of post-qualifying experience" asks about experience, not time in level
    # so do "how many years qualified for SW4?", "how long do I need to be qualified for a senior?"
    if re.search(r"post[- ]?qualif|\bpqe\b|\byears?\s+(?:of\s+being\s+)?qualified\b|\byears? since qualifying\b|"
                 r"\bhow long (?:do|would|will|must|should) (?:i|you|we|people|someone) (?:need to |have to )?be "
                 r"qualified\b", lower) and "time_in_level" in q.topics:
        q.topics.remove("time_in_level")
        if "experience" in q.topics:
            q.topics.remove("experience")
        q.topics.insert(0, "experience")
    if q.pcf_domain is not None or re.search(r"\bpcf\b|capabilit|\bdomains?\b", lower) or (
        not q.roles and _PCF_DOMAIN_NAMES.search(lower)
    ):
        q.topics.insert(0, "pcf_domain") if "pcf_domain" not in q.topics else None
    for kind, words in OUT_OF_SCOPE.items():
        if _has(lower, words):
            q.out_of_scope = kind
            break
    q.time_in_place = time_in_place(lower)
    if _COVERING.search(lower) and _FIRST_PERSON.search(lower):
        q.covering, q.out_of_scope = True, None  # covering someone's leave is a development route, not leave
    if q.out_of_scope == "process" and q.levels and re.search(r"\bapply|\bsubmit|\bsend\b", lower):
        # "how do I apply for SW3A?": the evidence for that level says how (application, interview, samples)
        q.out_of_scope = None
        if "evidence" not in q.topics:
            q.topics.insert(0, "evidence")
    if q.out_of_scope == "contract" and q.levels and re.search(r"\bneeds?\b|\brequir|\bask", lower):
        q.out_of_scope = None  # "I used to be an agency SW, what does SW2B need?": what SW2B needs
    q.mapping = _has(lower, MAPPING_WORDS) and len({r for r in q.roles}) >= 2
    q.comparison = _has(lower, COMPARISON_WORDS) or bool(re.search(
        r"\bmore senior than\b|\bsenior to\b|\bhigher than\b|\blower than\b|\b(?:need|needs|ask|asks|have|has) "
        r"(?:that|which) (?:an? |the )?(?:level )?\S+ (?:doesn'?t|does not|don'?t|do not)\b|"
        r"\bwhat (?:does|do|would|will) (?:level )?\S+(?: \S+)? add\b", lower))
    if q.mapping and set(q.roles) <= ONE_LADDER:
        # "SW2B vs SW3A", "is SW2 the same as SW3?": levels of one framework's ladder, not grades of two
        # employers to map onto each other, so compared
        q.mapping, q.comparison = False, True
    q.next_step = _has(lower, NEXT_WORDS) or bool(codes and _HOW_TO_PROGRESS.search(lower))
    q.overview = _has(lower, OVERVIEW_WORDS)
    q.glossary_hint = _has(lower, GLOSSARY_WORDS)
    if "time_in_level" not in q.topics and q.levels and not q.overview and _READY.search(lower) \
            and _STATED_TIME.search(lower):
        q.topics.insert(0, "time_in_level")  # "I've been SW3A for 14 months. ready for B?": a time question
    return q


def _nearest_role(mentions: list[tuple[str, str | None, int]], pos: int) -> str | None:
    levelled = [(abs(p - pos), r) for r, _, p in mentions if r in KNOWN_LEVELS]
    return min(levelled)[1] if levelled else None


def resolve_level(knowledge, typed: str) -> tuple[str, str | None]:
    """A level code however it is typed ("SW2A", "sw 2a", "SCO 4B", "SCO-4B", "KR9") as (role, level).

    Raises ValueError naming the code and listing the known ones.
    """
    q = parse(typed or "")
    if not q.unknown_codes:
        if q.levels and q.levels[0][0] in knowledge.roles:
            role, level, _ = q.levels[0]
            return role, level
        if len(q.roles) == 1 and q.roles[0] in knowledge.roles and not knowledge.roles[q.roles[0]].levels:
            return q.roles[0], None
    known = ", ".join(knowledge.level_codes() + [r for r in knowledge.role_codes() if not knowledge.roles[r].levels])
    shown = (typed or "").strip() or "(blank)"
    raise ValueError(f"“{shown}” is not a level in the framework. Known levels: {known}.")


def next_level_code(knowledge, typed: str | None) -> str | None:
    """The code of the level after a typed one, as people see it ("SW2B", "SCO 4C"); None at the top of a
    role, for a role without levels, and for anything that is not a level in the framework."""
    try:
        role, level = resolve_level(knowledge, typed or "")
    except ValueError:
        return None
    nxt = knowledge.next_level(role, level) if level else None
    return knowledge.code(role, nxt) if nxt else None
