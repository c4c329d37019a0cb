"""Composition root: settings -> store -> knowledge -> engine -> dialogs -> router -> channels -> scheduler -> web
app."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot import metrics
from bot.answers.engine import AnswerEngine
from bot.config import Settings, load_settings
from bot.knowledge.loader import DEFAULT_FRAMEWORK_DIR, load_knowledge
from bot.knowledge.model import Knowledge
from bot.router import Router
from bot.storage import open_store
from bot.storage.base import Store

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Everything wired together; channels and the CLI get what they need from here."""

    settings: Settings
    store: Store
    knowledge: Knowledge
    engine: AnswerEngine
    router: Router
    dialogs: Any
    owner: str
    notifiers: dict[str, Any] = field(default_factory=dict)
    reminders: Any = None
    scheduler: Any = None
    closers: list[Any] = field(default_factory=list)  # called by close(), after the scheduler stops

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        for close in self.closers:
            try:
                close()
            except Exception:  # noqa: BLE001 - the store must still be closed
                log.warning("could not close %r", close, exc_info=True)
        try:
            self.store.release_claims(owner=self.owner)
        except Exception:  # closing must go on even if the store is down  # noqa: BLE001
            log.warning("could not release reminder claims on shutdown", exc_info=True)
        self.store.close()


def build_services(settings: Settings | None = None, *, clock=utc_now, with_dialogs: bool = True) -> Services:
    settings = settings or load_settings()
    if settings.database_url.startswith("sqlite:///") and ":memory:" not in settings.database_url:
        os.makedirs(settings.data_dir, exist_ok=True)
        db_path = settings.database_url.removeprefix("sqlite:///")
        os.makedirs(os.path.dirname(os.path.abspath(db_path)), exist_ok=True)
    store = open_store(settings.database_url)
    store.migrate()
    knowledge = load_knowledge(settings.framework_dir or DEFAULT_FRAMEWORK_DIR)
    engine = AnswerEngine(knowledge)
    owner = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    services = Services(settings=settings, store=store, knowledge=knowledge, engine=engine, router=None,  # type: ignore[arg-type]
                        dialogs=None, owner=owner)
    dialogs = None
    if with_dialogs:
        from dialogs import DialogRunner

        dialogs = DialogRunner(store=store, knowledge=knowledge, clock=clock,
                               expiry_days=settings.dialog_expiry_days,
                               notify=lambda person, reply: notify_person(services, person, reply))
    services.dialogs = dialogs
    services.router = Router(knowledge=knowledge, engine=engine, store=store, dialogs=dialogs, clock=clock,
                             digest_weekday=settings.digest_weekday)
    # Every turn, whatever the channel, counts in careerbot_requests_total and careerbot_answer_seconds.
    services.router.handle = metrics.count_turns(services.router.handle)  # type: ignore[method-assign]
    return services


def notify_person(services: Services, person, reply) -> bool:
    """Send a proactive message through the first channel that can reach the person."""
    for notifier in services.notifiers.values():
        try:
            if notifier.can_reach(person):
                notifier.send(person, reply)
                return True
        except Exception:  # one channel failing must not stop the others  # noqa: BLE001
            log.warning("notifier %s failed", getattr(notifier, "name", notifier), exc_info=True)
    return False


def build_reminders(services: Services, *, clock=utc_now):
    from bot.notifiers import FileNotifier
    from bot.reminders import Policy, ReminderService

    settings = services.settings
    notifiers = dict(services.notifiers)
    if "slack" not in notifiers and settings.slack_enabled:
        # `careerbot remind --send` from cron has no web server: Slack's Web API needs none.
        from bot.channels.slack_notifier import SlackNotifier

        notifiers["slack"] = SlackNotifier(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    if "teams" not in notifiers and settings.teams_auth_enabled:
        # The same for Teams: a connector session of its own, in a thread, for the life of the pass (closed by
        # Services.close), sending to the conversation references `careerbot serve` saved.
        from bot.channels.teams import TeamsSender

        sender = TeamsSender(services)
        notifiers["teams"] = sender.start()
        services.closers.append(sender.close)
    if settings.notify_file is not None:
        # Trials and tests: messages for people no chat channel can reach go to this file.
        notifiers.setdefault("file", FileNotifier(settings.notify_file))
    # Otherwise a person no channel can reach is skipped, not "sent" to a log: their reminder stays due and
    # reaches them once they connect Slack or Teams (docs/decisions.md). `careerbot remind --via log|console`
    # adds those notifiers explicitly.
    policy = Policy(digest_weekday=settings.digest_weekday, long_eligible_months=settings.eligible_for_long_months)
    services.reminders = ReminderService(services.store, services.knowledge, notifiers, clock=clock,
                                         owner=services.owner, policy=policy)
    return services.reminders


def make_web_app(services: Services):
    """The aiohttp application: Slack and Teams endpoints (when configured), health, readiness, metrics."""
    from bot.channels.web import make_app

    return make_app(services)


# The access log names no one: no client address, no user agent (aiohttp's default logs both).
ACCESS_LOG_FORMAT = '"%r" %s %b %Tf'


async def _drain(timeout: float, *, besides: Any = None) -> None:
    """Wait for work the channels started in the background (replies after an early ack), then give up."""
    current = asyncio.current_task()
    pending = {t for t in asyncio.all_tasks() if t is not current and t is not besides and not t.done()}
    if not pending:
        return
    log.info("waiting for %d background task(s) to finish", len(pending))
    _done, still = await asyncio.wait(pending, timeout=timeout)
    if still:
        log.warning("%d background task(s) still running after %ss; cancelling them", len(still), timeout)


def settle_heap() -> None:
    """Once start-up is done: what exists now (the frameworks, their indexes, the compiled patterns) lives as
    long as the process, so the garbage collector is told to leave it alone (gc.freeze). Without this every
    full collection walks the whole knowledge base again, tens of milliseconds while no request is served."""
    gc.collect()
    gc.freeze()


def serve(*, port: int | None = None, settings: Settings | None = None) -> int:
    """careerbot serve: one aiohttp server, scheduler in-process, graceful on SIGTERM.

    On SIGTERM (or Ctrl-C): stop accepting connections, let requests and background turns in flight finish
    (up to CAREERBOT_SHUTDOWN_TIMEOUT seconds), stop the reminder scheduler between two people, release its
    unsent claims, close the store, exit 0.
    """
    from aiohttp import web

    services = build_services(settings)
    settings = services.settings
    port = port or settings.port
    app = make_web_app(services)
    settle_heap()
    if settings.reminders_enabled:
        from bot.reminders import Scheduler

        reminders = build_reminders(services)
        services.scheduler = Scheduler(reminders, interval_seconds=settings.reminder_interval_seconds)
        services.scheduler.start()

    async def _run() -> None:
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=settings.shutdown_timeout_seconds,
                               access_log_format=ACCESS_LOG_FORMAT)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, port)
        await site.start()
        log.info("careerbot listening on %s:%s", settings.host, port)
        print(f"careerbot is listening on http://{settings.host}:{port}", flush=True)
        socket_mode = None
        if settings.slack_app_token and settings.slack_enabled:
            from bot.channels.slack import start_socket_mode

            socket_mode = await start_socket_mode(services)  # the same listeners, over a WebSocket
            log.info("Slack Socket Mode connected")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutting down: no new connections; finishing turns in flight")
        # The scheduler stops between two people while the web server drains, in parallel.
        scheduler_stopped = (asyncio.ensure_future(asyncio.to_thread(services.scheduler.stop))
                             if services.scheduler is not None else None)
        if socket_mode is not None:
            await socket_mode.close()
        await runner.cleanup()  # stops listening, waits for handlers in flight (up to shutdown_timeout)
        await _drain(settings.shutdown_timeout_seconds, besides=scheduler_stopped)
        if scheduler_stopped is not None:
            await scheduler_stopped
            services.scheduler = None  # stopped, and its claims released: close() need not do it again

    try:
        asyncio.run(_run())
    finally:
        services.close()  # releases reminder claims and closes the store
        log.info("careerbot stopped")
    return 0
