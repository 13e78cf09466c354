"""What runs scheduled sends in `relay run` / `relay worker`: one process at a time holds the lease
"schedules.runner" (relay/core/leases.py: a flock beside SQLite, an advisory lock on PostgreSQL, both
released the moment the holder dies, even by `kill -9`), and passes over the due rows every
`tick_seconds`. Nothing is kept in memory: after a restart the next pass finds what is owed in the
tables, and the `scheduled_sends` key keeps even two runners from sending a zone twice."""

from __future__ import annotations

import asyncio
import logging

from relay.core.leased_loop import Clock, LeasedLoop, utc_now
from relay.schedules.runner import RunResult, run_due
from relay.schedules.settings import schedule_settings

LEASE_KEY = "schedules.runner"


class ScheduleService(LeasedLoop):
    name = "schedules"
    lease_key = LEASE_KEY
    log = logging.getLogger("relay.schedules")

    def __init__(self, settings, clock: Clock = utc_now, *, translate: bool = True) -> None:
        super().__init__(clock)
        self.settings = settings
        self.cfg = schedule_settings(settings)
        self.translate = translate
        self.last: RunResult | None = None
        self._wake = None

    def prepare(self, program) -> None:
        self._wake = getattr(program, "inbound_extras", {}).get("wake_dispatcher")

    def interval_seconds(self) -> float:
        return self.cfg.tick_seconds

    def leading(self) -> str:
        return f"scheduled sends: this process runs them (every {self.cfg.tick_seconds:g}s)"

    async def run_pass(self) -> None:
        try:
            result = await asyncio.to_thread(run_due, self.database.sessions, self.settings, self.clock(),
                                             translate=self.translate)
        except Exception:  # a failed pass (the database away) changed nothing: the next tick tries again
            self.log.exception("scheduled sends: a pass failed; trying again in %ss", self.cfg.tick_seconds)
            return
        self.last = result
        if result.sent or result.missed:
            self.log.info("scheduled sends: sent %s; missed %s", result.sent, result.missed)
            if result.sent and self._wake is not None:
                await self._wake()


def build(settings) -> ScheduleService:
    return ScheduleService(settings)
