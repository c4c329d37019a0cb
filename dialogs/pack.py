"""The supervision pack: an assessment (or check-in) record as Markdown and as a Word document."""

from __future__ import annotations

import functools
import io
import re
from datetime import date
from typing import Any

from bot.conversation import Attachment, Block, Choice, Reply, clean_text
from bot.knowledge.model import Knowledge
from bot.storage.base import Person, Store
from dialogs.base import completed
from dialogs.checkin import checkin_blocks
from dialogs.self_assessment import (
    CATEGORIES,
    CATEGORY_LABELS,
    GAP_RATINGS,
    counts,
    counts_text,
    development_routes,
    evidence_required,
    rating_label,
    saved_date,
    target_code,
    time_in_level_text,
)
from dialogs.words import format_date

MD_TYPE = "text/markdown"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# -- the content, once, for both formats ---------------------------------------------------------------

def _data(record: dict[str, Any]) -> dict[str, Any]:
    return record.get("data") if isinstance(record.get("data"), dict) else record


def _complete_summary(data: dict[str, Any], person: Person, knowledge: Knowledge) -> dict[str, Any]:
    """A draft record has no summary yet: work out what can be worked out without the store."""
    data = dict(data)
    items = data.get("items") or []
    data.setdefault("counts", counts(items))
    if "strengths" not in data:
        data["strengths"] = [i["text"] for i in items if i.get("rating") == "met"]
    if "gaps" not in data:
        data["gaps"] = [{"text": i["text"], "rating": i["rating"], "category": i.get("category")}
                        for i in items if i.get("rating") in GAP_RATINGS]
    if "evidence_required" not in data and data.get("target"):
        data["evidence_required"], data["evidence_notes"] = evidence_required(knowledge, data["target"])
    if "routes" not in data:
        cats = [c for c in CATEGORIES if any(g.get("category") == c for g in data["gaps"])]
        data["routes"] = development_routes(knowledge, cats)
    if "time_in_level" not in data:
        today = saved_date(data.get("date")) or date.today()
        data["time_in_level"] = time_in_level_text(knowledge, person, today, data.get("target"))
    return data


def _header(record: dict[str, Any], data: dict[str, Any], person: Person) -> list[tuple[str, str]]:
    when = saved_date(data.get("date"))
    rows = [("Name", person.display_name or person.id), ("Date", format_date(when) if when else "not recorded")]
    level = data.get("person_level") or person.level_code
    since = saved_date(data.get("person_level_since")) or (person.level_since if level == person.level_code else None)
    if level:
        rows.append(("Current level", level + (f", since {format_date(since)}" if since else "")))
    if data.get("type") != "checkin":
        rows.append(("Target level", data.get("target_label") or data.get("target") or "not chosen"))
        status = data.get("status", "complete")
        if status != "complete":
            prog = data.get("progress") or {}
            c = data.get("counts") or {}
            answered = sum(c.get(k, 0) for k in ("met", "partly", "not_yet", "not_sure", "na", "skipped"))
            rows.append(("Status", f"{status.capitalize()}, not finished ({answered} of {prog.get('total', '?')} "
                                   "answered)"))
        else:
            rows.append(("Status", "Complete"))
    rows.append(("Shared with manager", "Yes" if record.get("shared") else "No"))
    return rows


def _title(data: dict[str, Any]) -> str:
    if data.get("type") == "checkin":
        return "Supervision check-in note"
    return f"Supervision pack: self-assessment for {data.get('target_label') or data.get('target')}"


def _sources(data: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for group in (data.get("items") or [], data.get("evidence_required") or [], data.get("routes") or []):
        for x in group:
            s = x.get("source")
            if s and s not in found:
                found.append(s)
    return found


# -- Markdown -----------------------------------------------------------------------------------------

def _md_escape(text: Any) -> str:
    return re.sub(r"([\\`*_#|<>\[\]])", r"\\\1", str(text or ""))


def to_markdown(record: dict[str, Any], person: Person, knowledge: Knowledge) -> str:
    data = _data(record)
    if data.get("type") != "checkin":
        data = _complete_summary(data, person, knowledge)
    lines = [f"# {_md_escape(_title(data))}", ""]
    lines += [f"- **{k}:** {_md_escape(v)}" for k, v in _header(record, data, person)]
    lines.append("")
    if data.get("type") == "checkin":
        for b in checkin_blocks(data):
            lines += _md_block(b)
        return "\n".join(lines).rstrip() + "\n"
    lines += ["## Summary", "", _md_escape(counts_text(data["counts"])), ""]
    lines += ["### Strengths", ""]
    lines += [f"- {_md_escape(s)}" for s in data["strengths"]] or ["- None rated Met this time."]
    lines += ["", "### Gaps to work on", ""]
    lines += [f"- {rating_label(g['rating'])}: {_md_escape(g['text'])}" for g in data["gaps"]] or \
        ["- No gaps among the criteria rated."]
    lines.append("")
    moved, prev = data.get("moved"), data.get("previous")
    if moved is not None and prev:
        when = saved_date(prev.get("date"))
        lines += [f"### What moved since the last assessment{f' on {format_date(when)}' if when else ''}", ""]
        moves = [f"- {rating_label(m['from'])} → {rating_label(m['to'])}: {_md_escape(m['text'])}"
                 for m in moved.get("up", []) + moved.get("down", [])]
        lines += moves or ["- No ratings changed."]
        lines.append("")
    lines += ["## Criteria and ratings", ""]
    if data.get("additive_note"):
        lines += [f"_{_md_escape(data['additive_note'])}_", ""]
    for cat in CATEGORIES:
        items = [i for i in data.get("items") or [] if i.get("category") == cat]
        if not items:
            continue
        lines += [f"### {CATEGORY_LABELS[cat]}", ""]
        for n, it in enumerate(items, 1):
            group = f" ({_md_escape(it['group'])})" if it.get("group") else ""
            lines.append(f"{n}. **{rating_label(it.get('rating'))}**{group}: “{_md_escape(it['text'])}”  ")
            lines.append(f"   Evidence: {_md_escape(it.get('evidence') or '(none given)')}  ")
            if it.get("note"):
                lines.append(f"   Note on the source: {_md_escape(it['note'])}  ")
            lines.append(f"   Source: {_md_escape(it.get('source'))}")
        lines.append("")
    lines += [f"## Evidence the framework asks for, for {_md_escape(target_code(data))}", ""]
    ev = data.get("evidence_required") or []
    for e in ev:
        group = f"{_md_escape(e['group'])}: " if e.get("group") else ""
        lines.append(f"- {group}{_md_escape(e['text'])} ({_md_escape(e['source'])})")
        if e.get("note"):
            lines.append(f"  - Note: {_md_escape(e['note'])}")
    if not ev:
        lines.append("- The framework lists no specific evidence for this level.")
    lines += [f"- Note: {_md_escape(n)}" for n in data.get("evidence_notes") or []]
    lines += ["", "## Time in level", "", _md_escape(data.get("time_in_level") or "Not known."), ""]
    lines += ["## Development routes", "", "The guide's ways to develop; it does not say which suits which gap.", ""]
    routes = data.get("routes") or []
    for r in routes:
        lines.append(f"- **{_md_escape(r['title'])}**: “{_md_escape(r['text'])}” ({_md_escape(r['source'])})")
    if not routes:
        lines.append("- No gaps to suggest routes for.")
    caveat = data.get("routes_caveat")
    if caveat:
        lines += ["", f"_The guide says: “{_md_escape(caveat['text'])}” ({_md_escape(caveat['source'])})_"]
    lines += ["", "## Sources", ""] + [f"- {_md_escape(s)}" for s in _sources(data)]
    return "\n".join(lines).rstrip() + "\n"


def _md_block(b: Block) -> list[str]:
    out = [f"## {_md_escape(b.title)}", ""] if b.title else []
    if b.text:
        out += [_md_escape(b.text), ""]
    out += [f"- {_md_escape(x)}" for x in b.bullets]
    if b.bullets:
        out.append("")
    out += [f"_{_md_escape(n)}_" for n in b.notes]
    if b.notes:
        out.append("")
    return out


# -- Word -----------------------------------------------------------------------------------------------

def to_docx(record: dict[str, Any], person: Person, knowledge: Knowledge) -> bytes:
    from dataclasses import replace

    from docx import Document
    from docx.shared import Pt

    # a Word document cannot hold control characters; records kept before text was cleaned on the way in may
    record = _cleaned(record)
    if person.display_name and not person.display_name.isprintable():
        person = replace(person, display_name=clean_text(person.display_name))
    data = _data(record)
    if data.get("type") != "checkin":
        data = _complete_summary(data, person, knowledge)
    doc = Document()
    doc.core_properties.title = _title(data)
    doc.core_properties.author = "careerbot"
    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)
    doc.add_heading(_title(data), level=0)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Light List"
    for k, v in _header(record, data, person):
        row = table.add_row().cells
        row[0].text, row[1].text = k, str(v)
    if data.get("type") == "checkin":
        for b in checkin_blocks(data):
            _docx_block(doc, b)
        return _save(doc)
    doc.add_heading("Summary", level=1)
    doc.add_paragraph(counts_text(data["counts"]))
    doc.add_heading("Strengths", level=2)
    for s in data["strengths"] or ["None rated Met this time."]:
        doc.add_paragraph(s, style="List Bullet")
    doc.add_heading("Gaps to work on", level=2)
    for g in data["gaps"] or [{"rating": None, "text": "No gaps among the criteria rated."}]:
        doc.add_paragraph((f"{rating_label(g['rating'])}: " if g.get("rating") else "") + g["text"],
                          style="List Bullet")
    moved, prev = data.get("moved"), data.get("previous")
    if moved is not None and prev:
        when = saved_date(prev.get("date"))
        doc.add_heading(f"What moved since the last assessment{f' on {format_date(when)}' if when else ''}", level=2)
        moves = [f"{rating_label(m['from'])} → {rating_label(m['to'])}: {m['text']}"
                 for m in moved.get("up", []) + moved.get("down", [])]
        for m in moves or ["No ratings changed."]:
            doc.add_paragraph(m, style="List Bullet")
    doc.add_heading("Criteria and ratings", level=1)
    if data.get("additive_note"):
        doc.add_paragraph().add_run(data["additive_note"]).italic = True
    for cat in CATEGORIES:
        items = [i for i in data.get("items") or [] if i.get("category") == cat]
        if not items:
            continue
        doc.add_heading(CATEGORY_LABELS[cat], level=2)
        t = doc.add_table(rows=1, cols=3)
        t.style = "Table Grid"
        head = t.rows[0].cells
        head[0].text, head[1].text, head[2].text = "Criterion", "Rating", "Evidence note"
        for it in items:
            cells = t.add_row().cells
            text = it["text"] + (f" ({it['group']})" if it.get("group") else "")
            if it.get("note"):
                text += f"\nNote on the source: {it['note']}"
            cells[0].text = text
            cells[1].text = rating_label(it.get("rating"))
            cells[2].text = it.get("evidence") or ""
    doc.add_heading(f"Evidence the framework asks for, for {target_code(data)}", level=1)
    ev = data.get("evidence_required") or []
    for e in ev:
        p = doc.add_paragraph((f"{e['group']}: " if e.get("group") else "") + e["text"], style="List Bullet")
        p.add_run(f" ({e['source']})").italic = True
        if e.get("note"):
            doc.add_paragraph(f"Note: {e['note']}")
    if not ev:
        doc.add_paragraph("The framework lists no specific evidence for this level.")
    for n in data.get("evidence_notes") or []:
        doc.add_paragraph(f"Note: {n}")
    doc.add_heading("Time in level", level=1)
    for para in (data.get("time_in_level") or "Not known.").split("\n"):
        if para.strip():
            doc.add_paragraph(para.strip().lstrip("• ").strip())
    doc.add_heading("Development routes", level=1)
    if data.get("routes"):
        doc.add_paragraph("The guide's ways to develop; it does not say which suits which gap.")
    routes = data.get("routes") or []
    for r in routes:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(r["title"]).bold = True
        p.add_run(f": “{r['text']}”")
        p.add_run(f" {r['source']}").italic = True
    if not routes:
        doc.add_paragraph("No gaps to suggest routes for.")
    caveat = data.get("routes_caveat")
    if caveat:
        doc.add_paragraph(f"The guide says: “{caveat['text']}” ({caveat['source']})")
    doc.add_heading("Sources", level=1)
    for s in _sources(data):
        doc.add_paragraph(s, style="List Bullet")
    return _save(doc)


def _docx_block(doc: Any, b: Block) -> None:
    if b.title:
        doc.add_heading(b.title, level=1)
    if b.text:
        doc.add_paragraph(b.text)
    for x in b.bullets:
        doc.add_paragraph(x, style="List Bullet")
    for n in b.notes:
        doc.add_paragraph().add_run(n).italic = True


def _save(doc: Any) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# -- delivery -----------------------------------------------------------------------------------------------

def filename(record: dict[str, Any], fmt: str) -> str:
    data = _data(record)
    when = data.get("date") or "undated"
    if data.get("type") == "checkin":
        base = f"checkin-note-{when}"
    else:
        base = f"supervision-pack-{data.get('target') or 'assessment'}-{when}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", base) + (".docx" if fmt == "docx" else ".md")


def render(record: dict[str, Any], person: Person, knowledge: Knowledge, fmt: str) -> tuple[str, bytes]:
    if fmt == "md":
        return filename(record, "md"), to_markdown(record, person, knowledge).encode("utf-8")
    if fmt == "docx":
        return filename(record, "docx"), to_docx(record, person, knowledge)
    raise ValueError(f"unknown format {fmt!r}: use md or docx")


def _cleaned(value: Any) -> Any:
    """A record with every string cleaned of control characters, which a Word document cannot hold."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value


def _source(record: dict[str, Any], owner: Person, fmt: str) -> dict[str, Any]:
    """What Router.file_again needs to make the file again (and to check who may have it)."""
    return {"kind": "record", "record_id": record.get("id"), "person_id": owner.id, "format": fmt}


def _md_plain(text: str) -> str:
    """One line of our own Markdown as plain words: emphasis marks and escapes gone."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text.strip())
    text = re.sub(r"(?<!\\)_(.+?)(?<!\\)_$", r"\1", text) if text.startswith("_") else text
    return re.sub(r"\\([\\`*_#|<>\[\]])", r"\1", text).rstrip()


def markdown_blocks(md: str) -> list[Block]:
    """The pack's Markdown (to_markdown) as neutral blocks, for chat: headings become block titles, list items
    bullets, notes notes. Chat platforms would otherwise show the "#" and "**" as typed."""
    blocks: list[Block] = []
    current = Block()

    def flush() -> None:
        nonlocal current
        if current.bullets or current.text or current.notes:  # a heading with nothing under it is left out
            blocks.append(current)
        current = Block()

    for raw in md.splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        if m := re.match(r"#{1,6} (.*)$", line):
            if line.startswith("# "):
                continue  # the document's title: the reply's own title says it
            flush()
            current.title = _md_plain(m.group(1))
        elif m := re.match(r"\s*- Note: (.*)$", line):
            current.notes.append(_md_plain(m.group(1)))
        elif m := re.match(r"(?:- |\d+\. )(.*)$", line):
            current.bullets.append(_md_plain(m.group(1)))
        elif m := re.match(r"\s*• (.*)$", line):  # a bullet inside a paragraph ("Please note:" and its points)
            current.bullets.append(_md_plain(m.group(1)))
        elif (m := re.match(r"\s{2,}(\S.*)$", line)) and current.bullets:  # a numbered item's Evidence, Source
            current.bullets[-1] += " · " + _md_plain(m.group(1))
        elif line.startswith("_") and line.endswith("_"):
            current.notes.append(_md_plain(line))
        else:
            current.text = f"{current.text}\n{_md_plain(line)}" if current.text else _md_plain(line)
    flush()
    return blocks


def pack_reply(record: dict[str, Any], owner: Person, knowledge: Knowledge, *, owner_view: bool = True) -> Reply:
    """The pack in chat: the Markdown as text, with the .docx and .md files attached."""
    md = to_markdown(record, owner, knowledge)
    docx_name = filename(record, "docx")
    checkin = _data(record).get("type") == "checkin"
    if owner_view:
        from dialogs.privacy import follow_ups

        choices = follow_ups(record, shared=bool(record.get("shared")), pack=False)
        intro = "Here it is as a Word document and as Markdown, ready for supervision or your portfolio."
    else:
        from bot.personal import REPORT_ACTION

        choices = [Choice(f"About {owner.display_name or owner.id}", {"action": REPORT_ACTION, "person_id": owner.id})]
        intro = f"{owner.display_name or owner.id} shared this with you. It stays theirs: please keep it safe."
    return Reply(
        title=("Check-in note" if checkin else "Supervision pack") + ("" if owner_view else
                                                                      f" from {owner.display_name or owner.id}"),
        blocks=[Block(text=intro), *markdown_blocks(md)],
        # The Word file is built when a channel sends it (off the event loop), not during the turn.
        attachments=[Attachment(docx_name, DOCX_TYPE, functools.partial(to_docx, record, owner, knowledge),
                                source=_source(record, owner, "docx")),
                     Attachment(filename(record, "md"), MD_TYPE, md.encode("utf-8"),
                                source=_source(record, owner, "md"))],
        choices=choices,
        meta={"record_id": record.get("id"), "kind": record.get("kind")},
    )


def export_assessment(store: Store, knowledge: Knowledge, person_id: str, *, fmt: str = "md",
                      record_id: str | None = None) -> tuple[str, bytes]:
    """For `careerbot export assessment`: the person's latest finished assessment (or the record named)."""
    if fmt not in ("md", "docx"):
        raise ValueError(f"unknown format {fmt!r}: use md or docx")
    person = store.get_person(person_id)
    if person is None:
        raise LookupError(f"no person {person_id!r}")
    if record_id:
        records = [r for r in store.list_records(person_id) if r["id"] == record_id
                   and r["kind"] in ("assessment", "checkin")]
        if not records:
            raise LookupError(f"{person_id} has no assessment or check-in {record_id!r}")
        record = records[0]
    else:
        records = store.list_records(person_id, "assessment")
        if not records:
            checkins = store.list_records(person_id, "checkin")
            hint = (f"; their latest check-in note is --id {checkins[0]['id']}" if checkins else "")
            raise LookupError(f"{person_id} has no self-assessment yet{hint}")
        record = (completed(records) or records)[0]
    return render(record, person, knowledge, fmt)
