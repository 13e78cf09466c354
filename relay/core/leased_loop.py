"""A background service that one process at a time runs, on a fixed interval, under a lease.

Scheduled sends and the retention purge (and any later periodic job) are the same shape: take the lease
(relay/core/leases.py: a flock beside SQLite, an advisory lock on PostgreSQL, released the moment the
holder dies, even by `kill -9`), then pass over the tables every N seconds. Each pass reads what is owed
from the database, so nothing is lost with the process; the task is owned and its death is logged (a
periodic job that dies silently is a lost alert or a purge never run).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any, Callable

from relay.core.leases import leases_for

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class LeasedLoop:
    """Subclasses set `name` and `lease_key`, and define `interval_seconds` and `run_pass` (which records
    what it did in `self.last`); `prepare` may read more of the program at start."""

    name = "leased-loop"
    lease_key = ""
    log = logging.getLogger("relay")

    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock
        self.passes = 0
        self.last: Any = None
        self.leader = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._leases = None

    def interval_seconds(self) -> float:
        raise NotImplementedError

    async def run_pass(self) -> None:
        raise NotImplementedError

    def prepare(self, program) -> None:
        """What else of the running program a pass needs (nothing by default)."""

    def leading(self) -> str:
        """The log line once this process holds the lease."""
        return f"{self.name}: this process runs it (every {self.interval_seconds():g} s)"

    async def start(self, program) -> None:
        self.database = program.database
        self.prepare(program)
        self._leases = leases_for(program.database.engine, program.settings.data_dir)
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)
        self._task.add_done_callback(self._report)

    def _report(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.log.error("%s stopped: %r", self.name, task.exception())

    async def _run(self) -> None:
        await self._leases.acquire(self.lease_key)
        self.leader.set()
        self.log.info(self.leading())
        while True:
            await self.run_pass()
            self.passes += 1
            await asyncio.sleep(self.interval_seconds())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self._leases is not None:
            self._leases.release_all()
