"""Corrections through a whole sandboxed relay (real twilio and aiogram clients against the simulators,
Apertium for Spanish): they reach exactly the endpoints that received the original, in their languages,
referencing it, and no one else.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from typer.testing import CliRunner

from channels.sandbox.telegram_settings import SimGroup, SimUser
from channels.sandbox.telegram_sim import TelegramSimulator
from relay.app.cli import app
from relay.app.program import Program
from relay.core.cli_context import UsageError
from tests.relay.conftest import NUMBER, make_program, sms_log, telegram_replies, wait_for
from tests.running import started

GROUP = -1007001
ANA = 7501
SMS_EN, SMS_ES, OUTSIDER = "+12015559001", "+12015559002", "+12015559003"
RUMOUR = "The tap water in Port-au-Prince is poisoned, do not drink it!"
CLAIM_ES = "El agua del grifo en Puerto Principe esta envenenada, no la beban."
VERIFY_LINE = re.compile(r"\nVerify: [0-9A-Z]{3}-[0-9A-Z]{3}$")


def _cli(config, *args: str) -> str:
    result = CliRunner().invoke(app, ["--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.output


@asynccontextmanager
async def _relay(tmp_path, *, services: bool = False) -> AsyncIterator[tuple[Program, Path]]:
    """The running relay (stopped after the block) and a relay.toml for the CLI on its data."""
    program = make_program(tmp_path, sandbox={"sms_numbers": [NUMBER], "segments_per_second": 0},
                           translation={"engines": ["apertium"]})
    if services:  # the integrity service, as `relay run` starts it (relay/app/features.py)
        from relay.integrity.service import build

        program.services = [build(program.settings)]
    async with started(program):
        config = tmp_path / "relay.toml"
        config.write_text(f'data_dir = "{program.settings.data_dir}"\n[translation]\nengines = ["apertium"]\n'
                          f'[sandbox]\nsms_numbers = ["{NUMBER}"]\n')
        yield program, config


def _north_group(program) -> TelegramSimulator:
    """Ana in the Telegram group "North district" (GROUP); the Telegram simulator."""
    sim = program.simulators["telegram"]
    sim.add_user(SimUser(id=ANA, first_name="Ana"))
    sim.add_group(SimGroup(id=GROUP, title="North district", members=[ANA]))
    return sim


def _to(program, number: str) -> list[str]:
    return [m["body"] for m in sms_log(program) if m["to"] == number]


async def test_a_rumour_relayed_before_its_claim_was_known_is_corrected_for_exactly_those_it_reached(tmp_path):
    async with _relay(tmp_path) as (program, config):
        sim = _north_group(program)
        _cli(config, "bridges", "add", "north", "--telegram", f"{GROUP}=en", "--sms", f"{SMS_EN}=en",
             "--sms", f"{SMS_ES}=es")
        _cli(config, "subscribers", "add", "--phone", OUTSIDER, "--language", "en")

        sim.inject_message(ANA, RUMOUR, chat_id=GROUP)  # no claim known yet: relayed
        await wait_for(lambda: _to(program, SMS_EN) and _to(program, SMS_ES))

        added = _cli(config, "claims", "add", CLAIM_ES, "--lang", "es",
                     "--correction", "El agua del grifo es segura: la DINEPA la analizo hoy.")
        assert "1 message(s) relayed earlier match it" in added
        [flag] = json.loads(_cli(config, "flags", "list", "--json"))
        assert (flag["state"], flag["text"]) == ("relayed", RUMOUR)
        assert "1 of 2 needed" in _cli(config, "flags", "vote", str(flag["id"]), "false", "--by", "ana")
        decided = _cli(config, "flags", "vote", str(flag["id"]), "false", "--by", "ben", "--reason", "DINEPA")
        assert "decided confirm_false" in decided and "correction queued as broadcast" in decided
        program.dispatcher.wake()

        await wait_for(lambda: len(_to(program, SMS_EN)) == 2 and len(_to(program, SMS_ES)) == 2)
        english, spanish = _to(program, SMS_EN)[1], _to(program, SMS_ES)[1]
        assert english.startswith("CORRECTION: a message relayed to you on ") and "DINEPA" in english
        assert "water" in english.lower() and VERIFY_LINE.search(english)
        assert spanish.startswith("CORRECCION: un mensaje que le reenviamos el ")
        assert "El agua del grifo es segura: la DINEPA la analizo hoy." in spanish and VERIFY_LINE.search(spanish)
        assert _to(program, OUTSIDER) == []
        telegram = [json.loads(line) for line in sim.jsonl_path.read_text().splitlines()] if sim.jsonl_path.exists() else []
        assert not any("CORRECTION" in str(m.get("text", "")) for m in telegram)  # the group wrote it: no copy
        assert len(sms_log(program)) == 4
        assert json.loads(_cli(config, "flags", "list", "--json")) == []


async def test_broadcast_correct_reaches_exactly_who_got_the_original_in_their_language(tmp_path):
    async with _relay(tmp_path) as (program, config):
        north_en, north_es, south, late = "+12015559101", "+12015559102", "+12015559103", "+12015559104"
        _cli(config, "subscribers", "add", "--phone", north_en, "--language", "en", "--regions", "north")
        _cli(config, "subscribers", "add", "--phone", north_es, "--language", "es", "--regions", "north")
        _cli(config, "subscribers", "add", "--phone", south, "--language", "en", "--regions", "south")
        sent = _cli(config, "broadcast", "send", "The shelter is open at the school.", "--kind", "crisis",
                    "--region", "north", "--json")
        original = json.loads(sent.splitlines()[-1])["id"]
        program.dispatcher.wake()
        await wait_for(lambda: _to(program, north_en) and _to(program, north_es))
        _cli(config, "subscribers", "add", "--phone", late, "--language", "en", "--regions", "north")

        out = _cli(config, "broadcast", "correct", str(original), "The shelter is at the stadium, not the school.")
        assert "2 deliveries" in out
        program.dispatcher.wake()
        await wait_for(lambda: len(_to(program, north_en)) == 2 and len(_to(program, north_es)) == 2)
        english, spanish = _to(program, north_en)[1], _to(program, north_es)[1]
        assert english.startswith("CORRECTION to our message of ")
        assert "The shelter is at the stadium, not the school." in english and VERIFY_LINE.search(english)
        assert spanish.startswith("CORRECCION a nuestro mensaje del ") and "estadio" in spanish.lower()
        assert _to(program, south) == [] and _to(program, late) == []
        bad = CliRunner().invoke(app, ["--config", str(config), "broadcast", "correct", "999", "x"])
        assert isinstance(bad.exception, UsageError) and str(bad.exception) == "no broadcast 999"  # exit code 2


async def test_moderators_release_a_held_message_from_telegram_and_the_bridge_relays_it_then(tmp_path):
    async with _relay(tmp_path) as (program, config):
        sim = _north_group(program)
        mods, observer = (7511, 7512), 7513
        for uid, name in ((mods[0], "Mo"), (mods[1], "Mia"), (observer, "Obi")):
            sim.add_user(SimUser(id=uid, first_name=name))
        _cli(config, "bridges", "add", "north", "--telegram", f"{GROUP}=en", "--sms", f"{SMS_EN}=en")
        for uid in mods:
            _cli(config, "subscribers", "add", "--telegram", str(uid), "--language", "en", "--tier", "moderator")
        _cli(config, "subscribers", "add", "--telegram", str(observer), "--language", "en")

        held = "URGENT!!! The government says the river will flood tonight. Forward to everyone: bit.ly/x1"
        sim.inject_message(ANA, held, chat_id=GROUP)
        [flag] = await wait_for(lambda: json.loads(_cli(config, "flags", "list", "--json")))
        assert flag["state"] == "held" and "link_shortener:bit.ly" in flag["reasons"]

        sim.inject_message(observer, "/flags")
        [refused] = await wait_for(lambda: telegram_replies(program, observer))
        assert refused.startswith("Not allowed: flags.review needs the tier coordinator or moderator")
        sim.inject_message(mods[0], "/flags")
        [queue] = await wait_for(lambda: telegram_replies(program, mods[0]))
        assert queue.startswith(f"#{flag['id']} [held, score ") and "river will flood" in queue
        sim.inject_message(mods[0], f"/flags {flag['id']} warn checked: the river is high but no flood order")
        await wait_for(lambda: len(telegram_replies(program, mods[0])) == 2)
        assert "your vote release_warning is recorded (1 of 2 needed)" in telegram_replies(program, mods[0])[1]
        assert _to(program, SMS_EN) == []  # still held
        sim.inject_message(mods[1], f"/flags {flag['id']} warn")
        [decided] = await wait_for(lambda: telegram_replies(program, mods[1]))
        assert decided == f"Flag {flag['id']}: decided release_warning by 2 moderators."
        [relayed] = await wait_for(lambda: _to(program, SMS_EN))
        assert relayed.startswith("Ana (Telegram):\nURGENT!!! The government says the river will flood tonight.")
        assert relayed.endswith("[Caution] Unverified message with signs of misinformation. Check before you share it.")


async def test_a_relayed_message_no_claim_caught_is_raised_confirmed_false_and_corrected(tmp_path):
    async with _relay(tmp_path) as (program, config):
        sim = _north_group(program)
        _cli(config, "bridges", "add", "north", "--telegram", f"{GROUP}=en", "--sms", f"{SMS_EN}=en")
        _cli(config, "subscribers", "add", "--phone", OUTSIDER, "--language", "en")
        sim.inject_message(ANA, "The mayor has ordered all shops closed until Friday.", chat_id=GROUP)
        await wait_for(lambda: _to(program, SMS_EN))

        [recent] = json.loads(_cli(config, "flags", "recent", "--json"))
        assert recent["action"] == "relay" and recent["text"].startswith("The mayor has ordered")
        opened = _cli(config, "flags", "raise", str(recent["screening"]), "--by", "ana", "--reason", "no such order")
        assert "flag 1 opened" in opened
        again = CliRunner().invoke(app, ["--config", str(config), "flags", "raise", str(recent["screening"])])
        assert "already flag 1" in str(again.exception)
        _cli(config, "flags", "vote", "1", "false", "--by", "ana", "--correction", "Shops may open; there is no order.")
        assert "correction queued" in _cli(config, "flags", "vote", "1", "false", "--by", "ben")
        program.dispatcher.wake()
        await wait_for(lambda: len(_to(program, SMS_EN)) == 2)
        correction = _to(program, SMS_EN)[1]
        assert correction.startswith("CORRECTION: a message relayed to you on ")
        assert "Shops may open; there is no order." in correction and VERIFY_LINE.search(correction)
        assert _to(program, OUTSIDER) == []


async def test_a_release_decided_at_the_cli_is_relayed_by_the_running_relay(tmp_path):
    async with _relay(tmp_path, services=True) as (program, config):
        sim = _north_group(program)
        _cli(config, "bridges", "add", "north", "--telegram", f"{GROUP}=en", "--sms", f"{SMS_ES}=es")
        _cli(config, "claims", "add", CLAIM_ES, "--lang", "es")
        sim.inject_message(ANA, RUMOUR, chat_id=GROUP)
        [flag] = await wait_for(lambda: json.loads(_cli(config, "flags", "list", "--json")))
        # The votes come from another process, as an operator's would: no bridge runs there.
        for who in ("ana", "ben"):
            vote = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "relay.app.cli", "--config", str(config), "flags", "vote", str(flag["id"]),
                "release", "--by", who, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await vote.communicate()
            assert vote.returncode == 0, err.decode()
        assert "decided release by 2 moderators" in out.decode()
        assert "no relaying feature took the released message" in err.decode()
        [copy] = await wait_for(lambda: _to(program, SMS_ES))  # ... the running relay hands it over
        assert copy.startswith("Ana (Telegram):\n") and "agua" in copy.lower()
        [done] = json.loads(_cli(config, "flags", "list", "--status", "released", "--json"))
        assert done["release_pending"] is False
