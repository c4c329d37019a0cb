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
               "kind of", "kinda", "sorta", "a bit", "a little", "in part", "half", "halfway", "getting there",
               "nearly", "almost", "some of it", "in progress", "working on it", "working towards it", "not quite",
               "part", "partial", "mostly met", "more or less", "to some extent", "🤏",
               "not fully", "not completely", "not entirely", "not totally", "not wholly", "not 100%",
               "not fully met", "not completely met", "not entirely met", "met but not fully", "yes and no",
               "most of it", "sometimes", "not always", "only partly", "a bit of both", "half and half"),
    "not_yet": ("not yet", "no", "n", "nope", "nah", "not really", "not met", "never", "none", "not at all",
                "haven't", "have not", "i haven't", "not yet met", "no not yet", "❌", "✖", "👎", "no way",
                "not so far", "no i haven't", "haven't met it", "haven't met this", "i haven't met it",
                "i haven't met this", "not met yet", "don't think so", "i don't think so", "i wouldn't say so",
                "definitely not", "absolutely not", "certainly not", "of course not"),
    "not_sure": ("not sure", "unsure", "dunno", "don't know", "dont know", "do not know", "i don't know", "idk",
                 "no idea", "maybe", "perhaps", "not certain", "hard to say", "can't say", "cant say", "🤷",
                 "🤷‍♀️", "🤷‍♂️", "🤔", "unclear", "i'm not sure", "im not sure", "possibly", "not sure yet"),
    "na": ("n/a", "na", "n.a.", "not applicable", "doesn't apply", "does not apply", "doesnt apply",
           "not relevant", "irrelevant", "not applicable to me", "doesn't apply to me", "not for my role"),
}
RATING_LABELS = {"met": "Met", "partly": "Partly", "not_yet": "Not yet", "not_sure": "Not sure",
                 "na": "Not applicable", "skipped": "Skipped", None: "Not answered"}
RATING_ORDER = ("met", "partly", "not_yet", "not_sure")

YES_NO: dict[str, tuple[str, ...]] = {
    "yes": ("yes", "y", "yep", "yup", "yeah", "yea", "ok", "okay", "sure", "confirm", "go ahead", "do it",
            "correct", "that's right", "thats right", "right", "please do", "yes please", "👍", "✅", "yes do it",
            "of course", "save it", "save that", "ok save that", "ok save it", "yes save it", "go on", "go on then"),
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
    words = set(s.split())
    for key, phrases in vocab.items():
        for p in phrases:
            said = set(p.split())
            if {"met", "not"} <= words | said and not (said & words & {"met", "not"}):
                continue  # "met" typed is never read as "not", nor "not" as "met" ("definitely met")
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


# Leaving, not rating ("I have to go" read as "I have" was once recorded as Met): a pause. Matched exactly, never
# typo-corrected: "need to do", "have a go" and "I need to grow" are one letter away.
_LEAVING = frozenset(("i have to go", "i've got to go", "i have got to go", "got to go", "gotta go", "i need to go",
                      "need to go", "have to go", "i must go", "i have to leave", "i need to leave", "i've got to run",
                      "got to run", "gotta run", "i have to run", "i'll come back to this later", "back later"))


# Giving up on the dialog, not rating ("I don't want to do this any more" was once recorded as Not yet): a cancel,
# which asks before anything is discarded and offers a pause instead
_GIVING_UP = re.compile(
    r"(?:i )?(?:don'?t|do not|no longer) want to (?:do|carry on with|continue with|continue|finish|go on with|be doing)"
    r"(?: (?:this|it)| (?:this|the|my) (?:self-assessment|self assessment|assessment|check-in|checkin))?"
    r"(?: any ?more| now)?|i give up|i(?:'m| am) (?:done|finished) with this|i(?:'ve| have) had enough(?: of this)?"
    r"|i can'?t be bothered(?: with this)?")


def global_word(text: str) -> str | None:
    """help / back / skip / skip_category / pause / cancel / resume, or None."""
    s = tidy(text)
    if s.rstrip(".!") in _LEAVING:
        return "pause"
    if _GIVING_UP.fullmatch(s.rstrip(".!")):
        return "cancel"
    key = match_phrase(text, GLOBAL_WORDS)
    if key:
        return key
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


# Inside a longer message only these count as a rating: words such as "i have", "done", "some" or "fully" are
# everyday words there ("I have to go", "some of my cases"), and "fully" after a "not" means the opposite.
_CONTAINED: dict[str, tuple[str, ...]] = {
    "met": ("met", "yes", "yeah", "yep", "yup", "fully met", "definitely", "absolutely", "achieved", "fully",
            "completely", "no problem", "no problems", "no issues", "no issue", "no worries", "no doubt",
            "✅", "✔", "👍", "💯"),
    "partly": ("partly", "partially", "partly met", "partially met", "mostly", "somewhat", "sort of", "kind of",
               "kinda", "in part", "getting there", "nearly", "almost", "not quite", "more or less", "to some extent",
               "some of it", "most of it", "working towards it", "working on it", "in progress", "halfway",
               "sometimes", "not always", "yes and no", "🤏"),
    "not_yet": ("not yet", "no", "nope", "nah", "not really", "not met", "not at all", "haven't", "have not",
                "never", "not so far", "❌", "👎"),
}
_NEGATOR = (r"(?:\b(?:not|never|no(?!\s+(?:problems?|issues?|worries|doubts?|question))|nor|hardly|barely|"
            r"cannot|dont|havent|hasnt|didnt|wouldnt|cant|couldnt|isnt|arent|wasnt|wont|doesnt|shouldnt)\b|n't\b)")
# "not fully", "haven't fully met it", "I wouldn't say completely", "not 100%": met in part
_NOT_FULLY = re.compile(
    _NEGATOR + r"(?:\s+\S+){0,3}?\s+(?:fully|completely|entirely|totally|wholly|quite|all\b|always|"
    r"consistently|every\w*|100\s*%|100 ?per ?cent|a hundred per ?cent)")
# "met but only partly", "only some of it", "yes, but not everything"
_ONLY_SOME = re.compile(r"\bonly (?:partly|partially|some|once|a bit|a little|in part|occasionally|sometimes)\b"
                        r"|\b(?:yes|met)\b.{0,12}\bbut\b.{0,12}\bnot\b|\w-ish\b|\bish\b")
# "I don't think I have met this", "I wouldn't say met", "haven't met it", "I haven't done this": not yet
_NOT_MET = re.compile(
    _NEGATOR + r"(?:\s+\S+){0,4}?\s+(?:met|meet|meeting|achieved?|done|reached|got there|there yet|"
    r"(?:do|have) (?:this|it|that))\b"
    r"|\b(?:don't|do not|dont) think so\b|\bwouldn't say so\b|\bi doubt it\b|^(?:haven't|have not|not met)\b")
# Not a rating at all: the person wants time to think. Never recorded; they are told they may skip or pause.
_UNDECIDED = re.compile(
    r"\b(?:think (?:about|on|over) (?:it|this|that)|think it (?:over|through)|have a think|let me think|"
    r"(?:need|want|have|got) to think|thinking about (?:it|this|that)|get back to (?:you|it|this)|"
    r"come back to (?:it|this|that)|give me a (?:minute|moment|sec|second)|(?:haven't|have not|not) decided|"
    r"can't decide|cannot decide|sleep on it|mull (?:it|this) over)\b")


def _spans(s: str, vocab: dict[str, tuple[str, ...]]) -> list[tuple[str, int, int]]:
    """(key, start, end) of every vocabulary phrase in s, longest first, never overlapping."""
    phrases = sorted(((p, k) for k, ps in vocab.items() for p in ps), key=lambda pk: len(pk[0]), reverse=True)
    taken: list[tuple[str, int, int]] = []
    for phrase, key in phrases:
        if re.search(r"\w", phrase):
            found = [(m.start(), m.end()) for m in re.finditer(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", s)]
        else:  # emoji or punctuation: plain containment
            found = [(m.start(), m.end()) for m in re.finditer(re.escape(phrase), s)]
        for a, b in found:
            if all(b <= x or a >= y for _, x, y in taken):
                taken.append((key, a, b))
    return taken


def undecided(text: str) -> bool:
    """"I have to think about it", "let me think": no rating yet, and none should be recorded."""
    return bool(_UNDECIDED.search(tidy(text)))


def rating(text: str) -> str | None:
    """met / partly / not_yet / not_sure / na from a typed answer, or None when it can't be read with confidence.

    Negation and hedges are read: "not fully", "met but not fully", "not 100%" are Partly; "I don't think I
    have met this", "I wouldn't say met" are Not yet; "yes and no" is Partly. A message that mixes a yes and a
    no, or has a "not" the reader cannot place, is asked again rather than guessed.
    """
    key = match_phrase(text, RATING_WORDS)
    if key:
        return key
    s = tidy(text)
    if not s or len(s.split()) > 12 or len(s) > 120 or undecided(s):
        return None
    for key in ("not_sure", "na"):  # "I'm not sure I have", "doesn't apply here": said in so many words
        if any(_contains(s, p) for p in RATING_WORDS[key] if len(p) > 2 and p not in ("maybe", "perhaps")):
            return key
    if re.search(r"\bnot at all\b", s):
        return "not_yet"
    if _NOT_FULLY.search(s) or _ONLY_SOME.search(s):
        return "partly"
    if _NOT_MET.search(s):
        return "not_yet"
    found = _spans(s, _CONTAINED)
    if not found:
        return None
    outside = s
    for _, a, b in sorted(found, key=lambda t: t[1], reverse=True):
        outside = outside[:a] + " " + outside[b:]
    if re.search(_NEGATOR, outside):  # a "not" the phrases found don't account for: unsure what it negates
        return None
    keys = {k for k, _, _ in found}
    if "partly" in keys:  # "yes, partly", "no, mostly": the hedge is the answer
        return "partly"
    if len(keys) > 1:  # a yes and a no
        return None
    return keys.pop()


# A rating at the start of a message, then a note: "Partly: co-chaired only", "Met - 4 years PQE".
_LEAD_SEP = re.compile(r"^(?P<head>[^:;,.()]{1,40}?)\s*(?P<sep>[:;,.(]|\s[-–—]+|[-–—]+\s)\s*(?P<rest>.+)$", re.S)
_LEAD_WORD = re.compile(r"^(?P<head>met|partly|partially|mostly|not yet|n/a|not applicable)\s+(?P<rest>.+)$",
                        re.I | re.S)
_CONTRAST = re.compile(r"^(?:but|except|apart|although|though|however|only|not|other than|bar|yet|just)\b", re.I)
_FILLER = frozenset(("i think", "i guess", "i believe", "i reckon", "probably", "definitely", "for sure", "so far",
                     "already", "now", "i hope", "hopefully", "i'd say", "id say", "i would say", "really",
                     "it", "this", "that", "this one", "that one", "thanks", "thank you", "please", "ok", "okay"))


def rating_with_note(text: str) -> tuple[str | None, str | None]:
    """(rating, note) from a message that may carry its evidence after the rating.

    "Partly: co-chaired only" is (partly, "co-chaired only"); "Met - I have 4 years PQE" is (met, "I have 4
    years PQE"); "yes, partly" and "met, but not fully" are one rating with no note; anything else is read
    by rating() as a whole.
    """
    raw = (text or "").strip()
    if not raw:
        return None, None
    m = _LEAD_SEP.match(raw) or _LEAD_WORD.match(raw)
    if m:
        head, rest = m.group("head").strip(), m.group("rest").strip()
        if m.re is _LEAD_SEP and m.group("sep") == "(":
            rest = rest.removesuffix(")").strip()
        head_rating = rating(head) if len(head.split()) <= 5 else None
        words = rest.split()
        if head_rating and re.search(r"\w", rest) and tidy(rest) not in _FILLER:
            rest_rating = rating(rest)
            if m.re is _LEAD_WORD and (rest_rating or len(words) < 2):
                pass  # "met it fully", "partly met": one rating
            elif rest_rating and len(words) <= 3:
                pass  # "yes, partly", "met - not 100%", "no, not really": the rest changes the rating
            elif head_rating == "met" and _CONTRAST.match(rest):
                said = rating(raw)  # "met, but not the AMHP part" is Partly
                if said not in (None, "met"):
                    return said, None
                # "yes, but my evidence is from my last job": Met, the rest its note; "met but I still need the
                # certificate" is not plainly Met: asked again
                after = _CONTRAST.sub("", rest, count=1).strip(" ,.")
                if re.search(r"\b(?:need|needs|still|missing|waiting|yet|except|apart|only|not|hardly|barely|rarely|"
                             r"seldom|sometimes|occasionally|disagrees?|support|help|helped|partly|some)\b|n't\b",
                             after, re.I):
                    return None, None
                return head_rating, (after if len(after.split()) >= 2 else None)
            elif rest.endswith("?"):
                return head_rating, None  # "Not sure, what is MCA?": a question is not a note of evidence
            else:
                return head_rating, rest
    return rating(raw), None


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


_LEVEL = r"(?:(?:the |my )?next level|level [abc]|[a-z]{2,3} ?-? ?\d{1,2} ?-? ?[abc]?)"
_COMMANDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("self_assessment",
     # "my self-assessment" alone is a thing to discuss, not a command; "start my self-assessment" is one
     r"(?:assess me|assess myself|rate myself|(?:(?:start|begin|do|run|open|new)\s+(?:(?:a|an|my|the|another)\s+)?|"
     r"(?:a|an|the|another)\s+)?"
     r"(?:new\s+)?(?:self[- ]?assessment|assessment|self[- ]?assess))(?:\s+(?:for|against|on)\s+" + _LEVEL + r")?"),
    ("checkin",
     r"(?:(?:start|begin|do|run|open|new)\s+)?(?:(?:a|an|my|the)\s+)?(?:supervision\s+)?check[- ]?in|"
     r"(?:prepare|prep|get ready)\s+(?:me\s+)?for\s+(?:my\s+)?(?:next\s+)?supervision|supervision prep(?:aration)?"),
    ("pack_latest",
     r"(?:download|get|send me)\s+(?:my\s+|the\s+|a\s+)?(?:supervision\s+pack|pack|check[- ]?in note|note|"
     r"self[- ]?assessment|assessment)|(?:my\s+)?supervision pack"),
    ("export_data", r"(?:download|export|get)\s+(?:all\s+)?(?:of\s+)?my\s+data"),
    ("delete_data", r"delete (?:all\s+)?(?:of\s+)?my data"),
    ("share_latest", r"share (?:it |this |that |my \S+ )?with my (?:line )?manager"),
))
_COMMAND_LEAD = re.compile(r"^(?:(?:i want to|i wanna|i'd like to|id like to|i would like to|can we|can i|could we|"
                           r"could i|let's|lets|let me|i need to|time to|now|ok|okay|right)\s+)+")


def dialog_command(text: str) -> str | None:
    """The dialog or action a message is exactly a command for ("assess me", "self-assessment for SW3C",
    "I want to prepare for supervision", "check-in", "download my pack"), or None.

    Only the whole message counts: "I had a check-in with my manager" is an answer, not a command.
    """
    s = _COMMAND_LEAD.sub("", tidy(text)).strip()
    if not s or len(s) > 60:
        return None
    for name, pattern in _COMMANDS:
        if pattern.fullmatch(s):
            return name
    return None


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
