"""A bridged Telegram group and SMS list, through a whole sandboxed relay: real aiogram against the Bot API
simulator, the real twilio client against the Twilio simulator, Apertium for the Spanish member.

What a person in either room notices: a message posted in one room appears in every other room once, in
that room's language, with the sender's name; nothing comes back to the room it was posted in; an edit on
Telegram does not produce a second copy on SMS; commands are answered, not relayed.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from channels.sandbox.telegram_settings import SimGroup, SimUser
from relay.app.cli import app
from tests.relay.conftest import NUMBER, make_program, sms_log, wait_for
from tests.test_cli import relay

GROUP = -1005001
ANA, BOB = 7101, 7102
SMS_EN, SMS_ES = "+12015557001", "+12015557002"


def _telegram_sends(program) -> list[dict]:
    path = program.simulators["telegram"].jsonl_path
    if not path.exists():
        return []
    return [m for m in map(json.loads, path.read_text().splitlines()) if m.get("op") == "send"]


async def _bridged_relay(tmp_path):
    program = make_program(tmp_path, sandbox={"sms_numbers": [NUMBER], "segments_per_second": 0},
                           translation={"engines": ["apertium"]})
    await program.start()
    sim = program.simulators["telegram"]
    for uid, name in ((ANA, "Ana"), (BOB, "Bob")):
        sim.add_user(SimUser(id=uid, first_name=name))
    sim.add_group(SimGroup(id=GROUP, title="North district", members=[ANA, BOB]))
    config = tmp_path / "relay.toml"
    config.write_text(f'data_dir = "{program.settings.data_dir}"\n')
    result = CliRunner().invoke(app, ["--config", str(config), "bridges", "add", "north",
                                      "--telegram", f"{GROUP}=en", "--sms", f"{SMS_EN}=en", "--sms", f"{SMS_ES}=es"])
    assert result.exit_code == 0, result.output
    return program


async def test_a_group_message_reaches_the_sms_list_once_each_in_its_language_and_does_not_echo(tmp_path):
    program = await _bridged_relay(tmp_path)
    try:
        program.simulators["telegram"].inject_message(ANA, "Clean water at the church until 18:00.", chat_id=GROUP)

        def arrived():
            bodies = {m["to"]: m["body"] for m in sms_log(program)}
            return bodies if {SMS_EN, SMS_ES} <= set(bodies) else None

        bodies = await wait_for(arrived)
        assert bodies[SMS_EN] == "Ana (Telegram):\nClean water at the church until 18:00."
        assert bodies[SMS_ES].startswith("Ana (Telegram):\n") and "agua" in bodies[SMS_ES].lower()
        assert "18:00" in bodies[SMS_ES]

        # A reply from the SMS list goes to the group and to the other number, not back to its sender.
        await program.simulators["sms"].inject_inbound(SMS_EN, NUMBER, "On my way with buckets")
        await wait_for(lambda: any("On my way" in m["text"] for m in _telegram_sends(program)))
        await wait_for(lambda: len([m for m in sms_log(program) if m["to"] == SMS_ES]) == 2)
        sends = _telegram_sends(program)
        assert [m["chat_id"] for m in sends] == [GROUP]
        assert "…7001 (SMS)" in sends[0]["text"]
        assert len([m for m in sms_log(program) if m["to"] == SMS_EN]) == 1  # nothing echoed to the sender

        # An edit in the group changes nothing on SMS: no second, "edited" copy.
        message_id = program.simulators["telegram"].world.messages[GROUP]
        first = next(m for m in message_id.values() if m.from_id == ANA)
        program.simulators["telegram"].inject_edit(ANA, first.message_id, "Clean water at the church until 19:00.",
                                               chat_id=GROUP)
        program.simulators["telegram"].inject_message(BOB, "/help", chat_id=GROUP)  # answered in the group
        await wait_for(lambda: len(_telegram_sends(program)) == 2)
        assert "JOIN" in _telegram_sends(program)[1]["text"]
        assert len([m for m in sms_log(program) if m["to"] == SMS_EN]) == 1
        assert len([m for m in sms_log(program) if m["to"] == SMS_ES]) == 2
        assert not any("/help" in m["body"] for m in sms_log(program))
    finally:
        await program.stop()


def test_a_bridge_is_checked_when_it_is_made(tmp_path):
    assert relay(tmp_path, "init").returncode == 0
    one_room = relay(tmp_path, "bridges", "add", "x", "--telegram", "-100")
    assert one_room.returncode == 2 and "at least two rooms" in one_room.stderr
    bad = relay(tmp_path, "bridges", "add", "x", "--telegram", "-100", "--sms", "12345")
    assert bad.returncode == 2 and "12345" in bad.stderr
    unknown = relay(tmp_path, "bridges", "add", "x", "--telegram", "-100=tlh", "--sms", "+12015557009")
    assert unknown.returncode == 2 and "tlh" in unknown.stderr
    ok = relay(tmp_path, "bridges", "add", "x", "--telegram", "-100", "--sms", "+12015557009=fr")
    assert ok.returncode == 0, ok.stderr
    again = relay(tmp_path, "bridges", "add", "y", "--telegram", "-100", "--sms", "+12015557010")
    assert again.returncode == 2 and "already in bridge 'x'" in again.stderr
    listed = json.loads(relay(tmp_path, "bridges", "list", "--json").stdout)
    assert listed[0]["name"] == "x" and {r["channel"] for r in listed[0]["rooms"]} == {"telegram", "sms"}
    assert {r["language"] for r in listed[0]["rooms"]} == {"en", "fr"}
    assert relay(tmp_path, "bridges", "remove", "x").returncode == 0
    assert json.loads(relay(tmp_path, "bridges", "list", "--json").stdout) == []
    assert relay(tmp_path, "bridges", "remove", "x").returncode == 2
