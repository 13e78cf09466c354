"""CAP round trip on real CAP 1.2 documents (issue 17, item 8): import, then export, gives back the same
alert, valid against the OASIS schema; every <info>, area (polygon, circle, geocodes), parameter and
resource survives; an Update keeps its references; a language the relay adds is one more <info> carrying
the source's areas; a real IPAWS alert with its inline audio (~460 KB) is accepted.

The documents and their sources are listed in tests/data/cap/README.md."""

from __future__ import annotations

import base64
import random
import re
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from alerts import cap
from alerts.cap_parse import NS, parse, schema
from relay.core.models import BroadcastText
from tests.alerts.conftest import add_people
from tests.conftest import DATA

Q = f"{{{NS}}}"
CAP = DATA / "cap"
PEOPLE = """phone,language,regions
+12135550101,en,Los Angeles County
+12135550102,es,Los Angeles County
+15175550104,en,State of MI
+17605550105,en,Imperial County
"""
DOCUMENTS = ["oasis-cap12-amber-alert-example.xml", "oasis-cap12-thunderstorm.xml",
             "ipaws-482277582702553-trimmed.xml"]


def fresh(data: bytes) -> bytes:
    """The document with its <expires> moved to tomorrow: an expired alert is rightly not broadcast."""
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).replace(microsecond=0).isoformat().encode()
    return re.sub(rb"<expires>[^<]*</expires>", b"<expires>" + tomorrow + b"</expires>", data)


def canonical(data: bytes) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    return etree.tostring(etree.fromstring(data, parser), method="c14n")


def imported_and_exported(sender, data: bytes) -> tuple[int, bytes]:
    with sender.sessions.begin() as session:
        result = cap.import_alert(sender, session, parse(data), default_language="en", actor="test")
    with sender.sessions() as session:
        return result.broadcast_id, cap.export(session, result.broadcast_id, cap_sender="relay@example.org")


def valid(document: bytes) -> bool:
    return schema().validate(etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True)))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_import_then_export_gives_back_the_same_alert(alerts_db, sender, name):
    _, db = alerts_db
    add_people(db, PEOPLE)
    original = fresh((CAP / name).read_bytes())
    _, exported = imported_and_exported(sender, original)
    assert valid(exported)
    assert canonical(exported) == canonical(original)


def test_an_update_keeps_its_references_and_its_circle(alerts_db, sender):
    _, db = alerts_db
    add_people(db, PEOPLE)
    update = (CAP / "oasis-cap12-earthquake-update.xml").read_bytes()
    # the alert it updates, as TriNet would have sent it (only its header is known from the Update)
    first = (update.replace(b"TRI13970876.2", b"TRI13970876.1").replace(b"2003-06-11T20:56:00", b"2003-06-11T20:30:00")
             .replace(b"<msgType>Update</msgType>", b"<msgType>Alert</msgType>")
             .replace(b"<references>trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00</references>", b"")
             .replace(b"1 mi. WSW of Brawley", b"Imperial County</areaDesc><areaDesc>1 mi. WSW of Brawley", 0))
    imported_and_exported(sender, first)
    _, exported = imported_and_exported(sender, update)
    assert valid(exported) and canonical(exported) == canonical(update)
    root = etree.fromstring(exported)
    assert root.findtext(f"{Q}references") == "trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00"
    assert root.find(f"{Q}info/{Q}area/{Q}circle").text == "32.9525,-115.5527 0"
    assert [p.findtext(f"{Q}valueName") for p in root.iterfind(f"{Q}info/{Q}parameter")] == [
        "EventID", "Version", "Magnitude", "Depth", "Quality"]


def test_a_language_the_relay_adds_is_one_more_info_with_the_areas(alerts_db, sender):
    _, db = alerts_db
    add_people(db, PEOPLE)
    broadcast_id, _ = imported_and_exported(sender, fresh((CAP / "oasis-cap12-thunderstorm.xml").read_bytes()))
    french = "ORAGE VIOLENT\nMettez-vous à l'abri dans un bâtiment solide jusqu'au passage de l'orage."
    with sender.sessions.begin() as session:
        row = session.query(BroadcastText).filter_by(broadcast_id=broadcast_id, language="fr").one_or_none()
        if row is None:
            session.add(BroadcastText(broadcast_id=broadcast_id, language="fr", text=french, origin="human"))
        else:
            row.text, row.origin = french, "human"
    with sender.sessions() as session:
        exported = cap.export(session, broadcast_id, cap_sender="relay@example.org")
    assert valid(exported)
    infos = etree.fromstring(exported).findall(f"{Q}info")
    assert [i.findtext(f"{Q}language") for i in infos] == [None, "fr"]  # the original had no <language>: en-US
    added = infos[1]
    assert added.findtext(f"{Q}headline") == "ORAGE VIOLENT" and added.findtext(f"{Q}description") == french
    assert added.find(f"{Q}instruction") is None
    assert added.find(f"{Q}area/{Q}polygon").text == infos[0].find(f"{Q}area/{Q}polygon").text
    assert len(added.findall(f"{Q}area/{Q}geocode")) == 3


def test_an_ipaws_alert_with_its_audio_inline_is_accepted(alerts_db, sender):
    """The IPAWS alert with an EAS audio resource of the size IPAWS sends (~460 KB in all); the trimmed
    copy's base64 is filled up with generated bytes to that size."""
    _, db = alerts_db
    add_people(db, PEOPLE)
    trimmed = fresh((CAP / "ipaws-482277582702553-trimmed.xml").read_bytes())
    audio = base64.encodebytes(random.Random(7).randbytes(340_000))
    full = trimmed.replace(b"AAUfdwADBQgLDhATFhgaHR8iJScpLC4w</derefUri>", b"AAUfdwADBQgLDhATFhgaHR8iJScpLC4w\n"
                           + audio + b"</derefUri>")
    assert 450_000 < len(full) < 480_000
    _, exported = imported_and_exported(sender, full)
    assert canonical(exported) == canonical(full)
