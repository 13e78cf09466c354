"""One pass over the scheduled broadcasts at `now`: each zone that is due is planned through the
outbox (the same path as `relay broadcast send`), in one transaction with its `scheduled_sends` row, so
it is committed once or not at all. Deterministic for a given `now`: the service calls it with its
clock, tests with theirs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from relay.core import audit, hooks
from relay.core.channels import planned_senders
from relay.core.models import Delivery
from relay.delivery import outbox
from relay.delivery.translation_hooks import approval_policy, session_translator, untranslated_note
from relay.schedules import schedule as schedules
from relay.schedules.models import ScheduledBroadcast, ScheduledSend
from relay.schedules.settings import schedule_settings

log = logging.getLogger("relay.schedules")


@dataclass
class RunResult:
    sent: list[tuple[int, str, int]] = field(default_factory=list)  # (schedule, zone, broadcast id)
    missed: list[tuple[int, str]] = field(default_factory=list)
    lost_races: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


def _not_twice(session: Session, schedule_id: int, broadcast_id: int) -> int:
    """A person who moved to another zone after this schedule reached them is not reached again."""
    earlier = select(ScheduledSend.broadcast_id).where(ScheduledSend.schedule_id == schedule_id,
                                                       ScheduledSend.broadcast_id != broadcast_id)
    reached = select(Delivery.endpoint_id).where(Delivery.broadcast_id.in_(earlier))
    session.execute(delete(Delivery).where(Delivery.broadcast_id == broadcast_id, Delivery.endpoint_id.in_(reached))
                    .execution_options(synchronize_session=False))
    return int(session.scalar(select(func.count()).where(Delivery.broadcast_id == broadcast_id)) or 0)


def _fire(session: Session, settings, schedule: ScheduledBroadcast, zone: str, due: datetime, now: datetime,
          missed: bool, translate: bool) -> ScheduledSend:
    row = ScheduledSend(schedule_id=schedule.id, zone=zone, due_at=due, fired_at=now,
                        outcome="missed" if missed else "sent")
    session.add(row)
    session.flush()  # the once-only key: a second runner fails here, before planning anything
    if missed:
        audit.record(session, "relay.schedules", "schedule.missed", f"schedule:{schedule.id}", zone=zone,
                     due=due.isoformat())
        return row
    planned = outbox.plan_broadcast(
        None, schedules.request_of(schedule, zone), senders=planned_senders(settings),
        machine=session_translator(settings, session) if translate else None, note=untranslated_note,
        approval=approval_policy(settings), actor=f"schedule:{schedule.id}", session=session,
        stamp=hooks.stamper(settings), now=now)
    row.broadcast_id = planned.id
    session.flush()
    row.deliveries = _not_twice(session, schedule.id, planned.id)
    return row


def run_due(sessions: sessionmaker[Session], settings, now: datetime, *, translate: bool = True) -> RunResult:
    result = RunResult()
    grace = schedule_settings(settings).grace()
    channels = sorted(planned_senders(settings))
    with sessions() as session:
        open_ids = list(session.scalars(select(ScheduledBroadcast.id).where(ScheduledBroadcast.status == schedules.OPEN)
                                        .order_by(ScheduledBroadcast.id)))
    for schedule_id in open_ids:
        with sessions() as session:
            schedule = session.get(ScheduledBroadcast, schedule_id)
            done = schedules.sends(session, schedule_id)
            owed = [(z, schedules.due_in(schedule, z)) for z in schedules.zones_owed(session, schedule, channels)
                    if z not in done]
        for zone, due in sorted(owed, key=lambda pair: pair[1]):
            if due > now:
                continue
            try:
                with sessions.begin() as session:
                    schedule = session.get(ScheduledBroadcast, schedule_id)
                    if schedule.status != schedules.OPEN:  # cancelled since we looked
                        break
                    row = _fire(session, settings, schedule, zone, due, now, now - due > grace, translate)
            except IntegrityError:
                result.lost_races += 1
                continue
            except Exception:  # one broken schedule must not starve the others; retried next pass
                log.exception("scheduled broadcast %s (%s) failed; retried at the next pass", schedule_id, zone)
                result.failed.append((schedule_id, zone))
                continue
            if row.outcome == "missed":
                result.missed.append((schedule_id, zone))
            else:
                result.sent.append((schedule_id, zone, row.broadcast_id))
        with sessions.begin() as session:
            schedule = session.get(ScheduledBroadcast, schedule_id)
            if schedule.status == schedules.OPEN and schedules.past_everywhere(schedule, now):
                remaining = [z for z in schedules.zones_owed(session, schedule, channels)
                             if z not in schedules.sends(session, schedule_id)]
                if not remaining:
                    schedule.status = "sent"
    return result
