"""Everything the relay holds about one person, as one JSON document (a data-subject access request).

Found by the schema rather than by a list kept here: every table with a foreign key to `subscribers`
or `endpoints` (in any feature, now or later) is read for the person's rows, and every table that
names people by `channel` + `sender` without a key (inbound messages, citizen reports sent before the
person was known, screened messages) is read for their addresses. A feature that adds a table about
people is in the export the day it lands, and `tests/privacy/test_export.py` fails if one is missed.

Added to the rows, so the document answers what a person asks: the text each delivery carried (the
broadcast's text in their language), the consent history found by address hash (a STOP sent before
they were known, events whose link an erasure removed) and the audit entries that name them.
"""

from __future__ import annotations

import base64
import enum
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from relay.core import consent
from relay.core.models import AuditEntry, Base, Broadcast, BroadcastText, Endpoint, Subscriber

PERSON_TABLES = ("subscribers", "endpoints")
ADDRESS_COLUMNS = ("sender", "address")  # with a `channel` column: a row that names a person by address


def linked_tables(tables: Iterable[Table] | None = None) -> dict[str, list[tuple[str, str]]]:
    """table -> [(its column, the person table it refers to)] for every foreign key to a person."""
    found: dict[str, list[tuple[str, str]]] = {}
    for table in tables if tables is not None else Base.metadata.sorted_tables:
        if table.name == "subscribers":
            continue
        for key in table.foreign_keys:
            if key.column.table.name in PERSON_TABLES:
                found.setdefault(table.name, []).append((key.parent.name, key.column.table.name))
    return found


def address_tables(tables: Iterable[Table] | None = None) -> dict[str, str]:
    """table -> its address column, for tables that name people by channel and address.

    A table whose every row has a key to a person is read by that key alone (in `deliveries`, `sender` is
    the relay's own number); one whose key may be empty (a report whose endpoint was removed) is read by
    address too."""
    found = {}
    for table in tables if tables is not None else Base.metadata.sorted_tables:
        if table.name in PERSON_TABLES or "channel" not in table.c:
            continue
        if any(key.column.table.name in PERSON_TABLES and not key.parent.nullable for key in table.foreign_keys):
            continue
        for name in ADDRESS_COLUMNS:
            if name in table.c:
                found[table.name] = name
                break
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return value


def _rows(session: Session, table: Table, condition) -> list[dict]:
    order = list(table.primary_key.columns) or list(table.c)[:1]
    return [{k: _plain(v) for k, v in row._mapping.items()}
            for row in session.execute(select(table).where(condition).order_by(*order))]


def _key(table: Table, row: dict) -> tuple:
    return tuple(row[c.name] for c in table.primary_key.columns) or tuple(sorted(row.items(), key=str))


def _with_texts(session: Session, deliveries: list[dict]) -> list[dict]:
    """Each delivery with its broadcast's kind and the text its language got."""
    ids = {d["broadcast_id"] for d in deliveries}
    if not ids:
        return deliveries
    broadcasts = {b.id: b for b in session.scalars(select(Broadcast).where(Broadcast.id.in_(ids)))}
    texts = {(t.broadcast_id, t.language): t.text
             for t in session.scalars(select(BroadcastText).where(BroadcastText.broadcast_id.in_(ids)))}
    for row in deliveries:
        broadcast = broadcasts.get(row["broadcast_id"])
        row["broadcast"] = {"kind": broadcast.kind, "severity": broadcast.severity, "sender": broadcast.sender,
                            "created_at": _plain(broadcast.created_at)} if broadcast else None
        row["text"] = texts.get((row["broadcast_id"], row["language"]), broadcast.body if broadcast else None)
    return deliveries


def export_person(session: Session, subscriber: Subscriber | None, addresses: list[tuple[str, str]],
                  *, now: datetime | None = None) -> dict:
    """The document for `subscriber` (None: someone known only by `addresses`, e.g. a stranger's report)."""
    endpoints = list(subscriber.endpoints) if subscriber is not None else []
    pairs = sorted({*addresses, *((e.channel, e.address) for e in endpoints)})
    person_ids = {"subscribers": [subscriber.id] if subscriber is not None else [],
                  "endpoints": [e.id for e in endpoints]}
    tables = Base.metadata.tables
    records: dict[str, dict[tuple, dict]] = {}
    for name, keys in sorted(linked_tables().items()):
        table = tables[name]
        conditions = [table.c[column].in_(person_ids[target]) for column, target in keys if person_ids[target]]
        found = records.setdefault(name, {})
        if conditions:
            for row in _rows(session, table, or_(*conditions)):
                found[_key(table, row)] = row
    for name, column in sorted(address_tables().items()):
        table = tables[name]
        matches = [(table.c.channel == channel) & ((table.c[column] == address)
                                                    | table.c[column].endswith(f":{address}", autoescape=True))
                   for channel, address in pairs]
        found = records.setdefault(name, {})
        if matches:
            for row in _rows(session, table, or_(*matches)):
                found[_key(table, row)] = row
    hashes = [consent.address_hash(channel, address) for channel, address in pairs]
    for event in consent.history(session, subscriber_id=subscriber.id if subscriber else None, hashes=hashes):
        row = {c.name: _plain(getattr(event, c.name)) for c in consent.ConsentEvent.__table__.c}
        records.setdefault("consent_events", {})[(event.id,)] = row
    document_records = {name: [found[k] for k in sorted(found, key=str)] for name, found in records.items()}
    if "deliveries" in document_records:
        document_records["deliveries"] = _with_texts(session, document_records["deliveries"])
    return {
        "exported_at": _plain(now or datetime.now(timezone.utc)),
        "subscriber": _rows(session, tables["subscribers"], tables["subscribers"].c.id == subscriber.id)[0]
        if subscriber is not None else None,
        "addresses": [{"channel": channel, "address": address} for channel, address in pairs],
        "records": document_records,
        "audit_log": _audit(session, person_ids, pairs),
    }


def _audit(session: Session, person_ids: dict[str, list[int]], pairs: list[tuple[str, str]]) -> list[dict]:
    """Entries whose subject is the person or one of their endpoints, or whose actor is one of them."""
    subjects = [f"subscriber:{i}" for i in person_ids["subscribers"]] + [f"endpoint:{i}" for i in person_ids["endpoints"]]
    actors = [f"{channel}:{address}" for channel, address in pairs] + [f"subscriber:{i}" for i in person_ids["subscribers"]]
    if not subjects and not actors:
        return []
    table = AuditEntry.__table__
    return _rows(session, table, or_(table.c.subject.in_(subjects or [""]), table.c.actor.in_(actors or [""])))


def find(session: Session, *, subscriber_id: int | None = None, channel: str | None = None,
         address: str | None = None) -> Subscriber | None:
    if subscriber_id is not None:
        return session.get(Subscriber, subscriber_id)
    endpoint = session.scalar(select(Endpoint).where(Endpoint.channel == channel, Endpoint.address == address))
    return endpoint.subscriber if endpoint is not None else None
