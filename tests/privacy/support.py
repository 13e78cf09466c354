"""Shared set-up of the privacy tests: a migrated database (SQLite or PostgreSQL), people imported and
joined by SMS through the real inbound handling, broadcasts planned by the real outbox."""

from __future__ import annotations

import io
from datetime import datetime, timezone

from relay.app.settings import load_settings
from relay.core import subscribers
from relay.core.db import Database
from relay.delivery import outbox
from relay.delivery.outbox import Audience, BroadcastRequest
from relay.inbound import handling
from channels.base import Inbound

NUMBER = "+12015550100"
SENDERS = {"sms": [NUMBER]}
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
PEOPLE = """name,phone,language,regions
Ana,+50937001111,en,north
Ben,+50937002222,fr,north
"""


def open_database(tmp_path, database_url: str, **sections) -> tuple:
    settings = load_settings(None, overrides={"data_dir": str(tmp_path / "data"), "database_url": database_url,
                                              "sandbox": {"sms_numbers": [NUMBER]},
                                              "translation": {"engines": ["apertium"]}, **sections})
    database = Database.open(settings, upgrade=True)
    with database.sessions.begin() as session:
        report = subscribers.import_csv(session, io.StringIO(PEOPLE), actor="test", default_region=None,
                                        default_timezone="UTC")
        assert not report.errors
    return settings, database


_ids = iter(range(1, 10**6))


def sms(database, settings, sender: str, text: str, at: datetime = T0, provider_id: str | None = None) -> str | None:
    """One SMS as the Twilio webhook hands it over, through the relay's own inbound handling."""
    inbound = Inbound(channel="sms", provider_message_id=provider_id or f"SM{next(_ids):032d}", sender=sender,
                      recipient=NUMBER, text=text, received_at=at)
    with database.sessions.begin() as session:
        return handling.handle(session, inbound, settings).reply


def broadcast(database, kind: str, body: str, *, region: str | None = None, severity: str = "Unknown",
              now: datetime = T0, texts: dict | None = None) -> int:
    request = BroadcastRequest(kind=kind, body=body, source_language="en", sender="coordinator", severity=severity,
                               audience=Audience(regions=(region,)) if region else Audience(),
                               human_texts=texts or {})
    return outbox.plan_broadcast(database.sessions, request, senders=SENDERS, actor="test", now=now).id


def finish_all(database, now: datetime, outcome: str = "delivered", limit: int = 10_000) -> int:
    """Play the dispatcher and the provider through the delivery layer's own claim and record: up to
    `limit` pending deliveries end as `outcome` (delivered or failed)."""
    from relay.delivery import deliveries

    def result(claimed) -> deliveries.Outcome:
        if outcome == "delivered":
            return deliveries.Outcome(claimed.id, "delivered", f"pm-{claimed.id}")
        return deliveries.Outcome(claimed.id, outcome, error="the carrier refused it")

    with database.sessions.begin() as session:
        claimed = deliveries.claim(session, NUMBER, "test-worker", limit, now)
        deliveries.record(session, "test-worker", [result(c) for c in claimed], now)
        return len(claimed)
