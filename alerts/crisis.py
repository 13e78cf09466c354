"""The crisis activation protocol: three promises with deadlines (coordinated response +24 h,
assessment team on site +72 h, action plan published +7 d), reminders to the responsible people before
each deadline, escalation to the next level (party -> movement -> network) when one passes unmet, and a
hash-chained timeline of everything decided and done.

What is due is computed from the rows (activation time, deadlines, what is done) and a clock passed in,
never from timers in memory: the scheduler asks `due_events(now)`, a test passes any `now` it likes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import timeline
from alerts.config import LEVELS, MILESTONES, AlertsSettings, parse_duration
from alerts.models import Crisis, Milestone
from relay import audit, permissions, required
from relay import CAP_SEVERITY


class CrisisError(ValueError):
    """A crisis request that cannot be done; the message says why."""


@dataclass(frozen=True)
class Event:
    """Something the protocol owes at `due_at`: one key per event, fired once (alert_firings)."""

    key: str
    due_at: datetime
    kind: str  # activated | reminder | escalation
    crisis_id: int
    milestone: str | None = None
    level: str = LEVELS[0]
    deadline: datetime | None = None


def activate(session: Session, cfg: AlertsSettings, *, title: str, region: str, severity: str, actor: str,
             tier: str, now: datetime) -> Crisis:
    permissions.check(session, actor=actor, tier=tier, action="crisis.activate", subject=f"region:{region}")
    title, region = title.strip(), region.strip()
    if not title or not region:
        raise CrisisError("a crisis needs a title and a region")
    matched = [s for s in CAP_SEVERITY if s.lower() == severity.strip().lower()]
    if not matched:
        raise CrisisError(f"severity {severity!r}: expected one of {', '.join(CAP_SEVERITY)}")
    crisis = Crisis(title=title, region=region, severity=matched[0], status="active", activated_at=now,
                    activated_by=actor)
    for key in MILESTONES:
        crisis.milestones.append(Milestone(key=key, due_at=now + cfg.crisis.deadline(key)))
    session.add(crisis)
    session.flush()
    deadlines = {m.key: m.due_at.isoformat(timespec="minutes") for m in crisis.milestones}
    timeline.append(session, crisis.id, "activated", f"Crisis activated: {title} ({region}, {crisis.severity})",
                    actor=actor, at=now, deadlines=deadlines, contacts=cfg.crisis.contacts)
    audit.record(session, actor, "crisis.activate", f"crisis:{crisis.id}", region=region, severity=crisis.severity)
    return crisis


def get(session: Session, crisis_id: int) -> Crisis:
    return required(session.get(Crisis, crisis_id), CrisisError(f"no crisis {crisis_id}"))


def _open(session: Session, crisis_id: int) -> Crisis:
    crisis = get(session, crisis_id)
    if crisis.status != "active":
        raise CrisisError(f"crisis {crisis_id} is closed")
    return crisis


def done(session: Session, crisis_id: int, milestone: str, *, actor: str, tier: str, now: datetime) -> Milestone:
    permissions.check(session, actor=actor, tier=tier, action="crisis.activate", subject=f"crisis:{crisis_id}")
    crisis = _open(session, crisis_id)
    key = milestone.strip().lower().replace("-", "_")
    found = next((m for m in crisis.milestones if m.key == key), None)
    if found is None:
        raise CrisisError(f"milestone {milestone!r}: expected one of {', '.join(MILESTONES)}")
    if found.done_at is not None:
        raise CrisisError(f"crisis {crisis_id}: {key} was already marked done at {found.done_at.isoformat()}")
    found.done_at, found.done_by = now, actor
    late = now - found.due_at
    outcome = "on time" if late <= timedelta(0) else f"{_hours(late)} late"
    timeline.append(session, crisis_id, "milestone.done", f"Milestone {key} done ({outcome})", actor=actor, at=now,
                    milestone=key, due_at=found.due_at.isoformat(), on_time=late <= timedelta(0))
    audit.record(session, actor, "crisis.done", f"crisis:{crisis_id}", milestone=key)
    return found


def note(session: Session, crisis_id: int, text: str, *, actor: str, tier: str, now: datetime) -> None:
    permissions.check(session, actor=actor, tier=tier, action="crisis.activate", subject=f"crisis:{crisis_id}")
    get(session, crisis_id)  # notes may still be added after closing: the after-action review
    if not text.strip():
        raise CrisisError("the note is empty")
    timeline.append(session, crisis_id, "note", text.strip(), actor=actor, at=now)


def close(session: Session, crisis_id: int, *, actor: str, tier: str, now: datetime) -> Crisis:
    permissions.check(session, actor=actor, tier=tier, action="crisis.activate", subject=f"crisis:{crisis_id}")
    crisis = _open(session, crisis_id)
    crisis.status, crisis.closed_at = "closed", now
    unmet = [m.key for m in crisis.milestones if m.done_at is None]
    timeline.append(session, crisis_id, "closed", "Crisis closed; its reminders stop"
                    + (f" (not done: {', '.join(unmet)})" if unmet else ""), actor=actor, at=now, unmet=unmet)
    audit.record(session, actor, "crisis.close", f"crisis:{crisis_id}")
    return crisis


def active(session: Session) -> list[Crisis]:
    return list(session.scalars(select(Crisis).where(Crisis.status == "active").order_by(Crisis.id)))


def events(crisis: Crisis, cfg: AlertsSettings) -> list[Event]:
    """Everything this crisis owes, in time order; nothing once closed, nothing for a milestone done."""
    if crisis.status != "active":
        return []
    owed = [Event(f"crisis:{crisis.id}:activated", crisis.activated_at, "activated", crisis.id)]
    every = parse_duration(cfg.crisis.escalate_every)
    for m in crisis.milestones:
        if m.done_at is not None:
            continue
        for offset in cfg.crisis.reminder_offsets():
            at = m.due_at - offset
            if at > crisis.activated_at:
                owed.append(Event(f"crisis:{crisis.id}:{m.key}:remind:{int(offset.total_seconds())}", at, "reminder",
                                  crisis.id, m.key, LEVELS[0], m.due_at))
        for index, level in enumerate(LEVELS[1:]):
            owed.append(Event(f"crisis:{crisis.id}:{m.key}:escalate:{level}", m.due_at + index * every, "escalation",
                              crisis.id, m.key, level, m.due_at))
    return sorted(owed, key=lambda e: (e.due_at, e.key))


def _hours(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"
