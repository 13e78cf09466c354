"""The integrity service in `relay run`: hands released messages to their relaying feature.

Moderators often decide from the CLI, a process where no bridge runs; the decision is committed with
`release_pending` set, and this loop, in the process where the bridge registered its release handler,
relays them. A crash between the two leaves the flag pending: it is handed over after the restart.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from relay.integrity.moderation import release_pending

if TYPE_CHECKING:
    from relay.core.config import Settings
    from relay.app.program import Program

log = logging.getLogger("relay.integrity")

POLL_SECONDS = 2.0


class ReleaseService:
    name = "integrity"

    def __init__(self, settings: "Settings", poll_seconds: float = POLL_SECONDS) -> None:
        self.settings, self.poll_seconds = settings, poll_seconds
        self._task: asyncio.Task | None = None

    async def start(self, program: "Program") -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(program), name="integrity-release")

    async def _loop(self, program: "Program") -> None:
        while True:
            try:
                released = await program.database.run(release_pending, self.settings)
                if released:
                    log.info("relayed %d message(s) released by moderators", released)
                    if program.dispatcher is not None:
                        program.dispatcher.wake()
            except Exception:  # one bad round must not end the loop: log it and try again
                log.exception("handing over released messages failed")
            await asyncio.sleep(self.poll_seconds)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def build(settings: "Settings") -> ReleaseService | None:
    return ReleaseService(settings) if settings.integrity.enabled else None
