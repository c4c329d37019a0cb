"""The answer engine: a question in, a neutral cited Reply out. Knows nothing of any chat platform.

Routing and the level and role answers are here; time in level is in timing.py, what the framework does not
answer directly in beyond.py, terms and the PCF in terms.py, searching the criteria in search.py.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import replace

from bot.answers.beyond import BeyondReplies
from bot.answers.questions import KNOWN_LEVELS, ONE_LADDER, Query, parse
from bot.answers.retrieval import Retriever
from bot.answers.search import SearchReplies
from bot.answers.shared import (
    _CURRENT_BEFORE,
    _SKIP,
    _SKIP_NOTE,
    LEVEL_NAMES_TEXT,
    Context,
    _heading_with_group,
    _short,
)
from bot.answers.terms import TermReplies
from bot.answers.timing import TimingReplies
from bot.answers.unsaid import CPD_HOURS, RETURNING, UnsaidReplies
from bot.conversation import MAX_TEXT, Block, Choice, Reply
from bot.knowledge.model import LEVEL_NAMES, Criterion, Knowledge, TimeRule

log = logging.getLogger(__name__)

LEVEL_TOPICS = ("qualifications", "knowledge", "experience", "skills", "safeguarding")
TOPIC_TITLES = {
    "overview": "Overview",
    "duties": "Duties",
    "qualifications": "Qualifications",
    "knowledge": "Knowledge",
    "experience": "Experience",
    "skills": "Skills",
    "safeguarding": "Safeguarding",
    "evidence": "Evidence required to progress",
    "values": "Values",
    "competencies": "Competencies",
    "special_conditions": "Special conditions",
    "pcf_domain": "PCF domain",
    "guidance": "Guidance",
}
ROLE_WIDE_TOPICS = ("overview", "duties", "values", "competencies", "special_conditions")
MAX_BULLETS_BEFORE_ASKING = 40
MAX_SIDE_BY_SIDE = 3  # levels of different roles shown side by side in one answer; any more are a button away
ANSWER_CACHE_SIZE = 2048  # answers kept, least recently used first out
FOLLOW_UP_MAX_WORDS = 12  # a longer message is read on its own, never against the conversation's last answer
GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|help|thanks|thank you|cheers|"
    r"what can you do|what do you do|who are you|what are you|are you (?:a bot|a robot|real|human|a person)|"
    r"what can i ask(?: you)?|what (?:can|should) i (?:say|type)|how does (?:this|it|careerbot) work|"
    r"how do i use (?:this|you|it|careerbot))\b[\s!.?,]*(?:there|careerbot|bot)?[\s!.?]*$",
    re.I,
)
EXAMPLES = (
    "what do I need for SW3B?",
    "how long before I can go for SW2B?",
    "what evidence for SW3C?",
    "difference between SW3A and SW3B",
    "what is PCF domain 6?",
    "what does AMHP stand for?",
)


def clean_question(text: str) -> tuple[str, bool]:
    """Strip control characters and cut very long text; return (text, was_cut)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    cut = len(text) > MAX_TEXT
    if cut:  # at a word boundary, so the last word read is a whole one ("hello", not "hell")
        head = text[:MAX_TEXT + 1]
        parts = head.rsplit(None, 1)
        text = parts[0] if len(parts) == 2 and re.search(r"\s\S{0,60}$", head) else text[:MAX_TEXT]
    return text.strip(), cut


# "When was the framework written?", "where does your information come from?": the documents themselves
_ABOUT_THE_DOCUMENTS = re.compile(
    r"\bwhen (?:was|were|did) (?:the |this |these |your |it )?(?:career progression )?(?:framework|guide|documents?|"
    r"information|info|bot|it)\b(?! i\b)|\bwhat (?:date|year|version) (?:is|was|are|were) (?:the |this |that )?"
    r"[\w' ]{0,40}(?:framework|guide|documents?|profile|job description)\b"
    r"|\b(?:framework|guide|documents?|profile)\s+(?:date|dated|version|year)\b"
    r"|\bdate of (?:the |this |that )?[\w' ]{0,30}(?:framework|guide|documents?|profile)\b"
    r"|\bwho (?:wrote|made|created|owns|publishe[sd]|writes|produced)\b"
    r"|\bhow (?:old|up to date|recent|current) (?:is|are)\b|\b(?:latest|current|newest|most recent) version\b"
    r"|\blast (?:updated|reviewed)\b|\byour sources\b|\bwhere do you get\b"
    r"|\b(?:what|which) (?:documents|sources|files|frameworks|version|edition) (?:do|does|are|is) (?:you|careerbot|"
    r"the bot|it|this|your)\b|\bwhere (?:does|do) (?:your|the|this|these) (?:information|info|answers?|data)\b"
    r"|\bwhere (?:can|do|could) i (?:find|see|get|read|download)\b.*\b(?:framework|guide|documents?)\b"
    r"|\b(?:see|read|get|view|download) (?:the |a copy of the )?(?:full|whole|complete|original) "
    r"(?:framework|guide|documents?)\b")
# "What do I need for my next level?": what the next level asks, not only when it can be reached
# Job titles people use that are not roles of the framework: named as such, never mapped onto a role that
# merely shares a word ("practice manager" is not Team Manager, "senior practitioner" is not SW3)
_OTHER_TITLES = re.compile(
    r"\b(?:senior|advanced|principal|lead) practitioners?\b|\bpractice (?:manager|lead|supervisor)s?\b|"
    r"\bprincipal social workers?\b|\bconsultant social workers?\b|\bservice managers?\b|\bheads? of service\b|"
    r"\b(?:assistant|deputy) (?:team )?managers?\b|\bteam leaders?\b|\bsenior managers?\b|"
    r"\bsocial work assistants?\b|\b(?:support|care) workers?\b|\boccupational therapists?\b|"
    r"\bsocial care assessors?\b")
# The profession the documents name as its qualification, "Occupational Therapy"
_THERAPIST = re.compile(r"occupational therapists?", re.I)
_HIGHER_DEGREE = re.compile(r"\bmasters?\b|\bmaster's\b|\bmsc\b|\bphd\b|\bdoctorate\b")
_DEGREE_NAMES = {"masters": "master's degree", "master": "master's degree", "master's": "master's degree",
                 "msc": "master's degree (MSc)", "phd": "PhD", "doctorate": "doctorate"}
# "Who is the framework for?", "does the framework apply to children's services?"
_WHO_IS_IT_FOR = re.compile(
    r"\bwho (?:is|'s) (?:the |this )?(?:framework|it|careerbot|this) for\b|\bwho (?:can|should) use (?:the |this )?"
    r"framework\b|\bwho does (?:the |this )?framework (?:apply to|cover)\b|\b(?:does|do) (?:the |this |these )?"
    r"(?:framework|frameworks|documents?) (?:apply|cover|relate)\b|\bis (?:the |this )?framework (?:only )?for\b")
# "How long does it take to get to SW2C?", "3 years to reach SW3C": the whole way up, not the last step
_FROM_THE_START = re.compile(r"\b(?:take|takes|took|taking)\b.*\b(?:to|till|until) (?:get to|reach|become|"
                             r"make it to|be at|progress to|move up to)\b|\b(?:years?|months?) to (?:get to|reach|"
                             r"become|progress to)\b")
# "I feel stuck at SW2B", "I'm worried I'm not good enough for SW3": said, not asked
_FEELINGS = re.compile(
    r"\b(?:i(?: am|'m| m|m)|i (?:feel|felt)|feeling|i'?ve been(?: feeling)?) (?:really |so |a bit |quite |very |"
    r"totally )?"
    r"(?:stuck|lost|worried|anxious|stressed|demotivated|unmotivated|overwhelmed|frustrated|fed up|discouraged|"
    r"disheartened|behind|overlooked|stagnating|stagnant|hopeless)\b|\bnot good enough\b|\b(?:getting|going) "
    r"nowhere\b|\b(?:i'?m|i am) not (?:progressing|getting anywhere|moving)\b|\bmaking no progress\b"
    # "i hate my job lol", "I'm burnt out", "I'm sick of waiting", "thinking of quitting"
    # "i hate my job lol", "I'm burnt out", "thinking of quitting": said alone, not before a question
    r"|(?!.*(?:\?|\b(?:what|how|when|which|does|do i|can i|is it)\b))(?:.*\bi (?:really |kind of |kinda )?(?:hate|"
    r"can'?t stand) (?:my job|my work|work|this job|it here|my role)\b(?!\s+(?:interview|application))"
    r"|.*\b(?:i(?: am|'m| m|m)|i feel|feeling) (?:so |really |totally |a bit )?(?:burnt out|burned out|exhausted|"
    r"miserable|unhappy|undervalued|unappreciated|sick of (?:it|this|waiting|work)|tired of (?:it|this|waiting))\b"
    r"|.*\bthinking (?:of|about) quitting\b)")
# How a follow-up starts: "what about C?", "and the evidence?", "how about SW2C", "same for SW3B"
_FOLLOW_UP_LEAD = re.compile(r"^\s*(?:and|what about|how about|what of|same for|and for|and what about|ok,? (?:and|"
                             r"what about)|also|for(?=\s+\S+(?:\s+\S+)?\s*[?.!]*\s*$))\b")  # "for SW3?" too
_LONE_LETTER = re.compile(r"^\s*(?:(?:and|what about|how about|same for|and for|and what about)\s+)?(?:level\s+)?"
                          r"([abcABC])\s*[?.!]*\s*$")
# A short yes/no or how-many question with no role named: after an answer about a level, about that level
_SHORT_ASK = re.compile(r"\s*(?:do|does|is|are|will|would|must|should|can|have|has)\b|\s*how (?:many|much)\b")
# "When then?", "so when?": after a time answer, the time again for the same step
_WHEN_ALONE = re.compile(r"^\s*(?:so |and |ok,? )?when(?: then| is that| would that be| exactly| can i(?: go| apply)?)?"
                         r"\s*[?!.]*\s*$")
# Before a role the person holds: "I'm on KR9", "a Kent social worker on KR9", "I've been a KR9"
_HELD_BEFORE = re.compile(r"\b(?:i'?m|i am|im|been|currently|now|on|as)\s+(?:an?\s+|level\s+)?$")
# "Do team managers need to be social workers?": what one role asks, not a move to the other
_NEEDS_TO_BE = re.compile(r"^\s*(?:do|does|must|should)\b[^?]*\bneeds? to be\b")
# "do I need to be a social worker to be a team manager?", "do you have to be a senior before you can become a TM?"
_TO_BE_TO_BE = re.compile(r"\b(?:need|needs|have|has|got) to be (?:an? )?[a-z0-9' ]{2,40}? "
                          r"(?:to|before (?:i|you|they|we|someone) can) (?:be|become|apply for|go for|get) (?:an? )?")
# Answers about a role as a whole carry the framework data's notes on that role
_ROLE_NOTE_TOPICS = ("overview", "duties", "person_spec", "values", "competencies", "special_conditions",
                     "grade", "comparison", "role_change")
# Questions about the framework as a whole, never a follow-up of the last answer without "and…"
_FRAMEWORK_WIDE = re.compile(r"\b(?:levels|roles|grades|posts|framework|frameworks|documents?|values|competenc\w*|"
                             r"guide)\b")
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i've|me|my)\b")
_TIME_WORD = re.compile(r"\b(?:the )?time\b|\bhow long\b")
# "and 6?" after PCF domain 5
_DOMAIN_FOLLOW = re.compile(r"^\s*(?:and|what about|how about)?\s*(?:domain\s*)?(\d{1,2})\s*[?.!]*\s*$")
_YES_NO = re.compile(r"(?:do|does|is|are|will|would|must|should|can|have|has)\b")
# "What do I need for SW3B and how long does it take?": requirements and time in one message
_TWO_ASKS = re.compile(r"\b(?:what (?:do|does|would|will) .{0,30}\bneed|requirements?|criteria|"
                       r"what (?P<first>evidence|qualifications?|training)\b)\b.*"
                       r"\b(?:and|also|plus)\b.*\bhow long\b|"
                       r"\bhow long\b.*\b(?:and|also|plus)\b.*\b(?:what (?:do|does|else)\b.{0,30}\bneed|requirements?|"
                       r"criteria|what (?P<second>evidence|qualifications?|training)\b)\b")
# "is SW4C the highest level?", "what's the top level for a senior?", "how many levels are there for SWs?"
_TOP_OR_HOW_MANY = re.compile(
    r"(?:\bis\b.*|\b(?:what|which)(?:'s|s| is| are)? (?:the )?)(?:highest|top|last|final|maximum|max|most senior) "
    r"(?:level|grade|band)s?\b(?!\s+(?:before|below|under|of|on|at)\b)"
    r"|\bhow many (?:levels|grades|bands|stages)\b(?!\s+of\b)|\b(?:as high|as far) as (?:you|i|one) can go\b")
# "I've been qualified 3 years, what level should I be?", "which level for 5 years' experience?"
_YEARS_QUALIFIED = re.compile(
    r"^(?=.*\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s*(?:years?|yrs?)\b|.*\bqualified (?:in|on) "
    r"(?:\w+ )?(?:19|20)\d{2}\b)"
    r"(?=.*\b(?:qualified|post[- ]?qualif\w*|pqe|experience)\b)"
    r"(?=.*\b(?:(?:what|which) (?:level|grade)|level should i be|grade should i be|where should i be)\b)")
# "do I need 4 years PQE, qualified since 2021": a figure of post-qualifying experience asked about by someone who
# says when they qualified (a level or role named is answered for that level or role)
_PQE_ASKED = re.compile(r"\bpqe\b|\bpost[- ]?qualif")
_QUALIFIED_WHEN = re.compile(
    r"\bqualified\s+(?:in|on|since|back in|during)\s+(?:[a-z]+\s+)?(?:19|20)\d{2}\b|"
    r"\bqualified\s+(?:for\s+)?(?:about\s+|around\s+|nearly\s+|almost\s+|over\s+)?(?:\d{1,2}|an?|one|two|three|"
    r"four|five|six|seven|eight|nine|ten)\s+(?:years?|yrs?|months?)\b")
# "i qualified in june 2019", "i qualified in 2019 tho", "I've been qualified for 3 years": said, with nothing else
# asked or named ("my manager qualified in 2019", "I qualified in 2019 as an AMHP" and any question keep their answers)
_NUMBER_WORD = r"(?:\d{1,2}|an?|one|two|three|four|five|six|seven|eight|nine|ten)"
_SAID_QUALIFIED = re.compile(
    r"^\W*(?:(?:so|well|ok|okay|yeah|yes|but|and|hi|hiya|hello|hey|fyi|btw|also)\b\W*)*"
    r"(?:i\s+|i'?ve\s+|i have\s+|i'?m\s+|i am\s+)?(?:been\s+)?(?:only\s+|just\s+|first\s+)?qualified"
    r"(?:\s+as\s+an?\s+social\s+worker)?\s+(?:(?:in|on|since|back in|during|around)\s+"
    r"(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:[a-z]+\s+)?(?:19|20)\d{2}|(?:for\s+)?(?:about\s+|around\s+|nearly\s+|"
    r"almost\s+|over\s+)?" + _NUMBER_WORD + r"\s+(?:years?|yrs?|months?)(?:\s+ago)?)"
    r"(?:\W+(?:tho|though|btw|fyi|actually|now|lol|as a social worker|if that helps|if that matters|for context))*"
    r"\W*$")
# "what level should I be?", a long account ending "...my manager says im sw2c, what level should i be": the
# documents place nobody; what they ask in post-qualifying experience, level by level (the question is the last
# thing said, so "what level should I be to apply for AMHP training?" is not this)
_LEVEL_SHOULD_I_BE = re.compile(r"\b(?:what|which) (?:level|grade) should i (?:be|be on|be at|be in)\s*[?.!]*\s*$|"
                                r"\bwhere should i be on the (?:framework|scale|ladder)\s*[?.!]*\s*$")
# "How do managers use the framework?", "how do I support someone going for SW3?"
_FOR_MANAGERS = re.compile(r"\bhow (?:do|can|should|could) (?:managers?|team managers?|supervisors?) use\b|"
                           r"\bhow (?:do|can|should|could) i (?:use (?:this|the) (?:framework|bot|careerbot) with my "
                           r"(?:team|staff|reports)|support (?:someone|a (?:member of staff|colleague|report|social "
                           r"worker)|my (?:team|staff|report|reports|supervisee)))\b|\bas a (?:team )?manager,? how\b")
# "What does 'in addition to level A' mean?"
_IN_ADDITION = re.compile(r"\bin addition to (?:y2 )?(?:all previous )?levels?\b.*\bmean|\bwhat (?:does|do|is) "
                          r"[\"“']?in addition to\b|\bare (?:the )?(?:lower|previous) levels? (?:included|still "
                          r"needed|required)\b|\bdo i (?:still )?need (?:to meet )?(?:the )?(?:lower|previous|earlier) "
                          r"levels?\b")
# "How long is the ASYE?", "does my ASYE year count towards the 24 months?"
# "what does KR stand for?", "what is SW short for?": the letters of a grade code, asked about on their own
_CODE_LETTERS = re.compile(r"\b([A-Za-z]{2,3})\b[\"”'’]?\s+(?:stands? for|short for|mean|means)\s*[?.!]*\s*$")
_TRAINING = re.compile(r"\btraining\b|\bcourses?\b|\bbriefing sessions?\b")
# "what's KR?", "KR meaning": the letters alone, in capitals
_LETTERS_ALONE = re.compile(r"\s*(?:what'?s|what is|whats)?\s*([A-Z]{2,3})(?:\s+meaning)?\s*\??\s*$")
_ASYE_TIME = re.compile(r"\bhow long (?:is|does|will) (?:the |my |an )?asye\b|\basye\b.*\b(?:count|counts|counted|"
                        r"towards)\b|\basye\b.*\bpart of (?:the |my )?(?:24 months|time)\b|\b(?:count|counts)\b.*"
                        r"\basye\b")
_COME_IN_AT = re.compile(r"\b(?:come|coming|go|going|start|starting|join|joining|be|end up|slot|placed|put)\s+"
                         r"(?:in\s+)?(?:at|on|as)\b|\b(?:what|which) (?:level|grade)\b|\bequivalent\b")
_KENT_EQUIVALENT = re.compile(r"\bequivalent\b|\bsame as\b|\bmatch(?:es)?\b|\bcompares?\b|\bmaps? to\b")
_ASKS_WHAT_IS_NEEDED = re.compile(r"\b(?:need|needs|needed|require|required|requirements?|have to|must|should i)\b")
# "I'm a student social worker": the framework starts at the first level of Social Worker
_STUDENT = re.compile(r"\bstudent social workers?\b|\bsocial work students?\b|\bstudying social work\b|"
                      r"\b(?:i'?m|i am) (?:a |still a )?student\b|\bsocial work degree\b.*\b(?:student|studying)\b")


# A question about a term that wants more than its meaning: "how do I become an AMHP?", "which level is the
# CHC training?", "do I need to know MOSAIC?" get the framework's lines that use it, quoted
# "why?", "why 18?", "source?", "where's that from?": about the answer just given
_WHICH_APPLIES = (r"which (?:one|figure|rule|of them|of those|is it|one is it)? ?(?:applies|is right|is correct|"
                  r"counts|do i (?:use|go by|follow)|should i (?:use|go by|follow))(?: to me)?")
_WHY_ALONE = re.compile(r"^\s*(?:but\s+|and\s+|so\s+|ok\s+)?(?:why|how come|says who|what(?:'s| is) the source|"
                        r"sources?|where(?:'s| is| does| did)? (?:that|this|it) (?:from|come from|coming from)|"
                        r"where did you get (?:that|this)(?: from)?|"
                        # "which one applies to me?", "which is right?" after figures that differ
                        + _WHICH_APPLIES + r")"
                        # a figure, or a range as the documents write them: "why 18?", "why 2-3 years?", "why 2.5?"
                        r"(?:\s+(?:is it\s+|is that\s+)?(\d{1,3}(?:\.\d)?(?:\s*(?:-|–|to)\s*\d{1,3}(?:\.\d)?)?)"
                        r"(?:\s*(?:months?|years?|yrs?))?)?"
                        # "why 2-3 years? which one applies to me": the two asked together
                        r"(?:\s*[?!.,]*\s*(?:and\s+|so\s+)?" + _WHICH_APPLIES + r")?\s*[?!.]*\s*$")
# A figure of time in an answer: "24 months", "2-3 years", "6 to 12 months", "2.5 years"
_FIGURE_SAID = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d)?(?:\s*(?:-|–|to)\s*\d{1,3}(?:\.\d)?)?)\s*(months?|years?)\b")
_RANGE_JOIN = re.compile(r"\s*(?:-|–|to)\s*")
# "why does SW4C say SW2B?", "how come the SW4C evidence mentions SW2B": a question about the documents' wording
_WHY_IT_SAYS = re.compile(r"\b(?:why|how come)\b.*\b(?:say|says|said|mention|mentions|list|lists|refer to|"
                          r"refers to|write|writes|put|puts)\s+(?:\w+\s+){0,2}?(?:sw|sco|kr|po)\s*-?\s*\d")
_BEYOND_MEANING = re.compile(r"\b(?:how|need|needed|which|when|where|level|competenc\w*|training|courses?|"
                             r"requirements?|become|get|required|expected)\b")
_TO_A_ROLE = re.compile(r"\b(?:progress(?:ion)?|move|moving|step|get|getting)\s+(?:up\s+)?to\b|\bbecom(?:e|ing)\b|"
                        r"\bpromot")
# "what is the Equality Act requirement for SW2?": one named part of what a role asks, not all of it
_NAMED_PART = re.compile(r"\b(?:the|any|an?)\s+[\w' -]{3,40}?\s+(?:requirements?|criteria|criterion|bit|part|element)"
                         r"\s+(?:for|at|of|in)\b")
# A role named as the people someone works with, not the role asked about: "supervising SCOs", "mentor NQSWs"
_OBJECT_OF = re.compile(r"\b(?:supervis\w*|manag(?:e|es|ing)|mentor\w*|line[- ]manag\w*|oversee\w*|oversight of|"
                        r"train(?:s|ing)?|teach\w*|support(?:s|ing)?|lead(?:s|ing)?)\s+(?:the\s+|new\s+|our\s+|"
                        r"newly qualified\s+|junior\s+|other\s+)?$")
# What comes before the level a question is about: "what do I need for (level) B", "to get to SW3C"
_GOAL_BEFORE = re.compile(r"\b(?:need|needed|required|ask|asks|asked|evidence|requirements?)\s+(?:for|to (?:get|reach|"
                          r"become|be|go for|move to))\s+(?:an?\s+|the\s+)?(?:level\s+)?"
                          r"(?:(?!from\b|at\b|on\b)\w+\s+)?$|"
                          r"\b(?:get to|go for|move (?:up )?to|progress to|reach|become)\s+(?:level\s+)?"
                          r"(?:(?!from\b|at\b|on\b)\w+\s+)?$")
_HOW_MANY = re.compile(r"\bhow many\b|\bhow much\b|\bwhat number of\b")
# Right before a role that is the goal of a move: "looking at going for team manager", "aiming for senior"
_GOING_FOR = re.compile(r"\b(?:go|goes|going|went|aim|aims|aiming|apply|applies|applying|put in|putting in)\s+for\s+"
                        r"(?:an?\s+|the\s+|level\s+)?$")
# "not sure if I'm 4A or 4B, how do I know?", "am I SW2B or SW2C?", "which level am I, SW3A or SW3B?": which of two
# levels (joined by "or") the person is at (never "how do I know which evidence…", "not sure whether SW2B or SW2C
# needs…", "not sure if I'm ready for SW2C")
_WHICH_AM_I = re.compile(
    r"\b(?:not sure|unsure|don'?t know|do not know|dunno|no idea|wondering|confused|can'?t tell|cannot tell)"
    r"(?: about)?\s+(?:if|whether|which|what)\s+(?:level\s+)?(?:i'?m|im|i am)\b"
    r"|\bam i (?:an? |on |at |in )?(?:level )?\S+(?: \S+)? or\b|\b(?:which|what) (?:level|grade|one) am i\b"
    r"|\bhow (?:do|can|would|will) i (?:know|tell|find out|work out) (?:which|what) (?:level|grade|one) i'?m\b"
    r"|\bhow (?:do|can|would|will) i (?:know|tell|find out|work out) (?:if|whether) (?:i'?m|im|i am)\b")
# Before a level that is to be passed over on the way to another role: "skip SW2C", "without doing SW2C"
_SKIPPED_BEFORE = re.compile(r"\b(?:skip|skipping|skipped|miss out|missing out|bypass|bypassing|jump over|"
                             r"jumping over|without(?: doing| reaching| getting| being| going through)?)\s+"
                             r"(?:level\s+|the\s+)?$")
# "I'm in the deaf services team, does that change anything?", "is there a different framework for the deaf team?":
# the team named (not "I'm deaf", not a "hearing"), and whether it makes a difference asked
_DEAF_TEAM = re.compile(r"\b(?:deaf|audiology)\b(?: and \w+)?(?: services?)? (?:team|services?|table|unit)\b")
_MAKES_A_DIFFERENCE = re.compile(
    r"\b(?:change|changes|changed|different|differently|differ|differs|difference|separate|own|special|"
    r"affect|affects|matter|matters|same|apply|applies|version)\b")
# Said of a deaf services answer's lines: what the deaf services table says in words of its own
_DEAF_WORDS = re.compile(r"\bdeaf|\bhearing\b|\baudiolog|\bsign language\b|\bBSL\b", re.I)


# Before a level the person says they hold or have held: "I'm SW2A", "im on sw2b", "I've been a senior A", "been a 2a"
_SAID_TO_BE_AT = re.compile(r"\b(?:i'?m|im|i am|i'?ve been|i have been|been|i was|currently)\s+"
                            r"(?:currently\s+|still\s+|now\s+)?(?:on\s+|at\s+)?(?:an?\s+)?(?:level\s+)?"
                            r"(?:(?:senior social worker|social worker|senior|team manager|social care officer|"
                            r"sco)\s+)?$")


class AnswerEngine(TimingReplies, BeyondReplies, TermReplies, SearchReplies, UnsaidReplies):
    def __init__(self, knowledge: Knowledge) -> None:
        self._mention_cache: dict[str, list[Criterion]] = {}
        self._role_stems_cache: dict[str, frozenset[str]] = {}
        self._order: dict[str, int] | None = None  # criterion uid -> its place in the documents
        self.k = knowledge
        self.retriever = Retriever(knowledge)
        self._cache: OrderedDict[tuple[str, Context | None, bool], Reply] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._glossary_terms = self._build_glossary_terms()
        self._year_levels_cache: dict[str, list[str]] = {}
        self._role_words_cache: dict[str, frozenset[str]] = {}
        self._kent_roles = tuple(r for r, info in knowledge.roles.items()
                                 if any("kent" in o.lower() for o in info.organisations))
        self._role_order = {r: i for i, r in enumerate(knowledge.roles)}  # the documents' order of roles
        # grade labels that are not role codes ("Range 4"), as typed, and the role each belongs to
        codes = {r.lower() for r in knowledge.roles}
        self._grade_labels = [(re.compile(rf"\b{re.escape(g.lower())}\b"), r) for r, info in knowledge.roles.items()
                              for g in info.grades if g.lower() not in codes]

    # ------------------------------------------------------------------------------------------
    def answer(self, question: str, *, context: Context | None = None) -> Reply:
        """A cited reply. Answers depend only on the question, the context and the (immutable) knowledge,
        so recent ones are kept: people ask the same few questions again and again."""
        # Most answers do not depend on the conversation's last answer: those are kept under the context
        # without it, so a follow-up context does not cost every later question its cached answer.
        plain = replace(context, last_role=None, last_level=None, last_topic=None,
                        last_variant=None) if context else None
        # Only a short message can lean on the conversation's last answer ("and 6?", "how do I progress to
        # senior?" after the PO3 post); a longer one is answered, and kept, without it. A short one asked after
        # an answer is looked up and kept with the conversation's context only, never under the plain key.
        if len((question or "").split()) > FOLLOW_UP_MAX_WORDS:
            context = plain
        key = (question, context)
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is not None:
            return cached.copy()
        reply = self._answer(question, context=context)
        if reply.status == "error":
            return reply  # never kept: the next asker gets a fresh attempt
        with self._cache_lock:
            self._cache[key] = reply.copy()
            while len(self._cache) > ANSWER_CACHE_SIZE:
                self._cache.popitem(last=False)
        return reply

    def _answer(self, question: str, *, context: Context | None = None) -> Reply:
        text, cut = clean_question(question)
        context = context or Context()
        if not re.search(r"[A-Za-z0-9]", text) or GREETING.match(text):
            reply = self.help_reply()
        else:
            q = parse(text)
            try:
                reply = self._route(q, context)
                about = reply.meta.get("role")
                if (about in self.k.roles and reply.meta.get("level") is None
                        and reply.meta.get("topic") in _ROLE_NOTE_TOPICS):
                    # what the framework data notes about the role as a whole (a missing footnote, shifted rows)
                    reply.notes += [n for n, _src in self.k.roles[about].notes if n not in reply.notes]
                if q.variant:  # the table answered from, for a follow-up ("what about level C?")
                    reply.meta.setdefault("variant", q.variant)
                self._other_levels_asked(q, reply)
                if q.time_in_place and reply.status == "answered" and reply.meta.get("topic") in (
                        "time_in_level", "experience", "next_step"):
                    # "I've been in the team for 2 years, can I go for SW3A?": not time at a level, nor PQE
                    place = q.time_in_place
                    reply.blocks.insert(0, Block(text=(
                        f"The framework counts time at a level and post-qualifying experience, not time {place}, "
                        f"so your time {place} has not been taken as either. Your manager or HR can say how much "
                        "of it was at your level or counts as post-qualifying experience.")))
                degree = _HIGHER_DEGREE.search(q.lower)
                if degree and reply.status == "answered" and not self._mentioned(degree.group(0)):
                    # "Do I need a master's for SW4?": no document asks for one; say so before what they do ask
                    reply.blocks.insert(0, Block(text=f"None of the framework documents mentions a "
                                                      f"{_DEGREE_NAMES.get(degree.group(0), degree.group(0))}. "
                                                      "What they do ask is below."))
            except Exception:  # a bug must not cost the person an answer; log it and say so plainly
                log.exception("answer engine failed")
                reply = Reply(
                    title="Sorry, something went wrong while answering that.",
                    blocks=[
                        Block(
                            text="Please try asking in a different way, for example: "
                            + "; ".join(f"“{e}”" for e in EXAMPLES[:3])
                        )
                    ],
                    status="error",
                )
        if cut:
            # said first, as part of the answer: "Notes on the source" are about the documents, not the message
            reply.blocks.insert(0, Block(text=f"Your message was very long, so only the first {MAX_TEXT} characters "
                                              "were read."))
        reply.meta.setdefault("question", text)
        return reply

    # -- routing -------------------------------------------------------------------------------
    def _route(self, q: Query, ctx: Context) -> Reply:
        if q.unknown_codes:
            return self._unknown_level(q)
        graded = [r for rx, r in self._grade_labels if rx.search(q.lower)]
        if len(graded) == 1 and not q.levels:  # "what is range 4?": a grade label, the role it belongs to
            if q.out_of_scope == "pay":  # "how much is range 4 paid?": no pay figures, and whose grade it is
                q.roles = [graded[0]]
                return self._out_of_scope(q, ctx)
            return self._grade(graded[0])
        if "practitioner level" in q.lower and not (set(q.roles) & {"KR9", "KR10"}):
            reply = self._pcf_practitioner()  # "what is the PCF practitioner level?"
            if reply is not None:
                return reply
        counted = self._what_counts(q, ctx)  # "does maternity leave count towards my time at SW2A?"
        if counted is not None:
            return counted
        if RETURNING.search(q.lower) and not q.covering:
            return self._returning(q, ctx)  # "coming back after a career break", "does my old time at SW2B count?"
        if q.kent and q.medway and not q.mapping and _COME_IN_AT.search(q.lower) and any(
                r in self._kent_roles for r in q.roles):
            # "moving from Kent as a KR10, what level would I come in at Medway?": no document maps the two
            q.roles = [*[r for r in q.roles if r in self._kent_roles],
                       *[r for r in ("SW2", "SW3") if r in self.k.roles]]
            return self._mapping(q)
        if q.mapping:
            return self._mapping(q)
        if q.covering:
            return self._covering(q)
        if q.out_of_scope == "hours" and CPD_HOURS.search(q.lower):
            return self._cpd_hours(q)  # "how many CPD hours do I need?": hours of learning, not of work
        if q.out_of_scope:
            return self._out_of_scope(q, ctx)
        if _FEELINGS.search(q.lower):
            return self._encourage(q, ctx)
        if _IN_ADDITION.search(q.lower):
            return self._in_addition()
        if _ASYE_TIME.search(q.lower):
            return self._asye_time()
        if q.kent and _KENT_EQUIVALENT.search(q.lower) and any(r not in self._kent_roles for r in q.roles):
            # "what's the Kent equivalent of SW3?": grades of two employers, which no document maps
            q.roles = [*q.roles, *[r for r in self._kent_roles if r not in q.roles]]
            return self._mapping(q)
        if _ABOUT_THE_DOCUMENTS.search(q.lower) and not q.levels:
            return self._documents()
        if _WHO_IS_IT_FOR.search(q.lower) and not q.levels:
            return self._who_for()
        if _FOR_MANAGERS.search(q.lower):
            return self._for_managers(q)
        if _YEARS_QUALIFIED.search(q.lower) and not q.levels or _LEVEL_SHOULD_I_BE.search(q.lower):
            return self._experience_by_level()
        if (_PQE_ASKED.search(q.lower) and _QUALIFIED_WHEN.search(q.lower) and not q.levels
                and not any(r in self.k.roles for r in q.roles)):
            return self._experience_by_level(title="How many years of post-qualifying experience depends on the level",
                                             term="PQE" if re.search(r"\bpqe\b", q.lower) else None)
        if _SAID_QUALIFIED.match(q.lower) and not q.levels and not q.roles:
            # "i qualified in june 2019": what the documents ask in post-qualifying experience (the router works out
            # the time since); after an answer about a level that gives a figure, that level's
            return self._qualified_said(ctx)
        other = _OTHER_TITLES.search(q.lower)
        if other and _THERAPIST.fullmatch(other.group(0)):
            # "can an occupational therapist be a team manager?", "what about an occupational therapist?" after "can
            # a nurse be a team manager?": the documents name the profession's qualification (Occupational Therapy),
            # so what they say of it for that role, as for a nurse; asked alone, there is still no such role
            named = [r for r, p in q.mentions if r in self.k.roles and not other.start() <= p < other.end()]
            after = (_FOLLOW_UP_LEAD.match(q.lower) and len(q.lower.split()) <= FOLLOW_UP_MAX_WORDS
                     and ctx.last_role in self.k.roles and self.k.roles[ctx.last_role].kind == "role")
            if named or after:
                text = _THERAPIST.sub("occupational therapy", q.text)
                return self._route(parse(text if named else f"{text} {self.k.roles[ctx.last_role].title}"), ctx)
        if other and not q.levels and not any(r in q.lower for r in ("sw2", "sw3", "sw4", "sco", "kr9", "kr10")):
            return self._other_title(other.group(0))
        alone = _LETTERS_ALONE.match(q.text)
        if alone and not self._glossary_terms.get(alone.group(1).lower()):  # "what's KR?": grade code letters
            reply = self._code_letters(alone.group(1))
            if reply is not None:
                return reply
        letters = _CODE_LETTERS.search(q.text)
        if letters and (letters.group(1).isupper() or len(letters.group(1)) > 2):  # "it", "is": words, not letters
            # "what does SW stand for?": the glossary's entry (SW and SCO are codes too, so looked up only when
            # asked like this), else the letters of grade codes ("KR")
            entry = self._glossary_terms.get(letters.group(1).lower())
            reply = (self._glossary(entry, quotes=bool(_BEYOND_MEANING.search(q.lower))) if entry
                     else self._code_letters(letters.group(1).upper()))
            if reply is not None:
                return reply
        term = self._glossary_term(q)
        if term and q.comparison and not q.levels and not q.roles and len(named := self._terms_named(q)) >= 2:
            return self._compared_terms(named)  # "AMHP vs BIA?"
        if term and self._asks_meaning(q, term):
            return self._glossary(term, quotes=bool(_BEYOND_MEANING.search(q.lower)))
        spelt_out = self._meaning_term(q)
        if spelt_out and self._asks_meaning(q, spelt_out):
            return self._glossary(spelt_out, quotes=bool(_BEYOND_MEANING.search(q.lower)))
        if ctx.last_topic == "pcf_domain" and not q.topics and (m := _DOMAIN_FOLLOW.match(q.lower)):
            q.pcf_domain = int(m.group(1))
            q.topics.insert(0, "pcf_domain")
        posts = [r for r in q.roles if r in self.k.roles and self.k.roles[r].kind == "role"]
        if ("pcf_domain" in q.topics and q.pcf_domain is None and len(posts) == 1
                and "experienced social worker" not in q.lower):  # that is the PCF level's own name
            # "which PCF level is a KR10 expected to work at?": what that post's documents say about the PCF
            said = [c for c in self.k.find(role=posts[0]) if re.search(r"\bPCF\b|Professional Capabilit", c.text)]
            if said:
                return self._reply(title=f"What the {self._role_name(posts[0])} documents say about the PCF",
                                   criteria=said, role=posts[0], level=None, topic="pcf_domain",
                                   choices=[self.ask_choice("About the PCF", "what is the PCF experienced level?")])
            reply = self._pcf(q)  # "which PCF level for SW3B?": not said; the appendix's level, with that caveat
            reply.blocks.insert(0, Block(text=f"The {self._role_name(posts[0])} documents do not say which level of "
                                              "the PCF applies. The framework's PCF appendix describes this level:"))
            return reply
        if "pcf_domain" in q.topics and (q.pcf_domain is not None or not q.roles or "PCF" in q.roles
                                         or "experienced social worker" in q.lower):
            return self._pcf(q)
        roles = [r for r in q.roles if r in self.k.roles]
        levels = [(r, lv) for r, lv, _ in q.levels if r in self.k.roles]
        to_be = _TO_BE_TO_BE.search(q.lower) if len(roles) >= 2 else None
        goal = next((r for r, p in q.mentions if to_be and p >= to_be.end() and r in self.k.roles), None)
        if goal and self.k.roles[goal].levels:
            # "do I need to be a social worker to be a team manager?": what the goal's entry level asks for
            roles, q.topics = [goal], ["qualifications"]
            levels = [(goal, next(iter(self.k.roles[goal].levels)))]
        elif len(roles) >= 2 and _NEEDS_TO_BE.search(q.lower):
            # "do team managers need to be social workers?": what the first role's entry level asks for
            first = next(iter(self.k.roles[roles[0]].levels), None)
            roles, q.topics = roles[:1], ["qualifications"]
            levels = [(roles[0], first)] if first else []
        if roles and not levels and all(_OBJECT_OF.search(q.lower[max(0, p - 40):p])
                                        for r, p in q.mentions if r in roles):
            return self._free(q)  # "when do I start supervising SCOs?": who supervises them, not what SCOs do
        if (q.variant == "Deaf services" and not levels and not q.bare_levels and set(roles) <= {"SCO", *ONE_LADDER}
                and not any(t in q.topics for t in (*LEVEL_TOPICS, "evidence", "duties", "time_in_level"))
                and _DEAF_TEAM.search(q.lower) and _MAKES_A_DIFFERENCE.search(q.lower)):
            reply = self._deaf_services_table(roles)  # "I'm in the deaf services team, does that change anything?"
            if reply is not None:
                return reply
        if not roles and q.variant == "Deaf services" and "SCO" in self.k.roles:
            roles = ["SCO"]
            levels = [("SCO", lv) for lv, _ in q.bare_levels if lv in self.k.roles["SCO"].levels]
            if not levels and ctx.last_role == "SCO" and ctx.last_level and _FOLLOW_UP_LEAD.match(q.lower):
                # "what about the deaf team?" after SCO 4B's skills: the deaf services table's, at the same level
                levels = [("SCO", ctx.last_level)]
                if not q.topics and ctx.last_topic in (*LEVEL_TOPICS, "evidence"):
                    q.topics.insert(0, ctx.last_topic)
        if q.kent and not levels and not any(r in self._kent_roles for r in roles):
            # "Kent social worker requirements": the Kent posts, not Medway's Social Worker (SW2)
            roles = list(self._kent_roles)
            if len(roles) > 1 and _YES_NO.match(q.lower) and not q.topics and not re.search(
                    r"\b(?:framework|version|medway|transfer|move|career)\b", q.lower):
                # "does Kent require MCA training?": what the Kent posts say about it, not their overviews
                found = [r for r in (self._role_hits(q, role) for role in roles) if r is not None]
                if found:
                    return self._merged(found)
                said = self._said_elsewhere(q, roles[0], None, where="the Kent posts")
                if said is not None:
                    return said
            if len(roles) > 1 and q.topic in ("values", "competencies", "special_conditions", None):
                return self._across_roles(q, roles)
        if (ctx.last_role == "PO3" and roles == ["SW3"] and not levels and not re.search(r"\bsw\s*3|medway", q.lower)
                and len(q.lower.split()) <= 10):
            roles = ["PO3"]  # after the children's services post, "senior" is that post, not Medway's SW3
            q.roles = ["PO3"]
        why = _WHY_ALONE.match(q.lower) if ctx.last_role and ctx.last_topic and not roles else None
        if why:  # "why 18?", "source?" after an answer: where its figures come from, with the notes on them
            reply = self._why_that(ctx, why.group(1), which=bool(re.search(r"\bwhich\b", q.lower)))
            if reply is not None:
                return reply
        follow = self._follow_up(q, roles, levels, ctx)
        if follow is not None:
            roles, levels = follow
        if not roles and not ctx.last_role and not q.bare_levels and (lone := _LONE_LETTER.match(q.text)):
            q.bare_levels.append((lone.group(1).upper(), lone.start(1)))  # "and B?" with nothing before it
        if not roles and ctx.role and (q.bare_levels or q.topics or q.overview or q.next_step or q.comparison):
            # "what do I need for B?" from someone whose record says SW2A
            roles = [ctx.role]
            levels = [(ctx.role, lv) for lv, _ in q.bare_levels if lv in KNOWN_LEVELS.get(ctx.role, "")]
            if not levels and ctx.level and (q.next_step or "time_in_level" in q.topics or "evidence" in q.topics):
                nxt = self.k.next_level(ctx.role, ctx.level)
                if q.next_step and not q.topics and not (nxt and _ASKS_WHAT_IS_NEEDED.search(q.lower)):
                    return self._next_step(ctx.role, ctx.level)
                levels = [(ctx.role, nxt or ctx.level)]
                q.next_step = False
        if (
            not roles
            and not q.topics
            and (
                re.search(r"\b(?:levels|roles|grades|jobs|posts)\b", q.lower)
                and re.search(r"\b(?:what|which|list|show|how many|explain|describe|tell me|overview)\b", q.lower)
                or re.search(r"\b(?:highest|top|lowest|most senior)\s+(?:level|grade|role|job|post)\b", q.lower)
            )
        ):
            return self._framework_overview()
        if q.year and not levels:  # "SW2 year 2": the level the framework splits into Year 1 and Year 2
            levels = [(r, lv) for r in roles for lv in self._year_levels(r)][:1] or [
                (r, next(iter(self.k.roles[r].levels))) for r in roles if self.k.roles[r].levels][:1]
        if q.next_step and not roles and not levels:
            return self._next_step_for_whom()
        if _STUDENT.search(q.lower) and "SW2" in self.k.roles and not levels:
            return self._for_students()
        if len(levels) >= 2 and not q.comparison and _WHY_IT_SAYS.search(q.lower):
            named = self._names_another_level(levels)
            if named is not None:  # "why does SW4C say SW2B?": those lines and their notes, not SW2B's needs
                return named
        placed = sorted({(r, lv): p for r, lv, p in q.levels if r in self.k.roles}.values())
        if (len(set(levels)) == 2 and len(placed) == 2 and not q.comparison and _WHICH_AM_I.search(q.lower)
                and re.search(r"\bor\b|/", q.lower[placed[0]:placed[1]])):
            # "not sure if I'm 4A or 4B, how do I know?": what separates the two, and who says which one it is
            q.comparison = True
            reply = self._compare(q, levels)
            if reply.meta.get("topic") == "comparison":
                reply.blocks.insert(0, Block(text="The framework describes what each level asks for; it does not "
                                                  "place anyone at one. Which level you are at is for you and your "
                                                  "manager to agree, and a self-assessment is a good way to start "
                                                  "that conversation. What separates the two:"))
            return reply
        move = self._role_move(q, roles, levels) or self._top_level_skipped(q, roles, levels)
        if move is not None:
            return move
        if q.comparison and len(roles) >= 2 and not levels:
            return self._compare_roles(roles[:3])
        if _SKIP.search(q.lower) and levels and "time_in_level" not in q.topics and not q.comparison:
            # "Can I skip SW3A and go straight to SW3B?": the framework's answer is the time it asks at SW3A
            q.topics.insert(0, "time_in_level")
        if "time_in_level" in q.topics and roles:
            if len(roles) > 1 and not levels:  # "I've been a KR9 for 3 years, am I eligible for KR10?": KR10
                asked = self._asked_role(q, roles)
                roles = [asked, *[r for r in roles if r != asked]]
            path = self._path_ends(q, roles, levels, ctx)
            if path is None and len(levels) == 1 and ctx.role != levels[0][0] and _FROM_THE_START.search(q.lower):
                # "how long does it take to get to SW2C?": from the role's first level, every step
                role, goal = levels[0]
                first = next(iter(self.k.roles[role].levels), None)
                if first and goal > first and self.k.next_level(role, first) != goal:
                    path = (role, first), (role, goal)
            reply = self._path_time(*path) if path is not None else self._time_in_level(q, roles, levels)
            if _SKIP.search(q.lower) and not any(b.text == _SKIP_NOTE for b in reply.blocks):
                reply.blocks.insert(0, Block(text=_SKIP_NOTE))
            goal = reply.meta.get("level")
            two = _TWO_ASKS.search(q.lower) if goal and reply.meta.get("role") else None
            if two:
                # "what do I need for SW3B and how long does it take?", "how long at SW2A and what evidence for
                # SW2B?": the time is answered; the rest is a button away, and said so rather than silently dropped
                code = self.k.code(reply.meta["role"], goal)
                other = two.group("first") or two.group("second")
                if other:
                    label, asked, what = (f"{other.capitalize()} for {code}", f"{other} for {code}",
                                          f"the {other} {code} asks for")
                else:
                    label, asked, what = f"What {code} needs", f"what do I need for {code}", f"what {code} asks"
                reply.blocks.insert(0, Block(text=f"You asked two things. This is the time; for {what}, "
                                                  f"choose “{label}” below."))
                if label not in [c.label for c in reply.choices]:
                    reply.choices.insert(0, self.ask_choice(label, asked))
            return reply
        if roles and roles[0] in self.k.roles and self.k.roles[roles[0]].levels and _TOP_OR_HOW_MANY.search(q.lower) \
                and len({r for r, _lv in levels}) <= 1:
            # "is SW4C the highest level?", "what's the top level for a senior?", "how many levels do SWs have?"
            return self._levels_of(roles[0], levels[-1][1] if levels else None,
                                   how_many=bool(re.search(r"\bhow many\b", q.lower)))
        if q.next_step and roles:
            current = levels[-1][1] if levels else ctx.level if ctx.role == roles[0] else None
            if len(levels) > 1:  # "how do SCOs progress from A to B?": the step starts at the level left
                placed = [(lv, p) for r, lv, p in q.levels if r == roles[0]]
                left = [lv for lv, p in placed if _CURRENT_BEFORE.search(q.lower[max(0, p - 30):p])]
                current = left[0] if left else min(lv for lv, _ in placed)
            return self._next_step(roles[0], current)
        if q.comparison and len(levels) >= 1 and roles:
            return self._compare(q, levels)
        if "development" in q.topics and roles and self._to_a_role(q):
            # "how do I progress to senior in children's services?": what that post asks as evidence, not the
            # guide's general ways of developing
            q.topics = ["evidence" if t == "development" else t for t in q.topics]
        if "development" in q.topics or ("guidance" in q.topics and not roles):
            return self._guidance(q)
        if levels:
            role, level = self._asked_level(q, levels)
            return self._level(q, role, level)
        if roles:
            role = self._asked_role(q, roles)
            if q.bare_levels and self.k.roles[role].levels == {}:
                return self._no_levels(role, q)
            if (ctx.role == role and ctx.level in self.k.roles[role].levels and not q.topics
                    and self._role_is_the_goal(q, role)):
                # "I'm going for senior" from someone whose record says SW3A: already in the role, so the level
                # after theirs, not the role's first level
                return self._goal_role_held(role, ctx.level)
            return self._role(q, role)
        if term and not q.bare_levels and (not q.topics or q.topics == ["competencies"]):
            # "what are the KMSAB competencies 1-5?": the lines that cite KMSAB (but "what values does ASC
            # expect?" asks for the values, whatever ASC stands for)
            return self._glossary(term)
        if q.topic in ("values", "competencies", "special_conditions") and not q.bare_levels:
            return self._across_roles(q, list(self.k.roles))
        degree = _HIGHER_DEGREE.search(q.lower)
        if degree and not q.bare_levels and not self._mentioned(degree.group(0)):
            return self._not_mentioned([degree.group(0)])  # "do I need a master's?", no role named
        if q.bare_levels or (
            q.topics
            and q.topics[0] in LEVEL_TOPICS + ("evidence", "duties", "time_in_level")
            and (not self._strong_free_text(q) or self._about_own_time(q) or len(q.lower.split()) <= 2)
            and not self._one_role_says(q)
        ):
            return self._which_role(q)
        if term:
            return self._glossary(term)
        return self._free(q)

    # -- small helpers ---------------------------------------------------------------------------

    def _specific_topic(self, q: Query) -> bool:
        return any(t in q.topics for t in ("time_in_level", "evidence", "pcf_domain")) or q.comparison or q.next_step

    def _role_name(self, role: str) -> str:
        info = self.k.roles.get(role)
        if not info:
            return role
        org = f", {info.organisations[0]}" if info.organisations and info.kind == "role" and not info.levels else ""
        if info.kind == "reference":
            return info.title
        return f"{info.title} ({role}{org})"

    def _sources(self, criteria: list[Criterion] | list[TimeRule]) -> list[str]:
        by_doc: OrderedDict[str, list[str]] = OrderedDict()
        titles: dict[str, str] = {}
        for c in criteria:
            src = c.source
            org = f", {src.organisation}" if src.organisation else ""
            titles[src.document_id] = f"{src.document_title}{org} (document {src.document_id})"
            headings = by_doc.setdefault(src.document_id, [])
            if src.heading not in headings:
                headings.append(src.heading)
        return [f"{titles[d]}: {'; '.join(h)}" for d, h in by_doc.items()]

    def _blocks(self, criteria: list[Criterion], *, key=None) -> tuple[list[Block], list[str]]:
        """Group criteria into titled blocks; item notes go under their block; return (blocks, notes)."""
        key = key or _heading_with_group
        groups: OrderedDict[str, list[Criterion]] = OrderedDict()
        for c in criteria:
            groups.setdefault(key(c), []).append(c)
        blocks = []
        seen_notes: set[str] = set()  # a section note shared by several blocks is shown once
        for title, items in groups.items():
            block = Block(title=title)
            for c in items:
                block.bullets.append(c.text)
                if c.note:
                    block.notes.append(f"“{_short(c.text)}”: {c.note}")
            section_notes = [
                n for n in dict.fromkeys(c.section_note for c in items if c.section_note) if n not in seen_notes
            ]
            seen_notes.update(section_notes)
            block.notes = section_notes + block.notes
            blocks.append(block)
        return blocks, []

    def _reply(
        self,
        *,
        title: str,
        criteria: list[Criterion],
        role: str | None,
        level: str | None,
        topic: str,
        key=None,
        extra_blocks: list[Block] | None = None,
        rules: list[TimeRule] | None = None,
        choices: list[Choice] | None = None,
        footer: str | None = None,
        status: str = "answered",
    ) -> Reply:
        blocks, _ = self._blocks(criteria, key=key)
        blocks += extra_blocks or []
        reply = Reply(
            title=title,
            blocks=blocks,
            sources=self._sources(list(criteria) + list(rules or [])),
            choices=choices or [],
            footer=footer,
            status=status,
        )
        reply.meta.update(role=self._public_role(role), level=level, topic=topic)
        return reply

    def _why_that(self, ctx: Context, figure: str | None, *, which: bool = False) -> Reply | None:
        """"Why 18?" after the time at SW3B: the last answer's parts with notes (those that give the figure, when
        one is asked about), as the documents give them. The documents give reasons for nothing; the notes say
        where figures differ or were mistyped."""
        if ctx.last_role not in self.k.roles:
            return None
        code = self.k.code(ctx.last_role, ctx.last_level) if ctx.last_level else ctx.last_role
        # the time answer's level is the one moved to: "how long before SW3A" would read as the time at SW3A
        asked = {"time_in_level": f"how long before I can go for {code}", "evidence": f"evidence for {code}",
                 "overview": f"what is {code}"}.get(ctx.last_topic or "")
        if asked is None and ctx.last_topic in LEVEL_TOPICS:
            asked = f"{TOPIC_TITLES[ctx.last_topic].lower()} for {code}"
        if asked is None:
            return None
        last = self.answer(asked, context=Context(role=ctx.role, level=ctx.level))
        if figure is not None:  # "2-3", "2 to 3" and "2–3" are one range; "2.5" is not "2" or "5"
            figure = "-".join(re.findall(r"\d+(?:\.\d)?", figure))
            said = r"\s*(?:-|–|to)\s*".join(re.escape(n) for n in figure.split("-"))
            pattern = re.compile(rf"(?<![\w.]){said}(?!\w|\.\d)")
        parts = [b for b in last.blocks if figure is None or pattern.search(
            " ".join([b.title or "", b.text or "", *b.bullets]))]
        if not parts and figure is not None:  # "why 2.5?": a figure only a note gives (another document's)
            parts = [b for b in last.blocks if any(pattern.search(n) for n in b.notes)]
        noted = [Block(title=b.title, bullets=b.bullets[:3], notes=b.notes) for b in parts if b.notes]
        if not parts and figure is not None:
            return self._figure_not_there(last, code, figure)
        if not parts:
            return None
        blocks = noted or [Block(title=b.title, text=b.text, bullets=b.bullets[:3]) for b in parts[:3]]
        blocks.append(Block(text="The documents give no reasons for their figures or requirements; "
                                 + ("the notes above say where they differ or look mistyped, and " if noted else "")
                                 + "the sources below say where each comes from. Your manager can say which applies "
                                   "to you."))
        title = (f"Which applies to you: the documents do not say ({code})" if which else
                 f"Where {'“' + figure + '”' if figure else 'that'} comes from: {code}")
        reply = Reply(title=title, blocks=blocks,
                      notes=list(last.notes), sources=list(last.sources), choices=list(last.choices)[:3])
        reply.meta.update(last.meta)
        return reply

    def _figure_not_there(self, last: Reply, code: str, figure: str) -> Reply:
        """"Why 12?" when the last answer has no 12: say so, and which figures it does give (each a button), rather
        than search the documents for the number."""
        said = [" ".join([b.text or "", *b.bullets]) for b in last.blocks] + [n for b in last.blocks for n in b.notes]
        found = [_RANGE_JOIN.sub("-", m.group(1)) + " " + m.group(2) for text in said
                 for m in _FIGURE_SAID.finditer(text)]
        figures = list(dict.fromkeys(found))[:4]
        if figures:
            text = ("The figures it gives are " + ", ".join(f"“{f}”" for f in figures[:-1])
                    + (" and " if len(figures) > 1 else "") + f"“{figures[-1]}”. Which one do you mean?")
        else:
            text = "It gives no figure in months or years. Which figure do you mean?"
        reply = Reply(title=f"There is no “{figure}” in my last answer ({code})", blocks=[Block(text=text)],
                      choices=[self.ask_choice(f"Why {f}?", f"why {f}?") for f in figures[:3]], status="clarify")
        reply.meta.update({k: v for k, v in last.meta.items() if k in ("role", "level", "topic", "variant")})
        return reply

    def _names_another_level(self, levels: list[tuple[str, str]]) -> Reply | None:
        """"Why does SW4C say SW2B?": the first level's lines that name the other, with their notes (where a
        typo is noted, that is the answer); None when no line of it does."""
        (role, level), code = levels[0], self.k.code(*levels[0])
        for other in dict.fromkeys(self.k.code(r, lv) for r, lv in levels[1:]):
            typed = r"\s*".join(re.escape(ch) for ch in other.replace(" ", ""))
            lines = [c for c in self.k.find(role=role, level=level) if re.search(rf"\b{typed}\b", c.text, re.I)]
            if not lines or other == code:
                continue
            said = "The notes above say what is known about this wording." if any(c.note for c in lines) else \
                "The documents do not say why."
            return self._reply(title=f"Where {code} names {other}", criteria=lines, role=role, level=level,
                               topic="wording", extra_blocks=[Block(text=said)],
                               choices=self._level_choices(role, level))
        return None

    def _other_levels_asked(self, q: Query, reply: Reply) -> None:
        """"Qualifications for SW3A and SW3C": one level is answered; the other is said and a button away, never
        silently dropped (comparisons and paths answer both already)."""
        role, level = reply.meta.get("role"), reply.meta.get("level")
        if not role or not level or reply.status != "answered" or q.comparison or reply.meta.get("topic") in (
                "time_in_level", "role_change", "comparison", "path", "wording"):
            return
        asked = list(dict.fromkeys((r, lv) for r, lv, _ in q.levels if r in self.k.roles))
        # the level the person says they are at ("I'm SW2A, what evidence for SW2B?") was not asked about
        held = {(r, lv) for r, lv, p in q.levels if _SAID_TO_BE_AT.search(q.lower[max(0, p - 40):p])}
        others = [self.k.code(r, lv) for r, lv in asked if (r, lv) != (role, level) and (r, lv) not in held]
        if len(asked) < 2 or not others or (role, level) not in asked:
            return
        topic = reply.meta.get("topic")
        what = ("evidence" if topic == "evidence" else
                TOPIC_TITLES.get(topic, "").lower() if topic in LEVEL_TOPICS else "")
        reply.blocks.append(Block(text=f"You also asked about {' and '.join(others)}: this answer is for "
                                       f"{self.k.code(role, level)} only. Choose below for the other."))
        for code in others[:2]:
            reply.choices.insert(0, self.ask_choice(f"{what.capitalize() or 'What'} for {code}" if what else
                                                    f"What {code} needs",
                                                    f"{what or 'what do I need'} for {code}"))

    def _public_role(self, role: str | None) -> str | None:
        info = self.k.roles.get(role) if role else None
        return role if info and info.kind == "role" else None

    def ask_choice(self, label: str, question: str) -> Choice:
        return Choice(label=label, value={"action": "ask", "question": question})

    def evidence_choices(self, code: str) -> list[Choice]:
        """An "Evidence for SW3B" button, where the framework lists evidence for that level (SCO levels have none)."""
        from bot.answers.questions import resolve_level

        try:
            role, level = resolve_level(self.k, code)
        except ValueError:
            return []
        if not level or not self.k.find(role=role, level=level, topic="evidence"):
            return []
        return [self.ask_choice(f"Evidence for {code}", f"evidence for {code}")]

    def time_choices(self, code: str) -> list[Choice]:
        """A "Time needed for SW3B" button, where the framework sets a time in level before that level."""
        from bot.answers.questions import resolve_level

        try:
            role, level = resolve_level(self.k, code)
        except ValueError:
            return []
        if not level or not self.k.rules_for(role, level):
            return []
        return [self.ask_choice(f"Time needed for {code}", f"how long before I can go for {code}")]

    def _level_choices(self, role: str, level: str, *, exclude: str = "") -> list[Choice]:
        code = f"{self.k.code(role, level)}"
        out = []
        if exclude != "evidence" and self.k.find(role=role, level=level, topic="evidence"):
            out.append(self.ask_choice(f"Evidence for {code}", f"evidence for {code}"))
        prev = self.k.previous_level(role, level)
        if prev and exclude != "time" and self.k.rules_for(role, level):  # no button to "no minimum time"
            out.append(
                self.ask_choice(
                    f"Time needed at {self.k.code(role, prev)}", f"how long at {self.k.code(role, prev)} before {code}"
                )
            )
        if prev and exclude != "compare":
            out.append(self.ask_choice(f"What {code} adds", f"difference between {self.k.code(role, prev)} and {code}"))
        out.append(Choice(label=f"Self-assessment for {code}", value={"action": "assess", "level": code}))
        return out

    # -- not in the framework (the rest of those replies are in beyond.py) --------------------------
    def _no_levels(self, role: str, q: Query) -> Reply:
        info = self.k.roles[role]
        reply = Reply(
            title=f"{self._role_name(role)} has no levels A, B or C in the framework.",
            blocks=[
                Block(
                    text=f"The {info.title} ({role}) document describes one grade with no Developing, "
                    "Practising or Accomplished levels, so there is nothing level-specific to show."
                )
            ],
            choices=[self.ask_choice(f"About {role}", f"tell me about {role}")],
            status="not_in_framework",
        )
        reply.meta.update(role=self._public_role(role), level=None, topic="out_of_scope")
        return reply

    # -- routing helpers (the glossary and the PCF are in terms.py, searching the criteria in search.py) ------

    @staticmethod
    def _to_a_role(q: Query) -> bool:
        """"Progress to senior", "become a team manager": a role named right after the verb (not "become a better
        social worker", which is about developing)."""
        for m in _TO_A_ROLE.finditer(q.lower):
            if any(0 <= p - m.end() <= 6 for _r, p in q.mentions) and not re.match(
                    r"\s*(?:an?\s+|the\s+)?(?:better|good|great|more|confident|effective)\b", q.lower[m.end():]):
                return True
        return False

    def _follow_up(self, q: Query, roles: list[str], levels: list[tuple[str, str]],
                   ctx: Context) -> tuple[list[str], list[tuple[str, str]]] | None:
        """A short follow-up to the answer just given: 'what about C?' (same role and topic, level C), 'and the
        evidence?' (same level, new topic), 'what about SW2C?' (same topic, new level). None when the message
        stands on its own."""
        role = ctx.last_role
        if not role or role not in self.k.roles or not self._followable(q):
            return None
        if self.k.roles[role].kind != "role":
            return None  # after a PCF answer, "how long before I can progress?" is not about the PCF
        lead = _FOLLOW_UP_LEAD.match(q.lower)
        if ctx.last_variant and not q.variant and not roles:
            q.variant = ctx.last_variant  # "what about level C?" after the deaf services table: the same table
        if not q.topics and (lead and _TIME_WORD.search(q.lower) or _WHEN_ALONE.match(q.lower)):
            q.topics.append("time_in_level")  # "and the time?" after the evidence for SW2C
        inherit_topic = ctx.last_topic in (*LEVEL_TOPICS, "evidence", "time_in_level", "overview")
        if roles:
            if lead and not q.topics and inherit_topic and ctx.last_topic != "overview" and (
                    levels or ctx.last_topic == "time_in_level"):
                q.topics.insert(0, ctx.last_topic)  # "what about SW2C?" after the evidence for SW3C
            elif (lead and lead.group(0).strip() == "for" and not q.topics and not levels and inherit_topic
                  and ctx.last_topic != "overview"
                  and len(roles) == 1 and roles[0] != role and ctx.last_level
                  and ctx.last_level in KNOWN_LEVELS.get(roles[0], "")):
                # "for SW3?" after the skills for SW2C: the same question, at the same level of that role (SW3C);
                # "what about SW3?" stays the role as a whole
                q.topics.insert(0, ctx.last_topic)
                return roles, [(roles[0], ctx.last_level)]
            return None
        known = KNOWN_LEVELS.get(role, "")
        lone = _LONE_LETTER.match(q.text)
        if lone and not q.bare_levels:  # "what about C?", "B": a letter alone is a level only as a follow-up
            q.bare_levels.append((lone.group(1).upper(), lone.start(1)))
        if q.bare_levels and all(lv in known for lv, _ in q.bare_levels):
            if not q.topics and inherit_topic and ctx.last_topic != "overview":
                q.topics.insert(0, ctx.last_topic)
            return [role], [(role, lv) for lv, _ in q.bare_levels]
        own_progress = ctx.role and _FIRST_PERSON.search(q.lower) and ("time_in_level" in q.topics or q.next_step)
        if not lead and (_FRAMEWORK_WIDE.search(q.lower) or own_progress):
            # "how many levels are there?", "how do I use the framework?": about the framework, not the last
            # answer; "how long until I can progress?" from someone with a recorded level: their own level
            return None
        follow_topics = [t for t in q.topics if t in (*LEVEL_TOPICS, "evidence", "time_in_level", "overview",
                                                      "duties")]
        if follow_topics and (lead or len(q.lower.split()) <= 6) and not q.out_of_scope:
            if ctx.last_level and ctx.last_level in known:
                return [role], [(role, ctx.last_level)]  # "and the evidence?"
            return [role], []  # "what qualifications?" after the Team Manager overview: the same role
        if not q.topics and not q.out_of_scope and _SHORT_ASK.match(q.lower):
            # "do I need to write a statement?" after SW2C's evidence; "do they need a car?" after a role
            return [role], ([(role, ctx.last_level)] if ctx.last_level and ctx.last_level in known else [])
        return None

    @staticmethod
    def _followable(q: Query) -> bool:
        """Whether a message could be a follow-up at all, whatever the last answer was: short, and either led
        by "and…"/"what about…" or naming no role ("C", "and the evidence?")."""
        if len(q.lower.split()) > 8:
            return False
        lead = _FOLLOW_UP_LEAD.match(q.lower)
        words = len(q.lower.split())
        if q.roles:  # "what about SW2C?"; "what about SW4?" (kept to the last answer's topic if it was the time)
            return bool(lead and not q.topics and (q.levels or words <= 5))
        return bool(q.bare_levels or _LONE_LETTER.match(q.text) or (q.topics and (lead or words <= 6))
                    or (lead and _TIME_WORD.search(q.lower)) or _WHEN_ALONE.match(q.lower)
                    or (not q.topics and words <= 7 and _SHORT_ASK.match(q.lower)))

    @staticmethod
    def _asked_role(q: Query, roles: list[str]) -> str:
        """Of several roles, the one asked about: "I'm on KR9. What does the KR10 spec say?" asks about KR10."""
        current = {r for r, p in q.mentions if _HELD_BEFORE.search(q.lower[max(0, p - 30):p])}
        asked = [r for r in roles if r not in current]
        return asked[0] if asked and current else roles[0]

    def _asked_level(self, q: Query, levels: list[tuple[str, str]]) -> tuple[str, str]:
        """Of two levels in one question, the one asked about: 'how do I get from SCO B to SCO C?' and 'how do
        I get to SW2C from SW2B?' both ask about C; a level said to be where the person is, or is coming from,
        is not the one asked about."""
        if len(levels) > 1:
            placed = [(r, lv, p) for r, lv, p in q.levels if (r, lv) in levels]
            about = [(r, lv) for r, lv, p in placed if re.search(r"\b(?:what|how) about\s+(?:level\s+)?$",
                                                                  q.lower[max(0, p - 20):p])]
            if len(about) == 1:  # "I have the knowledge needed for SW3A, what about SW3B?"
                return about[0]
            # "what do I need for level B?" after "I'm an SCO level A": the level after "for"/"to" is the goal
            wanted = [(r, lv) for r, lv, p in placed if _GOAL_BEFORE.search(q.lower[max(0, p - 30):p])]
            if len(wanted) == 1:
                return wanted[0]
            goals = [(r, lv) for r, lv, p in placed if not _CURRENT_BEFORE.search(q.lower[max(0, p - 30):p])
                     and not _SAID_TO_BE_AT.search(q.lower[max(0, p - 40):p])]  # "I'm a senior A, … senior C?"
            if goals and len(goals) < len(placed):
                return goals[0]
        if q.lower.rstrip("?").endswith(levels[-1][0].lower() + levels[-1][1].lower()):
            return levels[-1]
        return levels[0]

    # -- which level (time in level, next steps and paths are in timing.py) -------------------------------
    def _clarify_level(
        self, role: str, title: str, template: str, *, topic: str, levels_from: tuple[str, ...] = ("A", "B", "C")
    ) -> Reply:
        info = self.k.roles[role]
        choices = [
            self.ask_choice(
                f"{self.k.code(role, lv)} ({info.levels[lv]})", template.format(code=f"{self.k.code(role, lv)}")
            )
            for lv in levels_from
            if lv in info.levels
        ]
        reply = Reply(title=title, blocks=[Block(text="Which level do you mean?")], choices=choices, status="clarify")
        reply.meta.update(role=role, level=None, topic=topic)
        return reply

    # -- next step / comparison ----------------------------------------------------------------------
    def _compare(self, q: Query, levels: list[tuple[str, str]]) -> Reply:
        named = list(dict.fromkeys(levels))  # "SW3B vs SW3C vs SW4A": every level named, once, in order
        role, later = named[-1]
        if len({r for r, _lv in named}) > 1:
            if any(r not in ONE_LADDER for r, _lv in named):
                return self._mapping(q)
            # "compare SW3C and SW4A", "SW3B vs SW3C vs SW4A": levels of two roles, side by side (three at most)
            return self._side_by_side(named[:MAX_SIDE_BY_SIDE], left_out=named[MAX_SIDE_BY_SIDE:])
        if len(named) >= 2:  # "SW3A vs SW3B vs SW3C", "SW3C vs SW3A": from the lowest named to the highest
            earlier, later = min(lv for _r, lv in named), max(lv for _r, lv in named)
        else:
            earlier = self.k.previous_level(role, later)
        if earlier is None or earlier == later:
            return self._level(q, role, later)
        added = [
            c
            for lv in ("B", "C")
            if earlier < lv <= later
            for t in LEVEL_TOPICS
            for c in self.k.find(role=role, level=lv, topic=t)
        ]
        added, footer = self._variant_filter(q, added)  # one table: the standard one unless another is asked
        # the evidence for the level compared to, and for any level named between ("SW3A vs SW3B vs SW3C")
        between = [lv for _r, lv in named if earlier < lv < later]
        evidence = [c for lv in (*between, later) for c in self.k.find(role=role, level=lv, topic="evidence")]
        rules = [r for r in self.k.time_rules if r.role == role and earlier <= r.from_level < later]
        wanted = [t for t in q.topics if t in LEVEL_TOPICS]
        if wanted:  # "SW3B vs SW3C experience": that part of each table only
            added = [c for c in added if c.topic in wanted]
            titles = [TOPIC_TITLES[t].lower() for t in wanted]
            evidence = [c for c in evidence if any(t in (c.group or c.source.heading).lower() for t in titles)]
            rules = rules if "experience" in wanted else []
        blocks = []
        if rules:
            blocks.append(
                Block(
                    title="Time in level",
                    bullets=[
                        f"{r.months_text} at {self.k.code(role, r.from_level)} before {self.k.code(role, r.to_level)}: "
                        f"“{r.text}” (document {r.source.document_id})"
                        for r in rules
                    ],
                    notes=[r.note for r in rules if r.note],
                )
            )
        crit_blocks, _ = self._blocks(
            added,
            key=lambda c: (
                f"{self.k.code(role, c.level)} – {TOPIC_TITLES[c.topic]}" + (f" ({c.group})" if c.group else "")
            ),
        )
        ev_blocks, _ = self._blocks(
            evidence, key=lambda c: f"Evidence for {self.k.code(role, c.level)}" + (f" – {c.group}" if c.group else "")
        )
        adding = [self.k.code(role, lv) for lv in (*between, later)]
        lead = (f"{self.k.code(role, later)} asks for everything at {self.k.code(role, earlier)}, plus the following."
                if not between else
                f"Each level asks for everything at the levels below it: {adding[0]} adds the following to "
                f"{self.k.code(role, earlier)}, and {' and '.join(adding[1:])} add{'s' if len(adding) == 2 else ''} "
                f"more on top.")
        reply = Reply(
            title=f"What {' and '.join(adding)} add{'s' if len(adding) == 1 else ''} to {self.k.code(role, earlier)}",
            blocks=[Block(text=lead)]
            + blocks
            + crit_blocks
            + ev_blocks,
            sources=self._sources(list(rules) + added + evidence),
            choices=self._level_choices(role, later, exclude="compare"),
            footer=footer,
        )
        reply.meta.update(role=role, level=None, topic="comparison")
        return reply

    def _side_by_side(self, levels: list[tuple[str, str]], *, left_out: list[tuple[str, str]] = ()) -> Reply:
        """Levels of different roles on the one ladder ("SW3C and SW4A", "SW3B vs SW3C vs SW4A"): each one's
        requirements, topic by topic, leaving out lines all of them give word for word. Levels named beyond
        MAX_SIDE_BY_SIDE are said and a button away, never silently dropped."""
        named = [(lv, self.k.code(*lv)) for lv in levels]
        codes = [code for _lv, code in named]
        criteria = [c for lv in levels for t in LEVEL_TOPICS for c in self.k.find(role=lv[0], level=lv[1], topic=t)]
        shared = set.intersection(*({c.text for c in criteria if (c.role, c.level) == lv} for lv in levels))
        criteria = [c for c in criteria if c.text not in shared]
        choices = [self.ask_choice(f"Evidence for {code}", f"evidence for {code}") for lv, code in named[1:]
                   if self.k.find(role=lv[0], level=lv[1], topic="evidence")][:2]
        reply = self._reply(
            title=f"{', '.join(codes[:-1])} and {codes[-1]}, side by side",
            criteria=criteria, role=None, level=None, topic="comparison",
            key=lambda c: f"{self.k.code(c.role, c.level)} – {TOPIC_TITLES[c.topic]}" + (f" ({c.group})" if c.group
                                                                                        else ""),
            choices=choices)
        first = levels[0][0]
        same = [code for lv, code in named if lv[0] == first]
        other = [code for lv, code in named if lv[0] != first]
        lead = (f"{' and '.join(other)} {'is' if len(other) == 1 else 'are'} in a different role from "
                f"{' and '.join(same)}; the framework sets no time in level between roles.")
        if len(same) > 1 or len(other) > 1:  # "SW3B vs SW3C vs SW4A": SW3C's lines are what it adds to SW3B
            lead += (" Within a role, each level asks for everything at the levels below it as well, so a higher "
                     "level's lines are what it adds.")
            pairs = [(a, b) for (la, a), (lb, b) in itertools.pairwise(named) if la[0] == lb[0]]
            reply.choices[:0] = [self.ask_choice(f"What {b} adds to {a}", f"difference between {a} and {b}")
                                 for a, b in pairs[:1]]  # with the time in level between them
        if shared:
            both = "both" if len(levels) == 2 else "all of them"
            lead += f" Lines {both} give word for word ({len(shared)}) are left out."
        reply.blocks.insert(0, Block(text=lead))
        if left_out:
            more = [self.k.code(*lv) for lv in left_out]
            reply.blocks.insert(1, Block(text=f"You named {len(levels) + len(left_out)} levels; this compares the "
                                              f"first {len(levels)}. For {' and '.join(more)}, choose below."))
            reply.choices[:0] = [self.ask_choice(f"What {code} needs", f"what do I need for {code}")
                                 for code in more[:3]]
        return reply

    # -- a level ---------------------------------------------------------------------------------------
    def _variant_filter(self, q: Query, criteria: list[Criterion]) -> tuple[list[Criterion], str | None]:
        variants = {c.variant for c in criteria if c.variant}
        if not variants:
            return criteria, None
        if q.variant:
            chosen = [c for c in criteria if c.variant == q.variant or c.variant is None and c.topic == "overview"]
            return (chosen or criteria), None
        generic = [c for c in criteria if not c.variant]
        footer = (
            (
                "The deaf services team has its own version of this table: ask, for example, "
                "“deaf services social care officer level B”."
            )
            if generic
            else None
        )
        return (generic or criteria), footer

    def _deaf_services_table(self, asked: list[str]) -> Reply | None:
        """'I'm in the deaf services team, does that change anything?': which role has a deaf services table, the
        lines of it that speak of deafness in their own words, and its levels a button away."""
        tables = [r for r in self.k.roles if any(c.variant == "Deaf services" for c in self.k.find(role=r))]
        if not tables:
            return None
        role = tables[0]
        info = self.k.roles[role]
        table = [c for c in self.k.find(role=role) if c.variant == "Deaf services"]
        own = [c for c in table if _DEAF_WORDS.search(c.text)]
        others = list(dict.fromkeys(i.title for r, i in self.k.roles.items() if i.kind == "role" and r not in tables))
        doc = table[0].source.document_id
        blocks = [Block(text=f"The {info.title} framework (document {doc}) has a second table for the deaf services "
                             f"team, beside the main one, with its own duties and requirements at each level."
                             + (f" The documents for the other roles ({', '.join(others[:-1])} and {others[-1]}) have "
                                "no deaf services version." if len(others) > 1 else ""))]
        without = [r for r in asked if r not in tables]
        if without:  # "I'm a social worker in the deaf team, is it different?": theirs has none; said first
            blocks.insert(0, Block(text=f"The {self._role_name(without[0])} framework has no deaf services version: "
                                        f"the documents give one only for the {info.title} role."))
        if own:
            blocks.append(Block(text="Much of it is worded as the main table is. These are its lines that speak of "
                                     "deafness, hearing or audiology:"))
        reply = self._reply(
            title=f"The deaf services team has its own {info.title} table",
            criteria=own, role=role, level=None, topic="overview",
            key=lambda c: (f"{self.k.code(role, c.level)} – {TOPIC_TITLES.get(c.topic, c.topic)}" if c.level
                           else TOPIC_TITLES.get(c.topic, c.topic)),
            choices=[self.ask_choice(f"Deaf services {self.k.code(role, lv)}",
                                     f"deaf services {self.k.code(role, lv)}") for lv in info.levels])
        reply.blocks[:0] = blocks
        reply.meta["variant"] = "Deaf services"
        return reply

    def _level(self, q: Query, role: str, level: str) -> Reply:
        info = self.k.roles[role]
        code = f"{self.k.code(role, level)}"
        topics = [t for t in q.topics if t in LEVEL_TOPICS or t == "evidence" or t in ROLE_WIDE_TOPICS]
        if "person_spec" in q.topics and not topics:
            topics = list(LEVEL_TOPICS)
        footer = None
        if (not topics and (not q.overview or _YES_NO.match(q.lower) or _HOW_MANY.search(q.lower)
                            or _NAMED_PART.search(q.lower))) or (
                _YES_NO.match(q.lower) and self._rare_terms(q, role)
                and not self._topics_mention(q, role, level, topics)):
            # "do I need to chair meetings at SW3B?", "do I need to know MOSAIC for SW4A?": what the level's
            # documents say about that, not the whole topic the question's verb suggests
            specific = self._level_hits(q, role, level) or (
                self._said_elsewhere(q, role, level) if _YES_NO.match(q.lower) else None)
            if specific is not None:
                return specific
        if topics:
            criteria = [c for t in topics for c in self.k.find(role=role, level=level, topic=t)]
            if any(t in ROLE_WIDE_TOPICS for t in topics):
                criteria += [
                    c
                    for t in topics
                    if t in ROLE_WIDE_TOPICS
                    for c in self.k.find(role=role, topic=t)
                    if c.level is None
                ]
            topic = topics[0]
        else:
            # the level's own criteria first; the table's framing lines ("In addition to level A") last
            criteria = [c for t in (*LEVEL_TOPICS, "overview") for c in self.k.find(role=role, level=level, topic=t)]
            topic = "overview"
        extra_first = None
        if q.year and level in self._year_levels(role):
            criteria = [c for c in criteria if not c.group or str(q.year) in c.group or "year" not in c.group.lower()]
        elif q.year:
            split = [self.k.code(r, lv) for r in self.k.roles for lv in self._year_levels(r)]
            extra_first = Block(text=f"{code} is not split into years: in the framework only "
                                     f"{' and '.join(split) or 'no level'} has a Year 1 and a Year 2.")
        criteria, footer = self._variant_filter(q, criteria)
        extra: list[Block] = []
        rules: list[TimeRule] = []
        if topic == "overview":
            evidence = self.k.find(role=role, level=level, topic="evidence")
            if evidence:
                extra.append(
                    Block(
                        title=f"Evidence to progress to {code}",
                        text=f"The framework also lists evidence for {code}: choose “Evidence for {code}” to see it.",
                    )
                )
            rules = self.k.rules_for(role, level)
            if rules:
                longest = max(rules, key=lambda r: r.min_months)
                prev = longest.from_level
                detail = "; ".join(f"{r.months_text} in document {r.source.document_id}" for r in rules)
                extra.append(
                    Block(
                        title="Time in level",
                        text=f"At least {longest.months_text} at {self.k.code(role, prev)} ({detail}).",
                        notes=[r.note for r in rules if r.note],
                    )
                )
            if level != "A" and self.k.find(role=role, level=self.k.previous_level(role, level) or "A"):
                extra.insert(0, Block(text=f"These are in addition to the requirements of the levels below {code}."))
        training: list[Criterion] = []
        if topic == "qualifications" and "evidence" not in topics and _TRAINING.search(q.lower):
            # "what training do I need for SW2B?": the evidence for the level says how many courses it asks
            training = [c for c in self.k.find(role=role, level=level, topic="evidence")
                        if _TRAINING.search(c.text.lower())]
            if training:
                extra += self._blocks(training, key=lambda c: f"The evidence for {code} also asks")[0]
        if not criteria:
            what = " or ".join(TOPIC_TITLES.get(t, t).lower() for t in topics) or "criteria"
            mentioned = self._mentioned_at_level(role, level, topics)
            if mentioned:  # "safeguarding for SW2C": no such section, but the level's other lines speak of it
                return self._reply(
                    title=f"{code} has no {what} section in the framework, but these lines of {code} mention it",
                    criteria=mentioned, role=role, level=level, topic=topic,
                    choices=self._level_choices(role, level))
            blocks = [Block(text=(
                "That part of the table is blank in the source documents."
                if any(self.k.find(role=role, topic=t) for t in topics)
                else f"The {info.title} documents have no such section at any level."
            ))]
            # "what about the qualifications?" for SW2C: the level's table is blank there, but the evidence for
            # progression to it has a Qualifications part; saying only "blank" would read as "nothing needed"
            in_evidence = [c for c in self.k.find(role=role, level=level, topic="evidence")
                           if any(TOPIC_TITLES.get(t, t).lower() in (c.group or "").lower() for t in topics)]
            if in_evidence:
                title = f"The evidence for progression to {code} does list, under {in_evidence[0].group}"
                blocks += self._blocks(in_evidence, key=lambda c: title)[0]
            reply = Reply(
                title=f"The framework lists no {what} for {code}.",
                blocks=blocks,
                sources=self._sources(in_evidence),
                choices=self._level_choices(role, level),
                status="answered",
            )
            reply.meta.update(role=self._public_role(role), level=level, topic=topic)
            return reply
        if topic == "evidence":
            title = f"Evidence for {code} ({info.levels.get(level, '')})"
            key = _evidence_heading
        else:
            what = " and ".join(TOPIC_TITLES.get(t, t) for t in topics) if topics else "What the framework asks"
            title = f"{what} for {code} ({info.levels.get(level, LEVEL_NAMES.get(level, ''))})"
            if topics:
                title = f"{what}: {info.title}, {code} ({info.levels.get(level, '')})"
            key = None
        if q.variant and any(c.variant for c in criteria):
            title += f" – {q.variant}"
        reply = self._reply(
            title=title,
            criteria=criteria,
            role=role,
            level=level,
            topic=topic,
            key=key,
            extra_blocks=extra,
            rules=rules,
            choices=self._level_choices(role, level, exclude="evidence" if topic == "evidence" else ""),
            footer=footer,
        )
        if q.year and extra_first is not None:
            reply.blocks.insert(0, extra_first)
        if training:
            reply.sources = self._sources([*criteria, *rules, *training])
        return reply

    def _qualified_said(self, ctx: Context) -> Reply:
        """'I qualified in June 2019' said on its own: every level's figure of post-qualifying experience, or, just
        after an answer about a level that gives one ("what do I need for SW3A?"), that level's lines."""
        role, level = ctx.last_role, ctx.last_level
        pqe = re.compile(r"post[- ]?qualif", re.I)
        lines = [c for t in ("experience", "evidence") for c in self.k.find(role=role, level=level, topic=t)
                 if pqe.search(c.text)] if role in self.k.roles and level else []
        if not lines:
            return self._experience_by_level(title="Post-qualifying experience: what each level asks")
        code = self.k.code(role, level)
        return self._reply(
            title=f"Post-qualifying experience: what {code} asks", criteria=lines, role=role, level=level,
            topic="experience",
            extra_blocks=[Block(text=f"{code} also asks for its own knowledge, skills and evidence, so years alone do "
                                     "not decide it. Your manager or HR can say how your experience is counted.")],
            choices=[self.ask_choice(f"What {code} needs", f"what do I need for {code}"),
                     *self.evidence_choices(code),
                     self.ask_choice("Every level's figure", "what level should I be?")])

    def _goal_role_held(self, role: str, held: str) -> Reply:
        """"Going for senior" said by someone already at a level of Senior Social Worker: what the level after theirs
        asks (or, at the top of the role, that there is none)."""
        nxt = self.k.next_level(role, held)
        if nxt is None:
            return self._top_level(role, held, topic="next_step")
        code, info = self.k.code(role, nxt), self.k.roles[role]
        reply = self._level(parse(f"what do I need for {code}"), role, nxt)
        reply.title = f"What the framework asks for {code} ({info.levels[nxt]}), the level after yours"
        reply.blocks.insert(0, Block(text=f"Your record says {self.k.code(role, held)}, a level of "
                                          f"{self._role_name(role)} already, so this is the next level of the role."))
        return reply

    # -- a role without a level ---------------------------------------------------------------------------
    def _role(self, q: Query, role: str) -> Reply:
        info = self.k.roles[role]
        topics = [t for t in q.topics if t in TOPIC_TITLES or t in ("person_spec", "grade")]
        if not topics and not info.levels and _YES_NO.match(q.lower) and self._rare_terms(q, role):
            hits = self._role_hits(q, role)  # "does PO3 need a driving licence?": the line that says so
            if hits:
                return hits
        if not topics and not info.levels and re.search(r"\bneed(?:s|ed)?\b|\brequir|\bessential|\bcriteria\b",
                                                         q.lower):
            topics = ["person_spec"]  # "what does a KR10 need?": a one-grade post's needs are its person spec
        if "person_spec" in topics:
            criteria = [
                c for c in self.k.find(role=role) if c.part and re.search(r"person spec|essential", c.part, re.I)
            ]
            if criteria:
                wanted = [t for t in topics if t in LEVEL_TOPICS]
                if wanted:
                    criteria = [c for c in criteria if c.topic in wanted] or criteria
                part = criteria[0].part or "Person specification"
                reply = self._reply(
                    title=f"{part}: {self._role_name(role)}",
                    criteria=criteria,
                    role=role,
                    level=None,
                    topic="person_spec",
                )
                if re.search(r"\bdesirable\b", q.lower) and not any(
                        re.search(r"desirable", f"{c.part or ''} {c.text}", re.I) for c in self.k.find(role=role)):
                    reply.blocks.insert(0, Block(text=f"The {self._role_name(role)} documents list no desirable "
                                                      "criteria; these are the criteria they give."))
                return reply
            topics = [t for t in topics if t != "person_spec"] or list(LEVEL_TOPICS)
        if "grade" in topics:
            return self._grade(role)
        if _YES_NO.match(q.lower) and (not topics or (self._rare_terms(q, role)
                                                      and not self._topics_mention(q, role, None, topics))):
            # "Do I need to be an AMHP to be a senior?": what the role's documents say about it, not everything
            hits = self._role_hits(q, role) or self._said_elsewhere(q, role, None)
            if hits:
                return hits
        if not topics and _NAMED_PART.search(q.lower) and not _YES_NO.match(q.lower):
            # "what is the Equality Act requirement for SW2?": the lines about it, not the whole first level
            hits = self._role_hits(q, role)
            if hits:
                return hits
        if not topics:
            if info.levels and (re.search(
                r"\bentry\b|\bto become\b|\bto be an?\b|\bjoin|\bstart(?:ing)? as\b|"
                r"\bapply(?:ing)? to be\b|\bwhat(?:'?s| is| are)? (?:needed|required)\b|\brequirements? (?:for|to)\b|"
                r"\bneed(?:ed)? (?:for|to get)\b",
                q.lower,
            ) or self._role_is_the_goal(q, role)):
                # "I want to be a team manager one day": everything its first level asks
                first = next(iter(info.levels))
                reply = self._level(parse(f"what do I need for {self.k.code(role, first)}"), role, first)
                reply.title = (f"What the framework asks for {self.k.code(role, first)} ({info.levels[first]}), "
                               f"the first level of {self._role_name(role)}")
                return reply
            hits = self._role_hits(q, role)
            if hits:
                return hits
            # "Tell me about SCO": the role's summary and duties, with a button for each level
            topics = ["overview", "duties"]
        topic = topics[0]
        if topic == "duties":
            topics = ["overview", "duties"] if not info.levels else ["duties", "overview"]
        criteria: list[Criterion] = []
        for t in topics:
            if t in ROLE_WIDE_TOPICS:
                criteria += [c for c in self.k.find(role=role, topic=t) if c.level is None]
            else:
                criteria += self.k.find(role=role, topic=t)
        if topic == "duties" and info.levels:
            criteria = [c for c in criteria if c.topic == "duties" or c.part]
        criteria, footer = self._variant_filter(q, criteria)
        if not criteria:
            what = TOPIC_TITLES.get(topic, topic).lower()
            # the question's words without the role's names and codes ("safeguarding for sw2"): the role is given
            asked = " ".join(self._content_words(q, role))
            hits = [
                h.criterion for h in self.retriever.search(f"{what} {asked}", roles={role}, limit=12) if h.score >= 3.0
                and self.retriever.coverage(what, h) == 1.0  # every word of the topic ("special" alone is not it)
            ]
            if hits:
                return self._reply(
                    title=f"There is no separate {what} section for {self._role_name(role)}; these criteria mention it",
                    criteria=hits[:10],
                    role=role,
                    level=None,
                    topic=topic,
                )
            reply = Reply(
                title=f"The framework lists no {what} for {self._role_name(role)}.",
                blocks=[Block(text="Here is what it does cover for this role.")],
                choices=[self.ask_choice(f"About {role}", f"tell me about {role}")],
            )
            reply.meta.update(role=self._public_role(role), level=None, topic=topic)
            return reply
        count = len(criteria)
        if info.levels and topic in LEVEL_TOPICS + ("evidence",) and count > MAX_BULLETS_BEFORE_ASKING:
            return self._clarify_level(
                role, f"{TOPIC_TITLES[topic]} for which {info.title} level?", f"{topic} for {{code}}", topic=topic
            )

        def key(c: Criterion) -> str:
            if c.level and info.levels:
                return (
                    f"{self.k.code(role, c.level)} ({info.levels[c.level]}) – {c.source.heading}"
                    if c.level not in c.source.heading
                    else c.source.heading
                )
            return c.source.heading

        title = f"{TOPIC_TITLES.get(topic, topic)}: {self._role_name(role)}"
        if q.variant and any(c.variant for c in criteria):
            title += f" – {q.variant}"
        choices = [
            self.ask_choice(f"{self.k.code(role, lv)} ({name})", f"what do I need for {self.k.code(role, lv)}")
            for lv, name in info.levels.items()
        ]
        return self._reply(
            title=title, criteria=criteria, role=role, level=None, topic=topic, key=key, choices=choices, footer=footer
        )

    def _grade(self, role: str) -> Reply:
        info = self.k.roles[role]
        criteria = [
            c for c in self.k.find(role=role, topic="overview") if re.search(r"grade|scp|range|kr\d", c.text, re.I)
        ]
        blocks = [Block(bullets=[f"Grade: {g}" for g in info.grades])] if info.grades else []
        reply = self._reply(
            title=f"{self._role_name(role)}: grade {', '.join(info.grades) or 'not stated'}",
            criteria=criteria,
            role=role,
            level=None,
            topic="overview",
            extra_blocks=blocks,
        )
        if not criteria:
            reply.sources = [f"{self.k.documents[d].title} (document {d})" for d in info.documents]
        return reply

    # -- no role named ------------------------------------------------------------------------------------
    def _levels_of(self, role: str, asked: str | None, *, how_many: bool = False) -> Reply:
        """A role's levels, and whether the level asked about is its top one (with the next step from there)."""
        info = self.k.roles[role]
        ordered = self.k.ordered_levels(role)
        top = ordered[-1]
        listed = ", ".join(f"{self.k.code(role, lv)} ({info.levels[lv] or LEVEL_NAMES.get(lv, '')})" for lv in ordered)
        said = Block(text=f"{info.title} ({role}) has {len(ordered)} levels in the framework: {listed}.")
        if asked is None or asked == top:
            reply = self._next_step(role, top)
            if how_many:
                reply.title = said.text
            else:
                reply.blocks.insert(0, said)
            return reply
        reply = self._next_step(role, asked)
        reply.blocks.insert(0, Block(text=f"No: {self.k.code(role, top)} is the top level of {info.title}. "
                                          + said.text))
        return reply

    def _framework_overview(self) -> Reply:
        blocks = []
        for code, info in self.k.roles.items():
            if info.kind != "role":
                continue
            levels = ", ".join(f"{self.k.code(code, lv)} {name}" for lv, name in info.levels.items())
            bits = [f"Levels: {levels}" if levels else "No levels A, B or C"]
            if info.grades:
                bits.append(f"Grade: {', '.join(info.grades)}")
            if info.organisations:
                bits.append(f"Organisation: {', '.join(info.organisations)}")
            docs = ", ".join(f"{self.k.documents[d].title} (document {d})" for d in dict.fromkeys(info.documents))
            bits.append(f"From: {docs}")
            blocks.append(Block(title=f"{info.title} ({code})", bullets=bits))
        reply = Reply(
            title="The roles and levels in the framework",
            blocks=blocks,
            footer="The documents come from different employers; none maps one grade onto another.",
            choices=[self.ask_choice(f"About {c}", f"tell me about {c}") for c in self.k.role_codes()][:8],
        )
        reply.meta.update(role=None, level=None, topic="overview")
        return reply

    def _compare_roles(self, roles: list[str]) -> Reply:
        """'Difference between a social worker and a senior social worker': each role's summary, side by side."""
        criteria: list[Criterion] = []
        for role in roles:
            summary = [c for c in self.k.find(role=role) if c.part and "summary" in c.part.lower()]
            if not summary:
                summary = [c for c in self.k.find(role=role, topic="overview") if c.level is None]
                if not self.k.roles[role].levels:  # a one-grade post: what its person specification asks too
                    summary += [c for c in self.k.find(role=role) if c.level is None and c.topic in LEVEL_TOPICS]
            criteria += summary or self.k.find(role=role, topic="duties")[:5]
        # Lines every one of the roles has word for word (directorate, footnote, how to apply) tell no difference
        texts = [{c.text for c in criteria if c.role == r} for r in roles]
        shared = set.intersection(*texts) if texts else set()
        if shared and len(roles) > 1:
            criteria = [c for c in criteria if c.text not in shared]
        reply = self._reply(
            title="How the roles compare, in the documents' own words",
            criteria=criteria,
            role=None,
            level=None,
            topic="comparison",
            key=lambda c: f"{self._role_name(c.role)} – {c.source.heading}",
            choices=[self.ask_choice(f"{r} duties", f"what are the duties of {r}") for r in roles],
        )
        if shared and len(roles) > 1:
            reply.blocks.insert(0, Block(text=f"Lines the documents give word for word for both ({len(shared)}) "
                                              "are left out, so what differs stands out."))
        if len({self.k.roles[r].organisations[0] if self.k.roles[r].organisations else None for r in roles}) > 1:
            reply.blocks.append(
                Block(
                    text="These come from different employers' documents, and none says how "
                    "one grade corresponds to another."
                )
            )
        return reply

    def _across_roles(self, q: Query, roles: list[str]) -> Reply:
        """A role-wide topic asked of several roles at once ("what are the Kent values?")."""
        topic = q.topic or "overview"
        criteria = [c for r in roles for c in self.k.find(role=r, topic=topic)]
        if not criteria:
            return self._free(q)
        return self._reply(
            title=f"{TOPIC_TITLES.get(topic, topic)} in the framework documents",
            criteria=criteria,
            role=roles[0] if len(roles) == 1 else None,
            level=None,
            topic=topic,
            key=lambda c: f"{self._role_name(c.role)} – {c.source.heading}",
        )

    def _which_role(self, q: Query) -> Reply:
        topic = q.topic or "overview"
        letters = [lv for lv, _ in q.bare_levels]
        choices = []
        for code, info in self.k.roles.items():
            if info.kind != "role":
                continue
            if letters and info.levels:
                lv = letters[0]
                if lv in info.levels:
                    full = self.k.code(code, lv)  # "SW2B", "SCO 4B"
                    if q.comparison and len(letters) >= 2 and letters[1] in info.levels:
                        other = self.k.code(code, letters[1])
                        choices.append(self.ask_choice(f"{info.title}: {full} and {other}",
                                                       f"difference between {full} and {other}"))
                    else:
                        choices.append(self.ask_choice(f"{info.title} {full}", f"{q.text} {full}"))
            elif not letters:
                if topic == "time_in_level" and not any(r.role == code for r in self.k.time_rules):
                    continue  # "how long?": only roles the framework sets a time in level for
                choices.append(self.ask_choice(f"{info.title} ({code})", f"{q.text} {code}"))
        blocks = [Block(text="The framework covers several roles.")]
        if topic == "time_in_level" and not letters:
            without = [self._role_name(c) for c, i in self.k.roles.items()
                       if i.kind == "role" and not any(r.role == c for r in self.k.time_rules)]
            if without:
                blocks.append(Block(text="It sets no time in level for " + ", ".join(without) + "."))
        related = []
        if letters and not q.topics and not q.comparison and q.glossary_hint:
            # "What does Practising mean?", "what is level C?": the names are the same in every role; what a
            # level asks is the role's own. The guide's one sentence on what a level stands for is quoted.
            related = [c for c in self.k.guidance() if "information displayed at a level c" in c.text.lower()]
            blocks = [Block(text=f"Each role in the framework has three levels: {LEVEL_NAMES_TEXT}. The documents "
                                 "do not define the level names on their own: what a level asks depends on the "
                                 "role, so choose one below."),
                      *([Block(title="What the framework does say", bullets=[c.text for c in related])]
                        if related else [])]
        if q.topics and self._about_own_time(q):
            blocks.append(Block(text="Tell me your level and when you started it (for example “I'm SW2B since "
                                     "March 2025”) and I'll work out when you can put yourself forward."))
        reply = Reply(
            title="Which role do you mean?",
            blocks=blocks,
            choices=choices[:10],
            status="clarify",
            sources=self._sources(related),
        )
        reply.meta.update(role=None, level=letters[0] if letters else None, topic=topic)
        return reply

    def _guidance(self, q: Query) -> Reply:
        guidance = self.k.guidance()
        if "development" in q.topics:  # "what development activities does it suggest?": the routes, not how-to
            guidance = [c for c in guidance if re.search(r"development|route", c.source.heading or "", re.I)] \
                or guidance
        wanted = []
        for c in guidance:
            title = (c.title or "").lower()
            words = [w for w in re.findall(r"[a-z]+", title) if len(w) > 3]
            if words and all(w[:5] in q.lower for w in words[:2]):
                wanted.append(c)
        if not wanted:
            routes = [
                c
                for c in guidance
                if "development" in (c.source.heading or "").lower() or "route" in (c.source.heading or "").lower()
            ]
            wanted = routes or guidance
        titles = list(dict.fromkeys(c.title or c.source.heading for c in wanted))
        title = titles[0] if len(titles) == 1 else "Developing your career: what the Medway guide says"
        choices = []
        for role in [r for r in q.roles if r in self.k.roles and self.k.roles[r].kind == "role"][:2]:
            # "how can I develop my skills for senior?": the guide's ways, and a step to what the post asks
            levels = [lv for r, lv, _ in q.levels if r == role] or list(self.k.roles[role].levels)[:1]
            code = self.k.code(role, levels[0]) if levels else role
            choices.append(self.ask_choice(f"What {code} needs", f"what do I need for {code}"))
        return self._reply(
            title=title,
            criteria=wanted,
            role=None,
            level=None,
            topic="guidance",
            key=lambda c: c.title or c.source.heading,
            choices=choices,
        )

    def _role_move(self, q: Query, roles: list[str], levels: list[tuple[str, str]]) -> Reply | None:
        """'Can an SCO progress to SW2?', 'how do I go from SCO 4C to SW2A?': a move between two roles. The
        documents set no time in level between roles, so the answer says that and shows what the new role asks
        of someone starting at its level (its own words, cited), as the next-step answer for a top level does."""
        if q.comparison or q.mapping or len(dict.fromkeys(roles)) < 2:
            return None
        if "time_in_level" in q.topics and all(r in ONE_LADDER for r in roles):
            return None  # "how long from SW2A to SW3A?": a path up the one ladder, with its times
        mentions = [(r, p) for r, p in q.mentions if r in self.k.roles]
        if _NEEDS_TO_BE.search(q.lower):
            return None  # "do team managers need to be social workers?": what the one asks, not a move
        m = re.search(r"\b(?:progress|move|moving|go|get|step|transfer|switch|apply)\w*\b[^?]*?\bto\b|"
                      r"\bbecom(?:e|ing)\b|\bapply(?:ing)? for\b|\bto be (?:an?\s+)?|\bneed(?:ed)? for\b|"
                      # "skip SW2C and go straight for SW3A", "skip SW2C and go for SW3A"
                      r"\bstraight (?:for|into?|onto)\b|\bskip\w*\b[^?]*?\b(?:go|going)\s+for\b", q.lower)
        if not m and len(mentions) >= 2:  # "SW2 to SW3: what do I need?"
            m = re.compile(r"\s(?:to|into|->|→)\s").search(q.lower, mentions[0][1], mentions[1][1] + 1)
        # "I'm SW3C, looking at going for team manager": the role right after "going for" is the goal
        going = next((p for _r, p in mentions if _GOING_FOR.search(q.lower[max(0, p - 30):p])), None)
        if not m and going is None:
            return None
        after = [r for r, p in mentions if p >= (m.end() if m else going)]  # the role named after "to" is the goal
        if not after:
            return None
        target = after[0]
        source = next((r for r, _p in mentions if r != target), None)
        info = self.k.roles.get(target)
        if source is None or info is None or info.kind != "role":
            return None
        if not info.levels:  # "how do I go from KR9 to KR10?": a one-grade post asks what its person spec says
            reply = self._role(parse(f"person specification for {target}"), target)
            intro = (f"{target} is a different post from {source}, and the documents describe no route or time "
                     f"between them. What the {target} documents ask is below, in their own words.")
        else:
            level = next((lv for r, lv in levels if r == target and lv), None) or next(iter(info.levels))
            code = self.k.code(target, level)
            # "I'm SW2C, what knowledge do I need for SW3A?": the part asked about; otherwise what a newcomer needs
            asked = [t for t in q.topics if t in LEVEL_TOPICS
                     or t == "evidence" and re.search(r"\bevidence\b|\bportfolio\b", q.lower)]
            wanted = " and ".join(TOPIC_TITLES.get(t, t).lower() for t in asked) or "qualifications and experience"
            reply = self._level(parse(f"{wanted} for {code}"), target, level)
            intro = (f"{target} is a different role from {source}, and the framework sets no time in level for "
                     f"moving between roles. What it asks of someone starting at {code} is below, in its own words.")
            before = self.k.previous_level(target, level)
            if before is not None:  # "can an SCO go straight to SW2B?": B comes after A, with its own time and years
                rules = self.k.rules_for(target, level)
                years = [c for c in self.k.find(role=target, level=level, topic="experience")
                         if re.search(r"\byears?\b|post[- ]?qualif", c.text, re.I)]
                lines = [f"“{r.text}” (document {r.source.document_id})" for r in rules]
                lines += [f"“{c.text}” ({c.source.heading}, document {c.source.document_id})" for c in years]
                reply.blocks.insert(0, Block(
                    title=f"{code} comes after {self.k.code(target, before)}",
                    text=f"The framework describes no way into {self._role_name(target)} at {code}: each level "
                         "builds on the one below, and the documents ask for this before it:",
                    bullets=lines) if lines else Block(
                    text=f"The framework describes no way into {self._role_name(target)} at {code}: each level "
                         f"builds on the one below ({self.k.code(target, before)})."))
        reply.title = f"From {self._role_name(source)} to {self._role_name(target)}"
        skipped = next((lv for r, lv, p in q.levels
                        if r == source and _SKIPPED_BEFORE.search(q.lower[max(0, p - 30):p])), None)
        left = next((lv for r, lv in levels if r == source and lv), None)
        passed_over = self.k.next_level(source, left) if left and not skipped and _SKIP.search(q.lower) else None
        if passed_over and self.k.next_level(source, passed_over) is None:
            skipped = passed_over  # "can I go straight to team manager from 3b?": SW3C, the one level passed over
        skip_block = None
        if skipped and info.levels:
            # "can I skip SW2C and go straight for SW3A?": the documents neither allow nor forbid it; the level's own
            # time, and that the new role asks for no time at it
            code, name, passed = self.k.code(target, level), self._role_name(source), self.k.code(source, skipped)
            top = self.k.code(source, list(self.k.roles[source].levels)[-1])
            rules = self.k.rules_for(source, skipped)
            after = (f", and it sets out {passed} after {self.k.code(source, rules[0].from_level)}, with its own "
                     f"minimum time (at least {max(rules, key=lambda r: r.min_months).months_text} at "
                     f"{self.k.code(source, rules[0].from_level)})") if rules else ""
            also = ("" if self.k.rules_for(target, level) else
                    f" Nor does it set any time at {passed} before {code}: what {code} asks is below.")
            skip_block = Block(text=f"The framework does not say {passed} can be skipped. It does not describe "
                                    f"leaving {name} before its top level ({top}){after}.{also} Your manager or HR "
                                    "can say whether exceptions are ever made.")
        elif left and self.k.next_level(source, left) and _SKIP.search(q.lower):
            # "can I go from SW2A straight to SW3A?": SW2B and SW2C come first in the framework
            rest = [self.k.code(source, lv) for lv in self.k.ordered_levels(source) if lv > left]
            reply.blocks.insert(0, Block(text=f"The framework does not describe leaving {self._role_name(source)} "
                                              f"before its top level: {' and '.join(rest)} come after "
                                              f"{self.k.code(source, left)}, each with its own minimum time. Your "
                                              "manager or HR can say whether exceptions are ever made."))
        reply.blocks.insert(0, Block(text=f"{intro} Your manager or HR can say how a move works in practice."))
        if skip_block is not None:  # the question asked, answered first
            reply.blocks.insert(0, skip_block)
        reply.meta.update(topic="role_change")
        return reply

    def _top_level_skipped(self, q: Query, roles: list[str], levels: list[tuple[str, str]]) -> Reply | None:
        """"Can I skip SW2C?": the top level of a role, passed over on the way to the next role of the ladder (SW3A),
        answered as "can I skip SW2C and go straight for SW3A?" is, after a line saying where the ladder goes."""
        if len(set(roles)) != 1 or len(set(levels)) != 1 or q.comparison or set(q.topics) - {"time_in_level"}:
            return None
        role, level = levels[0]
        nxt_role = self._next_role(role)
        placed = next((p for r, lv, p in q.levels if (r, lv) == (role, level)), None)
        if (nxt_role not in self.k.roles or self.k.next_level(role, level) is not None or placed is None
                or not _SKIPPED_BEFORE.search(q.lower[max(0, placed - 30):placed])):
            return None
        first = next(iter(self.k.roles[nxt_role].levels), None)
        if first is None:
            return None
        code, goal = self.k.code(role, level), self.k.code(nxt_role, first)
        reply = self._role_move(parse(f"can I skip {code} and go straight for {goal}"), [role, nxt_role],
                                [(role, level), (nxt_role, first)])
        if reply is None:
            return None
        reply.title = f"Skipping {code} on the way to {self._role_name(nxt_role)}"
        reply.blocks[0].text = (f"{code} is the top level of {self._role_name(role)}; after it comes "
                                f"{self._role_name(nxt_role)}, from {goal}. {reply.blocks[0].text}")
        return reply

    def _year_levels(self, role: str) -> list[str]:
        """The role's levels whose criteria are split by year ("Year 1", "Year 2"): SW2A in the shipped files."""
        found = self._year_levels_cache.get(role)
        if found is None:
            found = self._year_levels_cache[role] = list(dict.fromkeys(
                c.level for c in self.k.find(role=role) if c.level and c.group and "year" in c.group.lower()))
        return found

    @staticmethod
    def _about_own_time(q: Query) -> bool:
        """'When can I progress?': the person's own time in level, whatever else the words match."""
        return q.topics[0] == "time_in_level" and bool(re.search(r"\b(?:i|me|my|i'm|im)\b", q.lower))

    def _strong_free_text(self, q: Query) -> bool:
        hits = self.retriever.search(q.text, limit=1)
        return bool(hits) and hits[0].score >= 6.0

    def help_reply(self, *, prefix: str | None = None) -> Reply:
        reply = Reply(
            title=prefix or "Hello! I answer questions about the career progression framework.",
            blocks=[
                Block(title="You can ask, for example:", bullets=list(EXAMPLES)),
                Block(text="I can also run a self-assessment before supervision: say “assess me”. About you: "
                           "“I'm SW2B since March 2025”, “what do I still need?”, “my reminders”, “prepare for "
                           "supervision”."),
            ],
            choices=[
                self.ask_choice("What do I need for SW3B?", "what do I need for SW3B?"),
                Choice(label="Start a self-assessment", value={"action": "assess"}),
            ],
            status="clarify",
        )
        reply.meta.update(role=None, level=None, topic="help")
        return reply


def _evidence_heading(c: Criterion) -> str:
    return f"{TOPIC_TITLES['evidence']} – {c.group}" if c.group else c.source.heading
