"""WhatsApp's two rules the adapter keeps, as small clock-driven objects (no twilio here):

- the 24-hour customer-service window: free-form text only within 24 h of the person's last message;
- the messaging limit: so many unique people per rolling 24 h may be sent a template (a business-initiated
  conversation); the same person again within 24 h opens nothing new.

The window is read from the relay's own record of inbound messages (`last_inbound`, given by the relay);
a cached answer can only be older than the truth, so a cache says "inside" only when it is.
The conversations are kept in the relay's database under the channel's state (`put`), restored at start;
they are written just after the send is let through, by one owned task, so a crash forgets at most the
last few (a second's worth), which then count again only if the same people are sent a template.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone

from channels.base import QuotaExhausted

LastInbound = Callable[[Sequence[str]], Awaitable[Mapping[str, datetime]]]
Put = Callable[[str, str], Awaitable[None]]
DAY = timedelta(hours=24)
log = logging.getLogger("channels.whatsapp")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Windows:
    """Whether a person is inside their 24-hour window now, from when they last wrote to us."""

    def __init__(self, last_inbound: LastInbound | None, *, hours: float = 24.0, margin_seconds: float = 300.0,
                 recheck_seconds: float = 30.0, clock: Callable[[], datetime] = utcnow) -> None:
        self._lookup = last_inbound
        self._length = timedelta(hours=hours) - timedelta(seconds=margin_seconds)
        self._recheck = timedelta(seconds=recheck_seconds)
        self._clock = clock
        self._seen: dict[str, datetime] = {}  # address -> last inbound known
        self._asked: dict[str, datetime] = {}  # address -> when the relay was last asked (answer: outside)

    def saw(self, address: str, at: datetime) -> None:
        """A message from `address` at `at` (the adapter's own inbound, in this process)."""
        if at > self._seen.get(address, at - DAY * 365):
            self._seen[address] = at

    async def open(self, address: str) -> bool:
        now = self._clock()
        seen = self._seen.get(address)
        if seen is not None and now - seen < self._length:
            return True
        asked = self._asked.get(address)
        if self._lookup is None or (asked is not None and now - asked < self._recheck):
            return False
        found = (await self._lookup([address])).get(address)
        if len(self._asked) > 200_000:  # a fan-out's worth; older answers are re-asked anyway
            self._asked.clear()
        self._asked[address] = now
        if found is not None:
            self.saw(address, found)
        return found is not None and now - found < self._length


class Conversations:
    """Meta's messaging limit over a rolling 24 h: unique people sent a template, across the senders."""

    def __init__(self, limit: int, opened: Mapping[str, str] | None = None, put: Put | None = None, *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.limit = limit  # 0: unlimited
        self._put = put
        self._clock = clock
        now = clock()
        self._open: dict[str, datetime] = {}
        for address, at in (opened or {}).items():
            try:
                when = datetime.fromisoformat(at)
            except ValueError:
                continue
            if now - when < DAY:
                self._open[address] = when
        self._expiry = [(when, address) for address, when in self._open.items()]
        heapq.heapify(self._expiry)
        self._unsaved: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    @property
    def count(self) -> int:
        self._expire(self._clock())
        return len(self._open)

    def _expire(self, now: datetime) -> None:
        while self._expiry and now - self._expiry[0][0] >= DAY:
            when, address = heapq.heappop(self._expiry)
            if self._open.get(address) == when:
                del self._open[address]

    async def admit(self, address: str) -> None:
        """Count a template to `address`, or raise `QuotaExhausted` (nothing is sent) until one frees."""
        now = self._clock()
        self._expire(now)
        if address in self._open:
            return
        if self.limit and len(self._open) >= self.limit:
            wait = (self._expiry[0][0] + DAY - now).total_seconds()
            raise QuotaExhausted(f"WhatsApp messaging limit reached: {self.limit} people in 24 h",
                                 retry_after=max(1.0, wait), code="63018")
        self._open[address] = now
        heapq.heappush(self._expiry, (now, address))
        if self._put is not None:
            # Written by a task of its own, in order, off the send's path: a database write before each
            # send would jitter the pacing at 80 msg/s. A crash can forget the last few (see `close`).
            self._unsaved.put_nowait((address, now.isoformat()))
            if self._writer is None:
                self._writer = asyncio.get_running_loop().create_task(self._write(), name="whatsapp-conversations")

    async def _write(self) -> None:
        assert self._put is not None
        while True:
            address, at = await self._unsaved.get()
            try:
                await self._put(address, at)
            except Exception:  # the count in memory still holds; a restart may forget this one person
                log.exception("could not keep the WhatsApp conversation with %s", address)
            finally:
                self._unsaved.task_done()

    async def close(self, timeout: float = 5.0) -> None:
        """Write what is still unsaved (within `timeout`), then stop the writer."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._unsaved.join(), timeout)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
