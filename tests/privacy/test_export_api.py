"""The export over HTTP: coordinators only (every refusal a 403 in the audit log), by id or by address,
bad input a 4xx that says what was wrong; every export audited with who asked."""

from __future__ import annotations

from sqlalchemy import select

from relay.core.models import AuditEntry


def test_only_coordinators_export_and_every_export_is_audited(live):
    person = live.people["observer"]
    with live.client("coordinator") as client:
        answer = client.get(f"/api/subscribers/{person}/export")
        assert answer.status_code == 200, answer.text
        document = answer.json()
        assert document["subscriber"]["id"] == person
        assert [e["address"] for e in document["records"]["endpoints"]] == ["9100"]
        assert document["records"]["api_tokens"][0]["name"] == "observer laptop"
        by_address = client.get("/api/subscribers/export", params={"channel": "telegram", "address": "9100"})
        assert by_address.status_code == 200 and by_address.json()["subscriber"]["id"] == person
        assert client.get("/api/subscribers/999999/export").status_code == 404
        bad = client.get("/api/subscribers/export", params={"channel": "pigeon", "address": "x"})
        assert bad.status_code == 422 and "pigeon" in bad.text
        bad_phone = client.get("/api/subscribers/export", params={"channel": "sms", "address": "12"})
        assert bad_phone.status_code in (400, 422) and "12" in bad_phone.text
        plan = client.get("/api/retention")
        assert plan.status_code == 200 and plan.json()["enabled"] is False
    for tier in ("partner", "moderator", "observer"):
        with live.client(tier) as client:
            refused = client.get(f"/api/subscribers/{person}/export")
            assert refused.status_code == 403 and "coordinator" in refused.json()["detail"]
            assert client.get("/api/retention").status_code == 403

    def audit(session):
        return [(e.action, e.actor, e.subject, (e.details or {}).get("action"))
                for e in session.scalars(select(AuditEntry).where(
                    AuditEntry.action.in_(["subscriber.export", "permission.refused"])).order_by(AuditEntry.id))]

    entries = live.db(audit)
    exports = [e for e in entries if e[0] == "subscriber.export"]
    assert len(exports) == 2 and all(e[2] == f"subscriber:{person}" for e in exports)
    refusals = [e for e in entries if e[0] == "permission.refused" and e[3] == "subscribers.export"]
    assert len(refusals) == 3
