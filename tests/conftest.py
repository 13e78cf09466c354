"""Shared fixtures: the storage contract runs on SQLite and on the machine's PostgreSQL.

Each PostgreSQL test gets its own schema in the `test` database (dropped afterwards), so runs never
see each other's rows. With CI=true an unreachable PostgreSQL fails the run instead of skipping it.
"""

from __future__ import annotations

import io
import os
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from relay.app.settings import Settings, load_settings
from relay.core.db import make_sessionmaker
from relay.core.db import Database
from tests.pg_schema import fresh_schema
from tests.running import starting

POSTGRES_URL = os.environ.get("RELAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return str(exc).splitlines()[0]


_PG_PROBLEM = _postgres_available()


@pytest.fixture(autouse=True, scope="session")
def _features_installed() -> None:
    """What every relay process does at start (relay/app/features.py): the command table and the core's
    hooks filled from the one Feature list. Tests that call the inbound or delivery layers directly
    need it as much as a running relay does."""
    from relay.app import features

    features.install()


def require_postgres() -> None:
    if _PG_PROBLEM is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable and CI=true: {_PG_PROBLEM}")
    pytest.skip(f"PostgreSQL unreachable: {_PG_PROBLEM}")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections live in a fresh schema of the `test` database (dropped afterwards)."""
    require_postgres()
    with fresh_schema(POSTGRES_URL, "t") as url:
        yield url


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


@contextmanager
def storage_url(kind: str, directory: Path) -> Iterator[str]:
    """The one storage parameter of the suite: an SQLite file in `directory`, or a PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'relay.db'}"
    else:
        with postgres_schema() as url:
            yield url


STORAGE = ["sqlite", "postgresql"]


@pytest.fixture(params=STORAGE)
def database_url(request, tmp_path) -> Iterator[str]:
    """Every storage test runs on SQLite and on the machine's PostgreSQL (STYLE.md: contract tests)."""
    with storage_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return load_settings(None, overrides={"data_dir": str(tmp_path / "data"), "database_url": database_url})


@pytest.fixture
def database(settings) -> Iterator[Database]:
    with closing(Database.open(settings, upgrade=True)) as db:
        yield db


@contextmanager
def people_database(tmp_path: Path, database_url: str, people_csv: str,
                    **sections) -> Iterator[tuple[Settings, Database]]:
    """Settings (one sandbox SMS number, plus `sections`) and their migrated database, every feature
    installed and `people_csv` imported: a storage test's whole set-up."""
    from relay.app import features
    from relay.core import subscribers

    features.install()
    settings = load_settings(None, overrides={"data_dir": str(tmp_path / "data"), "database_url": database_url,
                                              "sandbox": {"sms_numbers": ["+12015550100"]}, **sections})
    with closing(Database.open(settings, upgrade=True)) as database:
        with database.sessions.begin() as session:
            subscribers.import_csv(session, io.StringIO(people_csv), actor="test", default_region=None,
                                   default_timezone="UTC")
        yield settings, database


@pytest.fixture
def sqlite_settings(tmp_path) -> Settings:
    return load_settings(None, overrides={"data_dir": str(tmp_path / "data")})


@pytest.fixture
async def start_twilio_sim(tmp_path: Path):
    """Start a Twilio simulator with defaults overridden by keyword arguments; stopped after the test."""
    from channels.sandbox.twilio_sim import TwilioSimSettings, TwilioSimulator
    from tests.sandbox.twilio_sim_support import FROM, OTHER_FROM, SID, TOKEN

    def make(index: int, **overrides: object) -> TwilioSimulator:
        values = {"account_sid": SID, "auth_token": TOKEN, "numbers": [FROM, OTHER_FROM], "segments_per_second": 0}
        values.update(overrides)
        return TwilioSimulator(TwilioSimSettings(**values), tmp_path / f"data{index}")

    async with starting(make) as start:
        yield start


@pytest.fixture
def live(tmp_path):
    """A whole relay over real HTTP on 127.0.0.1 (tests/api/conftest.py), on SQLite."""
    from tests.api.conftest import live_relay

    with live_relay(tmp_path, translation={"engines": ["apertium"]}) as relay:
        yield relay


@pytest.fixture
def live_any(tmp_path, database_url):
    """The same live relay on SQLite and on the machine's PostgreSQL."""
    from tests.api.conftest import live_relay

    with live_relay(tmp_path, translation={"engines": ["apertium"]}, database_url=database_url) as relay:
        yield relay


@pytest.fixture
async def webhooks():
    """A stand-in for the relay's webhooks that records what a simulator posts (tests/sandbox/twilio_sim_support.py)."""
    from tests.sandbox.twilio_sim_support import running_webhooks

    async with running_webhooks() as hooks:
        yield hooks


__all__ = ["make_sessionmaker", "DATA", "ROOT"]
