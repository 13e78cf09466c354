"""Crises over HTTP (alerts/api.py, wired in by the assembly): the list, the timeline with notes added
from the API, and the after-action export that `relay crisis verify` accepts."""

from __future__ import annotations

from datetime import datetime, timezone


from alerts import crisis as crises
from alerts import timeline
from alerts.config import alerts_settings
from tests.api.conftest import start_live, stop_live


def test_timeline_notes_and_export(live):
    settings = live.program.settings
    crisis_id = live.db(lambda s: crises.activate(s, alerts_settings(settings), title="Flooding", region="north",
                                                  severity="Severe", actor="test", tier="coordinator",
                                                  now=datetime.now(timezone.utc)).id)
    with live.client("coordinator") as c:
        spec = c.get("/api/openapi.json").json()
        assert "/api/crises/{crisis_id}/timeline" in spec["paths"]
        [listed] = c.get("/api/crises").json()
        assert listed["title"] == "Flooding" and {m["key"] for m in listed["milestones"]} == {
            "response", "assessment", "action_plan"}
        note = c.post(f"/api/crises/{crisis_id}/notes", json={"text": "Shelter at the school opened, 120 beds"})
        assert note.status_code == 201 and note.json()["kind"] == "note"
        entries = c.get(f"/api/crises/{crisis_id}/timeline").json()
        assert entries[-1]["text"] == "Shelter at the school opened, 120 beds"
        exported = c.get(f"/api/crises/{crisis_id}/timeline?export=json")
        assert exported.headers["content-disposition"].endswith('crisis-1.json"')
        assert timeline.verify_export(exported.text).ok
        assert "| note |" in c.get(f"/api/crises/{crisis_id}/timeline?export=md").text
        assert c.get("/api/crises/999/timeline").status_code == 404
        assert c.post(f"/api/crises/{crisis_id}/notes", json={"text": "   "}).status_code == 422
    with live.client("partner") as partner:
        assert partner.get(f"/api/crises/{crisis_id}/timeline").status_code == 200
        refused = partner.post(f"/api/crises/{crisis_id}/notes", json={"text": "from a partner"})
        assert refused.status_code == 403 and "coordinator" in refused.json()["detail"]
    with live.client("observer") as observer:
        assert observer.get("/api/crises").status_code == 403


def test_activate_and_close_over_http(live):
    with live.client("partner") as partner:
        refused = partner.post("/api/crises", json={"title": "Landslide", "region": "north"})
        assert refused.status_code == 403 and "coordinator" in refused.json()["detail"]
    with live.client("coordinator") as c:
        made = c.post("/api/crises", json={"title": "Landslide", "region": "north", "severity": "Extreme"})
        assert made.status_code == 201 and made.json()["status"] == "active"
        crisis = made.json()["id"]
        assert c.post("/api/crises", json={"title": " ", "region": "north"}).status_code == 422
        closed = c.post(f"/api/crises/{crisis}/close")
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        assert c.post(f"/api/crises/{crisis}/close").status_code == 409
        kinds = [e["kind"] for e in c.get(f"/api/crises/{crisis}/timeline").json()]
        assert kinds[0] == "activated" and kinds[-1] == "closed"


def test_the_spec_of_the_relay_as_assembled(tmp_path):
    """`relay run` with every service of the assembly: the spec still builds and lists the alerts routes."""
    live = start_live(tmp_path, services="assembly", translation={"engines": ["apertium"]})
    try:
        with live.client() as c:
            spec = c.get("/api/openapi.json")
            assert spec.status_code == 200
            assert {"/api/crises", "/api/broadcasts/preview", "/api/flags"} <= set(spec.json()["paths"])
            assert spec.json()["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    finally:
        stop_live(live)
