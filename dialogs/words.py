"""Understanding short typed answers inside a dialog: global words, ratings, yes/no, typos (rapidfuzz)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from rapidfuzz.distance import OSA

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

# Words that work anywhere in a dialog. Matched against the whole message (after tidying), so a note
# that merely contains "back" is still a note.
GLOBAL_WORDS: dict[str, tuple[str, ...]] = {
    "help": ("help", "help me", "?", "??", "what do i do", "what can i say", "how does this work", "options",
             "commands", "i need help", "help please", "what now", "huh", "eh"),
    "back": ("back", "go back", "previous", "previous question", "undo", "back one", "last question",
             "change my answer", "change answer", "oops back"),
    "skip_category": ("skip category", "skip section", "skip this category", "skip this section", "skip the rest",
                      "skip rest", "skip the category", "skip the section", "next category", "next section",
                      "skip all of these", "skip these", "skip rest of category", "skip rest of section",
                      "skip the rest of this category", "skip the rest of this section", "skip whole category"),
    "skip": ("skip", "skip this", "skip it", "skip question", "skip this one", "pass", "next", "next question",
             "skip note", "no note", "skip for now"),
    "pause": ("pause", "stop", "later", "not now", "hold on", "continue later", "carry on later", "save for later",
              "take a break", "brb", "pause this", "stop for now", "pause it", "finish later", "do this later",
              "i'll finish later", "save and pause", "pause for now"),
    "cancel": ("cancel", "quit", "exit", "abandon", "forget it", "cancel this", "never mind", "nevermind", "abort",
               "cancel it", "stop this", "i want to stop", "discard", "cancel the assessment", "cancel assessment",
               "cancel check-in", "cancel checkin", "cancel the check-in"),
    "resume": ("resume", "carry on", "continue", "go on", "keep going", "pick up where i left off", "where was i",
               "resume assessment", "resume it", "let's continue", "lets continue", "carry on with it", "unpause",
               "resume the assessment", "resume check-in", "resume checkin"),
}

RATING_WORDS: dict[str, tuple[str, ...]] = {
    "met": ("met", "yes", "y", "yep", "yup", "yeah", "yea", "yes i have", "done", "fully", "fully met",
            "completely", "definitely", "absolutely", "i have", "i do", "i can", "achieved", "all of it", "100%",
            "tick", "✅", "✔", "✔️", "👍", "👌", "💯", "yes met", "met it", "i've met it", "i have met it",
            "yes definitely", "of course", "certainly"),
    "partly": ("partly", "partially", "partly met", "partially met", "mostly", "somewhat", "some", "sort of",
               "kind of", "kinda", "a bit", "a little", "in part", "half", "halfway", "getting there", "nearly",
               "almost", "some of it", "in progress", "working on it", "working towards it", "not quite",
               "part", "partial", "mostly met", "more or less", "to some extent", "🤏"),
    "not_yet": ("not yet", "no", "n", "nope", "nah", "not really", "not met", "never", "none", "not at all",
                "haven't", "have not", "i haven't", "not yet met", "no not yet", "❌", "✖", "👎", "no way",
                "not so far", "no i haven't"),
    "not_sure": ("not sure", "unsure", "dunno", "don't know", "dont know", "do not know", "i don't know", "idk",
                 "no idea", "maybe", "perhaps", "not certain", "hard to say", "can't say", "cant say", "🤷",
                 "🤷‍♀️", "🤷‍♂️", "🤔", "unclear", "i'm not sure", "im not sure", "possibly", "not sure yet"),
    "na": ("n/a", "na", "n.a.", "not applicable", "doesn't apply", "does not apply", "doesnt apply",
           "not relevant", "irrelevant", "not applicable to me", "doesn't apply to me", "not for my role"),
}
RATING_LABELS = {"met": "Met", "partly": "Partly", "not_yet": "Not yet", "not_sure": "Not sure",
                 "na": "Not applicable", "skipped": "Skipped", None: "Not answered"}
RATING_ORDER = ("met", "partly", "not_yet", "not_sure")
# Which rating wins when a short message contains words of several (e.g. "yes, partly").
_CONTAIN_PRIORITY = ("not_sure", "na", "partly", "not_yet", "met")

YES_NO: dict[str, tuple[str, ...]] = {
    "yes": ("yes", "y", "yep", "yup", "yeah", "yea", "ok", "okay", "sure", "confirm", "go ahead", "do it",
            "correct", "that's right", "thats right", "right", "please do", "yes please", "👍", "✅", "yes do it",
            "of course"),
    "no": ("no", "n", "nope", "nah", "don't", "dont", "do not", "wrong", "that's wrong", "no thanks",
           "no thank you", "not right", "👎", "❌", "leave it"),
}
SKIP_FREE_TEXT = ("skip", "n/a", "na", "nothing", "none", "no", "nope", "nothing to add", "nothing really", "-",
                  "nil", "no comment", "pass", "nothing this time", "no note", "skip note", "not really")

NOTE_MAX = 1000
FREE_TEXT_MAX = 2000


def tidy(text: str | None) -> str:
    """Lower-case, straight quotes, single spaces, no trailing punctuation: the form matching works on."""
    if not isinstance(text, str):
        return ""
    s = unicodedata.normalize("NFC", text).replace("’", "'").replace("‘", "'").replace("`", "'")
    s = re.sub(r"\s+", " ", s).strip().lower()
    s = re.sub(r"^(?:um+|erm+|er|uh+|hmm+|well|so|ok so|okay so)[,.]?\s+", "", s)
    s = re.sub(r"[\s.!,;:]+$", "", s)
    s = re.sub(r"\s+(?:please|pls|thanks|thank you)$", "", s)
    s = re.sub(r"^(?:please|pls)\s+", "", s)
    return s.strip()


def _fuzzy_limit(phrase: str, typed: str) -> int:
    n = len(phrase)
    if n < 3 or not phrase.isalpha():
        return 0
    if n == 3:  # "mett", "yess": one extra letter only, never a different word of three letters
        return 1 if len(typed) == 4 and typed.isalpha() else 0
    return 1 if n < 8 else 2


def match_phrase(text: str, vocab: dict[str, tuple[str, ...]], *, fuzzy: bool = True) -> str | None:
    """The key whose phrase the whole message is (exactly, or with a small typo); None if unclear."""
    s = tidy(text)
    if not s:
        return None
    for key, phrases in vocab.items():
        if s in phrases:
            return key
    if not fuzzy or len(s) > 40 or len(s) < 3:
        return None
    best: dict[str, int] = {}
    for key, phrases in vocab.items():
        for p in phrases:
            limit = _fuzzy_limit(p.replace(" ", "").replace("'", ""), s.replace(" ", "").replace("'", ""))
            if not limit or abs(len(p) - len(s)) > limit:
                continue
            d = OSA.distance(s, p, score_cutoff=limit)
            if d <= limit:
                best[key] = min(best.get(key, 99), d)
    if not best:
        return None
    low = min(best.values())
    keys = [k for k, d in best.items() if d == low]
    return keys[0] if len(keys) == 1 else None


_EXPLAIN = re.compile(
    r"(?:what does (?:this|that|it)(?: one| criterion| bit| question)? mean|what(?:'s| is) (?:this|that)(?: one)?"
    r"(?: about)?|what(?:'s| is) meant by (?:this|that)|(?:can you |could you )?explain(?: this| that| it)?"
    r"(?: one)?(?: to me)?|i don'?t (?:understand|get it|get this|know what (?:this|that|it) means)(?: one)?"
    r"|(?:i'?m )?not sure what (?:this|that|it) means|meaning|unclear|not clear|what do you mean)\s*\??")


def global_word(text: str) -> str | None:
    """help / back / skip / skip_category / pause / cancel / resume, or None."""
    key = match_phrase(text, GLOBAL_WORDS)
    if key:
        return key
    s = tidy(text)
    if re.fullmatch(r"skip (?:the )?(?:rest of )?(?:this |the )?(?:whole )?(?:category|section|lot)", s):
        return "skip_category"
    if len(s.split()) <= 4 and re.search(r"\bhelp\b", s) and not re.search(r"\bhelp(?:ed|ing|s)\b", s):
        return "help"
    if _EXPLAIN.fullmatch(s):  # "what does this mean?" about the question on screen
        return "help"
    return None


def _contains(s: str, phrase: str) -> bool:
    if not re.search(r"\w", phrase):  # emoji or punctuation: plain containment
        return phrase in s
    return re.search(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", s) is not None


def rating(text: str) -> str | None:
    """met / partly / not_yet / not_sure / na from a typed answer, or None."""
    key = match_phrase(text, RATING_WORDS)
    if key:
        return key
    s = tidy(text)
    if not s or len(s.split()) > 8 or len(s) > 80:
        return None
    for key in _CONTAIN_PRIORITY:
        for p in sorted(RATING_WORDS[key], key=len, reverse=True):
            if len(p) < 2 and re.search(r"\w", p):
                continue
            if key == "met" and p in ("some",):
                continue
            if _contains(s, p):
                return key
    return None


def yes_no(text: str, *, strict: bool = False) -> str | None:
    """'yes' / 'no' / None. strict: exact words only (for destructive confirmations)."""
    return match_phrase(text, YES_NO, fuzzy=not strict)


# A message that is plainly a new request rather than an answer to the dialog's question: a question, a
# level code, or an instruction to the bot. Used only when the dialog did not understand it as an answer.
_REQUEST = re.compile(
    r"\?\s*$"
    r"|^(?:what|what's|whats|how|when|where|who|whom|which|why|can|could|do|does|did|is|are|should|would|will|"
    r"tell|show|list|explain|give|snooze|remind|evidence|requirements?)\b"
    r"|\b(?:sw|sco|kr|po)\s*-?\s*\d",
    re.I)


def looks_like_request(text: str) -> bool:
    """True for "what do I need for SW3B?", "SW5B", "when am I eligible": not an answer, a new request."""
    s = tidy(text)  # keeps a final "?"
    return bool(s) and bool(_REQUEST.search(s))


def is_skip_text(text: str) -> bool:
    return tidy(text) in SKIP_FREE_TEXT


def clip(text: str, limit: int) -> tuple[str, bool]:
    """Text cut to limit characters (on a word boundary where possible); True when it was cut."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…", True


def format_date(d: date, *, today: date | None = None, short: bool = False) -> str:
    """25 November 2026 (UK). short: leave the year out when it is this year."""
    s = f"{d.day} {MONTH_NAMES[d.month - 1]}"
    if short and today is not None and today.year == d.year:
        return s
    return f"{s} {d.year}"


def plural(n: int, word: str, plural_word: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {plural_word or word + 's'}"


def days_text(text: str) -> int | None:
    """'3', '3 days', 'a week', '2 weeks', 'the day before' as a number of days (0-60), or None."""
    s = tidy(text)
    if not s:
        return None
    words = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
             "ten": 10, "fourteen": 14}
    m = re.search(r"\b(\d{1,2}|a|an|one|two|three|four|five|six|seven|ten|fourteen)\s*(day|week|wk)s?\b", s)
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else words[m.group(1)]
        n *= 7 if m.group(2) in ("week", "wk") else 1
        return n if 0 <= n <= 60 else None
    if re.fullmatch(r"\d{1,2}", s):
        n = int(s)
        return n if 0 <= n <= 60 else None
    if re.search(r"\bthe day before\b|\bday before\b", s):
        return 1
    if re.search(r"\bfortnight\b", s):
        return 14
    return None
