"""Broadcasts over HTTP: preview, send (or wait for a second coordinator), status, live progress, cancel.

Sending goes through `relay.delivery.outbox.plan_broadcast` exactly as the CLI does; the 201 is answered only
after every delivery row is committed. The live view is server-sent events: one `progress` event per
half second with the counts per channel and language, then `done`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated
from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from relay.core import hooks, scope
from relay.delivery import approvals, deliveries, outbox, reach
from relay.core import audit
from relay.networks import poll_reask, polls
from relay.api import geo as geo_routes
from relay.api import preview as previews
from relay.api.auth import Principal, allow, principal
from relay.api.common import PROBLEMS, Id, Relay, iso, relay
from relay.api.models import BroadcastDraft
from relay.api.schemas import (
    BroadcastCreated,
    BroadcastIn,
    BroadcastOut,
    BroadcastSummary,
    ApprovalOut,
    ApproveIn,
    Cancelled,
    CorrectionIn,
    CorrectionOut,
    DraftOut,
    PollOut,
    PreviewOut,
    TextOut,
)
from relay.core.channels import planned_senders
from relay.core.cli_identity import broadcast_action
from relay.integrity import corrections
from relay.core.models import Broadcast, BroadcastText, utcnow
from relay.delivery.outbox import Audience, BroadcastError, BroadcastRequest
from relay.delivery.translation_hooks import approval_policy, machine_translator, untranslated_note

router = APIRouter(prefix="/api", tags=["broadcasts"], responses=PROBLEMS)


def to_request(data: BroadcastIn, who: Principal, settings) -> BroadcastRequest:
    for language, text in data.human_texts.items():
        if not (2 <= len(language) <= 3 and language.isascii() and language.isalpha() and language.islower()):
            raise BroadcastError(f"human_texts: {language!r} is not a language code such as es")
        if len(text) > 4000:
            raise BroadcastError(f"human_texts.{language}: at most 4000 characters")
    expires = (datetime.now(timezone.utc) + timedelta(minutes=data.expires_minutes)) if data.expires_minutes else None
    extras = {}
    if data.poll_options:
        try:
            options = polls.parse_options(data.poll_options)
        except polls.PollError as exc:
            raise BroadcastError(f"poll_options: {exc}") from None
        extras["poll"] = {"options": options, "open_hours": settings.polls.open_hours,
                          "reask_minutes": settings.polls.reask_minutes}
    if data.area is not None:
        extras.update(geo_routes.area_extras(data.area, settings))
    return BroadcastRequest(
        kind=data.kind, body=data.body, source_language=data.language or settings.default_language,
        sender=who.actor, severity=data.severity, urgency=data.urgency, certainty=data.certainty,
        audience=Audience(regions=tuple(data.audience.regions), topics=tuple(data.audience.topics),
                          tiers=tuple(data.audience.tiers)),
        expires_at=expires, human_texts=dict(data.human_texts), extras=extras,
    )


def _send_action(who: Principal, data: BroadcastIn) -> str:
    return broadcast_action(who.operator(), tuple(data.audience.regions), tuple(data.audience.topics))


def _plan(r: Relay, request: BroadcastRequest, actor: str) -> outbox.PlannedBroadcast:
    settings = r.settings
    return outbox.plan_broadcast(
        r.database.sessions, request, senders=planned_senders(settings),
        machine=machine_translator(settings, r.database.sessions), note=untranslated_note,
        approval=approval_policy(settings), actor=actor, stamp=hooks.stamper(settings),
    )


@router.post("/broadcasts/preview", response_model=PreviewOut)
async def preview(data: BroadcastIn, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """Who it reaches, each language's text, SMS encoding and segments, cost and time: nothing is stored."""
    await run_in_threadpool(allow, r.database, who, _send_action(who, data))
    request = to_request(data, who, r.settings)

    def work() -> dict:
        return previews.preview(r.database.sessions, request, r.settings,
                                machine=machine_translator(r.settings, r.database.sessions),
                                note=untranslated_note, approval=approval_policy(r.settings))

    return await run_in_threadpool(work)


@router.post("/broadcasts", response_model=BroadcastCreated, status_code=201,
             responses={202: {"model": BroadcastCreated, "description": "Waits for a second coordinator"}})
async def create(data: BroadcastIn, who: Principal = Depends(principal), r: Relay = Depends(relay)):
    """Queue a broadcast. With `[console] two_person_extreme`, an Extreme one waits as a draft instead."""
    await run_in_threadpool(allow, r.database, who, _send_action(who, data))
    request = to_request(data, who, r.settings)
    outbox.validate(request)
    if r.settings.console.two_person_extreme and request.severity == "Extreme":
        def keep(session) -> int:
            draft = BroadcastDraft(request=data.model_dump(mode="json"), created_by=who.actor)
            session.add(draft)
            session.flush()
            audit.record(session, who.actor, "broadcast.draft", f"draft:{draft.id}", severity=request.severity)
            return draft.id

        draft_id = await r.database.run(keep)
        return JSONResponse(BroadcastCreated(draft_id=draft_id, status="awaiting_second_approval").model_dump(),
                            status_code=202)
    planned = await run_in_threadpool(_plan, r, request, who.actor)
    await r.wake_dispatcher()
    return BroadcastCreated(id=planned.id, status="queued", deliveries=planned.deliveries,
                            languages=planned.languages, pending_approval=list(planned.pending_approval))


@router.get("/drafts", response_model=list[DraftOut])
def drafts(who: Principal = Depends(principal), r: Relay = Depends(relay)) -> list[dict]:
    allow(r.database, who, "broadcast.everyone")
    with r.database.sessions() as session:
        rows = session.scalars(select(BroadcastDraft).order_by(BroadcastDraft.id.desc()).limit(100))
        return [{"id": d.id, "status": d.status, "created_by": d.created_by, "request": d.request,
                 "broadcast_id": d.broadcast_id} for d in rows]


@router.post("/drafts/{draft_id}/approve", response_model=BroadcastCreated, status_code=201,
             responses={409: {"description": "Already decided, or approved by the person who wrote it"}})
async def approve_draft(draft_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)):
    """The second coordinator's approval: only now is the broadcast planned, exactly as it was written."""
    await run_in_threadpool(allow, r.database, who, "broadcast.everyone", f"draft:{draft_id}")

    def decide(session) -> tuple[BroadcastIn, str]:
        draft = session.get(BroadcastDraft, draft_id, with_for_update=True)
        if draft is None:
            raise HTTPException(404, f"no draft {draft_id}")
        if draft.status != "waiting":
            raise HTTPException(409, f"draft {draft_id} is already {draft.status}")
        if draft.created_by == who.actor:
            raise HTTPException(409, "the second approval must come from another coordinator")
        draft.status, draft.decided_by, draft.decided_at = "approved", who.actor, utcnow()
        audit.record(session, who.actor, "broadcast.draft_approve", f"draft:{draft_id}", author=draft.created_by)
        return BroadcastIn.model_validate(draft.request), draft.created_by

    stored, author = await r.database.run(decide)
    request = to_request(stored, who, r.settings)
    request.sender = author
    planned = await run_in_threadpool(_plan, r, request, f"{author}+{who.actor}")

    def link(session) -> None:
        session.get(BroadcastDraft, draft_id).broadcast_id = planned.id

    await r.database.run(link)
    await r.wake_dispatcher()
    return BroadcastCreated(id=planned.id, status="queued", deliveries=planned.deliveries,
                            languages=planned.languages, pending_approval=list(planned.pending_approval))


@router.get("/broadcasts", response_model=list[BroadcastSummary])
def list_broadcasts(limit: int = Query(50, ge=1, le=500), who: Principal = Depends(principal),
                    r: Relay = Depends(relay)) -> list[dict]:
    """The newest broadcasts the caller's regions see (relay/core/scope.py)."""
    allow(r.database, who, "broadcast.view")
    with r.database.sessions() as session:
        rows = scope.visible_broadcasts(session, who.scope(), select(Broadcast).order_by(Broadcast.id.desc()), limit)
        return [{"id": b.id, "kind": b.kind, "severity": b.severity, "body": b.body, "status": b.status,
                 "created_at": iso(b.created_at)} for b in rows]


def _broadcast(session, broadcast_id: int, who: Principal) -> Broadcast:
    """The broadcast, if it exists within the caller's regions; otherwise the same 404 either way."""
    missing = f"no broadcast {broadcast_id}"
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise HTTPException(404, missing)
    scope.check(who.scope(), scope.broadcast_place(session, broadcast), f"broadcast:{broadcast_id}", missing)
    return broadcast


def _unreached(session, broadcast_id: int, who: Principal) -> list[dict]:
    """Who was not reached. Their addresses (and the provider's error, which may quote one) are personal
    data: only for `subscribers.view`; anyone else gets the channel and status of each."""
    personal = who.scope().personal_data
    return [{"channel": c, "address": a if personal else None, "status": s, "error": e if personal else None}
            for c, a, s, e in reach.unreached(session, broadcast_id)]


@router.get("/broadcasts/{broadcast_id}", response_model=BroadcastOut)
def status(broadcast_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """Progress per channel and language, and who has not been reached (yet)."""
    allow(r.database, who, "broadcast.view", f"broadcast:{broadcast_id}")
    with r.database.sessions() as session:
        b = _broadcast(session, broadcast_id, who)
        report = reach.report(session, broadcast_id).as_json()
        unreached = _unreached(session, broadcast_id, who)
        return {"id": b.id, "kind": b.kind, "severity": b.severity, "body": b.body,
                "source_language": b.source_language, "sender": b.sender, "status": b.status,
                "created_at": iso(b.created_at), "audience": b.audience or {}, "progress": report,
                "unreached": unreached}


@router.get("/broadcasts/{broadcast_id}/events",
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`progress` events (the status's counts), then one `done`"}})
async def events(request: Request, broadcast_id: Id, who: Principal = Depends(principal),
                 r: Relay = Depends(relay)) -> EventSourceResponse:
    """Server-sent events: the progress twice a second until every delivery is final."""
    await run_in_threadpool(allow, r.database, who, "broadcast.view", f"broadcast:{broadcast_id}")
    await r.database.run(_broadcast, broadcast_id, who)

    async def stream():
        while True:
            report = await r.database.run(reach.report, broadcast_id)
            data = {**report.as_json(), "at": datetime.now(timezone.utc).isoformat()}
            yield {"event": "progress", "data": json.dumps(data)}
            if report.done:
                yield {"event": "done", "data": json.dumps(data)}
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.5)

    return EventSourceResponse(stream(), ping=15)


@router.post("/broadcasts/{broadcast_id}/cancel", response_model=Cancelled)
def cancel(broadcast_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """Stop what is not yet sent; what the providers already have cannot be recalled."""
    allow(r.database, who, "broadcast.cancel", f"broadcast:{broadcast_id}")
    with r.database.sessions.begin() as session:
        count = deliveries.cancel(session, _broadcast(session, broadcast_id, who), actor=who.actor)
    return {"id": broadcast_id, "cancelled": count}


@router.post("/broadcasts/{broadcast_id}/correct", response_model=CorrectionOut, status_code=201)
def correct(data: CorrectionIn, broadcast_id: Id, who: Principal = Depends(principal),
            r: Relay = Depends(relay)) -> dict:
    """A correction to exactly the people the broadcast reached; what of it was not sent yet is stopped."""
    allow(r.database, who, "broadcast.correct", f"broadcast:{broadcast_id}")
    with r.database.sessions.begin() as session:
        _broadcast(session, broadcast_id, who)
        correction_id, count = corrections.correct(
            session, broadcast_id, body=data.text, source_language=data.language or r.settings.default_language,
            header="correction_of_broadcast", actor=who.actor, settings=r.settings)
    return {"id": correction_id, "corrects": broadcast_id, "deliveries": count}


@router.get("/broadcasts/{broadcast_id}/texts", response_model=list[TextOut])
def texts(broadcast_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> list[dict]:
    """Each language's text, and the machine drafts that wait for a person (severe crisis broadcasts)."""
    allow(r.database, who, "broadcast.view", f"broadcast:{broadcast_id}")
    with r.database.sessions() as session:
        _broadcast(session, broadcast_id, who)
        rows = session.scalars(select(BroadcastText).where(BroadcastText.broadcast_id == broadcast_id)
                               .order_by(BroadcastText.language))
        return [{"language": t.language, "text": t.text, "origin": t.origin, "status": t.status, "draft": t.draft,
                 "engine": t.engine, "gate_verdict": t.gate_verdict, "gate_checks": t.gate_checks,
                 "offer_deadline": t.offer_deadline.isoformat() if t.offer_deadline else None}
                for t in rows]


@router.post("/broadcasts/{broadcast_id}/texts/{language}/approve", response_model=ApprovalOut,
             responses={409: {"description": "No text of that language waits for approval"}})
def approve_text(data: ApproveIn, broadcast_id: Id, language: Annotated[str, FastPath(pattern=r"^[a-z]{2,3}$")],
                 who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """Approve the machine text (or give a person's instead): held deliveries go, or, where the original
    went first with a note, the approved text follows to exactly those people."""
    allow(r.database, who, "translation.approve", f"broadcast:{broadcast_id}")
    with r.database.sessions.begin() as session:
        _broadcast(session, broadcast_id, who)
        try:
            result = approvals.approve(session, broadcast_id, language, text=data.text, actor=who.actor)
        except BroadcastError as exc:
            if "waiting for approval" in str(exc):
                raise HTTPException(409, str(exc)) from None
            raise
    return {"language": result.language, "released": result.released, "follow_up": result.follow_up,
            "follow_up_deliveries": result.follow_up_deliveries}


@router.get("/broadcasts/{broadcast_id}/poll", response_model=PollOut)
def poll(broadcast_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    allow(r.database, who, "poll.results", f"broadcast:{broadcast_id}")
    with r.database.sessions() as session:
        _broadcast(session, broadcast_id, who)
        found = poll_reask.poll_of(session, broadcast_id)
        if found is None:
            raise HTTPException(404, f"broadcast {broadcast_id} has no poll")
        result = poll_reask.results(session, found)
        return {"broadcast_id": broadcast_id, "asked": result.asked, "answered": result.answered,
                "by_option": dict(result.by_option)}
