"""Guided dialogs (self-assessment, supervision check-in, level change, erasure), independent of any chat platform.

Buttons send Incoming.value shapes:
  {"action": "dialog", "dialog_id": ID, "step": N, "answer": A}    an answer to the current question
  {"action": "dialog_record", "op": "share"|"unshare"|"pack"|"done", "record_id": R[, "person_id": OWNER]}
  {"action": "dialog_start", "name": NAME, "args": {...}}             start a dialog from a button
"""

from dialogs.engine import DialogRunner
from dialogs.triggers import detect_start

DIALOG_TRIGGERS = detect_start  # the helper the router uses: detect_start(text) -> (name, args) | None

__all__ = ["DIALOG_TRIGGERS", "DialogRunner", "detect_start"]
