"""Prometheus metrics: requests by channel and outcome, answer latency, dialogs, reminders."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

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


def render() -> bytes:
    return generate_latest(REGISTRY)
