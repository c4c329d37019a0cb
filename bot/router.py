"""One turn of conversation: de-duplicate, resume an active dialog, else recognise the intent and answer."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.answers.engine import AnswerEngine, Context
from bot.answers.questions import in_full, parse, time_in_place
from bot.conversation import Aside, Attachment, Block, Choice, HomeSummary, Incoming, Reply
from bot.dates import COUNT, MONTH_ALONE, MONTH_WORD, format_uk, in_year_of, names_a_day, parse_date, shift
from bot.knowledge.model import Knowledge
from bot.personal import REPORT_ACTION, PersonView, names_of
from bot.reminders import WEEKDAYS, parse_snooze
from bot.storage.base import Person, Store, StoreError

log = logging.getLogger(__name__)

STORE_DOWN = Reply(
    title="Sorry, I can't reach my records just now.",
    blocks=[Block(text="Nothing you sent has been lost. Please try again in a few minutes.")],
    status="error",
)

# A level code as typed ("SW2B", "sw 2b", "SCO-4B") and a span of time ("3 months", "about two years")
_CODE = r"(?:sw|sco)\s*-?\s*\d\s*-?\s*[abc]"
_SPAN = (r"(?:\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
         r"(?:days?|weeks?|months?|years?)")
# A level and its start: "I'm SW2B since March 2025", "I started SW3A in March", "I moved to SW3B on 3 Feb 2025",
# "my start date at SW2B was 01/06/2024", "SW2B since last June". Each pattern names the level and the date.
_LEVEL_STATEMENTS = tuple(re.compile(p, re.I) for p in (
    r"^\s*(?:/career\s+)?(?:(?:i'?m|i am|my level is|i'?ve been|i have been|been|set my level(?: to)?|level)\s+)"
    r"(?:an?\s+|at\s+|on\s+)?(?P<code>.+?)\s+(?:since|from|as of|starting)\s+(?P<when>.+)$",
    r"^\s*(?:i\s+)?(?:started|began|moved|went|progressed|stepped|was promoted|got promoted|have been promoted|"
    r"promoted|became|joined|got my|got)\s+(?:up\s+)?(?:to\s+|at\s+|on\s+|as\s+|into\s+)?(?:an?\s+)?(?P<code>.+?)\s+"
    # "in" stays with the date: "in sept 24" is September 2024, where "sept 24" alone is a day
    r"(?:(?:on|since|from|as of)\s+|(?=(?:in|back in|last|this|early|late)\s))(?P<when>.+)$",
    r"^\s*my start date (?:at|for|as|on) (?P<code>.+?) (?:was|is) (?P<when>.+)$",
    rf"^\s*(?P<code>{_CODE})\s+(?:since|from)\s+(?P<when>.+)$",
    # "since April 2025 I've been SW2B": the date first
    r"^\s*(?:since|from)\s+(?P<when>[^,;]+?)\s*[,;]?\s*(?:i'?ve been|i have been|i'?m|i am)\s+(?:an?\s+|at\s+|on\s+)?"
    rf"(?P<code>{_CODE})\s*[.!]?$",
    # "I started SW2B 3 months ago", "I've been SW3A for two years", "became SW2C a year ago"
    r"^\s*(?:i\s+)?(?:started|began|moved|went|progressed|stepped|was promoted|got promoted|became|joined|"
    r"i'?ve been|i have been|been)\s+(?:up\s+)?(?:to\s+|at\s+|on\s+|as\s+|into\s+)?(?:an?\s+)?"
    rf"(?P<code>{_CODE})\s+(?P<when>(?:about\s+|around\s+)?{_SPAN}\s+ago)\s*[.!]?$",
    rf"^\s*(?:i'?ve been|i have been|been)\s+(?:an?\s+|at\s+|on\s+)?(?P<code>{_CODE})"
    rf"\s+for\s+(?P<for>(?:about\s+|around\s+|nearly\s+|almost\s+)?{_SPAN})\s*[.!]?$",
    # "my level is SW2A started 1/9/2024", "I'm on SW3B, started there in June 2025"
    rf"^\s*(?:my level is|i'?m on|i am on|i'?m at|i am at|i'?m|i am)\s+(?P<code>{_CODE})\s*[,;-]?\s*(?:and\s+)?"
    r"(?:i\s+)?(?:started|began|since|from|moved up)(?:\s+(?:there|it|that|on it))?\s+(?:in\s+|on\s+)?"
    r"(?P<when>(?:\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|last\b|this\b|early\b|late\b)[^?]*?)"
    r"\s*[.!]?$",
))
# "actually I started SW2B in April 2025", "sorry, I'm SW2C since May": a statement after a correction's lead-in
# "just got promoted to Sw3b!! started on monday", "I've been promoted to SW3A", "passed my sw2b panel today!"
_PROMOTED = re.compile(
    r"^\s*(?:(?:yay|woo+(?:hoo+)?|yes+|guess what|great news|good news|amazing news)[,.!]*\s+)*"
    r"(?:i\s*(?:'ve|have|'m|am)?\s+)?(?:just\s+|finally\s+|now\s+)?(?:got\s+|been\s+|was\s+|am\s+|'m\s+)?"
    r"(?:promoted|moved up)\s+(?:to|into)\s+(?:an?\s+)?(?P<code>" + _CODE + r")\b[!.\s]*(?P<rest>.*)$",
    re.I)
# "stepped up to SW3A temporarily", "promoted by mistake", "passed my panel but it was overturned", "starting in
# January": not a level to record now
_NOT_PROMOTED = re.compile(r"\b(?:temporar\w*|acting|interim|by mistake|demoted|stepped down|step down|overturned|not "
                           r"(?:yet )?confirmed|ha(?:ve|s)n'?t (?:been )?confirmed|but|then|starting|will|next|from "
                           r"(?:next|" + MONTH_WORD + r"))\b", re.I)
# a question after the news ("i was promoted to SW3A last april, when can i go for b"): answered as a question
_ASKS = re.compile(r"\?|\b(?:when|what|how|why|which|can i|could i|do i|does|should i|will i|am i|is it)\b", re.I)
_PASSED_PANEL = re.compile(r"^\s*(?:i\s+)?(?:just\s+|finally\s+)?passed my (?P<code>" + _CODE + r")\s+(?:panel|"
                           r"progression(?: panel)?|application|interview)\b[!.\s]*(?P<rest>.*)$", re.I)
_PROMOTED_WHEN = re.compile(r"(?:^|\b(?:started|starting|start|since|from|on|as of|in|back in)\s+)"
                            r"(?P<when>(?:on\s+)?(?:today|yesterday|last\s+\w+|this\s+\w+|\d.*|(?:mon|tues?|wed|thu|thurs|fri|sat|sun)\w*|"
                            + MONTH_WORD + r".*))\s*[.!]*$", re.I)
# "sorry i should say im sw2c", "oh and im sw2b btw", "to be clear, I'm SW3A since May": the same, said by the way
_CORRECTION_LEAD = re.compile(r"^\s*(?:(?:no|nope|actually|sorry|oh|wait|oops|correction|my mistake|wrong level|"
                              r"that'?s wrong|i'?m not (?:an?\s+)?(?:sw|sco)\s*-?\s*\d\s*-?\s*[abc]|i should (?:have )?"
                              r"said|i should say|i meant(?: to say)?|i mean|and|also|btw|by the way|fyi|just so you "
                              r"know|for the record|to be clear)\b[,.!:;-]?\s*)+", re.I)
# "no, it was April", "sorry, April 2025", "actually it was 3 March 2025": a new start for the level on record
# a date and nothing else: "April", "3 March 2025", "April last year", "03/04/2025", "2025-04-03"
_BARE_DATE = (rf"(?:(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?)?{MONTH_WORD}\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?"
              rf"(?:,?\s+(?:\d{{4}}|['’]\d{{2}}|(?:of\s+)?(?:last|this)\s+year))?|\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|"
              rf"\d{{4}}-\d{{2}}-\d{{2}}|(?:19|20)\d\d)")
_CORRECTED_START = re.compile(r"^\s*(?:(?:(?:no|nope|actually|sorry|oops|wait|correction|wrong (?:year|month|"
                              r"start date))\b[,.!:;-]?\s*)+"
                              r"(?:it\s+was\s+|it'?s\s+|it\s+is\s+|i\s+meant\s+|make\s+it\s+|(?:i\s+)?started\s+)?"
                              r")"
                              rf"(?:in\s+|on\s+|from\s+|since\s+)?(?P<when>{_BARE_DATE})\s*[.!]?$", re.I)
# "since april 2023", "from March 2025": a start and nothing else, for the level on record
_SINCE_ALONE = re.compile(rf"^\s*(?:since|from|started(?:\s+(?:in|on))?|i started(?:\s+(?:in|on))?)\s+"
                          rf"(?P<when>{_BARE_DATE})\s*[.!]?$", re.I)
# "change my start date to April 2025", "update my start date to 1/4/2025": the level on record, a new start
_NEW_START_DATE = re.compile(r"\b(?:change|update|correct|fix|set|edit|amend|move)\s+my\s+start(?:ing)?\s+date\s+"
                             r"(?:to|as|for)\s+(?P<when>.+?)\s*[.!]?$|\bmy start date (?:is wrong|should be)[,.;:]?\s*"
                             r"(?:it\s+(?:was|is|should be)\s+|it'?s\s+)?(?P<when2>.+?)\s*[.!]?$", re.I)
# "I'm SW2B", "my level is SCO 4A": a level with no date (the dialog asks since when)
_MY_LEVEL_IS = re.compile(
    r"^\s*(?:i'?m|i am|my (?:level|grade) is|i'?m (?:at|on)|i am (?:at|on)|i work at|i'?m working at|"
    r"(?:please\s+)?(?:change|update|set|correct) my (?:level|grade)(?: to)?|i meant|(?:it\s+)?should be|"
    r"(?:it'?s|it is) actually)\s+"
    rf"(?:actually\s+|now\s+|currently\s+|really\s+)?(?:at\s+|on\s+)?(?:an?\s+|level\s+)?"
    rf"(?P<code>{_CODE}|[23]\s*-?\s*[abc](?![\w.]))\b"  # "im a 2b now": a Social Worker or Senior level
    r"(?:\s+(?:social worker|senior social worker|senior|team manager|social care officer|level|now|please))?"
    r"(?:\s*,?\s*(?:btw|by the way|fyi|actually|too|as well|now))?"
    rf"(?:\s*,?\s*(?:and\s+)?not\s+(?:an?\s+)?{_CODE})?\s*[.!]?\s*$",  # "im sw2b not sw2c"
    re.I)
# "snooze ...", "remind me later / in 2 weeks / next month / on 5 January", "pause reminders for a month"
_SNOOZE = re.compile(
    r"^\s*(?:/career\s+)?(?:(?:not now|not yet|not today|ok(?:ay)?|thanks|thank you|cheers|sorry|busy)\s*[,.!;-]*\s+)?"
    r"(?:(?:please|pls|can you|could you)\s+)?"
    r"(?:snooze(?:\s+(?:my\s+|the\s+)?(?:reminders?|nudges?))?"
    r"|remind me(?:\s+(?:about )?(?:it|this|that))?"
    r"(?=\s*(?:$|(?:later|again|in|next|on|after|tomorrow|for|until|till|another|some)\b))"
    r"|(?:pause|hold|mute|silence)\s+(?:my\s+|the\s+|all\s+)?(?:reminders?|nudges?|notifications?)"
    r")\b(?P<rest>.*)$", re.I)
_OPT_OUT = re.compile(r"^\s*(?:stop|turn off|switch off|disable|no more|opt out of|unsubscribe(?: from)?)\s+"
                      r"(?:all\s+)?"
                      r"(?:the\s+|my\s+|these\s+)?(?:reminders?|nudges?|notifications?)\b|^\s*opt[- ]?out\b|"
                      r"^\s*(?:please\s+)?(?:stop|quit) (?:reminding|nudging|messaging|pestering|chasing) me\b|"
                      r"^\s*(?:please\s+)?(?:don'?t|do not) (?:remind|nudge|message) me(?: any ?more| again)?\s*[.!]*$|"
                      r"^\s*unsubscribe\s*[.!]*$", re.I)
# someone else as the subject: "she's been…", "can he apply…", "my colleague…", "amy's been acting up"
_SOMEONE_ELSE = re.compile(
    r"\b(?:she|he)(?:['’]s|\s+(?:is|has|had|was|will|can|could|would|needs?|wants?|qualified|started))\b"
    r"|\b(?:can|could|does|did|is|has|should|would|will)\s+(?:she|he)\b"
    r"|\b(?:my|our)\s+(?:colleague|co-?worker|report|staff member|team member|supervisee|friend|student|mate|pal|"
    r"buddy|bestie)\b"
    r"|\bone of my (?:team|staff|reports|workers)\b"
    r"|\b(?!(?:it|that|this|there|what|who|where|how|here|he|she|everyone|someone|nobody|one|time|level)['’]s\b)"
    r"[a-z]+['’]s\s+been\b", re.I)
_ASKS_OF_ONESELF = re.compile(r"\b(?:can|could|do|am|should|will|would|have|did) i\b|\bi (?:can|could|need|am)\b|"
                              r"\b(?:my level|my time|me to)\b", re.I)
# "Raj has been SW2A since May": someone named, looked up among the asker's reports
_HAS_BEEN = re.compile(r"\b[a-z]+\s+(?:has|had)\s+been\b|\b[a-z]+\s+(?:is|was)\s+(?:on|at|acting)\b", re.I)
# "how do I save my self-assessment?", "will it keep my answers if I close teams?", "can I finish it later?"
_SAVING = re.compile(
    r"\b(?:save|keep|remember|store|lose)\s+(?:my\s+|the\s+)?(?:answers|self[- ]?assessments?|assessments?|"
    r"check[- ]?ins?|progress|place)\b(?!.*\b(?:sw\d|sco|level|pcf|framework|evidence|hr)\b)"
    r"|\b(?:is|are|was|were)\s+my\s+(?:answers|self[- ]?assessments?|assessments?|check[- ]?ins?|progress)\s+"
    r"(?:saved|kept|stored|lost)\b|\b(?:need|have) to save\b|\bhow do i save\b"
    r"|\bcan i (?:finish|complete|carry on with|come back to|continue) (?:it|this|my (?:self[- ]?)?assessment|the "
    r"(?:self[- ]?)?assessment) later\b|^\s*is (?:this|it) (?:saved|being saved)\s*\??\s*$", re.I)
# "when's my next supervision?", "next supervision date?", "my supervision date"
_WHEN_SUPERVISION = re.compile(r"\bwhen(?:'s|s| is| was| will be)\s+(?:my|our)\s+(?:next\s+)?supervision"
                               r"(?:\s+(?:date|meeting|session))?\s*[?.!]*\s*$|"
                               r"^\s*(?:my\s+)?next supervision(?: date)?\s*"
                               r"[?.!]*\s*$|\bmy (?:next )?supervision date\b(?!\s+(?:moved|changed|is now))", re.I)
# "my supervision moved to 5th jan", "supervision has been rescheduled for 12 January"
_SUPERVISION_MOVED = re.compile(
    r"(?:^\s*(?:my\s+|the\s+)?|\bmy\s+)(?:next\s+)?supervision(?:\s+date)?\s+(?:has\s+|'s\s+)?(?:been\s+|got\s+)?"
    r"(?:moved|changed|rearranged|rescheduled|put back|brought forward|is now)\s+(?:to|until|till|for|on)?\s*"
    r"(?P<when>[^?]{1,40}?)\s*[.!]*\s*$", re.I)
# "cancel my supervision reminder", "don't remind me before supervision"
_NO_SUPERVISION_REMINDER = re.compile(
    r"^\s*(?:(?:please|pls|can you|could you)\s+)?(?:cancel|stop|remove|turn off|switch off|delete|drop)\s+(?:my\s+|"
    r"the\s+)?supervision reminders?(?:\s+(?:please|pls|thanks))?\s*[.!]*\s*$|"
    r"^\s*(?:please\s+)?(?:don'?t|do not) remind me (?:about|before|of) (?:my\s+)?(?:next\s+)?supervision\s*[.!]*\s*$",
    re.I)
# "ok save that", "yes save it", "save": the level and start just offered with a Save button
_SAVE_THAT = re.compile(r"^\s*(?:(?:ok(?:ay)?|yes|yeah|yep|sure|please|pls|go on)[,.!]?\s+)*(?:please\s+)?save"
                        r"(?:\s+(?:that|it|this|them|my level|that for me|it for me|it please|that please))?"
                        r"\s*[.!]*\s*$", re.I)
_A_TASK = re.compile(r"\bto\s+(?!\d|(?:the\s+)?(?:start|end|beginning|middle)\b|(?:" + MONTH_WORD + r")\b)[a-z]+\b",
                     re.I)
_SNOOZE_NOT = re.compile(r"\b(?:what|how|who|which|where|why|whether)\b|^\s*again\s*\?", re.I)
# an answer to "Until when shall I snooze your reminders?": "2 weeks", "till the new year", "monday", "5 Jan"
_UNTIL_ALONE = re.compile(r"(?!.*\b(?:no|not|don'?t|dont|never|actually|what|when|how|why|i'?m|i am|leave|ago)\b)"
                          r"\s*(?:(?:ok|okay|erm|um|just|maybe|say|make it)[,.]?\s+)*(?:until|till|til|to|for|in|on|"
                          r"after|from)?\s*(?:the\s+)?[\w ,/.'’-]{1,40}?\s*[.!]?\s*", re.I)
# "stop Jo's reminders", "snooze reminders for my team", "turn them off for her": someone else's (the manager's
# reports' names are looked up in the store as well)
_OTHERS_REMINDERS = re.compile(
    r"\b(?!(?:my|your|today|tomorrow|yesterday|week|month|year|weekend|morning|afternoon|evening|monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday|tonight)['’]s)[a-z]+['’]s\s+(?:reminders?|nudges?|notifications?)\b|"
    r"\bfor\s+(?:him|her|them|my (?:whole )?team|the (?:whole )?team(?! digest)|my staff|my reports|everyone|"
    r"everybody|all of them|(?:my|the) social workers)\b", re.I)
# "can you remind Raj to do his self-assessment?", "please nudge my team about evidence"
_REMIND_SOMEONE = re.compile(r"^\s*(?:please\s+|can you\s+|could you\s+|will you\s+)?(?:remind|nudge|chase|ping|"
                             r"message|tell) (?!me\b|myself\b|us\b)[a-z]+(?:['’]s)?(?: [a-z]+)? (?:to|about|that)\b",
                             re.I)
# "what do you tell my staff?", "what reminders do my team get?", "can my staff see what I see?"
_WHAT_STAFF_GET = re.compile(
    r"\bwhat (?:do|will|does|would) (?:you|the bot|careerbot|it) (?:tell|send|show|say to) (?:to )?(?:my )?"
    r"(?:staff|team|reports|social workers)\b|\bwhat (?:do|will|does) my (?:staff|team|reports) (?:see|get|receive)\b|"
    r"\bwhat (?:reminders|messages|nudges) (?:do|will|does) my (?:staff|team|reports) get\b|"
    r"\bcan my (?:staff|team|reports) see what i see\b", re.I)
# "turn my digest off", "stop the weekly digest", "is my digest on?": the team digest, which goes with reminders
_DIGEST = re.compile(r"\b(?:team |weekly |manager'?s? )?digests?\b", re.I)
# "When's my next reminder?", "what reminders will I get?", "my reminder settings"
_MY_REMINDERS = re.compile(r"^\s*reminders?\s*[?.!]*\s*$|"
                           r"\b(?:my (?:next )?reminders?|next reminder|reminder settings|what reminders|"
                           r"when (?:will|do|are) you (?:remind|message|nudge) me|am i getting reminders|"
                           r"are (?:my )?reminders (?:on|off)|when(?:'s| is) my (?:next )?reminder)\b|"
                           # when reminders come: "will you message me on christmas day?", "what time zone do you
                           # have me in", "do you send reminders on bank holidays"
                           r"\b(?:will|would|do|does|can) (?:you|careerbot|reminders?|the reminders) (?:ever )?"
                           r"(?:message|remind|send|nudge|contact|ping|come|arrive)\b[^?]{0,40}\b(?:christmas|"
                           r"boxing day|"
                           r"new year'?s day|bank holidays?|weekends?|holidays?|evenings?|nights?|at night|"
                           r"out of hours|sundays?|saturdays?)\b|"
                           r"\b(?:what|which) time ?zone\b|\bmy time ?zone\b|\bwhat time (?:do|will|would) (?:you|"
                           r"reminders|the reminders|they) (?:come|arrive|be sent|send|message)\b", re.I)
_CHANGE_TIMEZONE = re.compile(r"\b(?:change|set|update|switch|move|correct)\s+(?:my\s+|the\s+)?time ?zone\b", re.I)
# "Who's my manager?", "who is my line manager?"
_MY_MANAGER = re.compile(r"\bwho(?:'s| is) my (?:line |team )?manager\b|\bwho do i report to\b|"
                         r"\bwho manages me\b", re.I)
# "Change my level", "my level is wrong", "update my start date"
_CHANGE_LEVEL = re.compile(r"\b(?:change|update|correct|fix|set|edit|amend) my (?:level|grade|start date|record)\b|"
                           r"\bmy (?:level|grade|start date) is wrong\b", re.I)
_OPT_IN = re.compile(r"^\s*(?:please\s+)?(?:start|resume|turn on|turn back on|switch on|switch back on|restart|"
                     r"enable|unpause|unmute|opt in to)\s+(?:the\s+|my\s+)?(?:reminders?|nudges?|notifications?)\b|"
                     r"^\s*(?:turn|switch)\s+(?:the\s+|my\s+)?(?:reminders?|nudges?|notifications?)\s+(?:back\s+)?on"
                     r"(?:\s+please)?\s*[.!]*\s*$|"
                     r"^\s*(?:reminders?|nudges?|notifications?)\s+(?:back\s+)?on(?:\s+again)?(?:\s+please)?\s*[.!]*\s*$|"
                     r"^\s*(?:turn|switch)\s+(?:the\s+|my\s+)?(?:reminders?|nudges?|notifications?)\s+on\s+again"
                     r"(?:\s+please)?\s*[.!]*\s*$|"
                     r"^\s*opt[- ]?in\b", re.I)
_MY_MILESTONE = re.compile(r"\b(?:my (?:milestones?|progress|eligibility|level|status|record)|"
                           r"(?:what|which) (?:level|grade) (?:am i|i am|i'm)\b|when (?:am|will) i "
                           r"(?:be )?eligible|am i eligible|when can i (?:apply|progress|move up|go for the next))\b",
                           re.I)
# "How do I prepare for supervision?", "what should I bring to supervision?" (asked, not "prepare me for ...")
# Not "do I need to take a course in supervision?" (supervising others is in the framework).
_SUPERVISION_HOW = re.compile(r"\b(?:prepare|prep|ready|bring|take|plan)\b(?:\s+\w+){0,4}?\s+(?:to|for|into)\s+"
                              r"(?:(?:my|the|a|next|our)\s+)*supervision\b", re.I)
# "can you remind me before supervision?", "a reminder ahead of my next supervision": the check-in sets one
_SUPERVISION_REMINDER = re.compile(r"\bremind(?:er|ers)?\b.{0,30}?\b(?:before|ahead of|prior to)\s+"
                                   r"(?:(?:my|the|a|next|our)\s+)*supervision\b", re.I)
_NO_REMINDER = re.compile(r"\b(?:don'?t|do not|no|not|stop|turn off|switch off|without|cancel)\b", re.I)
# "I've got supervision next week", "my supervision is on Tuesday": a check-in would help
_SUPERVISION_SOON = re.compile(
    r"\b(?:i'?ve got|i have|i'?ve|got|my|there'?s|having)\s+(?:a\s+|my\s+)?supervision\b"
    r"(?:\s+(?:is|session|meeting))?\s+(?:next\s+\w+|tomorrow|today|this\s+(?:week|morning|afternoon|"
    r"monday|tuesday|wednesday|thursday|friday|evening)|on\s+(?:mon|tues?|wed|thu|thurs|fri)\w*|"
    r"on\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?|coming up|soon|later|in\s+(?:a|an|two|three|\d)\s+"
    r"(?:hours?|days?|weeks?)|in the (?:morning|afternoon))\b", re.I)
# The time at a level a question states: "I've been SW2A for 18 months", "since January 2024", "in September 2023"
# Said in the first person and in the past ("I've been … for", "I started … in"), never a future "in June"
_I_HAVE_BEEN = (r"(?:\b(?:i'?ve been|i have been|i'?ve worked|i have worked)\b|^\s*been\b)"
                r"(?![^.?!,;]{0,40}?\b(?:waiting|trying|hoping|supervising|mentoring|doing|off|away|sick|on leave|"
                r"applying|studying|training)\b)[^.?!,;]{0,40}?")
_I_STARTED = (r"\b(?:i'?ve been|i have been|i'?m|i am|i started|i began|i got|i became|i moved|i went|i joined|"
              r"i (?:was|got|have been) promoted)\b[^.?!,;]{0,40}?")
_FOR_SPAN = re.compile(_I_HAVE_BEEN + r"\bfor\s+(?:about\s+|around\s+|nearly\s+|almost\s+|over\s+|just over\s+)?"
                       + COUNT + r"\s+((?:months?|years?)(?:\s+and\s+a\s+half)?)\b", re.I)
# The dates such a statement gives, as dates.py reads them: "March 2025", "March '25", "in sept 24", "April last
# year", "June two years ago", "03/25", "last June"
_STATED_DATE = (r"((?:in\s+)?(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"
                r"[a-z]*\.?(?:\s+\d{4}|-\d{2}\b|\s?['’]\d{2}\b|\s+\d{2}\b|\s+(?:of\s+)?(?:last|this)\s+year|"
                r"\s+(?:\d{1,2}|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s+years?\s+ago)?|"
                r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}/\d{2}\b|last\s+\w+)")
# A verb of starting ("I was promoted to SW3A last April") may give its date without "in"; "I'm SW2A and had my
# appraisal last month" may not
_I_STARTED_VERB = (r"\b(?:i started|i began|i got|i became|i moved|i went|i joined|i (?:was|got|have been) promoted)"
                   r"\b[^.?!,;]{0,40}?")
_STATED_SINCE = re.compile(_I_STARTED + r"\b(?:since|from|on|(?=in\s))\s*" + _STATED_DATE + "|"
                           + _I_STARTED_VERB + r"(?=\blast\s)" + _STATED_DATE, re.I)
# "Can I speak to a human?" ("are you a bot?" gets the help, which says what careerbot is)
_HUMAN = re.compile(r"^\s*(?:can i |could i |i want to |i'?d like to |let me |please (?:let me )?)?"
                    r"(?:speak|talk|chat)\s+(?:to|with)\s+(?:a |an |someone |somebody )?(?:real )?"
                    r"(?:human|person|people|someone|somebody|member of staff)"
                    r"(?:\s+(?:please|instead|now|about\s+(?!their\b|his\b|her\b)[\w' ]{1,40}|(?:in|from|at) hr))?"
                    r"\s*[?.!]*\s*$"
                    r"|^\s*are you (?:a )?(?:real(?: person)?|human|a person)\s*[?.!]*\s*$", re.I)
# "Is GDPR knowledge needed for team managers?": a question about what a role asks, not about careerbot's privacy
_ABOUT_A_ROLE = re.compile(r"\b(?:knowledge|understanding|training|needed|required|requirement)\b.*\b(?:for|at|as)\s+"
                           r"(?:an?\s+|the\s+)?(?:sw\d|sco|kr\d|po\d|team managers?|senior|social (?:care )?workers?|"
                           r"social care officers?|level)", re.I)
# "Is this confidential?", "can my manager see my self-assessment?", "how do I delete my data?"
_PRIVACY = re.compile(
    r"\b(?:confidential|privacy|gdpr|data protection|who (?:can|will|could|else can) (?:see|read|access)|"
    r"who has access|(?:can|will|does|could) (?:my |the |a )?(?:manager|boss|supervisor|line manager|team manager|"
    r"anyone|anybody|hr|others?|other people|colleagues?) (?:see|read|access|get|be told)|"
    r"(?:is|are|will|does) (?:my |this |it |the )?(?:answers?|assessments?|self[- ]?assessments?|data|"
    r"check[- ]?ins?|ratings?|notes?|information|info|this|it)? ?(?:be )?(?:shared|private|confidential|visible|"
    r"kept private|anonymous)|(?:should|shall|do|can|could|would|why would) i share\b|how (?:do|can|would) i share\b|"
    r"what happens (?:if|when|once) i share\b|is it (?:a good idea|wise|ok|okay|safe|worth it) to share\b|"
    r"how (?:do|can) i (?:delete|remove|erase|export|download|get a copy of) "
    r"(?:my|all my|all of my)\b)|"
    # "how long do you keep my data?", "how long are my records kept?"
    r"\bhow long (?:do you|will you|does (?:it|careerbot)|is (?:it|my [\w-]+)|are (?:they|my [\w-]+)|is "
    r"(?:this|that)) (?:keep|kept|store|stored|hold|held|retain|retained)\b|\bdata retention\b|"
    # "where is my data stored?", "what happens to my data if I leave?"
    r"\bwhere (?:is|are) (?:my|the) (?:data|information|info)\b(?! (?:for|of|about) )|\bwhere (?:is|are) (?:my|the) "
    r"(?:answers|records?|self[- ]?assessments?|check[- ]?ins?) (?:stored|kept|held|saved|hosted)\b|"
    r"\bwhere do you (?:keep|store|hold) (?:my|the) \w+|\bwhat happens to (?:my|the) (?:data|information|info)\b",
    re.I)
# "whats GDPR", "what does GDPR stand for": the words, not careerbot's privacy
_GDPR_MEANING = re.compile(r"^\s*(?:what(?:'s|s| is| does)|define|meaning of)\s+(?:the\s+)?gdpr\b(?:\s+(?:stand for|"
                           r"mean))?\s*[?.!]*\s*$", re.I)
# A name of one or two words ("Raj", "Jo Bloggs"); the second is never a word such as "really" or "senior"
_NAME = (r"[a-z'-]+(?: (?!(?:really|actually|still|even|just|also|senior|seniors|social|team|staff|workers?|"
         r"managers?|officers?|sw\d|sco)\b)[a-z'-]+)?")
# "When is Alex eligible?", "is Sam ready for SW3B?", "how long has Jo been at SW2A?": about someone else
_ABOUT_SOMEONE = re.compile(
    r"\b(?:when (?:is|will|can|could|does|did) (?!i\b|you\b|we\b|it\b|the\b|my\b|a\b)[a-z'-]+"
    r"|is (?!i\b|it\b|this\b|that\b|there\b|my\b|the\b|a\b|close\b|nearly\b|almost\b|near\b|about\b|soon\b|"
    r"going\b|coming\b|now\b|still\b|not\b)" + _NAME + r" (?:eligible|ready|due|at|on)\b"
    r"|how long (?:has|have|until|till|before|does) (?!i\b|you\b|my\b|the\b|a\b|sw\d|sco\b|level\b)[a-z'-]+"
    r"|(?:what|which) level is (?!i\b|my\b|the\b|a\b|this\b)[a-z'-]+|[a-z'-]+'s (?:level|milestone|eligibility|"
    r"self[- ]?assessments?|assessments?|check[- ]?ins?|progress|gaps|evidence|supervision|latest|next supervision)"
    r"|what(?:'s| (?:does|do|should|would|will)) (?!i\b|you\b|we\b|they\b|the\b|an?\b|my\b|it\b|this\b|that\b|team\b|"
    r"every\b|each\b|most\b|all\b|some\b|any\b|new\b|newly\b|other\b|our\b|your\b|their\b|"
    r"senior\b|social\b|sw\d|sco\b|kr\d|po3\b)" + _NAME + r" (?:still )?(?:need|have to|work on|do next)"
    r"|(?:has|did) (?!i\b|you\b|my\b|the\b|an?\b|anyone\b|anybody\b|everyone\b)" + _NAME + r" "
    r"(?:done|do|shared|share|completed|complete|finished|finish|started|start|sent|send|had)\b"
    r"|how is (?!it\b|this\b|that\b|the\b|my\b)" + _NAME + r" (?:doing|getting on|progressing)"
    r"|^\s*tell me about (?!me\b|it\b|this\b|that\b|the\b|my\b|an?\b|sw\d|sco\b|kr\d|po\d)"
    + _NAME + r"\s*[?.!]*$)",
    re.I)
# "amy?", "what about Raj", "and Jo Smith?", "open raj's latest": a manager's report by name alone (only a name in
# the staff list counts: the store is asked)
_BARE_NAME = re.compile(r"^\s*(?:(?:and|what about|how about|how's|how is|what of|open|show me|show)\s+)?"
                        r"(?P<name>[a-z][a-z'’-]*?(?:\s+[a-z][a-z'’-]*?)?)(?:['’]s(?:\s+(?:latest|last|"
                        r"self[- ]?assessment|check[- ]?in))?)?\s*[?.!]*\s*$", re.I)
# "share it with Sam", "share my self-assessment with Jo Smith": sharing is only ever with one's manager
_SHARE_WITH_NAME = re.compile(r"^\s*(?:please\s+|can you\s+|could you\s+)?share (?:it|this|that|my (?:latest |last )?"
                              r"(?:self[- ]?assessment|assessment|check[- ]?in|pack|results?|answers))\s+with\s+"
                              r"(?!my\b|the\b|your\b)(?P<name>[a-z][a-z'’-]*(?:\s+[a-z][a-z'’-]*)?)\s*(?:please)?"
                              r"\s*[.!?]*\s*$", re.I)
# "add a new starter to my team", "remove Jo from my team", "change Jo's level to SW2B": the staff list is HR's
_CHANGE_STAFF_LIST = re.compile(
    r"^\s*(?:(?:can|could) (?:i|you) |please |how (?:do|can) i )?(?:add|remove|delete|take|move|put)\s+"
    r"(?!me\b|myself\b)(?:a |an |the )?[\w' -]{1,30}?\s+(?:to|from|into|off|out of|on) (?:my|the) team\b|"
    r"^\s*(?:(?:can|could) (?:i|you) |please |how (?:do|can) i )?(?:change|update|set|correct)\s+"
    r"(?!my\b)[a-z]+['’]s (?:level|start date|grade|manager)\b", re.I)
# Capitalised words in such a question that are not a person's name
_NOT_A_NAME = frozenset("""christmas easter supervision monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december medway kent level
    social senior team manager careerbot pcf amhp asye he she they someone somebody everyone anyone""".split())


_ASKS_ABOUT_PROGRESS = re.compile(r"\b(?:eligible|ready|due|progress\w*|done|shared|completed|finished|need|needs|"
                                  r"level|milestone|doing)\b", re.I)
_A_COLLEAGUE = re.compile(r"\b(?:my|a) (?:colleague|co-?worker|team ?mate|friend|peer)\b", re.I)


def _someone_named(text: str, m: re.Match[str] | None, known: Callable[[str], bool]) -> str | None:
    """The name in "when is Raj eligible?", "has zed done a self-assessment?", "what does Jo need?", or None.
    ``known`` says whether the documents use a word: "Practice", "Stepping", "Accomplished" are not names, nor
    is anything in capitals ("BIA", "HR") or with a digit. A name in lower case counts only when the question
    is about someone's progress ("when is raj eligible"), not "when is supervision". ``m``: _ABOUT_SOMEONE's match
    of the text, found once by the caller."""
    if _A_COLLEAGUE.search(text) and _ASKS_ABOUT_PROGRESS.search(text) and not re.search(r"\b(?:i|my level)\b",
                                                                                        text.lower()):
        return "your colleague"
    if not m:
        return None
    for w in re.finditer(r"[A-Za-z][\w'-]*", text):
        if not m.start() <= w.start() < m.end():
            continue
        bare = w.group(0).removesuffix("'s").removesuffix("’s")
        lower = bare.lower()
        if (len(bare) < 2 or lower in _NOT_A_NAME or lower in _QUESTION_WORDS or re.search(r"\d", bare)
                or (bare.isupper() and len(bare) > 1) or known(lower)):
            continue
        if bare[:1].isupper() or _ASKS_ABOUT_PROGRESS.search(text):
            return bare[:1].upper() + bare[1:]
    return None


_QUESTION_WORDS = frozenset("when what which how is has have did does do will can could should would was were "
                            "long before until till after since for from".split())


# "Have I done a self-assessment?", "my last assessment", "when did I last do a check-in?"
_MY_RECORDS = re.compile(
    r"\b(?:have i|did i|when did i|have i ever|did i ever)\b.{0,30}\b(?:self[- ]?assess\w*|assessments?|"
    r"check[- ]?ins?)\b|\bmy (?:last|latest|previous|past|old|earlier|saved) (?:self[- ]?assessments?|"
    r"assessments?|check[- ]?ins?|packs?)\b|\b(?:show|list|see) (?:me )?(?:all )?my (?:self[- ]?assessments|"
    r"assessments|check[- ]?ins|records)\b|^\s*my (?:self[- ]?assessments?|assessments?|check[- ]?ins?|records)"
    r"\s*[?.!]*\s*$|\bwhere(?:'s| is| are| did)\s+(?:all\s+)?my\s+(?:last\s+|latest\s+|saved\s+)?"
    r"(?:self[- ]?assess\w*|assessments?|check[- ]?ins?|records?)\b(?!\s+(?:kept|stored|held|saved|hosted))",
    re.I)
# "What do I still need?", "what else do I need?", "what am I missing?", "what's left?": for the person's own
# next level (whole message only: "what do I need for SW3B?" names its level and goes to the engine)
_WHATS_LEFT = re.compile(
    r"^\s*(?:so,? |and |ok,? |okay,? |right,? )?(?:"
    r"what (?:else )?(?:do|would|will|must|should) i (?:still |now |then |else )?(?:need|have to do|require)"
    r"(?: to (?:do|get|have))?"
    r"|what(?:'?s| is) (?:left|still needed|still missing|missing|outstanding|left to do|still to do)"
    r"|what am i (?:still )?(?:missing|lacking)|what else is (?:needed|left|missing)|what have i (?:still )?got to do"
    r")(?:\s+(?:still|now|next|then|else|for me|for (?:it|that|the next (?:one|level)|next level|my next level|"
    r"promotion|the next step)))?\s*[?.!]*\s*$", re.I)
# "help me with my gaps", "which gap should i do first", "how do I get evidence for the first gap?"
_MY_GAPS = re.compile(r"\b(?:my|the first|the last|the next|this|that|which|each) gaps?\b(?!\s+(?:year|in (?:my )?"
                      r"(?:employment|career|cv)))|"
                      r"\bgaps? (?:should i|to) (?:do|start|work on|tackle) (?:first|next)\b", re.I)


def _role_knowledge(text: str) -> bool:
    """"Is GDPR knowledge needed for team managers?": the words GDPR or data protection as something a role asks,
    not a question about who sees the person's own answers."""
    return bool(_ABOUT_A_ROLE.search(text) and re.search(r"\b(?:gdpr|data protection)\b", text, re.I)
                and not re.search(r"\b(?:see|read|access|shared?|private|confidential|my (?:data|answers|notes))\b",
                                  text, re.I))


# "How can I use the framework with my team?": a question about the framework, not the team's milestones
_FRAMEWORK_USE = re.compile(r"\b(?:use|using|introduce|introducing)\s+(?:the|this|these|our)\s+frameworks?\b|"
                            r"\bframeworks?\s+(?:for|with)\s+(?:\w+\s+){0,3}?in my team\b", re.I)
# "who needs evidence?", "who in my team needs some evidence?": said to the team list and to its evidence filter
_WHO_NEEDS_EVIDENCE = (r"\bwho(?: in my team| on my team| of my (?:team|staff|reports))? needs? (?:some |more |"
                       r"their )?evidence\b")
# "who's close to being eligible", "who becomes eligible next month", "who is coming up for progression"
_WHO_IS_SOON = (r"\bwho(?:'s|s| is| are)? (?:close to|nearly|almost|near to|coming up (?:for|to)|due soon|soon to be|"
                r"about to be(?:come)?|going to be(?:come)?)\s+(?:being\s+|becoming\s+)?"
                r"(?:eligible|ready|due|progression|promotion|able to (?:progress|go for|apply))\b"
                r"|\bwho (?:becomes?|will (?:be|become)) (?:eligible|ready|due)\s+(?:next|soon|this|in the next|within|"
                r"before)\b")
_MY_TEAM = re.compile(r"^\s*(?:my\s+)?team\s*[?.!]*\s*$|" + _WHO_NEEDS_EVIDENCE + r"|" + _WHO_IS_SOON + r"|"
                      r"^\s*who(?:'s|s| is| are) (?:ready|due|eligible)\s*[?.!]*\s*$|"
                      r"\b(?:my (?:team|reports|staff|direct reports)|team milestones|who(?:'s| is| are) eligible|"
                      r"who should be (?:gathering|collecting|getting|building)|"
                      r"who(?:'s|s| is| are) (?:ready|due|able) to|"
                      r"who can (?:progress|go for|apply|move up)|"
                      r"who(?:'s|s| is| are) (?:ready|due|eligible|up) for (?:promotion|progression|the next level|"
                      r"their next level|a move up)|"
                      r"(?:is )?any(?:one|body) (?:eligible|ready|due)|"
                      r"(?:in|on|of) my team|who needs to (?:gather|collect|get|build|start) (?:their )?evidence)\b",
                      re.I)
_GATHER_EVIDENCE = re.compile(r"\bwho (?:needs|need|should be|has|have) to (?:gather|collect|get|build|start)\b|"
                              + _WHO_NEEDS_EVIDENCE + r"|"
                              r"\bwho should be (?:gathering|collecting|getting|building)\b", re.I)
_WHO_IS_READY = re.compile(r"\bwho(?:'s|s| is| are) (?:eligible|ready|due|able|up for promotion)\b|"
                           r"\bwho can (?:progress|go for|apply|move up)\b|"
                           r"\bany(?:one|body) (?:eligible|ready|due)\b|"
                           r"\b(?:which|who) of my (?:staff|team|reports|people) (?:is|are|can) "
                           r"(?:eligible|ready|due|able|progress)", re.I)
# "who hasnt got a level recorded", "who is missing a level?", "anyone without a start date?" (a manager's team)
_NO_LEVEL_RECORDED = re.compile(
    r"\b(?:who|which of my (?:staff|team|reports)|any(?:one|body)(?: in my team)?)\b.{0,25}\b(?:has ?n[o']t got|"
    r"has not got|has ?n[o']t|has not|does ?n[o']t have|does not have|is missing|missing|without|has no|with no|"
    r"lacks?)\s+(?:an?\s+|their\s+|a recorded\s+)?(?:level|start date|grade)s?(?:\s+(?:recorded|set|yet|on (?:the )?"
    r"(?:system|record)|in the system))?\s*[?.!]*\s*$", re.I)
_THANKS = re.compile(r"^\s*(?:(?:ok(?:ay)?|great|brilliant|lovely|perfect|cool|that'?s (?:great|helpful|brilliant))"
                     r"[,!. ]*)?"
                     r"(?:thanks|thank you|thankyou|thx|ta|cheers|that helps|that'?s helpful|that'?s useful|"
                     r"helpful|very helpful)(?: (?:very much|so much|a lot|again|loads|mate|all the same))?"
                     r"(?:[,!. ]+(?:bye|goodbye))?\s*[.!]*\s*(?::\)|🙂|😊|👍)?\s*$", re.I)
# "That's not what I asked", "wrong", "huh?": the last answer missed; say how to ask so it lands
_MISSED = re.compile(r"^\s*(?:(?:no,?\s+)?that'?s not what i (?:asked|meant|wanted|said)|that'?s wrong|wrong|"
                     r"not helpful|that'?s not (?:right|it|helpful)|you'?re (?:useless|wrong|not helping|rubbish)|"
                     r"useless|rubbish|"
                     r"that doesn'?t (?:help|answer (?:my|the) question)|huh|what|eh|pardon|you what|sorry(?=\s*\?))"
                     r"\s*[?!.]*\s*$",
                     re.I)
# "Give me the short version", "can you explain that more simply?", "too long"
_SHORTER = re.compile(r"^\s*(?:can you |could you |please )?(?:give me |just )?(?:the |a )?(?:short(?:er)? version|"
                      r"summar(?:ise|ize|y)(?: (?:that|it|please))?|too long(?:,? summari[sz]e)?|tl;?dr|in short|"
                      r"(?:explain|say) (?:that|it|this) (?:more )?simply|(?:in )?simpler (?:terms|words)|"
                      r"make it shorter|shorter please)\s*[?!.]*\s*$", re.I)
# "Never mind", "sorry, wrong chat", "lol"
_NEVER_MIND = re.compile(r"^\s*(?:never ?mind|nvm|no worries|sorry,? wrong (?:chat|person|window|one)|"
                         r"ignore (?:that|me)|lol|haha+|ha|oops|sorry|my bad|soz)\s*[!.]*\s*$", re.I)
_BYE = re.compile(r"^\s*(?:bye|goodbye|good bye|bye bye|see you|see ya|later|ttyl|night|good night)\b[\w\s!.]{0,20}$",
                  re.I)
_LONE_YES_NO = re.compile(r"^\s*(?:yes|yeah|yep|yup|y|no|nope|nah|n|ok|okay|sure)\s*(?:please|thanks)?\s*[.!]*\s*$",
                          re.I)
# Words that only mean something inside a dialog ("skip", "back", "not sure"), sent when none is open
_DIALOG_WORD_ALONE = re.compile(r"^\s*(?:skip(?: (?:it|this|note|category))?|back|go back|next|pause|stop|cancel|"
                                r"abort|quit|exit|resume|continue|carry on|undo|met|partly|not yet|not sure|n/?a)"
                                r"\s*[.!]*\s*$",
                                re.I)
# "hi, ...", "hiya im sw2b since feb 2025", "morning! who's ready?": a greeting before the message itself
_GREETING_LEAD = re.compile(r"^\s*(?:hi|hiya|hello|hey|heya|morning|afternoon|good (?:morning|afternoon|evening))"
                            r"(?: there| bot| careerbot| all)?\s*[,!.:;-]*\s+(?=\S+\s+\S)", re.I)
_ACK_LEAD = re.compile(r"^\s*(?:ok(?:ay)?|k+|right|fair enough|cool|sound|great|thanks|cheers|ta|lovely)"
                       r"(?:\s*[,.!]+\s*|\s+)(?:but\s+|and\s+|so\s+|then\s+)?(?=\S+\s+\S)", re.I)
_HELP = re.compile(r"^\s*(?:/career\s*)?(?:help|hi|hello|hey|start|menu|\?|what can you do\??)\s*[.!?]*\s*$", re.I)

# "I've just started, what now?", "I'm new here": where to begin
_NEW_STARTER = re.compile(r"\b(?:i'?ve just (?:started|joined)|i (?:just|only just) (?:started|joined)|"
                          r"i'?m new(?: here| to (?:this|the team|the council|the service|medway|social work))?\b|"
                          r"(?<!add a )(?<!add )(?<!adding a )new starter|just joined|"
                          r"(?:my )?first (?:day|week) (?:here|today|in the job)|"
                          r"where do i (?:start|begin)\s*[?.!]*\s*$|"
                          r"i'?m (?:just )?starting out|"
                          r"i(?:'ve| have)? (?:just|only just|recently) qualified(?!\s+as\s+an?\s+(?!social\s+worker))|"
                          r"i'?m (?:a )?newly qualified\b(?!\s+(?:amhp|bia|practice educator|pe)\b)|"
                          r"i'?m an? nqsw\b)", re.I)
FOLLOW_UP_SECONDS = 30 * 60  # a follow-up ("what about C?") refers to an answer at most this old
FOLLOW_UP_CONVERSATIONS = 20_000  # conversations whose last answer is kept (a few hundred bytes each)

_EXAMPLE_QUESTION = Choice("What do I need for SW3B?", {"action": "ask", "question": "what do I need for SW3B?"})


def _own_id(msg: Incoming) -> str:
    """The id careerbot gives a person it first meets on a channel (Slack and Teams ids carry the channel)."""
    return f"{msg.channel}:{msg.user_id}" if msg.channel in ("slack", "teams") else msg.user_id


def _clarify(title: str, text: str) -> Reply:
    """A request careerbot will not carry out, or a question back: said plainly, nothing changed."""
    return Reply(title=title, blocks=[Block(text=text)], status="clarify")


def _share_with_manager_only(manager: Person | None) -> Reply:
    who = (f"your manager in my records, {manager.display_name}" if manager and manager.display_name else
           "your manager, and I have no manager recorded for you (HR can add one to the staff list)")
    return _clarify("I can only share with your manager.",
                    f"A self-assessment or check-in can be shared only with {who}. Nothing has been shared. To "
                    "share with them, say “share it with my manager”.")


def _staff_list_is_hrs() -> Reply:
    return _clarify("I can't change the staff list.",
                    "Who is in a team, and each person's level and start date, come from HR's staff list, which an "
                    "administrator loads into careerbot. Ask HR to add, move or remove someone or to correct a "
                    "level; each person can also tell me their own level (“I'm SW2B since March 2025”).")


_DIGEST_GOES_WITH = {
    "opt_out": "This stops your weekly team digest too: it comes with your reminders.",
    "opt_in": "Your weekly team digest is on again too: it comes with your reminders.",
    "snooze": "Your weekly team digest is snoozed too: it comes with your reminders.",
}


def _what_staff_get() -> Reply:
    return Reply(title="What your staff get from me",
                 blocks=[Block(bullets=[
                     "Answers to their own questions about the framework, quoted from its documents with the source.",
                     "Reminders about their own time in level: a heads-up some weeks before they can go for their "
                     "next level, a note when they can, and, if they ask, one before their supervision. Only in "
                     "working hours on working days, never on bank holidays, a few a week at most; each person "
                     "can snooze or stop their own.",
                     "Their self-assessments and check-ins stay private to them until they share one with you.",
                     "They never see your digest or anyone else's records; you see their milestones and what "
                     "they share with you.",
                 ])],
                 status="answered")


def _not_your_reminders() -> Reply:
    return _clarify("I can only change your own reminders.",
                    "Everyone's reminders are theirs to change: they can say “stop reminders” or “snooze for 2 "
                    "weeks” to me themselves. Nothing has changed, for them or for you (your own reminders and any "
                    "team digest stay as they were).")


def _kept_private(what: str) -> Reply:
    """A personal question asked in a channel: answered only where nobody else reads it."""
    return _clarify("I'll answer that in a private chat.",
                    f"{what} are personal, so I only show them in a direct message with me, where nobody else can "
                    "read them. Send me a direct message and ask again.")


def _welcome() -> Reply:
    return Reply(title="You're welcome.",
                 blocks=[Block(text="Ask me anything else about the career progression framework whenever you like.")])


def _not_waiting() -> Reply:  # "yes" or "ok" to a question that is no longer open (or never was)
    return Reply(title="I'm not waiting for an answer just now.",
                 blocks=[Block(text="Ask me a question about the framework, or say “help” to see what I can do.")],
                 choices=[_EXAMPLE_QUESTION],
                 status="clarify")


def _nothing_in_progress() -> Reply:  # "skip", "not sure", "cancel" with no dialog open
    return Reply(title="There's nothing in progress just now.",
                 blocks=[Block(text="Say “assess me” to start a self-assessment, “check-in” to get ready for "
                                    "supervision, or ask me a question about the framework. (To turn reminders off, "
                                    "say “stop reminders”.)")],
                 choices=[Choice("Start a self-assessment", {"action": "assess"}),
                          _EXAMPLE_QUESTION],
                 status="clarify")


def _human() -> Reply:
    return Reply(title="I'm careerbot, an automated assistant, not a person.",
                 blocks=[Block(text="I answer from your organisation's career progression framework and keep your "
                                    "self-assessments and reminders. For anything about your own situation, your line "
                                    "manager or supervisor is the person to talk to; for pay, contracts or leave, "
                                    "HR.")])


def _missed() -> Reply:
    return Reply(title="Sorry, that didn't answer what you meant.",
                 blocks=[Block(text="Could you ask it another way? Naming the level and what you want to know works "
                                    "best, for example “evidence for SW3B”, “how long before SW2C?” or “qualifications "
                                    "for SCO 4B”.")],
                 choices=[_EXAMPLE_QUESTION], status="clarify")


def _shorter() -> Reply:
    return Reply(title="I quote the framework word for word, so I won't shorten or reword it.",
                 blocks=[Block(text="I can show one part at a time, which is shorter: ask for the evidence, the time, "
                                    "the qualifications or the experience for a level, for example “experience for "
                                    "SW3B” or “how long at SW3A?”.")],
                 status="clarify")


def _no_problem() -> Reply:
    return Reply(title="No problem.", blocks=[Block(text="Ask me whenever you like.")])


def _goodbye() -> Reply:
    return Reply(title="Bye for now.",
                 blocks=[Block(text="I'm here whenever you want to ask about your career progression.")])


# Whole messages that are small talk, not questions: checked in this order ("ok thanks" is thanks)
# "k", "ok cool", "brill ta", "sound", "fair enough": an acknowledgement, nothing to look up
_ACKNOWLEDGED = re.compile(
    r"^\s*(?:k+|ok(?:ay)?\s+(?:cool|great|then|brill|sound|fine|lovely)|cool|brill|sound|nice(?: one)?|fab|grand|"
    r"noted|got it|gotcha|fair enough|understood|ace|smashing|champion|right then|will do|lovely)"
    r"(?:[,!. ]+(?:ta|thanks|cheers|thx|mate))?\s*[.!]*\s*(?::\)|🙂|😊|👍)?\s*$", re.I)


def _okay() -> Reply:
    return Reply(title="Okay.",
                 blocks=[Block(text="Ask me anything else about the career progression framework whenever you like.")])


_SMALL_TALK = ((_THANKS, _welcome), (_LONE_YES_NO, _not_waiting), (_DIALOG_WORD_ALONE, _nothing_in_progress),
               (_ACKNOWLEDGED, _okay),
               (_BYE, _goodbye), (_HUMAN, _human), (_MISSED, _missed), (_SHORTER, _shorter),
               (_NEVER_MIND, _no_problem))

class _Memory:
    """What a conversation said or was asked a moment ago, in this process only: each entry lasts
    FOLLOW_UP_SECONDS, and only the newest FOLLOW_UP_CONVERSATIONS conversations are kept. Thread-safe."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[Any, float]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._items[key] = (value, time.monotonic())
            self._items.move_to_end(key)
            while len(self._items) > FOLLOW_UP_CONVERSATIONS:
                self._items.popitem(last=False)

    def get(self, key: str, *, take: bool = False) -> Any:
        """The value kept for ``key`` if it is still fresh, else None; ``take`` forgets it as well."""
        with self._lock:
            entry = self._items.pop(key, None) if take else self._items.get(key)
        return entry[0] if entry is not None and time.monotonic() - entry[1] <= FOLLOW_UP_SECONDS else None


class Router:
    """The core's single entry point for every channel. Thread-safe; channels call handle() per message."""

    def __init__(self, *, knowledge: Knowledge, engine: AnswerEngine, store: Store, dialogs=None,
                 clock: Callable[[], datetime] | None = None, digest_weekday: int = 0) -> None:
        self.k = knowledge
        self.digest_weekday = digest_weekday  # the day the weekly team digest is due (0 Monday), as configured
        self.engine = engine
        self.store = store
        self.dialogs = dialogs
        self.clock = clock or (lambda: datetime.now(UTC))
        self.people = PersonView(knowledge=knowledge, engine=engine, store=store, today=self._today)
        # what the last answer was about (role, level, topic, variant): "what about C?" leans on it
        self._recent = _Memory()
        # the start someone stated in a question ("I've been SW2A for 18 months"), so "when then?" still knows it
        self._stated = _Memory()
        # the conversations just asked "Until when shall I snooze your reminders?": a typed "2 weeks" answers it
        self._asked_until = _Memory()
        # the level and start last offered to save ("Save SW2A since 26 May 2025"): "ok save that" presses it
        self._offered_save = _Memory()

    # ------------------------------------------------------------------------------------------
    def handle(self, msg: Incoming) -> list[Reply]:
        try:
            if msg.event_id and not self.store.remember_event(msg.channel, msg.event_id):
                log.info("replayed event ignored: %s %s", msg.channel, msg.event_id)
                return []
            person = self.person_for(msg)
            return self._turn(msg, person)
        except StoreError:
            log.exception("store unavailable during a turn")
            return [STORE_DOWN]

    def where_we_are(self, msg: Incoming) -> Reply | None:
        """What the person is in the middle of in this conversation (the open question, or a paused dialog and
        how to resume it), changing nothing: the console shows it when a chat starts again."""
        if self.dialogs is None:
            return None
        try:
            person = self._known_person(msg) or Person(id=msg.user_id)
            return self.dialogs.where_we_are(msg.conversation_key, person)
        except StoreError:
            return None

    def _paused(self, msg: Incoming, person: Person) -> Reply | None:
        """The note about a paused (or expired) dialog of this conversation, with its Resume button, or None."""
        paused = self.dialogs.where_we_are(msg.conversation_key, person) if self.dialogs is not None else None
        return paused if paused is not None and paused.meta.get("phase") in ("paused", "expired") else None

    def _with_paused(self, reply: Reply, msg: Incoming, person: Person) -> Reply:
        """A reply with a paused dialog of this conversation said first, and its Resume button ("hello",
        "have I done a self-assessment?" while a self-assessment is paused)."""
        paused = self._paused(msg, person)
        if paused is None:
            return reply
        reply.blocks.insert(0, Block(title=paused.title.removeprefix("Paused. "),
                                     text="Say “resume” to carry on where you were."))
        starts_another = paused.meta.get("dialog") == "self_assessment"  # Resume, not a second one beside it
        reply.choices = [*paused.choices[:1], *[c for c in reply.choices if c.label not in (
            "Start a self-assessment", paused.choices[0].label if paused.choices else "") and not (
            starts_another and isinstance(c.value, dict) and c.value.get("name") == "self_assessment")]]
        return reply

    def _known_person(self, msg: Incoming) -> Person | None:
        if msg.channel == "slack":
            found = self.store.find_person(slack_user_id=msg.user_id)
        elif msg.channel == "teams":
            found = self.store.find_person(teams_user_id=msg.user_id)
        else:
            found = None
        return found or self.store.get_person(_own_id(msg))

    def person_for(self, msg: Incoming) -> Person:
        """The person behind a message; created on first contact so preferences and dialogs have a home.

        No lock: two first messages at once both upsert the same id with the same values.
        """
        person = self._known_person(msg)
        if person is None:
            person = Person(
                id=_own_id(msg),
                display_name=msg.display_name or msg.user_id,
                slack_user_id=msg.user_id if msg.channel == "slack" else None,
                teams_user_id=msg.user_id if msg.channel == "teams" else None,
            )
            if msg.timezone:
                person.timezone = msg.timezone
            self.store.upsert_person(person)
        elif msg.display_name and not person.display_name:
            person.display_name = msg.display_name
            self.store.upsert_person(person)
        return person

    def _today(self, person: Person) -> date:
        from zoneinfo import ZoneInfo

        try:
            return self.clock().astimezone(ZoneInfo(person.timezone)).date()
        except Exception:  # an unknown zone must not cost an answer  # noqa: BLE001
            return self.clock().date()

    def _turn(self, msg: Incoming, person: Person) -> list[Reply]:
        value = msg.value or {}
        action = value.get("action")
        text = (msg.text or "").strip()
        if action == "ask" and isinstance(value.get("question"), str):
            return [self._answer(value["question"], person, key=msg.conversation_key)]
        if action == "assess" and self.dialogs is not None:
            return self.dialogs.start("self_assessment", msg=msg, person=person,
                                      args={"level": value.get("level")})
        if action == REPORT_ACTION:  # only the manager's own report; anyone else is not shown or hinted at
            report = self.store.get_person(value["person_id"]) if isinstance(value.get("person_id"), str) else None
            if report is None or report.manager_id != person.id:
                return [Reply(title="That person is not recorded as one of your reports.",
                              blocks=[Block(text="Say “my team” to see who is.")], status="clarify")]
            return [self.people.report(person, report)]
        if action == "reminders":
            return [self._reminder_setting(person, value.get("what", ""), value.get("until"))]
        if action == "reminders.stop":
            return [self._reminder_setting(person, "opt_out")]
        if action == "reminders.snooze":
            weeks = value.get("weeks")
            weeks = weeks if isinstance(weeks, int) and 0 < weeks <= 52 else 2
            return [self._reminder_setting(person, "snooze",
                                           (self._today(person) + timedelta(weeks=weeks)).isoformat())]
        aside: list[Reply] = []
        if self.dialogs is not None:
            replies = self.dialogs.handle(msg, person)
            if isinstance(replies, Aside):  # a new question typed in the middle of a dialog
                aside = list(replies)
                q = parse(text) if replies.about else None
                if q is not None and not q.levels and not q.roles and q.topics and not re.search(
                        r"\bhow long\b", text, re.I):  # "how long will this take?" is about the dialog
                    text = f"{text.rstrip(' ?.!')} for {replies.about}?"  # "what counts as evidence for this?"
            elif replies is not None:
                return replies
        # "whos my manager", "whats a BIA"; "hiya, im sw2b since feb 2025" is the statement, the greeting aside
        text = _ACK_LEAD.sub("", _GREETING_LEAD.sub("", text, count=1), count=1)  # "ok what about C", "fair enough
        replies = self._route(msg, person, in_full(text), action)                 # but why 18?"
        if aside and not any(r.status == "dialog" for r in replies):  # not when it opened a dialog of its own
            replies += aside
        return replies

    def _route(self, msg: Incoming, person: Person, text: str, action: Any) -> list[Reply]:
        """A message that no dialog is waiting for: start a dialog, change a setting, or answer it."""
        until_asked = self._until_asked(msg.conversation_key)  # the last reply asked until when to snooze
        offered = self._offered_save.get(msg.conversation_key, take=True)  # the last reply offered to save a level
        if text and _SAVE_THAT.match(text) and self.dialogs is not None:
            if offered:
                return self.dialogs.start("set_level", msg=msg, person=person, args=dict(offered))
            return [_clarify("There's nothing for me to save just now.",
                             "To record your level, tell me it and when you started, for example “I'm SW2B since "
                             "March 2025”.")]
        if text and self.dialogs is not None and _PRIVACY.search(text) and not _role_knowledge(text) \
                and not _GDPR_MEANING.match(text):
            return [self._privacy_help()]
        if text and self.dialogs is not None and _SAVING.search(text):  # "is my self-assessment saved?"
            return [self._with_paused(self._saving_help(), msg, person)]
        moved = _SUPERVISION_MOVED.search(text) if text else None
        no_reminder = bool(text) and bool(_NO_SUPERVISION_REMINDER.search(text))
        if text and self.dialogs is not None and (moved or no_reminder or _WHEN_SUPERVISION.search(text)):
            if not msg.is_direct:
                return [_kept_private("Your supervision dates")]
            if moved:  # "my supervision moved to 5th jan"
                when = parse_date(moved.group("when"), today=self._today(person), after_today=True)
                return [self.people.change_supervision(person, when=when)]
            if no_reminder:  # "cancel my supervision reminder"
                return [self.people.change_supervision(person, no_reminder=True)]
            return [self.people.next_supervision(person)]  # "when's my next supervision?"
        if self.dialogs is not None:
            from dialogs import detect_start
            from dialogs.triggers import DELETE_ONE

            if text and DELETE_ONE.search(text):  # "delete my self-assessment only"
                return [_clarify("I can't delete one self-assessment or check-in on its own.", (
                    "“Delete my data” deletes everything careerbot holds about you, after you confirm (“export my "
                    "data” first if you'd like a copy). To stop your manager seeing what you shared, say “stop "
                    "sharing”. An unfinished self-assessment can be thrown away: say “resume”, then “cancel”."))]

            started = detect_start(text) if text else None
            share_with = _SHARE_WITH_NAME.match(text) if text else None  # never a new self-assessment
            if share_with:  # "share it with Sam": with their manager, if that is who Sam is
                manager = self.store.get_person(person.manager_id) if person.manager_id else None
                said = " ".join(share_with.group("name").lower().split())
                if said in ("manager", "line manager", "team manager", "supervisor", "boss") or (
                        manager and said in names_of(manager)):
                    started = ("share_latest", {})
                else:
                    return [_share_with_manager_only(manager)]
            if started:
                name, args = started
                return self.dialogs.start(name, msg=msg, person=person, args=args)
            if text and (_SUPERVISION_HOW.search(text) or _SUPERVISION_SOON.search(text)
                         or _SUPERVISION_REMINDER.search(text) and not _NO_REMINDER.search(text)):
                return [self._supervision_help(person)]
        if action and not text:
            # A press on a button whose dialog is over: say so instead of staying silent.
            return [Reply(title="That button belongs to a conversation that has finished.",
                          blocks=[Block(text="Ask me a question, or say “help” to see what I can do.")],
                          status="clarify")]
        if not text or _HELP.match(text):
            return [self._with_paused(self.engine.help_reply(), msg, person)]
        for pattern, reply in _SMALL_TALK:
            if pattern.match(text):
                paused = self._paused(msg, person) if pattern is _DIALOG_WORD_ALONE else None
                return [paused or reply()]  # "skip", "back" with a self-assessment paused: that, to resume
        promoted = _PROMOTED.match(text) or _PASSED_PANEL.search(text)
        if promoted and not _ASKS.search(promoted.group("rest")) and not _NOT_PROMOTED.search(text):
            rest = promoted.group("rest")
            when = _PROMOTED_WHEN.search(rest)
            if when:
                reply = self._set_level(msg, person, promoted.group("code"), when.group("when"))
                if reply is not None:
                    return reply
            elif self.dialogs is not None:
                try:
                    code = self.canonical_level(promoted.group("code"))
                except ValueError:
                    code = None
                if code:  # congratulations, then since when
                    return self.dialogs.start("set_level", msg=msg, person=person, args={"level_code": code})
        stated = _CORRECTION_LEAD.sub("", text, count=1)
        m = next(filter(None, (p.match(stated) for p in _LEVEL_STATEMENTS)), None)
        if m:
            when = m.group("when") if "when" in m.re.groupindex else f"{m.group('for')} ago"
            reply = self._set_level(msg, person, m.group("code"), when)
            if reply is not None:
                return reply
        m = _MY_LEVEL_IS.match(stated) or (  # "sorry i meant sw2b": a correction's lead, then a level alone
            re.fullmatch(rf"\s*(?:an?\s+)?(?P<code>{_CODE})\s*[.!]?\s*", stated, re.I) if stated != text else None)
        if m and re.fullmatch(r"[23]\s*-?\s*[abc]", m.group("code"), re.I) and re.search(
                r"\b(?:on|at)\s+[23]\s*-?\s*[abc]\b", stated, re.I):
            m = None  # "i'm on 3b": a ward or a team as often as a level; "I'm 3b", "im a 2b" are levels
        if m and self.dialogs is not None:
            try:
                code = self.canonical_level(m.group("code"))
            except ValueError:
                code = None
            if code:
                return self.dialogs.start("set_level", msg=msg, person=person, args={"level_code": code})
        m = _SNOOZE.match(text)
        if (m or _OPT_OUT.search(text) or _OPT_IN.search(text)) and (
                _OTHERS_REMINDERS.search(text) or any(
                    re.search(rf"\b(?:for|of)\s+{re.escape(w)}\b|\b{re.escape(w)}['’]s\b", text, re.I)
                    for r in self.people.named_reports(person, text) for w in names_of(r))):
            return [_not_your_reminders()]  # "stop reminders for Amy": never the manager's own, nor their digest
        digest_setting = _DIGEST.search(text) and re.search(
            r"\b(?:off|on|stop|start|pause|snooze|turn|switch|resume)\b", text, re.I)
        if not msg.is_direct and (m or _OPT_OUT.search(text) or _OPT_IN.search(text) or digest_setting):
            return [_clarify("I'll change your reminders in a private chat.",  # nothing changed in front of the team
                             "Your reminders are personal, so I only change them in a direct message with me, where "
                             "nobody else can read them. Send me a direct message and say it again.")]
        if m and _SNOOZE_NOT.search(m.group("rest")):
            m = None  # "remind me again what PCF stands for", "could you remind me on what date I started": asked
        if m and _A_TASK.search(m.group("rest")):  # "remind me next week to bring my certificates"
            return [_clarify("I can't set reminders for things of your own.",
                             "I only send reminders about your time in level and before your supervision (a check-in "
                             "sets that one). Your reminders are unchanged: “my reminders” lists them.")]
        if m or until_asked and _UNTIL_ALONE.fullmatch(text) and (
                names_a_day(text) or parse_date(text, today=self._today(person)) is not None
                or parse_snooze(f"snooze {text}", self._today(person)) is not None):
            reply = self._snooze(person, m.group("rest") if m else text)  # "2 weeks", said to "until when?"
            if reply.title.startswith("Until when"):
                self._asked_until.put(msg.conversation_key, True)
            return [reply]
        if _REMIND_SOMEONE.search(text):  # "can you remind Raj to do his self-assessment?"
            return [_clarify("I can't send messages on anyone's behalf.",
                             "Everyone gets their own reminders about their time in level. To ask someone to do a "
                             "self-assessment, ask them yourself: they can start one by saying “assess me” to me.")]
        if _WHAT_STAFF_GET.search(text):  # "what do you tell my staff?": what they get, and what a manager sees
            return [_what_staff_get()]
        if _DIGEST.search(text):  # "turn my digest off", "is my digest on?": it goes with the reminders
            return [self._digest(person)]
        if _OPT_OUT.search(text):
            return [self._reminder_setting(person, "opt_out")]
        if _OPT_IN.search(text):
            return [self._reminder_setting(person, "opt_in")]
        if _CHANGE_STAFF_LIST.search(text):
            return [_staff_list_is_hrs()]
        # a manager asking about one of their reports by name (looked up once: it reads the store)
        about = _ABOUT_SOMEONE.search(text)
        bare = _BARE_NAME.match(text) if not about else None
        named = self.people.named_reports(person, text) if about or bare else []
        if bare:  # "amy?", "what about Raj": the whole message names them ("will do" and "hope so" do not)
            said = " ".join(bare.group("name").lower().split())
            named = [r for r in named if said in names_of(r)]
        someone = _someone_named(text, about, self.engine.retriever.known) if not named else None
        if someone and someone.lower() in (person.display_name or "").lower().split():
            someone = None  # their own name: about themselves
        if someone:  # "when is Raj eligible?" from someone Raj does not report to: never their own record instead
            return [Reply(title=f"I can't tell you about {someone}.",
                          blocks=[Block(text="I can only tell you about yourself, or about people who report to you "
                                             "in the staff list. Ask about yourself (“when am I eligible?”) or about "
                                             "the framework (“how long before SW2B?”).")],
                          status="clarify")]
        if not msg.is_direct:
            personal = self._personal_intent(text, named)
            if personal is not None:
                return [_kept_private(personal)]
        if len(named) == 1:
            return [self.people.report(person, named[0])]
        if named:
            return [self.people.team(person, named)]
        if _MY_RECORDS.search(text):
            return [self._with_paused(self.people.my_records(person), msg, person)]
        if _CHANGE_TIMEZONE.search(text):  # "can you change my timezone to Europe/Madrid"
            start, end = person.prefs.working_hours
            return [_clarify("I can't change your time zone in chat.",
                             f"I have you in {person.timezone}: it comes from the staff list (or from Slack when we "
                             f"first spoke), so HR can change it there. Reminders come on working days, {start}:00 "
                             f"to {end}:00 in that time zone.")]
        if _MY_REMINDERS.search(text):
            return [self.people.my_reminders(person)]
        if _MY_MANAGER.search(text):
            return [self.people.my_manager(person)]
        new_start = self._new_start(msg, person, text)
        if new_start is not None:
            return new_start
        if _CHANGE_LEVEL.search(text) and not parse(text).levels:
            return [self.people.change_level(person)]
        if _NEW_STARTER.search(text) and (not (q := parse(text)).levels or q.inferred_level):  # "just qualified"
            return [self.people.new_starter(person, private=msg.is_direct)]
        if _NO_LEVEL_RECORDED.search(text):  # "who hasn't got a level recorded?"
            return [self.people.team(person, only="no_level") if msg.is_direct else _kept_private(
                "Your team's milestones")]
        # "who can apply for SW3A?" from someone with no team is a question about SW3A, answered below
        if _MY_TEAM.search(text) and not _FRAMEWORK_USE.search(text) and not (
                parse(text).levels and not self.store.list_reports(person.id)):
            only = ("evidence" if _GATHER_EVIDENCE.search(text) else
                    "soon" if re.search(_WHO_IS_SOON, text, re.I) else
                    "eligible" if _WHO_IS_READY.search(text) else None)
            return [self.people.team(person, only=only)]
        if _MY_MILESTONE.search(text):
            asked = parse(text)  # only when it could be about their own milestone: this is every message's path
            if not asked.levels and not (asked.roles and not person.level_code):
                return [self.people.my_milestone(person)]
        if _WHATS_LEFT.match(text):
            return [self._with_paused(self.people.whats_left(person), msg, person)]
        if _MY_GAPS.search(text) and not parse(text).levels:  # the gaps are the latest self-assessment's
            reply = self.people.whats_left(person)
            reply.blocks.append(Block(title="Which to work on first", text=(
                "The framework does not rank the criteria, nor say which evidence suits which gap: supervision is "
                "the place to choose. “Evidence for …” below lists what the framework asks for at that level.")))
            return [self._with_paused(reply, msg, person)]
        return [self._answer(text, person, key=msg.conversation_key, private=msg.is_direct)]

    @staticmethod
    def _personal_intent(text: str, named: list[Person]) -> str | None:
        """What a message asks that is about the person or their team (shown only in a private chat), or None."""
        if (_MY_TEAM.search(text) and not _FRAMEWORK_USE.search(text)) or named or _NO_LEVEL_RECORDED.search(text):
            return "Your team's milestones"
        if _MY_RECORDS.search(text) or _WHATS_LEFT.match(text):
            return "Your self-assessments"
        if _MY_REMINDERS.search(text):
            return "Your reminders"
        if _MY_MANAGER.search(text) or _MY_MILESTONE.search(text):
            return "Your level and milestones"
        return None

    # -- answering -------------------------------------------------------------------------------
    def _answer(self, text: str, person: Person, *, key: str | None = None, replaces_prompt: bool = False,
                private: bool = True) -> Reply:
        role = level = None
        other = self._about_someone_else(text, person)  # "she's been SW2A for 18 months, can she apply?"
        # in a channel, answers are the framework's, never the person's; nor about someone else
        if person.level_code and private and not other:
            q = parse(person.level_code)
            if q.levels:
                role, level = q.levels[0][0], q.levels[0][1]
        last = self._last_answer(key)
        reply = self.engine.answer(text, context=Context(role=role, level=level, last_role=last[0],
                                                         last_level=last[1], last_topic=last[2],
                                                         last_variant=last[3]))
        if key and reply.status == "answered" and (reply.meta.get("role") or reply.meta.get("topic") == "pcf_domain"):
            self._remember_answer(key, (reply.meta.get("role") or "PCF", reply.meta.get("level"),
                                        reply.meta.get("topic"), reply.meta.get("variant")))
        # "I've been SW2A for 18 months, can I apply for B?": the time they said, worked out, before the rule
        stated = (self._stated_start(text, person, reply, key)
                  if reply.meta.get("topic") == "time_in_level" and not other else None)
        if stated is not None:
            block, code, since = stated
            reply.blocks.insert(0, block)
            said_level = any(self.k.code(r, lv) == code for r, lv, _ in parse(text).levels if r in self.k.roles)
            if (private and self.dialogs is not None and said_level
                    and (person.level_code, person.level_since) != (code, since)):
                # "I was promoted to SW3A last April, …": saved on a press (only a start said of that level)
                from dialogs.base import start_choice

                offer = {"level_code": code, "since": since.isoformat()}
                reply.choices.insert(0, start_choice(f"Save {code} since {format_uk(since)}", "set_level", offer))
                if key:  # "ok save that", typed: the same as the button
                    self._offered_save.put(key, offer)
        # A time-in-level answer about the person's own next step gets their own date too.
        elif (reply.meta.get("topic") in ("time_in_level", "next_step") and role and person.level_since
                and reply.meta.get("role") == role and reply.meta.get("level") == self.k.next_level(role, level)):
            personal = self.people.milestone_block(person, short=True)  # the answer shows the rule and its notes
            if personal:
                reply.blocks.insert(0, personal)
        # "I qualified in July 2023, can I be a senior?": the time since then, worked out here, where today is known
        qualified = self.people.qualified_block(text, reply.meta.get("role"), reply.meta.get("level"),
                                                self._today(person)) if reply.status == "answered" else None
        if qualified is not None:
            reply.blocks.insert(0, qualified)
        reply.replaces_prompt = replaces_prompt
        return reply

    def _about_someone_else(self, text: str, person: Person) -> bool:
        """A question about someone else ("she's been SW2A for 18 months, can she apply?", "amy's been acting up",
        "Raj has been SW2A since May"): answered from the framework alone, never with the asker's own record."""
        if _ASKS_OF_ONESELF.search(text):  # "my partner is pregnant, how long before I can apply?": their own
            return False
        return bool(_SOMEONE_ELSE.search(text) or _HAS_BEEN.search(text) and self.people.named_reports(person, text))

    def _stated_start(self, text: str, person: Person, reply: Reply,
                      key: str | None) -> tuple[Block, str, date] | None:
        """The time at a level the question itself gives ("for 18 months", "since January 2024", "in September
        2023"), as that level's milestone from today: worked out here, where today is known, not in the cached
        answer. A follow-up about the same level ("when then?") uses the start said earlier in the conversation."""
        role, goal = reply.meta.get("role"), reply.meta.get("level")
        frm = self.k.previous_level(role, goal) if role in self.k.roles and goal else None
        if frm is None:
            return None
        code = self.k.code(role, frm)
        today = self._today(person)
        span = _FOR_SPAN.search(text)
        if span and time_in_place(span.group(0).lower()):
            span = None  # "I've been in the team for 2 years": time in a team, not at a level
        if span:
            since = shift(today, span.group(1).lower(), span.group(2).lower(), -1)
        else:
            m = _STATED_SINCE.search(text)
            if m and time_in_place(m.group(0).lower()):
                m = None  # "I joined the team in March 2024"
            since = parse_date(m.group(1) or m.group(2), today=today, prefer_past=True) if m else None
        if since is None and not (person.level_code == code and person.level_since):
            since = self._said_since(key, code)  # their saved start wins over one said earlier in passing
        if since is None or since > today:
            return None
        if key:
            self._stated.put(key, (code, since))
        from bot.milestones import assess

        result = assess(self.k, level_code=code, since=since, today=today)
        return Block(title=f"From what you said: {code} since {format_uk(since)}", text=result.status()), code, since

    def _said_since(self, key: str | None, code: str) -> date | None:
        """The start at ``code`` this conversation stated recently, if it did."""
        entry = self._stated.get(key) if key else None
        return entry[1] if entry is not None and entry[0] == code else None

    def _until_asked(self, key: str) -> bool:
        """Whether this conversation's last reply asked until when to snooze (in memory, as follow-ups are)."""
        return bool(self._asked_until.get(key, take=True))

    def _last_answer(self, key: str | None) -> tuple[str | None, str | None, str | None, str | None]:
        """What this conversation's last answer was about, if it was recent: follow-ups ("what about C?") lean on
        it. Kept in memory only: after a restart, or on another replica, a follow-up is read on its own (and
        the person's recorded level still fills gaps), which costs a clarifying question, never a wrong answer."""
        entry = self._recent.get(key) if key else None
        return entry if entry is not None else (None, None, None, None)

    def _remember_answer(self, key: str, about: tuple[str | None, str | None, str | None, str | None]) -> None:
        self._recent.put(key, about)

    def welcome(self, *, personal: bool) -> Reply:
        """What careerbot says when it is added to a chat: what it can do, and how to use it there."""
        help_reply = self.engine.help_reply()
        blocks = list(help_reply.blocks)
        if personal:
            blocks.append(Block(title="Reminders", text=(
                "I can remind you when you are close to being eligible for your next level, in working hours. "
                "Tell me your level, for example “I'm SW2B since March 2025”. Say “stop reminders” at any time.")))
        else:
            blocks.append(Block(title="In this team", text=(
                "Mention me (@careerbot) with a question and I'll answer in the thread. For your own "
                "reminders and self-assessments, chat with me privately.")))
        return Reply(title="Hello, I'm careerbot. I answer questions about the social care career progression "
                     "framework.", blocks=blocks, choices=list(help_reply.choices) if personal else [],
                     sources=[], footer="Answers come from your organisation's framework documents, with the "
                     "source shown under each answer.")

    def home_summary(self, person: Person | None) -> HomeSummary:
        """The person's career at a glance, for a channel's home view (bot/personal.py builds it)."""
        return self.people.home_summary(person)

    def _supervision_help(self, person: Person) -> Reply:
        """What careerbot can do before supervision, with buttons to start it (the framework itself says only
        that it can be used to prepare for career conversations: quoted by the engine on request)."""
        from dialogs.base import start_choice

        nxt = self.people.next_code(person.level_code) if person.level_code else None
        return Reply(
            title="I can help you get ready for supervision.",
            blocks=[Block(bullets=[
                "A check-in: what went well, what you want to discuss, progress on the gaps from your last "
                "self-assessment and what you need from your manager, as a one-page note to bring.",
                "A self-assessment against the criteria of the level you are working towards"
                + (f" ({nxt})" if nxt else "") + ", with the evidence the framework asks for, as a supervision "
                "pack (Word and Markdown).",
                "A reminder a few days before your supervision: the check-in asks when it is, then how many days "
                "before to remind you.",
            ])],
            choices=[start_choice("Prepare for supervision", "checkin", style="primary"),
                     start_choice("Start a self-assessment", "self_assessment",
                                  {"level": nxt} if nxt else None)],
            status="answered",
        )

    def _privacy_help(self) -> Reply:
        """Who sees what: asked before anyone trusts a bot with a self-assessment."""
        from dialogs.base import start_choice

        return Reply(
            title="Your self-assessments and check-ins are private to you.",
            blocks=[Block(bullets=[
                "Nobody else sees them until you choose “Share with my manager” on one of them; then your manager "
                "(as recorded from the staff list) can see that one, and only that one.",
                "Managers see only what their own reports have shared with them, plus their reports' time-in-level "
                "milestones (level and start date) in a weekly digest.",
                "“Export my data” gives you a copy of everything careerbot holds about you; “delete my data” "
                "erases all of it, after you confirm.",
                "Nothing of yours is deleted by itself: your self-assessments, check-ins and settings stay until you "
                "delete them. What it keeps only to run the chat (message ids, so that no reply is sent twice, and "
                "the buttons of old messages) goes after a week to two months.",
                "careerbot shows your answers to no one else. Like any system, it is run by administrators who "
                "look after its database.",
            ])],
            choices=[start_choice("Export my data", "export_data"), start_choice("Delete my data", "delete_data")],
            status="answered",
        )


    def _saving_help(self) -> Reply:
        """How a self-assessment is kept: every answer at once, so nothing is lost by closing the chat."""
        from dialogs.base import start_choice

        days = self.dialogs.expiry_days if self.dialogs is not None else 30
        return Reply(
            title="Your self-assessment is saved as you go.",
            blocks=[Block(bullets=[
                "Every answer is saved as soon as you give it, so closing Teams or Slack loses nothing: come back and "
                "say “resume” to carry on where you were.",
                f"Say “pause” to stop for now. One left untouched for over {days} days is paused for you, with your "
                "answers kept.",
                "A finished self-assessment is kept in your records (“have I done a self-assessment?”), and "
                "“download my pack” gives you a copy to bring to supervision.",
            ])],
            choices=[start_choice("Start a self-assessment", "self_assessment")],
            status="answered",
        )

    def file_again(self, msg: Incoming, source: Any) -> Attachment | None:
        """The file an Attachment.source describes, made again for the person behind msg; None when it is gone
        or not theirs to have. For channels that hand a file over in a later request (Teams asks the person
        to allow the upload first), so nothing is held in memory and any replica can finish the job."""
        if not isinstance(source, dict) or self.dialogs is None:
            return None
        from dialogs.privacy import file_again

        try:
            return file_again(self.store, self.k, self.person_for(msg), source, now=self.clock())
        except StoreError:
            log.exception("store unavailable while making a file again")
            return None

    # -- personal settings ------------------------------------------------------------------------
    def canonical_level(self, typed: str) -> str:
        """'sw 2b' -> 'SW2B', 'sco-4b' -> 'SCO 4B'; a clear ValueError naming the code and listing the known ones."""
        from bot.answers.questions import resolve_level

        role, level = resolve_level(self.k, typed)
        return self.k.code(role, level)

    def _set_level(self, msg: Incoming, person: Person, code_text: str, when_text: str) -> list[Reply] | None:
        if re.search(r"\b(?:starting|starts|will|next)\b", when_text, re.I) or re.search(
                r"\bpromoted\b.*\b(?:starting|starts|will|next)\b", msg.text or "", re.I):
            return None  # "promoted to SW2C, starting in January": not the level now; the question is answered
        if len(when_text.split()) > 8 or "?" in when_text or re.search(
                r"[,;]\s*(?:so\s+|and\s+)?(?:when|how|what|can|could|do|does|is|will|should|am)\b", when_text, re.I):
            # "I've been SW2A since 2024 but I was on leave for 9 months, when can I apply?", "I was promoted to
            # SW3A last April, when can I go for B": a question (answered with the start it states)
            return None
        moved = re.search(rf"\bfrom\s+{_CODE}\s+(?:to|into|up to)\s+(?P<to>{_CODE})\s*$", code_text, re.I)
        if moved:  # "I moved from SW2A to SW2B in March": the level moved to
            code_text = moved.group("to")
        try:
            code = self.canonical_level(code_text)
        except ValueError as exc:
            which = self._which_level_of(code_text, when_text)
            if which is not None:
                return [which]
            if not re.search(r"\d|level|sco|sw", code_text, re.I):
                return None  # "I'm confused since yesterday" is not a level statement
            return [Reply(title="I couldn't set your level.", blocks=[Block(text=str(exc))], status="clarify")]
        since = parse_date(when_text, today=self._today(person), prefer_past=True)
        if (since is None or since > self._today(person)) and self.dialogs is not None:
            # "in 2023", "since 31/02/2025", "since March 2027": the dialog asks for the date, saying why, and
            # keeps the level
            return self.dialogs.start("set_level", msg=msg, person=person,
                                      args={"level_code": code, "said_when": when_text,
                                            "said_future": since is not None})
        if since is None:
            return [Reply(title="I couldn't read that date.",
                          blocks=[Block(text="Please give it like “March 2025”, “1 March 2025” or “2025-03-01”.")],
                          status="clarify")]
        if since > self._today(person):
            return [Reply(title="That date is in the future.",
                          blocks=[Block(text="Please give the date you started the level.")], status="clarify")]
        if self.dialogs is not None:
            return self.dialogs.start("set_level", msg=msg, person=person,
                                      args={"level_code": code, "since": since.isoformat()})
        updated = replace(person, level_code=code, level_since=since)
        self.store.upsert_person(updated)
        return [Reply(title=f"Done: your level is {code}, since {format_uk(since)}.")]

    def _new_start(self, msg: Incoming, person: Person, text: str) -> list[Reply] | None:
        """"Change my start date to April 2025", "no, it was April": a new start for the level on record, confirmed
        like any other (a month alone is taken in the year of the start on record: "no, April" to March 2025)."""
        if self.dialogs is None:
            return None
        m = _NEW_START_DATE.search(text)
        when = (m.group("when") or m.group("when2")) if m else None
        if when is None:
            m = _CORRECTED_START.match(text) or _SINCE_ALONE.match(text)
            when = m.group("when") if m else None  # "no, thanks", "no, until 5 January": not a start date
        if when is None:
            return None
        named = [self.k.code(r, lv) for r, lv, _ in parse(text).levels if r in self.k.roles]
        code = named[-1] if named else person.level_code  # "change my start date for SW2B to May 2025"
        if code is None and m is not None and m.re is _SINCE_ALONE:  # "since april 2023", with no level known
            said = re.sub(MONTH_WORD, lambda w: w.group(0).capitalize(), when.strip(), flags=re.I)
            return [_clarify(f"Since {said} at which level?",
                             f"Tell me the level with it, for example “I'm SW2B since {said}”.")]
        if code is None:
            return None
        if named:  # "for SW2B to May 2025", "I moved to SW2B in June": the date after the level
            when = re.sub(r"^.*\b(?:sw|sco)\s*-?\s*\d\s*-?\s*[abc]?\b\s*(?:(?:to|as|in|on|from|since)\s+)?", "",
                          when, flags=re.I) or when
        since = parse_date(when, today=self._today(person), prefer_past=True)
        if since is not None and person.level_since and code == person.level_code and MONTH_ALONE.fullmatch(when):
            since = in_year_of(since, person.level_since, self._today(person))
        year = re.fullmatch(r"\s*((?:19|20)\d\d)\s*", when)
        if year and person.level_since and code == person.level_code and re.search(r"\bwrong year\b", text, re.I):
            # "wrong year, it was 2024": the month and day on record, in that year
            since = person.level_since.replace(year=int(year.group(1)), day=min(person.level_since.day, 28))
        if since is not None and since <= self._today(person):
            return self.dialogs.start("set_level", msg=msg, person=person,
                                      args={"level_code": code, "since": since.isoformat()})
        return self.dialogs.start("set_level", msg=msg, person=person,
                                  args={"level_code": code, "said_when": when[:60],
                                        "said_future": since is not None})

    def _which_level_of(self, role_text: str, when_text: str) -> Reply | None:
        """"I'm a senior social worker since May": a role, not a level. Which of its levels, with the date kept."""
        from bot.answers.questions import parse
        from dialogs.base import start_choice

        roles = [r for r in parse(role_text).roles if r in self.k.roles and self.k.roles[r].levels]
        if len(roles) != 1:
            return None
        # only a role's name ("a senior social worker"), and a date after it ("since May"): not "a social worker
        # from Zimbabwe", not "the senior practitioner course last month"
        from bot.answers.levels import ROLE_NAMES

        names = "|".join(sorted((re.escape(n) for n in ROLE_NAMES), key=len, reverse=True))
        if not re.fullmatch(rf"\s*(?:an?\s+|the\s+)?(?:{names}|(?:sw|sco)\s*\d)\s*", role_text.lower()):
            return None
        today = self.clock().date()
        if parse_date(when_text, today=today, prefer_past=True) is None and not re.search(r"\b(?:19|20)\d\d\b",
                                                                                         when_text):
            return None
        info = self.k.roles[roles[0]]
        return Reply(title=f"Which level of {info.title} are you?",
                     blocks=[Block(text="The framework has three levels in each role: A (Developing), B (Practising) "
                                        "and C (Accomplished). Your manager or your contract can tell you which.")],
                     choices=[start_choice(self.k.code(roles[0], lv), "set_level",
                                           {"level_code": self.k.code(roles[0], lv), "said_when": when_text[:60]})
                              for lv in info.levels],
                     status="clarify")

    def _snooze(self, person: Person, rest: str) -> Reply:
        today = self._today(person)
        if person.prefs.opted_out:
            return Reply(title="Your reminders are off, so there is nothing to snooze.",
                         blocks=[Block(text="Say “start reminders” to turn them back on.")],
                         choices=[Choice("Start reminders", {"action": "reminders", "what": "opt_in"})])
        rest = re.sub(r"^\s*(?:later|again|another time|some other time)\b", "", rest, flags=re.I)
        # "til I'm back in April", "until I get back from leave on 5 January": until then
        rest = re.sub(r"\b(?:until|till|til|to)?\s*(?:i'?m|i am|i get|i'?ll be|i come|i'?m coming) back(?: at work| to "
                      r"work| from (?:my |maternity |paternity |sick |annual )*leave)?\s+(?:in|on|at)\s+", " until ",
                      rest, flags=re.I)
        if re.search(r"(?:^|\s)-\d|\bminus\b", rest):  # "snooze for -3 days": not a time to wait, whatever it means
            return Reply(title="A snooze needs a time after today.",
                         blocks=[Block(text="For example: “snooze until 5 January” or “snooze for 2 weeks”. To turn "
                                            "reminders off, say “stop reminders”.")], status="clarify")
        year = re.fullmatch(r"\s*(?:until|till|til|to|for)?\s*(?:the (?:start|beginning) of\s+)?((?:19|20)\d\d)"
                            r"\s*[.!]?\s*", rest, re.I)
        if year:  # "snooze until 2027": until that year begins (more than a year away is said so, as for any date)
            return self._reminder_setting(person, "snooze", date(int(year.group(1)), 1, 1).isoformat())
        until = parse_snooze(f"snooze {rest.strip()}", today) if rest.strip() else None
        if until is None:
            said = parse_date(rest, today=today) if rest.strip() else None
            why = ("That's today. " if said == today else
                   f"{format_uk(said)} has already passed. " if said is not None and said < today else
                   "There is no such date. " if said is None and names_a_day(rest) else "")
            return Reply(title="Until when shall I snooze your reminders?",
                         blocks=[Block(text=f"{why}For example: “snooze until 5 January” or “snooze for 2 weeks”.")],
                         choices=[Choice("1 week", {"action": "reminders", "what": "snooze",
                                                    "until": (today + timedelta(days=7)).isoformat()}),
                                  Choice("1 month", {"action": "reminders", "what": "snooze",
                                                     "until": (today + timedelta(days=30)).isoformat()})],
                         status="clarify")
        return self._reminder_setting(person, "snooze", until.isoformat())

    def _digest(self, person: Person) -> Reply:
        """The weekly team digest: on or off with the manager's reminders, said so, with the one switch."""
        if not self.store.list_reports(person.id):
            return Reply(title="The weekly team digest goes to managers.",
                         blocks=[Block(text="It lists a manager's team milestones; you have no staff in my records. "
                                            "HR keeps the staff list.")])
        prefs = person.prefs
        today = self._today(person)
        if prefs.opted_out:
            state, switch = "off, because your reminders are off", Choice("Start reminders", {
                "action": "reminders", "what": "opt_in"})
        elif prefs.snoozed_until and prefs.snoozed_until > today:
            state, switch = (f"snoozed with your reminders until {format_uk(prefs.snoozed_until)}",
                             Choice("Resume reminders", {"action": "reminders", "what": "opt_in"}))
        else:
            state, switch = "on", Choice("Stop reminders", {"action": "reminders", "what": "opt_out"})
        day = WEEKDAYS[self.digest_weekday % 7]
        return Reply(title=f"Your weekly team digest is {state}.",
                     blocks=[Block(text=f"It comes on {day}s in your working hours, when there is something to tell: "
                                        f"who could become eligible in the next {prefs.heads_up_weeks} weeks, who "
                                        "is eligible now, and who has been eligible for a long time. The day is the "
                                        "same for every manager. To see your team now, say “my team”."),
                             Block(text="The digest comes with your reminders; there is no separate switch. "
                                        "“Stop reminders” stops both, “start reminders” turns both back on, and "
                                        "a snooze pauses both.")],
                     choices=[switch])

    def _reminder_setting(self, person: Person, what: str, until: str | None = None) -> Reply:
        prefs = person.prefs
        if what == "snooze":
            try:
                day = date.fromisoformat(str(until))
            except ValueError:
                return Reply(title="I couldn't read that date.", status="clarify")
            today = self._today(person)
            if day <= today:
                return Reply(title="That's today." if day == today else f"{format_uk(day)} has already passed.",
                             blocks=[Block(text="Please choose a date after today.")], status="clarify")
            if day > today + timedelta(days=366):  # a snooze of years is an opt-out nobody would see coming back
                return Reply(title=f"{format_uk(day)} is more than a year away.",
                             blocks=[Block(text="I can snooze reminders for up to a year. To stop them altogether, "
                                                "say “stop reminders” (you can start them again any time).")],
                             choices=[Choice("Stop reminders", {"action": "reminders", "what": "opt_out"}),
                                      Choice("Snooze for a year", {
                                          "action": "reminders", "what": "snooze",
                                          "until": (today + timedelta(days=365)).isoformat()})],
                             status="clarify")
            lost = self.people.lost_to_snooze(person, day)
            prefs.snoozed_until = day
            msg = f"Reminders snoozed until {format_uk(day)}. Say “resume reminders” to turn them back on sooner."
            if lost:
                self.store.upsert_person(person)
                return Reply(title=msg, blocks=[Block(
                    title="Not sent because of the snooze (no longer relevant when it ends)", bullets=lost)])
        elif what == "opt_out":
            prefs.opted_out = True
            msg = "You won't get any more reminders. Say “start reminders” if you change your mind."
        elif what == "opt_in":
            prefs.opted_out = False
            prefs.snoozed_until = None
            msg = "Reminders are on. I only send them in working hours on working days."
        else:
            return Reply(title="I didn't understand that reminder setting.", status="clarify")
        self.store.upsert_person(person)
        if what in ("opt_out", "opt_in", "snooze") and self.store.list_reports(person.id):
            # a manager's weekly team digest comes with their reminders: never stopped (or started) unsaid
            return Reply(title=msg, blocks=[Block(text=_DIGEST_GOES_WITH[what])])
        return Reply(title=msg)


