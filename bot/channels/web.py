"""The aiohttp application: mounts the channels and serves health, readiness and metrics."""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from bot import metrics
from bot.storage.migrations import LATEST_VERSION

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack and Teams payloads are far smaller; anything bigger is refused with 413
READY_TIMEOUT = 5.0  # seconds; a store that takes longer to answer a probe is not ready
_READY_STATE = web.AppKey("ready_state", dict)
SERVICES = web.AppKey("services", object)  # the bot.app.Services this application serves


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the store answers, the schema is up to date and the frameworks are loaded; else 503."""
    services = request.app[SERVICES]
    checks = {"store": False, "migrations": False}
    try:
        checks["store"] = bool(await asyncio.wait_for(asyncio.to_thread(services.store.ping), READY_TIMEOUT))
        if checks["store"]:
            version = await asyncio.wait_for(asyncio.to_thread(services.store.schema_version), READY_TIMEOUT)
            checks["migrations"] = version >= LATEST_VERSION
    except Exception as exc:  # readiness reports, it does not crash  # noqa: BLE001
        log.debug("readiness check: store failed (%s)", exc.__class__.__name__)
    checks["frameworks"] = bool(services.knowledge.criteria)
    ok = all(checks.values())
    state = request.app[_READY_STATE]
    if ok != state.get("ok", True):  # log changes of state, not every probe
        state["ok"] = ok
        if ok:
            log.info("ready again: %s", checks)
        else:
            log.warning("not ready: %s", checks)
    return web.json_response({"status": "ready" if ok else "not ready", "checks": checks}, status=200 if ok else 503)


async def metrics_view(request: web.Request) -> web.Response:
    return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8")


_CHANNEL_PATHS = {"/slack/events": "slack", "/api/messages": "teams"}


@web.middleware
async def count_requests(request: web.Request, handler):
    """careerbot_requests_total by channel and outcome (ok, rejected: 4xx, error: 5xx) and request time."""
    channel = _CHANNEL_PATHS.get(request.path)
    if channel is None:
        return await handler(request)
    started = time.perf_counter()
    outcome = "error"
    try:
        response = await handler(request)
        outcome = "ok" if response.status < 400 else "rejected" if response.status < 500 else "error"
        return response
    except web.HTTPException as exc:
        outcome = "rejected" if exc.status < 500 else "error"
        raise
    finally:
        metrics.labelled(metrics.REQUESTS, channel, outcome).inc()
        metrics.labelled(metrics.ANSWER_SECONDS, channel).observe(time.perf_counter() - started)


def make_app(services) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[count_requests])
    app[SERVICES] = services
    app[_READY_STATE] = {}
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
    settings = services.settings
    if settings.slack_enabled:
        from bot.channels.slack import SlackChannel

        SlackChannel(services).mount(app)
    else:
        log.info("Slack is off: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set")
    from bot.channels.teams import TeamsChannel

    TeamsChannel(services).mount(app)
    return app
