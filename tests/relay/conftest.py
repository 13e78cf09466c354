"""A whole relay in the test's event loop: SQLite, the webhook server and the Twilio simulator on
127.0.0.1, the real twilio client between them."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import aiohttp
import pytest

from relay.app.settings import load_settings
from relay.app.program import Program
from relay.core import subscribers
from relay.core.channels import planned_senders
from relay.delivery import outbox, reach
from tests.running import started

NUMBER = "+12015550100"


def make_program(tmp_path: Path, *, numbers=(NUMBER,), rate: float = 0.0, sandbox: dict | None = None,
                 **overrides) -> Program:
    settings = load_settings(None, overrides={
        "data_dir": str(tmp_path / "data"),
        "http": {"port": 0},
        "sandbox": {"sms_numbers": list(numbers), "segments_per_second": rate, **(sandbox or {})},
        **overrides,
    })
    return Program(settings, sandbox=True, upgrade=True)


@pytest.fixture
async def program(tmp_path):
    async with started(make_program(tmp_path)) as relay:
        yield relay


def sms_log(program: Program) -> list[dict]:
    path = program.settings.data_dir / "sandbox" / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def join_by_sms(program: Program, people: dict[str, str]) -> None:
    """Each phone texts `JOIN <language>` to NUMBER through the Twilio simulator, as a person subscribes."""
    for phone, language in people.items():
        await program.simulators["sms"].inject_inbound(phone, NUMBER, f"JOIN {language}")


def telegram_sends(program: Program) -> list[dict]:
    """What the relay has sent on Telegram so far: the simulator's JSONL `send` records, in order."""
    path = program.simulators["telegram"].jsonl_path
    lines = path.read_text().splitlines() if path.exists() else []
    return [m for m in map(json.loads, lines) if m.get("op") == "send"]


def telegram_replies(program: Program, chat_id: int) -> list[str]:
    """What the relay has sent to one Telegram chat so far, in order."""
    return [m["text"] for m in telegram_sends(program) if m["chat_id"] == chat_id]


async def say_on_telegram(program: Program, user: int, text: str, chat: int | None = None) -> str:
    """`user` writes `text` (in a private chat, or in the group `chat`); the relay's newest answer there."""
    where = chat or user
    before = len(telegram_replies(program, where))
    program.simulators["telegram"].inject_message(user, text, chat_id=chat)
    got = await wait_for(lambda: telegram_replies(program, where)[before:] or None)
    return got[-1]


def import_people(program: Program, rows: str) -> None:
    """`rows` (a subscribers CSV) imported as `relay subscribers import` would; not one row refused."""
    with program.database.sessions.begin() as session:
        report = subscribers.import_csv(session, io.StringIO(rows), actor="t", default_region=None,
                                        default_timezone="UTC")
        assert not report.errors, report.errors


async def send_crisis(program: Program, body: str) -> outbox.PlannedBroadcast:
    """A crisis broadcast of `body` planned as `relay broadcast send` plans it, for the running relay's
    senders (in a thread: planning is blocking database work), and the dispatcher woken to send it."""
    planned = await asyncio.to_thread(outbox.plan_broadcast, program.database.sessions, outbox.BroadcastRequest(
        kind="crisis", body=body, source_language="en", sender="t"), senders=planned_senders(program.settings),
        actor="t")
    program.dispatcher.wake()
    return planned


async def settled(program: Program, broadcast_id: int, timeout: float = 60) -> reach.BroadcastReport:
    """The broadcast's report once none of its deliveries is pending, sending or sent any more."""
    async def done():
        report = await program.database.run(reach.report, broadcast_id)
        unfinished = sum(report.by_status.get(s, 0) for s in ("pending", "sending", "sent"))
        return report if unfinished == 0 else None

    return await wait_for(done, timeout=timeout)


def deliveries_by_address(program: Program, broadcast_id: int) -> dict:
    """The broadcast's delivery rows, keyed by the address each went to."""
    from sqlalchemy import select

    from relay.core.models import Delivery, Endpoint

    with program.database.sessions() as session:
        return {address: d for d, address in session.execute(
            select(Delivery, Endpoint.address).join(Endpoint, Endpoint.id == Delivery.endpoint_id)
            .where(Delivery.broadcast_id == broadcast_id))}


async def post_form(url: str, params: dict, headers: dict | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=params, headers=headers or {}) as response:
            return response.status, await response.text()


async def wait_for(predicate, timeout: float = 60.0, interval: float = 0.05):
    """Poll until `predicate()` is truthy (a bounded wait on an outcome, not a timing assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):  # an async predicate, or a lambda returning a coroutine
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def bulk_people(database, languages: list[str], per_language: int, first_address: int) -> None:
    """Bulk-load recipients spread over `languages`, one SMS endpoint each (+1202 then `first_address` + id):
    setup, not what a test measures, so it bypasses the subscriber service."""
    from datetime import datetime, timezone

    from sqlalchemy import insert

    from relay.core.models import Endpoint, Subscriber

    now = datetime.now(timezone.utc)
    count = per_language * len(languages)
    with database.engine.begin() as connection:
        connection.execute(insert(Subscriber.__table__), [
            {"id": i, "language": languages[i % len(languages)], "timezone": "UTC", "tier": "observer",
             "consent_crisis": True, "consent_webinar": True, "consent_notice": True, "created_at": now,
             "updated_at": now} for i in range(1, count + 1)])
        connection.execute(insert(Endpoint.__table__), [
            {"id": i, "subscriber_id": i, "channel": "sms", "address": f"+1202{first_address + i:07d}",
             "opted_out": False, "unreachable": False, "created_at": now} for i in range(1, count + 1)])
