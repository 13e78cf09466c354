"""What an operator watching the relay sees: the live progress stream, /metrics, /readyz; and the
two-person rule for Extreme broadcasts."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from relay.core.models import Broadcast
from tests.api.conftest import add_second_coordinator, live_relay, start_live, stop_live


def _events(client, broadcast_id: int) -> list[tuple[str, dict]]:
    events, name = [], None
    with client.stream("GET", f"/api/broadcasts/{broadcast_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.split(":", 1)[1])))
                if name == "done":
                    break
    return events


def test_progress_stream_metrics_and_readiness(live):
    for i in range(4):
        live.add_person("observer", name=f"p{i}", language="es", phone=f"+1202555040{i}")
    with live.client("coordinator") as c:
        ready = c.get("/readyz").json()
        assert ready["status"] == "ready" and set(ready["channels"]) == {"sms", "telegram", "whatsapp", "voice"}  # the sandbox runs all four
        created = c.post("/api/broadcasts", json={"kind": "crisis", "severity": "Severe", "body": "Evacuate the valley now."})
        assert created.status_code == 201 and created.json()["deliveries"] == 9
        events = _events(c, created.json()["id"])
        name, last = events[-1]
        assert name == "done" and last["total"] == 9 and last["by_status"] == {"delivered": 9}
        assert last["by_channel"] == {"sms": {"delivered": 4}, "telegram": {"delivered": 5}}
        assert last["by_language"] == {"es": {"delivered": 4}, "en": {"delivered": 5}}
        channels = c.get("/readyz").json()["channels"]
        assert channels["sms"] == channels["telegram"] == "connected"  # they carried this broadcast
        # Nobody here is on WhatsApp or voice: `started`, or `connected` when an earlier test in this process
        # sent on them (the last send's state is per process, metrics.LAST_SEND); never unreachable.
        assert channels["whatsapp"] in ("started", "connected") and channels["voice"] in ("started", "connected")
        families = {f.name: f for f in text_string_to_metric_families(c.get("/metrics").text)}
        fixed = c.post(f"/api/broadcasts/{created.json()['id']}/correct", json={"text": "Evacuate the east valley only."})
        assert fixed.status_code == 201 and fixed.json()["deliveries"] == 9  # exactly the people it reached
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in families.values() for s in f.samples}
    assert samples[("relay_deliveries", (("channel", "sms"), ("status", "delivered")))] == 4
    assert samples[("relay_deliveries", (("channel", "telegram"), ("status", "delivered")))] == 5
    assert samples[("relay_oldest_pending_seconds", ())] == 0
    assert samples[("relay_send_latency_seconds_count", (("channel", "sms"), ("outcome", "accepted")))] >= 4
    assert "relay_rate_limit_waits" in families and "relay_flags" in families
    assert "relay_translation_memory_hit_ratio" in families and "relay_queue_depth" in families


@pytest.fixture
def two_person(tmp_path):
    with live_relay(tmp_path, translation={"engines": ["apertium"]}, console={"two_person_extreme": True}) as live:
        add_second_coordinator(live)
        yield live


def test_an_extreme_broadcast_waits_for_a_second_coordinator(two_person):
    live = two_person
    alert = {"kind": "crisis", "severity": "Extreme", "body": "Tsunami warning: go inland now."}
    with live.client("coordinator") as first, live.client("second") as second:
        assert first.post("/api/broadcasts/preview", json=alert).json()["needs_second_approval"] is True
        waiting = first.post("/api/broadcasts", json=alert)
        assert waiting.status_code == 202 and waiting.json()["status"] == "awaiting_second_approval"
        draft = waiting.json()["draft_id"]
        count = lambda: live.db(lambda s: s.scalar(select(func.count()).select_from(Broadcast)))
        assert count() == 0  # nothing queued yet
        own = first.post(f"/api/drafts/{draft}/approve")
        assert own.status_code == 409 and "another coordinator" in own.json()["detail"]
        assert live.client("partner").post(f"/api/drafts/{draft}/approve").status_code == 403
        approved = second.post(f"/api/drafts/{draft}/approve")
        assert approved.status_code == 201 and approved.json()["deliveries"] == 6
        assert second.post(f"/api/drafts/{draft}/approve").status_code == 409
        assert count() == 1
        body = live.db(lambda s: s.scalar(select(Broadcast.body)))
        assert body == alert["body"]
        severe = first.post("/api/broadcasts", json={**alert, "severity": "Severe"})
        assert severe.status_code == 201  # only Extreme waits


def test_two_relays_in_one_process_both_serve_metrics(tmp_path):
    first = start_live(tmp_path / "a")
    try:
        second = start_live(tmp_path / "b")
        try:
            for live in (first, second):
                with live.client("coordinator") as c:
                    assert "relay_oldest_pending_seconds" in c.get("/metrics").text
        finally:
            stop_live(second)
        with first.client("coordinator") as c:
            assert c.get("/metrics").status_code == 200
    finally:
        stop_live(first)


def test_metrics_need_a_token_and_every_answer_carries_the_security_headers(live):
    """Issue 17, item 7: /metrics answered anyone; the console had no CSP or frame protection."""
    live.add_person("observer", name="Obs", phone="+12025550488")
    with live.client() as anonymous, live.client("observer") as observer, live.client("coordinator") as coordinator:
        assert anonymous.get("/metrics").status_code == 401
        assert observer.get("/metrics").status_code == 403
        assert coordinator.get("/metrics").status_code == 200
        page = anonymous.get("/console/")
        assert page.status_code == 200
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
