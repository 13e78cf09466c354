"""The scheduled sends' runner on SQLite and PostgreSQL (a controlled clock): runners racing on the same
due zone send it once; a send later than the grace time is recorded missed; a cancelled schedule sends
nothing more; a person who moved zones is not reached twice. And the CLI, as a person uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from relay.core.models import Broadcast, Delivery, Endpoint, Subscriber
from relay.delivery.outbox import BroadcastRequest
from relay.schedules import schedule as schedules
from relay.schedules.models import ScheduledSend
from relay.schedules.runner import run_due
from tests.conftest import people_database

PEOPLE = """phone,language,timezone
+81355555001,en,Asia/Tokyo
+33155555002,en,Europe/Paris
+12125555003,en,America/New_York
"""
BEFORE = datetime(2026, 12, 14, 20, 0, tzinfo=timezone.utc)


def nine(zone: str) -> datetime:
    return datetime(2026, 12, 15, 9, 0, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


@pytest.fixture
def db(tmp_path, database_url):
    with people_database(tmp_path, database_url, PEOPLE, schedules={"grace_minutes": 60}) as opened:
        yield opened


def schedule(database, local: str = "2026-12-15T09:00") -> int:
    with database.sessions.begin() as session:
        request = BroadcastRequest(kind="notice", body="Clinic opens at nine", source_language="en", sender="test")
        return schedules.create(session, request, at=None, local=local, actor="test", now=BEFORE).id


def reached(database) -> list[str]:
    with database.sessions() as session:
        return sorted(session.scalars(select(Endpoint.address).join(Delivery, Delivery.endpoint_id == Endpoint.id)))


def test_runners_racing_on_the_same_zone_send_it_once(db):
    settings, database = db
    schedule(database)
    results, barrier = [], threading.Barrier(4)

    def race() -> None:
        barrier.wait()
        results.append(run_due(database.sessions, settings, nine("Asia/Tokyo"), translate=False))

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(len(r.sent) for r in results) == 1 and not any(r.failed for r in results)
    assert reached(database) == ["+81355555001"]


def test_each_zone_at_its_nine_once_then_the_schedule_is_done(db):
    settings, database = db
    schedule_id = schedule(database)
    assert run_due(database.sessions, settings, nine("Asia/Tokyo") - timedelta(minutes=1), translate=False).sent == []
    for zone in ("Asia/Tokyo", "Europe/Paris", "America/New_York"):
        run_due(database.sessions, settings, nine(zone), translate=False)
        run_due(database.sessions, settings, nine(zone) + timedelta(minutes=1), translate=False)  # again: nothing
    assert reached(database) == sorted(["+81355555001", "+33155555002", "+12125555003"])
    run_due(database.sessions, settings, nine("America/New_York") + timedelta(hours=12), translate=False)
    with database.sessions() as session:
        assert schedules.get(session, schedule_id).status == "sent"


def test_later_than_the_grace_time_is_missed_and_said(db):
    settings, database = db
    schedule(database)
    result = run_due(database.sessions, settings, nine("Asia/Tokyo") + timedelta(hours=2), translate=False)
    assert result.missed == [(1, "Asia/Tokyo")] and reached(database) == []


def test_a_cancelled_schedule_sends_nothing_more(db):
    settings, database = db
    schedule_id = schedule(database)
    run_due(database.sessions, settings, nine("Asia/Tokyo"), translate=False)
    with database.sessions.begin() as session:
        with pytest.raises(schedules.ScheduleError, match="already gone to some time zones"):
            schedules.reschedule(session, schedule_id, body="changed", actor="test", now=BEFORE)
    with database.sessions.begin() as session:
        assert schedules.cancel(session, schedule_id, actor="test", now=nine("Asia/Tokyo")) == 1
    run_due(database.sessions, settings, nine("America/New_York"), translate=False)
    assert reached(database) == ["+81355555001"]


def test_a_person_who_moved_zones_after_it_reached_them_is_not_reached_again(db):
    settings, database = db
    schedule(database)
    run_due(database.sessions, settings, nine("Asia/Tokyo"), translate=False)
    with database.sessions.begin() as session:
        person = session.scalar(select(Subscriber).join(Endpoint).where(Endpoint.address == "+81355555001"))
        person.timezone = "America/New_York"  # flew east to west: it is 09:00 again later today
    run_due(database.sessions, settings, nine("America/New_York"), translate=False)
    with database.sessions() as session:
        to_traveller = session.scalar(select(func.count()).select_from(Delivery).join(Endpoint)
                                      .where(Endpoint.address == "+81355555001"))
        sends = {s.zone: s.deliveries for s in session.scalars(select(ScheduledSend))}
    assert to_traveller == 1 and sends == {"Asia/Tokyo": 1, "Europe/Paris": 0, "America/New_York": 1}  # Paris: missed


def relay(cwd, *args):
    return subprocess.run([sys.executable, "-m", "relay.app.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.getcwd(), "COLUMNS": "200"}, timeout=120)


def test_the_cli_schedules_lists_reschedules_and_cancels_with_clear_errors(tmp_path):
    assert relay(tmp_path, "init").returncode == 0
    bad = relay(tmp_path, "broadcast", "schedule", "Hello", "--at", "2030-01-01T09:00")
    assert bad.returncode == 2 and "no UTC offset" in bad.stderr
    bad = relay(tmp_path, "broadcast", "schedule", "Hello", "--local", "09:00 tomorrow")
    assert bad.returncode == 2 and "wall-clock time such as 2026-12-05T09:00" in bad.stderr
    made = relay(tmp_path, "broadcast", "schedule", "Webinar at nine", "--kind", "webinar", "--local",
                 "2030-03-01T09:00", "--json")
    assert made.returncode == 0, made.stderr
    schedule_id = json.loads(made.stdout)["id"]
    listed = relay(tmp_path, "broadcast", "scheduled", "--json")
    assert [s["id"] for s in json.loads(listed.stdout)] == [schedule_id]
    table = relay(tmp_path, "broadcast", "scheduled")
    assert "Webinar at nine" in table.stdout and "2030-03-01T09:00 local" in table.stdout
    moved = relay(tmp_path, "broadcast", "reschedule", str(schedule_id), "--at", "2030-03-02T09:00-05:00")
    assert moved.returncode == 0 and "2030-03-02T14:00:00+00:00" in moved.stdout
    assert relay(tmp_path, "broadcast", "unschedule", str(schedule_id)).returncode == 0
    again = relay(tmp_path, "broadcast", "unschedule", str(schedule_id))
    assert again.returncode == 2 and "cancelled; nothing left to cancel" in again.stderr
    assert json.loads(relay(tmp_path, "broadcast", "scheduled", "--json").stdout) == []
