"""The report queue over HTTP (the console's API), through FastAPI's ASGI app with real tokens."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from conftest import add_person
from relay.reports import service as report_service
from relay.api import reports as reports_api
from relay.api import tokens
from relay.api.common import Relay
from relay.core.models import AuditEntry, SubscriberRegion
from relay.reports.models import Report
from support import queued, sms


async def test_the_queue_is_masked_revealing_is_audited_and_resolving_tells_the_sender(relay_db):
    settings, db = relay_db
    with db.sessions.begin() as session:
        partner = add_person(session, "telegram", "111", tier="partner").subscriber_id
        observer = add_person(session, "telegram", "222", tier="observer").subscriber_id
        # The partner responds in Delmas, where the sender lives: they may reveal the sender's report.
        citizen = add_person(session, "sms", "+50937001234", tier="observer").subscriber_id
        session.add_all([SubscriberRegion(subscriber_id=partner, region="delmas"),
                         SubscriberRegion(subscriber_id=citizen, region="delmas")])
        partner_token = tokens.create(session, subscriber_id=partner, name="desk", actor="test")[1]
        observer_token = tokens.create(session, subscriber_id=observer, name="phone", actor="test")[1]
        sms(session, settings, "+50937001234", "My name is Paul Remy, no water here in Delmas 40, call 3712 4567")
    with db.sessions.begin() as session:
        report_service.step(session, settings, session.scalars(select(Report)).one().created_at + timedelta(seconds=1))
    app = FastAPI()
    app.state.relay = Relay(settings, db)
    app.include_router(reports_api.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
        refused = await client.get("/api/reports", headers={"Authorization": f"Bearer {observer_token}"})
        assert refused.status_code == 403
        auth = {"Authorization": f"Bearer {partner_token}"}
        [item] = (await client.get("/api/reports", headers=auth)).json()
        assert item["status"] == "routed" and "Paul" not in item["text"] and item["sender"] is None
        full = (await client.get(f"/api/reports/{item['reference']}", params={"reveal": "true"}, headers=auth)).json()
        assert "Paul Remy" in full["text"] and full["sender"] == "+50937001234"
        done = (await client.post(f"/api/reports/{item['reference']}/resolve", headers=auth)).json()
        assert done == {"reference": item["reference"], "status": "resolved", "told": 1}
        again = await client.post(f"/api/reports/{item['reference']}/resolve", headers=auth)
        assert again.status_code == 409
    with db.sessions() as session:
        assert queued(session, "sms", "+50937001234") == [
            f"Your report {item['reference']} has been handled. If you still need help, send a new message."]
        reveals = [e for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "report.shown"))
                   if e.details["what"] == "original+contact"]
        assert [(e.actor, e.details["purpose"]) for e in reveals] == [(f"subscriber:{partner}", "console")]
