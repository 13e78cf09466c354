"""The alerts scheduler in `relay run`: APScheduler 3 (`AsyncIOScheduler`) with its job kept in the
relay's database (`SQLAlchemyJobStore`, table `apscheduler_jobs`), running one job, the tick, which
fires whatever alerts/ owes at that moment (`alerts.tick.run_due`).

Why one tick job rather than one APScheduler job per reminder: what is owed is derived from the rows
(crises, milestones, sessions) and the once-only guard (`alert_firings`), so a restart, a deadline
moved, a milestone done or a session cancelled needs no job to be found and edited, and nothing can go
out twice. APScheduler brings the persistent, coalescing, misfire-aware timer: after downtime the tick
runs once on start (coalesced, within `scheduler.grace`), and each event that fell due meanwhile fires
once, or is recorded missed when it is later than its grace.

One process at a time: the service first takes the lease "alerts.scheduler" (relay/core/leases.py: a flock
beside the SQLite database, a PostgreSQL advisory lock), and only its holder starts APScheduler. If the
holder dies the lock is released by the OS or the database, and a waiting process takes over. Even two
holders could not send twice: each event's `alert_firings` row is inserted in the transaction that plans
its broadcast.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Callable

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from alerts.config import alerts_settings
from alerts.models import APSCHEDULER_TABLE
from alerts.sending import Sender
from alerts.tick import TickResult, run_due
from relay import Settings
from relay import leases_for

log = logging.getLogger("alerts.scheduler")

LEASE_KEY = "alerts.scheduler"
JOB_ID = "alerts.tick"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


_RUNNING: dict[str, "AlertsScheduler"] = {}  # the job is stored by reference; it finds its service here


async def tick_job() -> None:
    """The stored job: a module-level function without arguments (APScheduler pickles a reference)."""
    service = _RUNNING.get("service")
    if service is not None:
        await service.tick()


class AlertsScheduler:
    name = "alerts"

    def __init__(self, settings: Settings, clock: Clock = utc_now) -> None:
        self.cfg = alerts_settings(settings)  # a bad [alerts] section stops `relay run` at once
        self.clock = clock
        self.scheduler: AsyncIOScheduler | None = None
        self.ticks = 0
        self.last: TickResult | None = None
        self._task: asyncio.Task | None = None
        self._leases = None
        self.leader = asyncio.Event()
        self._busy = asyncio.Lock()  # a stop waits for the tick in progress (it holds a transaction)

    async def start(self, program) -> None:
        self.sender = Sender(program.settings, program.database.sessions)
        self.engine = program.database.engine
        self._leases = leases_for(self.engine, program.settings.data_dir)
        _RUNNING["service"] = self
        self._task = asyncio.get_running_loop().create_task(self._lead(), name="alerts-scheduler")
        self._task.add_done_callback(self._report)

    def _report(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("alerts scheduler stopped: %r", task.exception())

    async def _lead(self) -> None:
        await self._leases.acquire(LEASE_KEY)
        grace = int(self.cfg.scheduler.grace_time().total_seconds())
        scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine, tablename=APSCHEDULER_TABLE)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
            timezone=timezone.utc,
        )
        scheduler.start(paused=True)
        self.scheduler = scheduler
        every = timedelta(seconds=self.cfg.scheduler.tick_seconds())
        job = scheduler.get_job(JOB_ID)
        if job is None or getattr(job.trigger, "interval", None) != every:
            scheduler.add_job("alerts.scheduler:tick_job", IntervalTrigger(seconds=every.total_seconds()),
                              id=JOB_ID, replace_existing=True, next_run_time=utc_now())
        scheduler.resume()  # a stored tick that fell due while we were down runs now, once
        self.leader.set()
        log.info("alerts scheduler leading (tick every %s)", every)

    async def tick(self) -> TickResult:
        async with self._busy:
            result = await asyncio.to_thread(run_due, self.sender, self.cfg, self.clock())
        self.ticks += 1
        self.last = result
        if result.sent or result.missed:
            log.info("alerts: sent %s; missed %s", result.sent, result.missed)
        return result

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        try:
            await asyncio.wait_for(self._busy.acquire(), timeout=10)
            self._busy.release()
        except asyncio.TimeoutError:
            log.warning("a tick was still running at stop; its open transaction rolls back")
        if _RUNNING.get("service") is self:
            _RUNNING.pop("service")
        if self._leases is not None:
            self._leases.release_all()


def build_service(settings: Settings) -> AlertsScheduler:
    """For alerts/feature.py (the alerts' commands are installed by the app from its Feature list)."""
    return AlertsScheduler(settings)
