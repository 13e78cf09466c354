"""What runs the retention purge in `relay run` / `relay worker`: one process at a time holds the lease
"privacy.retention" (relay/core/leases.py: released the moment its holder dies, even by `kill -9`) and
purges every `[retention] interval_minutes`. Nothing is kept in memory: each pass asks the tables what
is older than the cutoffs, so a pass cut short is finished by the next one. Not built when retention
is off."""

from __future__ import annotations

import asyncio
import logging

from relay.core.leased_loop import Clock, LeasedLoop, utc_now
from relay.privacy import purge
from relay.privacy.settings import RetentionSettings, retention_settings

LEASE_KEY = "privacy.retention"


class RetentionService(LeasedLoop):
    name = "retention"
    lease_key = LEASE_KEY
    log = logging.getLogger("relay.privacy")

    def __init__(self, cfg: RetentionSettings, clock: Clock = utc_now) -> None:
        super().__init__(clock)
        self.cfg = cfg
        self.last: dict[str, int] | None = None

    def interval_seconds(self) -> float:
        return self.cfg.interval_minutes * 60

    def leading(self) -> str:
        return f"retention: this process purges (every {self.cfg.interval_minutes:g} min)"

    async def run_pass(self) -> None:
        try:
            self.last = await asyncio.to_thread(purge.purge, self.database.sessions, self.cfg, self.clock(),
                                                actor="retention")
        except Exception:  # a failed pass (the database away) is retried at the next interval
            self.log.exception("retention: a purge pass failed; retrying in %s min", self.cfg.interval_minutes)
        else:
            if any(self.last.values()):
                self.log.info("retention: purged %s", self.last)


def build(settings) -> RetentionService | None:
    cfg = retention_settings(settings)
    return RetentionService(cfg) if cfg.enabled else None
