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

import asyncio
import json
import time
from datetime import datetime

from sandbox_fanout import add_people, sandbox_relay, send_crisis, until_final  # first: puts this tree on sys.path
from options import options

from channels.whatsapp_spec import SANDBOX_MESSAGES_PER_SECOND, SANDBOX_SENDER
from relay.core.channels import planned_senders
from relay.delivery import reach


def number(i: int) -> str:
    return f"+5093{7_000_000 + i}"


async def run(inside: int, outside: int) -> None:
    total = inside + outside
    async with sandbox_relay() as program:
        sim = program.simulators["whatsapp"]
        limit = program.channels["whatsapp"].conversations.limit
        add_people(program, total, "whatsapp", number)
        for i in range(inside):  # these people wrote to us: their windows are open
            await sim.inject_whatsapp(number(i), SANDBOX_SENDER, "any news?")
        started = time.perf_counter()
        planned = await send_crisis(program, planned_senders(program.settings))
        await until_final(program, planned.id, inside + min(outside, limit))
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


def main() -> None:
    args = options(__doc__, inside=200, outside=1050)
    asyncio.run(run(args.inside, args.outside))


if __name__ == "__main__":
    main()
