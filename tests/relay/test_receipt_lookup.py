"""Status callbacks that never arrive: the relay asks Twilio instead of leaving deliveries `sent` for ever.

Here nobody listens at the relay's webhook address (a worker without its web side, as when `relay serve`
is down), so every callback the simulator posts is lost, exactly as Twilio loses one it cannot deliver.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from relay.delivery import outbox, reach, receipt_lookup
from relay.core import subscribers
from relay.app.settings import load_settings
from relay.delivery.outbox import BroadcastRequest
from relay.app.program import Program
from tests.e2e.conftest import free_port
from tests.relay.conftest import NUMBER, deliveries_by_address, sms_log, wait_for

BODY = "Boil water before drinking: the river has flooded the wells."


def program_without_webhooks(tmp_path, undeliverable: list[str], check_seconds: float) -> Program:
    settings = load_settings(None, overrides={
        "data_dir": str(tmp_path / "data"), "http": {"port": free_port()},
        "sandbox": {"sms_numbers": [NUMBER], "segments_per_second": 0, "undeliverable_numbers": undeliverable},
        "dispatcher": {"receipt_check_seconds": check_seconds},
    })
    return Program(settings, sandbox=True, upgrade=True, web=False)


def add_people(program: Program, phones: list[str]) -> None:
    with program.database.sessions.begin() as session:
        for phone in phones:
            data = subscribers.validate_row({"phone": phone, "language": "en"}, default_region=None,
                                            default_timezone="UTC")
            subscribers.upsert(session, data, actor="test")


def take(program: Program, senders: list[str], at) -> list[receipt_lookup.Overdue]:
    with program.database.sessions.begin() as session:
        return receipt_lookup.take_overdue(session, senders, at, 60)


async def test_lost_status_callbacks_are_looked_up_at_the_provider(tmp_path):
    phones = [f"+1201555{6000 + i:04d}" for i in range(6)]
    unreachable = phones[0]
    program = program_without_webhooks(tmp_path, [unreachable], check_seconds=1.0)
    await program.start()
    try:
        add_people(program, phones)
        planned = await asyncio.to_thread(outbox.plan_broadcast, program.database.sessions, BroadcastRequest(
            kind="crisis", body=BODY, source_language="en", sender="t"), senders={"sms": [NUMBER]}, actor="t")
        program.dispatcher.wake()

        def final() -> bool:
            return all(d.status in ("delivered", "failed") for d in deliveries_by_address(program, planned.id).values())

        await wait_for(final, timeout=60)  # housekeeping runs every 5 s
        rows = deliveries_by_address(program, planned.id)
        assert {a for a, d in rows.items() if d.status == "delivered"} == set(phones[1:])
        assert rows[unreachable].status == "failed" and "30003" in rows[unreachable].last_error
        assert all(d.receipt_checked_at is not None for d in rows.values())  # learnt by asking, not told
        assert sorted(m["to"] for m in sms_log(program) if m["body"] == BODY) == sorted(phones)  # sent once each
        with program.database.sessions() as session:
            assert reach.report(session, planned.id).by_status == {"delivered": 5, "failed": 1}
    finally:
        await program.stop()


async def test_a_delivery_is_asked_about_once_per_interval(tmp_path):
    """A message the provider still calls `sent` is asked about again only an interval later, so a
    carrier that never reports costs one lookup per interval, not one per sweep."""
    program = program_without_webhooks(tmp_path, [], check_seconds=0)  # the dispatcher never asks itself
    await program.start()
    try:
        add_people(program, ["+12015556100"])
        planned = await asyncio.to_thread(outbox.plan_broadcast, program.database.sessions, BroadcastRequest(
            kind="notice", body=BODY, source_language="en", sender="t"), senders={"sms": [NUMBER]}, actor="t")
        program.dispatcher.wake()
        await wait_for(lambda: [d.status for d in deliveries_by_address(program, planned.id).values()] == ["sent"])
        sent_at = next(iter(deliveries_by_address(program, planned.id).values())).sent_at

        def at(seconds: float):
            return sent_at + timedelta(seconds=seconds)

        assert take(program, [NUMBER], at(30)) == []  # not overdue yet
        assert len(take(program, [NUMBER], at(61))) == 1  # overdue: asked
        assert take(program, [NUMBER], at(100)) == []  # asked 39 s ago: not again yet
        assert len(take(program, [NUMBER], at(125))) == 1  # an interval after the last ask
        assert take(program, ["+12015550199"], at(500)) == []  # only the senders this process holds
    finally:
        await program.stop()
