"""A relay scaled out on PostgreSQL, as real processes: the Twilio simulator (`relay sandbox`), one `relay
serve` for the webhooks (status callbacks), and any number of `relay worker` processes, all sharing one
schema of the machine's PostgreSQL. `RELAY_SOAK=1` (`make soak`) turns the fast forms into the long ones.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_URL, require_postgres
from tests.e2e.conftest import free_port

RELAY = [sys.executable, "-m", "relay.cli"]
TOKEN = "rel" + "1" * 29
ACCOUNT = "AC" + "5a" * 16
SOAK = os.environ.get("RELAY_SOAK") == "1"


def soak(fast, long):
    """The fast form's figure in `make test`, the long form's in `make soak`."""
    return long if SOAK else fast


@dataclass
class Cluster:
    root: Path
    database_url: str
    application_name: str
    numbers: list[str]
    rate: float = 0.0
    max_in_flight: int = 50
    http_port: int = field(default_factory=free_port)
    sim_port: int = field(default_factory=free_port)
    workers: list[subprocess.Popen] = field(default_factory=list)
    others: list[subprocess.Popen] = field(default_factory=list)
    started: int = 0
    _log_of: dict[int, Path] = field(default_factory=dict)

    def write_config(self) -> None:
        numbers = json.dumps(self.numbers)
        (self.root / "relay.toml").write_text(f"""
data_dir = "data"
database_url = "{self.database_url}"
[http]
port = {self.http_port}
[dispatcher]
max_in_flight = {self.max_in_flight}
backoff_initial_seconds = 0.5
backoff_max_seconds = 4
rate_limits = {"true" if self.rate else "false"}
[translation]
engines = ["apertium"]
[sandbox]
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

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([*RELAY, *args], cwd=self.root, env=self.env, capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, f"relay {' '.join(args)}: {result.stdout}\n{result.stderr}"
        return result

    def _spawn(self, *args: str) -> subprocess.Popen:
        path = self.root / f"{args[0]}-{self.started}.log"
        self.started += 1
        process = subprocess.Popen([*RELAY, *args], cwd=self.root, env=self.env, stdout=open(path, "w"),
                                   stderr=subprocess.STDOUT)
        self._log_of[process.pid] = path
        return process

    def _wait_http(self, url: str, process: subprocess.Popen, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert process.poll() is None, f"process exited with {process.returncode} before serving {url}"
            try:
                httpx.get(url, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"{url} not up within {timeout}s")

    def start_sandbox(self) -> None:
        process = self._spawn("sandbox", "--port", str(self.sim_port))
        self.others.append(process)
        self._wait_http(f"http://127.0.0.1:{self.sim_port}/sandbox/stats", process)

    def start_serve(self) -> None:
        process = self._spawn("serve")
        self.others.append(process)
        self._wait_http(f"http://127.0.0.1:{self.http_port}/readyz", process)

    def start_worker(self) -> subprocess.Popen:
        process = self._spawn("worker")
        self.workers.append(process)
        return process

    def live_workers(self) -> list[subprocess.Popen]:
        return [w for w in self.workers if w.poll() is None]

    def ready_workers(self) -> list[subprocess.Popen]:
        """Live workers that finished starting (a kill before that tests the import, not the relay)."""
        return [w for w in self.live_workers() if "stop with" in self._log_of[w.pid].read_text()]

    def wait_sending(self, broadcast_id: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.report(broadcast_id)["by_status"].get("delivered"):
            assert time.monotonic() < deadline, "no delivery within the time allowed"
            time.sleep(0.5)

    def kill_9(self, worker: subprocess.Popen) -> None:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    def sms_log(self) -> list[dict]:
        path = self.root / "data" / "sandbox" / "sms.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []

    def report(self, broadcast_id: int) -> dict:
        return json.loads(self.cli("broadcast", "status", str(broadcast_id), "--json").stdout)

    def wait_final(self, broadcast_id: int, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            report = self.report(broadcast_id)
            open_ = sum(report["by_status"].get(s, 0) for s in ("pending", "sending", "sent"))
            if open_ == 0 or time.monotonic() > deadline:
                return report
            time.sleep(1.0)

    def stop_all(self) -> None:
        for process in [*self.workers, *self.others]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers, *self.others]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def counted(cluster: Cluster, phones: list[str], body: str) -> tuple[Counter, set[str], int]:
    received = Counter(m["to"] for m in cluster.sms_log() if body in m["body"])
    missed = set(phones) - set(received)
    return received, missed, sum(n - 1 for n in received.values())


@pytest.fixture
def cluster(tmp_path):
    """A PostgreSQL schema of its own (dropped afterwards) and the processes started on it."""
    require_postgres()
    schema = f"rel_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    made: list[Cluster] = []

    def make(numbers: list[str], **kwargs) -> Cluster:
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}&application_name={schema}"
        c = Cluster(tmp_path, url, schema, numbers, **kwargs)
        c.write_config()
        c.cli("db", "upgrade")
        made.append(c)
        return c

    try:
        yield make
    finally:
        for c in made:
            c.stop_all()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
