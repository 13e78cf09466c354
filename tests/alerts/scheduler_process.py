"""A relay process's alerts scheduler alone (for the cross-process test): leads if it can, says so."""

from __future__ import annotations

import asyncio
import sys
from types import SimpleNamespace

from alerts.scheduler import AlertsScheduler
from relay.app.settings import load_settings
from relay.core.db import Database


async def main(url: str, data_dir: str) -> None:
    settings = load_settings(None, overrides={"data_dir": data_dir, "database_url": url})
    database = Database.open(settings)
    service = AlertsScheduler(settings)
    await service.start(SimpleNamespace(settings=settings, database=database))
    await service.leader.wait()
    print("leading", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
