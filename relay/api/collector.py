"""The figures the API reports from the database at every Prometheus scrape: deliveries by channel and
status, the queue, the oldest due delivery, moderation flags, the translation memory's hit ratio.

Here rather than in the core's metrics module because it reads the integrity feature's tables; the
core keeps the counters the dispatcher updates and the one registry.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from relay.core.models import Delivery, DeliveryStatus
from relay.delivery import tallies
from relay.integrity.models import Flag

if TYPE_CHECKING:
    from relay.core.db import Database


class DatabaseCollector(Collector):
    """Figures read from the database when Prometheus scrapes (a few grouped counts)."""

    def __init__(self, database: "Database", memory_stats=None) -> None:
        self.database = database
        self.memory_stats = memory_stats  # () -> (hits, engine calls) of this process's translation memory

    def collect(self):
        deliveries = GaugeMetricFamily("relay_deliveries", "Deliveries by channel and status.",
                                       labels=["channel", "status"])
        depth = GaugeMetricFamily("relay_queue_depth", "Deliveries waiting to be sent (pending), by channel.",
                                  labels=["channel"])
        oldest = GaugeMetricFamily("relay_oldest_pending_seconds",
                                   "Age of the oldest pending delivery that is due (0 when none is).")
        flags = GaugeMetricFamily("relay_flags", "Moderation flags by outcome.", labels=["status"])
        now = datetime.now(timezone.utc)
        with self.database.sessions() as session:
            by_pair: Counter[tuple[str, str]] = Counter()
            for channel, status, n in session.execute(
                    select(Delivery.channel, Delivery.status, func.count()).group_by(Delivery.channel, Delivery.status)):
                by_pair[(channel, status)] += n
                if status == DeliveryStatus.pending.value:
                    depth.add_metric([channel], n)
            for channel, status, n in tallies.by_channel_status(session):  # rows the retention purge removed
                by_pair[(channel, status)] += int(n)
            for (channel, status), n in sorted(by_pair.items()):
                deliveries.add_metric([channel, status], n)
            first = session.scalar(select(func.min(Delivery.next_attempt_at))
                                   .where(Delivery.status == DeliveryStatus.pending.value, Delivery.next_attempt_at <= now))
            for status, n in session.execute(select(Flag.status, func.count()).group_by(Flag.status)):
                flags.add_metric([status], n)
        if first is not None and first.tzinfo is None:
            first = first.replace(tzinfo=timezone.utc)
        oldest.add_metric([], max(0.0, (now - first).total_seconds()) if first else 0.0)
        yield from (deliveries, depth, oldest, flags)
        if self.memory_stats is not None:
            hits, calls = self.memory_stats()
            ratio = GaugeMetricFamily("relay_translation_memory_hit_ratio", "Translations served from the "
                                      "translation memory / all translations asked for, in this process.")
            ratio.add_metric([], hits / (hits + calls) if hits + calls else 0.0)
            yield ratio


