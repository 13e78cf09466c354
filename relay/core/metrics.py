"""Prometheus metrics. Two kinds:

- counted where they happen, by the dispatcher's two hooks (`observe_send`, `observe_wait`): send
  latency and rate-limit waits. These live in the process that sends (with `relay worker`, scrape each);
- read from the database at scrape time by the API (`relay/api/collector.py`: deliveries by channel and status, queue depth, the oldest
  pending delivery's age, flags by outcome, translation memory hits): the database is the truth shared
  by every process, so any one of them answers for all.

Import-light on purpose: the dispatcher imports this module.
"""

from __future__ import annotations

from datetime import datetime, timezone

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.registry import Collector


REGISTRY = CollectorRegistry(auto_describe=True)

SEND_LATENCY = Histogram(
    "relay_send_latency_seconds", "Time from handing a message to its channel adapter to the provider's answer.",
    ["channel", "outcome"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RATE_LIMIT_WAITS = Counter(
    "relay_rate_limit_waits_total", "Times a sender waited for its rate limit: our own pacing (\"paced\") or "
    "the provider answering 429 (\"provider\").", ["channel", "source"], registry=REGISTRY)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "relay_rate_limit_wait_seconds_total", "Seconds senders spent waiting for rate limits.", ["channel", "source"],
    registry=REGISTRY)


# channel -> (outcome, when) of its latest send in this process: /readyz tells a provider that answers
# from one that cannot be reached (a transient error is a connection failure, a timeout, a 5xx).
LAST_SEND: dict[str, tuple[str, datetime]] = {}


def observe_send(channel: str, outcome: str, seconds: float) -> None:
    SEND_LATENCY.labels(channel, outcome).observe(seconds)
    LAST_SEND[channel] = (outcome, datetime.now(timezone.utc))


# A limiter that had capacity returns at once; only a real wait counts.
MIN_WAIT_SECONDS = 0.002


def observe_wait(channel: str, source: str, seconds: float) -> None:
    if seconds < MIN_WAIT_SECONDS:
        return
    RATE_LIMIT_WAITS.labels(channel, source).inc()
    RATE_LIMIT_WAIT_SECONDS.labels(channel, source).inc(seconds)


class _Latest(Collector):
    """The one collector registered: it reports the database of the latest app installed, so two relays
    in one process (tests) do not register the same metric names twice."""

    def __init__(self) -> None:
        self.sources: list[Collector] = []

    def collect(self):
        if self.sources:
            yield from self.sources[-1].collect()


_LATEST = _Latest()
REGISTRY.register(_LATEST)


def attach(collector: Collector) -> None:
    """Report `collector`'s figures (the API's database counts) at every scrape."""
    _LATEST.sources.append(collector)


def detach(collector: Collector) -> None:
    if collector in _LATEST.sources:
        _LATEST.sources.remove(collector)
