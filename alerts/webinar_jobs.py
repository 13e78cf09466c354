"""Sending what a webinar session owes (its notice, its reminders) and its corrections.

Like the crisis events: one `alert_firings` row per session and offset, written with the broadcast, so
nothing goes out twice (not after a restart, not on the autumn night when 02:30 happens twice, not with
two schedulers). A reminder more than the grace time late, or overtaken by a later one, or due after
the session began, is recorded as missed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sqlalchemy import select

from alerts import texts
from alerts.localized import plan_per_zone
from alerts.models import Firing, WebinarBroadcast, WebinarSeries, WebinarSession
from alerts.sending import REACHED, Sender, cancel_unsent, follow_up
from alerts.webinars import KIND, Event, WebinarError, get_session, in_zone, local_to_utc, told, zones_reached
from relay import audit
from relay import Delivery
from relay import Audience, BroadcastRequest


def skip_reason(event: Event, owed: list[Event], fired: set[str], now: datetime, grace: timedelta) -> str | None:
    if now >= event.starts_at:
        return "the session had already begun"
    if event.kind == "reminder":
        later = [e for e in owed if e.kind == "reminder" and event.due_at < e.due_at <= now and e.key not in fired]
        if later:
            return "a later reminder was due by then"
        if now - event.due_at > grace:
            return "it was later than the grace time"
    return None


def _audience(series: WebinarSeries) -> Audience:
    fields = {k: tuple(v) for k, v in (series.audience or {}).items() if k in ("regions", "topics", "tiers", "languages")}
    return Audience(**fields)


def fire(sender: Sender, session: Session, series: WebinarSeries, item: WebinarSession, event: Event,
         reason: str | None, now: datetime, *, ics_link: bool = False) -> Firing:
    firing = Firing(key=event.key, due_at=event.due_at, fired_at=now, outcome="missed" if reason else "sent",
                    broadcast_ids=[])
    session.add(firing)
    session.flush()
    if reason:
        return firing
    template = "webinar_notice" if event.kind == "notice" else "webinar_reminder"
    public_url = sender.settings.public_url

    calendar = f" {public_url}/webinars/{series.ics_token}/{item.id}.ics" if ics_link and event.kind == "notice" else ""

    def render(language: str, zone: str) -> str | None:
        text = texts.render(template, language, topic=series.topic, link=series.join_link,
                            when=texts.when(item.starts_at, language, zone))
        return text + calendar if text is not None else None

    base = BroadcastRequest(kind=KIND, body="-", source_language="en", sender=f"webinar:{series.id}",
                            audience=_audience(series))
    planned = plan_per_zone(sender, session, base, render, actor="alerts.scheduler")
    firing.broadcast_ids = [p.id for p in planned]
    for p in planned:
        session.add(WebinarBroadcast(broadcast_id=p.id, session_id=item.id, purpose=event.kind))
    return firing


def _correct(sender: Sender, session: Session, series: WebinarSeries, item: WebinarSession, template: str,
             values: dict, actor: str, now: datetime) -> tuple[list[int], int, int]:
    """Stop what was not yet sent about this session; tell those it reached. Returns (broadcasts,
    deliveries, stopped)."""
    originals = told(session, item.id)
    if not originals:
        return [], 0, 0
    reached_zones = zones_reached(session, originals, REACHED)
    stopped = cancel_unsent(session, originals, actor=actor)
    made, total = [], 0
    for zone in reached_zones:
        languages = sorted(session.scalars(select(Delivery.language).where(
            Delivery.broadcast_id.in_(originals), Delivery.status.in_(REACHED), in_zone(zone)).distinct()))
        human = {lang: t for lang in set(languages) | {"en"}
                 if (t := texts.render(template, lang, **{k: (v(lang, zone) if callable(v) else v)
                                                           for k, v in values.items()}))}
        chosen = sender.texts(session, human["en"], "en", languages, {k: v for k, v in human.items() if k != "en"})
        broadcast_id, count = follow_up(session, originals, chosen, statuses=REACHED, actor=actor,
                                        source_language="en", endpoint_filter=in_zone(zone), now=now)
        session.add(WebinarBroadcast(broadcast_id=broadcast_id, session_id=item.id, purpose="correction"))
        made.append(broadcast_id)
        total += count
    return made, total, stopped


def cancel(sender: Sender, session: Session, session_id: int, *, actor: str, now: datetime) -> tuple[list[int], int, int]:
    item = get_session(session, session_id)
    if item.status == "cancelled":
        raise WebinarError(f"webinar session {session_id} is already cancelled")
    series = session.get(WebinarSeries, item.series_id)
    item.status = "cancelled"
    result = _correct(sender, session, series, item, "webinar_cancelled",
                      {"topic": series.topic, "when": lambda lang, zone: texts.when(item.starts_at, lang, zone)},
                      actor, now)
    audit.record(session, actor, "webinar.cancel", f"webinar_session:{session_id}", corrections=result[0],
                 deliveries=result[1])
    return result


def move(sender: Sender, session: Session, session_id: int, new_local_start: datetime, *, actor: str,
         now: datetime) -> tuple[list[int], int, int]:
    item = get_session(session, session_id)
    if item.status != "scheduled":
        raise WebinarError(f"webinar session {session_id} is {item.status}; only a scheduled session can move")
    series = session.get(WebinarSeries, item.series_id)
    old = item.starts_at
    new = local_to_utc(new_local_start, series.timezone)
    if new <= now:
        raise WebinarError(f"the new time {new_local_start.isoformat()} ({series.timezone}) is in the past")
    item.starts_at = new
    result = _correct(sender, session, series, item, "webinar_moved",
                      {"topic": series.topic, "link": series.join_link,
                       "old": lambda lang, zone: texts.when(old, lang, zone),
                       "when": lambda lang, zone: texts.when(new, lang, zone)}, actor, now)
    audit.record(session, actor, "webinar.move", f"webinar_session:{session_id}", old=old.isoformat(),
                 new=new.isoformat(), corrections=result[0], deliveries=result[1])
    return result

