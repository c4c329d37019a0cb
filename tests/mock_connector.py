"""Local stand-ins for Microsoft's services, for the Teams tests and the Teams benchmark.

MockConnector is a Bot Connector on 127.0.0.1 (random port): it records every activity sent, updated or
replied to, every 1:1 conversation created and every token request, and can answer with 429 (Retry-After),
403, 404 ConversationNotFound, 412, 502... on demand.

MockOpenId serves an OpenID metadata document and a JWKS made from an RSA key the test generates itself,
and signs tokens with it, so that the authenticated path is tested with no network.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN_PATH = "/botframework.com/oauth2/v2.0/token"


@dataclass
class Call:
    """One request the mock connector received."""

    method: str
    kind: str  # "send" | "reply" | "update" | "create" | "token"
    conversation_id: str | None
    activity_id: str | None
    body: dict[str, Any]
    authorization: str | None
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    result_id: str | None = None  # the id the connector gave a new activity

    # -- helpers for assertions ------------------------------------------------------------------
    @property
    def card(self) -> dict[str, Any] | None:
        for att in self.body.get("attachments") or []:
            if att.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return att.get("content")
        return None

    @property
    def text(self) -> str:
        """Everything a person would read in the activity: its text and every TextBlock of its card."""
        parts = [self.body.get("text") or ""]
        card = self.card
        if card:
            parts += list(_card_texts(card.get("body") or []))
        return "\n".join(p for p in parts if p)

    @property
    def actions(self) -> list[dict[str, Any]]:
        card = self.card or {}
        found = list(card.get("actions") or [])
        for el in _walk(card.get("body") or []):
            if el.get("type") == "ActionSet":
                found += el.get("actions") or []
        return found


def _walk(elements):
    for el in elements:
        yield el
        for key in ("items", "columns"):
            if isinstance(el.get(key), list):
                yield from _walk(el[key])


def _card_texts(elements):
    for el in _walk(elements):
        if el.get("type") == "TextBlock":
            yield el.get("text", "")
        elif el.get("type") == "FactSet":
            for fact in el.get("facts") or []:
                yield f"{fact.get('title', '')} {fact.get('value', '')}"


@dataclass
class Failure:
    status: int
    retry_after: float | None = None
    code: str | None = None
    kinds: tuple[str, ...] = ("send", "reply", "update", "create")


class MockConnector:
    """A Bot Connector REST API (v3) and a token endpoint, recording what reaches them."""

    def __init__(self, *, record_bodies: bool = True, latency: float = 0.0) -> None:
        self.calls: list[Call] = []
        self.record_bodies = record_bodies
        self.latency = latency
        self.failures: deque[Failure] = deque()
        self.token_requests = 0
        self.token_lifetime = 3600
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._changed: asyncio.Condition | None = None
        self.uploads: list[dict[str, Any]] = []  # {"name", "bytes", "headers", "authorization"}
        self.upload_status = 201

    # -- failure injection ------------------------------------------------------------------------
    def fail_next(self, status: int, *, times: int = 1, retry_after: float | None = None, code: str | None = None,
                  kinds: tuple[str, ...] = ("send", "reply", "update", "create")) -> None:
        """The next `times` matching requests get `status` (with Retry-After and an error code if given)."""
        for _ in range(times):
            self.failures.append(Failure(status, retry_after, code, kinds))

    # -- lifecycle ----------------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post(TOKEN_PATH, self._token)
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._reply)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_put("/onedrive/upload/{name}", self._upload)  # stands in for a OneDrive upload session
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._changed = asyncio.Condition()
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    # -- queries ------------------------------------------------------------------------------------
    def activities(self, *, conversation_id: str | None = None) -> list[Call]:
        """Activities that reached the connector successfully (sends, replies, updates), oldest first."""
        return [c for c in self.calls if c.kind in ("send", "reply", "update") and c.status < 300
                and (conversation_id is None or c.conversation_id == conversation_id)]

    def posted(self, *, conversation_id: str | None = None) -> list[Call]:
        return [c for c in self.activities(conversation_id=conversation_id) if c.kind in ("send", "reply")]

    def updates(self, *, conversation_id: str | None = None) -> list[Call]:
        return [c for c in self.activities(conversation_id=conversation_id) if c.kind == "update"]

    async def wait_for(self, predicate, *, timeout: float = 5.0) -> None:
        """Wait until predicate(self) is true (for sends made in the background)."""
        assert self._changed is not None
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"mock connector: condition not met in {timeout}s; calls: {self.calls!r}")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    pass

    def clear(self) -> None:
        self.calls.clear()

    # -- handlers -------------------------------------------------------------------------------------
    async def _record(self, request: web.Request, kind: str) -> tuple[Call, web.Response | None]:
        if self.latency:
            await asyncio.sleep(self.latency)
        if not self.record_bodies:
            await request.read()
            body: Any = {}
        else:
            try:
                body = await request.json() if request.can_read_body else {}
            except json.JSONDecodeError:
                body = {"_invalid_json": True}
        call = Call(method=request.method, kind=kind, conversation_id=request.match_info.get("cid"),
                    activity_id=request.match_info.get("aid"), body=body,
                    authorization=request.headers.get("Authorization"))
        failure = None
        if self.failures and kind in self.failures[0].kinds:
            failure = self.failures.popleft()
        response = None
        if failure is not None:
            call.status = failure.status
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            error = {"error": {"code": failure.code or _default_code(failure.status), "message": "mock failure"}}
            response = web.json_response(error, status=failure.status, headers=headers)
        self.calls.append(call)
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()
        return call, response

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.token_requests += 1
        call = Call(method="POST", kind="token", conversation_id=None, activity_id=None, body=dict(form),
                    authorization=None)
        self.calls.append(call)
        if form.get("grant_type") != "client_credentials" or not form.get("client_id"):
            return web.json_response({"error": "invalid_request"}, status=400)
        return web.json_response({"token_type": "Bearer", "expires_in": self.token_lifetime,
                                  "access_token": f"mock-token-{self.token_requests}"})

    async def _create(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request, "create")
        if failed is not None:
            return failed
        new_id = f"a:created-{next(self._ids)}"
        call.conversation_id = new_id
        return web.json_response({"id": new_id, "activityId": None, "serviceUrl": self.url}, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        return await self._new_activity(request, "send")

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._new_activity(request, "reply")

    async def _new_activity(self, request: web.Request, kind: str) -> web.Response:
        """A message posted to a conversation (send) or in reply to an activity (reply): its new id."""
        call, failed = await self._record(request, kind)
        if failed is not None:
            return failed
        call.result_id = f"m{next(self._ids)}"
        return web.json_response({"id": call.result_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request, "update")
        return failed or web.json_response({"id": call.activity_id}, status=200)


    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.uploads.append({"name": request.match_info["name"], "bytes": data, "headers": dict(request.headers),
                             "authorization": request.headers.get("Authorization")})
        if self.upload_status >= 300:
            return web.json_response({"error": {"code": "mock"}}, status=self.upload_status)
        return web.json_response({"id": "onedrive-item-1", "name": request.match_info["name"],
                                  "size": len(data)}, status=self.upload_status)

    def upload_info(self, name: str) -> dict[str, Any]:
        """What Teams puts in uploadInfo when the person allows a file (an upload URL in their OneDrive)."""
        return {"name": name, "uploadUrl": f"{self.url}/onedrive/upload/{name}",
                "contentUrl": f"https://contoso-my.sharepoint.com/personal/sam/Documents/Applications/{name}",
                "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C", "fileType": name.rsplit(".", 1)[-1]}


def _default_code(status: int) -> str:
    return {403: "BotNotInConversationRoster", 404: "ConversationNotFound", 429: "Throttled",
            412: "PreconditionFailed", 502: "BadGateway", 503: "ServiceUnavailable"}.get(status, "ServiceError")


# -- OpenID metadata and keys of the test's own ----------------------------------------------------------------

def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class MockOpenId:
    """An OpenID metadata document and JWKS on 127.0.0.1, with an RSA key made here, and a token signer.

    Tokens look like the Bot Framework channel's: issuer https://api.botframework.com, audience the bot's
    app id, a serviceurl claim, and a key endorsed for the "msteams" channel.
    """

    ISSUER = "https://api.botframework.com"

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # never published
        self.kid = "test-key-1"
        self.endorsements = ["msteams", "emulator"]
        self.metadata_requests = 0
        self.jwks_requests = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def metadata_url(self) -> str:
        return self.url + "/v1/.well-known/openidconfiguration"

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metadata(self, request: web.Request) -> web.Response:
        self.metadata_requests += 1
        return web.json_response({
            "issuer": self.ISSUER,
            "authorization_endpoint": "https://invalid.example/",
            "jwks_uri": self.url + "/v1/.well-known/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        })

    async def _keys(self, request: web.Request) -> web.Response:
        self.jwks_requests += 1
        numbers = self.key.public_key().public_numbers()
        return web.json_response({"keys": [{
            "kty": "RSA", "use": "sig", "kid": self.kid, "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e),
            "endorsements": self.endorsements,
        }]})

    def token(self, *, app_id: str, service_url: str, issuer: str | None = None, audience: str | None = None,
              expires_in: int = 3600, not_before: int | None = None, kid: str | None = None,
              signing_key: Any = None, algorithm: str = "RS256", extra: dict[str, Any] | None = None) -> str:
        import jwt

        now = int(time.time())
        claims = {
            "iss": issuer or self.ISSUER,
            "aud": audience or app_id,
            "serviceurl": service_url,
            "nbf": not_before if not_before is not None else now - 10,
            "iat": now - 10,
            "exp": now + expires_in,
        }
        claims.update(extra or {})
        key = signing_key or self.key
        return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid or self.kid})


# -- the real careerbot app, running on 127.0.0.1 ------------------------------------------------------------------

BOT_ID = "28:careerbot-bot-id"
TENANT = "tenant-0001"


def teams_env(tmp_path, **extra: str) -> dict[str, str]:
    """Environment for load_settings(): a SQLite file in tmp_path, no scheduler, no Slack."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/careerbot.db",
        "CAREERBOT_DATA_DIR": str(tmp_path / "data"),
        "CAREERBOT_REMINDERS": "0",
    }
    env.update(extra)
    return env


def build_settings(env: dict[str, str], **overrides: Any):
    """Settings from env; overrides for Teams fields that Settings may not have yet (read with getattr)."""
    from bot.config import load_settings

    settings = load_settings(env)
    for name, value in overrides.items():
        object.__setattr__(settings, name, value)  # frozen dataclass: tests only
    return settings


def build_services_for_tests(settings):
    """bot.app.build_services, without dialogs if the dialogs package is not there yet."""
    from bot.app import build_services

    try:
        return build_services(settings)
    except ImportError:
        return build_services(settings, with_dialogs=False)


class RunningBot:
    """bot.channels.web.make_app(build_services(settings)) served on 127.0.0.1, and a client for it."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.services = None
        self.app = None
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._client = None

    @property
    def teams(self):
        from bot.channels.teams import TEAMS_APP_KEY

        return self.app[TEAMS_APP_KEY]

    async def start(self) -> RunningBot:
        import aiohttp

        from bot.channels.web import make_app

        self.services = build_services_for_tests(self.settings)
        self.app = make_app(self.services)
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/messages"
        self._client = aiohttp.ClientSession()
        return self

    async def post(self, activity: Any = None, *, token: str | None = None, raw: bytes | None = None,
                   content_type: str = "application/json", headers: dict[str, str] | None = None) -> tuple[int, str]:
        hdrs = {"Content-Type": content_type}
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        hdrs.update(headers or {})
        data = raw if raw is not None else json.dumps(activity).encode()
        async with self._client.post(self.url, data=data, headers=hdrs) as resp:  # type: ignore[union-attr]
            return resp.status, await resp.text()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self.services is not None:
            self.services.close()


_activity_ids = itertools.count(1)


def message(service_url: str, text: str = "", *, conversation_id: str = "a:personal-1", user_id: str = "29:user-1",
            aad: str | None = "aad-user-1", name: str = "Sam Jones", activity_id: str | None = None,
            value: dict[str, Any] | None = None, reply_to: str | None = None, timezone: str | None = "Europe/London",
            conversation_type: str = "personal", tenant: str = TENANT, entities: list[dict[str, Any]] | None = None,
            channel_id: str = "msteams") -> dict[str, Any]:
    """A Teams message activity as the Bot Connector posts it."""
    frm: dict[str, Any] = {"id": user_id, "name": name}
    if aad:
        frm["aadObjectId"] = aad
    activity: dict[str, Any] = {
        "type": "message",
        "id": activity_id or f"1{next(_activity_ids):012d}",
        "timestamp": "2025-03-03T10:00:00.000Z",
        "localTimestamp": "2025-03-03T10:00:00.000+00:00",
        "channelId": channel_id,
        "serviceUrl": service_url,
        "from": frm,
        "conversation": {"id": conversation_id, "conversationType": conversation_type, "tenantId": tenant},
        "recipient": {"id": BOT_ID, "name": "careerbot"},
        "textFormat": "plain",
        "locale": "en-GB",
        "text": text,
        "entities": entities if entities is not None else [
            {"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web",
             "timezone": timezone or "Europe/London"}],
        "channelData": {"tenant": {"id": tenant}},
    }
    if timezone:
        activity["localTimezone"] = timezone
    if value is not None:
        activity["value"] = value
        if not text:
            activity.pop("text")
    if reply_to:
        activity["replyToId"] = reply_to
    if conversation_type == "channel":
        activity["channelData"].update({"teamsChannelId": "19:channel@thread.tacv2",
                                        "teamsTeamId": "19:team@thread.tacv2"})
    return activity


def file_consent(service_url: str, consent_card: dict[str, Any], *, action: str = "accept",
                 upload_info: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    """The invoke Teams sends when the person answers a file-consent card (Allow or Decline)."""
    content = consent_card["content"]
    activity = message(service_url, **kw)
    activity.pop("text", None)
    activity.update({"type": "invoke", "name": "fileConsent/invoke", "value": {
        "type": "fileUpload", "action": action,
        "context": content["acceptContext" if action == "accept" else "declineContext"]}})
    if upload_info is not None:
        activity["value"]["uploadInfo"] = upload_info
    return activity


def channel_mention(service_url: str, text: str, *, thread: str = "1700000000000", **kw: Any) -> dict[str, Any]:
    """An @mention of the bot in a team channel's thread."""
    mention_text = "<at>careerbot</at>"
    kw.setdefault("conversation_id", f"19:channel@thread.tacv2;messageid={thread}")
    activity = message(service_url, f"{mention_text} {text}", conversation_type="channel", entities=[
        {"type": "mention", "text": mention_text, "mentioned": {"id": BOT_ID, "name": "careerbot"}},
        {"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Windows", "timezone": "Europe/London"},
    ], **kw)
    activity["conversation"]["isGroup"] = True
    return activity


def press(service_url: str, action: dict[str, Any], card_id: str, **kw: Any) -> dict[str, Any]:
    """A press on an Action.Submit button: a message with the button's data as value, replying to the card."""
    return message(service_url, "", value=dict(action["data"]), reply_to=card_id, **kw)


def install(service_url: str, *, conversation_id: str = "a:personal-1", conversation_type: str = "personal",
            user_id: str = "29:user-1", aad: str = "aad-user-1", activity_id: str | None = None) -> dict[str, Any]:
    """conversationUpdate: the bot was added (personal install, or to a team)."""
    return {
        "type": "conversationUpdate",
        "id": activity_id or f"f:{next(_activity_ids)}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": user_id, "aadObjectId": aad, "name": "Sam Jones"},
        "conversation": {"id": conversation_id, "conversationType": conversation_type, "tenantId": TENANT},
        "recipient": {"id": BOT_ID, "name": "careerbot"},
        "membersAdded": [{"id": BOT_ID}],
        "channelData": {"tenant": {"id": TENANT}, "eventType": "teamMemberAdded"},
        "locale": "en-GB",
    }
