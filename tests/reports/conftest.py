"""Report tests run on SQLite and PostgreSQL (the `database_url` fixture of tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from relay.app.settings import load_settings
from relay.core.db import Database
from relay.core.models import Endpoint, Subscriber

sys.path.insert(0, str(Path(__file__).parent))  # support.py

ROUTES = {
    "medical_help": ["telegram:-1001"], "search_and_rescue": ["telegram:-1002"],
    "missing_people": ["telegram:-1002"], "water": ["telegram:-1003"], "food": ["telegram:-1003"],
    "shelter": ["telegram:-1003"], "security": ["telegram:-1004"], "infrastructure": ["telegram:-1005"],
}
DEFAULT_ROOMS = ["telegram:-1006"]
ESCALATION = ["telegram:-1009"]


def report_settings(tmp_path: Path, database_url: str | None = None, **reports):
    overrides = {"data_dir": str(tmp_path / "data"),
                 "reports": {"routes": ROUTES, "default_rooms": DEFAULT_ROOMS, "escalation_rooms": ESCALATION,
                             **reports}}
    if database_url:
        overrides["database_url"] = database_url
    return load_settings(None, overrides=overrides)


@pytest.fixture
def relay_db(tmp_path, database_url):
    settings = report_settings(tmp_path, database_url, translator_timeout_minutes=10, escalate_after_minutes=30)
    database = Database.open(settings, upgrade=True)
    try:
        yield settings, database
    finally:
        database.close()


def add_person(session, channel: str, address: str, *, tier: str = "contributor", language: str = "en") -> Endpoint:
    subscriber = Subscriber(language=language, tier=tier)
    endpoint = Endpoint(channel=channel, address=address)
    subscriber.endpoints.append(endpoint)
    session.add(subscriber)
    session.flush()
    return endpoint


# 200 real Mission 4636 SMS with their 2010 translations and categories (see tests/data/README.md).
HAITI_200 = Path(__file__).resolve().parents[1] / "data" / "mission4636_reports_200.csv"
# The whole shared file (only the test that re-trains the model needs it; skipped where it is absent).
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "crisis-sms" / \
    "disaster_response_messages_direct.csv"
