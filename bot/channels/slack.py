"""The Slack channel: careerbot as a slack-bolt AsyncApp on the project's aiohttp server (and Socket Mode).

One endpoint, ``POST /slack/events``, takes events, the ``/career`` slash command and interactivity.

Request path (HTTP mode)::

    aiohttp handler  -- size, body, content type, signature (401), well-formed body (400/413/415)
                     -- retries and replays of an event id already seen: 200 and dropped
    Bolt dispatch    -- the parsed body (not parsed or verified twice), routed to a listener
    listener         -- acks: a /career answer that is ready within ACK_BUDGET goes in the ack itself;
                        everything else acks at once and starts a task
    task             -- the core's Router.handle() (on the event loop with SQLite, in a worker thread with
                        PostgreSQL: see SlackChannel._core), replies rendered as Block Kit and posted with
                        chat.postMessage (DMs, threads) or the response_url (/career)

Bolt runs the listeners before it answers (``process_before_response=True``): they are quick, and Bolt's
other mode polls every 10 ms for the ack. Slow work runs in asyncio tasks that the channel tracks, so a
graceful shutdown can finish it. The same listeners serve Socket Mode (:func:`start_socket_mode`), where
Bolt sends the ack envelope.

De-duplication: Slack's retries (``X-Slack-Retry-Num``) and replays of an event id already seen by this
process are dropped before dispatch; the router's event-id store catches the rest (other replicas,
restarts, Socket Mode retries). Interactions and commands use their trigger_id as the event id.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote_plus

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_notifier import SlackNotifier
from bot.channels.slack_render import (
    ACTION_PREFIX,
    SET_LEVEL_ACTION,
    SET_LEVEL_VIEW,
    Message,
    answered_blocks,
    decode_choice,
    error_message,
    esc,
    home_view,
    render_reply,
    set_level_modal,
    unesc,
)
from bot.conversation import Block, Incoming, Reply
from bot.storage.base import DEFAULT_TIMEZONE

log = logging.getLogger(__name__)

__all__ = ["SlackChannel", "SlackNotifier", "command_text", "start_socket_mode"]

MAX_BODY = 1024 * 1024  # the project's limit for any request body; Slack's payloads are far smaller
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
RESPONSE_URL_USES = 5  # Slack accepts at most five messages per response_url
CORE_THREADS = 1  # threads for the synchronous core (router); see SlackChannel._core
MAX_PENDING_TURNS = 5000  # beyond this many answers waiting for the core, people are asked to try again
AUTH_WAIT = 1.5  # seconds a request may wait for the first auth.test (Slack wants the ack within 3 s)
ACK_BUDGET = 1.5  # seconds a slash command waits for its answer to send it in the ack itself
OPEN_MODAL = object()  # command_text() result: open the set-level modal

ERROR_REPLY = Reply(
    title="Sorry, something went wrong on my side.",
    blocks=[Block(text="Your message has not been lost, but I couldn't answer it just now. "
                       "Please try again in a minute; if it keeps happening, tell your administrator.")],
    status="error",
)
BUSY_REPLY = Reply(
    title="Sorry, I'm very busy just now.",
    blocks=[Block(text="Please ask me again in a minute or two.")],
    status="error",
)
NOT_YOURS = ("These buttons belong to someone else's conversation with me. "
             "Send me a message or use /career to start your own.")
ATTACHMENT_NOTE = "I've sent the document to you in a direct message, so only you can see it."


# -- the /career slash command -------------------------------------------------------------------------------

def command_text(text: str) -> Any:
    """The words after /career as the text the router understands; OPEN_MODAL for the level form.

    /career                            -> help
    /career help                       -> help
    /career assess [SW3B]              -> "assess me" / "self-assessment for SW3B"
    /career checkin | check-in         -> "check-in"
    /career level                      -> the set-level form (OPEN_MODAL)
    /career level SW2B since 2025-03-01 -> "my level is SW2B since 2025-03-01"
    /career level SW2B                 -> "my level is SW2B" (careerbot asks since when)
    /career snooze 2026-01-05          -> "snooze 2026-01-05"
    /career reminders                  -> "my reminders"
    /career <anything else>            -> the question as it is
    """
    t = " ".join((text or "").split())
    low = t.lower()
    if not t or low in ("help", "?", "menu"):
        return "help"
    first, _, rest = t.partition(" ")
    first = first.lower()
    if first in ("assess", "assessment", "self-assessment", "selfassessment"):
        rest = re.sub(r"^(?:me\s+)?(?:for\s+)?", "", rest, flags=re.I).strip()
        return f"self-assessment for {rest}" if rest else "assess me"
    if first in ("checkin", "check-in") or low.startswith("check in"):
        return "check-in"
    if first == "level":
        rest = re.sub(r"^(?:is\s+)?", "", rest, flags=re.I).strip()
        if not rest:
            return OPEN_MODAL
        if re.search(r"\s(?:since|from|as of|starting)\s", f" {rest} ", re.I) or re.fullmatch(
                r"(?:sw|sco)\s*-?\s*\d\s*-?\s*[abc]", rest, re.I):
            return f"my level is {rest}"
        return "my level"
    if first in ("reminders", "reminder") and not rest:
        return "my reminders"
    if first == "snooze":
        return f"snooze {rest}".strip()
    if first == "ask" and rest:
        return rest
    return t


# -- small helpers -------------------------------------------------------------------------------------------

class _Recent:
    """A bounded set of recently seen keys (event ids, answered buttons)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add(self, key: str) -> bool:
        """True when the key is new."""
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return True


@dataclass
class Target:
    """Where replies go: a channel (and thread), or a slash command's response_url."""

    user_id: str
    channel: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None
    is_dm: bool = False


def _reject(status: int, reason: str, request: web.Request) -> web.Response:
    log.warning("slack: refused %s %s from %s: %s (%d)", request.method, request.path, request.remote, reason, status)
    return web.json_response({"ok": False, "error": reason}, status=status)


def _is_dm_channel(channel_id: str | None) -> bool:
    return bool(channel_id) and str(channel_id).startswith("D")


# -- the channel ---------------------------------------------------------------------------------------------

class SlackChannel:
    """careerbot's Slack app. ``mount(app)`` adds POST /slack/events and registers the Slack notifier."""

    def __init__(self, services: Any) -> None:
        settings = services.settings
        if not (settings.slack_bot_token and settings.slack_signing_secret):
            raise ValueError("Slack needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")
        self.services = services
        self.settings = settings
        self.token: str = settings.slack_bot_token
        base_url = settings.slack_api_url
        retry = [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=2)]
        # self.api makes careerbot's own calls; Bolt gets a client without a token (the authorize function
        # below supplies it), so Bolt never reads a token from the environment. Both share one aiohttp
        # session, opened in start().
        self.api = AsyncWebClient(token=self.token, base_url=base_url, timeout=10, retry_handlers=retry,
                                  logger=logging.getLogger("bot.channels.slack.api"))
        bolt_client = AsyncWebClient(base_url=base_url, timeout=10, retry_handlers=list(retry),
                                     logger=logging.getLogger("bot.channels.slack.api"))
        self.verifier = SignatureVerifier(settings.slack_signing_secret)
        self._auth: AuthorizeResult | None = None
        self._auth_task: asyncio.Task | None = None
        self._auth_started = 0.0
        self.app = AsyncApp(
            name="careerbot",
            logger=logging.getLogger("bot.channels.slack.bolt"),
            signing_secret=settings.slack_signing_secret,
            client=bolt_client,
            authorize=self._make_authorize(),
            # Listeners run to completion before Bolt answers the request: they are quick (they ack, or start
            # a task) and a /career answer goes in the ack. (False makes Bolt poll every 10 ms for the ack.)
            process_before_response=True,
            # handle_http checks every signature before Bolt sees the request (and Socket Mode has none);
            # careerbot has no workflow functions whose tokens Bolt would attach.
            request_verification_enabled=False,
            attaching_function_token_enabled=False,
        )
        self.notifier = SlackNotifier(token=self.token, base_url=base_url)
        self.session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task] = set()
        self._executor: ThreadPoolExecutor | None = None
        self._inline = bool(getattr(services.store, "embedded", False))  # see _core
        self._pending = 0  # turns accepted and not yet answered
        self._seen_events = _Recent(20000)
        self._answered = _Recent(20000)
        self._rendered: OrderedDict[str, tuple[list[dict[str, Any]], str]] = OrderedDict()
        self._profiles: dict[str, tuple[str, str | None]] = {}
        self._refs_saved = _Recent(50000)
        self._dms: dict[str, str] = {}
        self._register()

    # -- wiring ------------------------------------------------------------------------------------------
    def mount(self, app: web.Application) -> None:
        app.router.add_post("/slack/events", self.handle_http)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)
        app[SLACK_CHANNEL_KEY] = self
        self.services.notifiers["slack"] = self.notifier
        self.services.__dict__["slack_channel"] = self  # for start_socket_mode(services)

    async def _on_startup(self, app: web.Application) -> None:
        await self.start()

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.close()

    async def start(self) -> None:
        """Open the shared HTTP session and look the bot up (auth.test) in the background."""
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
            self.api.session = self.session
            self.app.client.session = self.session
            self._spawn(self._bot_identity())

    async def close(self, *, timeout: float = 20.0) -> None:
        """Finish the work in flight (bounded), then close the session."""
        await self.drain(timeout=timeout)
        if self._auth_task is not None and not self._auth_task.done():
            self._auth_task.cancel()
        if self.session is not None and not self.session.closed:
            await self.session.close()
        self.session = None
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def drain(self, *, timeout: float = 20.0) -> None:
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            done, still = await asyncio.wait(pending, timeout=timeout)
            if still:
                log.warning("slack: %d replies still in flight at shutdown", len(still))

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- authorisation (single workspace, token from settings) ---------------------------------------------
    def _make_authorize(self):
        async def authorize(enterprise_id=None, team_id=None, user_id=None):
            return await self._bot_identity(team_id=team_id, enterprise_id=enterprise_id)

        return authorize

    async def _bot_identity(self, team_id: str | None = None, enterprise_id: str | None = None) -> AuthorizeResult:
        """The bot's identity from auth.test, asked once in the background. A request waits for it at most
        AUTH_WAIT seconds after the first attempt began; while Slack is unreachable, requests go on with the token
        alone (bot messages are still ignored by their bot_id) and auth.test is tried again 30 s later."""
        if self._auth is not None:
            return self._auth
        loop = asyncio.get_running_loop()
        task = self._auth_task
        if task is None or (task.done() and loop.time() - self._auth_started > 30):
            self._auth_started = loop.time()
            task = self._auth_task = loop.create_task(self._ask_auth_test(team_id, enterprise_id))
        remaining = self._auth_started + AUTH_WAIT - loop.time()
        if not task.done() and remaining > 0:
            await asyncio.wait({task}, timeout=remaining)
        if self._auth is not None:
            return self._auth
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=self.token)

    async def _ask_auth_test(self, team_id: str | None, enterprise_id: str | None) -> None:
        try:
            resp = await asyncio.wait_for(self.api.auth_test(), timeout=10.0)
            self._auth = AuthorizeResult(
                enterprise_id=resp.get("enterprise_id") or enterprise_id, team_id=resp.get("team_id") or team_id,
                bot_token=self.token, bot_id=resp.get("bot_id"), bot_user_id=resp.get("user_id"),
            )
        except Exception as exc:  # Slack unreachable: answer anyway, learn who we are later  # noqa: BLE001
            log.warning("slack: auth.test failed (%r); going on with the token alone", exc)

    @property
    def bot_user_id(self) -> str | None:
        return self._auth.bot_user_id if self._auth else None

    # -- HTTP ------------------------------------------------------------------------------------------------
    async def handle_http(self, request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _reject(413, "request_too_large", request)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _reject(413, "request_too_large", request)
        except (aiohttp.ClientError, asyncio.IncompleteReadError, ValueError):
            return _reject(400, "unreadable_body", request)
        if len(body) > MAX_BODY:
            return _reject(413, "request_too_large", request)
        if not body.strip():
            return _reject(400, "empty_body", request)
        ctype = request.content_type
        if ctype not in (FORM, JSON):
            return _reject(415, "unsupported_content_type", request)
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        if not timestamp or not signature:
            return _reject(401, "missing_signature", request)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _reject(400, "malformed_body: not UTF-8", request)
        try:
            valid = self.verifier.is_valid(body=text, timestamp=timestamp, signature=signature)
        except (ValueError, OverflowError):  # a timestamp that is not a number
            valid = False
        if not valid:  # a forged signature or a stale timestamp (more than 5 minutes off)
            return _reject(401, "invalid_signature", request)
        try:
            payload = _parse_payload(text, ctype)
        except ValueError as exc:
            return _reject(400, f"malformed_body: {exc}", request)

        event_id = payload.get("event_id") if payload.get("type") == "event_callback" else None
        retry = request.headers.get("X-Slack-Retry-Num")
        if event_id:
            if not self._seen_events.add(str(event_id)):
                log.info("slack: event %s already received (retry %s, reason %s): dropped", event_id, retry,
                         request.headers.get("X-Slack-Retry-Reason"))
                return web.Response(status=200, headers={"X-Slack-No-Retry": "1"})
        try:
            bolt_resp = await self.app.async_dispatch(_bolt_request(payload, request))
        except Exception:  # an odd but signed payload must not become a 500 (Slack would retry it)  # noqa: BLE001
            log.exception("slack: could not dispatch a %s request", payload.get("type") or payload.get("command"))
            return web.json_response({"ok": False, "error": "could_not_process"}, status=400)
        if bolt_resp.status == 404:  # nothing listens for it (an event we do not use): acknowledge, ignore
            log.info("slack: nothing handles this %s request; acknowledged", payload.get("type") or "slack")
            return web.Response(status=200)
        if bolt_resp.status >= 500:  # Bolt's middleware choked on a signed but unexpected payload
            log.warning("slack: Bolt could not process a %s request (%d); answered 400",
                        payload.get("type") or payload.get("command"), bolt_resp.status)
            return web.json_response({"ok": False, "error": "could_not_process"}, status=400)
        return await to_aiohttp_response(bolt_resp)

    # -- listeners -------------------------------------------------------------------------------------------
    def _register(self) -> None:
        app = self.app

        # Bolt tries listeners in this order: the most frequent requests first.
        @app.command("/career")
        async def on_command(ack, command):
            answer = await self._command_in_ack(command)
            if answer is not None:  # a JSON object: Bolt sends a str that starts with "{" as application/json
                await ack(answer)
                return
            await ack()
            self._spawn(self._on_command(command))

        @app.action(re.compile("^" + re.escape(ACTION_PREFIX)))
        async def on_action(ack, body):
            await ack()
            self._spawn(self._on_action(body))

        # Events are acknowledged by Bolt before the listener runs; the listeners only start tracked tasks.
        @app.event("message")
        async def on_message(event, body, context):
            self._spawn(self._on_message(event, body, context))

        @app.event("app_mention")
        async def on_mention(event, body, context):
            self._spawn(self._on_mention(event, body, context))

        @app.event("app_home_opened")
        async def on_home(event):
            if event.get("tab", "home") == "home" and event.get("user"):
                self._spawn(self.publish_home(event["user"]))

        @app.shortcut(SET_LEVEL_VIEW)
        async def on_shortcut(ack, body):
            await ack()
            user = (body.get("user") or {}).get("id")
            if user and body.get("trigger_id"):
                self._spawn(self._open_modal(body["trigger_id"], user, origin={"from": "shortcut"}))

        @app.view(SET_LEVEL_VIEW)
        async def on_view(ack, body):
            await self._on_view_submission(ack, body)

        @app.error
        async def on_error(error, body):
            log.error("slack: listener failed: %r", error, exc_info=error)

    def _from_a_person(self, event: dict[str, Any], context: Any) -> bool:
        """Messages from people only: no bots (ourselves included), no edits, joins or other subtypes."""
        if event.get("bot_id") or event.get("bot_profile"):
            return False
        if event.get("subtype") not in (None, "file_share"):
            return False
        user = event.get("user")
        if not user:
            return False
        bot_user = self.bot_user_id or (context.get("bot_user_id") if context else None)
        return user != bot_user

    async def _on_message(self, event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        if event.get("channel_type") != "im" or not self._from_a_person(event, context):
            return
        user, channel = event["user"], event.get("channel")
        if not channel:
            return
        incoming = Incoming(channel="slack", user_id=user, conversation_id=channel, text=unesc(event.get("text", "")),
                            event_id=body.get("event_id"), is_direct=True)
        await self._turn(incoming, Target(user_id=user, channel=channel, thread_ts=event.get("thread_ts"), is_dm=True))

    async def _on_mention(self, event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        if not self._from_a_person(event, context):
            return
        user, channel = event["user"], event.get("channel")
        if not channel:
            return
        bot_user = self.bot_user_id or (context.get("bot_user_id") if context else None)
        raw = event.get("text", "")
        if bot_user:
            raw = re.sub(rf"<@{re.escape(bot_user)}(?:\|[^>]*)?>", " ", raw)
        thread = event.get("thread_ts") or event.get("ts")
        incoming = Incoming(channel="slack", user_id=user, conversation_id=f"{channel}:{thread}",
                            text=" ".join(unesc(raw).split()), event_id=body.get("event_id"), is_direct=False)
        await self._turn(incoming, Target(user_id=user, channel=channel, thread_ts=thread))

    async def _command_in_ack(self, command: dict[str, Any]) -> str | None:
        """Answer a /career command in its acknowledgement when the answer is ready in time.

        Most answers take a few milliseconds: sending them in the ack is one HTTP exchange instead of two
        (no response_url POST), and Slack shows them just the same (ephemeral). A first contact (the
        person's profile is asked of Slack), a modal, a long answer, an attachment or a slow core fall back
        to the usual path: an empty ack, then the answer through the response_url. None means "use it"; else
        the acknowledgement's body ("" for an empty one, or the answer as a JSON object).
        """
        user = command.get("user_id")
        if not user or user not in self._profiles or self._pending >= MAX_PENDING_TURNS:
            return None
        mapped = command_text(unesc(command.get("text", "")))
        if mapped is OPEN_MODAL:
            return None
        name, tz = self._profiles[user]
        channel = command.get("channel_id") or f"command:{user}"
        incoming = Incoming(channel="slack", user_id=user, conversation_id=channel, text=mapped,
                            event_id=f"cmd:{command.get('trigger_id')}" if command.get("trigger_id") else None,
                            is_direct=True, display_name=name, timezone=tz)
        target = Target(user_id=user, channel=command.get("channel_id"), response_url=command.get("response_url"),
                        is_dm=_is_dm_channel(command.get("channel_id")))
        self._pending += 1
        if self._inline:  # the embedded store: the turn takes a fraction of a millisecond, no thread hop
            work = asyncio.get_running_loop().create_future()
            try:
                work.set_result(self._handle_sync(incoming, target))
            except Exception as exc:  # noqa: BLE001 - handled below like a failure in the thread
                work.set_exception(exc)
        else:
            work = asyncio.ensure_future(self._core(self._handle_sync, incoming, target))
        try:
            rendered = work.result() if work.done() else await asyncio.wait_for(asyncio.shield(work), ACK_BUDGET)
        except TimeoutError:
            # Too slow for the ack: the answer follows through the response_url when it is ready.
            self._spawn(self._deliver_later(work, target))
            return ""
        except Exception:  # the core crashed: a polite message, never silence  # noqa: BLE001
            log.exception("slack: the core failed on a command from %s", user)
            self._pending -= 1
            return render_reply(ERROR_REPLY)[0].to_json(response_type="ephemeral")
        self._pending -= 1
        messages = [msg for _reply, msgs in rendered for msg in msgs]
        if len(messages) != 1 or any(reply.attachments for reply, _ in rendered):
            self._spawn(self._deliver(rendered, target))
            return ""
        self._remember_rendered(messages[0])
        return messages[0].to_json(response_type="ephemeral")

    async def _deliver_later(self, work: asyncio.Future, target: Target) -> None:
        try:
            rendered = await work
        except Exception:  # noqa: BLE001
            log.exception("slack: the core failed on a slow command")
            rendered = [(ERROR_REPLY, render_reply(ERROR_REPLY))]
        finally:
            self._pending -= 1
        await self._deliver(rendered, target)

    async def _on_command(self, command: dict[str, Any]) -> None:
        user = command.get("user_id")
        if not user:
            return
        mapped = command_text(unesc(command.get("text", "")))
        if mapped is OPEN_MODAL:
            if command.get("trigger_id"):
                await self._open_modal(command["trigger_id"], user,
                                       origin={"from": "command", "channel": command.get("channel_id")})
            return
        channel = command.get("channel_id") or f"command:{user}"
        incoming = Incoming(channel="slack", user_id=user, conversation_id=channel, text=mapped,
                            event_id=f"cmd:{command.get('trigger_id')}" if command.get("trigger_id") else None,
                            is_direct=True)
        await self._turn(incoming, Target(user_id=user, channel=command.get("channel_id"),
                                          response_url=command.get("response_url"),
                                          is_dm=_is_dm_channel(command.get("channel_id"))))

    async def _on_action(self, body: dict[str, Any]) -> None:
        actions = body.get("actions") or []
        user = (body.get("user") or {}).get("id")
        if not actions or not user:
            return
        action = actions[0]
        action_id = action.get("action_id", "")
        trigger = body.get("trigger_id")
        container = body.get("container") or {}
        in_view = container.get("type") == "view" or ("view" in body and "message" not in body)
        if action_id == SET_LEVEL_ACTION:
            if trigger:
                await self._open_modal(trigger, user, origin={"from": "home" if in_view else "message"})
            return
        value, owner = decode_choice(action.get("value"))
        if value is None:
            log.warning("slack: a button with a value that is not ours (%s) was ignored", action_id)
            return
        response_url = body.get("response_url")
        if owner and owner != user:
            if response_url:
                await self._respond(response_url, error_message(NOT_YOURS), replace=False)
            return
        label = ((action.get("text") or {}).get("text")) or "that"
        label = unesc(label)
        if in_view:
            channel = await self._dm_channel(user)
            if not channel:
                return
            target = Target(user_id=user, channel=channel, is_dm=True)
            conversation = channel
        else:
            channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
            message = body.get("message") or {}
            message_ts = container.get("message_ts") or message.get("ts")
            ephemeral = bool(container.get("is_ephemeral")) or not message
            key = f"{channel}:{message_ts}:{action.get('block_id')}"
            if not self._answered.add(key):
                log.info("slack: a second click on %s was ignored", key)
                return
            await self._mark_answered(body, action, label, ephemeral=ephemeral)
            thread = message.get("thread_ts")
            if ephemeral:
                target = Target(user_id=user, channel=channel, response_url=response_url,
                                is_dm=_is_dm_channel(channel))
                conversation = channel
            elif _is_dm_channel(channel):
                target = Target(user_id=user, channel=channel, thread_ts=thread, is_dm=True)
                conversation = channel
            else:
                target = Target(user_id=user, channel=channel, thread_ts=thread or message_ts)
                conversation = f"{channel}:{thread or message_ts}"
        incoming = Incoming(channel="slack", user_id=user, conversation_id=conversation or f"dm:{user}", text="",
                            value=value, event_id=f"act:{trigger or action.get('action_ts')}",
                            is_direct=target.is_dm or bool(target.response_url))
        await self._turn(incoming, target)

    async def _mark_answered(self, body: dict[str, Any], action: dict[str, Any], label: str, *,
                             ephemeral: bool) -> None:
        """Show the choice made on the prompt and take its buttons away, so it cannot be answered twice."""
        block_id = action.get("block_id")
        message = body.get("message") or {}
        blocks = message.get("blocks")
        text = message.get("text") or ""
        if blocks is None and block_id:
            cached = self._rendered.get(str(block_id))
            if cached:
                blocks, text = cached
        new_blocks = answered_blocks(blocks or [], label, actions_block_id=block_id)
        new_text = text or f"You chose: {esc(label)}"
        try:
            if ephemeral or not message.get("ts"):
                if body.get("response_url"):
                    await self._respond(body["response_url"], Message(text=new_text, blocks=new_blocks),
                                        replace=True)
            else:
                channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
                await self.api.chat_update(channel=channel, ts=message["ts"], text=new_text, blocks=new_blocks)
        except Exception as exc:  # the answer still goes out  # noqa: BLE001
            log.warning("slack: could not update the prompt after a click: %s", exc)

    async def _on_view_submission(self, ack, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        user = (body.get("user") or {}).get("id")
        values = (view.get("state") or {}).get("values") or {}
        level_raw = ((values.get("level") or {}).get("level") or {}).get("value") or ""
        since_raw = ((values.get("since") or {}).get("since") or {}).get("selected_date") or ""
        errors: dict[str, str] = {}
        code = None
        try:
            code = self.services.router.canonical_level(level_raw)
        except ValueError as exc:
            errors["level"] = str(exc)[:1500]
        since = None
        try:
            since = date.fromisoformat(since_raw)
        except ValueError:
            errors["since"] = "Please choose the date you started this level."
        else:
            if since > _today(None):
                errors["since"] = "That date is in the future: please choose the date you started this level."
            elif since.year < 1970:
                errors["since"] = "Please check the year."
        if errors or not user or code is None or since is None:
            await ack(response_action="errors", errors=errors or {"level": "Please try again."})
            return
        await ack()
        try:
            origin = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            origin = {}
        self._spawn(self._after_modal(user, code, since, event_id=f"view:{view.get('id')}:{view.get('hash')}",
                                      origin=origin if isinstance(origin, dict) else {}))

    async def _after_modal(self, user: str, code: str, since: date, *, event_id: str, origin: dict[str, Any]) -> None:
        channel = await self._dm_channel(user)
        if channel:
            incoming = Incoming(channel="slack", user_id=user, conversation_id=channel,
                                text=f"my level is {code} since {since.isoformat()}", event_id=event_id,
                                is_direct=True)
            await self._turn(incoming, Target(user_id=user, channel=channel, is_dm=True), confirm=True)
        await self.publish_home(user)

    # -- the work after the ack ------------------------------------------------------------------------------
    async def _turn(self, incoming: Incoming, target: Target, *, confirm: bool = False) -> None:
        if self._pending >= MAX_PENDING_TURNS:  # a safety valve: the queue must not grow without bound
            log.warning("slack: %d answers waiting; asking %s to try again", self._pending, incoming.user_id)
            await self._deliver([(BUSY_REPLY, render_reply(BUSY_REPLY))], target)
            return
        self._pending += 1
        try:
            await self._turn_now(incoming, target, confirm=confirm)
        finally:
            self._pending -= 1

    async def _turn_now(self, incoming: Incoming, target: Target, *, confirm: bool) -> None:
        if not incoming.display_name or incoming.timezone is None:
            name, tz = await self._profile(incoming.user_id)
            incoming = replace(incoming, display_name=incoming.display_name or name,
                               timezone=incoming.timezone or tz)
        try:
            rendered = await self._core(self._handle_sync, incoming, target)
            if confirm:  # the modal's Save button was the confirmation: answer the "Set your level...?" yes
                yes = _confirmation([reply for reply, _ in rendered])
                if yes is not None:
                    again = replace(incoming, text="", value=yes, event_id=f"{incoming.event_id}:yes")
                    rendered = await self._core(self._handle_sync, again, target)
        except Exception:  # the core crashed: the person gets a polite message, never silence  # noqa: BLE001
            log.exception("slack: the core failed on a message from %s", incoming.user_id)
            rendered = [(ERROR_REPLY, render_reply(ERROR_REPLY))]
        try:
            await self._deliver(rendered, target)
        except Exception:  # noqa: BLE001
            log.exception("slack: could not deliver replies to %s", incoming.user_id)

    async def _core(self, fn, *args):
        """Run sync core work: on the event loop itself when the store is embedded (SQLite: a turn takes a
        fraction of a millisecond, and heavy documents are built later, off the loop), else on the channel's
        own small thread pool (PostgreSQL: a turn waits for the network). Few threads on purpose: the core
        is CPU-bound Python, and every extra thread takes the GIL from the event loop that must ack Slack's
        requests within 3 seconds; queued answers wait instead of slowing every ack."""
        if self._inline:
            return fn(*args)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=CORE_THREADS, thread_name_prefix="slack-core")
        return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(fn, *args))

    def _handle_sync(self, incoming: Incoming, target: Target) -> list[tuple[Reply, list[Message]]]:
        """One turn of the core, and its replies rendered as Block Kit (here, off the event loop)."""
        replies = self.services.router.handle(incoming)
        if target.is_dm and target.channel and not target.response_url and incoming.user_id not in self._refs_saved:
            try:
                store = self.services.store
                person = store.find_person(slack_user_id=incoming.user_id)
                if person is not None:
                    store.save_conversation_ref(person.id, "slack", {"user_id": incoming.user_id,
                                                                     "channel_id": target.channel})
                    self._refs_saved.add(incoming.user_id)
            except Exception:  # a reference is a convenience; the answer matters more  # noqa: BLE001
                log.warning("slack: could not save the conversation reference", exc_info=True)
        return [(reply, render_reply(reply, owner=target.user_id)) for reply in replies]

    async def _deliver(self, rendered: list[tuple[Reply, list[Message]]], target: Target) -> None:
        messages = [(reply, msg) for reply, msgs in rendered for msg in msgs]
        if target.response_url and len(messages) > RESPONSE_URL_USES:
            # Slack takes at most five messages per response_url: keep the start and the end (the buttons).
            log.warning("slack: an answer of %d messages was cut to %d for a slash command", len(messages),
                        RESPONSE_URL_USES)
            messages = messages[:RESPONSE_URL_USES - 1] + messages[-1:]
        for _reply, msg in messages:
            self._remember_rendered(msg)
            if target.response_url:
                await self._respond(target.response_url, msg, replace=False)
            else:
                await self._post(target.channel, msg, thread_ts=target.thread_ts)
        for reply, _ in rendered:
            if reply.attachments:
                await self._send_attachments(reply, target)

    def _remember_rendered(self, msg: Message) -> None:
        for block in reversed(msg.blocks):  # the buttons come last (slack_render puts them there)
            if block.get("type") != "actions":
                break
            if block.get("block_id"):
                self._rendered[block["block_id"]] = (msg.blocks, msg.text)
                while len(self._rendered) > 2000:
                    self._rendered.popitem(last=False)

    async def _post(self, channel: str | None, msg: Message, *, thread_ts: str | None = None) -> None:
        if not channel:
            return
        kwargs: dict[str, Any] = {"channel": channel, "text": msg.text, "unfurl_links": False,
                                  "unfurl_media": False}
        if msg.blocks:
            kwargs["blocks"] = msg.blocks
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        try:
            await self.api.chat_postMessage(**kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error in ("invalid_blocks", "invalid_blocks_format", "msg_too_long") and msg.blocks:
                log.warning("slack: Slack refused the blocks (%s); sending plain text", error)
                kwargs.pop("blocks", None)
                await self.api.chat_postMessage(**kwargs)
            else:
                raise

    async def _respond(self, url: str | None, msg: Message, *, replace: bool) -> None:
        if not url:
            return
        if self.session is None or self.session.closed:
            await self.start()
        payload: dict[str, Any] = {"text": msg.text, "blocks": msg.blocks, "replace_original": replace}
        if not replace:
            payload["response_type"] = "ephemeral"
        assert self.session is not None
        async with self.session.post(url, json=payload) as resp:
            if resp.status >= 300:
                log.warning("slack: response_url answered %d: %s", resp.status, (await resp.text())[:200])

    async def _send_attachments(self, reply: Reply, target: Target) -> None:
        """Documents (supervision packs) go to the person's DM by v2 upload: private even when the dialog
        ran in a channel thread or through an ephemeral slash-command reply."""
        channel = target.channel if target.is_dm and target.channel and not target.response_url else None
        channel = channel or await self._dm_channel(target.user_id)
        if not channel:
            return
        for att in reply.attachments:
            try:
                if not att.ready():  # a Word document: built here, off the event loop
                    await asyncio.to_thread(lambda a=att: a.data)
                await self.api.files_upload_v2(channel=channel, filename=att.filename, content=att.data,
                                               title=att.filename)
            except Exception as exc:  # noqa: BLE001
                log.warning("slack: could not upload %s (%s); sending it as text", att.filename, exc)
                if att.content_type.startswith("text/"):
                    text = att.data.decode("utf-8", "replace")
                    await self._post(channel, Message(text=esc(text[:39000]),
                                                      blocks=[]))
        if channel != target.channel or target.response_url:
            note = Message(text=esc(ATTACHMENT_NOTE), blocks=error_message(ATTACHMENT_NOTE).blocks)
            if target.response_url:
                await self._respond(target.response_url, note, replace=False)
            else:
                await self._post(target.channel, note, thread_ts=target.thread_ts)

    # -- people ----------------------------------------------------------------------------------------------
    async def _profile(self, user: str) -> tuple[str, str | None]:
        """Display name and time zone, asked of Slack (users.info) the first time careerbot meets someone."""
        if user in self._profiles:
            return self._profiles[user]
        try:
            known = await asyncio.to_thread(self.services.store.find_person, slack_user_id=user)
        except Exception:  # noqa: BLE001
            known = None
        if known is not None:
            self._profiles[user] = (known.display_name or "", None)
            return self._profiles[user]
        try:
            resp = await asyncio.wait_for(self.api.users_info(user=user), timeout=2.0)
            info = resp.get("user") or {}
            profile = info.get("profile") or {}
            name = profile.get("display_name") or info.get("real_name") or profile.get("real_name") or ""
            result = (name, info.get("tz"))
        except Exception as exc:  # noqa: BLE001 - a name and a zone are nice to have
            log.info("slack: users.info failed for %s: %s", user, exc)
            return "", None
        if len(self._profiles) > 50000:
            self._profiles.clear()
        self._profiles[user] = result
        return result

    async def _dm_channel(self, user: str) -> str | None:
        if user in self._dms:
            return self._dms[user]
        try:
            resp = await self.api.conversations_open(users=user)
        except Exception as exc:  # noqa: BLE001
            log.warning("slack: could not open a DM with %s: %s", user, exc)
            return None
        channel = (resp.get("channel") or {}).get("id")
        if channel:
            self._dms[user] = channel
        return channel

    # -- App Home and the modal ------------------------------------------------------------------------------
    async def publish_home(self, user: str) -> None:
        try:
            view = await asyncio.to_thread(self.home_view_for, user)
            await self.api.views_publish(user_id=user, view=view)
        except Exception:  # noqa: BLE001
            log.exception("slack: could not publish App Home for %s", user)

    def home_view_for(self, user: str) -> dict[str, Any]:
        """The App Home view for a Slack user (sync: reads the store): the core's summary, rendered."""
        person = self.services.store.find_person(slack_user_id=user)
        return home_view(self.services.router.home_summary(person), owner=user)

    async def _open_modal(self, trigger_id: str, user: str, *, origin: dict[str, Any]) -> None:
        level = since = None
        try:
            person = await asyncio.to_thread(self.services.store.find_person, slack_user_id=user)
            if person is not None:
                level = person.level_code
                since = person.level_since.isoformat() if person.level_since else None
        except Exception:  # noqa: BLE001
            log.warning("slack: could not read the person for the level form", exc_info=True)
        try:
            await self.api.views_open(trigger_id=trigger_id,
                                      view=set_level_modal(level=level, since_iso=since, metadata=origin))
        except Exception as exc:  # noqa: BLE001
            log.warning("slack: could not open the level form: %s", exc)


SLACK_CHANNEL_KEY = web.AppKey("slack_channel", SlackChannel)


def _bolt_request(payload: dict[str, Any], request: web.Request) -> AsyncBoltRequest:
    """The Bolt request for a body this handler has verified and parsed already.

    Bolt takes a parsed body only in its "socket_mode" form, whose one effect is that Bolt does not parse
    the body again or check a signature it has no raw body for (its request-verification middleware skips
    that mode). Both were done above, and done better: Bolt's own parser reads any form body containing
    the word "payload" as an interaction, so ``/career what goes in the payload`` would reach no listener.
    """
    return AsyncBoltRequest(body=payload, query=request.query_string, mode="socket_mode",
                            headers=request.headers)  # type: ignore[arg-type]


def _parse_payload(text: str, ctype: str) -> dict[str, Any]:
    """The request body as a dict; ValueError when it is not a well-formed Slack request."""
    if ctype == JSON:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise ValueError("JSON body is not a Slack event")
        if data["type"] == "event_callback":
            event = data.get("event")
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                raise ValueError("event_callback without an event")
        return data
    fields = _parse_form(text)
    if "payload" in fields:
        data = json.loads(fields["payload"])
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise ValueError("payload is not a Slack interaction")
        return data
    if "command" in fields or "ssl_check" in fields:
        return fields
    raise ValueError("form body is neither a command nor an interaction")


def _parse_form(text: str) -> dict[str, str]:
    """An application/x-www-form-urlencoded body as {name: first value}: what
    ``parse_qs(text, keep_blank_values=True, strict_parsing=True)`` gives, at a third of the cost (most
    fields of a slash command need no decoding). ValueError for a field without '='."""
    fields: dict[str, str] = {}
    if not text:
        return fields
    for pair in text.split("&"):
        name, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"bad form field {pair[:40]!r}")
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if name not in fields:
            fields[name] = unquote_plus(value) if "%" in value or "+" in value else value
    return fields


def _confirmation(replies: list[Reply]) -> dict[str, Any] | None:
    """The "Yes" value of a lone set-level confirmation (dialogs' value shape {"action": "dialog", ...})."""
    if len(replies) != 1 or replies[0].meta.get("dialog") != "set_level":
        return None
    for choice in replies[0].choices:
        if choice.value.get("action") == "dialog" and choice.value.get("answer") == "yes":
            return choice.value
    return None


def _today(person: Any) -> date:
    """Today where the person is (UK time when careerbot does not know)."""
    from zoneinfo import ZoneInfo

    try:
        return datetime.now(ZoneInfo(getattr(person, "timezone", None) or DEFAULT_TIMEZONE)).date()
    except Exception:  # an unknown zone must not cost an answer  # noqa: BLE001
        return datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()


# -- Socket Mode ---------------------------------------------------------------------------------------------

class SocketModeRunner:
    """A running Socket Mode connection; ``await runner.close()`` to stop it."""

    def __init__(self, channel: SlackChannel, handler: Any) -> None:
        self.channel = channel
        self.handler = handler

    async def close(self) -> None:
        try:
            await self.handler.close_async()
        finally:
            await self.channel.drain()


async def start_socket_mode(services: Any, *, channel: SlackChannel | None = None) -> SocketModeRunner:
    """Connect to Slack over Socket Mode (settings.slack_app_token) and return at once.

    Uses the SlackChannel mounted on the web app when there is one (same listeners, same notifier);
    otherwise builds one and registers its notifier. Nothing here verifies signatures: Socket Mode
    traffic arrives over a WebSocket that Slack opened for this app token.
    """
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    settings = services.settings
    if not settings.slack_app_token:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN (an app-level token, xapp-...)")
    channel = channel or services.__dict__.get("slack_channel")
    if channel is None:
        channel = SlackChannel(services)
        services.notifiers["slack"] = channel.notifier
        services.__dict__["slack_channel"] = channel
    await channel.start()
    web_client = AsyncWebClient(base_url=settings.slack_api_url, timeout=10)
    handler = AsyncSocketModeHandler(channel.app, app_token=settings.slack_app_token, web_client=web_client,
                                     logger=logging.getLogger("bot.channels.slack.socket"))
    await handler.connect_async()
    log.info("slack: connected over Socket Mode")
    return SocketModeRunner(channel, handler)
