"""The outbox and the delivery state machine, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from channels.base import StatusUpdate
from relay.delivery import deliveries, outbox, reach, receipts
from relay.core import subscribers
from relay.delivery.deliveries import Outcome
from relay.core.models import Broadcast, Delivery, Endpoint
from relay.delivery.outbox import Audience, BroadcastError, BroadcastRequest

SENDERS = {"sms": ["+12015550100", "+12015550101"]}
NOW = lambda: datetime.now(timezone.utc)  # noqa: E731


def people(database, rows: str) -> None:
    with database.sessions.begin() as session:
        report = subscribers.import_csv(session, io.StringIO(rows), actor="test", default_region=None,
                                        default_timezone="UTC")
        assert not report.errors, report.errors


def plan(database, kind="notice", body="Test message", **kwargs):
    request = BroadcastRequest(kind=kind, body=body, source_language="en", sender="test", **kwargs)
    return outbox.plan_broadcast(database.sessions, request, senders=SENDERS, actor="test")


CROWD = "phone,language,regions,topics,tier\n" + "".join(
    f"+1201555{1000 + i:04d},{'en' if i % 3 else 'es'},{'north' if i % 2 else 'south'},{'water' if i % 5 == 0 else ''},observer\n"
    for i in range(30)
)


def test_plan_creates_one_delivery_per_endpoint_matching_the_audience(database):
    people(database, CROWD)
    planned = plan(database, audience=Audience(regions=("north",)))
    assert planned.deliveries == 15
    with database.sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.broadcast_id == planned.id)).all()
        assert len({r.endpoint_id for r in rows}) == 15
        assert {r.sender for r in rows} == set(SENDERS["sms"])  # spread over the pool
        assert {r.language for r in rows} == {"en", "es"}
        texts = {t.language: t for t in session.get(Broadcast, planned.id).texts}
        assert texts["en"].origin == "original" and texts["es"].origin == "untranslated"
    assert plan(database, audience=Audience(topics=("water",))).deliveries == 6
    assert plan(database, audience=Audience(regions=("north",), topics=("water",))).deliveries == 3


def test_opted_out_endpoints_and_withheld_consent_are_not_planned(database):
    people(database, CROWD)
    with database.sessions.begin() as session:
        subscribers.opt_out(session, subscribers.find_endpoint(session, "sms", "+12015551000"), actor="t", reason="STOP")
        endpoint = subscribers.find_endpoint(session, "sms", "+12015551001")
        endpoint.subscriber.consent_webinar = False
    assert plan(database, kind="webinar").deliveries == 28
    assert plan(database, kind="crisis").deliveries == 29


def test_human_text_wins_and_bad_requests_are_refused(database):
    people(database, CROWD)
    planned = plan(database, human_texts={"es": "Mensaje de prueba"})
    assert planned.languages == {"en": "original", "es": "human"}
    with pytest.raises(BroadcastError, match="severity"):
        plan(database, severity="Apocalyptic")
    with pytest.raises(BroadcastError, match="empty"):
        plan(database, body="   ")
    with pytest.raises(BroadcastError, match="past"):
        plan(database, expires_at=NOW() - timedelta(minutes=1))


def test_crisis_is_claimed_before_earlier_notices(database):
    people(database, CROWD)
    notice = plan(database, kind="notice")
    crisis = plan(database, kind="crisis")
    with database.sessions.begin() as session:
        claimed = deliveries.claim(session, SENDERS["sms"][0], "w1", 5, NOW())
        first_broadcasts = {c.broadcast_id for c in claimed}
    assert first_broadcasts == {crisis.id} and notice.id != crisis.id


def test_outcomes_retries_and_receipts(database):
    people(database, CROWD)
    planned = plan(database)
    sender = SENDERS["sms"][0]
    with database.sessions.begin() as session:
        claimed = deliveries.claim(session, sender, "w1", 4, NOW())
    a, b, c, d = claimed
    # A receipt that arrives before the send is recorded is kept and applied afterwards.
    with database.sessions.begin() as session:
        receipts.store_receipts(session, [StatusUpdate("sms", "SM-a", "delivered")], NOW())
    with database.sessions.begin() as session:
        deliveries.record(session, "w1", [
            Outcome(a.id, "sent", provider_message_id="SM-a"),
            Outcome(b.id, "sent", provider_message_id="SM-b"),
            Outcome(c.id, "retry", error="timeout", retry_at=NOW() + timedelta(hours=1)),
            Outcome(d.id, "opted_out", error="21610", endpoint_id=d.endpoint_id),
        ], NOW())
        # A zombie worker's outcome for someone else's claim is ignored.
        deliveries.record(session, "w-other", [Outcome(b.id, "failed", error="zombie")], NOW())
    with database.sessions.begin() as session:
        receipts.store_receipts(session, [StatusUpdate("sms", "SM-b", "undelivered", "30003")], NOW())
    with database.sessions() as session:
        status = {r.id: r for r in session.scalars(select(Delivery).where(Delivery.id.in_([a.id, b.id, c.id, d.id])))}
        assert status[a.id].status == "delivered"
        assert status[b.id].status == "failed" and "30003" in status[b.id].last_error
        assert status[c.id].status == "pending" and status[c.id].attempts == 1
        assert status[d.id].status == "failed"
        assert session.get(Endpoint, d.endpoint_id).opted_out is True
    # The retried row is not due yet.
    with database.sessions.begin() as session:
        again = deliveries.claim(session, sender, "w1", 100, NOW())
        assert c.id not in {x.id for x in again}
    with database.sessions() as session:
        report = reach.report(session, planned.id)
    assert report.by_status["delivered"] == 1 and report.total == 30


def test_an_outcome_of_unknown_kind_is_refused_where_it_is_made():
    # A misspelt kind would be filed under no status: its delivery would sit claimed until the sweep.
    with pytest.raises(ValueError, match="unknown delivery outcome 'canceled'"):
        Outcome(1, "canceled")
    assert Outcome(1, "cancelled").kind == "cancelled"


def test_cancel_and_expiry_stop_what_is_not_sent(database):
    people(database, CROWD)
    cancelled = plan(database)
    expiring = plan(database, expires_at=NOW() + timedelta(seconds=1))
    with database.sessions.begin() as session:
        assert deliveries.cancel(session, session.get(Broadcast, cancelled.id), actor="t") == 30
        assert deliveries.expire_due(session, NOW() + timedelta(seconds=5)) == 30
    with database.sessions.begin() as session:
        assert deliveries.claim(session, SENDERS["sms"][0], "w", 100, NOW() + timedelta(seconds=5)) == []
        assert reach.report(session, expiring.id).by_status == {"expired": 30}


def test_orphaned_claims_go_back_to_pending(database):
    people(database, CROWD)
    plan(database)
    sender = SENDERS["sms"][1]
    with database.sessions.begin() as session:
        claimed = deliveries.claim(session, sender, "dead-worker", 7, NOW())
        assert len(claimed) == 7
    with database.sessions.begin() as session:
        assert deliveries.release_orphans(session, sender, NOW()) == 7
        again = deliveries.claim(session, sender, "new-worker", 100, NOW())
    assert {c.id for c in claimed} <= {c.id for c in again}


def test_stop_cancels_queued_deliveries(database):
    people(database, CROWD)
    planned = plan(database)
    with database.sessions.begin() as session:
        endpoint = subscribers.find_endpoint(session, "sms", "+12015551002")
        assert subscribers.opt_out(session, endpoint, actor="t", reason="STOP") == 1
    with database.sessions() as session:
        row = session.scalar(select(Delivery).where(Delivery.broadcast_id == planned.id,
                                                    Delivery.endpoint_id == endpoint.id))
        assert row.status == "cancelled"


def test_concurrent_claims_never_overlap(database):
    """Several claimers at once (threads here, processes in production) take disjoint rows."""
    people(database, CROWD)
    for _ in range(4):
        plan(database)
    sender = SENDERS["sms"][0]
    results: list[list[int]] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while True:
            with database.sessions.begin() as session:
                got = deliveries.claim(session, sender, name, 3, NOW())
            if not got:
                return
            with lock:
                results.append([c.id for c in got])

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for batch in results for i in batch]
    with database.sessions() as session:
        expected = session.scalar(select(func.count()).where(Delivery.sender == sender))
    assert expected > 20 and len(ids) == len(set(ids)) == expected


def test_migrations_match_the_models(database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from relay.app import schema

    metadata = schema.metadata()
    try:
        import alerts.models  # noqa: F401  (alerts' tables, outside the core)
    except ImportError:
        pass
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []
