"""Tier x region x route: every API route over broadcasts (status, texts, events, poll, cancel, correct,
approvals, relay ACKs, the lists), scheduled broadcasts, reports (and `reveal`), crises and webinars, tried
by each tier on an item of the person's own region, of another region, and of no region. Expected answers
are written out by hand (not read from relay.core.permissions/scope), so a change of the rules has to
change this table too.

Everyone here has the region "north" (tests/api/conftest.py); "other" is "south"; "none" is a broadcast
to everyone, a report from someone of no known region, a webinar for everyone (a crisis always has one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from alerts import webinars
from alerts.config import alerts_settings
from relay.core.models import AuditEntry
from relay.reports.models import Report
from tests.api.conftest import TIERS, start_live, stop_live
from tests.conftest import STORAGE, storage_url

O, C, P, K, M = TIERS
PLACES = {"own": "north", "other": "south"}
# Recipients whose messages are never delivered, so they stay in "who was not reached".
UNREACHED = {"own": "+12025550811", "other": "+12025550822", "none": "+12025550833"}
REPORTERS = {"own": "+12025550844", "other": "+12025550855", "none": "+12025550866"}
PERSONAL = tuple(UNREACHED.values()) + tuple(REPORTERS.values())


@pytest.fixture(scope="module", params=STORAGE)
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"scope-{request.param}")
    with storage_url(request.param, tmp) as url:
        live = start_live(tmp, database_url=url, translation={"engines": ["apertium"]},
                          sandbox={"undeliverable_numbers": list(UNREACHED.values())})
        try:
            yield live, _populate(live)
        finally:
            stop_live(live)


def _populate(live) -> dict:
    people = [*UNREACHED.items(), *[(k, v) for k, v in REPORTERS.items() if k != "none"]]
    for key, phone in people:
        live.add_person("observer", name=f"Person {phone[-3:]}", phone=phone, regions=PLACES.get(key, ""))
    ids: dict[str, dict[str, object]] = {"broadcast": {}, "report": {}, "crisis": {}}
    sms = live.program.simulators["sms"]
    for key, phone in REPORTERS.items():  # reports first: a later poll would take their words as answers
        live.run(sms.inject_inbound(phone, "+12015550100", f"No clean water at the school marker-{key}"))
        ids["report"][key] = live.db(lambda s, p=phone: s.scalar(select(Report.reference).where(Report.sender == p)))
    now = datetime.now(timezone.utc)
    with live.client(K) as c:
        for key in ("own", "other", "none"):
            audience = {"regions": [PLACES[key]]} if key in PLACES else {}
            made = c.post("/api/broadcasts", json={"body": f"Boil water marker-{key}", "audience": audience,
                                                   "poll_options": ["safe", "help"]})
            assert made.status_code == 201, made.text
            ids["broadcast"][key] = made.json()["id"]
            fixed = c.post(f"/api/broadcasts/{made.json()['id']}/correct", json={"text": f"Correction marker-{key}"})
            assert fixed.status_code == 201, fixed.text  # a follow-up: it belongs where its original does
            at = (now + timedelta(days=3)).isoformat()
            assert c.post("/api/scheduled-broadcasts", json={"body": f"Drill marker-{key}", "audience": audience,
                                                             "at": at}).status_code == 201
        for key, region in PLACES.items():
            made = c.post("/api/crises", json={"title": f"Flood marker-{key}", "region": region})
            assert made.status_code == 201, made.text
            ids["crisis"][key] = made.json()["id"]
    start = (now + timedelta(days=10)).replace(tzinfo=None, second=0, microsecond=0)
    for key in ("own", "other", "none"):
        audience = {"regions": [PLACES[key]]} if key in PLACES else {}
        live.db(lambda s, k=key, a=audience: webinars.add_series(
            s, alerts_settings(live.program.settings), topic=f"Webinar marker-{k}", rrule="FREQ=DAILY;COUNT=1",
            first_start=start, zone="UTC", link="https://meet.example.org/w", actor="test", now=now, audience=a))
    return ids


@dataclass
class Answer:
    status_code: int
    text: str

    def json(self):
        return json.loads(self.text)


def _events(c, b) -> Answer:
    with c.stream("GET", f"/api/broadcasts/{b}/events") as response:
        if response.status_code != 200:
            response.read()
            return Answer(response.status_code, response.text)
        lines = response.iter_lines()  # the first event is enough: the stream runs until every delivery is final
        return Answer(200, "\n".join(next(lines) for _ in range(2)))


# route -> (kind, tiers allowed by the tier table, the answer when it is allowed and in scope, the call)
ROUTES = {
    "broadcast status": ("broadcast", {P, K}, 200, lambda c, b: c.get(f"/api/broadcasts/{b}")),
    "broadcast texts": ("broadcast", {P, K}, 200, lambda c, b: c.get(f"/api/broadcasts/{b}/texts")),
    "broadcast events": ("broadcast", {P, K}, 200, _events),
    "broadcast poll": ("broadcast", {K}, 200, lambda c, b: c.get(f"/api/broadcasts/{b}/poll")),
    "broadcast relay ACKs": ("broadcast", {K}, 200, lambda c, b: c.get(f"/api/relays?broadcast={b}")),
    "approve a text": ("broadcast", {K, M}, 409, lambda c, b: c.post(f"/api/broadcasts/{b}/texts/fr/approve",
                                                                        json={})),
    "correct a broadcast": ("broadcast", {K}, 201, lambda c, b: c.post(
        f"/api/broadcasts/{b}/correct", json={"text": "Correction: the shelter is the church"})),
    "cancel a broadcast": ("broadcast", {K}, 200, lambda c, b: c.post(f"/api/broadcasts/{b}/cancel")),
    "report": ("report", {P, K, M}, 200, lambda c, r: c.get(f"/api/reports/{r}")),
    "report reveal": ("report", {P, K, M}, 200, lambda c, r: c.get(f"/api/reports/{r}", params={"reveal": "true"})),
    "resolve a report": ("report", {P, K, M}, 409, lambda c, r: c.post(f"/api/reports/{r}/resolve")),
    "crisis timeline": ("crisis", {P, K, M}, 200, lambda c, x: c.get(f"/api/crises/{x}/timeline")),
    "crisis export": ("crisis", {P, K, M}, 200, lambda c, x: c.get(f"/api/crises/{x}/timeline?export=json")),
    "crisis note": ("crisis", {K}, 201, lambda c, x: c.post(f"/api/crises/{x}/notes", json={"text": "Team left"})),
    "activate a crisis": ("region", {K}, 201, lambda c, region: c.post(
        "/api/crises", json={"title": "Landslide", "region": region})),
    "close a crisis": ("crisis", {K}, 200, lambda c, x: c.post(f"/api/crises/{x}/close")),
}
PLACE_KINDS = {"broadcast": ("own", "other", "none"), "report": ("own", "other", "none"),
               "crisis": ("own", "other"), "region": ("own", "other")}
# Out of scope: not found (ids of other regions cannot be probed), except that a report of no region is
# everyone's to triage masked but only a coordinator's to reveal.
HIDDEN = 404


def expected(route: str, tier: str, place: str) -> int:
    kind, allowed, ok, _ = ROUTES[route]
    if tier not in allowed:
        return 403
    if tier == K:
        return ok
    if place == "other":
        return HIDDEN
    if route == "report reveal" and place == "none":
        return 403
    return ok


CASES = [(route, tier, place) for route in ROUTES for place in PLACE_KINDS[ROUTES[route][0]] for tier in TIERS]


@pytest.mark.parametrize("route,tier,place", CASES, ids=[f"{r}-{t}-{p}" for r, t, p in CASES])
def test_each_tier_on_each_route_in_each_region(world, route, tier, place):
    live, ids = world
    kind, _, _, call = ROUTES[route]
    target = PLACES[place] if kind == "region" else ids[kind][place]
    with live.client(tier) as c:
        response = call(c, target)
    body = response.text
    assert response.status_code == expected(route, tier, place), (route, tier, place, body[:300])
    if response.status_code == 404:
        assert str(target) in body  # the same answer as for an id that does not exist
    if tier != K and not (route == "report reveal" and response.status_code == 200):
        leaked = [p for p in PERSONAL if p in body]
        assert not leaked, (route, tier, place, leaked)
    if route == "broadcast status" and tier == K:
        assert UNREACHED[place] in body, body  # the coordinator sees who was not reached: the data is there to leak
    if route == "report reveal" and response.status_code == 200:
        assert response.json()["sender"] == REPORTERS[place]


LISTS = {
    "/api/broadcasts?limit=500": ({P, K}, "body"),
    "/api/scheduled-broadcasts?all=true": ({P, K}, "body"),
    "/api/reports?status=all&limit=1000": ({P, K, M}, "text"),
    "/api/crises": ({P, K, M}, "title"),
    "/api/webinars": ({P, K, M}, "topic"),
}


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("path", list(LISTS))
def test_lists_never_show_another_region(world, path, tier):
    live, _ = world
    allowed, field = LISTS[path]
    with live.client(tier) as c:
        response = c.get(path)
    if tier not in allowed:
        assert response.status_code == 403
        return
    assert response.status_code == 200, response.text
    shown = " ".join(str(item[field]) for item in response.json())
    assert "marker-own" in shown
    if "crises" not in path:
        assert "marker-none" in shown
    if tier == K:
        assert "marker-other" in shown
    else:
        assert "marker-other" not in shown, (path, tier)
        assert not [p for p in PERSONAL if p in response.text]


def test_out_of_region_attempts_are_audited(world):
    live, ids = world
    with live.client(P) as c:
        assert c.get(f"/api/broadcasts/{ids['broadcast']['other']}/texts").status_code == 404
    with live.program.database.sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "scope.refused",
                                                           AuditEntry.subject == f"broadcast:{ids['broadcast']['other']}"))
        assert f"subscriber:{live.people[P]}" in {e.actor for e in entries}
