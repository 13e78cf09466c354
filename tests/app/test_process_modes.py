"""Every process mode is built from the one Feature list: `relay run`, `relay serve` and `relay worker`
register the same commands (and fallthrough handlers, in the same order), and the two modes with a web
side serve the same routes. `serve` used to miss the alerts' commands and their API (/api/crises
answered 404 there, so an RSVP by SMS to a serve-only process was an unknown command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("mode_probe.py")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _probe(mode: str, config: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(PROBE), mode, str(config)], capture_output=True, text=True,
                          timeout=180, env=env, cwd=config.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def probes(tmp_path_factory) -> dict[str, dict]:
    found = {}
    for mode in ("run", "serve", "worker"):
        where = tmp_path_factory.mktemp(mode)
        config = where / "relay.toml"
        config.write_text(f'data_dir = "{where / "data"}"\n[http]\nhost = "127.0.0.1"\nport = 0\n'
                          '[sandbox]\nport = 0\n', encoding="utf-8")
        found[mode] = _probe(mode, config)
    return found


def test_every_mode_registers_the_same_commands_in_the_same_order(probes):
    run = probes["run"]
    assert {"crisis", "rsvp", "join", "stop", "ack"} <= set(run["commands"])
    for mode in ("serve", "worker"):
        assert probes[mode]["commands"] == run["commands"], mode
        assert probes[mode]["fallthrough"] == run["fallthrough"], mode
    # Bridged rooms are asked first and citizen reports last.
    assert run["fallthrough"][0].endswith("relay_message") and run["fallthrough"][-1].endswith("report_message")


def test_run_and_serve_serve_the_same_routes(probes):
    assert probes["serve"]["routes"] == probes["run"]["routes"]
    assert {"/api/crises", "/webhooks/sms/inbound", "/webhooks/telegram", "/api/broadcasts"} <= set(
        probes["run"]["routes"])
    assert probes["worker"]["routes"] is None  # a worker has no web side


def test_serve_answers_the_alerts_api(probes):
    # Without a token the API refuses (401); a route that is not there would be 404.
    assert probes["serve"]["crises"] == 401
    assert probes["run"]["crises"] == 401


def test_only_modes_with_a_background_part_run_services(probes):
    assert probes["serve"]["services"] == []
    assert probes["worker"]["services"] == probes["run"]["services"] != []


def test_every_mode_is_ready_to_screen_before_its_first_message(probes):
    # Each mode takes messages in (webhooks or chat loops), so each loads its models and claim index at
    # start-up, not inside the first webhook, where the loads stalled the event loop.
    for mode in ("run", "serve", "worker"):
        assert probes[mode]["screening_ready"] is True, mode
