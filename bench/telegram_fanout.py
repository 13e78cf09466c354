"""Telegram fan-out benchmark: prints figures, never passes or fails.

A 1,000-chat crisis broadcast through the whole path (outbox -> dispatcher -> real aiogram -> the Bot API
simulator) with the simulator enforcing Telegram's limits (30 messages/s per bot, 1/s per chat, 20/min
per group). Prints the achieved rate against the 30/s ceiling (from the simulator's own timestamps of
the messages it accepted) and the number of 429s it answered.

Usage: .venv/bin/python bench/telegram_fanout.py [--chats 1000]
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime

from sandbox_fanout import add_people, sandbox_relay, send_crisis, until_final  # first: puts this tree on sys.path
from options import options

from relay.core.channels import planned_senders

CEILING = 30.0


async def run(chats: int) -> None:
    async with sandbox_relay() as program:
        add_people(program, chats, "telegram", lambda i: str(900_000 + i))
        started = time.perf_counter()
        planned = await send_crisis(program, planned_senders(program.settings))
        report = await until_final(program, planned.id, chats)
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


def main() -> None:
    asyncio.run(run(options(__doc__, chats=1000).chats))


if __name__ == "__main__":
    main()
