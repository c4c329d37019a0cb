"""Channel-free notifiers for proactive messages: a log notifier, a console notifier (plain text to a stream)
and a file notifier (one JSON line per message appended to a file, for trials, tests and hand-offs)."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.conversation import DeliveryError, Reply

log = logging.getLogger(__name__)


class LogNotifier:
    """Writes each message to the log: for deployments without a chat channel, and for trials.

    At the notifier's level (INFO) the line names the person by id and the reminder by key only; the
    name and the message text, which are personal data, go to DEBUG (careerbot -v, CAREERBOT_LOG_LEVEL=DEBUG).
    """

    name = "log"

    def __init__(self, *, level: int = logging.INFO) -> None:
        self.level = level

    def can_reach(self, person: Any) -> bool:
        return True

    def send(self, person: Any, reply: Reply) -> None:
        log.log(self.level, "message for %s: %s", person.id, reply.meta.get("reminder_key") or "-")
        log.debug("message for %s (%s):\n%s", getattr(person, "display_name", "") or person.id, person.id,
                  reply.plain_text())


class ConsoleNotifier:
    """Prints each message as plain text, exactly as a terminal user would read it."""

    name = "console"

    def __init__(self, *, stream: TextIO | None = None) -> None:
        self.stream = stream
        self._lock = threading.Lock()  # passes may run in a background thread; keep messages whole

    def can_reach(self, person: Any) -> bool:
        return True

    def send(self, person: Any, reply: Reply) -> None:
        stream = self.stream or sys.stdout
        who = getattr(person, "display_name", "") or person.id
        with self._lock:
            stream.write(f"--- To {who} ---\n{reply.plain_text()}\n")
            stream.flush()


class FileNotifier:
    """Appends each message as one JSON line to a file: {"ts", "person_id", "key", "kind", "text"}.

    Several processes may append to the same file: each line is written whole, under an exclusive lock,
    before send() returns (so a message counts as delivered only once it is in the file). The file holds
    message text, which is personal data: keep it as private as the database.
    """

    name = "file"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def can_reach(self, person: Any) -> bool:
        return True

    def send(self, person: Any, reply: Reply) -> None:
        line = json.dumps({
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "person_id": person.id,
            "key": reply.meta.get("reminder_key"),
            "kind": reply.meta.get("kind"),
            "text": reply.plain_text(),
        }, ensure_ascii=False) + "\n"
        data = line.encode("utf-8")
        try:
            with self._lock:
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":
                        # a writer killed mid-line left a torn line: start on a line of our own
                        data = b"\n" + line.encode("utf-8")
                    written = 0
                    while written < len(data):
                        written += os.write(fd, data[written:])
                finally:
                    os.close(fd)  # closing releases the lock
        except OSError as exc:
            raise DeliveryError(f"cannot write to {self.path.name}: {exc.strerror}") from exc
