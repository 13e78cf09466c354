"""Webinar series: sessions from an RFC 5545 recurrence rule in the organiser's wall-clock time, a
notice N days before each and reminders at configured offsets, each in the recipient's language and
time zone; RSVPs counted per session; a cancelled or moved session corrected to exactly the people who
were told about it.

The rule is expanded in local wall-clock time (python-dateutil) and each occurrence is then placed in
the organiser's zone, so a weekly 18:00 session stays at 18:00 local across a daylight-saving change
while its UTC time moves by an hour. Sessions are rows (laid out `horizon_days` ahead), so what was
sent is recorded per session and offset and can never go out twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.config import AlertsSettings
from alerts.models import Firing, Rsvp, WebinarBroadcast, WebinarSeries, WebinarSession
from relay import audit, required
from relay import BroadcastKind, Delivery, Endpoint, Subscriber

MAX_SESSIONS_PER_LAYOUT = 500  # a rule such as FREQ=MINUTELY must not fill the table


class WebinarError(ValueError):
    """A webinar request that cannot be done; the message says why."""


@dataclass(frozen=True)
class Event:
    key: str
    due_at: datetime
    kind: str  # notice | reminder
    session_id: int
    starts_at: datetime


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise WebinarError(f"time zone {name!r}: give an IANA name such as Europe/Paris") from None


def _rule(text: str, first_start: datetime):
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    try:
        return rrulestr(body, dtstart=first_start)
    except (ValueError, TypeError) as exc:
        raise WebinarError(f"recurrence rule {text!r} is not an RFC 5545 RRULE ({exc}); e.g. FREQ=WEEKLY;BYDAY=TU") from None


def local_to_utc(local: datetime, zone: str) -> datetime:
    return local.replace(tzinfo=_zone(zone)).astimezone(timezone.utc)


def add_series(session: Session, cfg: AlertsSettings, *, topic: str, rrule: str, first_start: datetime, zone: str,
               link: str, actor: str, now: datetime, duration_minutes: int = 60, audience: dict | None = None,
               language: str = "en") -> WebinarSeries:
    if not topic.strip():
        raise WebinarError("the webinar needs a topic")
    if first_start.tzinfo is not None:
        raise WebinarError("give the first session's start as local wall-clock time, without an offset")
    _zone(zone)
    _rule(rrule, first_start)
    if not link.startswith(("https://", "http://")) or " " in link:
        raise WebinarError(f"join link {link!r}: give an http(s) URL")
    series = WebinarSeries(topic=topic.strip(), rrule=rrule.strip(), first_start=first_start.isoformat(timespec="minutes"),
                           timezone=zone, duration_minutes=duration_minutes, join_link=link, audience=audience or {},
                           language=language, created_by=actor, created_at=now)
    session.add(series)
    session.flush()
    layout(session, series, cfg, now)
    audit.record(session, actor, "webinar.add", f"webinar:{series.id}", topic=series.topic, rrule=series.rrule)
    return series


def layout(session: Session, series: WebinarSeries, cfg: AlertsSettings, now: datetime) -> int:
    """Create the session rows of the next `horizon_days` that do not exist yet."""
    if series.status != "active":
        return 0
    zone = _zone(series.timezone)
    first = datetime.fromisoformat(series.first_start)
    rule = _rule(series.rrule, first)
    start = now.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    end = (now + timedelta(days=cfg.webinars.horizon_days)).astimezone(zone).replace(tzinfo=None)
    have = set(session.scalars(select(WebinarSession.occurrence).where(WebinarSession.series_id == series.id)))
    added = 0
    for occurrence in rule.xafter(max(start, first - timedelta(seconds=1)), count=MAX_SESSIONS_PER_LAYOUT):
        if occurrence > end:
            break
        key = occurrence.isoformat(timespec="minutes")
        starts_at = local_to_utc(occurrence, series.timezone)
        if key in have or starts_at < now:
            continue
        session.add(WebinarSession(series_id=series.id, occurrence=key, starts_at=starts_at, status="scheduled"))
        added += 1
    session.flush()
    return added


def upcoming(session: Session, now: datetime, series_id: int | None = None) -> list[WebinarSession]:
    query = select(WebinarSession).where(WebinarSession.starts_at >= now - timedelta(hours=6))
    if series_id is not None:
        query = query.where(WebinarSession.series_id == series_id)
    return list(session.scalars(query.order_by(WebinarSession.starts_at)))


def events(series: WebinarSeries, item: WebinarSession, cfg: AlertsSettings) -> list[Event]:
    if series.status != "active" or item.status != "scheduled":
        return []
    owed = []
    if cfg.webinars.notice_days > 0:
        owed.append(Event(f"webinar:{item.id}:notice", item.starts_at - timedelta(days=cfg.webinars.notice_days),
                          "notice", item.id, item.starts_at))
    stamp = item.starts_at.strftime("%Y%m%dT%H%M")
    for offset in cfg.webinars.reminder_offsets():
        owed.append(Event(f"webinar:{item.id}:{stamp}:remind:{int(offset.total_seconds())}", item.starts_at - offset,
                          "reminder", item.id, item.starts_at))
    return sorted(owed, key=lambda e: (e.due_at, e.key))


def get_session(session: Session, session_id: int) -> WebinarSession:
    return required(session.get(WebinarSession, session_id),
                    WebinarError(f"no webinar session {session_id} (relay webinar list shows them)"))


def told(session: Session, session_id: int) -> list[int]:
    """The broadcasts that told people about this session (notices, reminders, earlier corrections)."""
    return list(session.scalars(select(WebinarBroadcast.broadcast_id).where(WebinarBroadcast.session_id == session_id)))


def rsvp_counts(session: Session, session_id: int) -> dict[str, int]:
    rows = session.execute(select(Rsvp.answer, func.count()).where(Rsvp.session_id == session_id).group_by(Rsvp.answer))
    counts = {"yes": 0, "no": 0}
    counts.update({answer: int(n) for answer, n in rows})
    return counts


def session_for_reply(session: Session, endpoint: Endpoint, now: datetime) -> WebinarSession | None:
    """The session a YES or NO answers: the one this person was most recently told about that is still ahead."""
    query = (
        select(WebinarSession)
        .join(WebinarBroadcast, WebinarBroadcast.session_id == WebinarSession.id)
        .join(Delivery, Delivery.broadcast_id == WebinarBroadcast.broadcast_id)
        .where(Delivery.endpoint_id == endpoint.id, WebinarSession.starts_at > now,
               WebinarSession.status == "scheduled")
        .order_by(Delivery.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def answer(session: Session, item: WebinarSession, endpoint: Endpoint, reply: str, now: datetime) -> dict[str, int]:
    existing = session.get(Rsvp, (item.id, endpoint.id))
    if existing is None:
        session.add(Rsvp(session_id=item.id, endpoint_id=endpoint.id, answer=reply, at=now))
    else:
        existing.answer, existing.at = reply, now
    session.flush()
    return rsvp_counts(session, item.id)


def zones_reached(session: Session, broadcast_ids: list[int], statuses: tuple[str, ...]) -> list[str]:
    return sorted(session.scalars(
        select(Subscriber.timezone).join(Endpoint, Endpoint.subscriber_id == Subscriber.id)
        .join(Delivery, Delivery.endpoint_id == Endpoint.id)
        .where(Delivery.broadcast_id.in_(broadcast_ids), Delivery.status.in_(statuses)).distinct()))


def in_zone(zone: str):
    return Delivery.endpoint_id.in_(select(Endpoint.id).join(Subscriber, Endpoint.subscriber_id == Subscriber.id)
                                    .where(Subscriber.timezone == zone))


def already_fired(session: Session, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(session.scalars(select(Firing.key).where(Firing.key.in_(keys))))


KIND = BroadcastKind.webinar.value
