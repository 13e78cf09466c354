"""`[sandbox]` fault injection: the simulator that `relay run --sandbox` starts misbehaves as configured,
and the relay still gets every message through (or says exactly why not)."""

from __future__ import annotations

import asyncio

import pytest
from relay.delivery import outbox, reach
from relay.core.config import ConfigError
from relay.app.settings import load_settings
from relay.delivery.outbox import BroadcastRequest
from tests.relay.conftest import NUMBER, deliveries_by_address, make_program, sms_log, wait_for

BODY = "Cyclone warning: shelters at the church and the school are open now."
FAST_RETRIES = {"backoff_initial_seconds": 0.05, "backoff_max_seconds": 0.2, "max_attempts": 30}


async def broadcast_to(program, phones: list[str]) -> int:
    for phone in phones:
        await program.simulators["sms"].inject_inbound(phone, NUMBER, "JOIN en")
    planned = await asyncio.to_thread(outbox.plan_broadcast, program.database.sessions, BroadcastRequest(
        kind="crisis", body=BODY, source_language="en", sender="t"), senders={"sms": [NUMBER]}, actor="t")
    program.dispatcher.wake()
    return planned.id


def finished(program, broadcast_id: int) -> bool:
    with program.database.sessions() as session:
        report = reach.report(session, broadcast_id)
    return sum(report.by_status.get(s, 0) for s in ("delivered", "failed")) == report.total


async def test_injected_errors_latency_and_undeliverable_numbers(tmp_path):
    phones = [f"+1201555{4000 + i:04d}" for i in range(8)]
    unreachable = phones[-1]
    program = make_program(tmp_path, dispatcher=FAST_RETRIES, sandbox={
        "error_rate": 0.5, "seed": 3, "latency_ms": 20, "undeliverable_numbers": [unreachable]})
    await program.start()
    try:
        broadcast_id = await broadcast_to(program, phones)
        await wait_for(lambda: finished(program, broadcast_id), timeout=60)
        stats = program.simulators["sms"].stats
        rows = deliveries_by_address(program, broadcast_id)
        assert {a for a, d in rows.items() if d.status == "delivered"} == set(phones[:-1])
        assert rows[unreachable].status == "failed" and "30003" in rows[unreachable].last_error
        retried = sum(d.attempts - 1 for d in rows.values())
        assert stats["faults"] > 0 and retried == stats["faults"]  # every 500/503 cost one retry, none lost
        got = [m["to"] for m in sms_log(program) if m["body"].startswith(BODY)]
        assert sorted(got) == sorted(phones)  # each accepted exactly once despite the errors
    finally:
        await program.stop()


async def test_an_outage_window_delays_but_loses_nothing(tmp_path):
    phones = [f"+1201555{5000 + i:04d}" for i in range(5)]
    program = make_program(tmp_path, dispatcher=FAST_RETRIES, sandbox={
        "outages": [{"start_s": 0, "end_s": 1.5, "mode": "503"}]})
    await program.start()
    try:
        broadcast_id = await broadcast_to(program, phones)
        await wait_for(lambda: finished(program, broadcast_id), timeout=60)
        assert all(d.status == "delivered" for d in deliveries_by_address(program, broadcast_id).values())
        assert program.simulators["sms"].stats["faults"] > 0
        assert sorted(m["to"] for m in sms_log(program) if m["body"].startswith(BODY)) == sorted(phones)
    finally:
        await program.stop()


@pytest.mark.parametrize("sandbox, key, problem", [
    ({"error_rate": 1.5}, "sandbox.error_rate", "less than or equal to 1"),
    ({"latency_ms": -5}, "sandbox.latency_ms", "greater than or equal to 0"),
    ({"outages": [{"start_s": 10, "end_s": 5, "mode": "503"}]}, "sandbox.outages", "start_s < end_s"),
    ({"outages": [{"start_s": 0, "end_s": 5, "mode": "flaky"}]}, "sandbox.outages", "'503', 'timeout' or 'refuse'"),
    ({"undeliverable_numbers": ["not a phone"]}, "sandbox.undeliverable_numbers", "not a phone number"),
])
def test_bad_fault_settings_name_the_key(tmp_path, sandbox, key, problem):
    with pytest.raises(ConfigError) as err:
        load_settings(None, overrides={"data_dir": str(tmp_path), "sandbox": sandbox})
    assert key in str(err.value) and problem in str(err.value)
