"""Firing what a crisis owes: the activation notice to the first level, reminders before each deadline,
escalations after it; then the crisis's broadcasts and their delivery figures onto its timeline.

Each event is fired at most once: its key goes into `alert_firings` in the same transaction as the
broadcast it plans, so a second scheduler process or a restart finds it there. A reminder that could
not go out in time (the relay was down past its grace, or its deadline already passed) is recorded as
missed, not sent late; an escalation always goes out, however late.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import texts, timeline
from alerts.config import AlertsSettings
from alerts.crisis import Event
from alerts.localized import plan_per_zone
from alerts.models import Crisis, CrisisBroadcast, Firing
from alerts.sending import Sender
from channels.registry import names as channel_names
from relay import reach
from relay import subscribers
from relay import Broadcast, BroadcastKind
from relay import Audience, BroadcastRequest


def contact_endpoints(session: Session, cfg: AlertsSettings, level: str,
                      milestone: str | None = None) -> tuple[list[int], list[str]]:
    """The endpoint ids of the responsible people at `level` (for `milestone`, when it has its own), and
    the contacts that are no subscriber."""
    found, missing = [], []
    for contact in cfg.crisis.responsible(level, milestone):
        channel, sep, address = contact.partition(":")
        if not sep or channel not in channel_names():
            channel, address = "sms", contact  # a bare phone number
        endpoint = subscribers.find_endpoint(session, channel, address.strip())
        if endpoint is None:
            missing.append(contact)
        else:
            found.append(endpoint.id)
    return found, missing


def skip_reason(event: Event, owed: list[Event], fired: set[str], now: datetime, grace: timedelta) -> str | None:
    """Why a due reminder is not sent now (None: send it)."""
    if event.kind != "reminder":
        return None
    if event.deadline is not None and now >= event.deadline:
        return "its deadline had already passed"
    later = [e for e in owed if e.kind == "reminder" and e.milestone == event.milestone and e.due_at > event.due_at
             and e.due_at <= now and e.key not in fired]
    if later:
        return "a later reminder was due by then"
    if now - event.due_at > grace:
        return f"it was {int((now - event.due_at).total_seconds() // 60)} min late, past the grace time"
    return None


def fire(sender: Sender, session: Session, cfg: AlertsSettings, crisis: Crisis, event: Event, reason: str | None,
         now: datetime) -> Firing:
    """Plan the event's broadcast (or record it missed) with its once-only row, in `session`."""
    firing = Firing(key=event.key, due_at=event.due_at, fired_at=now, outcome="missed" if reason else "sent",
                    broadcast_ids=[])
    session.add(firing)
    session.flush()  # a concurrent scheduler that fired it first makes this fail: nothing is sent twice
    what = {"activated": "activation notice", "reminder": "reminder", "escalation": "escalation"}[event.kind]
    if reason:
        timeline.append(session, crisis.id, f"{event.kind}.missed", f"{what.capitalize()} for {event.milestone} not "
                        f"sent: {reason}", actor="scheduler", at=now, key=event.key, due_at=event.due_at.isoformat())
        return firing
    endpoint_ids, missing = contact_endpoints(session, cfg, event.level, event.milestone)
    planned = []
    if endpoint_ids:
        base = BroadcastRequest(kind=BroadcastKind.crisis.value, body="-", source_language="en", sender="alerts",
                                severity=crisis.severity, audience=Audience(endpoint_ids=tuple(endpoint_ids)))
        planned = plan_per_zone(sender, session, base, lambda lang, zone: _text(crisis, event, lang, zone, cfg),
                                actor="alerts.scheduler")
    firing.broadcast_ids = [p.id for p in planned]
    for p in planned:
        session.add(CrisisBroadcast(broadcast_id=p.id, crisis_id=crisis.id, purpose=event.kind))
    reached = sum(p.deliveries for p in planned)
    target = f"level {event.level}"
    if event.kind == "activated":
        summary = f"Activation notice to {target}"
    elif event.kind == "reminder":
        summary = f"Reminder for {event.milestone} (due {event.deadline:%Y-%m-%d %H:%M} UTC) to {target}"
    else:
        summary = f"Deadline for {event.milestone} missed: escalated to {target}"
    timeline.append(session, crisis.id, f"{event.kind}.sent", f"{summary}: {reached} deliveries"
                    + (f"; not subscribers: {', '.join(missing)}" if missing else ""), actor="scheduler", at=now,
                    key=event.key, broadcasts=firing.broadcast_ids, deliveries=reached, missing_contacts=missing)
    return firing


def _text(crisis: Crisis, event: Event, language: str, zone: str, cfg: AlertsSettings) -> str | None:
    if event.kind == "activated":
        deadlines = "; ".join(f"{texts.milestone_name(m.key, language)} {texts.when(m.due_at, language, zone)}"
                              for m in crisis.milestones)
        return texts.render("crisis_activated", language, id=crisis.id, title=crisis.title, region=crisis.region,
                            severity=crisis.severity, deadlines=deadlines)
    assert event.milestone is not None and event.deadline is not None
    key = "crisis_reminder" if event.kind == "reminder" else "crisis_escalation"
    return texts.render(key, language, id=crisis.id, title=crisis.title, region=crisis.region,
                        milestone=texts.milestone_name(event.milestone, language),
                        when=texts.when(event.deadline, language, zone), level=event.level)


def housekeeping(session: Session, crises: list[Crisis], marks: dict, now: datetime) -> None:
    """The timeline's record of what happened around the protocol: crisis broadcasts to a crisis's
    region, misinformation flags from it, and each linked broadcast's figures once it is final.

    `marks` (per process) holds the last broadcast and flag ids looked at, so an idle tick reads only
    what is new; after a restart everything since the oldest activation is looked at once more, and the
    once-only keys keep the timeline free of repeats."""
    active = [c for c in crises if c.status == "active"]
    if active:
        link_broadcasts(session, active, marks, now)
        record_flags(session, active, marks, now)
    record_figures(session, now)


def link_broadcasts(session: Session, active: list[Crisis], marks: dict, now: datetime) -> int:
    """Crisis broadcasts to a crisis's region since its activation join its timeline."""
    since = min(c.activated_at for c in active)
    linked = select(CrisisBroadcast.broadcast_id)
    candidates = session.scalars(select(Broadcast).where(
        Broadcast.id > marks.get("broadcast", 0), Broadcast.created_at >= since,
        Broadcast.kind.in_([BroadcastKind.crisis.value, BroadcastKind.correction.value]),
        Broadcast.id.not_in(linked),
    ).order_by(Broadcast.id)).all()
    added = 0
    for broadcast in candidates:
        marks["broadcast"] = max(marks.get("broadcast", 0), broadcast.id)
        regions = (broadcast.audience or {}).get("regions", [])
        owner = next((c for c in active if c.region in regions and broadcast.created_at >= c.activated_at), None)
        if owner is None:
            continue
        session.add(CrisisBroadcast(broadcast_id=broadcast.id, crisis_id=owner.id, purpose="alert"))
        count = reach.report(session, broadcast.id).total
        timeline.append(session, owner.id, "broadcast.sent", f"Broadcast {broadcast.id} ({broadcast.kind}, "
                        f"{broadcast.severity}) by {broadcast.sender} to {count} recipients: {broadcast.body[:120]}",
                        actor=broadcast.sender, at=now, broadcast=broadcast.id, deliveries=count)
        added += 1
    return added


def record_figures(session: Session, now: datetime) -> int:
    """Once every delivery of a crisis broadcast is final, its figures go onto the timeline."""
    from sqlalchemy import exists

    from relay import FINAL_STATUSES, Delivery

    unfinished = exists().where(Delivery.broadcast_id == CrisisBroadcast.broadcast_id,
                                Delivery.status.not_in([s.value for s in FINAL_STATUSES]))
    recorded = 0
    for link in session.scalars(select(CrisisBroadcast).where(CrisisBroadcast.figures_recorded.is_(False), ~unfinished)):
        report = reach.report(session, link.broadcast_id)
        link.figures_recorded = True
        figures = ", ".join(f"{status} {n}" for status, n in sorted(report.by_status.items())) or "no recipients"
        timeline.append(session, link.crisis_id, "broadcast.figures", f"Broadcast {link.broadcast_id} "
                        f"({link.purpose}) final: {figures}", actor="scheduler", at=now, broadcast=link.broadcast_id,
                        by_status=json.loads(json.dumps(report.by_status)), by_channel=report.by_channel)
        recorded += 1
    return recorded


def record_flags(session: Session, active: list[Crisis], marks: dict, now: datetime) -> int:
    """Misinformation flags raised since activation on messages from a crisis's region join its
    timeline (once each: the flag's key goes into alert_firings). The region is the one of the person or
    the group the flagged message came from."""
    try:
        from relay import Flag, ScreenedMessage
    except ImportError:  # integrity not installed in this tree
        return 0
    from relay import Endpoint, SubscriberRegion

    rows = session.execute(
        select(Flag.id, Flag.state, Flag.status, Flag.created_at, ScreenedMessage.channel, ScreenedMessage.sender,
               ScreenedMessage.origin, ScreenedMessage.text, ScreenedMessage.score)
        .join(ScreenedMessage, ScreenedMessage.id == Flag.screening_id)
        .where(Flag.id > marks.get("flag", 0), Flag.created_at >= min(c.activated_at for c in active))
        .order_by(Flag.id)
    ).all()
    added = 0
    for flag_id, state, status, created_at, channel, sender, origin, text, score in rows:
        marks["flag"] = max(marks.get("flag", 0), flag_id)
        addresses = {sender, sender.partition(":")[2] or sender, origin}
        regions = set(session.scalars(
            select(SubscriberRegion.region).join(Endpoint, SubscriberRegion.subscriber_id == Endpoint.subscriber_id)
            .where(Endpoint.channel == channel, Endpoint.address.in_(list(addresses)))))
        for item in active:
            key = f"crisis:{item.id}:flag:{flag_id}"
            if item.region not in regions or created_at < item.activated_at or session.get(Firing, key) is not None:
                continue
            session.add(Firing(key=key, due_at=created_at, fired_at=now, outcome="sent", broadcast_ids=[]))
            timeline.append(session, item.id, "flag.raised", f"Flag {flag_id} ({state}, {status}, score {score:.2f}) "
                            f"on a message from {channel}:{sender}: {text[:120]}", actor="integrity", at=now,
                            flag=flag_id, state=state, status=status)
            added += 1
    return added
