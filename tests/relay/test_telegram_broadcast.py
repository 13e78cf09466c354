"""A crisis broadcast through a sandboxed relay reaches Telegram users and a Telegram group (real aiogram
against the Bot API simulator) beside SMS, each exactly once; a user who blocked the bot is opted out."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from relay.core.models import Endpoint
from tests.relay.conftest import import_people, make_program, send_crisis, settled, sms_log, telegram_sends
from tests.running import started

GROUP = -1001234


async def test_crisis_reaches_telegram_users_a_group_and_sms_once_each(tmp_path):
    async with started(make_program(tmp_path, sandbox={"telegram_groups": [GROUP], "sms_numbers": ["+12015550100"],
                                                       "segments_per_second": 0})) as program:
        users = [5001 + i for i in range(6)]
        rows = "name,phone,telegram,language\n" + "".join(f"U{u},,{u},en\n" for u in users)
        rows += f"Village group,,{GROUP},en\n" + "".join(f"P{i},+1201555{4000 + i},,en\n" for i in range(3))
        import_people(program, rows)
        program.simulators["telegram"].set_user(users[-1], blocked=True)
        body = "Cyclone warning: stay indoors from 16:00."
        planned = await send_crisis(program, body)
        report = await settled(program, planned.id)
        assert report.by_channel["telegram"] == {"delivered": 6, "failed": 1}
        assert report.by_channel["sms"] == {"delivered": 3}
        sent = telegram_sends(program)
        chats = Counter(str(m["chat_id"]) for m in sent)
        assert set(chats) == {str(u) for u in users[:-1]} | {str(GROUP)}
        assert set(chats.values()) == {1}
        assert all(body in m["text"] for m in sent)
        assert len([m for m in sms_log(program) if m["body"] == body]) == 3
        with program.database.sessions() as session:
            blocked = session.scalar(select(Endpoint).where(Endpoint.address == str(users[-1])))
            assert blocked.opted_out
