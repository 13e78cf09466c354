"""The timed work of relay networks, polls and failover in `relay run`: escalation of silent relays,
re-asking poll non-responders, carrying failed deliveries to the next channel.

Each job is a function of (session, now) that lives in its own module and is tested with a controlled
clock; this service only calls them at their intervals, in one process at a time (a lease, the same
kind the dispatcher takes per sender: an flock on SQLite, an advisory lock on PostgreSQL), and wakes the
dispatcher when a job queued something.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from sqlalchemy.orm import Session

from relay.core.channels import planned_senders
from relay.core.config import Settings
from relay.core.leases import leases_for
from relay.core.tasks import TaskSet

if TYPE_CHECKING:
    from relay.app.program import Program

log = logging.getLogger("relay.networks.service")

LEASE = "service:relay-network"


@dataclass
class Job:
    name: str
    interval: float
    run: Callable[[Session, datetime], list]
    next_at: float = 0.0


@dataclass
class NetworkService:
    settings: Settings
    name: str = "relay-network"
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    jobs: list[Job] = field(default_factory=list)
    _tasks: TaskSet = field(default_factory=TaskSet)

    async def start(self, program: "Program") -> None:
        from relay.networks import escalation, failover, poll_reask

        settings = program.settings  # after the sandbox filled in its channels
        senders = planned_senders(settings)
        self.jobs = [
            Job("escalation", settings.network.check_seconds,
                lambda s, now: escalation.escalate_due(s, now, settings.network, senders)),
            Job("poll-reask", settings.polls.check_seconds,
                lambda s, now: poll_reask.reask_due(s, now, settings.polls.reask_minutes, senders)),
            Job("failover", settings.failover.check_seconds,
                lambda s, now: failover.fail_over_due(s, now, senders,
                                                      unread_minutes=settings.failover.unread_minutes)),
        ]
        self._leases = leases_for(program.database.engine, settings.data_dir)
        self._tasks.spawn(self._loop(program), name=self.name)

    async def _loop(self, program: "Program") -> None:
        while True:
            try:
                if not self._leases.held(LEASE):
                    await self._leases.acquire(LEASE)
                for job in self.jobs:
                    if time.monotonic() >= job.next_at:
                        job.next_at = time.monotonic() + job.interval
                        done = await program.database.run(job.run, self.clock())
                        if done and program.dispatcher is not None:
                            log.info("%s: %d done", job.name, len(done))
                            program.dispatcher.wake()
            except asyncio.CancelledError:
                raise
            except Exception:  # one failed round must not stop escalation for good
                log.exception("relay-network round failed; trying again")
            await asyncio.sleep(min([j.interval for j in self.jobs] + [1.0]))

    async def stop(self) -> None:
        await self._tasks.cancel_all()
        if getattr(self, "_leases", None) is not None:
            self._leases.release_all()


def build(settings: Settings) -> NetworkService:
    """The assembly's builder (relay/app/features.py)."""
    return NetworkService(settings)
