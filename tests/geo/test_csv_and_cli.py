"""The CSV import's location columns (bad values are row errors naming the column; good rows keep
their point and geocodes) and the command line: `relay geo count` says how many people have no location,
`relay broadcast send --area-*` refuses bad geometry saying which and what, and asks about people without
a location until told."""

from __future__ import annotations

import io
import json

from relay.core import subscribers
from relay.core.models import Endpoint
from relay.geo import locations
from tests.test_cli import relay

CSV = """phone,language,latitude,longitude,geocodes
+50937003001,en,18.55,-72.35,SAME=006113;emma_id=HT001
+50937003002,en,north,-72.35,
+50937003003,en,18.55,,
+50937003004,en,18.55,-190,
+50937003005,en,,,SAME
+50937003006,en,,,"SAME=006113;BAD NAME=1"
+50937003007,en,,,
"""


def test_csv_location_columns(database):
    with database.sessions.begin() as session:
        report = subscribers.import_csv(session, io.StringIO(CSV), actor="test", default_region=None,
                                        default_timezone="UTC")
    assert (report.created, report.updated) == (2, 0)
    errors = dict(report.errors)
    assert errors[3] == "latitude 'north' is not a number"
    assert errors[4] == "latitude and longitude go together: give both or neither"
    assert errors[5] == "longitude '-190' is out of range (-180 to 180)"
    assert errors[6].startswith("geocodes: geocode 'SAME': write it as NAME=VALUE")
    assert errors[7].startswith("geocodes: geocode name 'BAD NAME'")
    with database.sessions() as session:
        first = subscribers.find_endpoint(session, "sms", "+50937003001")
        stored = locations.read(session, first.subscriber_id)
        assert stored.point == (18.55, -72.35) and stored.codes == (("EMMA_ID", "HT001"), ("SAME", "006113"))
        assert session.query(Endpoint).count() == 2  # a bad row stores nothing of itself
    with database.sessions.begin() as session:  # the same file again changes nothing
        again = subscribers.import_csv(session, io.StringIO(CSV), actor="test", default_region=None,
                                       default_timezone="UTC")
    assert (again.created, again.updated) == (0, 2)
    with database.sessions() as session:
        assert locations.read(session, first.subscriber_id) == stored


PEOPLE = """phone,language,latitude,longitude,geocodes
+50937004001,en,18.55,-72.35,
+50937004002,en,18.75,-72.35,
+50937004003,en,,,SAME=006113
+50937004004,en,,,
+50937004005,ht,,,
"""
SQUARE = "18.50,-72.40 18.50,-72.30 18.60,-72.30 18.60,-72.40 18.50,-72.40"


def test_cli_area_counts_errors_and_the_no_location_question(tmp_path):
    assert relay(tmp_path, "init").returncode == 0
    (tmp_path / "people.csv").write_text(PEOPLE)
    assert "imported 5 new" in relay(tmp_path, "subscribers", "import", "people.csv").stdout
    count = relay(tmp_path, "geo", "count", "--area-polygon", SQUARE, "--area-geocode", "SAME=006113", "--json")
    assert count.returncode == 0, count.stderr
    counted = json.loads(count.stdout)
    assert [p["people"] for p in counted["parts"]] == [1, 1] and counted["inside"] == 2
    assert counted["no_location"] == 2
    shown = relay(tmp_path, "geo", "count", "--area-polygon", SQUARE)
    assert "2 people have no location: include them or leave them out?" in shown.stdout

    cases = {
        "18.5,-72.4 18.5,-72.3 18.6,-72.3 18.6,-72.4": "the ring is not closed: the first point 18.5,-72.4 and the last 18.6,-72.4",
        "18.5,-72.4 18.5,-72.3 98.6,-72.3 18.5,-72.4": "polygon 1: point 3: latitude 98.6 is out of range",
        "18.5,-72.4 18.6,-72.3 18.6,-72.4 18.5,-72.3 18.5,-72.4": "polygon 1: the polygon crosses itself near 18.55,-72.35",
        "18.5,-72.4 18.5,-72.3 18.5,-72.4": "a polygon needs at least 4 points",
    }
    for polygon, said in cases.items():
        bad = relay(tmp_path, "broadcast", "send", "Flood", "--kind", "crisis", "--area-polygon", polygon)
        assert bad.returncode == 2 and said in bad.stderr, bad.stderr
    circle = relay(tmp_path, "broadcast", "send", "Flood", "--area-circle", "18.5,-72.4")
    assert circle.returncode == 2 and "write it as \"lat,lon radius_km\"" in circle.stderr
    wrong = relay(tmp_path, "broadcast", "send", "Flood", "--area-circle", "18.5,-72.4 5", "--no-location", "maybe")
    assert wrong.returncode == 2 and "no-location 'maybe': expected include or exclude" in wrong.stderr

    asked = relay(tmp_path, "broadcast", "send", "Flood", "--kind", "crisis", "--area-polygon", SQUARE)
    assert asked.returncode == 2 and "2 people in this audience have no location" in asked.stderr
    sent = relay(tmp_path, "broadcast", "send", "Flood", "--kind", "crisis", "--area-polygon", SQUARE,
                 "--area-geocode", "SAME=006113", "--no-location", "exclude")
    assert sent.returncode == 0, sent.stderr
    assert "queued: 2 deliveries" in sent.stdout and "2 people have no location: left out" in sent.stdout
    included = relay(tmp_path, "broadcast", "send", "Flood", "--kind", "crisis", "--area-polygon", SQUARE,
                     "--no-location", "include", "--json")
    assert json.loads(included.stdout)["deliveries"] == 3
    status = json.loads(relay(tmp_path, "geo", "status", str(json.loads(included.stdout)["id"]), "--json").stdout)
    assert (status["inside"], status["no_location"], status["no_location_policy"]) == (1, 2, "include")
    geojson = {"type": "Feature", "properties": {"name": "Zone A"}, "geometry": {"type": "Polygon", "coordinates": [
        [[-72.40, 18.50], [-72.30, 18.50], [-72.30, 18.60], [-72.40, 18.60], [-72.40, 18.50]]]}}
    (tmp_path / "zone.geojson").write_text(json.dumps(geojson))
    from_file = relay(tmp_path, "geo", "count", "--area-file", "zone.geojson", "--json")
    assert json.loads(from_file.stdout)["parts"][0] == {"label": "Zone A", "polygon": SQUARE.replace("18.50", "18.5")
                                                        .replace("-72.40", "-72.4").replace("-72.30", "-72.3")
                                                        .replace("18.60", "18.6"), "people": 1}
