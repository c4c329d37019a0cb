"""The answer engine: a question in, a neutral cited Reply out. Knows nothing of any chat platform."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, replace

from bot.answers.levels import ROLE_NAMES
from bot.answers.questions import KNOWN_LEVELS, LADDER, ONE_LADDER, Query, parse
from bot.answers.retrieval import Retriever, terms
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
OUT_OF_SCOPE_WHAT = {
    "pay": "pay or salary figures",
    "leave": "annual leave or other leave entitlements",
    "hours": "hours of work",
    "pension": "pensions",
    "working_place": "hybrid or home working",
    "allowances": "mileage, car or other allowances",
    "contract": "contract terms such as notice periods, probation, or agency and temporary work",
    "moves": "what happens to your level or time in level if you change team, post or employer",
    "caseload_size": "caseload numbers",
    "process": "who approves progression, how to apply or what happens if a request is turned down",
    "supervision": "how often supervision happens or how it is arranged",
}
# What the guidance does say about using the framework with one's manager (quoted, for "process" questions).
PROCESS_GUIDANCE = ("guarantee of progression", "conversations with your line manager")
SUPERVISION_GUIDANCE = ("conversations with your line manager", "career conversations")
MAX_BULLETS_BEFORE_ASKING = 40
ANSWER_CACHE_SIZE = 2048  # answers kept, least recently used first out
LEVEL_TOKEN = re.compile(
    r"(?:sw|sco|kr|po)\d*[a-d]?|\d[a-d]?|[a-d]|senior|manag|develop|practis|accomplish|"
    r"newly|qualifi|nqsw|asye|grade|need|requir|level|year|y[12]|expect|everyth|give|show|"
    r"tell|detail|list",
    re.I,
)
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


@dataclass(frozen=True)
class Context:
    """What the caller knows about the person asking (their recorded level), to fill gaps."""

    role: str | None = None
    level: str | None = None
    # the answer just given in this conversation, for a follow-up ("what about C?", "and the evidence?")
    last_role: str | None = None
    last_level: str | None = None
    last_topic: str | None = None


def clean_question(text: str) -> tuple[str, bool]:
    """Strip control characters and cut very long text; return (text, was_cut)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    cut = len(text) > MAX_TEXT
    return text[:MAX_TEXT].strip(), cut


# "When was the framework written?", "where does your information come from?": the documents themselves
_ABOUT_THE_DOCUMENTS = re.compile(
    r"\bwhen (?:was|were|did) (?:the |this |these |your |it )?(?:career progression )?(?:framework|guide|documents?|"
    r"information|info|bot|it)\b(?! i\b)|\bwho (?:wrote|made|created|owns|publishe[sd]|writes|produced)\b"
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
    r"nowhere\b|\b(?:i'?m|i am) not (?:progressing|getting anywhere|moving)\b|\bmaking no progress\b")
# How a follow-up starts: "what about C?", "and the evidence?", "how about SW2C", "same for SW3B"
_FOLLOW_UP_LEAD = re.compile(r"^\s*(?:and|what about|how about|what of|same for|and for|and what about|ok,? (?:and|"
                             r"what about)|also)\b")
_LONE_LETTER = re.compile(r"^\s*(?:(?:and|what about|how about|same for|and for|and what about)\s+)?(?:level\s+)?"
                          r"([abcABC])\s*[?.!]*\s*$")
_YES_NO = re.compile(r"(?:do|does|is|are|will|would|must|should|can|have|has)\b")
RARE_TERM_IDF = 4.4  # a word in at most about one criterion in sixty
# "What do I need for SW3B and how long does it take?": requirements and time in one message
_TWO_ASKS = re.compile(r"\b(?:what (?:do|does|would|will) .{0,30}\bneed|requirements?|criteria)\b.*"
                       r"\b(?:and|also|plus)\b.*\bhow long\b|"
                       r"\bhow long\b.*\b(?:and|also|plus)\b.*\b(?:what (?:do|does|else)\b.{0,30}\bneed|requirements?|"
                       r"criteria)\b")
# "I've been qualified 3 years, what level should I be?", "which level for 5 years' experience?"
_YEARS_QUALIFIED = re.compile(
    r"^(?=.*\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s*(?:years?|yrs?)\b)"
    r"(?=.*\b(?:qualified|post[- ]?qualif\w*|pqe|experience)\b)"
    r"(?=.*\b(?:(?:what|which) (?:level|grade)|level should i be|grade should i be|where should i be)\b)")
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
_ASYE_TIME = re.compile(r"\bhow long (?:is|does|will) (?:the |my |an )?asye\b|\basye\b.*\b(?:count|counts|counted|"
                        r"towards)\b|\basye\b.*\bpart of (?:the |my )?(?:24 months|time)\b|\b(?:count|counts)\b.*"
                        r"\basye\b")
_KENT_EQUIVALENT = re.compile(r"\bequivalent\b|\bsame as\b|\bmatch(?:es)?\b|\bcompares?\b|\bmaps? to\b")
# Before a level code: the level the person is at or is leaving, not the one they ask about
_CURRENT_BEFORE = re.compile(r"\b(?:from|at|on|been|am|i'?m|im|currently|now|still|beyond|skip|skipping|"
                             r"miss out|bypass)\s+(?:level\s+|an?\s+)?$")
_SKIP = re.compile(r"\bskip(?:ping|ped)?\b|\bjump(?:ing)? (?:straight )?(?:to|over|from)\b|\bstraight (?:in )?to\b|"
                   r"\bfast[- ]?track|\bbypass|\bmiss out\b")
_SKIP_NOTE = ("The framework does not describe skipping a level or shortening the time: it sets the minimum time "
              "at each level before the next. Your manager or HR can say whether exceptions are ever made.")
_ASKS_WHAT_IS_NEEDED = re.compile(r"\b(?:need|needs|needed|require|required|requirements?|have to|must|should i)\b")
# "I'm a student social worker": the framework starts at the first level of Social Worker
_STUDENT = re.compile(r"\bstudent social workers?\b|\bsocial work students?\b|\bstudying social work\b|"
                      r"\b(?:i'?m|i am) (?:a |still a )?student\b|\bsocial work degree\b.*\b(?:student|studying)\b")
LEVEL_NAMES_TEXT = "A (Developing), B (Practising) and C (Accomplished)"


class AnswerEngine:
    def __init__(self, knowledge: Knowledge) -> None:
        self.k = knowledge
        self.retriever = Retriever(knowledge)
        self._cache: OrderedDict[tuple[str, Context | None, bool], Reply] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._glossary_terms = self._build_glossary_terms()
        self._year_levels_cache: dict[str, list[str]] = {}
        self._kent_roles = tuple(r for r, info in knowledge.roles.items()
                                 if any("kent" in o.lower() for o in info.organisations))

    # ------------------------------------------------------------------------------------------
    def answer(self, question: str, *, context: Context | None = None) -> Reply:
        """A cited reply. Answers depend only on the question, the context and the (immutable) knowledge,
        so recent ones are kept: people ask the same few questions again and again."""
        # Most answers do not depend on the conversation's last answer: those are kept under the context
        # without it, so a follow-up context does not cost every later question its cached answer.
        plain = replace(context, last_role=None, last_level=None, last_topic=None) if context else None
        keys = [(question, plain, False), (question, context, True)]  # True: an answer that may be a follow-up
        cached = None
        with self._cache_lock:
            for key in keys:
                cached = self._cache.get(key)
                if cached is not None:
                    self._cache.move_to_end(key)
                    break
        if cached is not None:
            return cached.copy()
        reply = self._answer(question, context=context)
        key = (question, context, True) if reply.meta.pop("follow_up", False) else (question, plain, False)
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
                followable = self._followable(q)
                reply = self._route(q, context)
                if followable:  # its answer may depend on the conversation's last one: cached with it
                    reply.meta["follow_up"] = True
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
            reply.notes.insert(0, f"Your message was very long, so only the first {MAX_TEXT} characters were read.")
        reply.meta.setdefault("question", text)
        return reply

    # -- routing -------------------------------------------------------------------------------
    def _route(self, q: Query, ctx: Context) -> Reply:
        if q.unknown_codes:
            return self._unknown_level(q)
        if q.mapping:
            return self._mapping(q)
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
        if _YEARS_QUALIFIED.search(q.lower) and not q.levels:
            return self._experience_by_level()
        other = _OTHER_TITLES.search(q.lower)
        if other and not q.levels and not any(r in q.lower for r in ("sw2", "sw3", "sw4", "sco", "kr9", "kr10")):
            return self._other_title(other.group(0))
        term = self._glossary_term(q)
        if term and self._asks_meaning(q, term):
            return self._glossary(term)
        spelt_out = self._meaning_term(q)
        if spelt_out and self._asks_meaning(q, spelt_out):
            return self._glossary(spelt_out)
        if "pcf_domain" in q.topics and (q.pcf_domain is not None or not q.roles or "PCF" in q.roles
                                         or "experienced social worker" in q.lower):
            return self._pcf(q)
        roles = [r for r in q.roles if r in self.k.roles]
        levels = [(r, lv) for r, lv, _ in q.levels if r in self.k.roles]
        if not roles and q.variant == "Deaf services" and "SCO" in self.k.roles:
            roles = ["SCO"]
            levels = [("SCO", lv) for lv, _ in q.bare_levels if lv in self.k.roles["SCO"].levels]
        if q.kent and not levels and not any(r in self._kent_roles for r in roles):
            # "Kent social worker requirements": the Kent posts, not Medway's Social Worker (SW2)
            roles = list(self._kent_roles)
            if len(roles) > 1 and q.topic in ("values", "competencies", "special_conditions", None):
                return self._across_roles(q, roles)
        follow = self._follow_up(q, roles, levels, ctx)
        if follow is not None:
            roles, levels = follow
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
        move = self._role_move(q, roles, levels)
        if move is not None:
            return move
        if q.comparison and len(roles) >= 2 and not levels:
            return self._compare_roles(roles[:3])
        if _SKIP.search(q.lower) and levels and "time_in_level" not in q.topics and not q.comparison:
            # "Can I skip SW3A and go straight to SW3B?": the framework's answer is the time it asks at SW3A
            q.topics.insert(0, "time_in_level")
        if "time_in_level" in q.topics and roles:
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
            if goal and reply.meta.get("role") and _TWO_ASKS.search(q.lower):
                # "what do I need for SW3B and how long does it take?": the time is answered; the rest is a
                # button away, and said so rather than silently dropped
                code = self.k.code(reply.meta["role"], goal)
                reply.blocks.insert(0, Block(text=f"You asked two things. This is the time; for what {code} asks, "
                                                  f"choose “What {code} needs” below."))
                label = f"What {code} needs"
                if label not in [c.label for c in reply.choices]:
                    reply.choices.insert(0, self.ask_choice(label, f"what do I need for {code}"))
            return reply
        if q.next_step and roles:
            current = levels[-1][1] if levels else ctx.level if ctx.role == roles[0] else None
            if len(levels) > 1:  # "how do SCOs progress from A to B?": the step starts at the level left
                placed = [(lv, p) for r, lv, p in q.levels if r == roles[0]]
                left = [lv for lv, p in placed if _CURRENT_BEFORE.search(q.lower[max(0, p - 30):p])]
                current = left[0] if left else min(lv for lv, _ in placed)
            return self._next_step(roles[0], current)
        if q.comparison and len(levels) >= 1 and roles:
            return self._compare(q, levels)
        if "development" in q.topics or ("guidance" in q.topics and not roles):
            return self._guidance(q)
        if levels:
            role, level = self._asked_level(q, levels)
            return self._level(q, role, level)
        if roles:
            role = roles[0]
            if q.bare_levels and self.k.roles[role].levels == {}:
                return self._no_levels(role, q)
            return self._role(q, role)
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
    def _asks_meaning(self, q: Query, term: str) -> bool:
        """'What does AMHP stand for?', 'what is the ASYE?', 'DoLS?' — but not 'NQSW' alone (a level)."""
        entry = self.k.glossary_entry(term)
        names = [n.lower() for n in [term, *(entry.aliases if entry else []), *([entry.meaning] if entry and
                                                                                 entry.meaning else [])]]
        alt = "|".join(re.escape(n) for n in names)
        if re.search(r"stand(?:s)? for|short for|\bmean(?:s|ing)?\b|acronym|abbreviation|\bdefin", q.lower):
            return True
        if re.fullmatch(rf"(?:what|who)(?:'s|s| is| are| was)\s+(?:an?\s+|the\s+)?(?:{alt})"
                        r"(?:\s+(?:competency|competencies|safeguarding|framework|course|training|qualification|"
                        r"award|role|board|policy|procedures|standards)){0,3}\s*\??", q.lower):
            return True  # also "what's the KMSAB competency framework?", "what's a BIA course?"
        if re.fullmatch(rf"(?:{alt})\s*\??", q.lower):
            return not q.inferred_level and not q.levels
        return False

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

    def _public_role(self, role: str | None) -> str | None:
        info = self.k.roles.get(role) if role else None
        return role if info and info.kind == "role" else None

    def ask_choice(self, label: str, question: str) -> Choice:
        return Choice(label=label, value={"action": "ask", "question": question})

    def _level_choices(self, role: str, level: str, *, exclude: str = "") -> list[Choice]:
        code = f"{self.k.code(role, level)}"
        out = []
        if exclude != "evidence" and self.k.find(role=role, level=level, topic="evidence"):
            out.append(self.ask_choice(f"Evidence for {code}", f"evidence for {code}"))
        prev = self.k.previous_level(role, level)
        if prev and exclude != "time":
            out.append(
                self.ask_choice(
                    f"Time needed at {self.k.code(role, prev)}", f"how long at {self.k.code(role, prev)} before {code}"
                )
            )
        if prev and exclude != "compare":
            out.append(self.ask_choice(f"What {code} adds", f"difference between {self.k.code(role, prev)} and {code}"))
        out.append(Choice(label=f"Self-assessment for {code}", value={"action": "assess", "level": code}))
        return out

    # -- not in the framework ----------------------------------------------------------------------
    def _for_students(self) -> Reply:
        first = next(iter(self.k.roles["SW2"].levels))
        code = self.k.code("SW2", first)
        reply = self._level(parse(f"what do I need for {code}"), "SW2", first)
        reply.blocks.insert(0, Block(text=f"The framework has no level for students: it starts at {code}, the "
                                          "first level of Social Worker (the role is for social workers "
                                          "“including Newly Qualified”). This is what it asks there."))
        return reply

    def _next_step_for_whom(self) -> Reply:
        """'What do I need to get to the next level?' from someone whose level is not on record."""
        choices = [self.ask_choice(f"{info.title} ({code})", f"what comes after {code}")
                   for code, info in self.k.roles.items() if info.kind == "role" and info.levels]
        reply = Reply(
            title="Which level are you at now?",
            blocks=[Block(text="Tell me your level and when you started it, for example “I'm SW2B since March "
                               "2025”, and I'll show what your next level asks and when you can go for it. Or "
                               "choose your role.")],
            choices=choices,
            status="clarify",
        )
        reply.meta.update(role=None, level=None, topic="next_step")
        return reply

    def _encourage(self, q: Query, ctx: Context) -> Reply:
        """'I feel stuck at SW2B': acknowledged plainly, then what careerbot and the framework offer: the person's
        next level (when known), the development routes the Medway guide suggests (quoted), and a self-assessment
        to take to supervision. No promises and no advice beyond the documents."""
        placed = [(r, lv, p) for r, lv, p in q.levels if r in self.k.roles]
        named = [r for r in q.roles if r in self.k.roles and self.k.roles[r].levels]
        if not placed and not named and not re.search(
                r"\b(?:career|progress\w*|promot\w*|levels?|next|stuck|behind|nowhere|good enough|overlooked|"
                r"stagnat\w*)\b", q.lower):
            # "I'm stressed": not about a career step, and careerbot is not the place for it
            reply = Reply(title="I'm sorry you're feeling that way.",
                          blocks=[Block(text="I can only help with career progression: what a level asks, time in "
                                             "level, self-assessments and preparing for supervision. For how you are "
                                             "feeling, please talk to your manager, HR or someone you trust.")],
                          choices=[self.ask_choice("Prepare for supervision", "how do I prepare for supervision?")],
                          status="answered")
            reply.meta.update(role=None, level=None, topic="help")
            return reply
        role = level = nxt = None  # where the person is, and the level they are aiming for
        if placed:
            r, lv, p = placed[0]
            if _CURRENT_BEFORE.search(q.lower[max(0, p - 30):p]):  # "stuck at SW2B"
                role, level, nxt = r, lv, self.k.next_level(r, lv)
            else:  # "not good enough for SW3B"
                role, nxt = r, lv
        elif named and ctx.role != named[0]:  # "not good enough for SW3": its first level
            role, nxt = named[0], next(iter(self.k.roles[named[0]].levels))
        elif ctx.role and ctx.level:
            role, level, nxt = ctx.role, ctx.level, self.k.next_level(ctx.role, ctx.level)
        blocks: list[Block] = []
        choices: list[Choice] = []
        if nxt:
            code = self.k.code(role, nxt)
            start = f"From {self.k.code(role, level)}, the next level is {code}. " if level else ""
            blocks.append(Block(text=f"{start}Seeing exactly which of the criteria for {code} you already meet "
                                     "often shows the way forward."))
            choices += [Choice(label=f"Self-assessment for {code}", value={"action": "assess", "level": code}),
                        self.ask_choice(f"What {code} needs", f"what do I need for {code}")]
        else:
            choices.append(Choice(label="Start a self-assessment", value={"action": "assess"}))
        routes = [c for c in self.k.guidance()
                  if c.title in ("On the job learning", "Learning from others", "Formal learning", "Stepping Up",
                                 "Acting Up", "Secondments")]
        if routes:
            blocks.append(Block(title="Ways to develop that the Medway guide suggests",
                                bullets=[c.text for c in routes]))
        blocks.append(Block(text="A self-assessment gives you a summary of strengths and gaps to take to supervision, "
                                 "which is what the guide says the framework is for: informing conversations with your "
                                 "line manager. If it is affecting how you feel at work, please talk to your manager "
                                 "or HR too."))
        choices.append(self.ask_choice("Prepare for supervision", "how do I prepare for supervision?"))
        reply = Reply(
            title="I'm sorry it feels that way. Here is what can help.",
            blocks=blocks,
            sources=self._sources(routes),
            choices=choices,
            status="answered",
        )
        reply.meta.update(role=self._public_role(role) if nxt else None, level=nxt, topic="guidance")
        return reply

    def _experience_by_level(self) -> Reply:
        """'I've been qualified 3 years, what level should I be?': the documents place nobody by years; what they
        ask in post-qualifying experience, level by level, in their own words."""
        pqe = re.compile(r"post[- ]?qualif|qualified social work experience", re.I)
        criteria = [c for c in self.k.criteria if c.role in self.k.roles and self.k.roles[c.role].kind == "role"
                    and c.topic in ("experience", "evidence", "qualifications") and pqe.search(c.text)
                    and not re.search(r"programme", c.text, re.I)]
        order = {r: i for i, r in enumerate(dict.fromkeys([*LADDER, *self.k.roles]))}
        criteria.sort(key=lambda c: (order.get(c.role, 99), c.level or "", c.topic != "experience"))
        reply = self._reply(
            title="The framework does not set a level by years qualified",
            criteria=criteria,
            role=None,
            level=None,
            topic="experience",
            key=lambda c: f"{self.k.code(c.role, c.level) if c.level else self._role_name(c.role)} – "
                          f"{c.source.heading}",
            extra_blocks=[Block(text="Each level also asks for its own knowledge, skills and evidence, so years "
                                     "alone do not decide it. Which level fits you is for you and your manager "
                                     "to agree: a self-assessment is a good way to start that conversation.")],
            choices=[Choice(label="Start a self-assessment", value={"action": "assess"}),
                     self.ask_choice("The roles and levels", "what are the levels?")],
        )
        reply.blocks.insert(0, Block(text="What the documents ask in post-qualifying experience, level by level:"))
        return reply

    def _for_managers(self, q: Query) -> Reply:
        """'How do managers use the framework?': the Medway guide's words for managers and supporters, what
        careerbot does for managers, and the level named if there is one."""
        said = [c for c in self.k.guidance() if c.source.heading.endswith("For Managers") or c.title == "Supporters"]
        choices = []
        named = [(r, lv) for r, lv, _ in q.levels if r in self.k.roles]
        roles = [r for r in q.roles if r in self.k.roles and self.k.roles[r].levels]
        if named or roles:
            role, level = named[0] if named else (roles[0], next(iter(self.k.roles[roles[0]].levels)))
            code = self.k.code(role, level)
            choices += [self.ask_choice(f"What {code} needs", f"what do I need for {code}"),
                        self.ask_choice(f"Evidence for {code}", f"evidence for {code}")]
        reply = self._reply(
            title="Using the framework as a manager",
            criteria=said,
            role=None,
            level=None,
            topic="guidance",
            key=lambda c: c.source.heading,
            extra_blocks=[Block(text="In careerbot: “my team” shows your reports' time-in-level milestones (also in a "
                                     "weekly digest), “what does Jo need?” one report's next step, and your reports "
                                     "can share a self-assessment or check-in with you before supervision.")],
            choices=choices,
        )
        return reply

    def _in_addition(self) -> Reply:
        """'What does "in addition to level A" mean?': the tables' own words, and that a level adds to those
        below it (which is what the tables say, level by level)."""
        said = [c for c in self.k.criteria if c.topic == "overview" and re.search(r"in addition to", c.text, re.I)]
        reply = self._reply(
            title="Each level adds to the levels below it",
            criteria=said,
            role=None,
            level=None,
            topic="overview",
            key=lambda c: f"{self.k.code(c.role, c.level)} – {c.source.heading}",
            extra_blocks=[Block(text="So what a level lists is what it asks on top of the levels below: someone "
                                     "going for B is expected to meet A's requirements as well. A self-assessment "
                                     "for a level covers what that level adds.")],
        )
        reply.blocks.insert(0, Block(text="The tables say it level by level, in these words:"))
        return reply

    def _asye_time(self) -> Reply:
        """'How long is the ASYE?', 'does my ASYE year count towards the 24 months?': what the framework does say
        (SW2A's Year 1 and Year 2, the time at SW2A), and that it says no more."""
        asye = [c for c in self.k.find(role="SW2", level="A", topic="qualifications") if "asye" in c.text.lower()
                or "assessed" in c.text.lower()] if "SW2" in self.k.roles else []
        rules = self.k.rules_for("SW2", "B") if "SW2" in self.k.roles else []
        blocks = [Block(text="The framework does not say how long the ASYE lasts, nor in so many words whether it "
                             "counts towards the time at SW2A. What it does say:")]
        quoted, _ = self._blocks(asye, key=_heading_with_group)
        blocks += quoted
        if rules:
            blocks.append(Block(title="Time at SW2A before SW2B",
                                bullets=[f"“{r.text}” (document {r.source.document_id})" for r in rules]))
        blocks.append(Block(text="SW2A itself is split into Year 1 (working towards the ASYE) and Year 2 (its "
                                 "completion), so the ASYE sits within SW2A. Your manager or HR can confirm how "
                                 "your own time is counted."))
        entry = self.k.glossary_entry("ASYE")
        if entry and entry.meaning:
            blocks.insert(1, Block(text=f"ASYE stands for {entry.meaning}."))
        reply = Reply(title="How the ASYE fits the time at SW2A", blocks=blocks,
                      sources=self._sources([*asye, *rules]),
                      choices=[self.ask_choice("What SW2A needs", "what do I need for SW2A"),
                               self.ask_choice("Evidence for SW2B", "evidence for SW2B")],
                      status="answered")
        reply.meta.update(role="SW2", level="A", topic="time_in_level")
        return reply

    def _who_for(self) -> Reply:
        """'Who is the framework for?': the professions the Medway guide says it covers and how individuals and
        managers can use it, in its words, then the documents with the services their titles name."""
        guidance = self.k.guidance()
        covered = [c for c in guidance if c.title == "Roles within the service"]
        use = [c for c in guidance if c.title == "How to use the framework" and c.source.heading.endswith(
            ("For Individuals", "For Managers"))][:1] + [c for c in guidance if c.title == "How to use the framework"
                                                         and c.source.heading.endswith("For Managers")][:1]
        docs = Block(title="The documents, and the services their titles name",
                     bullets=[f"Document {d}: {doc.title}" for d, doc in sorted(self.k.documents.items())])
        reply = self._reply(
            title="Who the framework is for",
            criteria=covered + use,
            role=None,
            level=None,
            topic="guidance",
            key=lambda c: c.source.heading,
            extra_blocks=[docs, Block(text="The documents come from different employers and services, so whether one "
                                           "applies to your own team is for your manager or HR to say.")],
            choices=[self.ask_choice("The roles and levels", "what are the levels?")],
        )
        return reply

    def _documents(self) -> Reply:
        """The framework documents careerbot answers from: title, employer and date as each gives them."""
        docs = sorted(self.k.documents.values(), key=lambda d: d.id)
        blocks = [Block(title=f"Document {doc.id}: {doc.title}", bullets=[
            f"Organisation: {doc.organisation}" if doc.organisation else "The document names no employer.",
            f"Date: {doc.date}" if doc.date else "The document gives no date.",
        ]) for doc in docs]
        reply = Reply(
            title="The framework documents I answer from",
            blocks=blocks,
            footer="Every answer names the document it comes from. I don't hand out the documents themselves: your "
                   "manager or HR can give you a copy. If your organisation has a newer version of any of them, "
                   "whoever looks after careerbot can update its framework files.",
            sources=[f"{d.title}{', ' + d.organisation if d.organisation else ''} (document {d.id})" for d in docs],
        )
        reply.meta.update(role=None, level=None, topic="documents")
        return reply

    def _mentioned(self, word: str) -> bool:
        pattern = re.compile(rf"\b{re.escape(word)}\b", re.I)
        return any(pattern.search(c.text) for c in self.k.criteria)

    def _other_title(self, title: str) -> Reply:
        """'What level is a practice manager?': the framework has no such role. Say so, quote where a document
        mentions the title in passing, and offer the roles it does describe."""
        singular = re.sub(r"s\b", "", title) if title.endswith("s") and not title.endswith("ss") else title
        word = re.compile(r"\b" + re.escape(singular) + r"s?\b", re.I)
        mentions = [c for c in self.k.criteria if word.search(c.text)]
        blocks = []
        if mentions:
            blocks.append(Block(text=f"The documents mention a {singular} only in passing, without describing "
                                     "the role or what it asks:"))
            quoted, _ = self._blocks(mentions[:3], key=lambda c: (
                f"{self._role_name(c.role)} – {c.source.heading}" if c.role else c.source.heading))
            blocks += quoted
        roles = [(code, info) for code, info in self.k.roles.items() if info.kind == "role"]
        blocks.append(Block(title="The roles the framework does describe",
                            bullets=[self._role_name(code) for code, _ in roles]))
        blocks.append(Block(text="Your organisation may use other job titles for these roles; the framework "
                                 "does not say which, so your manager or HR can tell you how they map."))
        reply = Reply(
            title=f"The framework has no role called “{singular}”.",
            blocks=blocks,
            status="not_in_framework",
            sources=self._sources(mentions[:3]),
            choices=[self.ask_choice(f"About {code}", f"tell me about {code}") for code, _ in roles
                     if self.k.roles[code].levels][:4],
        )
        reply.meta.update(role=None, level=None, topic="out_of_scope")
        return reply

    def _known_levels_text(self) -> str:
        parts = []
        for code, info in self.k.roles.items():
            if info.kind != "role":
                continue
            if info.levels:
                levels = list(info.levels)
                span = (f"{self.k.code(code, levels[0])}–{self.k.code(code, levels[-1])}" if len(levels) > 1
                        else self.k.code(code, levels[0]))
                parts.append(f"{info.title} {span}")
            else:
                parts.append(f"{code} ({info.title}{', ' + info.organisations[0] if info.organisations else ''})")
        return "; ".join(parts)

    def _unknown_level(self, q: Query) -> Reply:
        shown, why = [], []
        for c in dict.fromkeys(q.unknown_codes):
            m = re.fullmatch(r"(SCO|[A-Z]+\d*)([A-Z])?", c)
            role, letter = (m.group(1), m.group(2)) if m else (c, None)
            shown.append(f"SCO level {letter}" if role == "SCO" and letter else c)
            if role not in self.k.roles:
                graded = [f"{r} ({info.title})" for r, info in self.k.roles.items() if info.kind == "role"
                          and info.levels and re.fullmatch(r"[A-Z]+\d+", r) and r[:2] == role[:2]]
                why.append(f"There is no {role} grade in the framework documents."
                           + (f" The graded roles are {', '.join(graded[:-1])} and {graded[-1]}."
                              if len(graded) > 1 else ""))
            else:
                why.append(f"{self._role_name(role)} has levels {LEVEL_NAMES_TEXT} only, and no level "
                           f"beyond C.")
        reply = Reply(
            title=f"The framework does not have {', '.join(shown)}.",
            blocks=[
                Block(text=" ".join(dict.fromkeys(why))),
                Block(title="Levels and roles the framework covers", text=self._known_levels_text()),
            ],
            status="not_in_framework",
        )
        role = next((r for r in q.roles if r in self.k.roles), None)
        if role and self.k.roles[role].levels:
            top = list(self.k.roles[role].levels)[-1]
            reply.choices.append(
                self.ask_choice(f"What {self.k.code(role, top)} needs", f"what do I need for {self.k.code(role, top)}")
            )
        reply.meta.update(role=self._public_role(role), level=None, topic="out_of_scope")
        return reply

    def _mapping(self, q: Query) -> Reply:
        roles = [r for r in q.roles if r in self.k.roles]
        names = " and ".join(self._role_name(r) for r in roles) or "these grades"
        blocks = [
            Block(
                text=f"The framework documents do not map {names} onto each other. They come from different "
                "employers (Medway Council's social worker framework, Kent County Council's job "
                "descriptions, and a Children's Services job profile), and none says that one grade "
                "equals another."
            ),
        ]
        for role in roles:
            info = self.k.roles[role]
            bits = [
                f"Grade: {', '.join(info.grades)}" if info.grades else None,
                f"Organisation: {', '.join(info.organisations)}" if info.organisations else None,
            ]
            blocks.append(Block(title=self._role_name(role), bullets=[b for b in bits if b]))
        reply = Reply(
            title="The framework does not say how these grades compare.",
            blocks=blocks,
            status="not_in_framework",
            choices=[self.ask_choice(f"About {r}", f"tell me about {r}") for r in roles],
        )
        reply.meta.update(role=self._public_role(roles[0]) if roles else None, level=None, topic="out_of_scope")
        return reply

    def _out_of_scope(self, q: Query, ctx: Context) -> Reply:
        what = OUT_OF_SCOPE_WHAT[q.out_of_scope or "pay"]
        roles = [r for r in q.roles if r in self.k.roles] or ([ctx.role] if ctx.role else [])
        blocks = [
            Block(
                text=f"The career progression framework documents do not cover {what}, so I can't "
                "answer that from them. Your HR team, your contract or your manager can."
            )
        ]
        if q.out_of_scope in ("process", "supervision"):
            roles = []  # "my manager disagrees" is not a question about the Team Manager role
        for role in roles:
            info = self.k.roles[role]
            facts = []
            if info.grades:
                facts.append(f"Grade: {', '.join(info.grades)}")
            if info.organisations:
                facts.append(f"Organisation: {', '.join(info.organisations)}")
            facts.append(
                "The documents give the grade label only, with no figures."
                if q.out_of_scope == "pay"
                else "The documents describe the role's duties and requirements, not its terms and conditions."
            )
            blocks.append(Block(title=f"What the framework does say about {self._role_name(role)}", bullets=facts))
        related = []
        if q.out_of_scope in ("leave",):
            related = [c for c in self.k.guidance() if "leave" in c.text.lower()]
            if related:
                blocks.append(Block(title="The only mention of leave", bullets=[c.text for c in related[:2]]))
        if q.out_of_scope == "supervision":
            related = [c for c in self.k.guidance() if any(p in c.text.lower() for p in SUPERVISION_GUIDANCE)]
            if related:
                blocks.append(Block(title="What the framework does say", bullets=[c.text for c in related[:3]]))
            blocks.append(Block(text="I can help you get ready for it: a check-in note or a self-assessment to "
                                     "bring. Say “prepare for supervision”."))
        if q.out_of_scope == "process":
            related = [c for c in self.k.guidance() if any(p in c.text.lower() for p in PROCESS_GUIDANCE)]
            if related:
                blocks.append(Block(title="What the framework does say", bullets=[c.text for c in related[:3]]))
            blocks.append(Block(text="For each level it does set out the evidence to bring and the time in level "
                                     "it asks for: ask me “what evidence for SW3B?” or “how long before I can go "
                                     "for SW2B?”."))
        choices = [self.ask_choice(f"Duties of {r}", f"what are the duties of {r}") for r in roles[:2]]
        if q.out_of_scope == "supervision":
            choices.append(self.ask_choice("Prepare for supervision", "how do I prepare for supervision?"))
        reply = Reply(
            title=f"The framework does not cover {what}.",
            blocks=blocks,
            status="not_in_framework",
            sources=self._sources(related),
            choices=choices,
        )
        reply.meta.update(role=self._public_role(roles[0]) if roles else None, level=None, topic="out_of_scope")
        return reply

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

    # -- glossary ----------------------------------------------------------------------------------
    def _build_glossary_terms(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for e in self.k.glossary:
            for t in [e.term, *e.aliases]:
                out[t.lower()] = e.term
        return out

    def _glossary_term(self, q: Query) -> str | None:
        for token in re.findall(r"[A-Za-z0-9/&]+", q.text):
            term = self._glossary_terms.get(token.lower())
            if not term or term.lower() in {"sw2", "sw3", "sw4", "kr9", "kr10", "po3", "sco", "pcf", "sw"}:
                continue
            # Two-letter terms (IT, UK, OP, PE, OT...) are ordinary words in lower case: require capitals.
            if len(token) <= 2 and token != token.upper():
                continue
            return term
        if (
            "pcf" in q.lower.split()
            and q.glossary_hint
            and not q.pcf_domain
            and len(q.lower.split()) <= 5
            and "level" not in q.lower
            and "experienced" not in q.lower
        ):
            return self._glossary_terms.get("pcf")
        return None

    def _meaning_term(self, q: Query) -> str | None:
        """The spelt-out form asked about: "what does 'Making Safeguarding Personal' mean?" -> MSP."""
        for entry in self.k.glossary:
            if entry.meaning and len(entry.meaning) > 8 and entry.meaning.lower() in q.lower:
                return entry.term
        return None

    def _glossary(self, term: str) -> Reply:
        entry = self.k.glossary_entry(term)
        assert entry is not None
        blocks: list[Block] = []
        sources: list[str] = []
        if entry.meaning:
            title = f"{entry.term}: {entry.meaning}"
            if entry.document:
                doc = self.k.documents.get(entry.document)
                line = f", line {entry.line}" if entry.line else ""
                sources.append(f"{doc.title if doc else 'Document'} (document {entry.document}){line}")
        else:
            title = f"{entry.term}: not spelled out in the framework"
            blocks.append(
                Block(
                    text=f"The framework documents use “{entry.term}” but never say what it stands "
                    "for, so I won't guess. Your manager or practice lead can tell you."
                )
            )
        reply = Reply(title=title, blocks=blocks, notes=[entry.note] if entry.note else [], sources=sources)
        reply.meta.update(role=None, level=None, topic="glossary")
        return reply

    # -- PCF -----------------------------------------------------------------------------------------
    def _pcf(self, q: Query) -> Reply:
        pcf = [c for c in self.k.criteria if c.topic == "pcf_domain"]
        if q.pcf_domain is not None:
            items = [c for c in pcf if c.number == q.pcf_domain]
            if not items:
                numbers = sorted({c.number for c in pcf if c.number is not None})
                reply = Reply(
                    title=f"The PCF in the framework has no domain {q.pcf_domain}.",
                    blocks=[Block(text=f"It has domains {numbers[0]} to {numbers[-1]}.")],
                    status="not_in_framework",
                )
                reply.meta.update(role=None, level=None, topic="pcf_domain")
                return reply
            title = f"PCF domain {q.pcf_domain}: {items[0].title or ''}".strip()
            return self._reply(
                title=title,
                criteria=items,
                role=None,
                level=None,
                topic="pcf_domain",
                key=lambda c: "At the Experienced Social Worker level:",
            )
        named = self._pcf_domain_by_name(q, pcf)
        if named is not None:
            return self._pcf(replace(q, pcf_domain=named))
        # the level in general
        overview = [c for c in self.k.criteria if c.role == "PCF" and c.topic == "overview"]
        titles = OrderedDict()
        for c in pcf:
            titles.setdefault(c.number, c.title)
        domain_block = Block(title="The nine domains", bullets=[f"{n}. {t}" for n, t in titles.items()])
        info = self.k.roles.get("PCF")
        return self._reply(
            title=info.title if info else "Professional Capabilities Framework",
            criteria=overview,
            role=None,
            level=None,
            topic="pcf_domain",
            extra_blocks=[domain_block],
            choices=[
                self.ask_choice(f"Domain {n}", f"what is PCF domain {n}") for n in list(titles)[:5] if n is not None
            ],
        )

    def _pcf_domain_by_name(self, q: Query, pcf: list[Criterion]) -> int | None:
        """'the knowledge domain', 'PCF values and ethics', 'professional leadership' -> the domain number."""
        scores: dict[int, int] = {}
        text = q.lower.replace("&", "and")
        for c in pcf:
            if c.number is None or not c.title or c.number in scores:
                continue
            words = [w for w in re.findall(r"[a-z]+", c.title.lower()) if w not in {"and", "of", "the"}]
            found = [w for w in words if re.search(rf"\b{w}\b", text)]
            if found:
                scores[c.number] = sum(len(w) for w in found)
        if not scores:
            return None
        top = max(scores.values())
        winners = [n for n, sc in scores.items() if sc == top]
        return winners[0] if len(winners) == 1 else None  # a word two domains share decides nothing

    def _follow_up(self, q: Query, roles: list[str], levels: list[tuple[str, str]],
                   ctx: Context) -> tuple[list[str], list[tuple[str, str]]] | None:
        """A short follow-up to the answer just given: 'what about C?' (same role and topic, level C), 'and the
        evidence?' (same level, new topic), 'what about SW2C?' (same topic, new level). None when the message
        stands on its own."""
        role = ctx.last_role
        if not role or role not in self.k.roles or not self._followable(q):
            return None
        lead = _FOLLOW_UP_LEAD.match(q.lower)
        inherit_topic = ctx.last_topic in (*LEVEL_TOPICS, "evidence", "time_in_level", "overview")
        if roles:
            if lead and levels and not q.topics and inherit_topic and ctx.last_topic != "overview":
                q.topics.insert(0, ctx.last_topic)  # "what about SW2C?" after the evidence for SW3C
            return None
        known = KNOWN_LEVELS.get(role, "")
        lone = _LONE_LETTER.match(q.text)
        if lone and not q.bare_levels:  # "what about C?", "B": a letter alone is a level only as a follow-up
            q.bare_levels.append((lone.group(1).upper(), lone.start(1)))
        if q.bare_levels and all(lv in known for lv, _ in q.bare_levels):
            if not q.topics and inherit_topic and ctx.last_topic != "overview":
                q.topics.insert(0, ctx.last_topic)
            return [role], [(role, lv) for lv, _ in q.bare_levels]
        if q.topics and lead and ctx.last_level and ctx.last_level in known and not q.out_of_scope:
            return [role], [(role, ctx.last_level)]  # "and the evidence?"
        return None

    @staticmethod
    def _followable(q: Query) -> bool:
        """Whether a message could be a follow-up at all, whatever the last answer was: short, and either led
        by "and…"/"what about…" or naming no role ("C", "and the evidence?")."""
        if len(q.lower.split()) > 8:
            return False
        lead = _FOLLOW_UP_LEAD.match(q.lower)
        if q.roles:
            return bool(lead and q.levels and not q.topics)
        return bool(q.bare_levels or _LONE_LETTER.match(q.text) or (q.topics and lead))

    def _asked_level(self, q: Query, levels: list[tuple[str, str]]) -> tuple[str, str]:
        """Of two levels in one question, the one asked about: 'how do I get from SCO B to SCO C?' and 'how do
        I get to SW2C from SW2B?' both ask about C; a level said to be where the person is, or is coming from,
        is not the one asked about."""
        if len(levels) > 1:
            placed = [(r, lv, p) for r, lv, p in q.levels if (r, lv) in levels]
            goals = [(r, lv) for r, lv, p in placed if not _CURRENT_BEFORE.search(q.lower[max(0, p - 30):p])]
            if goals and len(goals) < len(placed):
                return goals[0]
        if q.lower.rstrip("?").endswith(levels[-1][0].lower() + levels[-1][1].lower()):
            return levels[-1]
        return levels[0]

    # -- time in level ---------------------------------------------------------------------------------
    def _from_to(self, q: Query, role: str, levels: list[tuple[str, str]]) -> tuple[str | None, str | None]:
        mine = [lv for r, lv in levels if r == role]
        if len(mine) >= 2:
            return mine[0], mine[1]
        if not mine:
            return None, None
        lv = mine[0]
        code_pat = rf"{role[:2].lower()}\s*[-_.]?\s*{role[2:].lower()}\s*[-_./]?\s*{lv.lower()}"
        towards = re.search(
            rf"\b(?:to|for|reach|reaching|become|becoming|into|get|achieve|progress to)\s+"
            rf"(?:level\s+)?{code_pat}",
            q.lower,
        )
        if (
            re.search(
                rf"\b(?:at|in|on|been|stay|spend|spent|stuck|remain|currently|am|i'm|skip|skipping)\s+(?:level\s+)?"
                rf"{code_pat}",
                q.lower,
            )
            or re.search(r"\bfrom\s+" + code_pat, q.lower)
            or (lv == "A" and not towards)
        ):
            return lv, self.k.next_level(role, lv)
        return self.k.previous_level(role, lv), lv

    _GOAL_BEFORE = re.compile(
        r"(?:\b(?:be|become|becoming|get to|move to|move up to|go for|apply for|reach|reaching|promoted to|"
        r"promotion to|step up to|route to|way to|path to|progress to)|\b(?:until|till|til)(?:\s+(?:i'?m|i am|i can be|"
        r"i become))?|\bbefore\s+(?:i'?m|i am|i can be|i become))\s+(?:an?\s+|the\s+)?$")

    def _role_is_the_goal(self, q: Query, role: str) -> bool:
        """'How long until I'm a senior?', 'how long to become a team manager?': the role is where the person
        wants to get to (its first level), not where they are."""
        return any(r == role and self._GOAL_BEFORE.search(q.lower[:p]) for r, p in q.mentions)

    def _time_in_level(self, q: Query, roles: list[str], levels: list[tuple[str, str]]) -> Reply:
        role = roles[0]
        info = self.k.roles[role]
        frm, to = self._from_to(q, role, levels)
        all_rules = [r for r in self.k.time_rules if r.role == role]
        if not info.levels or not all_rules:
            what = self._role_name(role)
            reply = Reply(
                title=f"The framework gives no minimum time in level for {what}.",
                blocks=[
                    Block(
                        text="Its documents set out what is needed at each level, but no time "
                        "you must spend at one before the next."
                    )
                ],
                status="not_in_framework",
                choices=[self.ask_choice(f"What {role} needs", f"tell me about {role}")],
            )
            reply.meta.update(role=self._public_role(role), level=to, topic="time_in_level")
            return reply
        if to is None and frm is None and self._role_is_the_goal(q, role):
            frm, to = None, next(iter(info.levels), None)
        if to is None and frm is not None:
            return self._top_level(role, frm, topic="time_in_level")
        if to is None:
            return self._clarify_level(
                role,
                "How long at which level?",
                "how long at {code} before the next level",
                topic="time_in_level",
                levels_from=("A", "B"),
            )
        if frm is None:
            # Entering level A of a role: no time-in-level rule, the sources ask for experience instead.
            return self._entry_level(role, to)
        if to and to > frm and self.k.next_level(role, frm) != to:
            return self._path_time((role, frm), (role, to))  # "how long from SW3A to SW3C?": both steps
        rules = self.k.rules_for(role, to)
        title_code = f"{self.k.code(role, frm)} to {self.k.code(role, to)}"
        if not rules:
            reply = Reply(title=f"The framework gives no minimum time for {title_code}.", status="not_in_framework")
            reply.meta.update(role=role, level=to, topic="time_in_level")
            return reply
        longest = max(rules, key=lambda r: (r.min_months, r.max_months or 0))
        blocks = []
        headline = f"At least {longest.months_text} at {self.k.code(role, frm)} before {self.k.code(role, to)}."
        if len(rules) > 1 and len({(r.min_months, r.max_months) for r in rules}) > 1:
            headline = (
                f"The documents differ: careerbot uses the longer minimum, {longest.min_months} months "
                f"at {self.k.code(role, frm)} before {self.k.code(role, to)}."
            )
        for r in rules:
            bullet = f"“{r.text}” ({r.source.document_title}, document {r.source.document_id})"
            blocks.append(
                Block(
                    title=f"{r.months_text} — document {r.source.document_id}",
                    bullets=[bullet],
                    notes=[r.note] if r.note else [],
                )
            )
        if longest.max_months and longest.max_months != longest.min_months:
            blocks.append(
                Block(
                    text=f"This is a range: you could be ready after {longest.min_months} months, "
                    f"and the guide expects it within {longest.max_months} months."
                )
            )
        after = self.k.next_level(role, to)
        following = self.k.rules_for(role, after) if after else []
        if following:
            longest_next = max(following, key=lambda r: (r.min_months, r.max_months or 0))
            blocks.append(
                Block(
                    text=f"After that: at least {longest_next.months_text} at {self.k.code(role, to)} "
                    f"before {self.k.code(role, after)} (ask about {self.k.code(role, after)} for "
                    "the details)."
                )
            )
        if _SKIP.search(q.lower):
            blocks.append(
                Block(
                    text=_SKIP_NOTE
                )
            )
        evidence = self.k.find(role=role, level=to, topic="evidence")
        blocks.append(
            Block(
                text=f"Time alone is not a promotion: the framework also asks for evidence to progress "
                f"to {self.k.code(role, to)}."
            )
        )
        reply = Reply(
            title=headline,
            blocks=blocks,
            sources=self._sources(rules),
            choices=(
                [self.ask_choice(f"Evidence for {self.k.code(role, to)}", f"evidence for {self.k.code(role, to)}")]
                if evidence
                else []
            )
            + [self.ask_choice(f"What {self.k.code(role, to)} needs", f"what do I need for {self.k.code(role, to)}")],
        )
        reply.meta.update(role=role, level=to, topic="time_in_level")
        return reply

    def _path_ends(self, q: Query, roles: list[str], levels: list[tuple[str, str]],
                   ctx: Context) -> tuple[tuple[str, str], tuple[str, str]] | None:
        """'How long from SW2A to SW3A?', 'how long until I'm a senior? I'm SW2B', 'how long from newly qualified
        to team manager?': a start and a goal in different roles of the one ladder, the goal further up."""
        ladder = [r for r in LADDER if r in self.k.roles]
        named = [r for r in dict.fromkeys(roles) if r in ladder]
        goal_role = next((r for r in named if self._role_is_the_goal(q, r)), None)
        if goal_role is None and len(named) >= 2:
            to = re.search(r"\b(?:to|until|till|before|become|becoming|reach)\b", q.lower)
            after = [r for r, p in q.mentions if r in named and to and p > to.start()]
            goal_role = after[0] if after else None
        if goal_role is None:
            return None
        starts = [r for r in named if r != goal_role]
        if starts:
            start_role = starts[0]
            start_level = next((lv for r, lv in levels if r == start_role), None)
            if start_level is None:
                start_level = ctx.level if ctx.role == start_role and ctx.level else next(iter(
                    self.k.roles[start_role].levels))
        elif ctx.role in ladder and ctx.level:
            start_role, start_level = ctx.role, ctx.level
        else:
            return None
        if ladder.index(start_role) >= ladder.index(goal_role):
            return None
        goal_level = next((lv for r, lv in levels if r == goal_role), None) or next(iter(
            self.k.roles[goal_role].levels))
        return (start_role, start_level), (goal_role, goal_level)

    def _path_time(self, start: tuple[str, str], goal: tuple[str, str]) -> Reply:
        """Every step from start to goal with the time the framework sets for it, quoted; where the path enters a
        new role there is no time in level, so the experience that role's first level asks for is quoted."""
        code = self.k.code
        blocks: list[Block] = []
        cited: list[Criterion | TimeRule] = []
        total = 0
        entries: list[str] = []
        role, level = start
        for _ in range(12):
            if (role, level) == goal:
                break
            nxt = self.k.next_level(role, level)
            if nxt:
                rules = self.k.rules_for(role, nxt)
                step = f"{code(role, level)} to {code(role, nxt)}"
                if rules:
                    longest = max(rules, key=lambda r: (r.min_months, r.max_months or 0))
                    total += longest.min_months
                    b = Block(title=f"{step}: at least {longest.months_text}",
                              bullets=[f"“{r.text}” (document {r.source.document_id})" for r in rules],
                              notes=[r.note for r in rules if r.note])
                    if len({(r.min_months, r.max_months) for r in rules}) > 1:
                        b.notes.insert(0, f"The documents differ; careerbot counts the longer minimum, "
                                          f"{longest.min_months} months.")
                    blocks.append(b)
                    cited += rules
                else:
                    blocks.append(Block(title=f"{step}: no minimum time in the framework"))
                level = nxt
                continue
            new_role = self._next_role(role)
            if new_role is None:
                break
            first = next(iter(self.k.roles[new_role].levels))
            experience = self.k.find(role=new_role, level=first, topic="experience")
            asked = [c for c in experience if re.search(r"\byears?\b|\bmonths?\b|post qualifying", c.text, re.I)]
            b = Block(title=f"{code(role, level)} to {code(new_role, first)}: a new role, with no time in level",
                      text=f"The framework sets no time in level between roles. {code(new_role, first)} asks "
                           "for experience instead:" if asked else "The framework sets no time in level between "
                           "roles.")
            quoted, _ = self._blocks(asked)
            b.bullets = [bullet for qb in quoted for bullet in qb.bullets]
            b.notes = [n for qb in quoted for n in qb.notes]
            blocks.append(b)
            cited += asked
            if asked:
                entries.append(code(new_role, first))
            role, level = new_role, first
        start_code, goal_code = code(*start), code(*goal)
        years = f" ({total // 12} years{f' {total % 12} months' if total % 12 else ''})" if total >= 12 else ""
        headline = f"From {start_code} to {goal_code}: at least {total} months{years} of time in level"
        asks = "asks" if len(entries) == 1 else "ask"
        headline += f", and the experience {' and '.join(entries)} {asks} for." if entries else "."
        blocks.append(Block(text="These are minimums from the documents, added up; they are not a timetable. "
                                 "Each step also needs the evidence the framework asks for, and the documents do "
                                 "not say whether the experience asked for overlaps with time spent at the levels "
                                 "below: your manager or HR can say how it is counted."))
        reply = Reply(
            title=headline,
            blocks=blocks,
            sources=self._sources(cited),
            choices=[self.ask_choice(f"What {goal_code} needs", f"what do I need for {goal_code}"),
                     self.ask_choice(f"Evidence for {goal_code}", f"evidence for {goal_code}")],
        )
        reply.meta.update(role=goal[0], level=goal[1], topic="time_in_level")
        return reply

    def _entry_level(self, role: str, level: str) -> Reply:
        info = self.k.roles[role]
        experience = self.k.find(role=role, level=level, topic="experience")
        evidence = [
            c
            for c in self.k.find(role=role, level=level, topic="evidence")
            if re.search(r"year|month|experience", c.text, re.I)
        ]
        pqe = [c for c in experience + evidence if re.search(r"\byears?\b|\bmonths?\b|post qualifying", c.text, re.I)]
        blocks, _ = self._blocks(pqe or experience)
        prev_role = self._previous_role(role)
        intro = (
            f"{self.k.code(role, level)} is the first level of the {info.title} role. "
            "The framework sets no time in level for moving into it"
        )
        intro += f" from {self.k.code(prev_role, 'C')}" if prev_role else ""
        intro += "; it asks for experience instead:"
        reply = Reply(
            title=f"No time-in-level rule for moving into {self.k.code(role, level)}.",
            blocks=[Block(text=intro), *blocks],
            sources=self._sources(pqe or experience),
            choices=self._level_choices(role, level, exclude="time"),
        )
        reply.meta.update(role=role, level=level, topic="time_in_level")
        return reply

    def _previous_role(self, role: str) -> str | None:
        return LADDER[LADDER.index(role) - 1] if role in LADDER and LADDER.index(role) > 0 else None

    def _next_role(self, role: str) -> str | None:
        return LADDER[LADDER.index(role) + 1] if role in LADDER and LADDER.index(role) + 1 < len(LADDER) else None

    def _top_level(self, role: str, level: str, *, topic: str) -> Reply:
        info = self.k.roles[role]
        nxt_role = self._next_role(role)
        blocks = [
            Block(
                text=f"{self.k.code(role, level)} ({LEVEL_NAMES.get(level, '')}) is the top level of the {info.title} "
                "role in the framework: there is no next level within the role."
            )
        ]
        criteria: list[Criterion] = []
        choices = []
        if nxt_role:
            nxt = self.k.roles[nxt_role]
            criteria = [
                c
                for c in self.k.find(role=nxt_role, level="A", topic="experience")
                + self.k.find(role=nxt_role, level="A", topic="evidence")
                if re.search(r"\byears?\b|post qualifying", c.text, re.I)
            ]
            blocks.append(
                Block(
                    text=f"Moving to a different role, such as {nxt.title} ({self.k.code(nxt_role, 'A')}), has no "
                    "time-in-level rule in the sources. What they ask for instead:"
                )
            )
            choices.append(
                self.ask_choice(
                    f"What {self.k.code(nxt_role, 'A')} needs", f"what do I need for {self.k.code(nxt_role, 'A')}"
                )
            )
        else:
            blocks.append(Block(text="The framework does not describe a next role from here."))
        more, _ = self._blocks(criteria)
        reply = Reply(
            title=f"{self.k.code(role, level)} is the top level of {info.title}.",
            blocks=blocks + more,
            sources=self._sources(criteria),
            choices=choices,
        )
        reply.meta.update(role=role, level=None, topic=topic)
        return reply

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
    def _next_step(self, role: str, level: str | None) -> Reply:
        info = self.k.roles[role]
        if not info.levels:
            return self._no_levels(role, parse(role))
        if level is None:
            return self._clarify_level(
                role, f"The next step from which {role} level?", "what comes after {code}", topic="next_step"
            )
        nxt = self.k.next_level(role, level)
        if nxt is None:
            return self._top_level(role, level, topic="next_step")
        reply = self._time_in_level(
            parse(f"how long at {self.k.code(role, level)} before {self.k.code(role, nxt)}"),
            [role],
            [(role, level), (role, nxt)],
        )
        reply.title = f"After {self.k.code(role, level)} comes {self.k.code(role, nxt)} ({info.levels[nxt]}). " + (
            reply.title or ""
        )
        if reply.status == "not_in_framework":
            # no time rule for this role (SCO): the step is still answered with what the next level asks
            code = self.k.code(role, nxt)
            asked = self._level(parse(f"what do I need for {code}"), role, nxt)
            reply.blocks += [Block(title=f"What {code} asks", text="In the framework's own words:"), *asked.blocks]
            reply.sources = list(dict.fromkeys(reply.sources + asked.sources))
            reply.choices = asked.choices
            reply.status = "answered"
        reply.meta.update(topic="next_step", level=nxt)
        return reply

    def _compare(self, q: Query, levels: list[tuple[str, str]]) -> Reply:
        role, later = levels[-1]
        earlier = levels[0][1] if len(levels) >= 2 and levels[0][0] == role else self.k.previous_level(role, later)
        if len(levels) >= 2 and levels[0][0] != role:
            return (
                self._mapping(q)
                if levels[0][0] not in ONE_LADDER or role not in ONE_LADDER
                else self._level(q, role, later)
            )
        if earlier is None or earlier == later:
            return self._level(q, role, later)
        if earlier > later:
            earlier, later = later, earlier
        added = [
            c
            for lv in ("B", "C")
            if earlier < lv <= later
            for t in LEVEL_TOPICS
            for c in self.k.find(role=role, level=lv, topic=t)
        ]
        evidence = self.k.find(role=role, level=later, topic="evidence")
        rules = [r for r in self.k.time_rules if r.role == role and earlier <= r.from_level < later]
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
            evidence, key=lambda c: f"Evidence for {self.k.code(role, later)}" + (f" – {c.group}" if c.group else "")
        )
        reply = Reply(
            title=f"What {self.k.code(role, later)} adds to {self.k.code(role, earlier)}",
            blocks=[
                Block(
                    text=f"{self.k.code(role, later)} asks for everything at {self.k.code(role, earlier)}, "
                    "plus the following."
                )
            ]
            + blocks
            + crit_blocks
            + ev_blocks,
            sources=self._sources(list(rules) + added + evidence),
            choices=self._level_choices(role, later, exclude="compare"),
        )
        reply.meta.update(role=role, level=None, topic="comparison")
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

    def _level(self, q: Query, role: str, level: str) -> Reply:
        info = self.k.roles[role]
        code = f"{self.k.code(role, level)}"
        topics = [t for t in q.topics if t in LEVEL_TOPICS or t == "evidence" or t in ROLE_WIDE_TOPICS]
        if "person_spec" in q.topics and not topics:
            topics = list(LEVEL_TOPICS)
        footer = None
        if (not topics and (not q.overview or _YES_NO.match(q.lower))) or (
                _YES_NO.match(q.lower) and self._rare_terms(q, role)
                and not self._topics_mention(q, role, level, topics)):
            # "do I need to chair meetings at SW3B?", "do I need to know MOSAIC for SW4A?": what the level's
            # documents say about that, not the whole topic the question's verb suggests
            specific = self._level_hits(q, role, level)
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
        if not criteria:
            what = " or ".join(TOPIC_TITLES.get(t, t).lower() for t in topics) or "criteria"
            reply = Reply(
                title=f"The framework lists no {what} for {code}.",
                blocks=[Block(text=(
                    "That part of the table is blank in the source documents."
                    if any(self.k.find(role=role, topic=t) for t in topics)
                    else f"The {info.title} documents have no such section at any level."
                ))],
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
            hits = [
                h.criterion for h in self.retriever.search(f"{what} {q.text}", roles={role}, limit=12) if h.score >= 3.0
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

    def _expand_terms(self, text: str) -> str:
        """Add the spelt-out form of abbreviations ('amhp' also searches 'Approved Mental Health Professional')."""
        extra = []
        for token in re.findall(r"[a-z0-9]+", text.lower()):
            term = self._glossary_terms.get(token)
            entry = self.k.glossary_entry(term) if term else None
            if entry and entry.meaning and len(token) > 2:
                extra.append(entry.meaning)
        return " ".join([text, *extra])

    def _level_hits(self, q: Query, role: str, level: str) -> Reply | None:
        """A specific question about a level ('do I need to be a practice educator for SW3C?')."""
        content = self._content_words(q, role)
        if not content:
            return None
        allowed = {lv for lv in self.k.roles[role].levels if lv <= level} | {None}
        hits = self._about_rare_terms(q, role, [
            h
            for h in self.retriever.search(self._expand_terms(" ".join(content)), roles={role}, limit=30)
            if h.criterion.level in allowed and h.score >= 3.0
        ])
        if not hits:
            return None
        top = hits[0].score
        chosen = [h.criterion for h in hits if h.score >= top * 0.5][:8]
        chosen.sort(key=lambda c: (c.level != level, c.level or "", c.topic))
        code = self.k.code(role, level)
        reply = self._reply(
            title=f"What the framework says on this for {code}",
            criteria=chosen,
            role=role,
            level=level,
            topic="search",
            key=lambda c: (f"{self.k.code(role, c.level)} – " if c.level else "") + _heading_with_group(c),
            choices=[
                self.ask_choice(f"Everything for {code}", f"what do I need for {code}"),
                *self._level_choices(role, level),
            ],
        )
        if any(c.level != level for c in chosen):
            reply.blocks.append(Block(text=f"Requirements of the levels below {code} also apply at {code}."))
        return reply

    def _one_role_says(self, q: Query) -> bool:
        """'How many GCSEs do I need?', 'CQC registration': a rare word that only one role's documents use
        answers the question better than asking which role."""
        rare = [t for t in terms(q.text) if self.retriever.idf.get(t, 0.0) >= RARE_TERM_IDF
                and not LEVEL_TOKEN.fullmatch(t)]
        if not rare:
            return False
        rarest = max(rare, key=lambda t: self.retriever.idf[t])
        roles = {self.retriever.criteria[i].role for i in self.retriever.postings.get(rarest, ())}
        return len(roles) == 1 and None not in roles

    def _content_words(self, q: Query, role: str) -> list[str]:
        """The question's words as typed, without the role's own names and level words ("do I need to supervise
        students for SW3C?" -> need, supervise, students): what to search the role's criteria for."""
        info = self.k.roles[role]
        role_words = set(terms(" ".join([info.title, *info.titles, *info.aliases, *info.grades, *ROLE_NAMES])))
        out = []
        for word in re.findall(r"[a-z0-9]+", q.lower):
            stems = terms(word)
            if stems and not LEVEL_TOKEN.fullmatch(stems[0]) and stems[0] not in role_words:
                out.append(word)
        return out

    def _about_rare_terms(self, q: Query, role: str, hits: list) -> list:
        """Hits that contain one of the question's rare words, when any does: 'MOSAIC' decides, 'need' does not."""
        rare = set(self._rare_terms(q, role))
        if not rare:
            return hits
        counted = [(len(rare & set(terms(h.criterion.text))), i, h) for i, h in enumerate(hits)]
        with_rare = [h for n, _, h in sorted(counted, key=lambda x: (-x[0], x[1])) if n]
        return with_rare or hits

    def _topics_mention(self, q: Query, role: str, level: str | None, topics: list[str]) -> bool:
        """Whether the topic the question names already holds its rare word ("DSO experience for SW3C": the
        experience section has it, so the whole section is the answer, with the line in its context)."""
        rare = set(self._rare_terms(q, role))
        return any(rare & set(terms(c.text)) for t in topics for c in self.k.find(role=role, level=level, topic=t))

    def _rare_terms(self, q: Query, role: str) -> list[str]:
        """The question's words that few criteria use ("MOSAIC", "chair", "students", "CQC"), leaving out the
        role's own names and level words: what a yes/no question is really about."""
        info = self.k.roles[role]
        role_words = set(terms(" ".join([info.title, *info.titles, *info.aliases, *info.grades, *ROLE_NAMES])))
        return [t for t in terms(q.text) if not LEVEL_TOKEN.fullmatch(t) and t not in role_words
                and self.retriever.idf.get(t, 0.0) >= RARE_TERM_IDF]

    def _role_hits(self, q: Query, role: str) -> Reply | None:
        """A specific question about a role ('do SW3s chair meetings?'): answer from matching criteria.

        'Tell me about KR9' has nothing to search for once the role's own names are taken out: it asks
        for the role itself, not for the one line that happens to say "Grade: KR9"."""
        content = self._content_words(q, role)
        if not content:
            return None
        hits = self._about_rare_terms(q, role, [
            h for h in self.retriever.search(self._expand_terms(" ".join(content)), roles={role}) if h.score >= 3.0])
        if not hits:
            return None
        top = hits[0].score
        chosen = [h.criterion for h in hits if h.score >= top * 0.5][:8]
        return self._reply(
            title=f"What the framework says for {self._role_name(role)}",
            criteria=chosen,
            role=role,
            level=None,
            topic="search",
        )

    # -- no role named ------------------------------------------------------------------------------------
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
            criteria += summary or self.k.find(role=role, topic="duties")[:5]
        reply = self._reply(
            title="How the roles compare, in the documents' own words",
            criteria=criteria,
            role=None,
            level=None,
            topic="comparison",
            key=lambda c: f"{self._role_name(c.role)} – {c.source.heading}",
            choices=[self.ask_choice(f"{r} duties", f"what are the duties of {r}") for r in roles],
        )
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
        return self._reply(
            title=title,
            criteria=wanted,
            role=None,
            level=None,
            topic="guidance",
            key=lambda c: c.title or c.source.heading,
        )

    def _role_move(self, q: Query, roles: list[str], levels: list[tuple[str, str]]) -> Reply | None:
        """'Can an SCO progress to SW2?', 'how do I go from SCO 4C to SW2A?': a move between two roles. The
        documents set no time in level between roles, so the answer says that and shows what the new role asks
        of someone starting at its level (its own words, cited), as the next-step answer for a top level does."""
        if q.comparison or q.mapping or "time_in_level" in q.topics or len(dict.fromkeys(roles)) < 2:
            return None
        mentions = [(r, p) for r, p in q.mentions if r in self.k.roles]
        m = re.search(r"\b(?:progress|move|moving|go|get|step|transfer|switch|apply)\w*\b[^?]*?\bto\b|"
                      r"\bbecom(?:e|ing)\b", q.lower)
        if not m and len(mentions) >= 2:  # "SW2 to SW3: what do I need?"
            m = re.compile(r"\s(?:to|into|->|→)\s").search(q.lower, mentions[0][1], mentions[1][1] + 1)
        if not m:
            return None
        after = [r for r, p in mentions if p >= m.end()]  # the role named after "to" / "become" is the goal
        if not after:
            return None
        target = after[0]
        source = next((r for r, _p in mentions if r != target), None)
        info = self.k.roles.get(target)
        if source is None or info is None or info.kind != "role":
            return None
        if not info.levels:  # "how do I go from KR9 to KR10?": a one-grade post asks what its person spec says
            reply = self._role(parse(f"person specification for {target}"), target)
            reply.title = f"From {self._role_name(source)} to {self._role_name(target)}"
            reply.blocks.insert(0, Block(text=(
                f"{target} is a different post from {source}, and the documents describe no route or time between "
                f"them. What the {target} documents ask is below, in their own words. Your manager or HR can say "
                "how a move works in practice.")))
            reply.meta.update(topic="role_change")
            return reply
        level = next((lv for r, lv in levels if r == target and lv), None) or next(iter(info.levels))
        code = self.k.code(target, level)
        reply = self._level(parse(f"qualifications and experience for {code}"), target, level)
        reply.title = f"From {self._role_name(source)} to {self._role_name(target)}"
        reply.blocks.insert(0, Block(text=(
            f"{target} is a different role from {source}, and the framework sets no time in level for moving "
            f"between roles. What it asks of someone starting at {code} is below, in its own words. Your manager "
            "or HR can say how a move works in practice.")))
        reply.meta.update(topic="role_change")
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

    def _free(self, q: Query) -> Reply:
        hits = self.retriever.search(q.text, limit=40)
        unknown = self.retriever.unknown_words(q.text)
        if not hits or hits[0].score < 2.0:
            if unknown:  # "do I need a masters?": say which word no document uses
                return self._not_mentioned(unknown)
            reply = self.help_reply(prefix="I couldn't find that in the career progression framework.")
            reply.status = "clarify"
            reply.meta.update(role=None, level=None, topic=None)
            return reply
        if unknown and self.retriever.coverage(q.text, hits[0]) <= 0.5:
            # "Is there a dress code?": the best match shares only a word or two ("code of ethics"), and the
            # word that matters appears in no document. Say so instead of showing unrelated criteria.
            return self._not_mentioned(unknown)
        top = hits[0].score
        chosen = [h.criterion for h in hits if h.score >= top * 0.45][:14]
        roles_hit = list(dict.fromkeys(c.role for c in chosen))

        def key(c: Criterion) -> str:
            who = self._role_name(c.role) if c.role else "Guidance"
            return f"{who} – {c.source.heading}"

        silent = [self._role_name(r) for r, info in self.k.roles.items() if info.kind == "role" and r not in roles_hit]
        extra = [Block(text="Nothing on this in the documents for: " + ", ".join(silent) + ".")] if silent else []
        return self._reply(
            title="What the framework documents say",
            criteria=chosen,
            role=None,
            level=None,
            topic="search",
            key=key,
            extra_blocks=extra,
        )

    def _not_mentioned(self, words: list[str]) -> Reply:
        shown = " or ".join(f"“{w}”" for w in words[:3])
        reply = self.help_reply(prefix=f"The framework documents don't mention {shown}.")
        reply.blocks.insert(0, Block(text="So I can't answer that from them; your manager or HR may know. Here is "
                                          "what I can help with."))
        reply.status = "not_in_framework"
        reply.meta.update(role=None, level=None, topic="search")
        return reply

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


def _heading_with_group(c: Criterion) -> str:
    if c.group and c.group.lower() not in c.source.heading.lower():
        return f"{c.source.heading} – {c.group}"
    return c.source.heading


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
