"""The console channel: a chat in the terminal (or piped stdin, one message per line), no account needed."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.conversation import Choice, Incoming, Reply

PROMPT = "you> "


def render(reply: Reply, *, numbered: list[Choice]) -> str:
    """Plain text with numbered options; the numbers can be typed back to press a button."""
    text = reply.plain_text()
    if reply.choices:
        lines = [line for line in text.splitlines() if not line.startswith("Options: ")]
        options = []
        for choice in reply.choices:
            numbered.append(choice)
            options.append(f"  [{len(numbered)}] {choice.label}")
        text = "\n".join(lines).rstrip() + "\n\n" + "\n".join(options) + "\n"
    for attachment in reply.attachments:
        text += f"\n(Attachment: {attachment.filename}, {len(attachment.data)} bytes — use 'careerbot export' " \
                "to save it to a file.)\n"
    return text


class ConsoleChat:
    def __init__(self, router, *, user: str, display_name: str | None = None, out: TextIO | None = None) -> None:
        self.router = router
        self.user = user
        self.display_name = display_name or user
        self.out = out or sys.stdout
        self._choices: list[Choice] = []

    def incoming(self, line: str) -> Incoming:
        text = line.strip()
        value = None
        if text.isdigit() and 1 <= int(text) <= len(self._choices):
            choice = self._choices[int(text) - 1]
            value, text = choice.value, ""
        return Incoming(channel="console", user_id=self.user, conversation_id=f"console:{self.user}", text=text,
                        value=value, display_name=self.display_name)

    def say(self, line: str) -> list[Reply]:
        replies = self.router.handle(self.incoming(line))
        self._print(replies)
        return replies

    def show_where_we_are(self) -> None:
        """Coming back to a conversation in the middle of a dialog: show its question, so the option numbers
        typed next mean what they say (they are only known for what this session has printed)."""
        reply = self.router.where_we_are(self.incoming(""))
        if reply is not None:
            self._print([reply])

    def _print(self, replies: list[Reply]) -> None:
        self._choices = []
        for reply in replies:
            self.out.write("bot> " + render(reply, numbered=self._choices).replace("\n", "\n     ").rstrip() + "\n\n")
        self.out.flush()

    def run(self, stream: TextIO | None = None) -> int:
        stream = stream or sys.stdin
        interactive = stream.isatty()
        if interactive:
            self.out.write("careerbot — ask about the career progression framework. Type 'quit' to leave.\n"
                           "Type the number of an option to choose it.\n\n")
            self.show_where_we_are()
        while True:
            if interactive:
                self.out.write(PROMPT)
                self.out.flush()
            line = stream.readline()
            if not line:
                break
            if line.strip().lower() in {"quit", "exit", "bye"} and interactive:
                break
            if not line.strip():
                continue
            self.say(line)
        return 0
