"""An edit that arrives while a copy of the message is still in flight (handed to Telegram, its message id
not yet recorded) still reaches that copy once the send is recorded.

The relay under test runs without a dispatcher; the test plays the worker that holds the other group's
copy: it claims the copy, sends it with the text of the moment and records the outcome, with the relay's
own functions, while the edit is handled in between.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from sqlalchemy import select
from typer.testing import CliRunner

from channels.base import Outbound
from channels.sandbox.telegram_settings import SimGroup, SimUser
from relay.delivery import deliveries
from relay.app.cli import app
from relay.delivery.deliveries import Outcome
from relay.core.models import Delivery
from tests.relay.conftest import make_program, wait_for

NORTH, SOUTH = -1005101, -1005102
ANA = 7201
WORKER = "the-other-worker"


def telegram_log(program) -> list[dict]:
    path = program.simulators["telegram"].jsonl_path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_an_edit_reaches_a_copy_that_was_in_flight(tmp_path):
    program = make_program(tmp_path, translation={"engines": ["apertium"]})
    program.dispatch = False  # this process only reads chats; the copies are the test's to send
    await program.start()
    try:
        sim = program.simulators["telegram"]
        sim.add_user(SimUser(id=ANA, first_name="Ana"))
        sim.add_group(SimGroup(id=NORTH, title="North", members=[ANA]))
        sim.add_group(SimGroup(id=SOUTH, title="South", members=[]))
        config = tmp_path / "relay.toml"
        config.write_text(f'data_dir = "{program.settings.data_dir}"\n')
        result = CliRunner().invoke(app, ["--config", str(config), "bridges", "add", "coast",
                                          "--telegram", f"{NORTH}=en", "--telegram", f"{SOUTH}=en"])
        assert result.exit_code == 0, result.output

        sim.inject_message(ANA, "Ferry leaves at 14:00.", chat_id=NORTH)

        def planned_copy():
            with program.database.sessions() as session:
                return session.scalar(select(Delivery).where(Delivery.channel == "telegram"))

        copy = await wait_for(planned_copy)
        telegram = program.channels["telegram"]
        with program.database.sessions.begin() as session:  # the other worker claims it ...
            [claimed] = deliveries.claim(session, copy.sender, WORKER, 10, datetime.now(timezone.utc))
        with program.database.sessions() as session:
            [old_text] = deliveries.texts_for(session, {(claimed.broadcast_id, claimed.language)}).values()
        receipt = await telegram.send(Outbound(claimed.id, copy.sender, claimed.address, old_text))  # ... sends it

        first = next(m for m in sim.world.messages[NORTH].values() if m.from_id == ANA)
        sim.inject_edit(ANA, first.message_id, "Ferry leaves at 15:30.", chat_id=NORTH)
        def current_text() -> str:
            with program.database.sessions() as session:
                return " ".join(deliveries.texts_for(session, {(claimed.broadcast_id, claimed.language)}).values())

        await wait_for(lambda: "15:30" in current_text())  # the edit is handled; the copy is still in flight
        await asyncio.sleep(0.5)
        assert not any(m.get("op") == "edit" for m in telegram_log(program))  # nothing to edit yet: no id

        with program.database.sessions.begin() as session:  # ... and records it
            deliveries.record(session, WORKER, [Outcome(claimed.id, "delivered",
                                                        provider_message_id=receipt.provider_message_id)],
                              datetime.now(timezone.utc))
        edit = await wait_for(lambda: next((m for m in telegram_log(program) if m.get("op") == "edit"), None))
        assert edit["chat_id"] == SOUTH and edit["text"] == "Ana (Telegram):\nFerry leaves at 15:30."
        sends = [m for m in telegram_log(program) if m.get("op") == "send"]
        assert [(m["chat_id"], m["text"]) for m in sends] == [(SOUTH, "Ana (Telegram):\nFerry leaves at 14:00.")]
    finally:
        await program.stop()
