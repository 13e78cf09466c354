"""A provider outage in the middle of a broadcast (the Twilio simulator's fault injection: connection
refused, then 503s, then requests that hang): every delivery is retried with backoff and delivered after
the outage ends, and the attempts stay bounded by the backoff schedule (no retry storm). Fast form: a
6-second outage; long form (`make soak`): 60 seconds."""

from __future__ import annotations

import asyncio
import io
import json
import math

from sqlalchemy import func, select

from channels.sandbox.twilio_limits import Outage
from channels.sandbox.twilio_sim import TwilioSimSettings, TwilioSimulator
from relay.delivery import outbox, reach
from relay.core import subscribers
from relay.app.settings import load_settings
from relay.core.db import Database
from relay.core.models import Delivery
from relay.delivery.outbox import BroadcastRequest
from relay.app.program import Program
from tests.e2e.conftest import free_port
from tests.reliability.conftest import soak
from tests.relay.conftest import wait_for

ACCOUNT, TOKEN = "AC" + "5a" * 16, "o" * 32
NUMBERS = ["+12015550300", "+12015550301"]
BACKOFF_INITIAL, BACKOFF_MAX = 0.5, 4.0


async def test_an_outage_is_waited_out_and_everyone_is_reached(tmp_path):
    length = soak(6.0, 60.0)
    start = 4.0  # seconds after the simulator starts; the relay starts sending about 1-2 s in
    third = length / 3
    outages = [Outage(start_s=start, end_s=start + third, mode="refuse"),
               Outage(start_s=start + third, end_s=start + 2 * third, mode="503"),
               Outage(start_s=start + 2 * third, end_s=start + length, mode="timeout")]
    recipients = soak(300, 3000)
    rate = recipients / (2 * (start + length + 4))  # the broadcast would last beyond the outage
    port = free_port()
    settings = load_settings(None, overrides={
        "data_dir": str(tmp_path / "data"), "http": {"port": 0},
        "dispatcher": {"backoff_initial_seconds": BACKOFF_INITIAL, "backoff_max_seconds": BACKOFF_MAX,
                       "max_attempts": 50},
        "sms": {"account_sid": ACCOUNT, "auth_token": TOKEN, "numbers": NUMBERS, "segments_per_second": rate,
                "api_base_url": f"http://127.0.0.1:{port}", "timeout_seconds": 2.0},
    })
    phones = [f"+1201559{i:04d}" for i in range(recipients)]
    body = "Boil water notice for the north district until further notice."
    database = Database.open(settings, upgrade=True)  # the broadcast is queued before anything runs
    with database.sessions.begin() as session:
        subscribers.import_csv(session, io.StringIO("phone,language\n" + "".join(f"{p},en\n" for p in phones)),
                               actor="t", default_region=None, default_timezone="UTC")
    planned = outbox.plan_broadcast(database.sessions, BroadcastRequest(
        kind="crisis", body=body, source_language="en", sender="t"), senders={"sms": NUMBERS}, actor="t")
    database.close()
    sim = TwilioSimulator(TwilioSimSettings(account_sid=ACCOUNT, auth_token=TOKEN, numbers=NUMBERS,
                                            segments_per_second=0, outages=outages), tmp_path / "sim")
    await sim.start(port=port)
    program = Program(settings)
    await program.start()
    try:
        async def finished():
            report = await program.database.run(reach.report, planned.id)
            return report if report.by_status.get("delivered", 0) == recipients else None

        await wait_for(finished, timeout=start + length + 120)
        with program.database.sessions() as session:
            attempts = session.scalar(select(func.sum(Delivery.attempts)))
            worst = session.scalar(select(func.max(Delivery.attempts)))
        sent = [m for m in map(json.loads, sim.jsonl_path.read_text().splitlines()) if body in m["body"]]
        # The most attempts one delivery can need: one per backoff step that fits in the outage, plus one.
        steps = math.ceil(math.log2(BACKOFF_MAX / BACKOFF_INITIAL)) + 1
        bound = steps + math.ceil(max(0.0, length - (2 ** steps - 1) * BACKOFF_INITIAL) / BACKOFF_MAX) + 2
        print(f"\noutage {length:.0f} s (refused, 503, hanging): recipients={recipients} sent={len(sent)} "
              f"delivered={recipients} lost=0 faults answered={sim.stats['faults']} attempts={attempts} "
              f"(most for one delivery: {worst}; bound {bound})")
        assert {m["to"] for m in sent} == set(phones)
        assert sim.stats["faults"] > 0
        assert worst <= bound  # no retry storm: each delivery follows the backoff schedule
    finally:
        await program.stop()
        await sim.stop()
