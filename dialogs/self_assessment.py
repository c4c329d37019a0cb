"""The guided self-assessment: rate each criterion of a target level, then a summary to take to supervision."""

from __future__ import annotations

import dataclasses
import logging
import re
from datetime import date
from typing import Any

from bot.conversation import Block, Reply
from bot.knowledge.model import LEVEL_NAMES, LEVEL_ORDER, Criterion, Knowledge
from bot.storage.base import Person
from dialogs.base import (
    Answer,
    Ctx,
    Flow,
    NotUnderstood,
    Out,
    choice,
    completed,
    drop_draft,
    record_choice,
    upsert_record,
)
from dialogs.words import (
    NOTE_MAX,
    RATING_LABELS,
    RATING_WORDS,
    clip,
    format_date,
    is_skip_text,
    match_phrase,
    plural,
    rating_with_note,
    tidy,
    undecided,
    yes_no,
)

log = logging.getLogger(__name__)

CATEGORIES = ("qualifications", "knowledge", "experience", "skills", "safeguarding")
CATEGORY_LABELS = {c: c.capitalize() for c in CATEGORIES}
GAP_RATINGS = ("partly", "not_yet", "not_sure")
_RANK = {"not_yet": 0, "partly": 1, "met": 2}

# The guide's ways to develop (Medway guide, "Personal and Professional Development"), in its order. The guide
# does not say which suits which gap, so none is paired with one.
ROUTE_ORDER = ("On the job learning", "Learning from others", "Formal learning", "Stepping Up", "Acting Up",
               "Secondments")

RATING_HELP = (
    "Met: you can show this now, with evidence.\n"
    "Partly: you do some of it, or not yet consistently.\n"
    "Not yet: not something you have done yet.\n"
    "Not sure: you would like to talk it through in supervision.\n"
    "You can also say “n/a” if it does not apply to your post, “skip” to leave one out, “skip category” to "
    "leave out the rest of a category, “back” to change your last answer, “pause” to carry on later, or "
    "“cancel” to stop."
)


# -- levels and criteria --------------------------------------------------------------------------------

def level_label(knowledge: Knowledge, code: str) -> str:
    role, level = split_code(knowledge, code)
    info = knowledge.roles.get(role or "")
    if info is None:
        return code
    if level:
        return info.level_label(level)
    return f"{info.title} ({role})"


def target_code(data: dict[str, Any]) -> str:
    """The target level of a self-assessment as people read it ("SCO 4B"), from its saved label; records saved
    before the code was stored in that form said "SCOB"."""
    label = data.get("target_label") or data.get("label")
    if isinstance(label, str) and label:
        return label.split(" (")[0]
    return str(data.get("target") or "")


def split_code(knowledge: Knowledge, code: str | None) -> tuple[str | None, str | None]:
    """'SW3B', 'sco 4b' -> (role, level); 'PO3' -> ('PO3', None); (None, None) for anything the framework lacks.

    The one level-code parser (bot.answers.questions.resolve_level) does the reading, so a code stored as
    "SCO 4B" reads back here exactly as everywhere else.
    """
    from bot.answers.questions import resolve_level

    if not isinstance(code, str):
        return None, None
    try:
        role, level = resolve_level(knowledge, code)
    except ValueError:
        return None, None
    info = knowledge.roles.get(role)
    return (role, level) if info is not None and info.kind == "role" else (None, None)


def parse_target(knowledge: Knowledge, text: str) -> str | None:
    """A level code (SW3B) or a profile without levels (PO3) in typed text."""
    from bot.answers.questions import parse

    q = parse(text or "")
    for role, level, _ in q.levels:
        if split_code(knowledge, knowledge.code(role, level))[0]:
            return knowledge.code(role, level)
    for role in q.roles:
        info = knowledge.roles.get(role)
        if info is not None and info.kind == "role" and not info.levels:
            return role
    r, lv = split_code(knowledge, text)
    if r:
        return f"{r}{lv or ''}"
    return None


def next_target(knowledge: Knowledge, person: Person) -> str | None:
    """The level after the person's recorded one, within their role."""
    from bot.answers.questions import next_level_code

    return next_level_code(knowledge, person.level_code) if split_code(knowledge, person.level_code)[0] else None


def criteria_for(knowledge: Knowledge, code: str, variant: str | None = None) -> list[Criterion]:
    """The criteria a person rates for a level, by category, without reviewers' comments."""
    role, level = split_code(knowledge, code)
    if not role:
        return []
    found = [c for c in knowledge.find(role=role, level=level)
             if c.topic in CATEGORIES and not c.is_comment and c.rated]
    out: list[Criterion] = []
    for cat in CATEGORIES:
        in_cat = [c for c in found if c.topic == cat]
        chosen = [c for c in in_cat if c.variant == variant] if variant else []
        if not chosen:
            chosen = [c for c in in_cat if c.variant is None]
        out += chosen
    return out


def _item(c: Criterion) -> dict[str, Any]:
    return {"uid": c.uid, "cat": c.topic, "group": c.group, "text": c.text, "note": c.note,
            "snote": c.section_note, "heading": c.source.heading, "source": c.source.cite()}


def additive_note(knowledge: Knowledge, code: str) -> str | None:
    """Levels B and C are 'in addition to' the levels below: say so, quoting the source where it does."""
    role, level = split_code(knowledge, code)
    if not role or not level or level == LEVEL_ORDER[0]:
        return None
    below = [lv for lv in LEVEL_ORDER[: LEVEL_ORDER.index(level)] if lv in knowledge.roles[role].levels]
    names = " and ".join(knowledge.code(role, lv) for lv in below)
    quoted = [c for c in knowledge.find(role=role, level=level, topic="overview") if "in addition" in c.text.lower()]
    code = knowledge.code(role, level)
    text = f"The criteria for {code} are in addition to those for {names}: this covers what {code} adds."
    if quoted:
        text += f" The framework says: “{quoted[0].text}” ({quoted[0].source.cite()})."
    return text


# -- the flow -------------------------------------------------------------------------------------------

class SelfAssessment(Flow):
    name = "self_assessment"
    noun = "self-assessment"
    keeps_partial = True

    # setup -----------------------------------------------------------------------------------------
    def begin(self, ctx: Ctx, state: dict[str, Any], args: dict[str, Any]) -> Out:
        k = ctx.knowledge
        data = state["data"] = {"phase": "choose_role", "target": None, "items": [], "pos": 0, "history": [],
                                "answers": {}, "variant": None}
        variant = args.get("variant") if isinstance(args.get("variant"), str) else None
        data["variant"] = variant
        out = Out()
        asked = next((args.get(key) for key in ("level", "target", "level_code") if args.get(key)), None)
        target = None
        if asked is not None:
            target = parse_target(k, str(asked)) if isinstance(asked, str) else None
            if target is None:
                shown = str(asked)[:40]
                out.before.append(Block(text=f"“{shown}” is not a level I can find in the framework."))
        else:
            target = next_target(k, ctx.person)
        if target:
            self._set_target(ctx, state, target, out)
        elif asked is None and ctx.person.level_code:
            role, level = split_code(k, ctx.person.level_code)
            if role and level and k.next_level(role, level) is None:
                out.before.append(Block(text=f"{ctx.person.level_code} is the top level of your role in the "
                                             "framework. Which level would you like to look at?"))
        return out

    def _set_target(self, ctx: Ctx, state: dict[str, Any], target: str, out: Out) -> None:
        k = ctx.knowledge
        data = state["data"]
        role, level = split_code(k, target)
        if role:  # one spelling of each level everywhere it is saved and shown: "SCO 4B", never "SCOB"
            target = k.code(role, level) if level else role
        variants = sorted({c.variant for c in k.find(role=role, level=level) if c.variant}) if role else []
        if variants and not data.get("variant") and not data.get("variant_asked"):
            # "SCO 4B": the framework has a separate deaf services table; ask which one applies first
            data.update(target=target, label=level_label(k, target), phase="choose_variant", variants=variants)
            return
        items = [_item(c) for c in criteria_for(k, target, data.get("variant"))]
        if not items:
            raise NotUnderstood(f"The framework lists no criteria to rate for {target}. Please choose another level.")
        data.update(target=target, label=level_label(k, target), items=items, pos=0, history=[], answers={},
                    phase="rate")
        cats = [CATEGORY_LABELS[c].lower() for c in CATEGORIES if any(i["cat"] == c for i in items)]
        intro = (f"Let's look at {data['label']}: {plural(len(items), 'criterion', 'criteria')} in "
                 f"{_and(cats)}. For each, choose Met, Partly, Not yet or Not sure, and add a note of your "
                 "evidence if you like. Your answers are private to you.")
        blocks = [Block(title=f"Self-assessment for {data['label']}", text=intro)]
        extra = additive_note(k, target)
        if extra:
            blocks[0].notes.append(extra)
        if data.get("variant"):
            blocks[0].notes.append(f"Using the {data['variant']} criteria where the framework has them.")
        out.before.extend(blocks)

    # questions -------------------------------------------------------------------------------------
    def free_text(self, state: dict[str, Any]) -> bool:
        return (state.get("data") or {}).get("phase") == "note"

    def answered(self, state: dict[str, Any]) -> int:
        answers = (state.get("data") or {}).get("answers") or {}
        return sum(1 for a in answers.values()
                   if isinstance(a, dict) and (a.get("rating") not in (None, "skipped") or a.get("evidence")))

    def progress(self, state: dict[str, Any]) -> str | None:
        data = state["data"]
        if data.get("phase") not in ("rate", "note"):
            return None
        return f"{data['pos'] + 1} of {len(data['items'])}"

    def describe(self, state: dict[str, Any], today: date) -> str:
        data = state.get("data") or {}
        started = saved_date(state.get("started_at"))
        when = f" from {format_date(started, today=today, short=True)}" if started else ""
        target = f" for {target_code(data)}" if data.get("target") else ""
        return f"your self-assessment{target}{when}"

    def question(self, ctx: Ctx, state: dict[str, Any]) -> Reply:

        k = ctx.knowledge
        data = state["data"]
        phase = data["phase"]
        meta = {"dialog": self.name, "dialog_id": state["id"], "step": state["step"], "phase": phase}
        if phase == "choose_role":
            roles = [code for code, info in k.roles.items() if info.kind == "role" and info.levels]
            return Reply(
                title="Which role would you like to assess yourself against?",
                blocks=[Block(text="Choose a role, or type a level such as “SW3B”.")],
                choices=[choice(state, f"{k.roles[r].title} ({r})", f"role:{r}") for r in roles]
                + [choice(state, "Cancel", "cancel")],
                status="dialog", meta=meta)
        if phase == "choose_variant":
            label = data.get("label") or data.get("target")
            return Reply(
                title=f"Which table for {label}?",
                blocks=[Block(text="The framework has a separate table for " + " and ".join(
                    v.lower() for v in data.get("variants") or []) + ". Choose the one for your post.")],
                choices=[choice(state, "Standard table", "variant:")]
                + [choice(state, f"{v} table", f"variant:{v}") for v in data.get("variants") or []]
                + [choice(state, "Back", "back")],
                status="dialog", meta=meta)
        if phase == "choose_level":
            role = data["role"]
            info = k.roles[role]
            return Reply(
                title=f"Which level of {info.title} ({role})?",
                blocks=[Block(text="Choose a level, or type it, such as “B”.")],
                choices=[choice(state, f"{k.code(role, lv)} ({name or LEVEL_NAMES.get(lv, '')})", f"level:{role}{lv}")
                         for lv, name in info.levels.items()] + [choice(state, "Back", "back")],
                status="dialog", meta=meta)
        item = data["items"][data["pos"]]
        prog = self.progress(state)
        cat = CATEGORY_LABELS.get(item["cat"], item["cat"])
        head = f"{prog} · {cat}" + (f" ({item['group']})" if item.get("group") else "")
        meta.update(progress=prog, category=item["cat"], uid=item["uid"], target=data["target"])
        previous = data["answers"].get(item["uid"]) or {}
        if phase == "note":
            said = RATING_LABELS.get(previous.get("rating"), "")
            # the criterion again, short: after a pause, or with the rating message updated, it is not on screen
            text = (f"“{_short(item['text'], 120)}”\n"
                    "Add a note of your evidence (a case, a supervision note, a course…), or say skip.")
            if previous.get("evidence"):
                text += f"\nYour note so far: “{previous['evidence']}”. Type a new one, or say skip to keep it."
            return Reply(title=f"{head}: {said}", blocks=[Block(text=text)],
                         choices=[choice(state, "Skip note", "skip"), choice(state, "Back", "back"),
                                  choice(state, "Pause", "pause")],
                         status="dialog", meta=meta)
        notes = []
        if item.get("note"):
            notes.append(item["note"])
        first_of_section = data["pos"] == 0 or data["items"][data["pos"] - 1].get("heading") != item.get("heading")
        if item.get("snote") and first_of_section:
            notes.append(f"About this part of the table: {item['snote']}")
        text = f"“{item['text']}”"
        if previous.get("rating") in RATING_LABELS and previous.get("rating"):
            text += f"\nYour answer was: {RATING_LABELS[previous['rating']]}."
        choices = [choice(state, "Met", "met", "primary"), choice(state, "Partly", "partly"),
                   choice(state, "Not yet", "not_yet"), choice(state, "Not sure", "not_sure"),
                   choice(state, "Skip", "skip"), choice(state, "Skip this category", "skip_category")]
        if data["history"]:
            choices.append(choice(state, "Back", "back"))
        choices.append(choice(state, "Pause", "pause"))
        return Reply(title=head, blocks=[Block(text=text, notes=notes)], choices=choices, sources=[item["source"]],
                     footer="Say “help” for what the ratings mean, or “cancel” to stop.", status="dialog",
                     meta=meta)

    def help_text(self, ctx: Ctx, state: dict[str, Any]) -> str:
        phase = state["data"]["phase"]
        if phase == "choose_role":
            return "Choose the role you are aiming for, or type a level code such as “SW3B”. Say “cancel” to stop."
        if phase == "choose_level":
            return "Choose A (Developing), B (Practising) or C (Accomplished). Say “back” to choose another role."
        if phase == "note":
            return self._about_item(ctx, state) + (
                "Type a line about your evidence, such as a case example or a course, or say “skip”. "
                "Say “back” to change your rating, or “pause” to carry on later.")
        return self._about_item(ctx, state) + RATING_HELP

    @staticmethod
    def _about_item(ctx: Ctx, state: dict[str, Any]) -> str:
        """'What does this mean?': the abbreviations in the criterion on screen, spelt out from the glossary
        (or said to be unexplained), and where it comes from. The framework explains no criterion further."""
        data = state["data"]
        items = data.get("items") or []
        if not items or data.get("pos", 0) >= len(items):
            return ""
        item = items[data["pos"]]
        lines = []
        for e in ctx.knowledge.glossary_in(item["text"]):
            lines.append(f"{e.term}: {e.meaning}" if e.meaning else
                         f"{e.term}: the documents use it without spelling it out")
        where = f"This criterion is from {item['source']}." if item.get("source") else ""
        spelt = ("In it, " + "; ".join(lines) + ".") if lines else ""
        return " ".join(p for p in (
            where, spelt, "The framework says no more about it than this. If you are unsure what it asks of you, "
            "“Not sure” is a good answer: it puts it on the list to talk through in supervision.") if p) + "\n\n"

    # answers ---------------------------------------------------------------------------------------
    def answer(self, ctx: Ctx, state: dict[str, Any], ans: Answer) -> Out:
        data = state["data"]
        phase = data["phase"]
        if phase == "choose_role":
            return self._choose_role(ctx, state, ans)
        if phase == "choose_level":
            return self._choose_level(ctx, state, ans)
        if phase == "choose_variant":
            return self._choose_variant(ctx, state, ans)
        item = data["items"][data["pos"]]
        if phase == "rate":
            ratings = ("met", "partly", "not_yet", "not_sure", "na")
            note: str | None = None
            if ans.value in ratings:
                value = ans.value
            else:
                value, note = rating_with_note(ans.text)  # "Partly: co-chaired only" keeps its note
                if value is None and undecided(ans.text):  # "I have to think about it": nothing is recorded
                    raise NotUnderstood("That's fine: there's no need to decide now. Say “skip” to leave this one "
                                        "out, “Not sure” to put it on the list for supervision, or “pause” to "
                                        "carry on later (your answers are kept).", caught=True)
            if value not in ratings:
                raise NotUnderstood("Please choose Met, Partly, Not yet or Not sure (or say skip, back, pause or "
                                    "help).")
            entry = data["answers"].setdefault(item["uid"], {})
            entry["rating"] = value
            if note:
                kept, cut = clip(note, NOTE_MAX)
                entry["evidence"] = kept
                said = f"Recorded {RATING_LABELS[value]}, with your note: “{_short(kept, 200)}”"
                said += f" (cut to its first {NOTE_MAX:,} characters)." if cut else "."
                if data["pos"] + 1 < len(data["items"]):  # after the last one the summary follows: no going back
                    said += " Say “back” to change it."
                return self._advance(ctx, state, Out(before=[Block(text=said)]))
            if value == "na":
                entry.pop("evidence", None)
                return self._advance(ctx, state, Out(before=[Block(text="Noted as not applicable.")]))
            data["phase"] = "note"
            return Out()
        # note
        if ans.value == "skip" or is_skip_text(ans.text):
            return self._advance(ctx, state, Out())
        current = (data["answers"].get(item["uid"]) or {}).get("rating")  # the rating just given
        if match_phrase(ans.text, RATING_WORDS, fuzzy=False):
            # A bare "met" here is almost always meant for the next question, not a note of evidence. One that
            # differs from the rating just given may be a change of mind: asked, not guessed, and nothing dropped.
            said, _ = rating_with_note(ans.text)
            if said and current and said != current:
                raise NotUnderstood(f"You rated this one {RATING_LABELS[current]}. To change it to "
                                    f"{RATING_LABELS[said]}, say “back”; otherwise type a note of your evidence, or "
                                    "say skip.", caught=True)
            shown, _ = clip(ans.text, 40)
            return self._advance(ctx, state, Out(before=[Block(text=f"I've taken “{shown}” as no note. To add one, "
                                                                    "write a few words.")]))
        if _ACKNOWLEDGED.fullmatch(ans.text or ""):
            raise NotUnderstood(f"I haven't kept “{(ans.text or '').strip()}” as a note of evidence.", caught=True)
        if _NO_IDEA.match(ans.text or "") and len((ans.text or "").split()) <= 10:
            # "no idea what this is tbh": not evidence; a manager might read it in a shared pack
            shown, _ = clip((ans.text or "").strip(), 40)
            raise NotUnderstood(f"I haven't kept “{shown}” as a note. If you're not sure what this one asks, say "
                                "“back” and rate it Not sure: it goes on the list to talk through in supervision. "
                                "Otherwise type a note, or say skip.", caught=True)
        if _NO_EVIDENCE.fullmatch(ans.text or ""):
            # "nah not really", "no evidence yet", "I haven't": no note, and after Met or Partly perhaps a change
            # of mind about the rating: asked, never kept as the evidence for a Met
            shown, _ = clip(ans.text.strip(), 40)
            if current in ("met", "partly"):
                raise NotUnderstood(f"You rated this one {RATING_LABELS[current]}, and said “{shown}”. To change "
                                    "the rating, say “back”; if you have no note to add, say skip.", caught=True)
            return self._advance(ctx, state, Out(before=[Block(text=f"I've taken “{shown}” as no note.")]))
        entry = data["answers"].setdefault(item["uid"], {})
        out = Out()
        rated, rest = rating_with_note(ans.text)
        if rated and rest and _RATING_LEAD.match(ans.text):
            # "Partly - did one audit" typed as the note: the rating it starts with, and the rest as the note
            if rated != entry.get("rating"):
                out.before.append(Block(text=f"I've changed your rating to {RATING_LABELS[rated]}, as your note "
                                             "says, and kept the rest as the note."))
                entry["rating"] = rated
            ans = Answer(text=rest, value=None)
        note, cut = clip(ans.text, NOTE_MAX)
        if not re.search(r"\w", note):
            raise NotUnderstood("Type a note of your evidence, or say skip.")
        entry["evidence"] = note
        if cut:
            out.before.append(Block(text=f"That was a long note: I kept the first {NOTE_MAX:,} characters."))
        return self._advance(ctx, state, out)

    def _choose_role(self, ctx: Ctx, state: dict[str, Any], ans: Answer) -> Out:
        k = ctx.knowledge
        value = ans.value or ""
        if value.startswith("role:"):
            role = value[5:]
            if role in k.roles and k.roles[role].levels:
                state["data"].update(role=role, phase="choose_level")
                return Out()
        if value.startswith("level:"):
            return self._choose_level(ctx, state, ans)
        target = parse_target(k, ans.text) if ans.text else None
        if target:
            out = Out()
            self._set_target(ctx, state, target, out)
            return out
        from bot.answers.questions import parse

        roles = [r for r in parse(ans.text or "").roles if r in k.roles and k.roles[r].levels]
        if roles:
            state["data"].update(role=roles[0], phase="choose_level")
            return Out()
        raise NotUnderstood("I couldn't tell which role you mean. Choose one of the options, or type a level "
                            "such as “SW3B”.")

    def _choose_level(self, ctx: Ctx, state: dict[str, Any], ans: Answer) -> Out:
        k = ctx.knowledge
        data = state["data"]
        value = ans.value or ""
        target = None
        if value.startswith("level:"):
            target = value[6:]
        elif ans.text:
            target = parse_target(k, ans.text)
            if target is None and data.get("role"):
                m = re.fullmatch(r"(?:level\s*)?([abc])(?:\s*\(?\w*\)?)?", ans.text.strip().lower())
                by_name = {name.lower(): lv for lv, name in k.roles[data["role"]].levels.items() if name}
                letter = m.group(1).upper() if m else by_name.get(ans.text.strip().lower())
                if letter:
                    target = f"{data['role']}{letter}"
        role, _ = split_code(k, target)
        if not role:
            raise NotUnderstood("Please choose a level: A (Developing), B (Practising) or C (Accomplished).")
        out = Out()
        self._set_target(ctx, state, target, out)
        return out

    def _choose_variant(self, ctx: Ctx, state: dict[str, Any], ans: Answer) -> Out:
        data = state["data"]
        variants = data.get("variants") or []
        value = ans.value or ""
        chosen: str | None = None
        if value.startswith("variant:"):
            chosen = value[8:]
        elif ans.text:
            t = tidy(ans.text)
            chosen = next((v for v in variants if v.lower().split()[0] in t), None)
            if chosen is None and (re.search(r"\b(?:standard|normal|usual|main|general|ordinary|first)\b", t)
                                   or yes_no(t) == "no"):
                chosen = ""
        if chosen is None or (chosen and chosen not in variants):
            raise NotUnderstood("Choose the standard table or the " + " or ".join(v.lower() for v in variants)
                                + " table.")
        data["variant"] = chosen or None
        data["variant_asked"] = True
        out = Out()
        self._set_target(ctx, state, data["target"], out)
        return out

    def _advance(self, ctx: Ctx, state: dict[str, Any], out: Out, *, to: int | None = None) -> Out:
        data = state["data"]
        data["history"].append(data["pos"])
        data["pos"] = data["pos"] + 1 if to is None else to
        data["phase"] = "rate"
        if data["pos"] >= len(data["items"]):
            return self.finish(ctx, state, out)
        nxt = data["items"][data["pos"]]
        if nxt["cat"] != data["items"][data["history"][-1]]["cat"]:
            n = sum(1 for i in data["items"] if i["cat"] == nxt["cat"])
            out.before.append(Block(text=f"Next: {CATEGORY_LABELS.get(nxt['cat'], nxt['cat'])} "
                                         f"({plural(n, 'criterion', 'criteria')})."))
        return out

    def back(self, ctx: Ctx, state: dict[str, Any]) -> bool:
        data = state["data"]
        if data["phase"] == "note":
            data["phase"] = "rate"
            return True
        if data["phase"] == "choose_level":
            data["phase"] = "choose_role"
            return True
        if data["phase"] == "choose_variant":
            data["phase"] = "choose_level" if data.get("role") else "choose_role"
            return True
        if data["phase"] == "rate" and not data["history"] and data.get("variant_asked"):
            data.update(phase="choose_variant", variant_asked=False, variant=None)  # back to the table
            return True
        if data["phase"] == "rate" and data["history"]:
            data["pos"] = data["history"].pop()
            data["phase"] = "rate"
            return True
        return False

    def skip(self, ctx: Ctx, state: dict[str, Any]) -> Out | None:
        data = state["data"]
        if data["phase"] not in ("rate", "note"):
            return None
        item = data["items"][data["pos"]]
        entry = data["answers"].setdefault(item["uid"], {})
        if data["phase"] == "rate" and not entry.get("rating"):
            entry["rating"] = "skipped"
        return self._advance(ctx, state, Out())

    def skip_category(self, ctx: Ctx, state: dict[str, Any]) -> Out | None:
        data = state["data"]
        if data["phase"] not in ("rate", "note"):
            return None
        items = data["items"]
        cat = items[data["pos"]]["cat"]
        end = data["pos"]
        while end < len(items) and items[end]["cat"] == cat:
            entry = data["answers"].setdefault(items[end]["uid"], {})
            if not entry.get("rating"):
                entry["rating"] = "skipped"
            end += 1
        label = CATEGORY_LABELS.get(cat, cat)
        return self._advance(ctx, state, Out(before=[Block(text=f"Skipped the rest of {label}.")]), to=end)

    # records and the summary -------------------------------------------------------------------------
    def _record_data(self, ctx: Ctx, state: dict[str, Any], status: str) -> dict[str, Any]:
        data = state["data"]
        items = []
        for it in data["items"]:
            a = data["answers"].get(it["uid"]) or {}
            items.append({"uid": it["uid"], "category": it["cat"], "group": it.get("group"), "text": it["text"],
                          "note": it.get("note"), "source": it["source"], "rating": a.get("rating"),
                          "evidence": a.get("evidence")})
        role, level = split_code(ctx.knowledge, data["target"])
        return {
            "type": "self_assessment", "status": status, "target": data["target"], "target_label": data["label"],
            "role": role, "level": level, "variant": data.get("variant"),
            "started_at": state.get("started_at"), "updated_at": ctx.now.isoformat(), "date": ctx.today.isoformat(),
            "person_level": ctx.person.level_code,
            "person_level_since": ctx.person.level_since.isoformat() if ctx.person.level_since else None,
            "progress": {"position": data["pos"], "total": len(data["items"])},
            "items": items, "counts": counts(items),
        }

    def save_partial(self, ctx: Ctx, state: dict[str, Any], status: str) -> str | None:
        data = state.get("data") or {}
        if not data.get("target") or not data.get("answers"):
            return None
        return upsert_record(ctx.store, state, ctx.person.id, "assessment", self._record_data(ctx, state, status))

    def discard(self, ctx: Ctx, state: dict[str, Any]) -> None:
        data = state.get("data") or {}
        data["answers"] = {}
        data["pos"] = 0
        drop_draft(ctx.store, ctx.person.id, state, "assessment")

    def finish(self, ctx: Ctx, state: dict[str, Any], out: Out) -> Out:
        record = self._record_data(ctx, state, "complete")
        record["completed_at"] = ctx.now.isoformat()
        record.update(summarise(ctx.knowledge, ctx.store, ctx.person, record, today=ctx.today,
                                exclude_dialog=state["id"]))
        rid = upsert_record(ctx.store, state, ctx.person.id, "assessment", record)
        state["done"] = True
        reply = summary_reply(record, rid)
        if out.before:
            reply.blocks[:0] = out.before
        return Out(replies=[reply])


# -- summary ----------------------------------------------------------------------------------------------

def counts(items: list[dict[str, Any]]) -> dict[str, int]:
    out = {k: 0 for k in ("met", "partly", "not_yet", "not_sure", "na", "skipped", "unanswered")}
    for it in items:
        r = it.get("rating")
        out[r if r in out else "unanswered"] += 1
    return out


def counts_text(c: dict[str, int]) -> str:
    parts = [f"Met {c['met']}", f"Partly {c['partly']}", f"Not yet {c['not_yet']}", f"Not sure {c['not_sure']}"]
    if c.get("na"):
        parts.append(f"Not applicable {c['na']}")
    if c.get("skipped"):
        parts.append(f"Skipped {c['skipped']}")
    if c.get("unanswered"):
        parts.append(f"Not reached {c['unanswered']}")
    return " · ".join(parts)


def time_in_level_text(knowledge: Knowledge, person: Person, today: date, target: str | None) -> str:
    """The milestones module's status for the person's recorded level, or a kind fallback."""
    if not (person.level_code and person.level_since):
        return ("I don't know your current level and start date, so I can't work out your time in level. "
                "Tell me, for example: “I'm SW2B since March 2025”.")
    try:
        from bot.milestones import assess
    except ImportError:
        return (f"Your recorded level is {person.level_code}, since {format_date(person.level_since)}. "
                "I can't work out the time-in-level rules just now.")
    try:
        result = assess(knowledge, level_code=person.level_code, since=person.level_since, today=today)
        if hasattr(result, "evidence_needed"):
            # The summary lists the evidence in its own section; don't say it twice.
            result = dataclasses.replace(result, evidence_needed=[])
        text = result.describe()
    except Exception:  # noqa: BLE001 - a milestone problem must not cost the person their summary
        log.warning("time-in-level status failed for %s", person.level_code, exc_info=True)
        return (f"Your recorded level is {person.level_code}, since {format_date(person.level_since)}. "
                "I couldn't work out the time-in-level rules for it just now.")
    role, level = split_code(knowledge, person.level_code)
    if target and role and level and knowledge.code(role, knowledge.next_level(role, level)) != target:
        text = (f"You assessed yourself against {target}; your recorded level is {person.level_code}, so this is "
                f"about your current level.\n") + text
    return text.strip()


def development_routes(knowledge: Knowledge, gap_categories: list[str]) -> list[dict[str, Any]]:
    """The guide's ways to develop, as it lists them (title, its line, its source), when there are gaps. The
    guide pairs none with a kind of gap, so neither does this: they are choices to talk over in supervision."""
    if not gap_categories:
        return []
    routes: list[dict[str, Any]] = []
    guide = knowledge.guidance()
    for title in ROUTE_ORDER:
        c = next((g for g in guide if (g.title or "").lower() == title.lower()), None)
        if c is None:
            continue
        section = dataclasses.replace(c.source, heading=c.source.heading.split(" – ")[0]).cite()
        routes.append({"title": c.title, "text": c.text, "source": c.source.cite(), "section": section})
    return routes


def _route_caveat(knowledge: Knowledge) -> dict[str, str] | None:
    for g in knowledge.guidance():
        if "should not be considered as essential" in g.text:
            return {"text": g.text, "source": g.source.cite()}
    return None


def evidence_required(knowledge: Knowledge, target: str) -> tuple[list[dict[str, Any]], list[str]]:
    role, level = split_code(knowledge, target)
    if not role:
        return [], []
    found = knowledge.find(role=role, level=level, topic="evidence")
    items = [{"text": c.text, "group": c.group, "source": c.source.cite(), "note": c.note} for c in found]
    notes: list[str] = []
    for c in found:
        if c.section_note and c.section_note not in notes:
            notes.append(c.section_note)
    return items, notes


def compare(previous: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """What moved between two assessments of the same level."""
    before = {i.get("uid"): i for i in previous.get("items") or []}
    by_text = {i.get("text"): i for i in previous.get("items") or []}
    up, down, still, same = [], [], [], 0
    for it in items:
        old = before.get(it["uid"]) or by_text.get(it["text"])
        if old is None:
            continue
        r0, r1 = old.get("rating"), it.get("rating")
        if r0 in _RANK and r1 in _RANK:
            if _RANK[r1] > _RANK[r0]:
                up.append({"text": it["text"], "from": r0, "to": r1})
            elif _RANK[r1] < _RANK[r0]:
                down.append({"text": it["text"], "from": r0, "to": r1})
            else:
                same += 1
                if r1 != "met":
                    still.append({"text": it["text"], "rating": r1})
        elif r1 == "met" and r0 != "met":
            up.append({"text": it["text"], "from": r0, "to": r1})
        elif r0 == "met" and r1 in GAP_RATINGS:
            down.append({"text": it["text"], "from": r0, "to": r1})
        elif r1 in GAP_RATINGS:
            still.append({"text": it["text"], "rating": r1})
    return {"up": up, "down": down, "still": still, "unchanged": same}


def summarise(knowledge: Knowledge, store, person: Person, record: dict[str, Any], *, today: date,
              exclude_dialog: str | None = None) -> dict[str, Any]:
    items = record["items"]
    strengths = [i["text"] for i in items if i.get("rating") == "met"]
    gaps = [{"text": i["text"], "rating": i["rating"], "category": i["category"], "evidence": i.get("evidence"),
             "uid": i["uid"]} for i in items if i.get("rating") in GAP_RATINGS]
    gap_cats = [c for c in CATEGORIES if any(g["category"] == c for g in gaps)]
    evidence, ev_notes = evidence_required(knowledge, record["target"])
    out: dict[str, Any] = {
        "strengths": strengths, "gaps": gaps, "evidence_required": evidence, "evidence_notes": ev_notes,
        "time_in_level": time_in_level_text(knowledge, person, today, record["target"]),
        "routes": development_routes(knowledge, gap_cats), "routes_caveat": _route_caveat(knowledge) if gaps else None,
        "additive_note": additive_note(knowledge, record["target"]), "previous": None, "moved": None,
    }
    earlier = [r for r in completed(store.list_records(person.id, "assessment"))
               if r["data"].get("target") == record["target"] and r["data"].get("dialog_id") != exclude_dialog]
    if earlier:
        prev = earlier[0]
        out["previous"] = {"id": prev["id"], "date": prev["data"].get("date")}
        out["moved"] = compare(prev["data"], items)
    return out


def summary_reply(record: dict[str, Any], record_id: str) -> Reply:
    label = record.get("target_label") or record.get("target")
    blocks = [Block(text=f"Thank you: that's your self-assessment for {label} done. {counts_text(record['counts'])}.")]
    blocks += summary_blocks(record, limit=12)
    sources = sorted({i["source"] for i in record["items"] if i.get("rating")}
                     | {e["source"] for e in record.get("evidence_required") or []}
                     | {r["source"] for r in record.get("routes") or []})
    return Reply(
        title=f"Your self-assessment for {label}",
        blocks=blocks,
        choices=[record_choice("Share with my manager", "share", record_id, style="primary"),
                 record_choice("Download supervision pack", "pack", record_id),
                 record_choice("Done", "done", record_id)],
        sources=sources,
        footer="This is private to you until you choose to share it.",
        status="answered",
        meta={"dialog": "self_assessment", "record_id": record_id, "target": record.get("target"),
              "counts": record.get("counts")},
    )


def rating_label(r: str | None) -> str:
    return RATING_LABELS.get(r, "Not answered")


def summary_blocks(record: dict[str, Any], *, limit: int | None = None) -> list[Block]:
    """Strengths, gaps, what moved, evidence, time in level and development routes, as reply blocks."""
    blocks: list[Block] = []

    def cap(lines: list[str]) -> list[str]:
        if limit is None or len(lines) <= limit:
            return lines
        return lines[:limit] + [f"…and {len(lines) - limit} more (all of them are in the supervision pack)"]

    strengths = record.get("strengths") or []
    blocks.append(Block(title=f"Strengths ({len(strengths)} met)",
                        bullets=cap(strengths) or ["None rated Met this time, and that's fine: it's a starting "
                                                   "point."]))
    gaps = record.get("gaps") or []
    blocks.append(Block(title=f"Gaps to work on ({len(gaps)})",
                        bullets=cap([f"{rating_label(g['rating'])}: {g['text']}" for g in gaps])
                        or ["No gaps among the criteria you rated."]))
    moved = record.get("moved")
    prev = record.get("previous")
    if moved is not None and prev:
        when = saved_date(prev.get("date"))
        lines = [f"{rating_label(m['from'])} → {rating_label(m['to'])}: {m['text']}" for m in moved["up"]]
        lines += [f"{rating_label(m['from'])} → {rating_label(m['to'])} (moved back): {m['text']}"
                  for m in moved["down"]]
        if not lines:
            lines = ["No ratings changed."]
        b = Block(title="What moved since your last assessment" + (f" on {format_date(when)}" if when else ""),
                  bullets=cap(lines))
        if moved.get("still"):
            b.notes.append(f"Still a gap: {len(moved['still'])}.")
        blocks.append(b)
    ev = record.get("evidence_required") or []
    target = target_code(record)
    b = Block(title=f"Evidence the framework asks for, for {target}")
    if ev:
        b.bullets = cap([(f"{e['group']}: " if e.get("group") else "") + e["text"] for e in ev])
        b.notes = [f"On “{_short(e['text'])}”: {e['note']}" for e in ev if e.get("note")]
        b.notes += record.get("evidence_notes") or []
    else:
        b.text = (f"The framework lists no specific evidence for {target}; the criteria above describe what is "
                  "expected.")
    blocks.append(b)
    if record.get("time_in_level"):
        blocks.append(Block(title="Time in level", text=record["time_in_level"]))
    routes = record.get("routes") or []
    if routes:
        b = Block(title="Ways to develop that the guide describes",
                  text="The guide does not say which suits which gap: choose with your manager in supervision.",
                  bullets=[f"{r['title']}: “{r['text']}”" for r in routes])
        caveat = record.get("routes_caveat")
        if caveat:
            b.notes.append(f"The guide says: “{caveat['text']}”")
        for where in dict.fromkeys(r.get("section") or r["source"] for r in routes):
            b.notes.append(f"Source: {where}.")
        blocks.append(b)
    if record.get("additive_note"):
        blocks.append(Block(notes=[record["additive_note"]]))
    return blocks


def _short(text: str, n: int = 50) -> str:
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0] + "…"


def _and(words: list[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


# A note that says there is no evidence: only words of refusal ("nah not really", "no evidence yet", "I haven't")
_NO_EVIDENCE = re.compile(r"(?=.*\b(?:nah|no|not|nope|none|nothing|haven'?t|havent|don'?t|dont)\b)"
                          r"\s*(?:(?:nah|no|nope|not|really|yet|evidence|any|none|nothing|i|have|haven'?t|havent|"
                          r"don'?t|dont|got|at|all|sorry|afraid|i'?m|note|notes|to|add|for|this|one|it)\b[\s,.!]*)+",
                          re.I)
_NO_IDEA = re.compile(r"(?!.*\bbut\b)\s*(?:no idea|no clue|not a clue|dunno|idk|(?:i\s+)?(?:don'?t|do not) "
                      r"(?:know|understand|get) (?:this|it|what (?:this|it) (?:is|means))|what (?:is|does) (?:this|it) "
                      r"mean)\b", re.I)
# A note that starts with a rating's own name and a separator ("Partly - did one audit"); "No, I'll add it later"
# is a note (a yes or no is not a rating here)
_RATING_LEAD = re.compile(r"\s*(?:met|partly|partially|mostly|not yet|not met|not sure|unsure|n/?a)"
                          r"(?:\s+(?:tbh|really|honestly|to be honest|i think|i guess|i'?d say|probably|so far))?"
                          r"\s*[:\-–—,]", re.I)
# "sure", "ok" at the note step: an acknowledgement, not evidence of anything
_ACKNOWLEDGED = re.compile(r"\s*(?:sure|ok(?:ay)?|k+|fine|cool|right|alright|all right|great|thanks|ta|sound|brill|"
                           r"noted)\s*[.!]*\s*",
                           re.I)


def saved_date(value: Any) -> date | None:
    """A date saved in dialog state (ISO text, perhaps with a time), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
