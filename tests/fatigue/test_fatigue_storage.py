"""Quiet hours and the daily cap as the outbox applies them (its plan hook, in the broadcast's own
transaction), on SQLite and PostgreSQL: per time zone, per person's own window, crisis overrides,
the cap; and the validation of windows and zones."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from relay.app.settings import load_settings
from relay.core.channels import planned_senders
from relay.core.models import Delivery, Endpoint, Subscriber
from relay.delivery import outbox
from relay.delivery.outbox import BroadcastRequest
from relay.fatigue import commands
from relay.fatigue.quiet import FatigueError, check_zone, parse_window, release_at
from tests.conftest import people_database

PEOPLE = """phone,language,timezone
+50937004001,ht,America/Port-au-Prince
+33155554002,fr,Europe/Paris
+81355554003,en,Asia/Tokyo
"""
# 04:00 UTC: 23:00 in Port-au-Prince, 05:00 in Paris, 13:00 in Tokyo
NOW = datetime(2026, 12, 21, 4, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(tmp_path, database_url):
    with people_database(tmp_path, database_url, PEOPLE, fatigue={"quiet_hours": "22:00-07:00", "daily_cap": 2}) as opened:
        yield opened


def plan(settings, database, kind: str, severity: str = "Unknown", now: datetime = NOW, body: str = "Notice") -> dict:
    request = BroadcastRequest(kind=kind, body=body, source_language="en", sender="test", severity=severity)
    planned = outbox.plan_broadcast(database.sessions, request, senders={"sms": ["+12015550100"]}, actor="test", now=now)
    with database.sessions() as session:
        return {address: (d.status, d.next_attempt_at) for d, address in session.execute(
            select(Delivery, Endpoint.address).join(Endpoint, Endpoint.id == Delivery.endpoint_id)
            .where(Delivery.broadcast_id == planned.id))}


def test_each_person_waits_for_the_end_of_their_own_quiet_hours(db):
    settings, database = db
    rows = plan(settings, database, "webinar")
    haiti_morning = datetime(2026, 12, 21, 7, 0, tzinfo=ZoneInfo("America/Port-au-Prince")).astimezone(timezone.utc)
    paris_morning = datetime(2026, 12, 21, 7, 0, tzinfo=ZoneInfo("Europe/Paris")).astimezone(timezone.utc)
    assert rows["+50937004001"] == ("pending", haiti_morning)  # 23:00 there: waits until 07:00
    assert rows["+33155554002"] == ("pending", paris_morning)  # 05:00 there: until 07:00
    assert rows["+81355554003"] == ("pending", NOW)  # 13:00 in Tokyo: at once


def test_crisis_extreme_and_severe_override_lower_ones_wait(db):
    settings, database = db
    for severity in ("Extreme", "Severe"):
        assert {at for _, at in plan(settings, database, "crisis", severity).values()} == {NOW}
    moderate = plan(settings, database, "crisis", "Moderate")
    assert moderate["+50937004001"][1] > NOW  # a Moderate crisis broadcast is not urgent enough for the night


def test_a_persons_own_quiet_hours_win_over_the_default(db):
    settings, database = db
    with database.sessions.begin() as session:
        tokyo = session.scalar(select(Subscriber.id).join(Endpoint).where(Endpoint.address == "+81355554003"))
        haiti = session.scalar(select(Subscriber.id).join(Endpoint).where(Endpoint.address == "+50937004001"))
        commands.set_quiet_hours(session, tokyo, "12:30-14:00", actor="test")
        commands.set_quiet_hours(session, haiti, "off", actor="test")
    rows = plan(settings, database, "notice")
    assert rows["+81355554003"][1] == datetime(2026, 12, 21, 14, 0, tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(timezone.utc)
    assert rows["+50937004001"][1] == NOW


def test_the_daily_cap_stops_the_third_non_crisis_message_not_crisis(db):
    settings, database = db
    first = plan(settings, database, "notice", now=datetime.now(timezone.utc), body="one")
    second = plan(settings, database, "webinar", now=datetime.now(timezone.utc), body="two")
    third = plan(settings, database, "notice", now=datetime.now(timezone.utc), body="three")
    crisis = plan(settings, database, "crisis", "Moderate", now=datetime.now(timezone.utc), body="four")
    assert {s for s, _ in first.values()} == {s for s, _ in second.values()} == {"pending"}
    assert {s for s, _ in third.values()} == {"cancelled"}
    assert {s for s, _ in crisis.values()} == {"pending"}
    with database.sessions() as session:
        reasons = set(session.scalars(select(Delivery.last_error).where(Delivery.status == "cancelled")))
    assert reasons == {"daily cap: this person had 2 non-crisis messages in 24 h"}


def test_windows_and_zones_are_validated_with_clear_errors():
    assert str(parse_window("22:00-07:00")) == "22:00-07:00" and parse_window("off") is None
    for bad, said in (("22-07", "HH:MM-HH:MM"), ("24:00-07:00", "not a time of day"), ("07:00-07:00", "the same")):
        with pytest.raises(FatigueError, match=said):
            parse_window(bad)
    assert check_zone("EUROPE/PARIS") == "Europe/Paris"
    with pytest.raises(FatigueError, match="not an IANA time zone"):
        check_zone("Mars/Olympus")
    with pytest.raises(Exception, match="quiet hours"):
        load_settings(None, overrides={"fatigue": {"quiet_hours": "late"}})


def test_quiet_hours_end_at_07_local_across_a_daylight_saving_change():
    window = parse_window("22:00-07:00")
    # the night Europe/Paris goes from +01:00 to +02:00 (2027-03-28): 07:00 local is 05:00 UTC
    night = datetime(2027, 3, 27, 23, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert release_at(night, "Europe/Paris", window) == datetime(2027, 3, 28, 5, 0, tzinfo=timezone.utc)
    assert release_at(night + timedelta(hours=10), "Europe/Paris", window) is None
