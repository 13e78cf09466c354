"""The crisis protocol on a controlled clock: reminders and escalations fire in order and only while a
milestone is unmet; the timeline records every event and its export fails verification when altered."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from alerts import crisis, timeline
from alerts.crisis import CrisisError
from alerts.models import Crisis
from alerts.tick import run_due
from relay.core.models import Broadcast, Delivery, Endpoint
from relay.core.permissions import PermissionDenied
from tests.alerts.conftest import PEOPLE, T0, add_people, deliver_all


def activate(db, cfg, now=T0, **kwargs):
    with db.sessions.begin() as session:
        values = {"title": "Flooding", "region": "north", "severity": "Severe", "actor": "cli", "tier": "coordinator"}
        values.update(kwargs)
        return crisis.activate(session, cfg, now=now, **values).id


def inbox(db) -> list[tuple[str, str, str]]:
    """(address, language, text) of every delivery planned, in order."""
    with db.sessions() as session:
        rows = session.execute(
            select(Endpoint.address, Delivery.language, Broadcast.id)
            .join(Endpoint, Endpoint.id == Delivery.endpoint_id).join(Broadcast, Broadcast.id == Delivery.broadcast_id)
            .order_by(Delivery.id)).all()
        out = []
        for address, language, broadcast_id in rows:
            text = next(t.text for t in session.get(Broadcast, broadcast_id).texts if t.language == language)
            out.append((address, language, text))
        return out


def test_reminders_and_escalations_fire_in_order_and_only_while_unmet(alerts_db, sender, cfg):
    settings, db = alerts_db
    add_people(db, PEOPLE)
    crisis_id = activate(db, cfg)
    fired: list[str] = []
    # walk the clock hour by hour through eight days, as the scheduler would
    for hour in range(0, 24 * 8 + 1):
        now = T0 + timedelta(hours=hour)
        if hour == 30:  # the assessment team arrives in time; its reminders and escalations must stop
            with db.sessions.begin() as session:
                crisis.done(session, crisis_id, "assessment", actor="cli", tier="coordinator", now=now)
        result = run_due(sender, cfg, now)
        assert not result.missed
        fired += result.sent
    c = f"crisis:{crisis_id}"
    assert fired == [
        f"{c}:activated",
        f"{c}:response:remind:21600", f"{c}:response:remind:3600",
        f"{c}:response:escalate:movement",
        f"{c}:response:escalate:network",  # 12 h later, still unmet
        f"{c}:action_plan:remind:21600", f"{c}:action_plan:remind:3600",
        f"{c}:action_plan:escalate:movement",
        f"{c}:action_plan:escalate:network",
    ]
    # who got what: the first level the reminders, the next levels the escalations, each in their language
    messages = inbox(db)
    party = [m for m in messages if m[0] == "+12015550201"]
    assert len(party) == 5 and party[0][2].startswith(f"Crisis {crisis_id} activated")
    assert "Tuesday, March 3, 2026, 3:00 AM (EST)" in party[1][2]  # deadline T0+24h in New York time
    movement = [m for m in messages if m[0] in ("+12015550202", "4242")]
    assert {m[1] for m in movement} == {"es", "fr"} and len(movement) == 4
    assert any(m[2].startswith("ESCALAMIENTO crisis") for m in movement)
    assert any(m[2].startswith("ESCALADE crise") for m in movement)
    network = [m for m in messages if m[0] == "+12015550203"]
    assert len(network) == 2 and all(m[2].startswith("ESKALASYON kriz") for m in network)
    # nothing more once everything has fired; nothing at all after close
    assert run_due(sender, cfg, T0 + timedelta(days=9)).sent == []


def test_closing_stops_reminders_and_a_reminder_past_its_grace_is_recorded_missed(alerts_db, sender, cfg):
    settings, db = alerts_db
    add_people(db, PEOPLE)
    crisis_id = activate(db, cfg)
    # the relay was down from activation until 23h30: the activation notice still goes, the 6 h reminder
    # (due 18h) is overtaken by the 1 h reminder (due 23h), which is 30 min late: within the grace
    result = run_due(sender, cfg, T0 + timedelta(hours=23, minutes=30))
    c = f"crisis:{crisis_id}"
    assert result.sent == [f"{c}:activated", f"{c}:response:remind:3600"]
    assert result.missed == [f"{c}:response:remind:21600"]
    with db.sessions.begin() as session:
        crisis.close(session, crisis_id, actor="cli", tier="coordinator", now=T0 + timedelta(hours=23, minutes=40))
    assert run_due(sender, cfg, T0 + timedelta(days=8)).sent == []
    with db.sessions() as session:
        kinds = [e.kind for e in timeline.entries(session, crisis_id)]
    assert kinds == ["activated", "activated.sent", "reminder.missed", "reminder.sent", "closed",
                     "broadcast.figures", "broadcast.figures"] or kinds[:5] == [
        "activated", "activated.sent", "reminder.missed", "reminder.sent", "closed"]


def test_exported_timeline_has_every_event_and_fails_verification_when_altered(alerts_db, sender, cfg, tmp_path):
    settings, db = alerts_db
    add_people(db, PEOPLE)
    crisis_id = activate(db, cfg)
    run_due(sender, cfg, T0 + timedelta(hours=18))
    with db.sessions.begin() as session:
        crisis.note(session, crisis_id, "Shelter opened at the school", actor="cli", tier="coordinator",
                    now=T0 + timedelta(hours=19))
        crisis.done(session, crisis_id, "response", actor="cli", tier="coordinator", now=T0 + timedelta(hours=20))
    assert deliver_all(db) == 2  # the activation notice and the 6 h reminder to the first level
    run_due(sender, cfg, T0 + timedelta(hours=21))
    with db.sessions() as session:
        item = session.get(Crisis, crisis_id)
        records = timeline.as_records(timeline.entries(session, crisis_id))
        exported = timeline.export_json(item, records)
        markdown = timeline.export_markdown(item, records)
    kinds = [r["kind"] for r in records]
    for kind in ("activated", "activated.sent", "reminder.sent", "note", "milestone.done", "broadcast.figures"):
        assert kind in kinds
    assert "Shelter opened at the school" in markdown and "Milestone response done (on time)" in markdown
    assert timeline.verify_export(exported).ok
    document = json.loads(exported)
    document["entries"][3]["text"] = document["entries"][3]["text"] + " (edited)"
    broken = timeline.verify_export(json.dumps(document))
    assert not broken.ok and broken.problem.startswith("entry 4") and "altered" in broken.problem
    document = json.loads(exported)
    del document["entries"][2]
    assert not timeline.verify_export(json.dumps(document)).ok
    document = json.loads(exported)
    document["entries"].pop()
    assert "cut off" in timeline.verify_export(json.dumps(document)).problem


def test_activation_needs_a_coordinator_and_good_input(alerts_db, cfg):
    settings, db = alerts_db
    with pytest.raises(PermissionDenied, match="coordinator"):
        activate(db, cfg, tier="observer")
    with pytest.raises(CrisisError, match="severity"):
        activate(db, cfg, severity="Apocalyptic")
    crisis_id = activate(db, cfg)
    with db.sessions.begin() as session, pytest.raises(CrisisError, match="milestone 'lunch'"):
        crisis.done(session, crisis_id, "lunch", actor="cli", tier="coordinator", now=T0)


def test_flags_raised_in_the_region_join_the_timeline_once(alerts_db, sender, cfg):
    from relay.integrity.models import Flag, ScreenedMessage

    settings, db = alerts_db
    add_people(db, PEOPLE + "Rumour,+12015550299,,en,UTC,south,observer\n")
    crisis_id = activate(db, cfg)
    with db.sessions.begin() as session:
        for sender_address, text in (("+12015550202", "The dam has burst, everyone will drown"),
                                     ("+12015550299", "Aliens poisoned the water in the south")):
            screened = ScreenedMessage(channel="sms", sender=sender_address, origin="sms", text=text, language="en",
                                       pivot_text=text, text_hash=str(hash(text)), score=0.9, action="hold",
                                       reasons=["known false claim"], at=T0 + timedelta(hours=1))
            session.add(screened)
            session.flush()
            session.add(Flag(screening_id=screened.id, state="held", status="open", created_at=T0 + timedelta(hours=1)))
    run_due(sender, cfg, T0 + timedelta(hours=2))
    run_due(sender, cfg, T0 + timedelta(hours=3))
    with db.sessions() as session:
        flags = [e.text for e in timeline.entries(session, crisis_id) if e.kind == "flag.raised"]
    assert len(flags) == 1 and "The dam has burst" in flags[0]  # the south's rumour is another region's


def test_a_milestone_can_have_its_own_responsible_people(tmp_path, database_url):
    from alerts.config import alerts_settings
    from alerts.sending import Sender
    from relay.core.config import ConfigError
    from relay.core.db import Database
    from tests.alerts.conftest import CONTACTS, make_settings

    settings = make_settings(tmp_path, database_url, crisis={
        "contacts": CONTACTS, "milestone_contacts": {"assessment": {"party": ["+12015550203"]}}})
    db = Database.open(settings, upgrade=True)
    try:
        add_people(db, PEOPLE)
        cfg = alerts_settings(settings)
        crisis_id = activate(db, cfg)
        run_due(Sender(settings, db.sessions, translate=False), cfg, T0 + timedelta(hours=66))  # assessment -6 h
        reminders = [m for m in inbox(db) if m[2].startswith(("Reminder", "Rapel"))
                     and ("assessment team on site" in m[2] or "ekip evalyasyon" in m[2])]
        assert [m[0] for m in reminders] == ["+12015550203"]  # the assessment lead, not the party contact
    finally:
        db.close()
    with pytest.raises(ConfigError, match="unknown milestone 'lunch'"):
        alerts_settings(make_settings(tmp_path, database_url, crisis={"milestone_contacts": {"lunch": {}}}))


@pytest.mark.timeout(60)
def test_reminders_in_languages_we_did_not_write_go_through_the_translation_chain(alerts_db, cfg):
    from alerts.sending import Sender

    settings, db = alerts_db
    add_people(db, PEOPLE.replace("Party lead,+12015550201,,en,", "Party lead,+12015550201,,es,")
               .replace("Network lead,+12015550203,,ht,", "Network lead,+12015550203,,sw,"))
    translating = Sender(settings, db.sessions)  # the engines as configured (Apertium en-es where installed)
    crisis_id = activate(db, cfg)
    result = run_due(translating, cfg, T0 + timedelta(hours=36, minutes=10))  # both escalations due
    assert not result.failed and f"crisis:{crisis_id}:response:escalate:movement" in result.sent
    with db.sessions() as session:
        texts = {t.language: (t.origin, t.text) for b in session.scalars(select(Broadcast)) for t in b.texts}
    assert texts["es"][0] == "human"  # written by hand
    assert texts["sw"][0] in ("machine", "untranslated")  # no Swahili of ours: an engine, else the note


def test_crisis_broadcasts_to_the_region_and_their_figures_join_the_timeline(alerts_db, sender, cfg):
    from relay.delivery import outbox
    from relay.delivery.outbox import Audience, BroadcastRequest

    settings, db = alerts_db
    add_people(db, PEOPLE)
    crisis_id = activate(db, cfg)
    for region in ("north", "south"):
        outbox.plan_broadcast(db.sessions, BroadcastRequest(
            kind="crisis", body=f"Evacuate the {region} bank now", source_language="en", sender="coordinator-ana",
            severity="Extreme", audience=Audience(regions=(region,))), senders=sender.senders, actor="test")
    run_due(sender, cfg, T0 + timedelta(minutes=5))
    deliver_all(db)
    run_due(sender, cfg, T0 + timedelta(minutes=10))
    with db.sessions() as session:
        entries = [(e.kind, e.text) for e in timeline.entries(session, crisis_id)]
    sent = [text for kind, text in entries if kind == "broadcast.sent"]
    assert len(sent) == 1 and "Evacuate the north bank now" in sent[0] and "to 4 recipients" in sent[0]
    figures = [text for kind, text in entries if kind == "broadcast.figures"]
    assert any("(alert) final: delivered 4" in text for text in figures)
