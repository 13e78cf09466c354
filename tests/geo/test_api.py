"""relay/geo over HTTP, against a live relay: a subscriber's location (PUT/GET, bad values a 422 naming
them), a broadcast aimed at an area (the preview's count per part and the no-location line, then the
queued deliveries), and a broadcast that does not say what to do with people without a location."""

from __future__ import annotations


SQUARE = "18.50,-72.40 18.50,-72.30 18.60,-72.30 18.60,-72.40 18.50,-72.40"


def test_location_endpoint_and_an_area_broadcast(live):
    inside = live.add_person("observer", name="in", phone="+50937100001")
    outside = live.add_person("observer", name="out", phone="+50937100002")
    coded = live.add_person("observer", name="coded", phone="+50937100003")
    live.add_person("observer", name="nowhere", phone="+50937100004")
    with live.client("coordinator") as c:
        got = c.put(f"/api/subscribers/{inside}/location", json={"latitude": 18.55, "longitude": -72.35})
        assert got.status_code == 200 and (got.json()["latitude"], got.json()["longitude"]) == (18.55, -72.35)
        assert c.put(f"/api/subscribers/{outside}/location", json={"latitude": 18.7, "longitude": -72.35}).status_code == 200
        assert c.put(f"/api/subscribers/{coded}/location", json={"geocodes": ["iso3166-2=HT-OU"]}).status_code == 200
        assert c.get(f"/api/subscribers/{coded}/location").json()["geocodes"] == ["ISO3166-2=HT-OU"]
        bad = c.put(f"/api/subscribers/{inside}/location", json={"latitude": 95, "longitude": 0})
        assert bad.status_code == 422 and "latitude" in bad.text
        half = c.put(f"/api/subscribers/{inside}/location", json={"latitude": 18.5})
        assert half.status_code == 422 and "latitude and longitude go together" in half.text
        code = c.put(f"/api/subscribers/{inside}/location", json={"geocodes": ["SAME"]})
        assert code.status_code == 422 and "NAME=VALUE" in code.text
        assert c.get("/api/subscribers/999999/location").status_code == 404
        assert c.get(f"/api/subscribers/{inside}/location").json()["latitude"] == 18.55  # the bad ones changed nothing

        area = {"polygons": [SQUARE], "geocodes": ["ISO3166-2=HT-OU"]}
        body = {"kind": "crisis", "severity": "Severe", "body": "Flood: move to higher ground", "language": "en",
                "area": area}
        asked = c.post("/api/broadcasts/preview", json=body).json()["area"]
        # The coordinators/partners start_live adds have no location either: they are counted too.
        unlocated = asked["no_location"]
        assert unlocated >= 1 and asked["message"].endswith("include them or leave them out?")
        assert [p["people"] for p in asked["parts"]] == [1, 1] and asked["inside"] == 2
        refused = c.post("/api/broadcasts", json=body)
        assert refused.status_code in (400, 422) and f"{unlocated:,} people in this audience have no location" in refused.text

        body["area"] = {**area, "no_location": "exclude"}
        preview = c.post("/api/broadcasts/preview", json=body).json()
        assert preview["total"] == 2 and preview["area"]["message"].endswith("no location: left out")
        sent = c.post("/api/broadcasts", json=body)
        assert sent.status_code == 201 and sent.json()["deliveries"] == 2

        body["area"] = {**area, "no_location": "include"}
        assert c.post("/api/broadcasts/preview", json=body).json()["total"] == 2 + unlocated

        crossed = {**body, "area": {"polygons": ["18.5,-72.4 18.6,-72.3 18.6,-72.4 18.5,-72.3 18.5,-72.4"]}}
        bad = c.post("/api/broadcasts", json=crossed)
        assert bad.status_code in (400, 422) and "polygon 1: the polygon crosses itself near 18.55,-72.35" in bad.text
        unknown = c.post("/api/broadcasts", json={**body, "area": {"polygons": [SQUARE], "shape": "x"}})
        assert unknown.status_code == 422 and "shape" in unknown.text
