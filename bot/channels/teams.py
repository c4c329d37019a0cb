"""The Microsoft Teams channel: POST /api/messages, replies through the Bot Connector, proactive messages.

This is the only module that imports the Bot Framework SDK (botbuilder / botframework-connector), so that a
move to Microsoft's successor SDK touches one place. It uses the SDK's constants (issuers, scopes, metadata
URLs, activity types) but not its adapter: BotFrameworkAdapter deserialises every activity through msrest
(about 0.4 ms each way), and its JWT validation fetches the OpenID keys with blocking `requests` calls on the
event loop. Instead:

* Incoming: activities are read as plain JSON; with MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD set, every
  request's bearer token is validated with PyJWT against the OpenID metadata and keys (fetched with aiohttp,
  cached, refreshed when an unknown key id appears): signature, issuer, audience (the app id), expiry (5
  minutes' leeway, as the SDK), the key's endorsement of the channel and the serviceurl claim against the
  activity's serviceUrl. Any failure is 401. Without credentials the endpoint is open, for the Bot Framework
  Emulator and local use, and says so at start-up.
* Outgoing: one aiohttp ClientSession (made on start-up, closed on clean-up) for every call to the Bot
  Connector REST API, and one bearer token (client credentials, fetched with that session rather than with
  MicrosoftAppCredentials, whose MSAL client makes blocking HTTP calls) cached until shortly before it
  expires. Replies are posted before /api/messages answers, with short bounded retries.
* Turns run the synchronous core (services.router) on a small pool of the channel's own threads, one hop
  per turn; turns of one person in one conversation run one after the other, in arrival order, so that
  nothing is lost or reordered.
* Proactive messages (reminders, digests) come from the reminder thread through TeamsNotifier, which hands
  the send to the web server's event loop (run_coroutine_threadsafe): that way they share the session, the
  token and the rate limiter with everything else, and the loop's pacing sees every send.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import email.utils
import json
import logging
import random
import re
import threading
import time
import uuid
import zoneinfo
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
import jwt
import yarl
from aiohttp import web
from botbuilder.schema import ActivityTypes
from botframework.connector.auth import AuthenticationConstants

from bot.channels import teams_cards as cards
from bot.conversation import MAX_TEXT, Block, DeliveryError, Incoming, Reply

log = logging.getLogger(__name__)

CHANNEL = "teams"
ROUTE = "/api/messages"

DEFAULT_OPENID_METADATA_URL = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
CHANNEL_TOKEN_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
BOTFRAMEWORK_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE + "/.default"
LOGIN_URL_PREFIX = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
TOKEN_PATH = AuthenticationConstants.TO_CHANNEL_FROM_BOT_TOKEN_ENDPOINT_PATH
DEFAULT_TENANT = AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
ALLOWED_ALGORITHMS = tuple(AuthenticationConstants.ALLOWED_SIGNING_ALGORITHMS)
CLOCK_LEEWAY = 5 * 60  # seconds, as the Bot Framework SDKs allow

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"  # "may I save this to your OneDrive?"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"  # the file, once uploaded
FILE_CONTEXT = "careerbot-file"  # marks our consent cards' contexts
MAX_ACTIVITY_BYTES = 256 * 1024  # Teams activities are a few KB; anything this big is not one
KEYS_TTL = 24 * 3600  # how long OpenID keys are trusted before they are fetched again
KEYS_MIN_REFRESH = 5 * 60  # an unknown key id triggers a fetch at most this often
CARD_CACHE_SIZE = 2000  # cards sent recently, to redraw them without buttons after a press

# Teams' published limits: per bot per conversation 7 messages a second (and 60 in 30 s, 1800 an hour);
# per app per tenant 50 requests a second. Proactive sends stay well inside them.
PROACTIVE_INTERVAL = 1.0  # seconds between proactive messages to one conversation
TENANT_RATE = 40.0  # proactive requests per second per tenant
TENANT_BURST = 10.0
RETRY_STATUSES = {412, 429, 500, 502, 503, 504}
GONE_CODES = {"ConversationNotFound", "BotNotInConversationRoster", "BotDisabledByAdmin", "ConversationBlockedByUser",
              "UserNotFound", "MemberNotFound", "Forbidden"}

SORRY = Reply(title="Sorry, something went wrong on my side.",
              blocks=[Block(text="Please try again in a moment. If it keeps happening, let your HR team know.")],
              status="error")


# ------------------------------------------------------------------------------------------------------------
# errors


class AuthError(Exception):
    """The request's token is missing or not valid: 401."""


class BadActivity(Exception):
    """The request is not an activity careerbot can take: 4xx."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class ConnectorError(Exception):
    """A Bot Connector call failed for good (after any retries)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after

    @property
    def gone(self) -> bool:
        """The bot can no longer write to the conversation: the app was removed or the person blocked it."""
        return self.status in (403, 404) or (self.code in GONE_CODES)


# ------------------------------------------------------------------------------------------------------------
# settings


@dataclass(frozen=True)
class TeamsConfig:
    app_id: str | None
    app_password: str | None
    app_type: str
    tenant_id: str | None
    openid_metadata_url: str
    token_url: str
    proactive_interval: float = PROACTIVE_INTERVAL
    tenant_rate: float = TENANT_RATE
    tenant_burst: float = TENANT_BURST
    # retries of one Bot Connector call: within a turn the person is waiting, so they are short
    turn_attempts: int = 4
    turn_max_wait: float = 8.0
    proactive_attempts: int = 5
    proactive_max_wait: float = 60.0
    request_timeout: float = 15.0
    turn_threads: int = 4
    proxy_url: str | None = None  # an HTTP(S) proxy for every outgoing call, if the network needs one

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id and self.app_password)

    @classmethod
    def from_settings(cls, settings: Any) -> TeamsConfig:
        app_type = (getattr(settings, "microsoft_app_type", None) or "MultiTenant").strip()
        tenant = getattr(settings, "microsoft_app_tenant_id", None)
        authority = tenant if app_type.lower() == "singletenant" and tenant else DEFAULT_TENANT
        token_url = getattr(settings, "teams_token_url", None) or f"{LOGIN_URL_PREFIX}{authority}{TOKEN_PATH}"
        return cls(
            app_id=getattr(settings, "microsoft_app_id", None),
            app_password=getattr(settings, "microsoft_app_password", None),
            app_type=app_type,
            tenant_id=tenant,
            openid_metadata_url=getattr(settings, "teams_openid_metadata_url", None) or DEFAULT_OPENID_METADATA_URL,
            token_url=token_url,
            proactive_interval=float(getattr(settings, "teams_proactive_interval", None) or PROACTIVE_INTERVAL),
            tenant_rate=float(getattr(settings, "teams_tenant_rate", None) or TENANT_RATE),
            turn_threads=max(1, int(getattr(settings, "teams_turn_threads", None) or 4)),
            proxy_url=getattr(settings, "teams_proxy_url", None) or None,
        )


# ------------------------------------------------------------------------------------------------------------
# incoming tokens


@dataclass
class _Key:
    key: Any
    endorsements: list[str]


class TokenValidator:
    """Validates the Bot Framework channel's bearer tokens against the OpenID metadata and its keys."""

    def __init__(self, *, app_id: str, metadata_url: str, session: Callable[[], aiohttp.ClientSession],
                 proxy: str | None = None) -> None:
        self.app_id = app_id
        self.proxy = proxy
        self.metadata_url = metadata_url
        self._session = session
        self._keys: dict[str, _Key] = {}
        self._issuers: list[str] = [CHANNEL_TOKEN_ISSUER]
        self._fetched_at = 0.0
        self._attempted_at = 0.0
        self._lock = asyncio.Lock()
        self._valid: collections.OrderedDict[str, tuple[dict[str, Any], _Key]] = collections.OrderedDict()

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            now = time.monotonic()
            fresh = self._keys and now - self._fetched_at < KEYS_TTL
            if fresh and not force:
                return
            if now - self._attempted_at < KEYS_MIN_REFRESH and self._keys:
                return  # an unknown key id does not make us fetch again and again
            self._attempted_at = now
            session = self._session()
            timeout = aiohttp.ClientTimeout(total=10)
            async with session.get(self.metadata_url, timeout=timeout, proxy=self.proxy) as resp:
                resp.raise_for_status()
                metadata = await resp.json(content_type=None)
            jwks_uri = metadata.get("jwks_uri")
            if not isinstance(jwks_uri, str):
                raise ValueError("OpenID metadata has no jwks_uri")
            async with session.get(jwks_uri, timeout=timeout, proxy=self.proxy) as resp:
                resp.raise_for_status()
                jwks = await resp.json(content_type=None)
            keys: dict[str, _Key] = {}
            for jwk in jwks.get("keys") or []:
                kid = jwk.get("kid")
                if not kid or jwk.get("kty") != "RSA":
                    continue
                try:
                    public = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
                except (ValueError, TypeError, KeyError, jwt.InvalidKeyError):
                    log.warning("Teams: ignoring an OpenID key that cannot be read (kid %s)", kid)
                    continue
                keys[kid] = _Key(public, list(jwk.get("endorsements") or []))
            if not keys:
                raise ValueError("OpenID key set is empty")
            self._keys = keys
            issuer = metadata.get("issuer")
            self._issuers = [CHANNEL_TOKEN_ISSUER] + ([issuer] if isinstance(issuer, str) and issuer
                                                      and issuer != CHANNEL_TOKEN_ISSUER else [])
            self._fetched_at = time.monotonic()
            log.info("Teams: %d OpenID signing keys loaded from %s", len(keys), self.metadata_url)

    async def _key(self, kid: str) -> _Key:
        if kid not in self._keys or time.monotonic() - self._fetched_at > KEYS_TTL:
            try:
                await self._refresh(force=kid not in self._keys)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                if not self._keys:
                    raise KeysUnavailable(str(exc)) from exc
                log.warning("Teams: could not refresh the OpenID keys (%s); using the ones held", exc)
        key = self._keys.get(kid)
        if key is None:
            raise AuthError(f"token signed with an unknown key {kid[:40]!r}")
        return key

    async def validate(self, authorization: str | None) -> tuple[dict[str, Any], _Key]:
        """The token's claims and its key, or AuthError. Checks signature, issuer, audience, lifetime."""
        if not authorization:
            raise AuthError("no Authorization header")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError("Authorization is not a bearer token")
        cached = self._valid.get(token)
        if cached is not None:
            claims, key = cached
            if claims.get("exp", 0) + CLOCK_LEEWAY > time.time() and claims.get("nbf", 0) - CLOCK_LEEWAY <= time.time():
                return cached
            self._valid.pop(token, None)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError(f"unreadable token: {exc}") from exc
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise AuthError(f"token algorithm {str(alg)[:20]!r} not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("token names no key")
        key = await self._key(kid)
        try:
            claims = jwt.decode(token, key.key, algorithms=[alg], audience=self.app_id, issuer=self._issuers,
                                leeway=CLOCK_LEEWAY, options={"require": ["exp", "iss", "aud"]})
        except jwt.PyJWTError as exc:
            raise AuthError(f"token rejected: {exc}") from exc
        self._valid[token] = (claims, key)
        while len(self._valid) > 1024:
            self._valid.popitem(last=False)
        return claims, key

    @staticmethod
    def check_activity(claims: dict[str, Any], key: _Key, activity: dict[str, Any]) -> None:
        """The token must be for this activity's channel and service URL."""
        channel_id = activity.get("channelId") or ""
        if key.endorsements and channel_id not in key.endorsements:
            raise AuthError(f"key not endorsed for channel {str(channel_id)[:40]!r}")
        claimed = claims.get(AuthenticationConstants.SERVICE_URL_CLAIM)
        if not claimed or claimed != activity.get("serviceUrl"):
            raise AuthError("serviceurl claim does not match the activity's serviceUrl")


class KeysUnavailable(Exception):
    """The OpenID keys could not be fetched and none are held: 503, Teams tries again."""


# ------------------------------------------------------------------------------------------------------------
# outgoing tokens


class TokenProvider:
    """A Bot Connector bearer token by client credentials, cached until five minutes before it expires."""

    def __init__(self, config: TeamsConfig, session: Callable[[], aiohttp.ClientSession]) -> None:
        self.config = config
        self._session = session
        self._token: str | None = None
        self._expires = 0.0
        self._lock: asyncio.Lock | None = None

    def invalidate(self) -> None:
        self._token = None
        self._expires = 0.0

    async def header(self) -> dict[str, str]:
        if not self.config.auth_enabled:
            return {}
        token = self._token
        if token is None or time.monotonic() >= self._expires:
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                if self._token is None or time.monotonic() >= self._expires:
                    await self._fetch()
            token = self._token
        return {"Authorization": f"Bearer {token}"}

    async def _fetch(self) -> None:
        form = {"grant_type": "client_credentials", "client_id": self.config.app_id or "",
                "client_secret": self.config.app_password or "", "scope": BOTFRAMEWORK_SCOPE}
        try:
            async with self._session().post(self.config.token_url, data=urlencode(form).encode(),
                                            headers={"Content-Type": "application/x-www-form-urlencoded"},
                                            timeout=aiohttp.ClientTimeout(total=15),
                                            proxy=self.config.proxy_url) as resp:
                body = await resp.json(content_type=None)
                if resp.status != 200 or not isinstance(body, dict) or not body.get("access_token"):
                    error = body.get("error") if isinstance(body, dict) else None
                    raise ConnectorError(f"token request refused ({resp.status} {error or ''})".strip(),
                                         status=resp.status, retryable=resp.status >= 500 or resp.status == 429)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ConnectorError(f"token request failed: {exc}") from exc
        lifetime = float(body.get("expires_in") or 3600)
        self._token = body["access_token"]
        self._expires = time.monotonic() + max(lifetime - 300, lifetime / 2)


# ------------------------------------------------------------------------------------------------------------
# pacing


class RateLimiter:
    """Pacing of proactive sends: one message per interval per conversation, and a rate per tenant (GCRA).

    Thread-safe: the slots are booked under a lock, so sends from any loop or thread share one budget.
    """

    def __init__(self, *, interval: float, tenant_rate: float, tenant_burst: float) -> None:
        self.interval = interval
        self.tenant_step = 1.0 / tenant_rate if tenant_rate > 0 else 0.0
        self.tenant_tolerance = self.tenant_step * max(tenant_burst - 1, 0)
        self._conv: dict[str, float] = {}
        self._tenant: dict[str, float] = {}
        self._lock = threading.Lock()

    def conversation_slot(self, conversation: str, *, now: float | None = None) -> float:
        """Book the conversation's next free moment; the seconds to wait for it."""
        now = time.monotonic() if now is None else now
        with self._lock:
            start = max(now, self._conv.get(conversation, 0.0))
            self._conv[conversation] = start + self.interval
            if len(self._conv) > 50_000:
                self._conv = {k: v for k, v in self._conv.items() if v > now}
        return start - now

    def tenant_slot(self, tenant: str | None, *, now: float | None = None) -> float:
        """Book a send in the tenant's budget (a burst, then tenant_rate a second); the seconds to wait."""
        now = time.monotonic() if now is None else now
        tenant = tenant or "-"
        with self._lock:
            tat = max(self._tenant.get(tenant, 0.0), now)  # theoretical arrival time of the next send
            start = max(now, tat - self.tenant_tolerance)
            self._tenant[tenant] = tat + self.tenant_step
            if len(self._tenant) > 10_000:
                self._tenant = {k: v for k, v in self._tenant.items() if v > now}
        return start - now

    async def pace(self, conversation: str, tenant: str | None) -> None:
        """Wait for the conversation's turn, then for room in the tenant's budget (booked when it is used, so
        that one slow conversation does not hold up the others)."""
        wait = self.conversation_slot(conversation)
        if wait > 0:
            await asyncio.sleep(wait)
        wait = self.tenant_slot(tenant)
        if wait > 0:
            await asyncio.sleep(wait)

    def hold(self, conversation: str, seconds: float) -> None:
        """After a 429: nothing more to this conversation until Retry-After has passed."""
        with self._lock:
            until = time.monotonic() + seconds
            self._conv[conversation] = max(self._conv.get(conversation, 0.0), until)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (it may be a number of seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def backoff(attempt: int, *, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter: attempt 1 waits up to base, then 2x, 4x... up to cap."""
    return random.uniform(0, min(cap, base * (2 ** (attempt - 1))))


# ------------------------------------------------------------------------------------------------------------
# the Bot Connector REST API


@dataclass
class Policy:
    attempts: int
    max_wait: float  # the longest single wait accepted; a longer Retry-After fails the call (retryable)


class BotConnector:
    """The Bot Connector REST API (v3) over one shared session, with retries and a cached bearer token."""

    def __init__(self, config: TeamsConfig, session: Callable[[], aiohttp.ClientSession],
                 limiter: RateLimiter) -> None:
        self.config = config
        self._session = session
        self.tokens = TokenProvider(config, session)
        self.limiter = limiter

    @staticmethod
    def _conversation_url(service_url: str, conversation_id: str) -> str:
        return f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}"

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any], *,
                   reply_to: str | None = None, policy: Policy) -> str | None:
        """Post an activity (as a reply in the thread of reply_to if given); the new activity's id."""
        url = self._conversation_url(service_url, conversation_id) + "/activities"
        if reply_to:
            url += "/" + quote(reply_to, safe="")
        body = await self._call("POST", url, activity, conversation_id=conversation_id, policy=policy)
        return body.get("id") if isinstance(body, dict) else None

    async def update(self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any], *,
                     policy: Policy) -> None:
        url = self._conversation_url(service_url, conversation_id) + "/activities/" + quote(activity_id, safe="")
        await self._call("PUT", url, {**activity, "id": activity_id}, conversation_id=conversation_id,
                         policy=policy)

    async def create_conversation(self, service_url: str, params: dict[str, Any], *, policy: Policy) -> str:
        url = f"{service_url.rstrip('/')}/v3/conversations"
        body = await self._call("POST", url, params, conversation_id=None, policy=policy)
        if not isinstance(body, dict) or not body.get("id"):
            raise ConnectorError("creating a conversation returned no id", retryable=True)
        return str(body["id"])

    async def _call(self, method: str, url: str, payload: dict[str, Any], *, conversation_id: str | None,
                    policy: Policy) -> Any:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        target = yarl.URL(url, encoded=True)  # the path is quoted already; yarl need not parse it again
        attempt = 0
        reauthorised = False
        while True:
            attempt += 1
            headers = await self.tokens.header()
            wait: float | None = None
            try:
                async with self._session().request(method, target, data=data, headers=headers,
                                                   proxy=self.config.proxy_url) as resp:
                    raw = await resp.read()
                    if resp.status < 300:
                        if not raw:
                            return None
                        try:
                            return json.loads(raw)
                        except ValueError:
                            return None
                    code = _error_code(raw)
                    if resp.status == 401 and self.config.auth_enabled and not reauthorised:
                        self.tokens.invalidate()  # the token was revoked or rotated: one more try with a new one
                        reauthorised = True
                        attempt -= 1
                        continue
                    retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
                    error = ConnectorError(f"{method} {urlsplit(url).path} answered {resp.status} {code or ''}".strip(),
                                           status=resp.status, code=code, retryable=resp.status not in (403, 404),
                                           retry_after=retry_after)
                    if resp.status not in RETRY_STATUSES:
                        raise error
                    if resp.status == 429:
                        wait = retry_after if retry_after is not None else backoff(attempt, base=1.0)
                        if conversation_id:
                            self.limiter.hold(conversation_id, wait)
                    else:
                        wait = backoff(attempt)
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = ConnectorError(f"{method} {urlsplit(url).path} failed: {exc.__class__.__name__} {exc}",
                                       retryable=True)
                wait = backoff(attempt)
            if attempt >= policy.attempts or wait > policy.max_wait:
                if error.retry_after is None and error.status == 429:
                    error.retry_after = wait
                raise error
            log.info("Teams: %s; trying again in %.1fs (attempt %d of %d)", error, wait, attempt + 1, policy.attempts)
            await asyncio.sleep(wait)


def _error_code(raw: bytes) -> str | None:
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("code"), str):
            return err["code"][:80]
        if isinstance(body.get("code"), str):
            return body["code"][:80]
    return None


# ------------------------------------------------------------------------------------------------------------
# reading activities

_AT_TAG = re.compile(r"<at[^>]*>(.*?)</at>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


@lru_cache(maxsize=512)
def valid_timezone(name: str | None) -> str | None:
    if not name or not isinstance(name, str) or len(name) > 64:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return name


def activity_timezone(activity: dict[str, Any]) -> str | None:
    tz = valid_timezone(activity.get("localTimezone"))
    if tz:
        return tz
    for entity in activity.get("entities") or []:
        if isinstance(entity, dict) and entity.get("type") == "clientInfo":
            tz = valid_timezone(entity.get("timezone"))
            if tz:
                return tz
    return None


def message_text(activity: dict[str, Any]) -> str:
    """The text of a message without the bot's @mention (and with other mentions as plain names)."""
    text = activity.get("text")
    if not isinstance(text, str):
        return ""
    bot_id = (activity.get("recipient") or {}).get("id")
    for entity in activity.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        mentioned = _obj(entity.get("mentioned"))
        if bot_id and mentioned.get("id") == bot_id and isinstance(entity.get("text"), str) and entity["text"]:
            text = text.replace(entity["text"], " ")
    text = _AT_TAG.sub(lambda m: m.group(1), text)
    if "<" in text and ">" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        import html

        text = html.unescape(text)
    text = text.replace("\u00a0", " ")
    return " ".join(text.split()) if "\n" not in text else "\n".join(" ".join(line.split()) for line in
                                                                       text.strip().splitlines())


def _file_failed(filename: str) -> Reply:
    return Reply(title=f"Sorry, I couldn't save “{filename}” to your OneDrive.",
                 blocks=[Block(text="Please try again in a moment, or ask me for it again.")], status="error")


def _obj(value: Any) -> dict[str, Any]:
    """value if it is a JSON object, else an empty one: for optional parts of an activity."""
    return value if isinstance(value, dict) else {}


def _check_strings(obj: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise BadActivity(f"activity's {where}{key} is not a string")


def tenant_of(activity: dict[str, Any]) -> str | None:
    conv = activity.get("conversation") or {}
    tenant = conv.get("tenantId") or _obj(_obj(activity.get("channelData")).get("tenant")).get("id")
    return tenant if isinstance(tenant, str) and tenant else None


def conversation_reference(activity: dict[str, Any]) -> dict[str, Any]:
    """Where to write to the person later: the SDK's ConversationReference shape (camelCase), plain data."""
    frm = activity.get("from") or {}
    rec = activity.get("recipient") or {}
    conv = activity.get("conversation") or {}
    conversation = {"id": conv.get("id"), "conversationType": conv.get("conversationType") or "personal",
                    "tenantId": tenant_of(activity)}
    if conv.get("isGroup") is not None:
        conversation["isGroup"] = bool(conv.get("isGroup"))
    ref = {
        "activityId": activity.get("id"),
        "user": {"id": frm.get("id"), "name": frm.get("name"), "aadObjectId": frm.get("aadObjectId")},
        "bot": {"id": rec.get("id"), "name": rec.get("name")},
        "conversation": conversation,
        "channelId": activity.get("channelId") or "msteams",
        "locale": activity.get("locale"),
        "serviceUrl": activity.get("serviceUrl"),
    }
    return ref


def _user_id(activity: dict[str, Any]) -> str | None:
    """The Teams user behind an activity, as careerbot records it (the AAD object id when Teams gives one)."""
    frm = activity.get("from") or {}
    user = frm.get("aadObjectId") or frm.get("id")
    return str(user) if user else None


def _is_personal(ref_or_activity: dict[str, Any]) -> bool:
    return ((ref_or_activity.get("conversation") or {}).get("conversationType") or "personal") == "personal"


_STRING_FIELDS = ("id", "replyToId", "channelId", "locale", "name", "action", "localTimezone", "textFormat", "text")
_OBJECT_FIELDS = ("from", "recipient", "channelData")
_LIST_FIELDS = ("entities", "membersAdded", "membersRemoved", "attachments")
_ACCOUNT_STRINGS = ("id", "name", "aadObjectId")
_CONVERSATION_STRINGS = ("id", "conversationType", "tenantId", "name")


def parse_activity(raw: bytes) -> dict[str, Any]:
    """The activity in a request body, or BadActivity saying what is wrong.

    Teams sends well-typed activities; anything else (a string where an object belongs...) is refused here,
    so that the rest of the channel can rely on the shapes."""
    try:
        activity = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadActivity(f"body is not JSON: {exc}") from exc
    if not isinstance(activity, dict):
        raise BadActivity("body is not a JSON object")
    kind = activity.get("type")
    if not isinstance(kind, str) or not kind:
        raise BadActivity("activity has no type")
    service_url = activity.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url:
        raise BadActivity("activity has no serviceUrl")
    try:
        parts = urlsplit(service_url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise BadActivity("activity's serviceUrl is not an http(s) URL")
    conv = activity.get("conversation")
    if not isinstance(conv, dict) or not isinstance(conv.get("id"), str) or not conv["id"]:
        raise BadActivity("activity has no conversation id")
    _check_strings(conv, _CONVERSATION_STRINGS, "conversation's ")
    if conv.get("isGroup") is not None and not isinstance(conv["isGroup"], bool):
        raise BadActivity("activity's conversation.isGroup is not true or false")
    _check_strings(activity, _STRING_FIELDS, "")
    for key in _OBJECT_FIELDS:
        if activity.get(key) is not None and not isinstance(activity[key], dict):
            raise BadActivity(f"activity's {key} is not an object")
    for key in ("from", "recipient"):
        if isinstance(activity.get(key), dict):
            _check_strings(activity[key], _ACCOUNT_STRINGS, f"{key}.")
    for key in _LIST_FIELDS:
        if activity.get(key) is not None and not isinstance(activity[key], list):
            raise BadActivity(f"activity's {key} is not a list")
    if kind in (ActivityTypes.message, ActivityTypes.invoke):
        frm = activity.get("from")
        if not isinstance(frm, dict) or not frm.get("id"):
            raise BadActivity(f"{kind} activity has no sender")
    return activity


# ------------------------------------------------------------------------------------------------------------
# the channel


@dataclass
class _Press:
    """A button press on one of careerbot's cards."""

    card_id: str | None  # the card's activity id (replyToId), to update it
    drawing: str | None  # which drawing of the card (a redrawn card takes presses again)
    label: str
    prompt: str | None
    meant_for: str | None


@dataclass
class _TurnResult:
    replies: list[Reply] = field(default_factory=list)
    duplicate_press: bool = False
    person_id: str | None = None


def _drawing_id() -> str:
    return uuid.uuid4().hex[:12]


class _KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, list[Any]] = {}

    async def run(self, key: str, fn: Callable[[], Awaitable[Any]]) -> Any:
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = [asyncio.Lock(), 0]
        entry[1] += 1
        try:
            async with entry[0]:
                return await fn()
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(key, None)


class TeamsChannel:
    """Microsoft Teams on the Bot Framework: mount() adds POST /api/messages and the "teams" notifier."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self.config = TeamsConfig.from_settings(services.settings)
        self._session: aiohttp.ClientSession | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.started = threading.Event()
        self.limiter = RateLimiter(interval=self.config.proactive_interval, tenant_rate=self.config.tenant_rate,
                                   tenant_burst=self.config.tenant_burst)
        self.connector = BotConnector(self.config, self.session, self.limiter)
        self.validator = (TokenValidator(app_id=self.config.app_id or "", metadata_url=self.config.openid_metadata_url,
                                         session=self.session, proxy=self.config.proxy_url)
                          if self.config.auth_enabled else None)
        self._turn_locks = _KeyedLocks()
        self._inline = bool(getattr(services.store, "embedded", False))  # see _in_worker
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._cards: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self.turn_policy = Policy(attempts=self.config.turn_attempts, max_wait=self.config.turn_max_wait)
        self.proactive_policy = Policy(attempts=self.config.proactive_attempts,
                                       max_wait=self.config.proactive_max_wait)

    # -- wiring ---------------------------------------------------------------------------------------------
    def mount(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, self.handle)
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        app[TEAMS_APP_KEY] = self
        self.services.notifiers["teams"] = TeamsNotifier(self)
        if self.config.auth_enabled:
            log.info("Teams: %s accepts Bot Framework requests for app %s (tokens checked against %s)", ROUTE,
                     self.config.app_id, self.config.openid_metadata_url)
            if self.config.app_type.lower() not in ("multitenant", "singletenant"):
                log.error("Teams: MICROSOFT_APP_TYPE=%s is not supported (use MultiTenant or SingleTenant); "
                          "replies will fail", self.config.app_type)
        else:
            log.warning("Teams: MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD are not set, so %s accepts requests "
                        "WITHOUT authentication. That is for local use with the Bot Framework Emulator only; "
                        "never expose it like this.", ROUTE)

    async def _in_worker(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run the synchronous core: on the event loop itself when the store is embedded (SQLite: a turn takes
        a fraction of a millisecond, less than the hop to a thread; Word documents are built later, in a
        thread), else off the loop on the channel's own few threads (PostgreSQL waits on the network)."""
        if self._inline:
            return fn(*args)
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(self.config.turn_threads,
                                                                   thread_name_prefix="teams-turn")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # Outside the web app's life (a test or script calling in directly) a session is made on first use.
            self._session = self._new_session()
        return self._session

    def _new_session(self) -> aiohttp.ClientSession:
        """The one HTTP client for the Bot Connector, the token endpoint and the OpenID keys: kept-alive
        connections, one timeout for every call, the JSON content type set once."""
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100, limit_per_host=50, keepalive_timeout=30),
            timeout=aiohttp.ClientTimeout(total=self.config.request_timeout),
            cookie_jar=aiohttp.DummyCookieJar(),  # the Bot Connector sets none; filtering cookies costs per call
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "careerbot-teams"},
            # No trust_env: aiohttp would then look up netrc and proxy variables in a worker thread on every
            # request. A proxy, where a council's network needs one, comes from settings (teams_proxy_url).
        )

    async def _on_startup(self, app: web.Application) -> None:
        self.loop = asyncio.get_running_loop()
        self._session = self._new_session()
        self.started.set()

    async def _on_cleanup(self, app: web.Application) -> None:
        self.started.clear()
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, True)  # turns still running finish first
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.loop = None

    # -- the endpoint ---------------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """POST /api/messages. Turns are counted by the router (careerbot_requests_total); refusals are logged."""
        try:
            status, body = await self._handle(request)
        except BadActivity as exc:
            log.warning("Teams: refused a request from %s: %s (%d)", request.remote, exc, exc.status)
            return web.json_response({"error": str(exc)}, status=exc.status)
        except AuthError as exc:
            log.warning("Teams: unauthorised request from %s: %s", request.remote, exc)
            return web.json_response({"error": "unauthorised"}, status=401)
        except KeysUnavailable as exc:
            log.error("Teams: cannot check tokens, the OpenID keys are unavailable: %s", exc)
            return web.json_response({"error": "authentication keys unavailable"}, status=503,
                                     headers={"Retry-After": "5"})
        if body is None:
            return web.Response(status=status)
        return web.json_response(body, status=status)

    async def _handle(self, request: web.Request) -> tuple[int, Any]:
        claims_key = None
        if self.validator is not None:
            # The token first: an unauthenticated caller learns nothing about how its request is read.
            claims_key = await self.validator.validate(request.headers.get("Authorization"))
        ctype = request.content_type
        if ctype != "application/json":
            raise BadActivity(f"content type {ctype!r} is not application/json", status=415)
        if request.content_length is not None and request.content_length > MAX_ACTIVITY_BYTES:
            raise BadActivity(f"body of {request.content_length} bytes is too large", status=413)
        try:
            raw = await request.read()  # bounded by the application's client_max_size
        except web.HTTPRequestEntityTooLarge as exc:
            raise BadActivity("body is too large", status=413) from exc
        except (aiohttp.ClientError, ConnectionError, TimeoutError) as exc:
            raise BadActivity(f"could not read the body: {exc}") from exc
        if len(raw) > MAX_ACTIVITY_BYTES:
            raise BadActivity("body is too large", status=413)
        activity = parse_activity(raw)
        if claims_key is not None:
            self.validator.check_activity(*claims_key, activity)  # type: ignore[union-attr]
        kind = activity["type"]
        if kind == ActivityTypes.message:
            await self._on_message(activity)
            return 200, None
        if kind == ActivityTypes.invoke:
            return await self._on_invoke(activity)
        if kind == ActivityTypes.conversation_update:
            await self._on_conversation_update(activity)
            return 200, None
        if kind == ActivityTypes.installation_update:
            await self._on_installation_update(activity)
            return 200, None
        log.debug("Teams: %s activity ignored", kind)
        return 200, None

    # -- messages and button presses -------------------------------------------------------------------------
    def _incoming(self, activity: dict[str, Any], value: dict[str, Any] | None) -> tuple[Incoming, bool]:
        frm = activity.get("from") or {}
        conv = activity["conversation"]
        text = message_text(activity)
        cut = len(text) > MAX_TEXT
        if cut:
            text = text[:MAX_TEXT]
        incoming = Incoming(
            channel=CHANNEL, user_id=str(_user_id(activity) or frm["id"]), conversation_id=conv["id"], text=text,
            value=value,
            display_name=str(frm.get("name") or ""), event_id=activity.get("id") or None,
            is_direct=_is_personal(activity), timezone=activity_timezone(activity),
        )
        return incoming, cut

    @staticmethod
    def _press(activity: dict[str, Any], raw_value: Any) -> tuple[dict[str, Any] | None, _Press | None]:
        """Split a card submission into the core's value and careerbot's own note about the press."""
        if not isinstance(raw_value, dict):
            return None, None
        value = dict(raw_value)
        meta = value.pop(cards.CHOICE_KEY, None)
        if not isinstance(meta, dict):
            return value, None
        drawing = meta.get("card") if isinstance(meta.get("card"), str) else None
        return value, _Press(card_id=activity.get("replyToId"), drawing=drawing,
                             label=str(meta.get("label") or "")[:200],
                             prompt=meta.get("prompt") if isinstance(meta.get("prompt"), str) else None,
                             meant_for=meta.get("for") if isinstance(meta.get("for"), str) else None)

    async def _on_message(self, activity: dict[str, Any]) -> None:
        value, press = self._press(activity, activity.get("value"))
        await self._turn(activity, value, press)

    async def _on_invoke(self, activity: dict[str, Any]) -> tuple[int, Any]:
        name = activity.get("name")
        if name == "adaptiveCard/action":  # Action.Execute (universal actions): handled like Action.Submit
            action = _obj(_obj(activity.get("value")).get("action"))
            value, press = self._press(activity, action.get("data"))
            await self._turn(activity, value, press)
            return 200, {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                         "value": "Thank you."}
        if name == "fileConsent/invoke":
            await self._on_file_consent(activity)
            return 200, {}
        log.debug("Teams: invoke %r not handled", name)
        return 200, {}

    # -- files: Teams' file-consent flow (personal chats only) ------------------------------------------------
    async def _offer_files(self, activity: dict[str, Any], reply: Reply) -> None:
        """After a reply with files: one consent card per file. The person chooses Allow, Teams gives us an
        upload URL in their OneDrive (fileConsent/invoke), and then the file is made again from its source,
        by whichever replica gets that request, and uploaded (see _on_file_consent)."""
        for att in reply.attachments:
            if att.source is None:
                continue
            try:
                size = len(await asyncio.to_thread(lambda a=att: a.data))  # a Word document: built off the loop
            except Exception:  # noqa: BLE001 - the reply has been sent; the file is a bonus
                log.exception("Teams: could not make %s", att.filename)
                continue
            context = {"kind": FILE_CONTEXT, "source": att.source, "filename": att.filename}
            part = {"type": "message", "attachments": [{
                "contentType": FILE_CONSENT, "name": att.filename,
                "content": {"description": f"{att.filename}, from careerbot. Choose Allow to save it to your "
                                           "OneDrive; only you can see it there.",
                            "sizeInBytes": size, "acceptContext": context, "declineContext": context}}]}
            try:
                await self._send_part(activity, part)
            except ConnectorError as exc:
                log.error("Teams: could not offer %s: %s", att.filename, exc)
                return

    async def _on_file_consent(self, activity: dict[str, Any]) -> None:
        value = _obj(activity.get("value"))
        context = _obj(value.get("context"))
        if context.get("kind") != FILE_CONTEXT or not _is_personal(activity):
            log.info("Teams: a file-consent answer that is not ours was ignored")
            return
        filename = str(context.get("filename") or "the file")[:200]
        if value.get("action") != "accept":
            await self._send_replies(activity, [Reply(
                title=f"No problem: I haven't saved “{filename}”.",
                blocks=[Block(text="Ask me for it again whenever you like.")])])
            return
        info = _obj(value.get("uploadInfo"))
        upload_url = info.get("uploadUrl")
        if not isinstance(upload_url, str) or not self._upload_url_ok(upload_url):
            log.warning("Teams: file consent without a usable upload URL")
            await self._send_replies(activity, [_file_failed(filename)])
            return
        incoming, _ = self._incoming(activity, None)
        att = await self._in_worker(self.services.router.file_again, incoming, context.get("source"))
        if att is None:  # gone, or not theirs (a manager no longer shared with, say)
            await self._send_replies(activity, [Reply(
                title=f"Sorry, “{filename}” is no longer available to you.",
                blocks=[Block(text="Ask me for your supervision pack or your data again to get a fresh copy.")],
                status="clarify")])
            return
        data = await asyncio.to_thread(lambda: att.data)
        try:
            async with self.session().put(upload_url, data=data, proxy=self.config.proxy_url, headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}) as resp:
                if resp.status not in (200, 201):
                    raise ConnectorError(f"the upload answered {resp.status}")
        except (aiohttp.ClientError, TimeoutError, ConnectorError) as exc:
            log.warning("Teams: could not upload %s: %s", att.filename, exc)
            await self._send_replies(activity, [_file_failed(filename)])
            return
        part = {"type": "message", "attachments": [{
            "contentType": FILE_INFO, "contentUrl": info.get("contentUrl"), "name": info.get("name") or att.filename,
            "content": {"uniqueId": info.get("uniqueId"), "fileType": info.get("fileType")}}]}
        try:
            await self._send_part(activity, part)
        except ConnectorError as exc:
            log.error("Teams: the file was saved but the card could not be sent: %s", exc)

    async def _send_part(self, activity: dict[str, Any], part: dict[str, Any]) -> str | None:
        """One message of a turn's answer, in reply to the activity; its new id. ConnectorError if it fails."""
        return await self.connector.send(activity["serviceUrl"], activity["conversation"]["id"],
                                         self._address(activity, part), reply_to=activity.get("id"),
                                         policy=self.turn_policy)

    def _upload_url_ok(self, url: str) -> bool:
        """OneDrive's upload URLs are https. Without Bot Framework authentication (local use with the
        Emulator or the tests) a plain http URL is accepted too."""
        scheme = url.split(":", 1)[0].lower()
        return scheme == "https" or (scheme == "http" and not self.config.auth_enabled)

    async def _turn(self, activity: dict[str, Any], value: dict[str, Any] | None, press: _Press | None) -> None:
        incoming, cut = self._incoming(activity, value)
        if press is not None and press.meant_for and not incoming.is_direct and press.meant_for != incoming.user_id:
            await self._send_replies(activity, [Reply(
                title="Those buttons are for the person I was answering.",
                blocks=[Block(text="Mention me with your own question and I'll answer you.")])])
            return
        ref = conversation_reference(activity)
        card_key = None
        if press is not None and press.card_id:
            card_key = f"{incoming.conversation_id}|{press.card_id}|{press.drawing or ''}|{incoming.user_id}"

        async def run() -> _TurnResult:
            return await self._in_worker(self._turn_sync, incoming, ref, card_key)

        try:
            result = await self._turn_locks.run(incoming.conversation_key, run)
        except Exception:  # a fault in the core: say sorry rather than leave the person waiting  # noqa: BLE001
            log.exception("Teams: the turn for activity %s failed", activity.get("id"))
            result = _TurnResult(replies=[SORRY])
        if result.duplicate_press:
            log.info("Teams: second press on card %s ignored", press.card_id if press else None)
            return
        replies = list(result.replies)
        if cut and replies:
            replies.insert(0, Reply(title=f"Your message was long, so I read only the first {MAX_TEXT:,} "
                                          "characters."))
        if press is not None and press.card_id:
            replies = await self._update_pressed_card(activity, press, incoming, replies)
        await self._send_replies(activity, replies)

    def _turn_sync(self, incoming: Incoming, ref: dict[str, Any], card_key: str | None) -> _TurnResult:
        """One turn in a worker thread: the core's answer, then the person's conversation reference."""
        services = self.services
        if card_key is not None:
            try:
                if not services.store.remember_event("teams-card", card_key):
                    return _TurnResult(duplicate_press=True)
            except Exception:  # the router says sorry if the store is down; the press must not be lost  # noqa: BLE001
                log.warning("Teams: could not record a card press", exc_info=True)
        replies = services.router.handle(incoming)
        person_id = self._remember_person(incoming, ref)
        return _TurnResult(replies=replies, person_id=person_id)

    def _remember_person(self, incoming: Incoming, ref: dict[str, Any]) -> str | None:
        """Save the conversation reference (and the time zone Teams gives) so reminders reach the person."""
        try:
            person = (self.services.store.find_person(teams_user_id=incoming.user_id)
                      or self.services.router.person_for(incoming))
            changed = False
            if incoming.timezone and person.timezone != incoming.timezone:
                person.timezone = incoming.timezone
                changed = True
            if CHANNEL in person.unreachable:
                person.unreachable.pop(CHANNEL, None)  # they wrote to us, so we can write to them
                changed = True
            if not person.teams_user_id:
                person.teams_user_id = incoming.user_id
                changed = True
            if changed:
                self.services.store.upsert_person(person)
            self._save_ref(person.id, ref)
            return person.id
        except Exception:  # a turn is answered even if its reference cannot be kept  # noqa: BLE001
            log.warning("Teams: could not save the conversation reference of %s", incoming.user_id, exc_info=True)
            return None

    def _save_ref(self, person_id: str, ref: dict[str, Any]) -> None:
        """Keep the reference current. A read first: most turns change nothing, and a read takes no write lock."""
        store = self.services.store
        new = dict(ref)
        new.pop("activityId", None)
        old = store.get_conversation_ref(person_id, CHANNEL)
        if old is not None and not _is_personal(new) and _is_personal(old):
            # A mention in a channel does not replace the person's own chat with the bot: reminders go there.
            new = {**old, "serviceUrl": new.get("serviceUrl")}
        if new != old:
            store.save_conversation_ref(person_id, CHANNEL, new)

    # -- sending within a turn --------------------------------------------------------------------------------
    def _address(self, activity: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
        out = dict(part)
        rec = activity.get("recipient") or {}
        frm = activity.get("from") or {}
        out["from"] = {"id": rec.get("id"), "name": rec.get("name")}
        out["recipient"] = {"id": frm.get("id"), "name": frm.get("name")}
        out["conversation"] = {"id": activity["conversation"]["id"]}
        if activity.get("id"):
            out["replyToId"] = activity["id"]
        if activity.get("locale"):
            out["locale"] = activity["locale"]
        return out

    def _for_user(self, activity: dict[str, Any]) -> str | None:
        if _is_personal(activity):
            return None
        frm = activity.get("from") or {}
        return frm.get("aadObjectId") or frm.get("id")

    async def _send_replies(self, activity: dict[str, Any], replies: list[Reply]) -> None:
        for_user = self._for_user(activity)
        for reply in replies:
            for part in cards.render_reply(reply, for_user=for_user, card_id=_drawing_id()):
                try:
                    new_id = await self._send_part(activity, part)
                except ConnectorError as exc:
                    log.error("Teams: could not deliver a reply in %s: %s", activity["conversation"]["id"], exc)
                    return  # the rest would arrive out of order: stop here
                await self._remember_card(new_id, part, user_id=_user_id(activity))
            if reply.attachments and _is_personal(activity):
                await self._offer_files(activity, reply)

    async def _remember_card(self, activity_id: str | None, part: dict[str, Any], *, user_id: str | None = None,
                             person_id: str | None = None, replacing: bool = False) -> None:
        """Keep a card with buttons as sent, here and in the store, so a press redraws the whole card on any
        replica and after a restart. replacing: the redrawn card of a press, kept even without buttons so a
        later press elsewhere cannot bring the old buttons back. Best effort: a store failure costs only the
        full redraw."""
        card = cards.card_of(part)
        has_buttons = card is not None and bool(card.get("actions") or any(
            el.get("type") == "ActionSet" for el in card.get("body") or []))
        if not activity_id or card is None or not (has_buttons or replacing):
            return
        if has_buttons:
            self._cards[activity_id] = card
            while len(self._cards) > CARD_CACHE_SIZE:
                self._cards.popitem(last=False)
        try:
            await self._in_worker(self._save_card_sync, activity_id, card, user_id, person_id)
        except Exception:  # noqa: BLE001 - never worth a failed turn
            log.warning("Teams: could not keep card %s", activity_id, exc_info=True)

    def _save_card_sync(self, key: str, card: dict[str, Any], user_id: str | None, person_id: str | None) -> None:
        # Whose card: the person when known (proactive sends), else their Teams user id, which erasing the
        # person also covers (no lookup on every reply)
        self.services.store.save_card(key, card, person_id=person_id or user_id)

    async def _card_for(self, card_id: str) -> dict[str, Any] | None:
        card = self._cards.pop(card_id, None)
        if card is not None:
            return card
        try:  # sent by another replica, or before a restart
            return await self._in_worker(self.services.store.get_card, card_id)
        except Exception:  # noqa: BLE001
            log.warning("Teams: could not read card %s", card_id, exc_info=True)
            return None

    async def _update_pressed_card(self, activity: dict[str, Any], press: _Press, incoming: Incoming,
                                   replies: list[Reply]) -> list[Reply]:
        """Redraw the pressed card without its buttons: as the first reply if it replaces the prompt, else as
        it was plus the choice made. Returns the replies still to send."""
        assert press.card_id
        who = None if incoming.is_direct else (incoming.display_name or None)
        remaining = replies
        if replies and replies[0].replaces_prompt:
            parts = cards.render_reply(replies[0], for_user=self._for_user(activity), force_card=True,
                                       card_id=_drawing_id())
            first = parts[0]
            card = cards.card_of(first)
            if card is not None and not (card.get("actions")):
                card["body"].append(cards.chosen_line(press.label, who))
            update = first
            remaining = replies[1:]
            extra = parts[1:]
        else:
            old = await self._card_for(press.card_id)
            if old is not None:
                card = cards.mark_chosen(old, press.label, who=who)
            else:
                card = cards.chosen_card(press.label, prompt=press.prompt, who=who)
            update = cards.card_activity(card, summary=press.prompt)
            extra = []
        body = self._address(activity, update)
        body.pop("replyToId", None)
        try:
            await self.connector.update(activity["serviceUrl"], activity["conversation"]["id"], press.card_id, body,
                                        policy=self.turn_policy)
            # its new buttons, if any, update it again later; without any, the old ones are gone everywhere
            await self._remember_card(press.card_id, update, user_id=incoming.user_id, replacing=True)
        except ConnectorError as exc:
            log.warning("Teams: could not update card %s: %s", press.card_id, exc)
        for part in extra:
            try:
                await self._send_part(activity, part)
            except ConnectorError as exc:
                log.error("Teams: could not deliver a reply: %s", exc)
                return []
        return remaining

    # -- installs ---------------------------------------------------------------------------------------------
    async def _on_conversation_update(self, activity: dict[str, Any]) -> None:
        bot_id = (activity.get("recipient") or {}).get("id")
        added = [m for m in activity.get("membersAdded") or [] if isinstance(m, dict)]
        if not bot_id or not any(m.get("id") == bot_id for m in added):
            return  # someone else joined or left: nothing to say
        frm = activity.get("from") or {}
        if frm.get("id"):
            ref = conversation_reference(activity)
            incoming, _ = self._incoming({**activity, "text": ""}, None)
            fresh = await self._in_worker(self._install_sync, incoming, ref, activity.get("id"))
            if not fresh:
                log.info("Teams: install event %s seen before; no second welcome", activity.get("id"))
                return
        await self._send_to_conversation(activity, [self.services.router.welcome(personal=_is_personal(activity))])

    def _install_sync(self, incoming: Incoming, ref: dict[str, Any], event_id: str | None) -> bool:
        if event_id:
            try:
                if not self.services.store.remember_event(CHANNEL, event_id):
                    return False
            except Exception:  # better a second welcome than none  # noqa: BLE001
                log.warning("Teams: could not record an install event", exc_info=True)
        self._remember_person(incoming, ref)
        return True

    async def _on_installation_update(self, activity: dict[str, Any]) -> None:
        action = str(activity.get("action") or "")
        frm = activity.get("from") or {}
        if not frm.get("id"):
            return
        incoming, _ = self._incoming({**activity, "text": ""}, None)
        if action.startswith("remove"):
            if _is_personal(activity):  # removed from a team, the person's own chat still works
                await self._in_worker(self._uninstall_sync, incoming)
        elif action.startswith("add"):
            await self._in_worker(self._remember_person, incoming, conversation_reference(activity))

    def _uninstall_sync(self, incoming: Incoming) -> None:
        try:
            person = self.services.store.find_person(teams_user_id=incoming.user_id)
            if person is not None:
                person.unreachable[CHANNEL] = "removed the careerbot app in Teams"
                self.services.store.upsert_person(person)
                log.info("Teams: %s removed the app; no more messages until they add it again", person.id)
        except Exception:  # noqa: BLE001
            log.warning("Teams: could not record that %s removed the app", incoming.user_id, exc_info=True)

    async def _send_to_conversation(self, activity: dict[str, Any], replies: list[Reply]) -> None:
        for reply in replies:
            for part in cards.render_reply(reply, card_id=_drawing_id()):
                body = self._address(activity, part)
                body.pop("replyToId", None)
                try:
                    new_id = await self.connector.send(activity["serviceUrl"], activity["conversation"]["id"], body,
                                                       policy=self.turn_policy)
                except ConnectorError as exc:
                    log.error("Teams: could not send the welcome message: %s", exc)
                    return
                await self._remember_card(new_id, part, user_id=_user_id(activity))

    # -- proactive messages -----------------------------------------------------------------------------------
    async def send_proactive(self, person_id: str, ref: dict[str, Any], reply: Reply) -> None:
        """Send a reply to a person through their stored conversation reference, paced; ConnectorError if not."""
        service_url = ref.get("serviceUrl")
        conv = ref.get("conversation") or {}
        if not service_url or not conv.get("id"):
            raise ConnectorError("stored conversation reference is incomplete", retryable=False, status=404)
        tenant = conv.get("tenantId")
        if not _is_personal(ref):
            ref = await self._open_personal_chat(person_id, ref)
            conv = ref["conversation"]
        bot = ref.get("bot") or {}
        user = ref.get("user") or {}
        for part in cards.render_reply(reply, card_id=_drawing_id()):
            body = dict(part)
            body["from"] = {"id": bot.get("id"), "name": bot.get("name")}
            body["recipient"] = {"id": user.get("id"), "name": user.get("name")}
            body["conversation"] = {"id": conv["id"]}
            await self.limiter.pace(conv["id"], tenant)
            new_id = await self.connector.send(ref["serviceUrl"], conv["id"], body, policy=self.proactive_policy)
            await self._remember_card(new_id, part, person_id=person_id)

    async def _open_personal_chat(self, person_id: str, ref: dict[str, Any]) -> dict[str, Any]:
        """The person's 1:1 chat with the bot (created through the connector) when only a channel is known."""
        user = ref.get("user") or {}
        bot = ref.get("bot") or {}
        tenant = (ref.get("conversation") or {}).get("tenantId")
        if not user.get("id"):
            raise ConnectorError("no Teams user id to open a chat with", retryable=False, status=404)
        params: dict[str, Any] = {"isGroup": False, "bot": {"id": bot.get("id"), "name": bot.get("name")},
                                  "members": [{"id": user["id"]}], "channelData": {"tenant": {"id": tenant}}}
        if tenant:
            params["tenantId"] = tenant
        await self.limiter.pace("create:" + str(user["id"]), tenant)
        conv_id = await self.connector.create_conversation(ref["serviceUrl"], params, policy=self.proactive_policy)
        personal = {**ref, "conversation": {"id": conv_id, "conversationType": "personal", "tenantId": tenant}}
        try:
            await self._in_worker(self.services.store.save_conversation_ref, person_id, CHANNEL, personal)
        except Exception:  # noqa: BLE001 - the message still goes; next time the chat is found again
            log.warning("Teams: could not keep the new chat of %s", person_id, exc_info=True)
        return personal


TEAMS_APP_KEY = web.AppKey("teams", TeamsChannel)  # app[TEAMS_APP_KEY] is the mounted channel


# ------------------------------------------------------------------------------------------------------------
# the notifier used by reminders and digests


class TeamsSender:
    """Teams proactive messages for a process without the web server (``careerbot remind --send`` from cron).

    The channel's event loop, HTTP session and token run in a thread of their own for as long as the pass
    lasts; sending goes through the same TeamsNotifier, pacing and retries as in ``careerbot serve``, to the
    conversation references the server saved."""

    def __init__(self, services: Any) -> None:
        self.channel = TeamsChannel(services)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self, *, timeout: float = 10.0) -> TeamsNotifier:
        def run() -> None:
            loop = self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.channel._on_startup(None))  # type: ignore[arg-type]
                loop.run_forever()
                loop.run_until_complete(self.channel._on_cleanup(None))  # type: ignore[arg-type]
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="teams-sender", daemon=True)
        self._thread.start()
        self.channel.started.wait(timeout)
        return TeamsNotifier(self.channel, startup_wait=timeout)

    def close(self, *, timeout: float = 30.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)


class TeamsNotifier:
    """Proactive messages through Teams, for the reminder service's thread (synchronous).

    send() hands the work to the web server's event loop with run_coroutine_threadsafe and waits: the one
    HTTP session, the cached token and the pacing of each conversation and tenant are shared with replies,
    and a slow send only holds the reminder thread, never the loop.
    """

    name = CHANNEL

    def __init__(self, channel: TeamsChannel, *, startup_wait: float = 30.0, timeout: float = 300.0) -> None:
        self.channel = channel
        self.startup_wait = startup_wait
        self.timeout = timeout

    def _ref(self, person: Any) -> dict[str, Any] | None:
        return self.channel.services.store.get_conversation_ref(person.id, CHANNEL)

    def can_reach(self, person: Any) -> bool:
        if CHANNEL in (getattr(person, "unreachable", None) or {}):
            return False
        try:
            ref = self._ref(person)
        except Exception:  # noqa: BLE001 - "cannot tell" is "no" for choosing a channel
            log.warning("Teams: could not read the conversation reference of %s", person.id, exc_info=True)
            return False
        return bool(ref and ref.get("serviceUrl") and (ref.get("conversation") or {}).get("id"))

    def send(self, person: Any, reply: Reply) -> None:
        ref = self._ref(person)
        if not ref:
            raise DeliveryError(f"{person.id} has no Teams conversation with careerbot", retryable=False)
        channel = self.channel
        if not channel.started.wait(self.startup_wait) or channel.loop is None:
            raise DeliveryError("the Teams channel is not running", retryable=True, retry_after=60)
        loop = channel.loop
        try:
            if asyncio.get_running_loop() is loop:
                raise DeliveryError("TeamsNotifier.send called on the event loop; use a worker thread",
                                    retryable=True)
        except RuntimeError:
            pass  # no loop in this thread: the normal case
        future = asyncio.run_coroutine_threadsafe(channel.send_proactive(person.id, ref, reply), loop)
        try:
            future.result(self.timeout)
        except ConnectorError as exc:
            if exc.gone:
                reason = f"Teams: {exc.code or exc.status} (the app was removed or the chat blocked)"
                self._mark_unreachable(person.id, reason)
                raise DeliveryError(reason, retryable=False) from exc
            raise DeliveryError(f"Teams: {exc}", retryable=True, retry_after=exc.retry_after) from exc
        except TimeoutError as exc:
            future.cancel()
            raise DeliveryError("Teams: sending took too long", retryable=True) from exc
        except (RuntimeError, concurrent.futures.CancelledError) as exc:  # the loop stopped under us (shutdown)
            raise DeliveryError(f"Teams: the send was interrupted ({exc.__class__.__name__})", retryable=True) from exc

    def _mark_unreachable(self, person_id: str, reason: str) -> None:
        store = self.channel.services.store
        try:
            fresh = store.get_person(person_id)
            if fresh is not None:
                fresh.unreachable[CHANNEL] = reason
                store.upsert_person(fresh)
        except Exception:  # noqa: BLE001 - reported through DeliveryError all the same
            log.warning("Teams: could not mark %s unreachable", person_id, exc_info=True)
        log.warning("Teams: %s cannot be reached (%s)", person_id, reason)

