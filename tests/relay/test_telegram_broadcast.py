"""A crisis broadcast through a sandboxed relay reaches Telegram users and a Telegram group (real aiogram
against the Bot API simulator) beside SMS, each exactly once; a user who blocked the bot is opted out."""

from __future__ import annotations

import asyncio
import io
import json
from collections import Counter

from sqlalchemy import select

from relay.delivery import outbox, reach
from relay.core import subscribers
from relay.core.channels import planned_senders
from relay.core.models import Endpoint
from relay.delivery.outbox import BroadcastRequest
from tests.relay.conftest import make_program, sms_log, wait_for

GROUP = -1001234


async def test_crisis_reaches_telegram_users_a_group_and_sms_once_each(tmp_path):
    program = make_program(tmp_path, sandbox={"telegram_groups": [GROUP], "sms_numbers": ["+12015550100"],
                                              "segments_per_second": 0})
    await program.start()
    try:
        users = [5001 + i for i in range(6)]
        rows = "name,phone,telegram,language\n" + "".join(f"U{u},,{u},en\n" for u in users)
        rows += f"Village group,,{GROUP},en\n" + "".join(f"P{i},+1201555{4000 + i},,en\n" for i in range(3))
        with program.database.sessions.begin() as session:
            report = subscribers.import_csv(session, io.StringIO(rows), actor="t", default_region=None,
                                            default_timezone="UTC")
            assert not report.errors
        program.simulators["telegram"].set_user(users[-1], blocked=True)
        body = "Cyclone warning: stay indoors from 16:00."
        planned = await asyncio.to_thread(outbox.plan_broadcast, program.database.sessions, BroadcastRequest(
            kind="crisis", body=body, source_language="en", sender="t"),
            senders=planned_senders(program.settings), actor="t")
        program.dispatcher.wake()

        async def done():
            report = await program.database.run(reach.report, planned.id)
            unfinished = sum(report.by_status.get(s, 0) for s in ("pending", "sending", "sent"))
            return report if unfinished == 0 else None

        report = await wait_for(done, timeout=60)
        assert report.by_channel["telegram"] == {"delivered": 6, "failed": 1}
        assert report.by_channel["sms"] == {"delivered": 3}
        log = [json.loads(line) for line in program.simulators["telegram"].jsonl_path.read_text().splitlines()]
        chats = Counter(str(m["chat_id"]) for m in log if m.get("op") == "send")
        assert set(chats) == {str(u) for u in users[:-1]} | {str(GROUP)}
        assert set(chats.values()) == {1}
        assert all(body in m["text"] for m in log if m.get("op") == "send")
        assert len([m for m in sms_log(program) if m["body"] == body]) == 3
        with program.database.sessions() as session:
            blocked = session.scalar(select(Endpoint).where(Endpoint.address == str(users[-1])))
            assert blocked.opted_out
    finally:
        await program.stop()
