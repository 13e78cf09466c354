"""alerts/ fixtures: a migrated database (SQLite and PostgreSQL) with the [alerts] settings the tests
need, subscribers from CSV, and a controlled clock (a plain datetime the test moves forward)."""

from __future__ import annotations

import io
from contextlib import closing
from datetime import datetime, timezone

import pytest

from alerts.config import alerts_settings
from alerts.sending import Sender
from relay.core import subscribers
from relay.app.settings import load_settings
from relay.core.db import Database

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)

CONTACTS = {
    "party": ["+12015550201"],
    "movement": ["+12015550202", "telegram:4242"],
    "network": ["+12015550203"],
}

PEOPLE = """name,phone,telegram,language,timezone,regions,tier
Party lead,+12015550201,,en,America/New_York,north,coordinator
Movement lead,+12015550202,,es,Europe/Madrid,north,partner
Movement chat,,4242,fr,Europe/Paris,north,partner
Network lead,+12015550203,,ht,America/Port-au-Prince,north,partner
"""


def make_settings(tmp_path, database_url: str, **alerts):
    # Apertium only: argos reads its directories once per process, at import, and tests/translation owns that.
    return load_settings(None, overrides={"data_dir": str(tmp_path / "data"), "database_url": database_url,
                                          "alerts": alerts, "translation": {"engines": ["apertium"]}})


@pytest.fixture
def alerts_db(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url, crisis={"contacts": CONTACTS, "reminders": ["6h", "1h"]},
                             scheduler={"grace": "30m"})
    with closing(Database.open(settings, upgrade=True)) as db:
        yield settings, db


@pytest.fixture
def sender(alerts_db) -> Sender:
    settings, db = alerts_db
    return Sender(settings, db.sessions, translate=False)


@pytest.fixture
def cfg(alerts_db):
    return alerts_settings(alerts_db[0])


def add_people(db, rows: str) -> None:
    with db.sessions.begin() as session:
        report = subscribers.import_csv(session, io.StringIO(rows), actor="test", default_region=None,
                                        default_timezone="UTC")
        assert not report.errors, report.errors


def deliver_all(db, now=None) -> int:
    """Play the dispatcher and the provider: every pending delivery is claimed and reported delivered,
    through the core's own claim and record functions."""
    from datetime import datetime, timezone

    from sqlalchemy import select

    from relay.delivery import deliveries
    from relay.core.models import Delivery

    now = now or datetime.now(timezone.utc)
    count = 0
    with db.sessions.begin() as session:
        senders = set(session.scalars(select(Delivery.sender).where(Delivery.status == "pending").distinct()))
        for sender in senders:
            claimed = deliveries.claim(session, sender, "test-worker", 10_000, now)
            deliveries.record(session, "test-worker", [deliveries.Outcome(c.id, "delivered", f"pm-{c.id}")
                                                       for c in claimed], now)
            count += len(claimed)
    return count
