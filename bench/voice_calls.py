"""Voice calls benchmark: prints figures, never passes or fails.

A crisis broadcast through the whole path (outbox -> dispatcher -> the real twilio client -> the Twilio
voice simulator, `relay run --sandbox` as it starts) to people who each answer and listen. The simulator
enforces the account's calls per second (1 CPS: 429/20429 beyond it, with a 50 ms tolerance for timer
jitter) and fetches and checks each call's TwiML from the relay. Prints the achieved call rate against
the 1 CPS ceiling, from the simulator's own clock of accepted calls, and the limit violations it counted.

Usage: .venv/bin/python bench/voice_calls.py [--calls 60]
"""

from __future__ import annotations

import asyncio
import time

from sandbox_fanout import add_people, sandbox_relay, send_crisis, until_final  # first: puts this tree on sys.path
from options import options

from channels.voice_spec import SANDBOX_CALLS_PER_SECOND

async def run(calls: int) -> None:
    async with sandbox_relay() as program:
        sim = program.simulators["voice"]
        add_people(program, calls, "voice", lambda i: f"+5093{7_000_000 + i}")
        started = time.perf_counter()
        planned = await send_crisis(program, {"voice": program.channels["voice"].senders()})
        report = await until_final(program, planned.id, calls)
        wall = time.perf_counter() - started
        stamps = sorted(sim.created_at)
        span = stamps[-1] - stamps[0]
        achieved = (len(stamps) - 1) / span
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        stats = sim.stats
        print(f"Voice calls, one number, {calls} people who answer (account limit "
              f"{SANDBOX_CALLS_PER_SECOND:g} call/s):")
        print(f"  calls accepted by the simulator  {stats['accepted']}; delivered {report.by_status.get('delivered', 0)}, "
              f"failed {report.by_status.get('failed', 0)}")
        print(f"  first to last call created       {span:.2f} s (planning and the last call included: {wall:.2f} s)")
        print(f"  achieved rate                    {achieved:.3f} calls/s; ceiling {SANDBOX_CALLS_PER_SECOND:g}; "
              f"utilisation {achieved / SANDBOX_CALLS_PER_SECOND:.3f}")
        print(f"  gap between calls                min {min(gaps):.3f} s, max {max(gaps):.3f} s")
        print(f"  limit violations                 CPS (429/20429) {stats['rate_limited']}; TwiML refused "
              f"{stats['twiml_invalid']}; TwiML fetched {stats['twiml_fetched']}")


def main() -> None:
    asyncio.run(run(options(__doc__, calls=60).calls))


if __name__ == "__main__":
    main()
