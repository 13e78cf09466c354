"""How fast the dispatcher may go: token buckets per sender and per recipient (a provider's published
limits, declared by its adapter), and the cap on deliveries claimed but not yet recorded."""

from __future__ import annotations

import asyncio

from aiolimiter import AsyncLimiter

from channels.base import Channel, SenderLimit


def bucket(limit: SenderLimit) -> AsyncLimiter:
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


class RecipientLimits:
    """The channel's own limit for one recipient, where it has one (Telegram: per chat, per group),
    shared by deliveries and by chat replies sent outside the outbox."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._limiters: dict[tuple[str, str], AsyncLimiter] = {}

    def for_recipient(self, channel: Channel, address: str) -> AsyncLimiter | None:
        limit_for = getattr(channel, "recipient_limit", None)
        if limit_for is None or not self.enabled:
            return None
        key = (channel.name, address)
        limiter = self._limiters.get(key)
        if limiter is None:
            limit = limit_for(address)
            if limit is None or limit.rate <= 0:
                return None
            if len(self._limiters) > 100_000:  # idle ones are full again anyway: forget them
                self._limiters.clear()
            limiter = self._limiters[key] = bucket(limit)
        return limiter

    async def pace(self, channel: Channel, address: str) -> None:
        """Wait for one message's turn to `address`."""
        limiter = self.for_recipient(channel, address)
        if limiter is not None:
            await limiter.acquire(1)
