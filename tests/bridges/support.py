"""A bridged room as the tests set one up: the operator's own `relay bridges add` on a running relay.
(A plain module, not conftest: the hardening tests use it too.)"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from channels.sandbox.telegram_settings import SimGroup, SimUser
from channels.sandbox.telegram_sim import TelegramSimulator
from relay.app.cli import app
from relay.app.program import Program


def bridge_north(program: Program, tmp_path: Path, person: SimUser, group: int, sms: str) -> TelegramSimulator:
    """A Telegram group "North" of one `person`, bridged in English with the SMS number `sms`; the
    Telegram simulator, to play the group with."""
    sim = program.simulators["telegram"]
    sim.add_user(person)
    sim.add_group(SimGroup(id=group, title="North", members=[person.id]))
    config = tmp_path / "relay.toml"
    config.write_text(f'data_dir = "{program.settings.data_dir}"\n')
    made = CliRunner().invoke(app, ["--config", str(config), "bridges", "add", "north",
                                    "--telegram", f"{group}=en", "--sms", f"{sms}=en"])
    assert made.exit_code == 0, made.output
    return sim
