"""WhatsApp fan-out benchmark: prints figures, never passes or fails.

A crisis broadcast through the whole path (outbox -> dispatcher -> the real twilio client -> the Twilio
simulator's WhatsApp sender, `relay run --sandbox` as it starts) with the simulator enforcing WhatsApp's
rules: 80 messages/s per sender, free-form only inside the 24-hour window (63016 otherwise), Meta's
messaging limit of 1,000 unique people per 24 h (63018 beyond it). Some people wrote in first (inside the
window: the text), the rest get the template, and more of them than the limit allows (the dispatcher
holds the rest). Prints the achieved rate against the 80/s ceiling, from the simulator's own timestamps
of what it accepted, and every limit violation it counted.

Usage: .venv/bin/python bench/whatsapp_fanout.py [--inside 200] [--outside 1050]
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

from channels.whatsapp_spec import SANDBOX_MESSAGES_PER_SECOND, SANDBOX_SENDER  # noqa: E402
from relay.app.program import Program  # noqa: E402
from relay.app.settings import load_settings  # noqa: E402
from relay.core.channels import planned_senders  # noqa: E402
from relay.core.models import Endpoint, Subscriber  # noqa: E402
from relay.delivery import outbox, reach  # noqa: E402
from relay.delivery.outbox import BroadcastRequest  # noqa: E402

BODY = "Cyclone warning: stay indoors from 16:00. Shelter at the school on Route 3."


def number(i: int) -> str:
    return f"+5093{7_000_000 + i}"


def add_people(program: Program, count: int) -> None:
    with program.database.sessions.begin() as session:
        session.execute(insert(Subscriber), [{"id": i + 1, "language": "en", "timezone": "UTC"} for i in range(count)])
        session.execute(insert(Endpoint), [{"subscriber_id": i + 1, "channel": "whatsapp", "address": number(i)}
                                           for i in range(count)])


async def run(inside: int, outside: int) -> None:
    total = inside + outside
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, overrides={"data_dir": tmp, "http": {"port": 0},
                                                  "translation": {"engines": ["apertium"]}})
        program = Program(settings, sandbox=True, upgrade=True)
        await program.start()
        try:
            sim = program.simulators["whatsapp"]
            limit = program.channels["whatsapp"].conversations.limit
            add_people(program, total)
            for i in range(inside):  # these people wrote to us: their windows are open
                await sim.inject_whatsapp(number(i), SANDBOX_SENDER, "any news?")
            started = time.perf_counter()
            planned = await asyncio.to_thread(
                outbox.plan_broadcast, program.database.sessions,
                BroadcastRequest(kind="crisis", body=BODY, source_language="en", sender="bench"),
                senders=planned_senders(program.settings), actor="bench")
            program.dispatcher.wake()
            reachable = inside + min(outside, limit)
            while True:
                report = await program.database.run(reach.report, planned.id)
                if report.by_status.get("delivered", 0) + report.by_status.get("failed", 0) >= reachable:
                    break
                await asyncio.sleep(0.2)
            wall = time.perf_counter() - started
            await asyncio.sleep(1.0)  # anything the dispatcher would still (wrongly) send
            report = await program.database.run(reach.report, planned.id)
            log = [json.loads(line) for line in sim.jsonl_path.read_text().splitlines()]
            sent = [m for m in log if m["direction"] == "outbound-api"]
            stamps = sorted(datetime.fromisoformat(m["at"]) for m in sent)
            span = (stamps[-1] - stamps[0]).total_seconds()
            achieved = (len(stamps) - 1) / span
            stats = sim.stats
            seconds = [(t - stamps[0]).total_seconds() for t in stamps]
            busiest, first = 0, 0
            for last, at in enumerate(seconds):  # the most accepted in any one second (sliding)
                while at - seconds[first] >= 1.0:
                    first += 1
                busiest = max(busiest, last - first + 1)
            print(f"WhatsApp, one sender, {inside} people inside their 24-hour window and {outside} outside it "
                  f"(messaging limit {limit}):")
            print(f"  accepted by the simulator     {len(sent)} ({stats['free_form']} free-form, "
                  f"{stats['templates']} templates); delivered {report.by_status.get('delivered', 0)}, "
                  f"held for the limit {report.by_status.get('pending', 0)}, failed {report.by_status.get('failed', 0)}")
            print(f"  first to last accepted        {span:.2f} s (planning included: {wall:.2f} s)")
            print(f"  achieved rate                 {achieved:.2f} msg/s; ceiling {SANDBOX_MESSAGES_PER_SECOND:.0f} "
                  f"msg/s; utilisation {achieved / SANDBOX_MESSAGES_PER_SECOND:.3f}")
            print(f"  most accepted in any 1 s      {busiest} (the ceiling and the burst of "
                  f"{program.settings.whatsapp.burst:.0f} after a pause)")
            print(f"  limit violations              throughput (429/63018) {stats['rate_limited']}, "
                  f"messaging limit (63018) {stats['tier_violations']}, window (63016) {stats['window_violations']}")
        finally:
            await program.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inside", type=int, default=200)
    parser.add_argument("--outside", type=int, default=1050)
    args = parser.parse_args()
    asyncio.run(run(args.inside, args.outside))


if __name__ == "__main__":
    main()
