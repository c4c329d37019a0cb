"""Proactive Slack messages (reminders, manager digests): open the DM, then post, paced within Slack's limits.

Why the synchronous slack_sdk WebClient: the reminder service calls ``send`` from its own worker thread
(the Scheduler, or ``careerbot remind`` with no event loop at all). A sync client needs no running loop,
so the same notifier works in the server and on the command line, and the pacing waits (``time.sleep``)
block only that worker thread, never the aiohttp event loop that acknowledges Slack's requests.

Delivery rules:
- about one message per second per conversation (Slack's chat.postMessage limit);
- HTTP 429: wait for Retry-After, try again with a growing wait; past ``max_wait`` seconds in all, give
  up with ``DeliveryError(retryable=True, retry_after=...)`` so the reminder ledger retries later;
- errors that mean the person cannot be reached (user_not_found, account_inactive, cannot_dm_bot,
  channel_not_found...) raise ``DeliveryError(retryable=False)``: the reminder service marks them
  unreachable on Slack and stops trying;
- anything ambiguous (time-outs, 5xx, network) raises a retryable DeliveryError and is NOT retried here:
  a retry after a post that did land would duplicate it, and the ledger decides about retries.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.channels.slack_render import Message, esc, render_reply
from bot.conversation import DeliveryError, Reply

log = logging.getLogger(__name__)

# Slack error codes meaning this person cannot get a DM from us: stop trying (not retryable).
UNREACHABLE_ERRORS = frozenset({
    "user_not_found", "users_not_found", "user_not_visible", "user_disabled", "account_inactive",
    "cannot_dm_bot", "channel_not_found", "is_archived", "not_in_channel", "user_is_restricted",
    "user_is_bot", "messages_tab_disabled", "invalid_users", "missing_scope_user",
})
# The message itself was refused: retry once with the plain text only.
BAD_MESSAGE_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long", "too_many_attachments",
                                "invalid_arguments"})


REMINDER_KEY = "reminder_key"  # Reply.meta: the ledger key of the reminder this reply is (bot/reminders.py)
METADATA_EVENT = "careerbot_reminder"  # Slack message metadata event_type on every reminder
HISTORY_LOOKBACK = 50  # recent DM messages searched for a reminder's key


def _metadata(key: str) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"key": key}}


class SlackNotifier:
    """Notifier protocol for Slack: name, can_reach(person), send(person, reply)."""

    name = "slack"

    def __init__(self, *, token: str, base_url: str, min_interval: float = 1.0, max_wait: float = 30.0,
                 timeout: int = 10, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])
        self.min_interval = min_interval
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}  # channel -> earliest monotonic time for the next post
        self._dm: OrderedDict[str, str] = OrderedDict()  # user id -> DM channel id
        self._delivered: OrderedDict[str, float] = OrderedDict()  # parts of multi-part messages already sent

    # -- Notifier ---------------------------------------------------------------------------------
    def can_reach(self, person: Any) -> bool:
        unreachable = getattr(person, "unreachable", None) or {}
        return bool(getattr(person, "slack_user_id", None)) and "slack" not in unreachable

    def send(self, person: Any, reply: Reply) -> None:
        user = getattr(person, "slack_user_id", None)
        if not user:
            raise DeliveryError("no Slack user id", retryable=False)
        channel = self.open_dm(user)
        messages = render_reply(reply, owner=user)
        key = reply.meta.get(REMINDER_KEY)
        try:
            self._post_all(channel, messages, metadata=_metadata(key) if key else None)
        except DeliveryError as exc:
            if not exc.retryable and exc.args and "channel_not_found" in str(exc.args[0]):
                self._forget_dm(user)  # a stale cached DM id: the next attempt opens it again
            raise
        for attachment in reply.attachments:
            self._upload(channel, attachment)

    def delivered(self, person: Any, key: str) -> bool | None:
        """Whether the reminder with this ledger key is already in the person's DM (True), is not (False),
        or Slack cannot tell us (None). Every reminder carries its key in the message metadata, so a pass
        that takes over from a process that died mid-send can tell "sent, not recorded" from "never sent"."""
        user = getattr(person, "slack_user_id", None)
        if not user:
            return None
        try:
            channel = self.open_dm(user)
            resp = self._call("conversations.history", lambda: self.client.conversations_history(
                channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True))
        except DeliveryError as exc:
            log.info("could not look for %s in the DM: %s", key, exc)
            return None
        for message in resp.get("messages") or []:
            meta = message.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and (meta.get("event_payload") or {}).get("key") == key:
                return True
        return False

    # -- the Web API calls ---------------------------------------------------------------------------
    def open_dm(self, user: str) -> str:
        with self._lock:
            cached = self._dm.get(user)
        if cached:
            return cached
        resp = self._call("conversations.open", lambda: self.client.conversations_open(users=user))
        channel = (resp.get("channel") or {}).get("id")
        if not channel:
            raise DeliveryError("conversations.open returned no channel", retryable=True)
        with self._lock:
            self._dm[user] = channel
            while len(self._dm) > 10000:
                self._dm.popitem(last=False)
        return channel

    def _forget_dm(self, user: str) -> None:
        with self._lock:
            self._dm.pop(user, None)

    def _post_all(self, channel: str, messages: list[Message], *, metadata: dict[str, Any] | None = None) -> None:
        multi = len(messages) > 1
        for n, msg in enumerate(messages):
            last = n == len(messages) - 1
            key = None
            if multi:  # a retry after a partial failure does not post the parts that went out
                key = hashlib.sha256(f"{channel}|{n}|{len(messages)}|{msg.text}".encode()).hexdigest()
                with self._lock:
                    if key in self._delivered:
                        continue
            self._post(channel, msg, metadata=metadata if last else None)  # on the last part: all of it went
            if key:
                with self._lock:
                    self._delivered[key] = time.time()
                    while len(self._delivered) > 5000:
                        self._delivered.popitem(last=False)

    def _post(self, channel: str, msg: Message, *, metadata: dict[str, Any] | None = None) -> None:
        kwargs: dict[str, Any] = dict(channel=channel, text=msg.text, blocks=msg.blocks, unfurl_links=False,
                                      unfurl_media=False)
        if metadata:
            kwargs["metadata"] = metadata
        try:
            self._call("chat.postMessage", lambda: self.client.chat_postMessage(**kwargs), pace=channel)
        except _BadMessage:
            log.warning("Slack refused the blocks of a message; sending the plain text instead")
            try:
                self._call("chat.postMessage",
                           lambda: self.client.chat_postMessage(channel=channel, text=msg.text or esc("(empty)"),
                                                                **({"metadata": metadata} if metadata else {})),
                           pace=channel)
            except _BadMessage as exc:  # the message, not the person, is the problem: never "unreachable"
                raise DeliveryError(f"chat.postMessage refused the message: {exc}", retryable=True) from exc

    def _upload(self, channel: str, attachment: Any) -> None:
        def upload():
            return self.client.files_upload_v2(channel=channel, filename=attachment.filename,
                                               content=attachment.data, title=attachment.filename)

        try:
            self._call("files.upload", upload, pace=channel)
        except DeliveryError as exc:
            if not exc.retryable:
                raise
            # The message itself went out; a missing file must not make the ledger post it again.
            log.warning("could not upload %s to Slack: %s", attachment.filename, exc)

    def _wait_for_slot(self, channel: str) -> None:
        with self._lock:
            now = self._clock()
            slot = max(self._next_slot.get(channel, now), now)
            self._next_slot[channel] = slot + self.min_interval
            if len(self._next_slot) > 10000:
                for key in [k for k, v in self._next_slot.items() if v < now][:5000]:
                    del self._next_slot[key]
        delay = slot - now
        if delay > 0:
            self._sleep(delay)

    def _call(self, what: str, fn: Callable[[], Any], *, pace: str | None = None) -> Any:
        waited = 0.0
        attempt = 0
        while True:
            if pace:
                self._wait_for_slot(pace)
            try:
                return fn()
            except SlackApiError as exc:
                resp = exc.response
                status = getattr(resp, "status_code", None)
                error = (resp.get("error") if hasattr(resp, "get") else None) or "unknown_error"
                if status == 429 or error == "ratelimited":
                    retry_after = _retry_after(resp)
                    wait = retry_after * (2 ** attempt)  # Retry-After first, then back off
                    attempt += 1
                    if waited + wait > self.max_wait or attempt > 5:
                        raise DeliveryError(f"{what}: rate limited by Slack", retryable=True,
                                            retry_after=max(retry_after, wait)) from exc
                    log.info("%s rate limited; waiting %.1f s", what, wait)
                    self._sleep(wait)
                    waited += wait
                    continue
                if error in UNREACHABLE_ERRORS:
                    raise DeliveryError(f"{what}: {error}", retryable=False) from exc
                if error in BAD_MESSAGE_ERRORS and what == "chat.postMessage":
                    raise _BadMessage(error) from exc
                level = logging.ERROR if error in ("invalid_auth", "not_authed", "token_revoked",
                                                   "missing_scope") else logging.WARNING
                log.log(level, "%s failed: %s", what, error)
                raise DeliveryError(f"{what}: {error}", retryable=True) from exc
            except SlackClientError as exc:
                raise DeliveryError(f"{what}: {exc}", retryable=True) from exc
            except (OSError, TimeoutError) as exc:  # network errors, time-outs (urllib raises OSError subclasses)
                raise DeliveryError(f"{what}: {exc.__class__.__name__}: {exc}", retryable=True) from exc


class _BadMessage(DeliveryError):
    def __init__(self, error: str) -> None:
        super().__init__(error, retryable=False)


def _retry_after(resp: Any) -> float:
    headers = getattr(resp, "headers", None) or {}
    raw = None
    for key in ("Retry-After", "retry-after"):
        if key in headers:
            raw = headers[key]
            break
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    try:
        return max(float(raw), 0.0) if raw is not None else 1.0
    except (TypeError, ValueError):
        return 1.0
