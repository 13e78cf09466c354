"""`relay` starts without what its typical command does not use: every CLI run imports the whole Feature
list, and the tests alone run the CLI some 250 times. The features name their API routers by reference
("module:attribute"), imported only when a web app is built; the process modes (the web server) are
imported by `run`, `serve` and `worker` only; Alembic, sacrebleu and APScheduler where they are used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi import APIRouter

from relay.app import features

ROOT = Path(__file__).resolve().parents[2]
DEFERRED = ("fastapi", "starlette", "uvicorn", "relay.app.web", "relay.api.app", "alerts.api", "alembic",
            "sacrebleu", "apscheduler")


def test_the_cli_imports_no_web_stack_nor_deferred_libraries():
    code = ("import json, sys; import relay.app.cli; "
            f"print(json.dumps([name for name in {DEFERRED!r} if name in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_every_router_reference_resolves():
    routers = features.api_routers()
    assert len(routers) == sum(len(feature.api_routers) for feature in features.FEATURES) >= 12
    assert all(isinstance(router, APIRouter) for router in routers)
