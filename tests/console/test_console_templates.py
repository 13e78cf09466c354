"""The console's template picker (issue 18, item 2), in a real browser against the sandbox providers.

A coordinator picks a pre-approved template, fills its fields, sees each language's SMS budget and the
filled human texts in the preview, and sends it: Spanish readers get the Spanish text exactly as written
with the fields in it. Under `[console] two_person_extreme` an Extreme send from a template waits for a
second coordinator like a composed one (a template does not waive the second person).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.api.conftest import add_second_coordinator, live_relay
from tests.console.conftest import send_now, signed_in_page
from tests.relay.conftest import sms_log

pytestmark = pytest.mark.slow

TEMPLATE = {
    "name": "shelter-open", "kind": "crisis", "language": "en", "fields": {"shelter": 30, "time": 5},
    "texts": {"en": "Shelter open at {shelter} from {time}. Bring water and ID.",
              "es": "Refugio abierto en {shelter} desde las {time}. Lleve agua y documentos."},
}
SHELTER = "Lycée Pétion, Rue Capois no.12"


@pytest.fixture
def relay(tmp_path):
    with live_relay(tmp_path, translation={"engines": ["apertium"]}) as live:
        for i in range(3):
            live.add_person("observer", name=f"Vecina {i}", language="es", phone=f"+1202555060{i}")
        with live.client("coordinator") as c:
            assert c.post("/api/templates", json=TEMPLATE).status_code == 201
        yield live


def test_a_template_picked_filled_previewed_and_sent(relay, browser_context):
    page, errors = signed_in_page(browser_context, relay)
    page.get_by_label("From a template").select_option("shelter-open")
    expect(page.get_by_label("Kind")).to_have_value("crisis")
    expect(page.locator("#template-budget li[data-language=es]")).to_contain_text("segment")
    expect(page.get_by_label("Message")).to_have_value("Shelter open at {shelter} from {time}. Bring water and ID.")
    page.get_by_role("button", name="Send…").click()
    expect(page.locator("#error")).to_contain_text("Field {shelter} is empty")
    page.get_by_label("{shelter}").fill(SHELTER)
    page.get_by_label("{time}").fill("18:00")
    spanish = "Refugio abierto en Lycée Pétion, Rue Capois no.12 desde las 18:00. Lleve agua y documentos."
    expect(page.locator(".lang[data-language=es] [data-role=text]")).to_have_text(spanish)
    expect(page.locator(".lang[data-language=es] .badge").first).to_have_text("human")
    send_now(page)
    received = [m["body"] for m in sms_log(relay.program) if m["to"].startswith("+1202555060")]
    assert len(received) == 3 and all(spanish in body for body in received)
    assert errors == []


@pytest.fixture
def two_person(tmp_path):
    with live_relay(tmp_path, translation={"engines": ["apertium"]}, console={"two_person_extreme": True}) as live:
        add_second_coordinator(live)
        with live.client("coordinator") as c:
            assert c.post("/api/templates", json=TEMPLATE).status_code == 201
        yield live


def test_an_extreme_template_send_waits_for_a_second_coordinator(two_person):
    values = {"shelter": SHELTER, "time": "18:00"}
    with two_person.client("coordinator") as c:
        refused = c.post("/api/templates/shelter-open/send", json={"values": {"shelter": SHELTER},
                                                                   "severity": "Extreme"})
        assert refused.status_code == 422 and "time" in refused.json()["detail"]
        waiting = c.post("/api/templates/shelter-open/send", json={"values": values, "severity": "Extreme"})
        assert waiting.status_code == 202 and waiting.json()["status"] == "awaiting_second_approval"
        draft_id = waiting.json()["draft_id"]
        assert c.post(f"/api/drafts/{draft_id}/approve").status_code == 409  # not by its author
        assert c.get("/api/broadcasts").json() == []  # nothing went out
    with two_person.client("second") as c:
        approved = c.post(f"/api/drafts/{draft_id}/approve")
        assert approved.status_code == 201
        shown = c.get(f"/api/broadcasts/{approved.json()['id']}").json()
        assert shown["body"] == "Shelter open at Lycée Pétion, Rue Capois no.12 from 18:00. Bring water and ID."
        assert shown["severity"] == "Extreme"
    with two_person.client("coordinator") as c:  # below Extreme a template goes at once, as before
        assert c.post("/api/templates/shelter-open/send",
                      json={"values": values, "severity": "Severe"}).status_code == 201
