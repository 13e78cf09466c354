"""Crises, their timelines and webinar series over HTTP, for the console.

alerts/ is outside the core, so the core's API cannot include these routes itself: `build_service` (one
line in relay/app/features.py) adds them to the running relay's app when `relay run` starts its services.
Permissions, tokens and error answers are the core API's (relay/api/).
"""

from __future__ import annotations

import hmac
from datetime import datetime, timezone
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from alerts import crisis as crises
from alerts import timeline, webinars
from alerts.config import alerts_settings
from alerts.ics import session_calendar
from alerts.models import Crisis, WebinarSeries, WebinarSession
from relay import audit, scope
from relay import Principal, allow, principal
from relay import PROBLEMS, ApiInput, Id, Relay, iso, relay

router = APIRouter(prefix="/api", tags=["crises"], responses=PROBLEMS)


class MilestoneOut(BaseModel):
    key: str
    due_at: str
    done_at: str | None


class CrisisOut(BaseModel):
    id: int
    title: str
    region: str
    severity: str
    status: str
    activated_at: str
    closed_at: str | None
    milestones: list[MilestoneOut]


class EntryOut(BaseModel):
    seq: int
    at: str
    kind: str
    actor: str
    text: str
    hash: str


class NoteIn(ApiInput):
    text: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*\S[^\x00]*$")


class CrisisIn(ApiInput):
    title: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$")
    region: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\s]+$")
    severity: Literal["Extreme", "Severe", "Moderate", "Minor"] = "Severe"


class WebinarOut(BaseModel):
    series_id: int
    topic: str
    timezone: str
    session_id: int
    starts_at: str
    status: str
    rsvp: dict[str, int]


def _crisis(session, crisis_id: int, who: Principal) -> Crisis:
    """The crisis, if its region is one of the caller's (relay/core/scope.py); else the same 404."""
    try:
        found = crises.get(session, crisis_id)
    except crises.CrisisError as exc:
        raise HTTPException(404, str(exc)) from None
    scope.check(who.scope(), scope.Place(frozenset({found.region})), f"crisis:{crisis_id}", f"no crisis {crisis_id}")
    return found


def _out(c: Crisis) -> dict:
    return {"id": c.id, "title": c.title, "region": c.region, "severity": c.severity, "status": c.status,
            "activated_at": iso(c.activated_at), "closed_at": iso(c.closed_at) or None,
            "milestones": [{"key": m.key, "due_at": iso(m.due_at), "done_at": iso(m.done_at) or None}
                           for m in c.milestones]}


@router.get("/crises", response_model=list[CrisisOut])
def list_crises(who: Principal = Depends(principal), r: Relay = Depends(relay)) -> list[dict]:
    allow(r.database, who, "crisis.view")
    with r.database.sessions() as session:
        return [_out(c) for c in session.scalars(select(Crisis).where(who.scope().region_filter(Crisis.region))
                                                 .order_by(Crisis.id.desc()).limit(200))]


@router.post("/crises", response_model=CrisisOut, status_code=201)
def activate(data: CrisisIn, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """Activate a crisis: the protocol's three deadlines start now, their reminders and escalations with them."""
    allow(r.database, who, "crisis.activate", f"region:{data.region}")
    with r.database.sessions.begin() as session:
        try:
            found = crises.activate(session, alerts_settings(r.settings), title=data.title, region=data.region,
                                    severity=data.severity, actor=who.actor, tier=who.tier,
                                    now=datetime.now(timezone.utc))
        except crises.CrisisError as exc:
            raise HTTPException(422, str(exc)) from None
        return _out(found)


@router.post("/crises/{crisis_id}/close", response_model=CrisisOut,
             responses={409: {"description": "Already closed"}})
def close(crisis_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    allow(r.database, who, "crisis.activate", f"crisis:{crisis_id}")
    with r.database.sessions.begin() as session:
        _crisis(session, crisis_id, who)
        try:
            found = crises.close(session, crisis_id, actor=who.actor, tier=who.tier, now=datetime.now(timezone.utc))
        except crises.CrisisError as exc:
            raise HTTPException(409, str(exc)) from None
        return _out(found)


@router.get("/crises/{crisis_id}/timeline", response_model=list[EntryOut],
            responses={200: {"content": {"application/json": {}, "text/markdown": {}}}})
def crisis_timeline(crisis_id: Id, export: Literal["json", "md"] | None = Query(None, description=
                    "json: the hash-chained after-action export (`relay crisis verify` checks it); md: a table"),
                    who: Principal = Depends(principal), r: Relay = Depends(relay)):
    allow(r.database, who, "crisis.view", f"crisis:{crisis_id}")
    with r.database.sessions() as session:
        found = _crisis(session, crisis_id, who)
        records = timeline.as_records(timeline.entries(session, crisis_id))
        if export == "json":
            return Response(timeline.export_json(found, records), media_type="application/json",
                            headers={"Content-Disposition": f'attachment; filename="crisis-{crisis_id}.json"'})
        if export == "md":
            return PlainTextResponse(timeline.export_markdown(found, records), media_type="text/markdown",
                                     headers={"Content-Disposition": f'attachment; filename="crisis-{crisis_id}.md"'})
        return [{k: rec[k] for k in ("seq", "at", "kind", "actor", "text", "hash")} for rec in records]


@router.post("/crises/{crisis_id}/notes", response_model=EntryOut, status_code=201)
def add_note(data: NoteIn, crisis_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """A decision or an outcome, on the record as it happens."""
    allow(r.database, who, "crisis.activate", f"crisis:{crisis_id}")
    with r.database.sessions.begin() as session:
        _crisis(session, crisis_id, who)
        crises.note(session, crisis_id, data.text, actor=who.actor, tier=who.tier, now=datetime.now(timezone.utc))
        audit.record(session, who.actor, "crisis.note", f"crisis:{crisis_id}", via="api")
        last = timeline.as_records(timeline.entries(session, crisis_id))[-1]
        return {k: last[k] for k in ("seq", "at", "kind", "actor", "text", "hash")}


@router.get("/webinars", response_model=list[WebinarOut], tags=["webinars"])
def upcoming_webinars(who: Principal = Depends(principal), r: Relay = Depends(relay)) -> list[dict]:
    allow(r.database, who, "crisis.view")
    with r.database.sessions() as session:
        mine = who.scope()
        series = {s.id: s for s in session.scalars(select(WebinarSeries)) if mine.sees(scope.audience_place(s.audience))}
        rows = []
        for item in [i for i in webinars.upcoming(session, datetime.now(timezone.utc)) if i.series_id in series][:200]:
            s = series.get(item.series_id)
            rows.append({"series_id": item.series_id, "topic": s.topic if s else "", "timezone": s.timezone if s else "UTC",
                         "session_id": item.id, "starts_at": iso(item.starts_at), "status": item.status,
                         "rsvp": webinars.rsvp_counts(session, item.id)})
        return rows


# Not part of the API spec: the link that webinar notices carry when `[alerts.webinars] ics_link` is on.
# The .ics holds the private meeting link, so it is served only when that is on, and only under the
# series' unguessable token: /webinars/TOKEN/SESSION.ics (the sequential /webinars/SESSION.ics is gone).
calendars = APIRouter(tags=["webinars"])
NOT_FOUND = "no such webinar session\n"


@calendars.get("/webinars/{token}/{session_id}.ics", include_in_schema=False, response_model=None)
def session_ics(token: str, session_id: str, r: Relay = Depends(relay)) -> Response:
    """On every process with a web side, leader of the scheduler or not. Any miss (links off, unknown token,
    a session of another series, a malformed id) is the same 404."""
    if not alerts_settings(r.settings).webinars.ics_link or not session_id.isdigit() or len(session_id) > 10:
        return Response(NOT_FOUND, status_code=404, media_type="text/plain")
    with r.database.sessions() as session:
        series = session.scalar(select(WebinarSeries).where(WebinarSeries.ics_token == token))
        item = session.get(WebinarSession, int(session_id)) if series is not None else None
        if item is None or not hmac.compare_digest(series.ics_token, token) or item.series_id != series.id:
            return Response(NOT_FOUND, status_code=404, media_type="text/plain")
        data = session_calendar(series, item, now=datetime.now(timezone.utc), domain=r.settings.http.host)
    return Response(data, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="webinar-{item.id}.ics"',
                             "Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"})

