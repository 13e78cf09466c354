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
    ChannelError,
    Outbound,
    PermanentError,
    RateLimited,
    RecipientMoved,
    RecipientUnreachable,
    SenderLimit,
    StatusUpdate,
)
from relay import deliveries, fair_share, receipt_lookup
from relay.api import metrics
from relay.backoff import Backoff
from relay.config import DispatcherSettings
from relay.db import Database
from relay.deliveries import Claimed, Outcome
from relay.leases import SenderLeases
from relay.tasks import TaskSet

log = logging.getLogger("relay.dispatcher")

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _bucket(limit: SenderLimit) -> AsyncLimiter:
    """A token bucket holding `burst` units (at least one message), refilled at the provider's rate."""
    burst = max(1.0, limit.burst)
    return AsyncLimiter(burst, burst / limit.rate)


class InFlight:
    """Counts deliveries claimed but not yet recorded, across all senders of this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._changed = asyncio.Condition()

    async def reserve(self, wanted: int) -> int:
        async with self._changed:
            await self._changed.wait_for(lambda: self.used < self.limit)
            granted = min(wanted, self.limit - self.used)
            self.used += granted
            return granted

    async def release(self, count: int) -> None:
        if count:
            async with self._changed:
                self.used -= count
                self._changed.notify_all()


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
        self._concurrency = asyncio.Semaphore(settings.concurrency)
        self._outcomes: asyncio.Queue[Outcome] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._recipients: dict[tuple[str, str], AsyncLimiter] = {}
        self._paused: dict[str, float] = {}  # sender key -> monotonic time its provider asked us to wait for
        self._tasks = TaskSet()  # sends, the recorder, housekeeping
        self._senders = TaskSet()  # one loop per sender
        self._sender_keys = [f"{c.name}:{sender}" for c in self.channels.values() for sender in c.senders()]
        self._share = len(self._sender_keys)  # until the heartbeat has counted the other dispatchers
        self._shares_known = asyncio.Event()
        self._lease_lock = asyncio.Lock()
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
        self._tasks.spawn(self._recorder(), name="recorder")
        self._tasks.spawn(self._housekeeping(), name="housekeeping")
        self._tasks.spawn(self._heartbeat(), name="heartbeat")
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
        try:
            await self._db(fair_share.leave, self.worker_id)
        except Exception:  # its heartbeat goes stale instead
            log.warning("could not remove this dispatcher's heartbeat")

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
        return _bucket(limit), max(1, math.ceil(limit.rate))

    async def _take_lease(self, key: str) -> None:
        """Wait until this process is below its fair share of senders and the lease is free, then take it
        (see relay/fair_share.py: several workers split the senders instead of one taking all)."""
        await self._shares_known.wait()
        while True:
            async with self._lease_lock:
                held = sum(1 for k in self._sender_keys if self.leases.held(k))
                if held < self._share and await self.leases.try_acquire(key):
                    return
            await asyncio.sleep(self.settings.idle_poll_seconds * 4)

    async def _heartbeat(self) -> None:
        """Count the live dispatchers; the first count waits `settle` so that workers started together
        see each other before any of them takes a lease."""
        settle = self.settings.share_settle_seconds if self.database.engine.dialect.name != "sqlite" else 0.0
        first = True
        while True:
            try:
                live = await self._db(fair_share.beat, self.worker_id, self.clock())
                if first and settle:
                    await asyncio.sleep(settle)
                    live = await self._db(fair_share.beat, self.worker_id, self.clock())
                self._share = fair_share.share(len(self._sender_keys), live)
            except Exception:
                log.exception("heartbeat failed; the share stays %d", self._share)
            first = False
            self._shares_known.set()
            await asyncio.sleep(2.0)

    async def _sender_loop(self, channel: Channel, sender: str) -> None:
        key = f"{channel.name}:{sender}"
        limiter, batch = self._limiter(channel, sender)
        while not self._stopping.is_set():
            try:
                if not self.leases.held(key):
                    await self._take_lease(key)
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
            texts = await self._texts_for(claimed)
            for item in claimed:
                if item.endpoint_id not in reachable:
                    unsent.discard(item.id)
                    self._outcomes.put_nowait(Outcome(item.id, "cancelled", error="recipient opted out"))
                    continue
                text = texts[(item.broadcast_id, item.language)]
                if item.prefix:
                    text = f"{item.prefix}\n{text}"
                cost = channel.cost(text)
                per_recipient = self._recipient_limiter(channel, item.address)
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
                self._tasks.spawn(self._send(channel, sender, item, text), name=f"send:{item.id}")
        finally:
            if unsent:  # an error or a shutdown came between claim and send: these were never sent
                await self._give_back(unsent)

    async def pace_recipient(self, channel: Channel, address: str) -> None:
        """Wait for one message's turn to `address`: a chat reply sent outside the outbox shares the
        per-chat limit with the deliveries to that chat."""
        limiter = self._recipient_limiter(channel, address)
        if limiter is not None:
            await limiter.acquire(1)

    def _recipient_limiter(self, channel: Channel, address: str) -> AsyncLimiter | None:
        """The channel's own limit for one recipient, if it has one (Telegram: per chat, per group)."""
        limit_for = getattr(channel, "recipient_limit", None)
        if limit_for is None or not self.settings.rate_limits:
            return None
        key = (channel.name, address)
        limiter = self._recipients.get(key)
        if limiter is None:
            limit = limit_for(address)
            if limit is None or limit.rate <= 0:
                return None
            if len(self._recipients) > 100_000:  # idle ones are full again anyway: forget them
                self._recipients.clear()
            limiter = self._recipients[key] = _bucket(limit)
        return limiter

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

    async def _texts_for(self, claimed: list[Claimed]) -> dict[tuple[int, str], str]:
        """The texts as they are now, read once per claimed batch and never cached across batches: a
        translation approved, or a bridged message edited, after the first batch went out must reach the
        recipients still queued."""
        return await self._db(deliveries.texts_for, {(c.broadcast_id, c.language) for c in claimed})

    async def _send(self, channel: Channel, sender: str, item: Claimed, text: str) -> None:
        try:
            outcome = await self._attempt(channel, sender, item, text)
        finally:
            self._concurrency.release()
        self._outcomes.put_nowait(outcome)

    async def _attempt(self, channel: Channel, sender: str, item: Claimed, text: str) -> Outcome:
        message = Outbound(delivery_id=item.id, sender=sender, to=item.address, text=text)
        started = time.monotonic()
        try:
            receipt = await channel.send(message)
            metrics.observe_send(channel.name, "accepted", time.monotonic() - started)
        except RateLimited as exc:
            metrics.observe_send(channel.name, "rate_limited", time.monotonic() - started)
            # The provider says this sender is going too fast: pause the whole sender, not just this row.
            # The message itself did nothing wrong, so this costs it no attempt: a crisis alert must not fail
            # because we were paced.
            delay = self.backoff.delay(1, retry_after=exc.retry_after)
            self._paused[f"{channel.name}:{sender}"] = time.monotonic() + delay
            return Outcome(item.id, "requeue", error=f"rate limited ({exc.code or 'no code'})",
                           retry_at=deliveries.retry_time(self.clock(), delay))
        except RecipientMoved as exc:  # the endpoint follows the chat; the message goes again, to the new id
            return Outcome(item.id, "moved", error=f"{exc} (code {exc.code})", endpoint_id=item.endpoint_id,
                           retry_at=self.clock(), moved_to=exc.new_address)
        except RecipientUnreachable as exc:
            kind = "opted_out" if exc.opted_out else "unreachable"
            return Outcome(item.id, kind, error=f"{exc} (code {exc.code})", endpoint_id=item.endpoint_id)
        except PermanentError as exc:
            return Outcome(item.id, "failed", error=f"{exc} (code {exc.code})")
        except ChannelError as exc:
            metrics.observe_send(channel.name, "error", time.monotonic() - started)
            return self._retry(item, f"{type(exc).__name__}: {exc}", None)
        except Exception as exc:  # an adapter bug must not lose the delivery: retry it, loudly
            log.exception("channel %s raised an unclassified error for delivery %s", channel.name, item.id)
            return self._retry(item, f"unexpected {type(exc).__name__}: {exc}", None)
        self.sent_count += 1
        kind = "sent" if channel.reports_delivery else "delivered"
        return Outcome(item.id, kind, provider_message_id=receipt.provider_message_id)

    def _retry(self, item: Claimed, error: str, delay: float | None) -> Outcome:
        if item.attempts >= self.settings.max_attempts:
            return Outcome(item.id, "failed", error=f"gave up after {item.attempts} attempts: {error}")
        seconds = delay if delay is not None else self.backoff.delay(item.attempts)
        return Outcome(item.id, "retry", error=error, retry_at=deliveries.retry_time(self.clock(), seconds))

    # -- writing outcomes in batches -----------------------------------------------------------------

    async def _recorder(self) -> None:
        while True:
            batch = [await self._outcomes.get()]
            await asyncio.sleep(self.settings.record_interval_seconds)
            while not self._outcomes.empty() and len(batch) < 2000:
                batch.append(self._outcomes.get_nowait())
            try:
                await self._db(deliveries.record, self.worker_id, batch, self.clock())
            except Exception:
                # Not written: the rows stay `sending` under our claim. Put the outcomes back and retry so
                # that a database hiccup does not turn into resends.
                log.exception("could not record %d outcomes; retrying", len(batch))
                for outcome in batch:
                    self._outcomes.put_nowait(outcome)
                await asyncio.sleep(1.0)
                continue
            await self.in_flight.release(len(batch))

    async def _look_up_lost_receipts(self) -> None:
        """Ask the provider about this process's deliveries whose status callback never came (see
        relay/receipt_lookup.py). Only senders whose lease this process holds, so workers never ask twice."""
        after = self.settings.receipt_check_seconds
        if not after:
            return
        held = [sender for channel in self.channels.values() if getattr(channel, "fetch_status", None) is not None
                for sender in channel.senders() if self.leases.held(f"{channel.name}:{sender}")]
        overdue = await self._db(receipt_lookup.take_overdue, held, self.clock(), after)
        if not overdue:
            return
        by_name = {channel.name: channel for channel in self.channels.values()}
        lookups = asyncio.Semaphore(5)  # a few at a time: the sends share the account's API concurrency

        async def ask(item: receipt_lookup.Overdue) -> StatusUpdate | None:
            async with lookups:
                try:
                    return await by_name[item.channel].fetch_status(item.provider_message_id)
                except ChannelError as exc:
                    log.warning("could not look up the status of delivery %s: %s", item.delivery_id, exc)
                    return None

        answers = await asyncio.gather(*(ask(item) for item in overdue))
        final = [a for a in answers if a is not None and a.status in deliveries.RECEIPT_STATUS]
        if final:  # still "sent" at the provider: asked again an interval later
            await self._db(deliveries.store_receipts, final, self.clock())
        log.info("looked up %d deliveries whose receipt never came: %d now final", len(overdue), len(final))

    async def _housekeeping(self) -> None:
        while True:
            try:
                await self._db(deliveries.expire_due, self.clock())
                await self._db(deliveries.apply_stranded_receipts, self.clock())
                await self._look_up_lost_receipts()
                check = getattr(self.leases, "check", None)
                if check is not None:
                    await asyncio.to_thread(check)
            except Exception:
                log.exception("housekeeping failed; will try again")
            await asyncio.sleep(5.0)
