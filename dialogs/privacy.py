"""Privacy: sharing a record with one's manager, what managers may read, export and erasure of one's data."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.conversation import Attachment, Block, Reply
from bot.knowledge.model import Knowledge
from bot.storage.base import Person, Store
from dialogs.base import Answer, Ctx, Flow, NotUnderstood, Out, choice, completed, record_choice, start_choice
from dialogs.checkin import checkin_blocks
from dialogs.self_assessment import counts_text, summary_blocks, target_code
from dialogs.words import format_date, tidy, yes_no

log = logging.getLogger(__name__)

RECORD_KINDS = ("assessment", "checkin")


# -- what a manager may see -------------------------------------------------------------------------------

def shared_records_for_manager(store: Store, manager_id: str, report_id: str) -> list[dict[str, Any]]:
    """The records a report has chosen to share; PermissionError unless report_id reports to manager_id."""
    report = store.get_person(report_id)
    if report is None or not manager_id or report.manager_id != manager_id:
        raise PermissionError(f"{manager_id!r} is not the manager of {report_id!r}")
    return [r for r in store.list_records(report_id) if r["kind"] in RECORD_KINDS and shared_with(r, manager_id)]


def shared_with(record: dict[str, Any], manager_id: str | None) -> bool:
    """Whether the record is shared with this manager: a share is given to a person, so a new manager (the staff
    list changed) sees only what is shared anew. Records shared before careerbot noted with whom count as theirs."""
    return bool(record["shared"]) and (record.get("data") or {}).get("shared_with", manager_id) == manager_id


def _name(p: Person) -> str:
    return p.display_name or p.id


def _what(data: dict[str, Any]) -> str:
    if data.get("type") == "checkin":
        return "supervision check-in note"
    return f"self-assessment for {target_code(data)}"


def manager_reply(record: dict[str, Any], owner: Person) -> Reply:
    """What the manager receives: the summary only, with the pack a button away."""
    data = record["data"]
    when = data.get("date")
    title = f"{_name(owner)} has shared their {_what(data)} with you"
    if data.get("type") == "checkin":
        blocks = checkin_blocks(data)
    else:
        blocks = [Block(text=counts_text(data.get("counts") or {}) + ".")] + summary_blocks(data, limit=8)
    return Reply(
        title=title,
        blocks=blocks,
        choices=[record_choice("Download the pack" if data.get("type") != "checkin" else "Download the note",
                               "pack", record["id"], person_id=owner.id)],
        footer=(f"Completed on {format_date(datetime.fromisoformat(when).date())}. " if when else "")
        + "Shared by them from careerbot; only what they choose to share reaches you.",
        meta={"record_id": record["id"], "owner": owner.id, "kind": record["kind"]},
    )


def share_record(store: Store, person: Person, record: dict[str, Any], *, notify: Callable | None,
                 now: datetime) -> Reply:
    data = record["data"]
    what = _what(data)
    if data.get("status", "complete") != "complete":
        return Reply(title=f"This {what} isn't finished yet.",
                     blocks=[Block(text="Say “resume” to finish it first; then you can share it.")],
                     choices=[start_choice("Start a new self-assessment", "self_assessment")], status="clarify")
    manager = store.get_person(person.manager_id) if person.manager_id else None
    if manager is None:
        return Reply(title="I don't have a manager recorded for you, so nothing has been shared.",
                     blocks=[Block(text="Your record stays private. HR can add reporting lines from the staff list "
                                        "(careerbot roster import); you can also download the pack and bring it "
                                        "yourself.")],
                     choices=follow_ups(record, shared=False)[1:], status="clarify")
    if shared_with(record, manager.id):
        return Reply(title=f"Your {what} is already shared with {_name(manager)}.",
                     choices=follow_ups(record, shared=True))
    # shared before with someone who is no longer their manager: shared now with the current one
    store.update_record(record["id"], shared=True,
                        data=dict(data, shared_with=manager.id, shared_at=now.isoformat()))
    record = dict(record, shared=True)
    sent = None
    if notify is not None:
        try:
            sent = notify(manager, manager_reply(record, person))
        except Exception:  # noqa: BLE001 - sharing stands even if the message could not go
            log.warning("could not notify manager %s of a shared record", manager.id, exc_info=True)
            sent = False
    text = f"I've sent {_name(manager)} the summary. They can't see anything you haven't shared."
    if sent is False or notify is None:
        text = (f"It's shared, but I couldn't send {_name(manager)} a message just now; they'll see it when they "
                "look at their team's shared records.")
    return Reply(title=f"Shared with {_name(manager)}.", blocks=[Block(text=text)],
                 choices=follow_ups(record, shared=True))


def follow_ups(record: dict[str, Any], *, shared: bool, pack: bool = True) -> list:
    """The buttons after any record action: the summary card's own buttons are gone once one is pressed."""
    rid = record["id"]
    noun = "check-in note" if record["kind"] == "checkin" else "supervision pack"
    out = [record_choice("Stop sharing", "unshare", rid) if shared
           else record_choice("Share with my manager", "share", rid, style="primary")]
    if pack:
        out.append(record_choice(f"Download {noun}", "pack", rid))
    out.append(record_choice("Done", "done", rid))
    return out


def _make_private(store: Store, record: dict[str, Any]) -> None:
    data = {k: v for k, v in record["data"].items() if k not in ("shared_with", "shared_at")}
    store.update_record(record["id"], shared=False, data=data)


def unshare_record(store: Store, person: Person, record: dict[str, Any]) -> Reply:
    if record["shared"]:
        _make_private(store, record)
    return Reply(title="Done: it's private again.",
                 blocks=[Block(text="Your manager can no longer open it here. Anything already sent to them in "
                                    "a message stays in that message.")],
                 choices=follow_ups(record, shared=False))


def unshare_all(store: Store, person: Person) -> Reply:
    """"Don't share with my manager", "stop sharing": everything shared becomes private; nothing is shared."""
    shared = [r for r in store.list_records(person.id) if r["shared"] and r["kind"] in RECORD_KINDS]
    for record in shared:
        _make_private(store, record)
    if not shared:
        return Reply(title="Nothing is shared with your manager.",
                     blocks=[Block(text="Your self-assessments and check-ins stay private unless you choose “Share "
                                        "with my manager” on one of them.")])
    what = ", ".join(_what(r["data"]) for r in shared[:3]) + (f" and {len(shared) - 3} more" if len(shared) > 3 else "")
    return Reply(title="Done: nothing is shared with your manager now.",
                 blocks=[Block(text=f"Made private again: your {what}. Your manager can no longer open "
                                    f"{'it' if len(shared) == 1 else 'them'} here; anything already sent to them in "
                                    "a message stays in that message.")])


def latest_record(store: Store, person_id: str, kinds: tuple[str, ...] = RECORD_KINDS) -> dict[str, Any] | None:
    records = [r for r in store.list_records(person_id) if r["kind"] in kinds]
    done = completed(records)
    return done[0] if done else None


def record_action(store: Store, knowledge: Knowledge, person: Person, value: dict[str, Any], *,
                  notify: Callable | None, now: datetime) -> list[Reply]:
    """A press on a record button (share, stop sharing, download the pack, done)."""
    from dialogs.pack import pack_reply

    op = value.get("op")
    rid = value.get("record_id")
    owner_id = value.get("person_id") or person.id
    if not isinstance(op, str) or not isinstance(rid, str) or not isinstance(owner_id, str):
        return [_gone()]
    if owner_id != person.id:
        # Only a manager opening what their report shared.
        try:
            shared = shared_records_for_manager(store, person.id, owner_id)
        except PermissionError:
            return [Reply(title="Sorry, that isn't yours to open.",
                          blocks=[Block(text="Assessments and check-ins are private to the person unless they "
                                             "share them with their own manager.")], status="error")]
        record = next((r for r in shared if r["id"] == rid), None)
        owner = store.get_person(owner_id)
        if record is None or owner is None or op != "pack":
            return [Reply(title="That record is no longer shared with you.", status="clarify")]
        return [pack_reply(record, owner, knowledge, owner_view=False)]
    record = next((r for r in store.list_records(person.id) if r["id"] == rid and r["kind"] in RECORD_KINDS),
                  None)
    if record is None:
        return [_gone()]
    if op == "share":
        return [share_record(store, person, record, notify=notify, now=now)]
    if op == "unshare":
        return [unshare_record(store, person, record)]
    if op == "pack":
        return [pack_reply(record, person, knowledge)]
    if op == "done":
        kind = "check-in" if record["kind"] == "checkin" else "self-assessment"
        return [Reply(title=f"Thank you. Your {kind} is saved, private to you.",
                      blocks=[Block(text="Say “supervision pack” to download it again, or “share with my manager” "
                                         "whenever you're ready.")],
                      choices=[start_choice("Prepare for supervision", "checkin")] if record["kind"] == "assessment"
                      else [start_choice("Start a self-assessment", "self_assessment")])]
    return [_gone()]


def file_again(store: Store, knowledge: Knowledge, person: Person, source: dict[str, Any], *,
               now: datetime) -> Attachment | None:
    """The file an Attachment.source describes, made again for this person, or None when it is not theirs to
    have (the same rules as the buttons: their own records, or what a report shared with them as manager;
    an export is always of the person's own data) or it no longer exists."""
    kind = source.get("kind")
    if kind == "export":
        reply = export_data_reply(store, person, now=now)
    elif kind == "record":
        value = {"op": "pack", "record_id": source.get("record_id"), "person_id": source.get("person_id")}
        reply = record_action(store, knowledge, person, value, notify=None, now=now)[0]
    else:
        return None
    for att in reply.attachments:
        if att.source is not None and att.source.get("format") == source.get("format"):
            return att
    return None


def _gone() -> Reply:
    return Reply(title="I can't find that record any more.",
                 blocks=[Block(text="It may have been deleted. You can start a new one.")],
                 choices=[start_choice("Start a self-assessment", "self_assessment"),
                          start_choice("Prepare for supervision", "checkin")],
                 status="clarify")


# -- export and erasure ------------------------------------------------------------------------------------

def export_data_reply(store: Store, person: Person, *, now: datetime) -> Reply:
    """UK GDPR right of access: everything held about the person, as a JSON file."""
    data = store.export_person(person.id)
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", person.id).strip("-") or "me"
    name = f"careerbot-my-data-{safe}-{now.date().isoformat()}.json"
    records = data.get("records") or []
    bullets = [
        "Your details: name, level and start date, manager, time zone and reminder settings",
        f"Self-assessments and check-ins: {len(records)}",
        f"Conversations in progress: {len(data.get('dialogs') or [])}",
        f"Reminders already sent: {len(data.get('reminders') or [])} (the ones still to come are worked out "
        "from your level, your check-in and your reminder settings, which are in your details)",
    ]
    return Reply(title="Here is a copy of everything careerbot holds about you.",
                 blocks=[Block(text="It's a JSON file you can keep or pass on (your right of access under UK "
                                    "GDPR).", bullets=bullets)],
                 attachments=[Attachment(name, "application/json", body,
                                         source={"kind": "export", "format": "json"})],
                 choices=[start_choice("Start a self-assessment", "self_assessment"),
                          start_choice("Prepare for supervision", "checkin")],
                 meta={"export": True})


class DeleteData(Flow):
    """Erasure, after an explicit yes."""

    name = "delete_data"
    noun = "request to delete your data"
    can_pause = False

    def begin(self, ctx: Ctx, state: dict[str, Any], args: dict[str, Any]) -> Out:
        state["data"] = {}
        return Out()

    def question(self, ctx: Ctx, state: dict[str, Any]) -> Reply:
        return Reply(
            title="Delete everything careerbot holds about you?",
            blocks=[Block(text="This permanently deletes your details (level, start date, manager, reminder "
                               "settings), your self-assessments and check-ins, shared ones included, your "
                               "reminders and any conversation in progress. It can't be undone.",
                          notes=["If you'd like a copy first, choose “Export my data first”."])],
            choices=[choice(state, "Yes, delete everything", "yes", "danger"),
                     choice(state, "Export my data first", "export"),
                     choice(state, "No, keep my data", "no")],
            status="dialog", meta={"dialog": self.name, "dialog_id": state["id"], "step": state["step"]})

    def help_text(self, ctx: Ctx, state: dict[str, Any]) -> str:
        return "Say “yes” to delete everything for good, or “no” to keep your data."

    def answer(self, ctx: Ctx, state: dict[str, Any], ans: Answer) -> Out:
        said = ans.value if ans.value in ("yes", "no", "export") else None
        if said is None:
            t = tidy(ans.text)
            if t in ("delete", "delete it", "delete everything", "delete my data", "yes delete", "yes delete it",
                     "yes, delete everything", "yes delete everything", "erase", "erase everything"):
                said = "yes"
            elif re.fullmatch(r"(?:export|download)(?: (?:my )?(?:data|it))?(?: first)?", t):
                said = "export"
            else:
                said = yes_no(t, strict=True)
        if said == "export":  # the file, then the delete question again (not the export's own suggestions)
            reply = export_data_reply(ctx.store, ctx.person, now=ctx.now)
            reply.choices = []
            return Out(replies=[reply])
        if said is None:
            raise NotUnderstood("To delete everything, choose “Yes, delete everything” or type “yes”. To keep "
                                "your data, say “no”.")
        state["done"] = True
        if said == "no":
            return Out(replies=[Reply(title="OK, nothing has been deleted.",
                                      choices=[start_choice("Start a self-assessment", "self_assessment")])])
        ctx.store.delete_person(ctx.person.id)
        state["deleted"] = True
        log.info("person %s asked for erasure; done", ctx.person.id)
        return Out(replies=[Reply(
            title="Done: everything careerbot held about you has been deleted.",
            blocks=[Block(text="Your details, assessments, check-ins, reminders and conversations are gone. If you "
                               "message me again, I'll start a fresh, empty record.")],
            replaces_prompt=True)])
