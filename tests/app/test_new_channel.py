"""A new channel is one module and one line: `tests/app/extra_channels/console_sink.py` (a channel and
its spec) plus its entry in the registry give it a config section, a subscriber CSV column with its own
address rule, an adapter the dispatcher drives, and delivery reports — no core file names it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_a_fourth_channel_receives_a_broadcast_beside_sms(tmp_path):
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("sink_probe.py")), str(tmp_path)],
                          capture_output=True, text=True, timeout=180, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["errors"] == []
    assert found["by_channel"]["console_sink"] == {"delivered": 1, "failed": 1}
    assert found["by_channel"]["sms"] == {"delivered": 1}
    written = [json.loads(line) for line in (tmp_path / "sink.jsonl").read_text().splitlines()]
    assert written == [{"to": "ops-room", "text": "Flood warning: move to higher ground now."}]
    assert len(found["refused"]) == 1 and "console 'Not A Name!'" in found["refused"][0]
