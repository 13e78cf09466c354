"""Runs a relay with the console sink added to the channel registry, imports subscribers from a CSV
with its `console` column, sends a crisis broadcast, and prints the delivery report as JSON."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # a test-only channel package beside this script

from channels import registry  # noqa: E402
from extra_channels import console_sink  # noqa: E402

registry.SPECS = (*registry.SPECS, console_sink.SPEC)  # the one line a new channel adds to the registry

from relay.app import modes  # noqa: E402  (the configuration composes its sections from the registry)
from relay.app.settings import load_settings  # noqa: E402
from relay.core import subscribers  # noqa: E402
from relay.core.channels import planned_senders  # noqa: E402
from relay.delivery import outbox, reach  # noqa: E402
from relay.delivery.outbox import BroadcastRequest  # noqa: E402


async def main(where: Path) -> dict:
    settings = load_settings(None, overrides={
        "data_dir": str(where / "data"), "http": {"port": 0},
        "sandbox": {"sms_numbers": ["+12015550100"], "segments_per_second": 0},
        "console_sink": {"path": str(where / "sink.jsonl")},
    })
    program = modes.build("run", settings, sandbox=True, upgrade=True)
    await program.start()
    try:
        rows = "name,phone,console,language\nAna,,ops-room,en\nBen,+12015550111,,en\nNil,,nobody,en\n"
        with program.database.sessions.begin() as session:
            imported = subscribers.import_csv(session, io.StringIO(rows), actor="t", default_region=None,
                                              default_timezone="UTC")
        planned = await asyncio.to_thread(outbox.plan_broadcast, program.database.sessions, BroadcastRequest(
            kind="crisis", body="Flood warning: move to higher ground now.", source_language="en", sender="t"),
            senders=planned_senders(program.settings), actor="t")
        program.dispatcher.wake()
        for _ in range(600):
            report = await program.database.run(reach.report, planned.id)
            if not any(report.by_status.get(s, 0) for s in ("pending", "sending", "sent")):
                break
            await asyncio.sleep(0.1)
        bad = subscribers.import_csv  # a bad console address is refused with the channel's own rule
        with program.database.sessions.begin() as session:
            refused = bad(session, io.StringIO("name,console,language\nX,Not A Name!,en\n"), actor="t",
                          default_region=None, default_timezone="UTC")
        return {"errors": [str(e) for e in imported.errors], "by_channel": report.by_channel,
                "refused": [str(e) for e in refused.errors]}
    finally:
        await program.stop()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(Path(sys.argv[1])))))
