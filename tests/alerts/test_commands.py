"""What people send: `/crisis` on chat (coordinators only, refusals audited), and YES / SI / OUI / NO
(or /rsvp) answering a webinar notice, counted per session."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

import alerts.commands  # noqa: F401  (registers the commands, as the alerts service does)
from alerts import webinars
from alerts.models import Crisis, WebinarSession
from alerts.tick import run_due
from channels.base import Inbound
from relay.inbound import handling as inbound
from relay.core.models import AuditEntry
from tests.alerts.conftest import add_people

_ids = itertools.count(1)
PEOPLE = """name,phone,telegram,language,timezone,tier,topics
Ana,,5001,es,Europe/Madrid,coordinator,
Olu,,5002,en,UTC,observer,
Marie,+33612345601,,fr,Europe/Paris,observer,webinars
Jo,+12015550301,,en,America/New_York,observer,webinars
"""


def say(db, settings, channel: str, sender: str, text: str) -> str | None:
    message = Inbound(channel=channel, provider_message_id=f"m{next(_ids)}", sender=sender,
                      recipient="relay", text=text, received_at=datetime.now(timezone.utc),
                      raw={"chat_id": sender, "chat_type": "private"} if channel == "telegram" else {})
    with db.sessions.begin() as session:
        return inbound.handle(session, message, settings).reply


def test_crisis_command_activates_for_a_coordinator_and_refuses_an_observer(alerts_db):
    settings, db = alerts_db
    add_people(db, PEOPLE)
    refused = say(db, settings, "telegram", "5002", "/crisis activate north Severe Flooding")
    assert refused.startswith("Refused: crisis.activate needs the tier coordinator; you are observer")
    reply = say(db, settings, "telegram", "5001", "/crisis activate north Severe Flooding near the river")
    assert reply.startswith("Crisis 1 activada en north.")
    assert say(db, settings, "telegram", "5001", "/crisis note 1 Shelter open").startswith("Hecho")
    assert say(db, settings, "telegram", "5001", "/crisis list") == "Crisis activas: 1 north (Flooding near the river)"
    assert say(db, settings, "telegram", "5001", "/crisis").startswith("Use: /crisis activate")
    with db.sessions() as session:
        assert session.get(Crisis, 1).activated_by == "telegram:5001"
        refusals = session.scalars(select(AuditEntry).where(AuditEntry.action == "permission.refused")).all()
        assert [r.details["action"] for r in refusals] == ["crisis.activate"]
    # a plain SMS that starts with "crisis" is a citizen's message, not a command
    assert say(db, settings, "sms", "+33612345601", "crisis here water everywhere") != "Crisis 2 activada"


def test_yes_and_no_in_their_languages_answer_the_last_notice(alerts_db, sender, cfg):
    settings, db = alerts_db
    add_people(db, PEOPLE)
    now = datetime.now(timezone.utc)
    local = (now + timedelta(days=2)).astimezone(timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
    with db.sessions.begin() as session:
        webinars.add_series(session, cfg, topic="Water safety", rrule="FREQ=DAILY;COUNT=1", first_start=local,
                            zone="UTC", link="https://meet.example.org/w", actor="t", now=now,
                            audience={"topics": ["webinars"]})
    run_due(sender, cfg, now)  # the notice (due three days before: now)
    assert say(db, settings, "sms", "+33612345601", "Oui") == "Merci, vous etes inscrit a Water safety (1 oui a ce jour)."
    assert say(db, settings, "sms", "+12015550301", "no") == "Noted: you will not attend Water safety."
    assert say(db, settings, "sms", "+12015550301", "RSVP yes").startswith("Thank you, you are registered")
    with db.sessions() as session:
        item = session.scalars(select(WebinarSession)).one()
        assert webinars.rsvp_counts(session, item.id) == {"yes": 2, "no": 0}
