"""Voice calls benchmark: prints figures, never passes or fails.

A crisis broadcast through the whole path (outbox -> dispatcher -> the real twilio client -> the Twilio
voice simulator, `relay run --sandbox` as it starts) to people who each answer and listen. The simulator
enforces the account's calls per second (1 CPS: 429/20429 beyond it, with a 50 ms tolerance for timer
jitter) and fetches and checks each call's TwiML from the relay. Prints the achieved call rate against
the 1 CPS ceiling, from the simulator's own clock of accepted calls, and the limit violations it counted.

Usage: .venv/bin/python bench/voice_calls.py [--calls 60]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from channels.voice_spec import SANDBOX_CALLS_PER_SECOND  # noqa: E402
from relay.app.program import Program  # noqa: E402
from relay.app.settings import load_settings  # noqa: E402
from relay.core.models import Endpoint, Subscriber  # noqa: E402
from relay.delivery import outbox, reach  # noqa: E402
from relay.delivery.outbox import BroadcastRequest  # noqa: E402

BODY = "Cyclone warning: stay indoors from 16:00. Shelter at the school on Route 3."


def add_people(program: Program, count: int) -> None:
    with program.database.sessions.begin() as session:
        session.execute(insert(Subscriber), [{"id": i + 1, "language": "en", "timezone": "UTC"} for i in range(count)])
        session.execute(insert(Endpoint), [{"subscriber_id": i + 1, "channel": "voice", "address": f"+5093{7_000_000 + i}"}
                                           for i in range(count)])


async def run(calls: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, overrides={"data_dir": tmp, "http": {"port": 0},
                                                  "translation": {"engines": ["apertium"]}})
        program = Program(settings, sandbox=True, upgrade=True)
        await program.start()
        try:
            sim = program.simulators["voice"]
            add_people(program, calls)
            started = time.perf_counter()
            planned = await asyncio.to_thread(
                outbox.plan_broadcast, program.database.sessions,
                BroadcastRequest(kind="crisis", body=BODY, source_language="en", sender="bench"),
                senders={"voice": program.channels["voice"].senders()}, actor="bench")
            program.dispatcher.wake()
            while True:
                report = await program.database.run(reach.report, planned.id)
                if report.by_status.get("delivered", 0) + report.by_status.get("failed", 0) >= calls:
                    break
                await asyncio.sleep(0.2)
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
        finally:
            await program.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(run(args.calls))


if __name__ == "__main__":
    main()
