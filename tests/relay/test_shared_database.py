"""Two relay processes' dispatchers on one PostgreSQL database: each sender driven by exactly one of them,
every recipient reached exactly once, and a survivor takes over the senders of one that stops."""

from __future__ import annotations

import asyncio
import io
import json
from collections import Counter

from channels.sandbox.twilio_sim import TwilioSimSettings, TwilioSimulator
from channels.sms import SmsChannel, SmsSettings
from relay.delivery import outbox, reach
from relay.core import subscribers
from relay.core.config import DispatcherSettings
from relay.app.settings import load_settings
from relay.core.db import Database
from relay.delivery.dispatcher import Dispatcher
from relay.core.leases import leases_for
from relay.delivery.outbox import BroadcastRequest
from tests.relay.conftest import wait_for

NUMBERS = [f"+120155501{i:02d}" for i in range(4)]
ACCOUNT, TOKEN = "AC" + "5a" * 16, "t" * 32


async def test_two_dispatchers_share_senders_without_overlap(tmp_path, postgres_schema_url):
    settings = load_settings(None, overrides={"data_dir": str(tmp_path), "database_url": postgres_schema_url})
    setup = Database.open(settings, upgrade=True)
    rows = "phone,language\n" + "".join(f"+1201557{i:04d},en\n" for i in range(200))
    with setup.sessions.begin() as session:
        subscribers.import_csv(session, io.StringIO(rows), actor="t", default_region=None, default_timezone="UTC")
    sim = TwilioSimulator(TwilioSimSettings(account_sid=ACCOUNT, auth_token=TOKEN, numbers=NUMBERS,
                                            segments_per_second=50, callbacks=False), tmp_path)
    await sim.start()
    relays = []
    for _ in range(2):  # two "processes": their own engine, connections, leases and channel client
        database = Database.open(settings)
        channel = SmsChannel(SmsSettings(account_sid=ACCOUNT, auth_token=TOKEN, numbers=NUMBERS,
                                         segments_per_second=50, api_base_url=sim.base_url))
        await channel.start()
        dispatcher = Dispatcher(database, {"sms": channel}, DispatcherSettings(idle_poll_seconds=0.05),
                                leases_for(database.engine, tmp_path))
        relays.append((database, channel, dispatcher, asyncio.create_task(dispatcher.run())))
    try:
        body = "Boil water before drinking until further notice."

        def plan(text: str) -> int:
            return outbox.plan_broadcast(setup.sessions, BroadcastRequest(kind="notice", body=text,
                                         source_language="en", sender="t"), senders={"sms": NUMBERS}, actor="t").id

        first = await asyncio.to_thread(plan, body)

        def sent(broadcast_id: int):
            def check() -> bool:
                with setup.sessions() as session:
                    return reach.report(session, broadcast_id).by_status == {"sent": 200}
            return check

        await wait_for(sent(first), timeout=60)
        keys = [f"sms:{n}" for n in NUMBERS]
        held = [[d.leases.held(k) for k in keys] for _, _, d, _ in relays]
        assert all(a != b for a, b in zip(*held)), held  # every sender held by exactly one process
        log = [json.loads(line) for line in (tmp_path / "sandbox" / "sms.jsonl").read_text().splitlines()]
        assert set(Counter(m["to"] for m in log if m["body"] == body).values()) == {1}
        assert sum(d.sent_count for _, _, d, _ in relays) == 200

        # One process stops (its leases go with its connections); the other takes over its senders.
        database, channel, dispatcher, task = relays.pop(0)
        await dispatcher.stop()
        task.cancel()
        await channel.stop()
        database.close()
        second = await asyncio.to_thread(plan, "Second notice: water is safe again.")
        await wait_for(sent(second), timeout=60)
        survivor = relays[0][2]
        assert all(survivor.leases.held(k) for k in keys)
    finally:
        for database, channel, dispatcher, task in relays:
            await dispatcher.stop()
            task.cancel()
            await channel.stop()
            database.close()
        await sim.stop()
        setup.close()
