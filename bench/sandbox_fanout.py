"""What the channel fan-out benchmarks (telegram_fanout, voice_calls, whatsapp_fanout) share: a relay
started as `relay run --sandbox` starts it, a crowd of people on one channel, one crisis broadcast to
them, and the wait until enough of it is final. Each benchmark keeps only its own figures."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Callable, Mapping, Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from relay.app.program import Program  # noqa: E402
from relay.app.settings import load_settings  # noqa: E402
from relay.core.models import Endpoint, Subscriber  # noqa: E402
from relay.delivery import outbox, reach  # noqa: E402
from relay.delivery.outbox import BroadcastRequest, PlannedBroadcast  # noqa: E402

BODY = "Cyclone warning: stay indoors from 16:00. Shelter at the school on Route 3."


@asynccontextmanager
async def sandbox_relay() -> AsyncIterator[Program]:
    """A started relay with every simulator, on a throw-away data directory (Apertium translates)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, overrides={"data_dir": tmp, "http": {"port": 0},
                                                  "translation": {"engines": ["apertium"]}})
        program = Program(settings, sandbox=True, upgrade=True)
        await program.start()
        try:
            yield program
        finally:
            await program.stop()


def add_people(program: Program, count: int, channel: str, address: Callable[[int], str]) -> None:
    """`count` English-speaking people, person i reachable on `channel` at `address(i)`."""
    with program.database.sessions.begin() as session:
        session.execute(insert(Subscriber), [{"id": i + 1, "language": "en", "timezone": "UTC"} for i in range(count)])
        session.execute(insert(Endpoint), [{"subscriber_id": i + 1, "channel": channel, "address": address(i)}
                                           for i in range(count)])


async def send_crisis(program: Program, senders: Mapping[str, Sequence[str]]) -> PlannedBroadcast:
    """Plan the crisis broadcast to everyone and wake the dispatcher."""
    planned = await asyncio.to_thread(
        outbox.plan_broadcast, program.database.sessions,
        BroadcastRequest(kind="crisis", body=BODY, source_language="en", sender="bench"),
        senders=senders, actor="bench")
    program.dispatcher.wake()
    return planned


async def until_final(program: Program, broadcast_id: int, count: int) -> reach.BroadcastReport:
    """Poll until `count` deliveries are delivered or failed; the report that showed it."""
    while True:
        report = await program.database.run(reach.report, broadcast_id)
        if report.by_status.get("delivered", 0) + report.by_status.get("failed", 0) >= count:
            return report
        await asyncio.sleep(0.2)
