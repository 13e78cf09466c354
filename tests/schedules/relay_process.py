"""A whole relay process for the kill -9 test: the Twilio simulator, the dispatcher and the scheduled
sends' runner, all on the clock kept in a file the test moves (`clock_file`: one ISO 8601 instant).
Prints "ready" once the runner holds its lease."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

from relay.app.program import Program
from relay.app.settings import load_settings
from relay.schedules.service import ScheduleService

NUMBER = "+12015550100"


def settings_for(data_dir: str):
    return load_settings(None, overrides={
        "data_dir": data_dir, "http": {"port": 0},
        "sandbox": {"sms_numbers": [NUMBER], "segments_per_second": 0.0},
        "schedules": {"tick_seconds": 0.2},
        "translation": {"engines": ["apertium"]},
    })


async def main(data_dir: str, clock_file: str) -> None:
    path = Path(clock_file)

    def clock() -> datetime:
        return datetime.fromisoformat(path.read_text().strip())

    settings = settings_for(data_dir)
    program = Program(settings, sandbox=True, upgrade=True, clock=clock)
    service = ScheduleService(settings, clock=clock, translate=False)
    program.services = [service]
    await program.start()
    await service.leader.wait()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
