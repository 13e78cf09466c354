"""Subscriber storage on SQLite and PostgreSQL: CSV import, erasure, opt-out."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from relay.core import subscribers
from relay.core.models import AuditEntry, Endpoint, Erasure, Subscriber
from relay.core.subscribers import SubscriberError
from tests.conftest import DATA


def _import(database, text: str):
    with database.sessions.begin() as session:
        return subscribers.import_csv(session, io.StringIO(text), actor="test", default_region=None,
                                      default_timezone="UTC")


def test_csv_import_reports_bad_rows_by_line_and_imports_the_good_ones(database):
    report = _import(database, (DATA / "subscribers_sample.csv").read_text())
    assert report.created == 4
    lines = dict(report.errors)
    assert sorted(lines) == [6, 7, 8, 9, 10, 11]
    assert "at least one contact" in lines[6]
    assert "12345" in lines[7]
    assert "'french'" in lines[8]
    assert "Mars/Olympus" in lines[9]
    assert "emperor" in lines[10]
    assert "language is required" in lines[11]
    with database.sessions() as session:
        marie = session.scalar(select(Subscriber).where(Subscriber.name == "Marie Joseph"))
        assert marie.language == "ht" and marie.tier == "contributor"
        assert sorted(r.region for r in marie.regions) == ["ouest", "port-au-prince"]
        ngozi = session.scalar(select(Subscriber).where(Subscriber.name == "Ngozi"))
        assert sorted((e.channel, e.address) for e in ngozi.endpoints) == [
            ("matrix", "@ngozi:example.org"), ("sms", "+2348031234567")]


def test_reimporting_the_same_file_changes_nothing(database):
    text = (DATA / "subscribers_sample.csv").read_text()
    _import(database, text)
    again = _import(database, text)
    assert (again.created, again.updated) == (0, 4)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 4
        assert session.scalar(select(func.count()).select_from(Endpoint)) == 5


def test_unknown_column_is_named(database):
    with pytest.raises(SubscriberError, match="'email'"):
        _import(database, "name,phone,language,email\nA,+50937001234,ht,a@example.org\n")


def test_row_with_too_many_fields_is_reported(database):
    report = _import(database, "phone,language\n+50937001234,ht,extra\n+50937001235,ht\n")
    assert report.created == 1
    assert report.errors[0][0] == 2 and "3 fields" in report.errors[0][1]


def test_forget_erases_the_person_but_keeps_the_stop(database):
    _import(database, "name,phone,language\nMarie,+50937001234,ht\n")
    with database.sessions.begin() as session:
        endpoint = subscribers.find_endpoint(session, "sms", "+50937001234")
        subscribers.opt_out(session, endpoint, actor="test", reason="STOP")
    with database.sessions.begin() as session:
        endpoint = subscribers.find_endpoint(session, "sms", "+50937001234")
        subscribers.forget(session, endpoint.subscriber, actor="test")
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 0
        names = [e.details for e in session.scalars(select(AuditEntry))]
        assert all("Marie" not in str(d) and "+50937001234" not in str(d) for d in names)
        tombstone = session.scalar(select(Erasure))
        assert tombstone.opted_out and "+50937001234" not in tombstone.address_hash
    # The same number imported again stays stopped.
    _import(database, "name,phone,language\nMarie,+50937001234,ht\n")
    with database.sessions() as session:
        assert subscribers.find_endpoint(session, "sms", "+50937001234").opted_out is True
