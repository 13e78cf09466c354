"""What runs the retention purge in `relay run` / `relay worker`: one process at a time holds the lease
"privacy.retention" (relay/core/leases.py: released the moment its holder dies, even by `kill -9`) and
purges every `[retention] interval_minutes`. Nothing is kept in memory: each pass asks the tables what
is older than the cutoffs, so a pass cut short is finished by the next one. Not built when retention
is off."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Callable

from relay.core.leases import leases_for
from relay.privacy import purge
from relay.privacy.settings import RetentionSettings, retention_settings

log = logging.getLogger("relay.privacy")

LEASE_KEY = "privacy.retention"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class RetentionService:
    name = "retention"

    def __init__(self, cfg: RetentionSettings, clock: Clock = utc_now) -> None:
        self.cfg = cfg
        self.clock = clock
        self.passes = 0
        self.last: dict[str, int] | None = None
        self.leader = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._leases = None

    async def start(self, program) -> None:
        self.database = program.database
        self._leases = leases_for(program.database.engine, program.settings.data_dir)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="retention")
        self._task.add_done_callback(self._report)

    def _report(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the retention purge stopped: %r", task.exception())

    async def _run(self) -> None:
        await self._leases.acquire(LEASE_KEY)
        self.leader.set()
        log.info("retention: this process purges (every %s min)", self.cfg.interval_minutes)
        while True:
            try:
                self.last = await asyncio.to_thread(purge.purge, self.database.sessions, self.cfg, self.clock(),
                                                    actor="retention")
            except Exception:  # a failed pass (the database away) is retried at the next interval
                log.exception("retention: a purge pass failed; retrying in %s min", self.cfg.interval_minutes)
            else:
                if any(self.last.values()):
                    log.info("retention: purged %s", self.last)
            self.passes += 1
            await asyncio.sleep(self.cfg.interval_minutes * 60)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self._leases is not None:
            self._leases.release_all()


def build(settings) -> RetentionService | None:
    cfg = retention_settings(settings)
    return RetentionService(cfg) if cfg.enabled else None
