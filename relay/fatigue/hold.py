"""The plan hook (relay/delivery/outbox.py) that keeps non-urgent messages out of people's nights and
their days from filling up, inside the broadcast's own transaction:

- the daily cap: a person who already had `daily_cap` non-crisis broadcasts in the last 24 hours does
  not get this one (their rows are cancelled with the reason, so `relay broadcast status` says why);
- quiet hours: a row whose person is inside their quiet hours (their own, else the configured default,
  in their own time zone) gets a not-before time, the end of those hours; the dispatcher claims only
  due rows, so it simply goes then. Crisis broadcasts of the override severities go at once.

Set-based: one UPDATE per (time zone, personal window) pair, however large the audience.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Sequence

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from relay.core import audit
from relay.core.db import settings_of
from relay.core.models import Broadcast, BroadcastKind, Delivery, DeliveryStatus, Endpoint, Subscriber
from relay.fatigue.models import FatiguePreference
from relay.fatigue.quiet import FatigueError, parse_window, release_at
from relay.fatigue.settings import FatigueSettings, fatigue_settings

log = logging.getLogger("relay.fatigue")

WAITING = (DeliveryStatus.pending.value, DeliveryStatus.held.value)
NON_CRISIS = (BroadcastKind.webinar.value, BroadcastKind.notice.value)
CAP_WINDOW = timedelta(hours=24)


def overrides(cfg: FatigueSettings, kind: str, severity: str) -> bool:
    """Whether quiet hours do not apply: crisis broadcasts of the override severities (Extreme, Severe)."""
    return kind == BroadcastKind.crisis.value and severity in cfg.override_severities


def _person_filter(zone: str, personal: str | None):
    """Endpoints of people in `zone` whose own quiet-hours setting is `personal` (None: the default)."""
    chosen = (FatiguePreference.quiet_hours.is_(None) if personal is None
              else FatiguePreference.quiet_hours == personal)
    return (select(Endpoint.id).join(Subscriber, Subscriber.id == Endpoint.subscriber_id)
            .outerjoin(FatiguePreference, FatiguePreference.subscriber_id == Subscriber.id)
            .where(Subscriber.timezone == zone, chosen))


def group_release(cfg: FatigueSettings, zone: str, personal: str | None, now: datetime) -> datetime | None:
    """When people of one (zone, personal window) group may get a message planned at `now`."""
    try:
        window = parse_window(personal) if personal is not None else cfg.window()
        return release_at(now, zone, window)
    except (FatigueError, ValueError, KeyError):  # a stored zone or window no longer valid: do not hold
        log.warning("quiet hours: cannot read zone %r / window %r; not holding", zone, personal)
        return None


@dataclass(frozen=True)
class Held:
    waiting: int = 0
    last_release: datetime | None = None
    capped: int = 0


def apply_cap(session: Session, broadcast: Broadcast, cfg: FatigueSettings, now: datetime) -> int:
    if not cfg.daily_cap or broadcast.kind not in NON_CRISIS:
        return 0
    earlier = (
        select(Endpoint.subscriber_id)
        .select_from(Delivery)
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(Broadcast.kind.in_(NON_CRISIS), Broadcast.id != broadcast.id, Broadcast.created_at > now - CAP_WINDOW,
               Broadcast.created_at <= now, Delivery.status != DeliveryStatus.cancelled.value)
        .group_by(Endpoint.subscriber_id)
        .having(func.count(func.distinct(Delivery.broadcast_id)) >= cfg.daily_cap)
    )
    over = select(Endpoint.id).where(Endpoint.subscriber_id.in_(earlier))
    return session.execute(
        update(Delivery)
        .where(Delivery.broadcast_id == broadcast.id, Delivery.status.in_(WAITING), Delivery.endpoint_id.in_(over))
        .values(status=DeliveryStatus.cancelled.value, finished_at=now,
                last_error=f"daily cap: this person had {cfg.daily_cap} non-crisis messages in 24 h")
        .execution_options(synchronize_session=False)
    ).rowcount or 0


def apply_quiet_hours(session: Session, broadcast: Broadcast, cfg: FatigueSettings, now: datetime) -> tuple[int, datetime | None]:
    if overrides(cfg, broadcast.kind, broadcast.severity) or broadcast.kind == BroadcastKind.correction.value:
        return 0, None
    groups = session.execute(
        select(Subscriber.timezone, FatiguePreference.quiet_hours)
        .select_from(Delivery)
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .join(Subscriber, Subscriber.id == Endpoint.subscriber_id)
        .outerjoin(FatiguePreference, FatiguePreference.subscriber_id == Subscriber.id)
        .where(Delivery.broadcast_id == broadcast.id, Delivery.status.in_(WAITING))
        .group_by(Subscriber.timezone, FatiguePreference.quiet_hours)
    ).all()
    waiting, last = 0, None
    for zone, personal in groups:
        release = group_release(cfg, zone, personal, now)
        if release is None:
            continue
        waiting += session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id == broadcast.id, Delivery.status.in_(WAITING),
                   Delivery.endpoint_id.in_(_person_filter(zone, personal)))
            .values(next_attempt_at=release)
            .execution_options(synchronize_session=False)
        ).rowcount or 0
        last = release if last is None or release > last else last
    return waiting, last


def on_planned(session: Session, broadcast: Broadcast, request, senders: Mapping[str, Sequence[str]],
               now: datetime) -> None:
    """Plan hook: the cap first (a capped row need not wait), then quiet hours."""
    cfg = fatigue_settings(settings_of(session))
    capped = apply_cap(session, broadcast, cfg, now)
    waiting, last = apply_quiet_hours(session, broadcast, cfg, now)
    if capped or waiting:
        audit.record(session, "relay.fatigue", "broadcast.fatigue", f"broadcast:{broadcast.id}", capped=capped,
                     quiet_hours_waiting=waiting, last_release=last.isoformat() if last else None)


def preview(session: Session, request, audience_filter, settings, now: datetime) -> dict:
    """For the broadcast preview: how many deliveries would wait for quiet hours, and when the last goes."""
    cfg = fatigue_settings(settings)
    if overrides(cfg, request.kind, request.severity):
        return {"waiting": 0, "last_release": None}
    groups = session.execute(
        select(Subscriber.timezone, FatiguePreference.quiet_hours, func.count())
        .select_from(Endpoint)
        .join(Subscriber, Endpoint.subscriber_id == Subscriber.id)
        .outerjoin(FatiguePreference, FatiguePreference.subscriber_id == Subscriber.id)
        .where(and_(audience_filter))
        .group_by(Subscriber.timezone, FatiguePreference.quiet_hours)
    ).all()
    waiting, last = 0, None
    for zone, personal, count in groups:
        release = group_release(cfg, zone, personal, now)
        if release is not None:
            waiting += int(count)
            last = release if last is None or release > last else last
    return {"waiting": waiting, "last_release": last.isoformat() if last else None}
