"""A crisis's timeline: append-only entries, each hash-chained to the one before it.

`hash = sha256(prev_hash + canonical JSON of the entry)`. Altering an entry's text, time, actor or
details, removing one, or reordering them breaks the chain at that entry, both in the database and in an
exported record (the JSON export carries the hashes; `verify` recomputes them). Entries are appended
under a lock on the crisis row, so two processes cannot both write entry N.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.models import Crisis, TimelineEntry

GENESIS = "0" * 64


def _canonical(entry: Mapping[str, Any]) -> bytes:
    fields = {k: entry[k] for k in ("crisis_id", "seq", "at", "kind", "actor", "text", "details")}
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(entry)).hexdigest()


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def append(session: Session, crisis_id: int, kind: str, text: str, *, actor: str, at: datetime,
           **details: Any) -> TimelineEntry:
    """Add one entry in the caller's transaction (it commits, or fails, with the change it records)."""
    session.execute(select(Crisis.id).where(Crisis.id == crisis_id).with_for_update())
    session.flush()
    last = session.execute(
        select(TimelineEntry.seq, TimelineEntry.hash).where(TimelineEntry.crisis_id == crisis_id)
        .order_by(TimelineEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = at.astimezone(timezone.utc)
    details = json.loads(json.dumps(details, default=str))  # what the database will give back
    fields = {"crisis_id": crisis_id, "seq": seq, "at": _iso(at), "kind": kind, "actor": actor, "text": text,
              "details": details}
    entry = TimelineEntry(crisis_id=crisis_id, seq=seq, at=at, kind=kind, actor=actor, text=text,
                          details=details, prev_hash=prev, hash=entry_hash(prev, fields))
    session.add(entry)
    session.flush()
    return entry


def as_records(entries: Iterable[TimelineEntry]) -> list[dict[str, Any]]:
    return [
        {"crisis_id": e.crisis_id, "seq": e.seq, "at": _iso(e.at), "kind": e.kind, "actor": e.actor,
         "text": e.text, "details": e.details, "prev_hash": e.prev_hash, "hash": e.hash}
        for e in entries
    ]


def entries(session: Session, crisis_id: int) -> list[TimelineEntry]:
    return list(session.scalars(select(TimelineEntry).where(TimelineEntry.crisis_id == crisis_id)
                                .order_by(TimelineEntry.seq)))


def count(session: Session, crisis_id: int) -> int:
    return int(session.scalar(select(func.count()).where(TimelineEntry.crisis_id == crisis_id)) or 0)


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    problem: str | None = None  # the first broken entry and how


def verify(records: list[Mapping[str, Any]]) -> Verification:
    """Recompute the chain over exported (or stored) records."""
    prev = GENESIS
    for index, record in enumerate(records, start=1):
        try:
            if record["seq"] != index:
                return Verification(False, len(records), f"entry {index}: sequence number {record['seq']} "
                                                         f"where {index} was expected (an entry was removed or moved)")
            if record["prev_hash"] != prev:
                return Verification(False, len(records), f"entry {index}: does not follow entry {index - 1}")
            if entry_hash(prev, record) != record["hash"]:
                return Verification(False, len(records), f"entry {index} ({record['kind']}): its content does not "
                                                         "match its hash (it was altered)")
        except (KeyError, TypeError) as exc:
            return Verification(False, len(records), f"entry {index}: malformed ({exc})")
        prev = record["hash"]
    return Verification(True, len(records))


def export_json(crisis: Crisis, records: list[dict[str, Any]]) -> str:
    document = {
        "crisis": {"id": crisis.id, "title": crisis.title, "region": crisis.region, "severity": crisis.severity,
                   "status": crisis.status, "activated_at": _iso(crisis.activated_at),
                   "closed_at": _iso(crisis.closed_at) if crisis.closed_at else None},
        "entries": records,
        "chain": {"algorithm": "sha256(prev_hash + canonical JSON)", "head": records[-1]["hash"] if records else GENESIS},
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def verify_export(text: str) -> Verification:
    try:
        document = json.loads(text)
        records = document["entries"]
    except (ValueError, KeyError, TypeError) as exc:
        return Verification(False, 0, f"not a timeline export: {exc}")
    result = verify(records)
    if result.ok and records and document.get("chain", {}).get("head") != records[-1]["hash"]:
        return Verification(False, len(records), "the chain head does not match the last entry (entries were cut off)")
    return result


def export_markdown(crisis: Crisis, records: list[dict[str, Any]]) -> str:
    lines = [
        f"# After-action record: crisis {crisis.id}, {crisis.title}",
        "",
        f"- region: {crisis.region}",
        f"- severity: {crisis.severity}",
        f"- activated: {_iso(crisis.activated_at)}",
        f"- status: {crisis.status}" + (f" (closed {_iso(crisis.closed_at)})" if crisis.closed_at else ""),
        f"- entries: {len(records)}; chain head `{records[-1]['hash'] if records else GENESIS}`",
        "",
        "| # | time (UTC) | event | by | what |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in records:
        text = r["text"].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {r['seq']} | {r['at'][:19].replace('T', ' ')} | {r['kind']} | {r['actor']} | {text} |")
    lines += ["", "Verify the JSON export of this timeline with `relay crisis verify FILE.json`.", ""]
    return "\n".join(lines)
