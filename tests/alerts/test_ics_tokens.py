"""A webinar's .ics carries the private meeting link: it is served only when `ics_link` is on, and only
under the series' unguessable token, never at the sequential /webinars/ID.ics (issue 17 item 4)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from alerts import api as alerts_api
from alerts import webinars
from alerts.config import alerts_settings
from alerts.models import WebinarSeries, WebinarSession
from relay.api.common import Relay
from relay.core.db import Database
from tests.alerts.conftest import make_settings

LINK = "https://meet.example.org/private-room-7731"


@contextmanager
def _calendars(tmp_path, database_url, *, ics_link: bool) -> Iterator[tuple[TestClient, list[tuple[str, int]]]]:
    """The calendar routes over a database with two webinar series; (client, [(ics token, first session id)])."""
    settings = make_settings(tmp_path, database_url, webinars={"ics_link": ics_link})
    with closing(Database.open(settings, upgrade=True)) as db:
        now = datetime.now(timezone.utc)
        start = (now + timedelta(days=5)).replace(tzinfo=None, second=0, microsecond=0)
        made = []
        with db.sessions.begin() as session:
            for topic in ("Water safety", "First aid"):
                series = webinars.add_series(session, alerts_settings(settings), topic=topic,
                                             rrule="FREQ=DAILY;COUNT=2", first_start=start, zone="UTC", link=LINK,
                                             actor="test", now=now)
                item = session.query(WebinarSession).filter_by(series_id=series.id).order_by(WebinarSession.id).first()
                made.append((series.ics_token, item.id))
        app = FastAPI()
        app.state.relay = Relay(settings, db)
        app.include_router(alerts_api.calendars)
        yield TestClient(app), made


@pytest.fixture
def enabled(tmp_path, database_url):
    with _calendars(tmp_path, database_url, ics_link=True) as calendars:
        yield calendars


@pytest.fixture
def disabled(tmp_path, database_url):
    with _calendars(tmp_path, database_url, ics_link=False) as calendars:
        yield calendars


def test_the_right_token_gets_the_calendar(enabled):
    client, [(token, session_id), _] = enabled
    response = client.get(f"/webinars/{token}/{session_id}.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    assert "SUMMARY:Water safety" in response.text and LINK in response.text
    assert len(token) >= 32  # 24 random bytes, URL-safe


def test_guessing_gets_nothing(enabled):
    client, [(token, session_id), (other_token, other_session)] = enabled
    for path in (f"/webinars/{session_id}.ics",  # the old sequential URL
                 f"/webinars/{token[:-1]}x/{session_id}.ics",  # a wrong token
                 f"/webinars/{other_token}/{session_id}.ics",  # another series' token
                 f"/webinars/{token}/{other_session}.ics",  # another series' session
                 f"/webinars/{token}/{session_id + 1000}.ics", f"/webinars/{token}/abc.ics",
                 f"/webinars//{session_id}.ics"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert LINK not in response.text


def test_nothing_is_served_when_links_are_off(disabled):
    client, [(token, session_id), _] = disabled
    for path in (f"/webinars/{token}/{session_id}.ics", f"/webinars/{session_id}.ics"):
        response = client.get(path)
        assert response.status_code == 404 and LINK not in response.text


def test_every_series_gets_its_own_token_and_the_migration_gives_old_ones_one(tmp_path, database_url):
    """Series made before migration 0020 get a token when it runs; tokens are distinct."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from relay.core import migrate

    engine = create_engine(make_settings(tmp_path, database_url).resolved_database_url)
    try:
        with engine.connect() as connection:
            before = ScriptDirectory.from_config(migrate.alembic_config(connection)).get_revision("0020").down_revision
        migrate.upgrade(engine, before)
        with engine.begin() as connection:
            for n in range(3):
                connection.execute(text(
                    "INSERT INTO webinar_series (topic, rrule, first_start, timezone, duration_minutes, join_link,"
                    " audience, language, status, created_by, created_at) VALUES (:t, 'FREQ=DAILY;COUNT=1',"
                    " '2030-01-01T10:00', 'UTC', 60, :l, '{}', 'en', 'active', 'test', '2026-01-01 00:00:00')"),
                    {"t": f"old {n}", "l": LINK})
        migrate.upgrade(engine)
        with Session(engine) as session:
            tokens = list(session.scalars(select(WebinarSeries.ics_token)))
        assert len(tokens) == 3 and len(set(tokens)) == 3 and all(len(t) >= 32 for t in tokens)
    finally:
        engine.dispose()
