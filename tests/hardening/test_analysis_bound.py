"""CPU-heavy reading of a message is bounded (issue 17, item 1): a long message in a bridged room is
screened on its first 4,096 characters (what a Telegram message can hold) and still relayed whole."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from channels.sandbox.telegram_settings import SimGroup, SimUser
from relay.bridges.models import BridgedMessage
from relay.app.cli import app
from relay.inbound.commands import ANALYSED_CHARS
from relay.integrity.models import ScreenedMessage
from tests.relay.conftest import NUMBER, make_program, wait_for

GROUP, ANA, SMS_MEMBER = -1005031, 7131, "+12015557031"


async def test_a_long_sms_is_screened_on_its_head_and_relayed_whole(tmp_path):
    program = make_program(tmp_path, sandbox={"sms_numbers": [NUMBER], "segments_per_second": 0})
    await program.start()
    try:
        sim = program.simulators["telegram"]
        sim.add_user(SimUser(id=ANA, first_name="Ana"))
        sim.add_group(SimGroup(id=GROUP, title="North", members=[ANA]))
        config = tmp_path / "relay.toml"
        config.write_text(f'data_dir = "{program.settings.data_dir}"\n')
        made = CliRunner().invoke(app, ["--config", str(config), "bridges", "add", "north",
                                        "--telegram", f"{GROUP}=en", "--sms", f"{SMS_MEMBER}=en"])
        assert made.exit_code == 0, made.output
        text = ("The north road is closed near the school, use the bridge. " * 200)[:9000].strip()
        await program.simulators["sms"].inject_inbound(SMS_MEMBER, NUMBER, text)
        received = await wait_for(lambda: "".join(m.text for m in sim.sent(GROUP)) if len(
            "".join(m.text for m in sim.sent(GROUP))) >= len(text) else None)
        assert " ".join(received.split()).endswith(" ".join(text.split())[-200:])
        with program.database.sessions() as session:
            screened = session.scalar(select(ScreenedMessage))
            assert screened.text == text[:ANALYSED_CHARS]
            assert session.scalar(select(BridgedMessage)).text == text
    finally:
        await program.stop()
