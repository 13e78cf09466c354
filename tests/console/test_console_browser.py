"""The console in a real browser, end to end against the sandbox providers.

A coordinator signs in with a token, composes a crisis alert in English for a Spanish and English
audience, sees the Spanish machine translation and the SMS segment count in the preview, sends it with
the confirmation step and watches it reach 100 %; a moderator then releases one flag and confirms
another false. Screenshots of the three pages go to docs/ (shown in the README).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from alerts import timeline
from channels.sms_text import analyse
from relay.integrity import claims, screen
from relay.integrity.models import Claim, Flag
from relay.core.models import AuditEntry
from tests.api.conftest import add_second_coordinator, live_relay, start_live, stop_live
from tests.console.conftest import signed_in_page, wait_until_delivered
from tests.relay.conftest import sms_log

DOCS = Path(__file__).resolve().parents[2] / "docs"
ALERT = ("Flood warning for the coast: the river will overflow tonight. Move to higher ground now. "
         "Shelter open at the school on Main Street.")
RUMOUR = "The tap water in Port-au-Prince is poisoned, do not drink it!"
RUMOUR_CLAIM = "El agua del grifo en Puerto Principe esta envenenada, no la beban."
DAM = "URGENT: the government says the Peligre dam broke, run to the hills. Forward to everyone bit.ly/peligre"

pytestmark = pytest.mark.slow


@pytest.fixture
def relay(tmp_path):
    with live_relay(tmp_path, rate=2.0, translation={"engines": ["apertium"]}, integrity={"quorum": 1}) as live:
        for i in range(6):
            live.add_person("observer", name=f"Vecina {i}", language="es", phone=f"+1202555020{i}", regions="coast")
        for i in range(3):
            live.add_person("observer", name=f"Neighbour {i}", language="en", phone=f"+1202555030{i}", regions="coast")
        live.add_person("contributor", name="Telegram volunteer", language="en", telegram="9201", regions="coast")
        yield live


def _held_flags(live) -> list[int]:
    settings = live.program.settings

    def hold(session) -> list[int]:
        claims.add_claim(session, text=RUMOUR_CLAIM, language="es", settings=settings, added_by="test")
        ids = []
        for origin, text in (("console-test:1", RUMOUR), ("console-test:2", DAM)):
            verdict = screen(session, text=text, language="en", channel="telegram", sender="telegram:-100:7",
                             origin=origin, settings=settings)
            assert verdict.action == "hold"
            ids.append(verdict.flag_id)
        return ids

    return live.db(hold)


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_compose_send_watch_and_moderate(relay, browser_context):
    page, errors = signed_in_page(browser_context, relay)  # with the keyboard only: type the token, press Enter
    assert "Coordinator Person" in page.locator("#who").inner_text()

    # Compose: a crisis alert in English for the coast (Spanish and English people).
    page.get_by_label("Kind").select_option("crisis")
    page.get_by_label("Severity", exact=True).select_option("Severe")
    page.get_by_label("Regions").fill("coast")
    page.get_by_label("Message").fill(ALERT)
    spanish = page.locator('[data-language="es"]')
    spanish.wait_for()
    page.wait_for_function("document.querySelector('#audience').textContent.startsWith('10 recipients')")
    text = spanish.locator('[data-role="text"]').inner_text()
    assert "inundación" in text.lower() or "inundaci" in text.lower(), text  # Apertium's Spanish
    sms_line = spanish.locator('[data-channel="sms"]').inner_text()
    expected = analyse(text)
    assert f"{expected.encoding}, {expected.units} characters, {expected.segments} segments each" in sms_line, sms_line
    assert "SMS to 6" in sms_line
    english = page.locator('[data-language="en"]')
    assert "original" in english.inner_text() and "SMS to 3" in english.inner_text()
    assert re.search(r"about \d+ s", page.locator("#eta").inner_text())
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "console-compose.png"), full_page=True)

    # Send, with the confirmation step, then watch it live.
    page.get_by_role("button", name="Send…").click()
    dialog = page.locator("#confirm")
    expect(dialog).to_contain_text("10 recipients")
    page.get_by_role("button", name="Send now").click()
    wait_until_delivered(page)
    assert page.locator("#overall-pct").inner_text() == "100 %"
    assert "10 of 10 delivered" in page.locator("#delivery-state").inner_text()
    for group in ("sms", "telegram"):
        assert page.locator(f'#by-channel [data-group="{group}"] output').inner_text() == "100 %"
    for group in ("es", "en"):
        assert page.locator(f'#by-language [data-group="{group}"] output').inner_text() == "100 %"
    page.get_by_text("Everyone was reached.").wait_for()
    page.screenshot(path=str(DOCS / "console-delivery.png"), full_page=True)

    # What the people got: the Spanish text on every Spanish phone, once each.
    log = sms_log(relay.program)
    assert len(log) == 9 and len({m["to"] for m in log}) == 9
    received = {m["to"]: m["body"] for m in log}
    for i in range(6):
        assert received[f"+1202555020{i}"].startswith(text.splitlines()[0][:30])
    assert received["+12025550300"].startswith(ALERT[:40])

    # The same page on a phone-sized screen: nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{relay.url}/console/#compose")
    page.get_by_role("heading", name="Compose a broadcast").wait_for()
    assert _no_horizontal_scroll(page)
    page.screenshot(path=str(DOCS / "console-phone.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # The crisis timeline: a note from the console joins the record; the export verifies.
    page.get_by_role("link", name="Crises").click()
    page.get_by_label("Crisis title").fill("Coastal flooding")
    page.get_by_label("Crisis region").fill("coast")
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url(re.compile(r"#crises/\d+$"))
    crisis_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#crisis-heading")).to_contain_text("Coastal flooding · coast · Severe · active")
    page.get_by_label("Add to the record (a decision or an outcome)").fill("Broadcast sent to the coast, all reached")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline")).to_contain_text("Broadcast sent to the coast, all reached")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export JSON (hash-chained)").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert timeline.verify_export(exported).ok and "all reached" in exported
    page.screenshot(path=str(DOCS / "console-crisis.png"), full_page=True)

    # A moderator: release one flag, confirm the other false, each with a reason.
    released_id, false_id = _held_flags(relay)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("API token").fill(relay.tokens["moderator"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Moderation queue").wait_for()
    first, second = page.locator(f'article[data-flag="{released_id}"]'), page.locator(f'article[data-flag="{false_id}"]')
    first.wait_for()
    assert "poisoned" in first.inner_text() and "Peligre" in second.inner_text()
    first.get_by_label("Reason").fill("Checked with the water board: the tap water is safe")
    page.screenshot(path=str(DOCS / "console-moderation.png"), full_page=True)
    first.get_by_role("button", name="Release").click()
    expect(page.locator("#mod-status")).to_have_text(f"Flag #{released_id}: release.")
    expect(first).to_have_count(0)  # decided: it left the queue
    second = page.locator(f'article[data-flag="{false_id}"]')
    second.get_by_label("Reason").fill("The dam operator confirms the Peligre dam is intact")
    second.get_by_role("button", name="Confirm false").click()
    expect(page.locator("#mod-status")).to_have_text(f"Flag #{false_id}: confirm_false.")
    page.locator(f'#decided tr[data-flag="{false_id}"]').wait_for()
    expect(page.get_by_text("The queue is empty.")).to_be_visible()

    with relay.program.database.sessions() as session:
        assert session.get(Flag, released_id).status == "released"
        assert session.get(Flag, false_id).status == "confirmed_false"
        claim = session.get(Claim, session.get(Flag, false_id).claim_id)
        assert "Peligre" in claim.text
        votes = session.scalars(select(AuditEntry).where(AuditEntry.action == "flags.vote")).all()
        moderator = f"subscriber:{relay.people['moderator']}"
        assert sorted((v.actor, v.details["reason"]) for v in votes) == sorted([
            (moderator, "Checked with the water board: the tap water is safe"),
            (moderator, "The dam operator confirms the Peligre dam is intact")])
    assert errors == []


@pytest.fixture
def two_person_relay(tmp_path):
    with live_relay(tmp_path, translation={"engines": ["apertium"]}, console={"two_person_extreme": True}) as live:
        add_second_coordinator(live)
        yield live


def test_an_extreme_alert_needs_a_second_coordinator(two_person_relay, browser_context):
    relay = two_person_relay
    page = browser_context.new_page()
    page.goto(f"{relay.url}/console/")
    page.get_by_label("API token").fill(relay.tokens["coordinator"])
    page.get_by_label("API token").press("Enter")
    page.get_by_label("Kind").select_option("crisis")
    page.get_by_label("Severity", exact=True).select_option("Extreme")
    page.get_by_label("Message").fill("Tsunami warning: go inland now.")
    expect(page.locator("#estimate")).to_contain_text("a second coordinator must approve")
    page.get_by_role("button", name="Send…").click()
    page.get_by_role("button", name="Send now").click()
    expect(page.locator("#error")).to_contain_text("waits for a second coordinator")
    expect(page.locator("#draft-list")).to_contain_text("another coordinator approves")  # not by its author
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("API token").fill(relay.tokens["second"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Approve and send").click()
    wait_until_delivered(page)
    assert "6 of 6 delivered" in page.locator("#delivery-state").inner_text()


def test_a_waiting_machine_text_is_approved_from_the_delivery_page(tmp_path, browser_context):
    relay = start_live(tmp_path, translation={"engines": ["apertium"], "require_approval": ["es"]})
    try:
        for i in range(2):
            relay.add_person("observer", name=f"es{i}", language="es", phone=f"+1202555080{i}")
        with relay.client("coordinator") as c:
            sent = c.post("/api/broadcasts", json={"kind": "crisis", "severity": "Severe",
                                                   "body": "Boil water before drinking."}).json()
        page = browser_context.new_page()
        page.goto(f"{relay.url}/console/")
        page.get_by_label("API token").fill(relay.tokens["coordinator"])
        page.get_by_label("API token").press("Enter")
        page.get_by_role("heading", name="Compose a broadcast").wait_for()
        page.goto(f"{relay.url}/console/#delivery/{sent['id']}")
        draft = page.get_by_label("Spanish (es): machine draft (edit it, or approve it as it is)")
        draft.fill("Hierva el agua antes de beberla.")
        page.get_by_role("button", name="Approve es").click()
        expect(page.locator("#delivery-state")).to_contain_text("follows as broadcast")
        expect(page.locator("#approvals-card")).to_be_hidden()
        follow_up = int(re.search(r"broadcast #(\d+)", page.locator("#delivery-state").inner_text())[1])
        with relay.client("coordinator") as c:
            assert c.get(f"/api/broadcasts/{follow_up}").json()["body"] == "Hierva el agua antes de beberla."
    finally:
        stop_live(relay)


@pytest.mark.csp_enforced
def test_the_console_runs_under_its_content_security_policy(relay, browser_context):
    """With the CSP the relay sends (script-src 'self', frame-ancestors 'none'), the console loads,
    signs in and shows its landing page with no script or style refused."""
    page = browser_context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.on("pageerror", lambda exc: refused.append(str(exc)))
    answer = page.goto(f"{relay.url}/console/")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    page.fill("#token", relay.tokens["coordinator"])
    page.keyboard.press("Enter")
    page.locator("#nav").wait_for(state="visible")
    assert refused == []
