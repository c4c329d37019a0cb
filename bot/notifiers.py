"""Channel-free notifiers for proactive messages: a log notifier and a console notifier (plain text to a stream)."""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, TextIO

from bot.conversation import Reply

log = logging.getLogger(__name__)


class LogNotifier:
    """Writes each message to the log: for deployments without a chat channel, and for trials."""

    name = "log"

    def __init__(self, *, level: int = logging.INFO) -> None:
        self.level = level

    def can_reach(self, person: Any) -> bool:
        return True

    def send(self, person: Any, reply: Reply) -> None:
        log.log(self.level, "message for %s (%s):\n%s", getattr(person, "display_name", "") or person.id,
                person.id, reply.plain_text())


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
