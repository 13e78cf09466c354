"""The console aims a broadcast at an area (issue 18, item 1), in a real browser against the sandbox.

The coordinator draws a polygon (CAP form) and names a geocode; the preview shows the people in each part
and asks about those without a location; leaving them out and sending reaches exactly the two people
inside: the SMS simulator's log is what the phones got.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.api.conftest import live_relay
from tests.console.conftest import send_now, signed_in_page
from tests.relay.conftest import sms_log

pytestmark = pytest.mark.slow

SQUARE = "18.50,-72.40 18.50,-72.30 18.60,-72.30 18.60,-72.40 18.50,-72.40"
PHONES = {"inside": "+50937200001", "outside": "+50937200002", "coded": "+50937200003", "nowhere": "+50937200004"}


@pytest.fixture
def relay(tmp_path):
    with live_relay(tmp_path, translation={"engines": ["apertium"]}) as live:
        ids = {name: live.add_person("observer", name=name, phone=phone) for name, phone in PHONES.items()}
        with live.client("coordinator") as c:
            for name, location in (("inside", {"latitude": 18.55, "longitude": -72.35}),
                                   ("outside", {"latitude": 18.70, "longitude": -72.35}),
                                   ("coded", {"geocodes": ["ISO3166-2=HT-OU"]})):
                assert c.put(f"/api/subscribers/{ids[name]}/location", json=location).status_code == 200
        yield live


def test_an_area_drawn_in_the_console_reaches_exactly_the_people_inside(relay, browser_context):
    page, errors = signed_in_page(browser_context, relay)
    page.get_by_label("Kind").select_option("crisis")
    page.get_by_label("Severity", exact=True).select_option("Severe")
    page.get_by_label("Message").fill("Flood: move to higher ground now.")
    page.get_by_label("Polygons").fill(SQUARE)
    page.get_by_label("Geocodes").fill("ISO3166-2=HT-OU")
    preview = page.locator("#area-preview")
    expect(preview).to_contain_text("Inside the area: 2")
    expect(preview).to_contain_text("include them or leave them out?")
    assert [re.search(r": (\d+) (person|people)$", t)[1] for t in preview.locator("li").all_inner_texts()] == ["1", "1"]

    page.get_by_label("People without a location").select_option("exclude")
    expect(preview).to_contain_text("no location: left out")
    expect(page.locator("#audience")).to_have_text(re.compile(r"^2 recipients"))
    send_now(page)
    reached = sorted(m["to"] for m in sms_log(relay.program))
    assert reached == sorted([PHONES["inside"], PHONES["coded"]])
    assert errors == []
