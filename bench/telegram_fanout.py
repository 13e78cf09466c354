"""Telegram fan-out benchmark: prints figures, never passes or fails.

A 1,000-chat crisis broadcast through the whole path (outbox -> dispatcher -> real aiogram -> the Bot API
simulator) with the simulator enforcing Telegram's limits (30 messages/s per bot, 1/s per chat, 20/min
per group). Prints the achieved rate against the 30/s ceiling (from the simulator's own timestamps of
the messages it accepted) and the number of 429s it answered.

Usage: .venv/bin/python bench/telegram_fanout.py [--chats 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from relay.delivery import outbox, reach  # noqa: E402
from relay.core.channels import planned_senders  # noqa: E402
from relay.app.settings import load_settings  # noqa: E402
from relay.core.models import Endpoint, Subscriber  # noqa: E402
from relay.delivery.outbox import BroadcastRequest  # noqa: E402
from relay.app.program import Program  # noqa: E402

CEILING = 30.0
BODY = "Cyclone warning: stay indoors from 16:00. Shelter at the school on Route 3."


def add_chats(program: Program, count: int) -> None:
    with program.database.sessions.begin() as session:
        session.execute(insert(Subscriber), [{"id": i + 1, "language": "en", "timezone": "UTC"} for i in range(count)])
        session.execute(insert(Endpoint), [{"subscriber_id": i + 1, "channel": "telegram",
                                            "address": str(900_000 + i)} for i in range(count)])


async def run(chats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, overrides={"data_dir": tmp, "http": {"port": 0},
                                                  "translation": {"engines": ["apertium"]}})
        program = Program(settings, sandbox=True, upgrade=True)
        await program.start()
        try:
            add_chats(program, chats)
            started = time.perf_counter()
            planned = await asyncio.to_thread(
                outbox.plan_broadcast, program.database.sessions,
                BroadcastRequest(kind="crisis", body=BODY, source_language="en", sender="bench"),
                senders=planned_senders(program.settings), actor="bench")
            program.dispatcher.wake()
            while True:
                report = await program.database.run(reach.report, planned.id)
                if report.by_status.get("delivered", 0) + report.by_status.get("failed", 0) >= chats:
                    break
                await asyncio.sleep(0.2)
            wall = time.perf_counter() - started
            log = [json.loads(line) for line in program.simulators["telegram"].jsonl_path.read_text().splitlines()]
            stamps = sorted(datetime.fromisoformat(m["at"]) for m in log if m.get("op") == "send")
            span = (stamps[-1] - stamps[0]).total_seconds()
            achieved = (len(stamps) - 1) / span
            stats = program.simulators["telegram"].stats
            print(f"Telegram, {chats} private chats, limits on in the simulator and the relay:")
            print(f"  accepted by the simulator     {len(stamps)} (delivered {report.by_status.get('delivered', 0)},"
                  f" failed {report.by_status.get('failed', 0)})")
            print(f"  first to last accepted        {span:.2f} s (whole broadcast, planning included: {wall:.2f} s)")
            print(f"  achieved rate                 {achieved:.2f} msg/s; ceiling {CEILING:.0f} msg/s; "
                  f"ratio {achieved / CEILING:.3f}")
            print(f"  429s answered (rate limited)  {stats['rate_limited']}")
        finally:
            await program.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(run(args.chats))


if __name__ == "__main__":
    main()
