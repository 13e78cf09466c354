"""Which senders this dispatcher drives when several share one database: a heartbeat counts the live
dispatchers, each takes at most its fair share of sender leases (relay/delivery/fair_share.py), so
workers split the senders instead of the first one taking them all."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable, Sequence

from relay.core.config import DispatcherSettings
from relay.core.db import Database
from relay.core.leases import SenderLeases
from relay.delivery import fair_share

log = logging.getLogger("relay.delivery.dispatcher")


class SenderShare:
    def __init__(self, database: Database, leases: SenderLeases, settings: DispatcherSettings,
                 sender_keys: Sequence[str], worker_id: str, clock: Callable) -> None:
        self.database = database
        self.leases = leases
        self.settings = settings
        self.sender_keys = list(sender_keys)
        self.worker_id = worker_id
        self.clock = clock
        self.share = len(self.sender_keys)  # until the heartbeat has counted the other dispatchers
        self._known = asyncio.Event()
        self._lock = asyncio.Lock()

    async def take(self, key: str) -> None:
        """Wait until this process is below its fair share of senders and the lease is free, then take it."""
        await self._known.wait()
        while True:
            async with self._lock:
                held = sum(1 for k in self.sender_keys if self.leases.held(k))
                if held < self.share and await self.leases.try_acquire(key):
                    return
            await asyncio.sleep(self.settings.idle_poll_seconds * 4)

    async def heartbeat(self) -> None:
        """Count the live dispatchers; the first count waits `settle` so that workers started together
        see each other before any of them takes a lease."""
        settle = self.settings.share_settle_seconds if self.database.engine.dialect.name != "sqlite" else 0.0
        first = True
        while True:
            try:
                live = await self.database.run(fair_share.beat, self.worker_id, self.clock())
                if first and settle:
                    await asyncio.sleep(settle)
                    live = await self.database.run(fair_share.beat, self.worker_id, self.clock())
                self.share = fair_share.share(len(self.sender_keys), live)
            except Exception:
                log.exception("heartbeat failed; the share stays %d", self.share)
            first = False
            self._known.set()
            await asyncio.sleep(2.0)

    async def leave(self) -> None:
        try:
            await self.database.run(fair_share.leave, self.worker_id)
        except Exception:  # its heartbeat goes stale instead
            log.warning("could not remove this dispatcher's heartbeat")
