"""Templates over HTTP: list, show (with each language's SMS budget), add, and send with field values.

Each route goes through relay/templates, the same functions as `relay templates ...`: a template added
here is checked against its segment budget, and a send is committed before the 201.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from fastapi import Path as FastPath
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from relay.api.auth import Principal, allow, principal
from relay.api.common import PROBLEMS, Relay, relay
from relay.api.models import BroadcastDraft
from relay.api.schemas import AudienceIn, BroadcastCreated, BroadcastIn, Strict
from relay.core import audit
from relay.core.cli_identity import broadcast_action
from relay.delivery.outbox import Audience
from relay.delivery.translation_hooks import approval_policy, machine_translator, untranslated_note
from relay.templates import sending, store
from relay.templates.fields import TemplateError

router = APIRouter(prefix="/api", tags=["templates"], responses=PROBLEMS)

TemplateName = Annotated[str, FastPath(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")]
Text = Annotated[str, Field(min_length=1, max_length=1600, pattern=r"^[^\x00]*$")]
Value = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$")]


class TemplateIn(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")
    kind: Literal["crisis", "webinar", "notice"] = "crisis"
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$", description="The source language (default: "
                                 "the relay's default_language)")
    fields: dict[str, Annotated[int, Field(ge=1, le=500)]] = Field(default_factory=dict, max_length=20,
                                                                  description="field -> its longest value")
    texts: dict[str, Text] = Field(min_length=1, max_length=60, description="language -> the human text")
    max_segments: int | None = Field(None, ge=1, le=10)


class TemplateSendIn(Strict):
    values: dict[str, Value] = Field(default_factory=dict, max_length=20)
    severity: Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"] = "Unknown"
    urgency: Literal["Immediate", "Expected", "Future", "Past", "Unknown"] = "Unknown"
    certainty: Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"] = "Unknown"
    audience: AudienceIn = Field(default_factory=AudienceIn)
    expires_minutes: int | None = Field(None, ge=1, le=60 * 24 * 30)


class BudgetOut(BaseModel):
    language: str
    encoding: str
    characters: int
    segments: int
    cost: float


class TemplateOut(BaseModel):
    id: int
    name: str
    kind: str
    source_language: str
    fields: dict[str, int]
    max_segments: int
    texts: dict[str, str]
    budget: list[BudgetOut]
    created_by: str
    created_at: str


class TemplateSent(BaseModel):
    id: int
    deliveries: int
    languages: dict[str, str]
    pending_approval: list[str]
    budget: list[BudgetOut]


def _describe_all(r: Relay) -> list[dict]:
    lines = sending.footer(r.database.sessions, r.settings)
    with r.database.sessions() as session:
        return [store.describe(t, lines, sending.sms_price(r.settings)) for t in store.all_templates(session)]


@router.get("/templates", response_model=list[TemplateOut])
async def list_templates(who: Principal = Depends(principal), r: Relay = Depends(relay)) -> list[dict]:
    await run_in_threadpool(allow, r.database, who, "templates.view")
    return await run_in_threadpool(_describe_all, r)


@router.get("/templates/{name}", response_model=TemplateOut)
async def show_template(name: TemplateName, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    await run_in_threadpool(allow, r.database, who, "templates.view")

    def work() -> dict:
        lines = sending.footer(r.database.sessions, r.settings)
        with r.database.sessions() as session:
            try:
                return store.describe(store.find(session, name), lines, sending.sms_price(r.settings))
            except TemplateError as exc:
                raise HTTPException(404, str(exc)) from None

    return await run_in_threadpool(work)


@router.post("/templates", response_model=TemplateOut, status_code=201)
async def add_template(data: TemplateIn, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """Store a template; 422 naming the language when a text exceeds the segment budget."""
    await run_in_threadpool(allow, r.database, who, "templates.manage")

    def work() -> dict:
        lines = sending.footer(r.database.sessions, r.settings)
        price = sending.sms_price(r.settings)
        try:
            with r.database.sessions.begin() as session:
                template = store.add(session, name=data.name, kind=data.kind,
                                     source_language=data.language or r.settings.default_language,
                                     declared=data.fields, texts=data.texts,
                                     max_segments=data.max_segments or r.settings.templates.max_segments,
                                     footer=lines, price=price, actor=who.actor)
                return store.describe(template, lines, price)
        except TemplateError as exc:
            raise HTTPException(422, str(exc)) from None

    return await run_in_threadpool(work)


def _draft_of(template, data: TemplateSendIn, actor: str) -> BroadcastIn:
    """The broadcast a second coordinator approves: the template's texts with these values filled in, as
    `relay.templates.sending` fills them for a send (a pre-approved template does not waive the second
    person an Extreme alert needs)."""
    filled = sending.request_for(template, data.values, sender=actor, audience=Audience())
    return BroadcastIn(kind=template.kind, severity=data.severity, urgency=data.urgency, certainty=data.certainty,
                       body=filled.body, language=template.source_language, audience=data.audience,
                       human_texts=filled.human_texts, expires_minutes=data.expires_minutes)


@router.post("/templates/{name}/send", response_model=TemplateSent, status_code=201,
             responses={202: {"model": BroadcastCreated, "description": "Extreme: waits for a second coordinator"}})
async def send_template(name: TemplateName, data: TemplateSendIn, who: Principal = Depends(principal),
                        r: Relay = Depends(relay)):
    """Fill the fields and queue the broadcast; answered once every delivery row is committed. With
    `[console] two_person_extreme`, an Extreme send waits as a draft, as a composed one does."""
    action = broadcast_action(who.operator(), tuple(data.audience.regions), tuple(data.audience.topics))
    await run_in_threadpool(allow, r.database, who, action)
    expires = (datetime.now(timezone.utc) + timedelta(minutes=data.expires_minutes)) if data.expires_minutes else None
    if r.settings.console.two_person_extreme and data.severity == "Extreme":
        def keep(session) -> int:
            try:
                template = store.find(session, name)
            except TemplateError as exc:
                raise HTTPException(404, str(exc)) from None
            try:
                request = _draft_of(template, data, who.actor)
            except TemplateError as exc:
                raise HTTPException(422, str(exc)) from None
            draft = BroadcastDraft(request=request.model_dump(mode="json"), created_by=who.actor)
            session.add(draft)
            session.flush()
            audit.record(session, who.actor, "broadcast.draft", f"draft:{draft.id}", severity=data.severity,
                         template=name)
            return draft.id

        draft_id = await r.database.run(keep)
        return JSONResponse(BroadcastCreated(draft_id=draft_id, status="awaiting_second_approval").model_dump(),
                            status_code=202)

    def work():
        with r.database.sessions() as session:
            try:
                template = store.find(session, name)
            except TemplateError as exc:
                raise HTTPException(404, str(exc)) from None
        try:
            return sending.send(
                r.database.sessions, template, data.values, settings=r.settings,
                machine=machine_translator(r.settings, r.database.sessions), note=untranslated_note,
                approval=approval_policy(r.settings), sender=who.actor, severity=data.severity,
                urgency=data.urgency, certainty=data.certainty, expires_at=expires,
                audience=Audience(regions=tuple(data.audience.regions), topics=tuple(data.audience.topics),
                                  tiers=tuple(data.audience.tiers)))
        except TemplateError as exc:
            raise HTTPException(422, str(exc)) from None

    result = await run_in_threadpool(work)
    await r.wake_dispatcher()
    planned = result.planned
    return {"id": planned.id, "deliveries": planned.deliveries, "languages": planned.languages,
            "pending_approval": list(planned.pending_approval), "budget": [b.as_json() for b in result.budget]}
