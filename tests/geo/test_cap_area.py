"""A CAP alert with a polygon targets exactly the people inside it, by point and by geocode, on SQLite
and PostgreSQL: the real CAP import (alerts/cap.py), the real outbox and the geo plan hook, people
loaded through the CSV import's new columns."""

from __future__ import annotations

from sqlalchemy import select

from alerts import cap
from alerts.cap_parse import parse
from relay.core.models import Delivery, Endpoint
from relay.geo.models import BroadcastArea
from tests.alerts.conftest import add_people, alerts_db, sender  # noqa: F401  (fixtures)

# A triangle near Port-au-Prince (lat,lon; closed), and a second area named by a SAME geocode.
TRIANGLE = "18.50,-72.40 18.50,-72.30 18.60,-72.40 18.50,-72.40"
ALERT = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>HT-FLOOD-1</identifier><sender>dpc@example.ht</sender><sent>2026-12-05T08:00:00-05:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <language>en</language><category>Met</category><event>Flood</event><urgency>Immediate</urgency>
    <severity>Severe</severity><certainty>Observed</certainty><headline>Flash flood</headline>
    <description>Move to higher ground now.</description>
    <area><areaDesc>Riviere Grise basin</areaDesc><polygon>{TRIANGLE}</polygon></area>
    <area><areaDesc>Santa Cruz County</areaDesc>
      <geocode><valueName>SAME</valueName><value>006087</value></geocode></area>
  </info>
</alert>""".encode()

PEOPLE = """phone,language,latitude,longitude,geocodes
+50937000001,en,18.55,-72.38,
+50937000002,en,18.50,-72.35,
+50937000003,en,18.58,-72.32,
+50937000004,en,19.00,-72.00,
+50937000005,en,,,SAME=006087
+50937000006,en,,,SAME=006037
+50937000007,en,19.00,-72.00,SAME=006087;NUTS3=HT011
+50937000008,en,,,
"""
INSIDE = {"+50937000001",  # inside the triangle
          "+50937000002",  # on its southern edge: the edge counts
          "+50937000005",  # by geocode
          "+50937000007",  # its point is far away, its geocode is in the area
          "+50937000008"}  # no location at all: included ([geo] cap_no_location = "include")
# +50937000003 is inside the triangle's bounding box but outside the triangle; 4 is far; 6 has another code.


def _addresses(db, broadcast_id: int) -> set[str]:
    with db.sessions() as session:
        return set(session.scalars(select(Endpoint.address).join(Delivery, Delivery.endpoint_id == Endpoint.id)
                                   .where(Delivery.broadcast_id == broadcast_id)))


def test_a_cap_polygon_and_geocode_reach_exactly_the_people_inside(alerts_db, sender):
    settings, db = alerts_db
    add_people(db, PEOPLE)
    with sender.sessions.begin() as session:
        result = cap.import_alert(sender, session, parse(ALERT), default_language="en", actor="test")
    assert _addresses(db, result.broadcast_id) == INSIDE
    assert result.deliveries == len(INSIDE)
    with db.sessions() as session:
        area = session.get(BroadcastArea, result.broadcast_id)
        parts = {p["label"]: p["people"] for p in area.counts["parts"]}
        assert parts == {"Riviere Grise basin (polygon)": 2, "Santa Cruz County (SAME=006087)": 2,
                         "Riviere Grise basin": 0, "Santa Cruz County": 0}  # the areaDescs as region tags
        assert (area.counts["inside"], area.counts["no_location"], area.no_location) == (4, 1, "include")


def test_people_without_a_location_are_left_out_when_the_config_says_so(tmp_path, database_url):
    from alerts.sending import Sender
    from relay.core.db import Database
    from tests.alerts.conftest import make_settings

    settings = make_settings(tmp_path, database_url)
    settings.geo.cap_no_location = "exclude"
    db = Database.open(settings, upgrade=True)
    try:
        add_people(db, PEOPLE)
        sender = Sender(settings, db.sessions, translate=False)
        with sender.sessions.begin() as session:
            result = cap.import_alert(sender, session, parse(ALERT), default_language="en", actor="test")
        assert _addresses(db, result.broadcast_id) == INSIDE - {"+50937000008"}
        with db.sessions() as session:
            area = session.get(BroadcastArea, result.broadcast_id)
            assert (area.counts["no_location"], area.no_location) == (1, "exclude")  # counted, not hidden
    finally:
        db.close()


def test_a_cap_polygon_that_crosses_itself_is_refused_naming_it(alerts_db, sender):
    from alerts.cap_parse import CapError
    import pytest

    bow_tie = ALERT.replace(TRIANGLE.encode(), b"18.50,-72.40 18.60,-72.30 18.60,-72.40 18.50,-72.30 18.50,-72.40")
    with pytest.raises(CapError, match=r"Riviere Grise basin \(polygon\): the polygon crosses itself near 18.55,-72.35"):
        with sender.sessions.begin() as session:
            cap.import_alert(sender, session, parse(bow_tie), default_language="en", actor="test")
