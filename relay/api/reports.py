"""The citizen-report queue over HTTP, for the console: the reports (masked), one report (its personal
details only with `reveal=true`, which is audited), and resolving one (its sender is told).

Tier: `report.handle` (partner, coordinator, moderator), the same as claiming a report outside its
responder rooms; and region (relay/core/scope.py): a report belongs to its sender's regions. Reports from
people of no known region are everyone's to triage, masked; revealing one is a coordinator's.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import select

from relay.api.auth import Principal, allow, principal
from relay.core import audit, scope
from relay.core.models import Endpoint
from relay.api.common import PROBLEMS, Relay, iso, relay
from relay.reports.models import OPEN_STATUSES, Report, ReportStatus
from relay.reports.privacy import mask, shown
from relay.reports.routing import resolve

router = APIRouter(prefix="/api", tags=["reports"], responses=PROBLEMS)


def _out(report: Report, reveal: bool) -> dict:
    def text(value: str | None) -> str | None:
        return value if reveal or value is None else mask(value)

    return {"reference": report.reference, "status": report.status, "channel": report.channel,
            "sender": report.sender if reveal else None, "language": report.language, "text": text(report.text),
            "english": text(report.english), "english_origin": report.english_origin,
            "translated_by": report.translated_by, "categories": list(report.categories or []),
            "urgent": report.urgent, "rooms": list(report.rooms or []), "claimed_by": report.claimed_by,
            "created_at": iso(report.created_at), "resolved_at": iso(report.resolved_at)}


@router.get("/reports")
def reports(status: str = Query("open", description="open, all, or one status such as routed"),
            limit: int = Query(100, ge=1, le=1000), who: Principal = Depends(principal),
            r: Relay = Depends(relay)) -> list[dict]:
    """The queue, newest first, urgent ones first; texts masked."""
    allow(r.database, who, "report.handle")
    query = (select(Report).outerjoin(Endpoint, Endpoint.id == Report.endpoint_id)
             .where(scope.sender_in_scope(who.scope(), Endpoint.subscriber_id))
             .order_by(Report.urgent.desc(), Report.id.desc()).limit(limit))
    if status == "open":
        query = query.where(Report.status.in_(OPEN_STATUSES))
    elif status != "all":
        query = query.where(Report.status == status)
    with r.database.sessions() as session:
        return [_out(report, False) for report in session.scalars(query)]


def _report(session, reference: str, who: Principal) -> tuple[Report, scope.Place]:
    """The report, if its sender is in the caller's regions (or of no known region); else the same 404."""
    missing = f"no report {reference}"
    found = session.scalar(select(Report).where(Report.reference == reference))
    if found is None:
        raise HTTPException(404, missing)
    endpoint = session.get(Endpoint, found.endpoint_id) if found.endpoint_id is not None else None
    place = scope.subscriber_place(session, endpoint.subscriber_id if endpoint is not None else None)
    scope.check(who.scope(), place, f"report:{reference}", missing)
    return found, place


def _may_reveal(r: Relay, who: Principal, reference: str, place: scope.Place) -> None:
    """The sender and the unmasked text: for the responders of the sender's region, or `subscribers.view`
    (a report of no known region is nobody's region's: only a coordinator reveals it)."""
    if who.scope().sees_contact(place):
        return
    with r.database.sessions.begin() as session:
        audit.record(session, who.actor, "permission.refused", f"report:{reference}", action="report.reveal",
                     tier=who.tier, needed=["subscribers.view"])
    raise HTTPException(403, f"revealing report {reference}, whose sender is of no region of yours, needs the "
                             f"tier coordinator; you are {who.tier}")


@router.get("/reports/{reference}")
def report(reference: str, reveal: bool = Query(False, description="names, numbers and the sender (audited)"),
           purpose: str = Query("console"), who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    allow(r.database, who, "report.handle", f"report:{reference}")
    if reveal:
        with r.database.sessions() as session:
            _, place = _report(session, reference, who)
        _may_reveal(r, who, reference, place)
    with r.database.sessions.begin() as session:
        found, _ = _report(session, reference, who)
        if reveal:
            shown(session, actor=who.actor, report_reference=found.reference, to=who.actor,
                  what="original+contact", purpose=purpose)
        return _out(found, reveal)


@router.post("/reports/{reference}/resolve", responses={409: {"description": "The report is not open"}})
def resolve_report(reference: str, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """Mark it handled; its sender (and the senders of its linked duplicates) are told in their language."""
    allow(r.database, who, "report.handle", f"report:{reference}")
    with r.database.sessions.begin() as session:
        found, _ = _report(session, reference, who)
        if found.status not in OPEN_STATUSES - {ReportStatus.received.value}:
            raise HTTPException(409, f"report {reference} is {found.status}")
        told = resolve(session, r.settings, found, actor=who.actor, now=datetime.now(timezone.utc))
        return {"reference": found.reference, "status": found.status, "told": told}
