"""Prometheus metrics: requests by channel and outcome, answer latency, dialogs, reminders."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest

disable_created_metrics()  # no *_created series: half the output, and nothing a dashboard uses
REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter("careerbot_requests_total", "Incoming requests by channel and outcome",
                   ["channel", "outcome"], registry=REGISTRY)
ANSWER_SECONDS = Histogram("careerbot_answer_seconds", "Time to produce a reply to one message", ["channel"],
                           registry=REGISTRY,
                           buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
DIALOGS = Counter("careerbot_dialogs_total", "Dialogs started and completed", ["dialog", "event"],
                  registry=REGISTRY)
REMINDERS = Counter("careerbot_reminders_total", "Reminders claimed, sent, failed and retried", ["event"],
                    registry=REGISTRY)
# Counted by the core for every channel (the composition root wraps Router.handle with count_turns):
TURNS = Counter("careerbot_turns_total", "Messages the core handled, by channel and outcome (the reply's status)",
                ["channel", "outcome"], registry=REGISTRY)
TURN_SECONDS = Histogram("careerbot_turn_seconds", "Time the core took to handle one message (store, dialogs, "
                         "answer engine), without the channel's own network time", ["channel"], registry=REGISTRY,
                         buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))

# Label values are a closed set, so a stray value can never blow up the number of time series.
CHANNELS = frozenset({"slack", "teams", "console", "test"})
TURN_OUTCOMES = frozenset({"answered", "clarify", "not_in_framework", "dialog", "error"})
REMINDER_EVENTS = ("claimed", "sent", "failed", "retried", "dead")

for _event in REMINDER_EVENTS:  # every series exists from the start, at 0, so rate() works from the first scrape
    REMINDERS.labels(event=_event)


_children: dict[tuple[Any, ...], Any] = {}


def labelled(metric: Any, *values: str) -> Any:
    """metric.labels(*values), kept: prometheus_client looks the child up under a lock every time, which
    costs more than the count itself on a path taken for every request."""
    key = (metric, *values)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*values)
    return child


def channel_label(channel: Any) -> str:
    return channel if channel in CHANNELS else "other"


def turn_outcome(replies: list[Any] | None) -> str:
    """The outcome of one turn for careerbot_turns_total: the first reply's status, or 'ignored'."""
    if not replies:
        return "ignored"  # a replayed event, or nothing to say
    status = getattr(replies[0], "status", None)
    return status if status in TURN_OUTCOMES else "other"


def count_turns(handle: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    """Wrap Router.handle: every turn counts in careerbot_turns_total{channel, outcome} and its time in
    careerbot_turn_seconds{channel}. A turn that raises counts as outcome 'failed'.

    careerbot_requests_total and careerbot_answer_seconds belong to the channels, which see the HTTP side
    (refused requests, the time until the reply reached the person)."""

    @functools.wraps(handle)
    def counted(msg: Any) -> list[Any]:
        channel = channel_label(getattr(msg, "channel", None))
        started = time.perf_counter()
        outcome = "failed"
        try:
            replies = handle(msg)
            outcome = turn_outcome(replies)
            return replies
        finally:
            labelled(TURN_SECONDS, channel).observe(time.perf_counter() - started)
            labelled(TURNS, channel, outcome).inc()

    counted.__wrapped_by_metrics__ = True  # type: ignore[attr-defined]
    return counted


def reminder_event(event: str, n: int = 1) -> None:
    """claimed | sent | failed | retried | dead."""
    if n:
        REMINDERS.labels(event=event).inc(n)


def dialog_event(dialog: str, event: str) -> None:
    """started | completed | cancelled | expired, for the dialog engine to call."""
    DIALOGS.labels(dialog=str(dialog)[:40], event=str(event)[:20]).inc()


def render() -> bytes:
    return generate_latest(REGISTRY)
