"""The aiohttp application: mounts the channels and serves health, readiness and metrics."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot import metrics

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack and Teams payloads are far smaller; anything bigger is refused with 413


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    services = request.app["services"]
    checks = {}
    try:
        checks["store"] = await asyncio.to_thread(services.store.ping)
        checks["migrations"] = (await asyncio.to_thread(services.store.schema_version)) > 0
    except Exception:  # readiness reports, it does not crash  # noqa: BLE001
        log.warning("readiness check: store failed", exc_info=True)
        checks["store"] = False
        checks.setdefault("migrations", False)
    checks["frameworks"] = bool(services.knowledge.criteria)
    ok = all(checks.values())
    return web.json_response({"status": "ready" if ok else "not ready", "checks": checks}, status=200 if ok else 503)


async def metrics_view(request: web.Request) -> web.Response:
    return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8")


def make_app(services) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app["services"] = services
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
