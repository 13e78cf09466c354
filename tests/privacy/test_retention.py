"""The retention purge on SQLite and PostgreSQL: after it, `relay broadcast status` shows the same
counts, the crisis timeline is unchanged and `relay crisis verify` passes on its export (a real
process), a crisis broadcast whose rows were purged before its figures were recorded still gets the
right figures; old inbound bodies and closed reports lose their text and sender, open reports stay,
and a replayed webhook is still a duplicate."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from alerts import crisis, timeline
from alerts.models import Crisis
from alerts.tick import run_due
from relay.core.models import AuditEntry, Broadcast, Delivery, InboundMessage
from relay.delivery import deliveries, outbox, reach
from relay.delivery.outbox import Audience, BroadcastRequest
from relay.privacy import purge
from relay.privacy.settings import RetentionSettings
from relay.reports.models import Report
from tests.alerts.conftest import PEOPLE, T0, add_people, alerts_db, cfg, deliver_all, sender  # noqa: F401
from tests.privacy.support import open_database, sms
from tests.test_cli import relay

POLICY = RetentionSettings(deliveries_days=90, inbound_bodies_days=90, reports_days=365, batch_size=3)


def _plan(db, sender, kind: str, body: str, now) -> int:
    return outbox.plan_broadcast(db.sessions, BroadcastRequest(
        kind=kind, body=body, source_language="en", sender="coordinator-ana", severity="Extreme",
        audience=Audience(regions=("north",))), senders=sender.senders, actor="test", now=now).id


def _fail_all(db, now) -> int:
    """Every pending delivery refused by the provider, through the delivery layer's claim and record."""
    with db.sessions.begin() as session:
        senders = set(session.scalars(select(Delivery.sender).where(Delivery.status == "pending").distinct()))
        claimed = [c for s in senders for c in deliveries.claim(session, s, "test-worker", 10_000, now)]
        deliveries.record(session, "test-worker", [deliveries.Outcome(c.id, "failed", error="carrier refused")
                                                   for c in claimed], now)
    return len(claimed)


def _cli_status(tmp_path, settings, broadcast_id: int) -> dict:
    config = tmp_path / "cli.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\ndatabase_url = "{settings.database_url}"\n')
    result = relay(tmp_path, "-c", str(config), "broadcast", "status", str(broadcast_id), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _timeline_export(db, crisis_id: int) -> str:
    with db.sessions() as session:
        return timeline.export_json(session.get(Crisis, crisis_id), timeline.as_records(timeline.entries(session, crisis_id)))


def test_a_purge_keeps_broadcast_counts_and_the_crisis_timeline_verifiable(alerts_db, sender, cfg, tmp_path):
    settings, db = alerts_db
    add_people(db, PEOPLE)
    notice = _plan(db, sender, "notice", "Road works on Monday", T0 - timedelta(minutes=10))
    assert _fail_all(db, T0 - timedelta(minutes=9)) == 4
    with db.sessions.begin() as session:
        crisis_id = crisis.activate(session, cfg, title="Flooding", region="north", severity="Severe", actor="cli",
                                    tier="coordinator", now=T0).id
    alert = _plan(db, sender, "crisis", "Evacuate the north bank now", T0 + timedelta(minutes=1))
    run_due(sender, cfg, T0 + timedelta(minutes=5))
    deliver_all(db, T0 + timedelta(minutes=6))
    run_due(sender, cfg, T0 + timedelta(minutes=10))  # the alert's figures join the timeline
    late = _plan(db, sender, "crisis", "Second wave expected tonight", T0 + timedelta(minutes=20))
    run_due(sender, cfg, T0 + timedelta(minutes=21))  # linked to the crisis; its rows are not final yet
    deliver_all(db, T0 + timedelta(minutes=22))

    with db.sessions() as session:
        ids = list(session.scalars(select(Broadcast.id).order_by(Broadcast.id)))
        before = {i: reach.report(session, i).as_json() for i in ids}
        rows_before = session.scalar(select(func.count()).select_from(Delivery)
                                     .where(Delivery.status.in_(["delivered", "failed"])))
        unfinished = session.scalar(select(func.count()).select_from(Delivery)
                                    .where(Delivery.status.not_in(["delivered", "failed"])))
    cli_before = _cli_status(tmp_path, settings, alert)
    exported_before = _timeline_export(db, crisis_id)
    assert before[alert]["by_status"] == {"delivered": 4} and before[notice]["by_status"] == {"failed": 4}

    later = T0 + timedelta(days=100)
    with db.sessions() as session:
        plan = purge.plan(session, POLICY, later)
    assert plan.counts["deliveries"] == rows_before > 8
    done = purge.purge(db.sessions, POLICY, later, actor="test")
    assert done["deliveries"] == rows_before

    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == unfinished  # only final rows go
        assert {i: reach.report(session, i).as_json() for i in ids} == before
        assert purge.plan(session, POLICY, later).counts["deliveries"] == 0
        audited = session.scalar(select(AuditEntry.details).where(AuditEntry.action == "retention.purge"))
    assert audited["deliveries"] == rows_before
    assert _cli_status(tmp_path, settings, alert) == cli_before
    assert _timeline_export(db, crisis_id) == exported_before  # not one entry touched

    run_due(sender, cfg, later)  # the late broadcast's figures, recorded after its rows were purged
    with db.sessions() as session:
        figures = [e.text for e in timeline.entries(session, crisis_id) if e.kind == "broadcast.figures"]
    assert any(f"Broadcast {late} (alert) final: delivered 4" in text for text in figures)
    (tmp_path / "timeline.json").write_text(_timeline_export(db, crisis_id))
    verified = relay(tmp_path, "crisis", "verify", "timeline.json")
    assert verified.returncode == 0 and "chain intact" in verified.stdout, verified.stderr


def test_old_inbound_bodies_and_closed_reports_lose_their_text_open_reports_stay(tmp_path, database_url):
    settings, database = open_database(tmp_path, database_url)
    start = datetime.now(timezone.utc)  # reports are stamped by the wall clock: every time is relative to it
    later = start + timedelta(days=400)
    try:
        sms(database, settings, "+50937003333", "JOIN en", at=start)
        sms(database, settings, "+50937003333", "The bridge on route 2 is broken", at=start, provider_id="SM-bridge")
        sms(database, settings, "+50937004444", "My grandmother needs insulin", at=start)
        with database.sessions() as session:
            bridge = session.scalar(select(Report.reference).where(Report.sender == "+50937003333"))
        sms(database, settings, "+50937003333", f"CANCEL {bridge}", at=start)
        sms(database, settings, "+50937005555", "A message from this year", at=later - timedelta(days=1))
        with database.sessions() as session:
            plan = purge.plan(session, POLICY, later)
        # inbound: four old bodies; reports: the cancelled one goes, the two open ones are kept
        assert plan.counts["inbound_bodies"] == 4 and plan.counts["reports"] == 1 and plan.open_reports_kept == 2
        done = purge.purge(database.sessions, POLICY, later, actor="test")
        assert done == {"deliveries": 0, "inbound_bodies": 4, "reports": 1}
        with database.sessions() as session:
            inbound = session.execute(select(InboundMessage.sender, InboundMessage.text).order_by(InboundMessage.id)).all()
            reports = dict(session.execute(select(Report.reference, Report.text)).all())
            kept_senders = set(session.scalars(select(Report.sender).where(Report.reference != bridge)))
            closed = session.get(Report, session.scalar(select(Report.id).where(Report.reference == bridge)))
            closed_facts = (closed.sender, closed.endpoint_id, closed.status)
        assert inbound[:4] == [(purge.PURGED, "")] * 4
        assert inbound[4] == ("+50937005555", "A message from this year")
        assert reports[bridge] == "" and closed_facts == (purge.PURGED, None, "cancelled")
        assert "My grandmother needs insulin" in reports.values() and kept_senders == {"+50937004444", "+50937005555"}
        # the provider id still makes a replay a duplicate: the purged message is not acted on again
        sms(database, settings, "+50937003333", "The bridge on route 2 is broken", at=start, provider_id="SM-bridge")
        with database.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Report)) == 3
            assert session.scalar(select(func.count()).select_from(InboundMessage)) == 5
    finally:
        database.close()
