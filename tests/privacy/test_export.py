"""`relay subscribers export`: one person's data, on SQLite and PostgreSQL. A person joins by SMS, sets
quiet hours, asks for less, writes a citizen report and receives a crisis alert; the export holds all of
it and nothing of the next person. Every table with a foreign key to a person is in the document, so a
feature that adds one cannot forget the export."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from relay.core.models import Base, BroadcastText
from relay.privacy import export
from tests.privacy.support import T0, broadcast, finish_all, open_database, sms

CARLA, BEN = "+50937003333", "+50937002222"


def _tables_with_person_keys() -> set[str]:
    """Walked here, not taken from relay/privacy: the schema's foreign keys to subscribers or endpoints."""
    return {table.name for table in Base.metadata.sorted_tables for key in table.foreign_keys
            if key.column.table.name in ("subscribers", "endpoints") and table.name != "subscribers"}


def test_one_persons_export_holds_everything_about_them_and_nothing_about_others(tmp_path, database_url):
    settings, database = open_database(tmp_path, database_url)
    try:
        sms(database, settings, CARLA, "JOIN es")
        sms(database, settings, CARLA, "QUIET 22:00-06:00", at=T0 + timedelta(minutes=1))
        sms(database, settings, CARLA, "Water is rising near the bridge, we need boats", at=T0 + timedelta(minutes=2))
        sms(database, settings, BEN, "Ben's own private message about his neighbour", at=T0 + timedelta(minutes=3))
        crisis = broadcast(database, "crisis", "Evacuate the river bank now", severity="Extreme",
                           texts={"es": "Evacúen la orilla del río ahora", "fr": "Évacuez la berge maintenant"},
                           now=T0 + timedelta(minutes=4))
        assert finish_all(database, T0 + timedelta(minutes=5)) == 3
        sms(database, settings, CARLA, "MENOS", at=T0 + timedelta(minutes=6))
        with database.sessions() as session:
            person = export.find(session, channel="sms", address=CARLA)
            document = json.loads(json.dumps(export.export_person(session, person, [])))
            spanish = session.scalar(select(BroadcastText.text).where(BroadcastText.broadcast_id == crisis,
                                                                      BroadcastText.language == "es"))
    finally:
        database.close()

    records = document["records"]
    assert document["subscriber"]["language"] == "es"
    assert [e["address"] for e in records["endpoints"]] == [CARLA]
    consent = [(e["action"], e["source"], e["words"]) for e in records["consent_events"]]
    assert consent == [("opt_in", "sms", "JOIN es"), ("crisis_only", "sms", "MENOS")]
    (delivery,) = records["deliveries"]
    assert (delivery["broadcast_id"], delivery["channel"], delivery["status"]) == (crisis, "sms", "delivered")
    assert delivery["text"] == spanish == "Evacúen la orilla del río ahora" and delivery["sent_at"]
    assert delivery["broadcast"]["kind"] == "crisis"
    bodies = [m["text"] for m in records["inbound_messages"]]
    assert bodies == ["JOIN es", "QUIET 22:00-06:00", "Water is rising near the bridge, we need boats", "MENOS"]
    (report,) = records["reports"]
    assert report["text"] == "Water is rising near the bridge, we need boats"
    assert records["fatigue_preferences"][0]["quiet_hours"] == "22:00-06:00"
    assert {"subscriber.join", "subscriber.less"} <= {a["action"] for a in document["audit_log"]}
    text = json.dumps(document, ensure_ascii=False)
    assert BEN not in text and "neighbour" not in text and "+50937001111" not in text
    assert _tables_with_person_keys() <= set(records), "a table about people is missing from the export"


def test_the_export_walks_every_table_with_a_key_to_a_person():
    """The exporter's own list equals the schema's (it reads the schema: a new table is in at once)."""
    assert set(export.linked_tables()) == _tables_with_person_keys()
    assert {"inbound_messages", "reports", "integrity_screenings"} <= set(export.address_tables())
    assert "deliveries" not in export.address_tables()  # its `sender` is the relay's number, not a person


def test_a_stranger_known_only_by_address_gets_their_stop_and_messages(tmp_path, database_url):
    settings, database = open_database(tmp_path, database_url)
    try:
        sms(database, settings, "+50937009999", "STOP")
        with database.sessions() as session:
            document = export.export_person(session, None, [("sms", "+50937009999")])
    finally:
        database.close()
    assert document["subscriber"] is None
    assert [(e["action"], e["words"], e["subscriber_id"]) for e in document["records"]["consent_events"]] == [
        ("opt_out", "STOP", None)]
    assert [m["text"] for m in document["records"]["inbound_messages"]] == ["STOP"]
