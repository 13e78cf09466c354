"""Scheduled broadcasts, preferences and the quiet-hours preview over real HTTP (a live relay on
127.0.0.1, SQLite and PostgreSQL): listed, edited, cancelled; bad times and zones are a 422 that says
what was wrong, and nothing is stored for them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from relay.schedules.models import ScheduledBroadcast
from tests.api.conftest import live_relay


def around_now() -> str:
    """Quiet hours from an hour ago to an hour ahead (UTC, the people's zone): they are inside them now."""
    now = datetime.now(timezone.utc)
    return f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"


@pytest.fixture
def live_quiet(tmp_path, database_url):
    with live_relay(tmp_path, translation={"engines": ["apertium"]}, database_url=database_url,
                    fatigue={"quiet_hours": around_now()}) as relay:
        yield relay


def test_schedule_list_edit_cancel_and_clear_errors(live_quiet):
    live = live_quiet
    with live.client("coordinator") as http:
        bad = [
            ({"body": "x", "at": "2030-01-01T09:00"}, "no UTC offset"),
            ({"body": "x", "local": "tomorrow at nine"}, "wall-clock time"),
            ({"body": "x", "at": "2020-01-01T09:00+00:00"}, "in the past"),
            ({"body": "x"}, "either as a fixed moment"),
            ({"body": "x", "local": "2020-01-01T09:00"}, "already passed in every time zone"),
        ]
        for payload, said in bad:
            answer = http.post("/api/scheduled-broadcasts", json=payload)
            assert answer.status_code == 422 and said in answer.text, (payload, answer.text)
        assert live.db(lambda s: s.query(ScheduledBroadcast).count()) == 0  # nothing stored for them
        made = http.post("/api/scheduled-broadcasts", json={"kind": "webinar", "body": "Webinar at nine",
                                                             "local": "2030-03-01T09:00"})
        assert made.status_code == 201, made.text
        schedule = made.json()
        assert schedule["local_time"] == "2030-03-01T09:00" and schedule["due"] == {"UTC": "2030-03-01T09:00:00+00:00"}
        listed = http.get("/api/scheduled-broadcasts").json()
        assert [s["id"] for s in listed] == [schedule["id"]]
        edited = http.patch(f"/api/scheduled-broadcasts/{schedule['id']}", json={"at": "2030-03-02T10:00+01:00",
                                                                                 "body": "Webinar moved"})
        assert edited.status_code == 200 and edited.json()["send_at"] == "2030-03-02T09:00:00+00:00"
        assert edited.json()["body"] == "Webinar moved" and edited.json()["local_time"] is None
        assert http.delete(f"/api/scheduled-broadcasts/{schedule['id']}").json()["status"] == "cancelled"
        assert http.get("/api/scheduled-broadcasts").json() == []
        assert http.delete(f"/api/scheduled-broadcasts/{schedule['id']}").status_code == 422  # nothing left
        assert http.delete("/api/scheduled-broadcasts/999").status_code == 404
    with live.client("observer") as http:
        assert http.post("/api/scheduled-broadcasts", json={"body": "x", "local": "2030-03-01T09:00"}).status_code == 403


def test_preferences_and_the_preview_counts_quiet_hours(live_quiet):
    live = live_quiet
    person = live.people["observer"]
    with live.client("coordinator") as http:
        answer = http.put(f"/api/subscribers/{person}/preferences", json={"timezone": "Mars/Olympus"})
        assert answer.status_code == 422 and "Mars/Olympus" in answer.text
        answer = http.put(f"/api/subscribers/{person}/preferences", json={"quiet_hours": "25:00-07:00"})
        assert answer.status_code == 422 and "25:00" in answer.text
        answer = http.put(f"/api/subscribers/{person}/preferences",
                          json={"timezone": "asia/tokyo", "quiet_hours": "off"})
        assert answer.json() == {"subscriber_id": person, "timezone": "Asia/Tokyo", "quiet_hours": "off"}
        preview = http.post("/api/broadcasts/preview", json={"kind": "notice", "body": "Clinic open"}).json()
        # five people, all inside the default quiet hours except the one who turned them off
        assert preview["total"] == 5 and preview["quiet_hours"]["waiting"] == 4
        assert preview["quiet_hours"]["last_release"] is not None
        crisis = http.post("/api/broadcasts/preview", json={"kind": "crisis", "severity": "Extreme",
                                                            "body": "Evacuate"}).json()
        assert crisis["quiet_hours"] == {"waiting": 0, "last_release": None}  # Extreme overrides
