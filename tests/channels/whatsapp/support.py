"""A whole relay with only WhatsApp configured, pointed at the Twilio simulator's WhatsApp sender: the real
twilio client, the relay's webhook server and the simulator all on 127.0.0.1. (A plain module: import it
by path, not as a conftest.)"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import select

from channels.sandbox.twilio_sim import TwilioSimSettings, TwilioSimulator
from channels.sandbox.twilio_whatsapp import WhatsAppSimSettings
from channels.whatsapp_spec import INBOUND_PATH
from relay.app.program import Program
from relay.app.settings import load_settings
from relay.core.models import Delivery, Endpoint, Subscriber
from relay.delivery import outbox, reach
from relay.delivery.outbox import BroadcastRequest

SID = "AC" + "7e" * 16
TOKEN = "5d1c3e9a7b2f4c6e8a0b1d3f5e7c9a2b"
SENDER = "+14155238886"
TEMPLATES = {"en": "HX" + "e1" * 16, "fr": "HX" + "f2" * 16, "ht": "HX" + "a3" * 16}


@asynccontextmanager
async def whatsapp_relay(tmp_path: Path, database_url: str | None = None, *, messaging_limit: int = 1000,
                         messages_per_second: float = 0.0, sim: dict | None = None,
                         section: dict | None = None) -> AsyncIterator[tuple[Program, TwilioSimulator]]:
    simulator = TwilioSimulator(TwilioSimSettings(
        account_sid=SID, auth_token=TOKEN, numbers=[], log_name="whatsapp.jsonl",
        whatsapp=WhatsAppSimSettings(senders=[SENDER], templates=list(TEMPLATES.values()),
                                     messaging_limit=messaging_limit, messages_per_second=messages_per_second,
                                     **(sim or {}))), tmp_path / "sim")
    await simulator.start()
    overrides: dict = {"data_dir": str(tmp_path / "data"), "http": {"port": 0},
                       "whatsapp": {"account_sid": SID, "auth_token": TOKEN, "senders": [SENDER],
                                    "templates": TEMPLATES, "messaging_limit": messaging_limit,
                                    "messages_per_second": messages_per_second,
                                    "api_base_url": simulator.base_url, **(section or {})}}
    if database_url:
        overrides["database_url"] = database_url
    program = Program(load_settings(None, overrides=overrides), upgrade=True)
    try:
        await program.start()
        assert simulator.settings.whatsapp is not None
        simulator.settings.whatsapp.inbound_webhook_url = f"{program.settings.public_url}{INBOUND_PATH}"
        yield program, simulator
    finally:
        await program.stop()
        await simulator.stop()


def add_people(program: Program, people: dict[str, str]) -> None:
    """Subscribers with a WhatsApp endpoint: number -> language."""
    with program.database.sessions.begin() as session:
        for number, language in people.items():
            subscriber = Subscriber(language=language, timezone="UTC")
            session.add(subscriber)
            session.flush()
            session.add(Endpoint(subscriber_id=subscriber.id, channel="whatsapp", address=number))


async def broadcast(program: Program, body: str, language: str = "en") -> int:
    from relay.core.channels import planned_senders

    planned = await asyncio.to_thread(
        outbox.plan_broadcast, program.database.sessions,
        BroadcastRequest(kind="crisis", body=body, source_language=language, sender="test"),
        senders=planned_senders(program.settings), actor="test")
    program.dispatcher.wake()
    return planned.id


async def settled(program: Program, broadcast_id: int, count: int, timeout: float = 30.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        report = await program.database.run(reach.report, broadcast_id)
        if report.by_status.get("delivered", 0) + report.by_status.get("failed", 0) >= count:
            return report.by_status
        if loop.time() > deadline:
            raise AssertionError(f"broadcast {broadcast_id} not settled within {timeout}s: {report.by_status}")
        await asyncio.sleep(0.05)


def rows(program: Program, broadcast_id: int) -> dict[str, Delivery]:
    with program.database.sessions() as session:
        return {address: d for d, address in session.execute(
            select(Delivery, Endpoint.address).join(Endpoint, Endpoint.id == Delivery.endpoint_id)
            .where(Delivery.broadcast_id == broadcast_id))}


def log(simulator: TwilioSimulator) -> list[dict]:
    if not simulator.jsonl_path.exists():
        return []
    return [json.loads(line) for line in simulator.jsonl_path.read_text().splitlines() if line.strip()]


async def eventually(predicate, timeout: float = 20.0):
    """Poll an async or plain predicate until it is truthy (a bounded wait on an outcome)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)
