"""Webinar notices on a controlled clock: a weekly series across a daylight-saving change, subscribers
in three time zones and three languages; reminders once each; RSVP counts; corrections to exactly those
who were told."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from alerts import webinar_jobs, webinars
from alerts.models import WebinarSession
from alerts.tick import run_due
from alerts.webinars import WebinarError
from relay.core.models import Broadcast, Delivery, Endpoint
from tests.alerts.conftest import add_people, deliver_all

UTC = timezone.utc
PEOPLE = """name,phone,language,timezone,topics
Paris,+33612345601,fr,Europe/Paris,webinars
New York,+12015550301,en,America/New_York,webinars
Mexico,+525512345601,es,America/Mexico_City,webinars
Not interested,+12015550302,en,America/New_York,
"""


def add_weekly(db, cfg, now):
    with db.sessions.begin() as session:
        series = webinars.add_series(
            session, cfg, topic="Water safety", rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=3",
            first_start=datetime(2026, 3, 19, 18, 0), zone="Europe/Paris",
            link="https://meet.example.org/water?id=42", actor="cli", now=now, audience={"topics": ["webinars"]})
        return series.id


def texts_by_address(db, broadcast_ids=None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with db.sessions() as session:
        query = select(Endpoint.address, Delivery.language, Delivery.broadcast_id).join(
            Endpoint, Endpoint.id == Delivery.endpoint_id).order_by(Delivery.id)
        if broadcast_ids is not None:
            query = query.where(Delivery.broadcast_id.in_(broadcast_ids))
        for address, language, broadcast_id in session.execute(query):
            text = next(t.text for t in session.get(Broadcast, broadcast_id).texts if t.language == language)
            out.setdefault(address, []).append(text)
    return out


def test_weekly_webinar_across_daylight_saving_reaches_three_zones_at_local_time(alerts_db, sender, cfg):
    settings, db = alerts_db
    add_people(db, PEOPLE)
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    add_weekly(db, cfg, now)
    with db.sessions() as session:
        starts = [s.starts_at for s in session.scalars(select(WebinarSession).order_by(WebinarSession.starts_at))]
    # 18:00 in Paris every week: 17:00 UTC before Europe's change on 29 March, 16:00 UTC after it
    assert starts == [datetime(2026, 3, 19, 17, 0, tzinfo=UTC), datetime(2026, 3, 26, 17, 0, tzinfo=UTC),
                      datetime(2026, 4, 2, 16, 0, tzinfo=UTC)]
    sent_at: dict[str, datetime] = {}
    clock = now
    while clock <= datetime(2026, 4, 3, tzinfo=UTC):  # every 30 minutes, like a scheduler's ticks
        for key in run_due(sender, cfg, clock).sent:
            sent_at[key] = clock
        clock += timedelta(minutes=30)
    notices = {k: v for k, v in sent_at.items() if k.endswith(":notice")}
    # each notice three days before its session, to the minute of the session's UTC time
    assert sorted(notices.values()) == [s - timedelta(days=3) for s in starts]
    reminders = sorted(v for k, v in sent_at.items() if ":remind:" in k)
    assert reminders == sorted([s - timedelta(hours=24) for s in starts] + [s - timedelta(hours=1) for s in starts])
    received = texts_by_address(db)
    assert "+12015550302" not in received  # not in the audience
    paris, new_york, mexico = received["+33612345601"], received["+12015550301"], received["+525512345601"]
    assert len(paris) == len(new_york) == len(mexico) == 9  # 3 notices + 6 reminders each, none twice
    # the last session, after Europe's change: still 18:00 in Paris; 12:00 in New York (already on
    # summer time since 8 March); 10:00 in Mexico City (no daylight saving since 2022)
    assert paris[0].startswith("Webinaire : Water safety, jeudi 19 mars 2026, 18:00")
    assert "jeudi 2 avril 2026, 18:00" in paris[6]
    assert new_york[0].startswith("Webinar: Water safety, Thursday, March 19, 2026, 1:00 PM (EDT)")
    assert "Thursday, April 2, 2026, 12:00 PM (EDT)" in new_york[6]
    assert mexico[0].startswith("Seminario web: Water safety, jueves, 19 de marzo de 2026, 11:00")
    assert "jueves, 2 de abril de 2026, 10:00" in mexico[6]
    assert all("https://meet.example.org/water?id=42" in text for text in paris + new_york + mexico)
    assert "Responda SI o NO" in mexico[0] and "Repondez OUI ou NON" in paris[0]


def test_rsvp_counts_and_corrections_go_to_exactly_those_who_got_the_notice(alerts_db, sender, cfg):
    settings, db = alerts_db
    add_people(db, PEOPLE)
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    add_weekly(db, cfg, now)
    notice_time = datetime(2026, 3, 16, 17, 0, tzinfo=UTC)
    assert [k for k in run_due(sender, cfg, notice_time).sent if k.endswith("notice")]
    deliver_all(db)
    add_people(db, "phone,language,timezone,topics\n+12015550303,en,America/New_York,webinars\n")  # joins later
    with db.sessions.begin() as session:
        first = session.scalars(select(WebinarSession).order_by(WebinarSession.starts_at)).first()
        for address, reply in (("+33612345601", "yes"), ("+12015550301", "no"), ("+525512345601", "yes")):
            endpoint = session.scalars(select(Endpoint).where(Endpoint.address == address)).one()
            assert webinars.session_for_reply(session, endpoint, notice_time).id == first.id
            counts = webinars.answer(session, first, endpoint, reply, notice_time)
        assert counts == {"yes": 2, "no": 1}
        made, deliveries, stopped = webinar_jobs.move(sender, session, first.id, datetime(2026, 3, 19, 19, 30),
                                                      actor="cli", now=notice_time + timedelta(hours=1))
    assert deliveries == 3 and stopped == 0
    corrections = texts_by_address(db, made)
    assert set(corrections) == {"+33612345601", "+12015550301", "+525512345601"}  # not the late joiner
    assert corrections["+33612345601"][0].startswith(
        "Correction : le webinaire Water safety du jeudi 19 mars 2026, 18:00")
    assert "jeudi 19 mars 2026, 19:30" in corrections["+33612345601"][0]
    assert "2:30 PM (EDT)" in corrections["+12015550301"][0]
    deliver_all(db)
    # the reminders follow the new time: 24 h before 18:30 UTC
    assert any(k.endswith("remind:86400") for k in run_due(sender, cfg, datetime(2026, 3, 18, 18, 30, tzinfo=UTC)).sent)
    with db.sessions.begin() as session:
        made, deliveries, stopped = webinar_jobs.cancel(sender, session, first.id, actor="cli",
                                                        now=datetime(2026, 3, 18, 19, 0, tzinfo=UTC))
    # the cancellation reaches those told (by the notice and the correction), once each; the reminder
    # not yet sent (to them and to the late joiner) is stopped instead
    assert stopped == 4 and deliveries == 3
    assert run_due(sender, cfg, datetime(2026, 3, 19, 18, 0, tzinfo=UTC)).sent == []


def test_bad_series_are_refused_with_the_reason(alerts_db, cfg):
    settings, db = alerts_db
    now = datetime(2026, 3, 10, tzinfo=UTC)
    with db.sessions.begin() as session:
        with pytest.raises(WebinarError, match="RRULE"):
            webinars.add_series(session, cfg, topic="x", rrule="EVERY TUESDAY", first_start=datetime(2026, 3, 19, 18),
                                zone="Europe/Paris", link="https://x.org", actor="t", now=now)
        with pytest.raises(WebinarError, match="IANA"):
            webinars.add_series(session, cfg, topic="x", rrule="FREQ=WEEKLY", first_start=datetime(2026, 3, 19, 18),
                                zone="Mars/Olympus", link="https://x.org", actor="t", now=now)
        with pytest.raises(WebinarError, match="URL"):
            webinars.add_series(session, cfg, topic="x", rrule="FREQ=WEEKLY", first_start=datetime(2026, 3, 19, 18),
                                zone="Europe/Paris", link="meet me at noon", actor="t", now=now)


def test_a_daily_0230_berlin_session_on_the_autumn_night_is_announced_once(alerts_db, sender, cfg):
    """02:30 happens twice in Berlin on 25 October 2026; APScheduler fires such a job twice (measured):
    here the session is one row, placed at the first 02:30 (summer time), and each notice and reminder
    is sent once however often the scheduler looks during the repeated hour."""
    settings, db = alerts_db
    add_people(db, "phone,language,timezone,topics\n+4915112345601,en,Europe/Berlin,night\n")
    now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    with db.sessions.begin() as session:
        webinars.add_series(session, cfg, topic="Night shift briefing", rrule="FREQ=DAILY;COUNT=7",
                            first_start=datetime(2026, 10, 22, 2, 30), zone="Europe/Berlin",
                            link="https://meet.example.org/night", actor="t", now=now, audience={"topics": ["night"]})
    with db.sessions() as session:
        autumn = [s for s in session.scalars(select(WebinarSession)) if s.occurrence == "2026-10-25T02:30"]
    assert [s.starts_at for s in autumn] == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]  # 02:30 CEST
    sent = []
    clock = datetime(2026, 10, 24, 0, 0, tzinfo=UTC)
    while clock <= datetime(2026, 10, 25, 3, 0, tzinfo=UTC):  # every 5 minutes through the repeated hour
        sent += [k for k in run_due(sender, cfg, clock).sent if k.startswith(f"webinar:{autumn[0].id}:")]
        clock += timedelta(minutes=5)
    assert len(sent) == len(set(sent)) == 3  # its notice (already due at the first look), 24 h and 1 h reminders
    received = [t for t in texts_by_address(db)["+4915112345601"] if "25. Oktober" in t or "October 25" in t]
    assert len(received) == 3 and "2:30 AM (+0200)" in received[-1]  # the offset tells which 02:30
