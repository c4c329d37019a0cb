"""Recognising a request to start a dialog in typed text: "assess me", "check-in", "delete my data"..."""

from __future__ import annotations

import re
from typing import Any

_DELETE = re.compile(
    r"\b(?:delete|erase|remove|wipe)\s+(?:all\s+)?(?:of\s+)?my\s+(?:personal\s+)?(?:data|details|information|"
    r"info|account)\b|\bforget (?:about )?me\b|\bright to (?:erasure|be forgotten)\b|"
    r"\b(?:delete|erase|remove|wipe)\s+(?:everything|all|anything|whatever)\s+(?:(?:that\s+)?you(?:'ve|\s+have)?\s+"
    r"(?:got|have|hold|keep|know|store|saved?)\s+)?(?:on|about)\s+me\b|"
    # "delete everything", "im leaving next month, wipe everything pls": everything is theirs to delete
    r"(?:^|[,.;!]\s*)(?:(?:please|pls|just|ok|so)\s+)?(?:delete|erase|wipe)\s+(?:it\s+)?(?:all|everything)"
    r"(?:\s+(?:please|pls|now|thanks))?\s*[.!]*\s*$", re.I)
# "delete my self-assessment only", "can i delete just my check-in": one record, which careerbot does not do
DELETE_ONE = re.compile(
    r"\b(?:delete|erase|remove|wipe|get rid of|bin)\s+(?:just\s+|only\s+)?(?:my|that|this|one)\s+(?:last\s+|"
    r"latest\s+|old\s+|previous\s+|first\s+)?(?:self[- ]?assessments?|assessments?|check[- ]?ins?(?: notes?)?|"
    r"supervision packs?)\b(?!\s+(?:section|part|from my (?:portfolio|evidence)))", re.I)
_EXPORT = re.compile(
    r"\b(?:export|download|send me|give me|get)\s+(?:a copy of\s+)?(?:all\s+)?(?:of\s+)?my\s+(?:data|information|"
    r"info|details|records)\b|\bsubject access\b|\bright of access\b|\bwhat (?:data|information) do you (?:hold|"
    r"have|keep) (?:on|about) me\b", re.I)
# "Don't share with my manager", "stop sharing", "I don't want to share my self-assessment": never a share, and
# never a new self-assessment: whatever is shared becomes private again
_RECORD = r"(?:self[- ]?assessments?|assessments?|check[- ]?ins?|records?|notes?|packs?|answers?)"
_WHAT = r"(?:it|them|this|that|anything|everything|(?:my|the|this|that) (?:\w+ )?" + _RECORD + r")"
# Said as a command, never as part of a question or a remark ("what happens if I don't share it?", "don't forget
# to share…", "never mind, share it", "my team does not share learning"): whatever is shared becomes private
_NOT_SHARE = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|no|actually|sorry|please|i(?:'ve| have)? changed my mind)[,.!]?\s+)*(?:"
    r"(?:please\s+)?(?:stop sharing|unshare)\b(?!\s+(?:my )?(?:screen|desk|office|car|room|files?|calendar))"
    r"|(?:please\s+)?(?:don'?t|dont|do not|never)\s+share(?:\s+" + _WHAT + r")?(?:\s+with (?:my|the) (?:line |team )?"
    r"(?:manager|boss|supervisor))?\s*(?:any ?more|again|now|please|thanks?)?\s*[.!]*\s*$"
    r"|i (?:don'?t|do not|no longer) want (?:to share|my (?:line |team )?manager to see|anyone to see)\b"
    r"|(?:can|could) (?:i|you) (?:stop sharing|unshare)\b"
    r"|make " + _WHAT + r" private\b"
    r"|hide " + _WHAT + r" from\b"
    r"|withdraw (?:my )?(?:consent|sharing|" + _WHAT + r")\b)", re.I)
_NEGATED_SHARE = re.compile(r"\b(?:don'?t|dont|do not|never|not|won'?t|will not|stop|rather not)\b[^.?!]{0,40}\bshar",
                            re.I)
_SHARE = re.compile(r"\bshare\b.{0,40}\bwith my (?:manager|line manager|supervisor|team manager)\b", re.I)
_PACK = re.compile(r"\bsupervision pack\b|\bdownload (?:my )?(?:pack|assessment|self[- ]?assessment)\b|"
                   r"\bmy pack\b|"
                   # "download it", "export that", "can I get it as a Word doc?": the latest one, as the buttons say
                   r"^\s*(?:(?:can|could) (?:i|you) |please )?(?:download|export|send me|(?<=i )(?:get|have))\s+"
                   r"(?:it|that|this|a copy)(?:\s+(?:as|in) (?:a )?(?:word|docx|word doc(?:ument)?|markdown|file))?"
                   r"\s*(?:please)?\s*[.!?]*\s*$", re.I)
# "Download check-in note", "get my check-in note": the latest check-in's note (a button's label, typed)
_CHECKIN_NOTE = re.compile(r"\b(?:download|get|send me|open|show me)\s+(?:my\s+|the\s+)?(?:latest\s+|last\s+)?"
                           r"check[- ]?in\s+note\b|\bmy check[- ]?in note\b|"
                           r"^\s*(?:download|get|send me|show me|open)\s+(?:my\s+|the\s+)?(?:latest\s+|last\s+)?"
                           r"check[- ]?in\s*[.!]*\s*$", re.I)
_CHECKIN = re.compile(r"\bcheck[- ]?in\b|\bprep(?:are)? (?:me )?for (?:my )?(?:next )?supervision\b|"
                      r"\bsupervision prep(?:aration)?\b|\bget ready for (?:my )?supervision\b", re.I)
_ASSESS = re.compile(r"\bassess me\b|\bassess myself\b|\bself[- ]?ass?ess?(?:e?ment)?\b|\bstart (?:an? |my )?"
                     r"assess?e?ment\b|\bassess?e?ment for\b|\brate myself\b|\bnew assessment\b|"
                     r"^\s*(?:/career\s+)?assess\b", re.I)
_ABOUT = re.compile(r"^\s*(?:what|how|why)(?:'s|\s+(?:is|are|does|do|did))\b", re.I)
# "Has Raj done a self-assessment?", "did I do a check-in last month?", "Jo's self-assessment": a question about
# one (someone's, or the person's own), not a request to start a new one
_QUESTION_ABOUT_ONE = re.compile(
    r"^\s*(?:has|have|had|did|does|is|are|was|were|when|who|whose|which|how many|how often)\b|"
    r"^\s*where(?:'s| is| are| did)\s+(?:all\s+)?my\b|"
    r"\b(?:his|her|their|[a-z]+'s)\s+(?:last\s+|latest\s+)?(?:self[- ]?assessments?|assessments?|check[- ]?ins?)\b|"
    r"\bmy (?:last|latest|previous|past|old|earlier) (?:self[- ]?assessments?|assessments?|check[- ]?ins?)\b",
    re.I)


def detect_start(text: str) -> tuple[str, dict[str, Any]] | None:
    """(dialog name, args) when the text asks to start one, else None."""
    if not isinstance(text, str) or not text.strip() or len(text) > 300:
        return None
    t = text.strip()
    if DELETE_ONE.search(t):  # one record: the router says what can be done instead; never a new one started
        return None
    if _DELETE.search(t) and not re.search(r"\bhow\b|\bcan i\b|\bwhat happens\b", t, re.I):
        return "delete_data", {}
    if _EXPORT.search(t):
        return "export_data", {}
    if _NOT_SHARE.search(t) and not _ABOUT.search(t):  # "can I stop sharing?" too: it is done, and said
        return "unshare_all", {}
    share, negated = _SHARE.search(t), _NEGATED_SHARE.search(t)
    if share and not negated and (
            not t.endswith("?") or re.match(r"\s*(?:(?:can|could|would|will) you|please)\b", t, re.I)):
        return "share_latest", {}  # "share it with my manager", "can you share it with my manager?": never a question
    if share or negated:
        return None  # a question or a remark about sharing starts nothing ("should I share my self-assessment…?")
    if _CHECKIN_NOTE.search(t):
        return "pack_latest", {"kind": "checkin"}
    if _PACK.search(t):
        return "pack_latest", {}
    if _QUESTION_ABOUT_ONE.search(t):
        return None
    if _CHECKIN.search(t) and not _ABOUT.search(t):
        return "checkin", {}
    if _ASSESS.search(t) and not _ABOUT.search(t):
        return "self_assessment", _assessment_args(t)
    return None


def _assessment_args(text: str) -> dict[str, Any]:
    from bot.answers.questions import KNOWN_UNLEVELLED, parse

    q = parse(text)
    args: dict[str, Any] = {}
    if q.levels:
        role, level, _ = q.levels[0]
        args["level"] = f"{role}{level}"
    else:
        unlevelled = [r for r in q.roles if r in KNOWN_UNLEVELLED]
        if unlevelled:
            args["level"] = unlevelled[0]
        elif q.unknown_codes:
            args["level"] = q.unknown_codes[0]
    if q.variant:
        args["variant"] = q.variant
    return args
