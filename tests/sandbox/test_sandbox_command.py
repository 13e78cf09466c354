"""`relay sandbox` runs the provider simulators alone, for a relay (or a person with curl) to talk to."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.e2e.conftest import free_port

TELEGRAM_TOKEN = "7000000099:" + "s" * 12 + "B" * 12 + "x1"


def test_relay_sandbox_serves_the_twilio_and_telegram_simulators(tmp_path):
    sms_port, telegram_port = free_port(), free_port()
    env = {**os.environ, "RELAY_SANDBOX_AUTH_TOKEN": "t" * 32, "RELAY_SANDBOX_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
           "RELAY_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen([sys.executable, "-m", "relay.app.cli", "sandbox", "--port", str(sms_port),
                                "--telegram-port", str(telegram_port)], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                me = httpx.get(f"http://127.0.0.1:{telegram_port}/bot{TELEGRAM_TOKEN}/getMe", timeout=1).json()
                break
            except httpx.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert me["ok"] and me["result"]["id"] == 7000000099
        assert httpx.get(f"http://127.0.0.1:{telegram_port}/botWRONG:token/getMe").status_code == 401
        assert httpx.get(f"http://127.0.0.1:{sms_port}/sandbox/stats").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_telegram_simulator_needs_a_token(tmp_path):
    env = {**os.environ, "RELAY_SANDBOX_AUTH_TOKEN": "t" * 32, "RELAY_DATA_DIR": str(tmp_path / "data")}
    env.pop("RELAY_SANDBOX_TELEGRAM_TOKEN", None)
    result = subprocess.run([sys.executable, "-m", "relay.app.cli", "sandbox", "--telegram-port", str(free_port())],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "RELAY_SANDBOX_TELEGRAM_TOKEN" in result.stderr
