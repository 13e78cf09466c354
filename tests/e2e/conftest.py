"""Real processes: `relay sandbox` (the Twilio simulator) and `relay run`, driven by the `relay` CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.running import wait_http

RELAY = [sys.executable, "-m", "relay.app.cli"]
TOKEN = "e2e" + "0" * 29
ACCOUNT = "AC" + "5a" * 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Site:
    """A relay installation in a temporary folder: config, data directory, processes."""

    root: Path
    numbers: list[str]
    rate: float
    max_in_flight: int = 100
    http_port: int = field(default_factory=free_port)
    sim_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)

    def install(self) -> None:
        """relay.toml written and the database migrated, as an operator sets a site up."""
        self.write_config()
        self.cli("db", "upgrade")

    def write_config(self) -> None:
        self.write_toml()

    def write_toml(self, *, top: str = "", dispatcher: str = "", sections: str = "") -> None:
        """relay.toml: the sandbox and the SMS adapter on this site's numbers, rate and ports, plus `top`
        (top-level keys), `dispatcher` (more [dispatcher] keys) and `sections` (whole sections), each a
        block of TOML lines."""
        numbers = json.dumps(self.numbers)
        (self.root / "relay.toml").write_text(f"""
data_dir = "data"
{top}[http]
port = {self.http_port}
[dispatcher]
max_in_flight = {self.max_in_flight}
backoff_initial_seconds = 0.5
{dispatcher}{sections}[sandbox]
sms_numbers = {numbers}
segments_per_second = {self.rate}
[sms]
account_sid = "{ACCOUNT}"
numbers = {numbers}
segments_per_second = {self.rate}
api_base_url = "http://127.0.0.1:{self.sim_port}"
""")

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "RELAY_SMS__AUTH_TOKEN": TOKEN, "RELAY_SANDBOX_AUTH_TOKEN": TOKEN,
                "RELAY_CONFIG": str(self.root / "relay.toml")}

    def cli(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run([*RELAY, *args], cwd=self.root, env=self.env, capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"relay {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def start(self, *args: str) -> subprocess.Popen:
        log = open(self.root / f"{args[0]}-{len(self.processes)}.log", "w")
        process = subprocess.Popen([*RELAY, *args], cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def start_sandbox(self) -> subprocess.Popen:
        process = self.start("sandbox", "--port", str(self.sim_port))
        wait_http(f"http://127.0.0.1:{self.sim_port}/sandbox/stats", process)
        return process

    def start_relay(self) -> subprocess.Popen:
        process = self.start("run")
        wait_http(f"http://127.0.0.1:{self.http_port}/readyz", process)
        return process

    def sms_log(self) -> list[dict]:
        path = self.root / "data" / "sandbox" / "sms.jsonl"
        if not path.exists():
            return []
        lines = path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def subscribers_csv(path: Path, count: int, prefix: str = "+1201556") -> list[str]:
    # The prefix's last three digits are the exchange: past 10,000 people the count carries into it, so every
    # number stays a valid ten-digit NANP number (+1201556 then 10000 was 11 digits, refused by the import).
    area, exchange = prefix[:-3], int(prefix[-3:])
    phones = [f"{area}{exchange * 10_000 + i:07d}" for i in range(count)]
    languages = ["en", "es", "fr", "ht"]
    rows = ["name,phone,language"] + [f"Person {i},{p},{languages[i % 4]}" for i, p in enumerate(phones)]
    path.write_text("\n".join(rows) + "\n")
    return phones


@pytest.fixture
def site(tmp_path):
    created: list[Site] = []

    def make(numbers: list[str], rate: float, **kwargs) -> Site:
        s = Site(tmp_path, numbers, rate, **kwargs)
        s.install()
        created.append(s)
        return s

    yield make
    for s in created:
        s.stop_all()
