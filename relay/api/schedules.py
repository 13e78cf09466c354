"""Scheduled broadcasts over HTTP (relay/schedules): list, schedule, edit, cancel; and a person's time
zone and quiet hours (relay/fatigue). The same functions as the CLI and the chat commands."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from relay.api.auth import Principal, allow, principal
from relay.api.common import PROBLEMS, Id, Relay, relay
from relay.api.schemas import AudienceIn, Strict
from relay.core import scope
from relay.core.channels import planned_senders
from relay.core.cli_identity import broadcast_action
from relay.core.models import Subscriber
from relay.delivery.outbox import Audience, BroadcastRequest
from relay.fatigue import commands as fatigue_commands
from relay.fatigue.quiet import FatigueError, check_zone
from relay.schedules import schedule as schedules
from relay.schedules.schedule import ScheduleError

router = APIRouter(prefix="/api", responses=PROBLEMS)

Text = Annotated[str, Field(max_length=4000, pattern=r"^[^\x00]*$")]


class ScheduleIn(Strict):
    kind: Literal["webinar", "notice", "crisis"] = "notice"
    severity: Literal["Moderate", "Minor", "Unknown"] = "Unknown"
    body: str = Field(min_length=1, max_length=4000, pattern=r"^[^\x00]*$")
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$")
    audience: AudienceIn = Field(default_factory=AudienceIn)
    human_texts: dict[str, Text] = Field(default_factory=dict, max_length=60)
    at: str | None = Field(None, max_length=40, description="A fixed moment, ISO 8601 with its offset")
    local: str | None = Field(None, max_length=40, description="A wall-clock time read in each recipient's zone")


class ScheduleEdit(Strict):
    at: str | None = Field(None, max_length=40)
    local: str | None = Field(None, max_length=40)
    body: str | None = Field(None, min_length=1, max_length=4000, pattern=r"^[^\x00]*$")
    human_texts: dict[str, Text] = Field(default_factory=dict, max_length=60)


class ScheduleOut(BaseModel):
    id: int
    kind: str
    severity: str
    status: str
    body: str
    source_language: str
    audience: dict
    human_texts: dict
    send_at: str | None
    local_time: str | None
    due: dict[str, str]  # zone -> when it goes there (UTC), for zones not yet sent
    sent: dict[str, int | None]  # zone -> broadcast id (None: missed)
    created_by: str


class PreferencesIn(Strict):
    timezone: str | None = Field(None, max_length=64, description="IANA time zone, e.g. America/Port-au-Prince")
    quiet_hours: str | None = Field(None, max_length=16, description="HH:MM-HH:MM, 'off', or '' for the default")


class PreferencesOut(BaseModel):
    subscriber_id: int
    timezone: str
    quiet_hours: str | None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _problem(exc: Exception) -> HTTPException:
    return HTTPException(422, detail=str(exc))


def _listed(session, r: Relay, schedule) -> dict:
    channels = sorted(planned_senders(r.settings))
    done = schedules.sends(session, schedule.id)
    owed = schedules.zones_owed(session, schedule, channels) if schedule.status == schedules.OPEN else []
    return schedules.as_json(schedules.Listed(schedule, {z: schedules.due_in(schedule, z).isoformat() for z in owed
                                                         if z not in done},
                                              {z: s.broadcast_id for z, s in done.items()}))


@router.get("/scheduled-broadcasts", response_model=list[ScheduleOut], tags=["broadcasts"])
def list_scheduled(everything: bool = Query(False, alias="all"), who: Principal = Depends(principal),
                   r: Relay = Depends(relay)) -> list[dict]:
    allow(r.database, who, "broadcast.view")
    mine = who.scope()
    with r.database.sessions() as session:
        return [schedules.as_json(i) for i in schedules.listing(session, sorted(planned_senders(r.settings)),
                                                                 everything=everything)
                if mine.sees(scope.audience_place(i.schedule.audience))]


@router.post("/scheduled-broadcasts", response_model=ScheduleOut, status_code=201, tags=["broadcasts"])
async def create_scheduled(data: ScheduleIn, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    audience = data.audience
    # The same rule as sending now: beyond one's own regions and topics is a broadcast to everyone.
    action = broadcast_action(who.operator(), tuple(audience.regions), tuple(audience.topics))
    await run_in_threadpool(allow, r.database, who, action)
    request = BroadcastRequest(kind=data.kind, body=data.body, source_language=data.language or r.settings.default_language,
                               sender=who.actor, severity=data.severity, human_texts=dict(data.human_texts),
                               audience=Audience(regions=tuple(audience.regions), topics=tuple(audience.topics),
                                                 tiers=tuple(audience.tiers)))

    def work() -> dict:
        with r.database.sessions.begin() as session:
            try:
                made = schedules.create(session, request, at=data.at, local=data.local, actor=who.actor, now=_now())
            except ScheduleError as exc:
                raise _problem(exc) from None
            return _listed(session, r, made)

    return await run_in_threadpool(work)


@router.patch("/scheduled-broadcasts/{schedule_id}", response_model=ScheduleOut, tags=["broadcasts"])
def edit_scheduled(data: ScheduleEdit, schedule_id: Id, who: Principal = Depends(principal),
                   r: Relay = Depends(relay)) -> dict:
    allow(r.database, who, "broadcast.cancel", f"schedule:{schedule_id}")
    with r.database.sessions.begin() as session:
        try:
            made = schedules.reschedule(session, schedule_id, at=data.at, local=data.local, body=data.body,
                                        human_texts=dict(data.human_texts), actor=who.actor, now=_now())
        except ScheduleError as exc:
            raise (HTTPException(404, detail=str(exc)) if str(exc).startswith("no scheduled") else _problem(exc)) from None
        return _listed(session, r, made)


@router.delete("/scheduled-broadcasts/{schedule_id}", response_model=ScheduleOut, tags=["broadcasts"])
def cancel_scheduled(schedule_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    allow(r.database, who, "broadcast.cancel", f"schedule:{schedule_id}")
    with r.database.sessions.begin() as session:
        try:
            schedules.cancel(session, schedule_id, actor=who.actor, now=_now())
        except ScheduleError as exc:
            raise (HTTPException(404, detail=str(exc)) if str(exc).startswith("no scheduled") else _problem(exc)) from None
        return _listed(session, r, schedules.get(session, schedule_id))


@router.put("/subscribers/{subscriber_id}/preferences", response_model=PreferencesOut, tags=["subscribers"])
def set_preferences(data: PreferencesIn, subscriber_id: Id, who: Principal = Depends(principal),
                    r: Relay = Depends(relay)) -> dict:
    """A person's time zone and own quiet hours, validated (an unknown zone or a bad window is a 422)."""
    allow(r.database, who, "subscribers.manage")
    with r.database.sessions.begin() as session:
        person = session.get(Subscriber, subscriber_id)
        if person is None:
            raise HTTPException(404, detail=f"no subscriber {subscriber_id}")
        try:
            if data.timezone is not None:
                person.timezone = check_zone(data.timezone)
            stored = None
            if data.quiet_hours is not None:
                stored = fatigue_commands.set_quiet_hours(session, subscriber_id, data.quiet_hours, actor=who.actor)
        except FatigueError as exc:
            raise _problem(exc) from None
        from relay.fatigue.models import FatiguePreference

        own = session.get(FatiguePreference, subscriber_id)
        return {"subscriber_id": subscriber_id, "timezone": person.timezone,
                "quiet_hours": stored if data.quiet_hours is not None else (own.quiet_hours if own else None)}
