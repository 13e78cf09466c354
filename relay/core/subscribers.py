"""Subscribers and their endpoints: add, import from CSV, list, opt out, and erase (forget).

Erasure keeps only a hash of each address and whether it had opted out, so that a STOP stays honoured
when the same number is imported again later, and nothing else about the person survives.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, NamedTuple, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session, selectinload

from channels import registry
from relay.core import audit, consent, hooks
from relay.core.consent import ConsentAction
from relay.core.models import (
    Delivery,
    DeliveryStatus,
    Endpoint,
    Erasure,
    Subscriber,
    SubscriberRegion,
    SubscriberTopic,
    Tier,
)

# Each channel's contact column ("phone" for SMS) comes from its spec in channels/registry.py.
CONTACT_COLUMNS = {spec.contact_column: spec.name for spec in registry.SPECS}
CSV_COLUMNS = ("name", *CONTACT_COLUMNS, "language", "timezone", "regions", "topics", "tier")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


class SubscriberError(ValueError):
    """A subscriber record that cannot be accepted; the message says which field and why."""


class Contact(NamedTuple):
    """One of a person's addresses: the (channel, address) key of an endpoint, which SQL compares as a tuple."""

    channel: str
    address: str


@dataclass
class SubscriberData:
    """A validated subscriber, ready to be stored."""

    language: str
    contacts: list[Contact]
    name: str | None = None
    timezone: str = "UTC"
    tier: str = Tier.observer.value
    regions: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def address_hash(channel: str, address: str) -> str:
    return hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()


def normalise_address(channel: str, raw: str, default_region: str | None = None) -> str:
    """Check an address for its channel and return its canonical form."""
    value = raw.strip()
    try:
        spec = registry.spec(channel)
    except KeyError as exc:
        raise SubscriberError(str(exc).strip("'\"")) from None
    try:
        return spec.normalise(value, default_region)
    except ValueError as exc:
        raise SubscriberError(f"{spec.contact_column} {value!r}: {exc}") from None


def check_language(code: str, languages: Iterable[str] | None = None) -> str:
    value = code.strip().lower()
    if not LANGUAGE_CODE.match(value):
        raise SubscriberError(f"language {code!r}: expected an ISO 639 code such as 'en', 'es' or 'ht'")
    if languages is not None and value not in set(languages):
        raise SubscriberError(f"language {value!r} is not served here (served: {', '.join(languages)})")
    return value


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SubscriberError(f"timezone {name!r}: not an IANA time zone such as 'Europe/Stockholm'") from None
    return name


def check_tier(name: str) -> str:
    value = name.strip().lower()
    if value not in {tier.value for tier in Tier}:
        raise SubscriberError(f"tier {name!r}: expected one of {', '.join(t.value for t in Tier)}")
    return value


def _split_list(raw: str) -> list[str]:
    return sorted({part.strip() for part in raw.split(";") if part.strip()})


MAX_NAME, MAX_LABEL = 200, 100  # subscribers.name, subscriber_regions.region / subscriber_topics.topic


def validate_row(row: dict[str, str], *, default_region: str | None, default_timezone: str) -> SubscriberData:
    """Turn one CSV row (or the CLI's arguments) into a `SubscriberData`, or say what is wrong."""
    if not (row.get("language") or "").strip():
        raise SubscriberError("language is required")
    language = check_language(row["language"])
    contacts = [
        Contact(channel, normalise_address(channel, row[column], default_region))
        for column, channel in CONTACT_COLUMNS.items()
        if (row.get(column) or "").strip()
    ]
    if not contacts:
        raise SubscriberError("at least one contact is required: phone, telegram or matrix")
    name = (row.get("name") or "").strip() or None
    regions, topics = _split_list(row.get("regions") or ""), _split_list(row.get("topics") or "")
    # the columns' sizes, said as a row error (PostgreSQL would refuse the whole import otherwise)
    if name is not None and len(name) > MAX_NAME:
        raise SubscriberError(f"name is {len(name)} characters; at most {MAX_NAME}")
    for what, values in (("region", regions), ("topic", topics)):
        for value in values:
            if len(value) > MAX_LABEL:
                raise SubscriberError(f"{what} {value[:40]!r}... is {len(value)} characters; at most {MAX_LABEL}")
    return SubscriberData(
        language=language,
        contacts=contacts,
        name=name,
        timezone=check_timezone((row.get("timezone") or "").strip() or default_timezone),
        tier=check_tier((row.get("tier") or "").strip() or Tier.observer.value),
        regions=regions,
        topics=topics,
    )


def upsert(session: Session, data: SubscriberData, *, actor: str, source: str = "cli",
           words: str = "added by an operator") -> tuple[Subscriber, bool]:
    """Store a subscriber, matched on any of its contact addresses; returns (subscriber, created).

    Each address added is an opt-in in the consent history, said as `source` ("csv", "cli", "api") and
    `words` (which file line, which command): the operator vouches for that consent."""
    matches = session.scalars(
        select(Endpoint).where(
            tuple_(Endpoint.channel, Endpoint.address).in_(data.contacts)
        )
    ).all()
    created = not matches
    subscriber = matches[0].subscriber if matches else Subscriber()
    subscriber.name = data.name
    subscriber.language = data.language
    subscriber.timezone = data.timezone
    subscriber.tier = data.tier
    subscriber.regions = [SubscriberRegion(region=r) for r in data.regions]
    subscriber.topics = [SubscriberTopic(topic=t) for t in data.topics]
    if created:
        session.add(subscriber)
    known = {Contact(e.channel, e.address) for e in subscriber.endpoints}
    added: list[Endpoint] = []
    for contact in data.contacts:
        if contact in known:
            continue
        erased = session.get(Erasure, address_hash(contact.channel, contact.address))
        endpoint = Endpoint(
            channel=contact.channel,
            address=contact.address,
            # A number that said STOP before its data was erased stays stopped on re-import.
            opted_out=bool(erased and erased.opted_out),
            opted_out_at=erased.erased_at if erased and erased.opted_out else None,
        )
        subscriber.endpoints.append(endpoint)
        added.append(endpoint)
    session.flush()
    for endpoint in added:
        if not endpoint.opted_out:  # a kept STOP is not overridden by an import, so no consent is recorded
            consent.record(session, channel=endpoint.channel, address=endpoint.address, action=ConsentAction.opt_in,
                           source=source, words=words, actor=actor, endpoint=endpoint)
    audit.record(
        session, actor, "subscriber.create" if created else "subscriber.update", f"subscriber:{subscriber.id}"
    )
    return subscriber, created


def import_csv(
    session: Session, handle: TextIO, *, actor: str, default_region: str | None, default_timezone: str
) -> ImportReport:
    """Import good rows, report bad ones by line number; re-importing the same file changes nothing."""
    report = ImportReport()
    reader = csv.DictReader(handle)
    try:
        return _import_rows(session, reader, report, actor=actor, default_region=default_region,
                            default_timezone=default_timezone)
    except csv.Error as exc:  # malformed quoting or line ends: say where, import nothing of a broken file
        raise SubscriberError(f"line {reader.line_num}: the file is not valid CSV ({exc})") from None


def _import_rows(session: Session, reader: csv.DictReader, report: ImportReport, *, actor: str,
                 default_region: str | None, default_timezone: str) -> ImportReport:
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise SubscriberError("the CSV file is empty: expected a header row with " + ", ".join(CSV_COLUMNS))
    extra = hooks.installed().subscriber_columns  # the features' own columns (relay/geo: latitude, longitude, geocodes)
    known = (*CSV_COLUMNS, *(c for columns in extra for c in columns.columns))
    unknown = [h for h in header if h not in known]
    if unknown:
        raise SubscriberError(
            f"unknown column(s) {', '.join(repr(u) for u in unknown)}; the columns are {', '.join(known)}"
        )
    extra = [columns for columns in extra if set(columns.columns) & set(header)]
    if "language" not in header or not set(header) & set(CONTACT_COLUMNS):
        raise SubscriberError("the header must name 'language' and at least one of phone, telegram, matrix")
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        if None in row:
            report.errors.append((line, f"{len(header) + len(row[None])} fields, the header has {len(header)}"))
            continue
        try:
            data = validate_row(row, default_region=default_region, default_timezone=default_timezone)
            parsed = [(columns, _parse_columns(columns, row)) for columns in extra]
            with session.begin_nested():
                subscriber, created = upsert(session, data, actor=actor, source="csv", words=f"CSV import, line {line}")
                for columns, value in parsed:
                    columns.store(session, subscriber, value)
        except SubscriberError as exc:
            report.errors.append((line, str(exc)))
            continue
        if created:
            report.created += 1
        else:
            report.updated += 1
    audit.record(
        session, actor, "subscribers.import", None,
        created=report.created, updated=report.updated, rejected=len(report.errors),
    )
    return report


def _parse_columns(columns: hooks.SubscriberColumns, row: dict[str, str]):
    try:
        return columns.parse(row)
    except ValueError as exc:
        raise SubscriberError(str(exc)) from None


def find_endpoint(session: Session, channel: str, address: str) -> Endpoint | None:
    return session.scalar(select(Endpoint).where(Endpoint.channel == channel, Endpoint.address == address))


def opt_out(session: Session, endpoint: Endpoint, *, actor: str, reason: str, source: str | None = None,
            words: str | None = None) -> int:
    """Stop everything to this endpoint at once, including deliveries already queued. Returns how many
    queued deliveries were cancelled. `words` (what the person wrote) and `source` (how it came) go into
    the consent history; by default the endpoint's channel and the reason."""
    now = datetime.now(timezone.utc)
    endpoint.opted_out = True
    endpoint.opted_out_at = now
    cancelled = session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint.id, Delivery.status == DeliveryStatus.pending.value)
        .values(status=DeliveryStatus.cancelled.value, last_error=f"recipient opted out ({reason})", finished_at=now)
    ).rowcount
    audit.record(session, actor, "endpoint.opt_out", f"endpoint:{endpoint.id}", reason=reason, cancelled=cancelled)
    consent.record(session, channel=endpoint.channel, address=endpoint.address, action=ConsentAction.opt_out,
                   source=source or endpoint.channel, words=words or reason, actor=actor, endpoint=endpoint, at=now)
    return cancelled


def opt_in(session: Session, endpoint: Endpoint, *, actor: str, words: str, source: str | None = None) -> None:
    """Lift a STOP: `words` is what the person wrote (JOIN, START, /start) for the consent history."""
    endpoint.opted_out = False
    endpoint.opted_out_at = None
    session.query(Erasure).filter(Erasure.address_hash == address_hash(endpoint.channel, endpoint.address)).delete()
    audit.record(session, actor, "endpoint.opt_in", f"endpoint:{endpoint.id}")
    consent.record(session, channel=endpoint.channel, address=endpoint.address, action=ConsentAction.opt_in,
                   source=source or endpoint.channel, words=words, actor=actor, endpoint=endpoint)


def list_subscribers(session: Session, *, limit: int | None = None) -> list[Subscriber]:
    query = (
        select(Subscriber)
        .options(selectinload(Subscriber.endpoints), selectinload(Subscriber.regions), selectinload(Subscriber.topics))
        .order_by(Subscriber.id)
    )
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def forget(session: Session, subscriber: Subscriber, *, actor: str) -> int:
    """Erase a person: their rows (and delivery records) go; one anonymous tombstone per address stays."""
    count = 0
    for endpoint in subscriber.endpoints:
        key = address_hash(endpoint.channel, endpoint.address)
        tombstone = session.get(Erasure, key) or Erasure(address_hash=key)
        tombstone.opted_out = tombstone.opted_out or endpoint.opted_out
        session.add(tombstone)
        # unlinked from the person (as their earlier events will be): the hash, the time, that it happened
        consent.record(session, channel=endpoint.channel, address=endpoint.address, action=ConsentAction.erased,
                       source="cli" if actor == "cli" else "api", words="data erased (relay subscribers forget)",
                       actor=actor)
        count += 1
    subscriber_id = subscriber.id
    session.delete(subscriber)
    audit.record(session, actor, "subscriber.forget", f"subscriber:{subscriber_id}", addresses=count)
    return count
