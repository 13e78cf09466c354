"""A severe crisis alert's machine Spanish waits for a person (`translation.require_approval`); over the
API a coordinator or moderator sees the draft, replaces it, and the approved text follows."""

from __future__ import annotations

import pytest

from tests.api.conftest import live_relay


@pytest.fixture
def approving(tmp_path):
    with live_relay(tmp_path, translation={"engines": ["apertium"], "require_approval": ["es"]}) as live:
        for i in range(3):
            live.add_person("observer", name=f"es{i}", language="es", phone=f"+1202555070{i}")
        yield live


def test_the_draft_waits_then_a_person_replaces_it(approving):
    live = approving
    with live.client("coordinator") as c:
        sent = c.post("/api/broadcasts", json={"kind": "crisis", "severity": "Severe", "body": "Boil water before drinking."})
        assert sent.json()["pending_approval"] == ["es"]
        broadcast = sent.json()["id"]
        es = {t["language"]: t for t in c.get(f"/api/broadcasts/{broadcast}/texts").json()}["es"]
        assert es["status"] == "pending_approval" and es["draft"]
        # The quality gate's verdict and each check travel with the text.
        assert es["gate_checks"]["verdict"] == es["gate_verdict"] and es["engine"].startswith("apertium/eng-spa")
        assert [check["name"] for check in es["gate_checks"]["checks"]] == [
            "tokens", "language", "copy", "repetition", "length", "similarity", "back_translation"]
        assert live.client("partner").post(f"/api/broadcasts/{broadcast}/texts/es/approve", json={}).status_code == 403
    with live.client("moderator") as m:
        done = m.post(f"/api/broadcasts/{broadcast}/texts/es/approve", json={"text": "Hierva el agua antes de beberla."})
        assert done.status_code == 200, done.text
        assert done.json()["follow_up_deliveries"] == 3  # the original went first with a note; this follows
        again = m.post(f"/api/broadcasts/{broadcast}/texts/es/approve", json={})
        assert again.status_code == 409
        assert m.post(f"/api/broadcasts/{broadcast}/texts/ES/approve", json={}).status_code == 422
