"""Subscribers over HTTP (list, create or update, CSV import with per-row errors, erase) and `/api/me`.

Each write goes through `relay.core.subscribers`, the same functions as `relay subscribers ...`, so a
subscriber made here is validated, matched on its addresses and audited exactly as one made there.
"""

from __future__ import annotations

import io

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from relay.core import permissions, subscribers
from relay.api.auth import Principal, allow, principal
from relay.api.common import PROBLEMS, Id, Relay, relay
from relay.api.schemas import Forgotten, ImportOut, Me, SubscriberIn, SubscriberOut
from relay.core.models import Subscriber
from relay.core.subscribers import SubscriberError

router = APIRouter(prefix="/api", responses=PROBLEMS)

# What the console shows or hides for the person logged in (the server checks again on every request).
CONSOLE_ACTIONS = ("broadcast.everyone", "broadcast.own_audience", "broadcast.view", "broadcast.cancel",
                   "flags.review", "subscribers.manage", "subscribers.view", "relays.view", "poll.results",
                   "crisis.view", "crisis.activate", "translation.approve", "templates.view")


def _out(s: Subscriber) -> dict:
    return {"id": s.id, "name": s.name, "language": s.language, "timezone": s.timezone, "tier": s.tier,
            "regions": sorted(r.region for r in s.regions), "topics": sorted(t.topic for t in s.topics),
            "endpoints": [{"channel": e.channel, "address": e.address, "opted_out": e.opted_out}
                          for e in s.endpoints]}


@router.get("/me", response_model=Me, tags=["console"])
def me(who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    allow(r.database, who, "console.login")
    return {"actor": who.actor, "name": who.name, "tier": who.tier, "regions": sorted(who.regions),
            "topics": sorted(who.topics), "can": {a: permissions.allowed(who.tier, a) for a in CONSOLE_ACTIONS}}


@router.get("/subscribers", response_model=list[SubscriberOut], tags=["subscribers"])
def list_subscribers(limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=2**31 - 1),
                     who: Principal = Depends(principal), r: Relay = Depends(relay)) -> list[dict]:
    allow(r.database, who, "subscribers.view")
    with r.database.sessions() as session:
        rows = session.scalars(select(Subscriber).options(
            selectinload(Subscriber.endpoints), selectinload(Subscriber.regions), selectinload(Subscriber.topics))
            .order_by(Subscriber.id).offset(offset).limit(limit))
        return [_out(s) for s in rows]


@router.post("/subscribers", response_model=SubscriberOut, status_code=201, tags=["subscribers"])
def create_subscriber(data: SubscriberIn, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """Create a subscriber, or update the one that already has one of these addresses."""
    allow(r.database, who, "subscribers.manage")
    row = {"language": data.language, "name": data.name or "", "phone": data.phone or "",
           "telegram": data.telegram or "", "matrix": data.matrix or "", "timezone": data.timezone or "",
           "tier": data.tier, "regions": ";".join(data.regions), "topics": ";".join(data.topics)}
    with r.database.sessions.begin() as session:
        valid = subscribers.validate_row(row, default_region=r.settings.default_region,
                                         default_timezone=r.settings.default_timezone)
        subscriber, _ = subscribers.upsert(session, valid, actor=who.actor, source="api",
                                           words="POST /api/subscribers")
        return _out(subscriber)


@router.post("/subscribers/import", response_model=ImportOut, tags=["subscribers"],
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {
                 "type": "string", "description": "name,phone,telegram,matrix,language,timezone,regions,topics,tier"}}}}})
async def import_subscribers(request: Request, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """A CSV file as the body: good rows are stored, bad ones are answered by line number."""
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(allow, r.database, who, "subscribers.manage")
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SubscriberError("the CSV file is not UTF-8") from None
    if "\x00" in text:
        raise SubscriberError("the CSV file contains a NUL character")

    def work(session) -> dict:
        report = subscribers.import_csv(session, io.StringIO(text), actor=who.actor,
                                        default_region=r.settings.default_region,
                                        default_timezone=r.settings.default_timezone)
        return {"created": report.created, "updated": report.updated,
                "errors": [{"line": line, "error": error} for line, error in report.errors]}

    return await r.database.run(work)


@router.delete("/subscribers/{subscriber_id}", response_model=Forgotten, tags=["subscribers"])
def forget(subscriber_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """Erase a person; an anonymous tombstone per address keeps a STOP honoured."""
    allow(r.database, who, "subscribers.manage", f"subscriber:{subscriber_id}")
    with r.database.sessions.begin() as session:
        subscriber = session.get(Subscriber, subscriber_id)
        if subscriber is None:
            raise HTTPException(404, f"no subscriber {subscriber_id}")
        count = subscribers.forget(session, subscriber, actor=who.actor)
    r.database.scrub()
    return {"id": subscriber_id, "addresses": count}
