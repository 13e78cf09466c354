"""CPU-heavy reading of a message is bounded (issue 17, item 1): a long message in a bridged room is
screened on its first 4,096 characters (what a Telegram message can hold) and still relayed whole."""

from __future__ import annotations

from sqlalchemy import select

from channels.sandbox.telegram_settings import SimUser
from relay.bridges.models import BridgedMessage
from relay.inbound.commands import ANALYSED_CHARS
from relay.integrity.models import ScreenedMessage
from tests.bridges.support import bridge_north
from tests.relay.conftest import NUMBER, make_program, wait_for
from tests.running import started

GROUP, ANA, SMS_MEMBER = -1005031, 7131, "+12015557031"


async def test_a_long_sms_is_screened_on_its_head_and_relayed_whole(tmp_path):
    async with started(make_program(tmp_path, sandbox={"sms_numbers": [NUMBER], "segments_per_second": 0})) as program:
        sim = bridge_north(program, tmp_path, SimUser(id=ANA, first_name="Ana"), GROUP, SMS_MEMBER)
        text = ("The north road is closed near the school, use the bridge. " * 200)[:9000].strip()
        await program.simulators["sms"].inject_inbound(SMS_MEMBER, NUMBER, text)
        received = await wait_for(lambda: "".join(m.text for m in sim.sent(GROUP)) if len(
            "".join(m.text for m in sim.sent(GROUP))) >= len(text) else None)
        assert " ".join(received.split()).endswith(" ".join(text.split())[-200:])
        with program.database.sessions() as session:
            screened = session.scalar(select(ScreenedMessage))
            assert screened.text == text[:ANALYSED_CHARS]
            assert session.scalar(select(BridgedMessage)).text == text
