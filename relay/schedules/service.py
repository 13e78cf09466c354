"""What runs scheduled sends in `relay run` / `relay worker`: one process at a time holds the lease
"schedules.runner" (relay/core/leases.py: a flock beside SQLite, an advisory lock on PostgreSQL, both
released the moment the holder dies, even by `kill -9`), and passes over the due rows every
`tick_seconds`. Nothing is kept in memory: after a restart the next pass finds what is owed in the
tables, and the `scheduled_sends` key keeps even two runners from sending a zone twice."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Callable

from relay.core.leases import leases_for
from relay.schedules.runner import RunResult, run_due
from relay.schedules.settings import schedule_settings

log = logging.getLogger("relay.schedules")

LEASE_KEY = "schedules.runner"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ScheduleService:
    name = "schedules"

    def __init__(self, settings, clock: Clock = utc_now, *, translate: bool = True) -> None:
        self.settings = settings
        self.cfg = schedule_settings(settings)
        self.clock = clock
        self.translate = translate
        self.passes = 0
        self.last: RunResult | None = None
        self.leader = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._leases = None

    async def start(self, program) -> None:
        self.database = program.database
        self._wake = getattr(program, "inbound_extras", {}).get("wake_dispatcher")
        self._leases = leases_for(program.database.engine, program.settings.data_dir)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="schedules")
        self._task.add_done_callback(self._report)

    def _report(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("scheduled sends stopped: %r", task.exception())

    async def _run(self) -> None:
        await self._leases.acquire(LEASE_KEY)
        self.leader.set()
        log.info("scheduled sends: this process runs them (every %ss)", self.cfg.tick_seconds)
        while True:
            result = await asyncio.to_thread(run_due, self.database.sessions, self.settings, self.clock(),
                                             translate=self.translate)
            self.passes += 1
            self.last = result
            if result.sent or result.missed:
                log.info("scheduled sends: sent %s; missed %s", result.sent, result.missed)
                if result.sent and self._wake is not None:
                    await self._wake()
            await asyncio.sleep(self.cfg.tick_seconds)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self._leases is not None:
            self._leases.release_all()


def build(settings) -> ScheduleService:
    return ScheduleService(settings)
