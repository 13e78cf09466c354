"""The scheduler in a running relay: a reminder that falls due while the relay is stopped fires once
when it starts again (not again after another restart); the tick job lives in the database
(APScheduler's SQLAlchemyJobStore). The crisis runs on a controlled clock; the relay, its dispatcher,
the Twilio simulator and APScheduler are real."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from alerts import crisis
from alerts.config import alerts_settings
from alerts.scheduler import JOB_ID, AlertsScheduler
from tests.alerts.conftest import add_people
from tests.relay.conftest import make_program, sms_log, wait_for

CONTACT = "+12015550201"
ALERTS = {"crisis": {"contacts": {"party": [CONTACT]}, "reminders": ["1h"]},
          "scheduler": {"tick": "1s", "grace": "2h"}}


async def start(tmp_path, clock):
    program = make_program(tmp_path, alerts=ALERTS)
    service = AlertsScheduler(program.settings, clock=lambda: clock[0])
    program.services = [service]
    await program.start()
    await wait_for(service.leader.wait)
    return program, service


def to_contact(program, prefix: str) -> list[dict]:
    return [m for m in sms_log(program) if m["to"] == CONTACT and m["body"].startswith(prefix)]


async def test_a_reminder_due_while_the_relay_was_down_fires_once_on_restart(tmp_path):
    clock = [datetime.now(timezone.utc)]
    program, service = await start(tmp_path, clock)
    try:
        add_people(program.database, f"phone,language,timezone\n{CONTACT},en,America/New_York\n")
        with program.database.sessions.begin() as session:
            crisis_id = crisis.activate(session, alerts_settings(program.settings), title="Flooding", region="north",
                                        severity="Severe", actor="test", tier="coordinator", now=clock[0]).id
        await wait_for(lambda: to_contact(program, f"Crisis {crisis_id} activated"))
    finally:
        await program.stop()
    # the response reminder (1 h before the 24 h deadline) falls due while the relay is stopped
    clock[0] += timedelta(hours=23, minutes=20)
    program, service = await start(tmp_path, clock)
    try:
        with program.database.engine.connect() as connection:
            stored = connection.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
        assert stored == [JOB_ID]  # the job kept in the database across the restart
        await wait_for(lambda: to_contact(program, f"Reminder, crisis {crisis_id}"))
        assert "coordinated response is due" in to_contact(program, "Reminder")[0]["body"]
    finally:
        await program.stop()
    # started once more, a little later: the reminder is not sent again
    clock[0] += timedelta(minutes=5)
    program, service = await start(tmp_path, clock)
    try:
        ticks = service.ticks
        await wait_for(lambda: service.ticks >= ticks + 2)
        assert len(to_contact(program, f"Reminder, crisis {crisis_id}")) == 1
        assert len(to_contact(program, f"Crisis {crisis_id} activated")) == 1
    finally:
        await program.stop()


async def test_a_webinar_notice_carries_a_calendar_link_the_relay_serves(tmp_path):
    import re

    import aiohttp

    from sqlalchemy import select

    from alerts import webinars
    from alerts.models import WebinarSeries

    clock = [datetime.now(timezone.utc)]
    program = make_program(tmp_path, alerts={"webinars": {"ics_link": True}, "scheduler": {"tick": "1s"}})
    service = AlertsScheduler(program.settings, clock=lambda: clock[0])
    program.services = [service]
    await program.start()
    try:
        add_people(program.database, "phone,language,timezone,topics\n+12015550301,en,America/New_York,webinars\n")
        start = (clock[0] + timedelta(days=2)).replace(tzinfo=None, second=0, microsecond=0)
        with program.database.sessions.begin() as session:
            webinars.add_series(session, alerts_settings(program.settings), topic="Water safety",
                                rrule="FREQ=DAILY;COUNT=1", first_start=start, zone="UTC",
                                link="https://meet.example.org/w", actor="test", now=clock[0],
                                audience={"topics": ["webinars"]})
        notices = await wait_for(lambda: [m for m in sms_log(program) if m["body"].startswith("Webinar: Water safety")])
        link = re.search(r"(http://\S+\.ics)", notices[0]["body"]).group(1)
        with program.database.sessions() as session:
            token = session.scalar(select(WebinarSeries.ics_token))
        assert f"/webinars/{token}/" in link  # the series' secret, not a guessable id
        sequential = re.sub(r"/webinars/[^/]+/", "/webinars/", link)
        async with aiohttp.ClientSession() as http:
            async with http.get(link) as response:
                body = await response.text()
                assert response.status == 200 and response.headers["content-type"].startswith("text/calendar")
            for guess in (sequential, link.replace(token, token[::-1])):
                async with http.get(guess) as missing:
                    assert missing.status == 404, guess
        assert "SUMMARY:Water safety" in body and "URL:https://meet.example.org/w" in body
    finally:
        await program.stop()
