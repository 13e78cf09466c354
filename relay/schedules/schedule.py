"""Making, listing, editing and cancelling scheduled broadcasts; what each one owes at a moment.

A local-time schedule ("09:00 wherever they are") is due per time zone: the recipients' zones are read
when it falls due, not when it is made, so a person who moved zones meanwhile gets it at their new
09:00. Times are wall-clock in the zone, converted with zoneinfo (09:00 stays 09:00 across a
daylight-saving change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from relay.core import audit
from relay.core.db import required
from relay.core.models import content_of
from relay.delivery import outbox
from relay.delivery.outbox import Audience, BroadcastError, BroadcastRequest
from relay.schedules.models import EVERYWHERE, ScheduledBroadcast, ScheduledSend

# The furthest behind any time zone is of UTC (Etc/GMT+12): once a local time has passed there, it has
# passed everywhere.
LATEST_OFFSET = timedelta(hours=12)
OPEN = "scheduled"


class ScheduleError(ValueError):
    """A schedule that cannot be made or changed; the message says what is wrong."""


def parse_at(value: str) -> datetime:
    """An instant: ISO 8601 with its UTC offset (2026-12-05T09:00+01:00, or Z)."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ScheduleError(f"time {value!r}: give an ISO 8601 time with its offset, e.g. 2026-12-05T09:00-05:00") from None
    if parsed.tzinfo is None:
        raise ScheduleError(f"time {value!r} has no UTC offset: add one (2026-12-05T09:00-05:00), or schedule it "
                            "as a local time in each recipient's zone")
    return parsed.astimezone(timezone.utc)


def parse_local(value: str) -> str:
    """A wall-clock time without offset ("2026-12-05T09:00"), read in each recipient's zone."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ScheduleError(f"local time {value!r}: give a wall-clock time such as 2026-12-05T09:00") from None
    if parsed.tzinfo is not None:
        raise ScheduleError(f"local time {value!r} has an offset; a local time is read in each recipient's own zone "
                            "(drop the offset, or schedule it as a fixed time)")
    return parsed.replace(second=0, microsecond=0).isoformat(timespec="minutes")


def due_in(schedule: ScheduledBroadcast, zone: str) -> datetime:
    """When this schedule is due for recipients in `zone`."""
    if schedule.send_at is not None:
        return schedule.send_at
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = timezone.utc  # a stored zone no longer known: read as UTC rather than never
    return datetime.fromisoformat(schedule.local_time).replace(tzinfo=tz).astimezone(timezone.utc)


def past_everywhere(schedule: ScheduledBroadcast, now: datetime) -> bool:
    if schedule.send_at is not None:
        return schedule.send_at <= now
    return datetime.fromisoformat(schedule.local_time).replace(tzinfo=timezone.utc) + LATEST_OFFSET <= now


def request_of(schedule: ScheduledBroadcast, zone: str | None = None) -> BroadcastRequest:
    fields = {k: tuple(v) for k, v in (schedule.audience or {}).items()
              if k in ("regions", "topics", "tiers", "languages")}
    if zone is not None and zone != EVERYWHERE:
        fields["timezones"] = (zone,)
    return BroadcastRequest(**content_of(schedule), sender=schedule.sender, audience=Audience(**fields),
                            human_texts=dict(schedule.human_texts or {}))


def zones_owed(session: Session, schedule: ScheduledBroadcast, channels: Sequence[str]) -> list[str]:
    if schedule.send_at is not None:
        return [EVERYWHERE]
    return outbox.audience_timezones(session, request_of(schedule), channels)


def sends(session: Session, schedule_id: int) -> dict[str, ScheduledSend]:
    return {s.zone: s for s in session.scalars(select(ScheduledSend).where(ScheduledSend.schedule_id == schedule_id))}


def _when(at: str | None, local: str | None, now: datetime) -> tuple[datetime | None, str | None]:
    if (at is None) == (local is None):
        raise ScheduleError("give the time either as a fixed moment (--at, with its offset) or as a local time "
                            "in each recipient's zone (--local), not both")
    if at is not None:
        moment = parse_at(at)
        if moment <= now:
            raise ScheduleError(f"time {at!r} is in the past")
        return moment, None
    wall = parse_local(local)
    probe = ScheduledBroadcast(local_time=wall)
    if past_everywhere(probe, now):
        raise ScheduleError(f"local time {local!r} has already passed in every time zone")
    return None, wall


def create(session: Session, request: BroadcastRequest, *, at: str | None, local: str | None, actor: str,
           now: datetime) -> ScheduledBroadcast:
    try:
        outbox.validate(request)
    except BroadcastError as exc:
        raise ScheduleError(str(exc)) from None
    if request.kind == "crisis" and request.severity in ("Extreme", "Severe"):
        raise ScheduleError("an Extreme or Severe crisis alert goes now (relay broadcast send), not on a schedule")
    send_at, local_time = _when(at, local, now)
    schedule = ScheduledBroadcast(
        **content_of(request), human_texts=dict(request.human_texts),
        audience=request.audience.as_json(), sender=request.sender, send_at=send_at, local_time=local_time,
        status=OPEN, created_by=actor, created_at=now, updated_at=now)
    session.add(schedule)
    session.flush()
    audit.record(session, actor, "schedule.create", f"schedule:{schedule.id}", kind=schedule.kind,
                 send_at=send_at.isoformat() if send_at else None, local_time=local_time)
    return schedule


def get(session: Session, schedule_id: int) -> ScheduledBroadcast:
    return required(session.get(ScheduledBroadcast, schedule_id),
                    ScheduleError(f"no scheduled broadcast {schedule_id} (relay broadcast scheduled lists them)"))


def _editable(session: Session, schedule: ScheduledBroadcast) -> None:
    if schedule.status != OPEN:
        raise ScheduleError(f"scheduled broadcast {schedule.id} is {schedule.status}; only one not yet sent can change")
    if sends(session, schedule.id):
        raise ScheduleError(f"scheduled broadcast {schedule.id} has already gone to some time zones; cancel the rest "
                            "instead and schedule a new one")


def reschedule(session: Session, schedule_id: int, *, at: str | None = None, local: str | None = None,
               body: str | None = None, human_texts: dict[str, str] | None = None, actor: str,
               now: datetime) -> ScheduledBroadcast:
    schedule = get(session, schedule_id)
    _editable(session, schedule)
    changes: dict[str, object] = {}
    if at is not None or local is not None:
        schedule.send_at, schedule.local_time = _when(at, local, now)
        changes.update(send_at=schedule.send_at.isoformat() if schedule.send_at else None, local_time=schedule.local_time)
    if body is not None:
        if not body.strip():
            raise ScheduleError("the message body is empty")
        schedule.body = body
        changes["body"] = True
    if human_texts:
        for language, text in human_texts.items():
            if not text.strip():
                raise ScheduleError(f"the {language} text is empty")
        schedule.human_texts = {**(schedule.human_texts or {}), **human_texts}
        changes["texts"] = sorted(human_texts)
    if not changes:
        raise ScheduleError("nothing to change: give a new time (--at or --local), --body or --text")
    schedule.updated_at = now
    audit.record(session, actor, "schedule.edit", f"schedule:{schedule.id}", **changes)
    return schedule


def cancel(session: Session, schedule_id: int, *, actor: str, now: datetime) -> int:
    """Cancel what has not gone yet; returns how many zones it had already gone to."""
    schedule = get(session, schedule_id)
    if schedule.status != OPEN:
        raise ScheduleError(f"scheduled broadcast {schedule_id} is {schedule.status}; nothing left to cancel")
    gone = len(sends(session, schedule_id))
    schedule.status, schedule.cancelled_at = "cancelled", now
    audit.record(session, actor, "schedule.cancel", f"schedule:{schedule_id}", zones_already_sent=gone)
    return gone


@dataclass(frozen=True)
class Listed:
    schedule: ScheduledBroadcast
    zones: dict[str, str]  # zone -> due time (ISO, UTC) of the zones not yet sent, for open schedules
    sent: dict[str, int | None]  # zone -> broadcast id (None: missed)


def listing(session: Session, channels: Sequence[str], *, everything: bool = False) -> list[Listed]:
    query = select(ScheduledBroadcast).order_by(ScheduledBroadcast.id)
    if not everything:
        query = query.where(ScheduledBroadcast.status == OPEN)
    out = []
    for schedule in session.scalars(query):
        done = sends(session, schedule.id)
        owed = zones_owed(session, schedule, channels) if schedule.status == OPEN else []
        out.append(Listed(schedule, {z: due_in(schedule, z).isoformat() for z in owed if z not in done},
                          {z: s.broadcast_id for z, s in sorted(done.items())}))
    return out


def as_json(item: Listed) -> dict:
    s = item.schedule
    return {"id": s.id, "kind": s.kind, "severity": s.severity, "status": s.status, "body": s.body,
            "source_language": s.source_language, "audience": s.audience, "human_texts": s.human_texts,
            "send_at": s.send_at.isoformat() if s.send_at else None, "local_time": s.local_time,
            "due": item.zones, "sent": item.sent, "created_by": s.created_by}
