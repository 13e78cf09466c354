"""A relay scaled out on PostgreSQL, as real processes: the Twilio simulator (`relay sandbox`), one `relay
serve` for the webhooks (status callbacks), and any number of `relay worker` processes, all sharing one
schema of the machine's PostgreSQL. `RELAY_SOAK=1` (`make soak`) turns the fast forms into the long ones.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_URL, require_postgres
from tests.e2e.conftest import Site
from tests.running import wait_http

SOAK = os.environ.get("RELAY_SOAK") == "1"


def soak(fast, long):
    """The fast form's figure in `make test`, the long form's in `make soak`."""
    return long if SOAK else fast


@dataclass
class Cluster(Site):
    """The e2e `Site` on PostgreSQL, with `relay serve` and any number of `relay worker` processes."""

    database_url: str = ""
    application_name: str = ""
    workers: list[subprocess.Popen] = field(default_factory=list)

    def write_config(self) -> None:
        self.write_toml(top=f'database_url = "{self.database_url}"\n',
                        dispatcher="backoff_max_seconds = 4\nreceipt_check_seconds = 3\n"
                                   f'rate_limits = {"true" if self.rate else "false"}\n',
                        sections='[translation]\nengines = ["apertium"]\n')

    def _log_of(self, process: subprocess.Popen) -> Path:
        return Path(process.stdout_path)  # type: ignore[attr-defined]

    def start(self, *args: str) -> subprocess.Popen:
        path = self.root / f"{args[0]}-{len(self.processes)}.log"
        process = super().start(*args)
        process.stdout_path = path  # type: ignore[attr-defined]
        return process

    def start_serve(self) -> None:
        process = self.start("serve")
        wait_http(f"http://127.0.0.1:{self.http_port}/readyz", process, timeout=120)

    def start_worker(self) -> subprocess.Popen:
        process = self.start("worker")
        self.workers.append(process)
        return process

    def live_workers(self) -> list[subprocess.Popen]:
        return [w for w in self.workers if w.poll() is None]

    def ready_workers(self) -> list[subprocess.Popen]:
        """Live workers that finished starting (a kill before that tests the import, not the relay)."""
        return [w for w in self.live_workers() if "stop with" in self._log_of(w).read_text()]

    def report(self, broadcast_id: int) -> dict:
        """The status report; asked again when the database cut this very command's connection."""
        for _ in range(10):
            result = self.cli("broadcast", "status", str(broadcast_id), "--json", check=False)
            if result.returncode == 0:
                return json.loads(result.stdout)
            time.sleep(1.0)
        raise AssertionError(f"relay broadcast status kept failing:\n{result.stderr}")

    def wait_sending(self, broadcast_id: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.report(broadcast_id)["by_status"].get("delivered"):
            assert time.monotonic() < deadline, "no delivery within the time allowed"
            time.sleep(0.5)

    def kill_9(self, worker: subprocess.Popen) -> None:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    def wait_final(self, broadcast_id: int, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            report = self.report(broadcast_id)
            open_ = sum(report["by_status"].get(s, 0) for s in ("pending", "sending", "sent"))
            if open_ == 0 or time.monotonic() > deadline:
                return report
            time.sleep(1.0)


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
        c = Cluster(tmp_path, numbers, kwargs.pop("rate", 0.0), database_url=url, application_name=schema,
                    **kwargs)
        c.install()
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
