"""The dispatcher: claims due deliveries per sender, sends them through the channel adapters at each
provider's pace, and records every outcome. The one place in the relay that retries.

Crash safety comes from the order of events: a delivery is marked `sending` (claimed) in the database
before its request leaves, and its outcome is written after. A process killed in between leaves
`sending` rows; whoever takes the sender's lease next puts them back to pending and sends them again.
So nobody is missed, and the duplicates are bounded by what one process may hold in flight at once
(`dispatcher.max_in_flight`): claimed plus sent-but-not-yet-recorded.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from datetime import datetime, timezone
from typing import Callable, Mapping

from aiolimiter import AsyncLimiter

from channels.base import (
    Channel,
)
from relay.delivery import deliveries
from relay.delivery.attempt import RetryPolicy, attempt, record_outcomes
from relay.delivery.housekeeping import Housekeeping
from relay.delivery.pacing import InFlight, RecipientLimits, bucket
from relay.delivery.sender_share import SenderShare
from relay.core import metrics
from relay.delivery.backoff import Backoff
from relay.core.config import DispatcherSettings
from relay.core.db import Database
from relay.delivery.deliveries import Claimed, Outcome
from relay.core.leases import SenderLeases
from relay.core.tasks import TaskSet

log = logging.getLogger("relay.delivery.dispatcher")

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Dispatcher:
    def __init__(
        self,
        database: Database,
        channels: Mapping[str, Channel],
        settings: DispatcherSettings,
        leases: SenderLeases,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self.database = database
        self.channels = dict(channels)
        self.settings = settings
        self.leases = leases
        self.clock = clock
        self.worker_id = f"{uuid.uuid4().hex[:12]}"
        self.backoff = Backoff(
            initial=settings.backoff_initial_seconds,
            maximum=settings.backoff_max_seconds,
            jitter=settings.backoff_jitter,
        )
        self.in_flight = InFlight(settings.max_in_flight)
        self._policy = RetryPolicy(self.backoff, settings.max_attempts, clock, self._pause)
        self._concurrency = asyncio.Semaphore(settings.concurrency)
        self._outcomes: asyncio.Queue[Outcome] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._recipients = RecipientLimits(settings.rate_limits)
        self._paused: dict[str, float] = {}  # sender key -> monotonic time its provider asked us to wait for
        self._tasks = TaskSet()  # sends, the recorder, housekeeping
        self._senders = TaskSet()  # one loop per sender
        sender_keys = [f"{c.name}:{sender}" for c in self.channels.values() for sender in c.senders()]
        self._share = SenderShare(database, leases, settings, sender_keys, self.worker_id, clock)
        self._housekeeping = Housekeeping(database, self.channels, settings, leases, clock)
        self.sent_count = 0

    # -- database calls run in worker threads: the event loop never blocks on I/O -------------------

    async def _db(self, fn, *args):
        return await self.database.run(fn, *args)

    # -- lifecycle ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Drive every sender of every channel until `stop()`."""
        for channel in self.channels.values():
            for sender in channel.senders():
                self._senders.spawn(self._sender_loop(channel, sender), name=f"sender:{channel.name}:{sender}")
        self._tasks.spawn(record_outcomes(self.database, self.worker_id, self._outcomes, self.in_flight, self.clock,
                                          self.settings.record_interval_seconds), name="recorder")
        self._tasks.spawn(self._housekeeping.run(), name="housekeeping")
        self._tasks.spawn(self._share.heartbeat(), name="heartbeat")
        await self._stopping.wait()

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Stop claiming, give back what was claimed but not sent, let the sends in flight finish and
        their outcomes be written (within `drain_seconds`): a clean stop resends nothing."""
        self._stopping.set()
        await self._senders.cancel_all()
        deadline = time.monotonic() + drain_seconds
        while self.in_flight.used > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if self.in_flight.used:
            log.warning("stopping with %d deliveries in flight; the next start resends them", self.in_flight.used)
        await self._tasks.cancel_all()
        self.leases.release_all()
        await self._share.leave()

    def wake(self) -> None:
        """New work was planned in this process: idle senders look now instead of at their next poll."""
        self._wake.set()

    @property
    def failures(self) -> list[BaseException]:
        return self._tasks.failures + self._senders.failures

    # -- one loop per sender ----------------------------------------------------------------------

    def _limiter(self, channel: Channel, sender: str) -> tuple[AsyncLimiter | None, int]:
        limit = channel.limit(sender)
        if not self.settings.rate_limits or limit.rate <= 0:
            return None, 200
        # Claim about one second of work at a time: a STOP or a cancel then catches the rest still queued.
        return bucket(limit), max(1, math.ceil(limit.rate))

    async def _sender_loop(self, channel: Channel, sender: str) -> None:
        key = f"{channel.name}:{sender}"
        limiter, batch = self._limiter(channel, sender)
        while not self._stopping.is_set():
            try:
                if not self.leases.held(key):
                    await self._share.take(key)
                    orphans = await self._db(deliveries.release_orphans, sender, self.clock())
                    if orphans:
                        log.warning("sender %s: %d deliveries left in flight by a previous holder will be resent",
                                    key, orphans)
                await self._one_batch(channel, sender, key, limiter, batch)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not stop this sender for good
                log.exception("sender %s: a batch failed; trying again in 1 s", key)
                await asyncio.sleep(1.0)

    async def _one_batch(self, channel: Channel, sender: str, key: str, limiter: AsyncLimiter | None,
                         batch: int) -> None:
        wait = self._paused.get(key, 0.0) - time.monotonic()
        if wait > 0:
            metrics.observe_wait(channel.name, "provider", wait)
            await asyncio.sleep(wait)
        granted = await self.in_flight.reserve(batch)
        try:
            claimed = await self._db(deliveries.claim, sender, self.worker_id, granted, self.clock())
        except BaseException:
            await self.in_flight.release(granted)
            raise
        await self.in_flight.release(granted - len(claimed))
        if not claimed:
            await self._idle()
            return
        unsent = {c.id for c in claimed}  # claimed, not yet handed to the provider
        try:
            reachable = await self._db(deliveries.still_reachable, [c.endpoint_id for c in claimed])
            texts, media = await self._texts_for(channel, claimed)
            for item in claimed:
                if item.endpoint_id not in reachable:
                    unsent.discard(item.id)
                    self._outcomes.put_nowait(Outcome(item.id, "cancelled", error="recipient opted out"))
                    continue
                text = texts[(item.broadcast_id, item.language)]
                if item.prefix:
                    text = f"{item.prefix}\n{text}"
                cost = channel.cost(text)
                per_recipient = self._recipients.for_recipient(channel, item.address)
                if per_recipient is not None and not per_recipient.has_capacity(min(cost, per_recipient.max_rate)):
                    # This chat (or group) had its share: try it again when it has, and serve the others now
                    # instead of holding up the whole sender behind one busy group.
                    unsent.discard(item.id)
                    delay = min(cost, per_recipient.max_rate) * per_recipient.time_period / per_recipient.max_rate
                    self._outcomes.put_nowait(Outcome(item.id, "requeue", error="recipient's own limit",
                                                      retry_at=deliveries.retry_time(self.clock(), delay)))
                    continue
                if limiter is not None:
                    paced = time.monotonic()
                    for _ in range(cost):
                        await limiter.acquire()
                    metrics.observe_wait(channel.name, "paced", time.monotonic() - paced)
                if per_recipient is not None:
                    await per_recipient.acquire(min(cost, per_recipient.max_rate))
                await self._concurrency.acquire()
                unsent.discard(item.id)
                audio = media.get((item.broadcast_id, item.language), "")
                self._tasks.spawn(self._send(channel, sender, item, text, audio), name=f"send:{item.id}")
        finally:
            if unsent:  # an error or a shutdown came between claim and send: these were never sent
                await self._give_back(unsent)

    def _pause(self, key: str, seconds: float) -> None:
        self._paused[key] = time.monotonic() + seconds

    async def pace_recipient(self, channel: Channel, address: str) -> None:
        """Wait for one message's turn to `address`: a chat reply sent outside the outbox shares the
        per-chat limit with the deliveries to that chat."""
        await self._recipients.pace(channel, address)

    async def _give_back(self, ids: set[int]) -> None:
        try:
            await self._db(deliveries.give_back, self.worker_id, sorted(ids))
        except Exception:  # they stay `sending`; the next holder of the lease puts them back
            log.exception("could not give back %d unsent deliveries", len(ids))
        await self.in_flight.release(len(ids))

    async def _idle(self) -> None:
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=self.settings.idle_poll_seconds)
        except asyncio.TimeoutError:
            pass

    async def _texts_for(self, channel: Channel, claimed: list[Claimed]
                         ) -> tuple[dict[tuple[int, str], str], dict[tuple[int, str], str]]:
        """The texts (and recordings, where a feature has one for this channel) as they are now, read once per
        claimed batch and never cached across batches: a translation approved, a bridged message edited or a
        recording uploaded after the first batch went out must reach the recipients still queued."""
        return await self._db(deliveries.content_for, channel.name, {(c.broadcast_id, c.language) for c in claimed})

    async def _send(self, channel: Channel, sender: str, item: Claimed, text: str, audio: str = "") -> None:
        try:
            outcome = await attempt(channel, sender, item, text, self._policy, audio)
            if outcome.kind in ("sent", "delivered"):
                self.sent_count += 1
        finally:
            self._concurrency.release()
        self._outcomes.put_nowait(outcome)
