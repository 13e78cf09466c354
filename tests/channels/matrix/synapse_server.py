"""A throwaway Synapse homeserver for the tests: real server, sqlite, 127.0.0.1 only.

Synapse runs from its own virtual environment (`.cache/synapse-venv`, made by
`scripts/ensure-synapse.sh`), never the project's. Its config is generated with `--generate-config`
and then overridden by a second config file (Synapse merges `-c` files, later ones winning), so the
generated secrets and signing key stay as Synapse made them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SYNAPSE_VENV = ROOT / ".cache" / "synapse-venv"
SERVER_NAME = "localhost"

# Generous limits for the fast tests; the rate-limit test runs a second server without them.
RAISED_LIMITS: dict[str, Any] = {
    "rc_message": {"per_second": 1000, "burst_count": 1000},
    "rc_registration": {"per_second": 1000, "burst_count": 1000},
    "rc_login": {
        "address": {"per_second": 1000, "burst_count": 1000},
        "account": {"per_second": 1000, "burst_count": 1000},
        "failed_attempts": {"per_second": 1000, "burst_count": 1000},
    },
    "rc_joins": {"local": {"per_second": 1000, "burst_count": 1000}},
    "rc_joins_per_room": {"per_second": 1000, "burst_count": 1000},
    "rc_invites": {
        "per_room": {"per_second": 1000, "burst_count": 1000},
        "per_user": {"per_second": 1000, "burst_count": 1000},
        "per_issuer": {"per_second": 1000, "burst_count": 1000},
    },
    "rc_room_creation": {"per_second": 1000, "burst_count": 1000},
}


@dataclass(frozen=True)
class User:
    user_id: str
    access_token: str
    device_id: str
    password: str


class SynapseError(RuntimeError):
    """Synapse could not be set up or started; the message says why (with the log's tail)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_venv() -> Path:
    """The Synapse venv's python, building the venv with the project script when it is missing."""
    python = SYNAPSE_VENV / "bin" / "python"
    if not python.exists():
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "ensure-synapse.sh")], capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0:
            raise SynapseError(f"scripts/ensure-synapse.sh failed: {result.stderr.strip()[-2000:]}")
    return python


class SynapseServer:
    """One homeserver process in `workdir`; `start()` returns once the client API answers."""

    def __init__(self, workdir: Path, overrides: dict[str, Any] | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.shared_secret = secrets.token_hex(16)
        self._overrides = overrides or {}
        self._process: subprocess.Popen[bytes] | None = None
        self._log = workdir / "synapse.out"

    def start(self, timeout: float = 60.0) -> None:
        python = ensure_venv()
        config = self.workdir / "homeserver.yaml"
        generated = subprocess.run(
            [str(python), "-m", "synapse.app.homeserver", "--server-name", SERVER_NAME, "--config-path",
             str(config), "--data-directory", str(self.workdir), "--generate-config", "--report-stats=no"],
            capture_output=True, text=True, timeout=120, cwd=self.workdir,
        )  # fmt: skip
        if generated.returncode != 0:
            raise SynapseError(f"synapse --generate-config failed: {generated.stderr.strip()[-2000:]}")
        overrides = {
            "listeners": [{
                "port": self.port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}],
            }],
            "registration_shared_secret": self.shared_secret,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": False},
            "bcrypt_rounds": 4,
            "report_stats": False,
            "enable_registration": False,
            **self._overrides,
        }  # fmt: skip
        (self.workdir / "overrides.yaml").write_text(json.dumps(overrides))  # JSON is YAML
        with self._log.open("wb") as out:
            self._process = subprocess.Popen(
                [str(python), "-m", "synapse.app.homeserver", "-c", str(config), "-c", str(self.workdir / "overrides.yaml")],
                stdout=out, stderr=subprocess.STDOUT, cwd=self.workdir,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SynapseError(f"Synapse exited with {self._process.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise SynapseError(f"Synapse did not answer within {timeout:.0f} s: {self.log_tail()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        texts = []
        for path in (self._log, self.workdir / "homeserver.log"):
            if path.exists():
                texts.extend(path.read_text(errors="replace").splitlines()[-lines:])
        return "\n".join(texts) or "(no log)"

    # -- the admin API -----------------------------------------------------------------------------

    def register(self, localpart: str, *, admin: bool = False) -> User:
        """A new account through `/_synapse/admin/v1/register`, signed with the shared secret.

        The answer carries an access token, so tests never need a (rate-limited) password login.
        """
        password = secrets.token_urlsafe(12)
        nonce = self._json("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password, "admin" if admin else "notadmin"):
            if part != nonce:
                mac.update(b"\x00")
            mac.update(part.encode())
        answer = self._json(
            "POST",
            "/_synapse/admin/v1/register",
            {"nonce": nonce, "username": localpart, "password": password, "admin": admin, "mac": mac.hexdigest()},
        )
        return User(answer["user_id"], answer["access_token"], answer["device_id"], password)

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise SynapseError(f"{method} {path}: {exc.code} {exc.read().decode(errors='replace')}") from None


def launch_or_skip(workdir: Path, overrides: dict[str, Any] | None = None) -> SynapseServer:
    """A started server. One that cannot start fails the test with CI=true and skips it (with the
    reason) elsewhere, so a laptop without the Synapse venv still runs the rest of the suite."""
    server = SynapseServer(workdir, overrides)
    try:
        server.start()
    except (SynapseError, OSError, subprocess.SubprocessError) as exc:
        server.stop()
        if os.environ.get("CI") == "true":
            pytest.fail(f"Synapse could not start and CI=true: {exc}")
        pytest.skip(f"Synapse could not start: {exc}")
    return server
