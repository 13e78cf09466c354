"""One pass of the scheduler over everything alerts/ owes at `now`: crisis events, webinar notices and
reminders, crisis timelines' broadcasts and figures. Deterministic for a given `now` and database, so
the scheduler calls it with the real clock and tests call it with any clock they like.

Each event runs in its own transaction with its once-only row; an event another process fired first
fails on that row's key and is skipped here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from alerts import crisis as crises
from alerts import crisis_jobs, webinar_jobs, webinars
from alerts.config import AlertsSettings
from alerts.models import Crisis, Firing, WebinarSeries, WebinarSession
from alerts.sending import Sender

log = logging.getLogger("alerts.tick")


@dataclass
class TickResult:
    sent: list[str] = field(default_factory=list)  # event keys, in the order they fired
    missed: list[str] = field(default_factory=list)
    lost_races: int = 0  # events another process fired first
    failed: list[str] = field(default_factory=list)  # events that raised (rolled back, retried next tick)


def _fired(session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        found.update(session.scalars(select(Firing.key).where(Firing.key.in_(keys[i:i + 500]))))
    return found


LAYOUT_EVERY = timedelta(hours=1)  # sessions are laid out weeks ahead: once an hour is plenty


def run_due(sender: Sender, cfg: AlertsSettings, now: datetime) -> TickResult:
    result = TickResult()
    grace = cfg.scheduler.grace_time()
    sessions = sender.sessions
    with sessions() as session:
        active = list(session.scalars(select(Crisis).where(Crisis.status == "active")
                                      .options(selectinload(Crisis.milestones)).order_by(Crisis.id)))
        owed = {c.id: crises.events(c, cfg) for c in active}
        fired = _fired(session, [e.key for events in owed.values() for e in events if e.due_at <= now])
    for crisis_id, events in owed.items():
        if any(e.due_at <= now and e.key not in fired for e in events):
            _crisis(sender, cfg, crisis_id, events, fired, now, grace, result)
    marks = dict(sender.marks)
    with sessions.begin() as session:
        touched = list(session.scalars(select(Crisis).where(Crisis.status == "active")))
        crisis_jobs.housekeeping(session, touched, marks, now)
    sender.marks.update(marks)  # only once what they cover is committed
    last = sender.marks.get("layout_at")
    if last is None or now - last >= LAYOUT_EVERY or now < last:
        with sessions.begin() as session:
            for series in session.scalars(select(WebinarSeries).where(WebinarSeries.status == "active")):
                webinars.layout(session, series, cfg, now)
        sender.marks["layout_at"] = now
    with sessions() as session:
        rows = session.execute(select(WebinarSession, WebinarSeries)
                               .join(WebinarSeries, WebinarSeries.id == WebinarSession.series_id)
                               .where(WebinarSession.starts_at > now, WebinarSession.status == "scheduled",
                                      WebinarSeries.status == "active")).all()
        owed_sessions = {item.id: webinars.events(series, item, cfg) for item, series in rows}
        fired = _fired(session, [e.key for events in owed_sessions.values() for e in events if e.due_at <= now])
    for session_id, events in owed_sessions.items():
        if any(e.due_at <= now and e.key not in fired for e in events):
            _webinar(sender, cfg, session_id, events, fired, now, grace, result)
    return result


# Fires one owed event inside the given transaction: (True, why it was missed or None if sent), or
# (False, None) when the event is no longer owed (done or closed since we looked).
FireOne = Callable[[Session, Any], tuple[bool, str | None]]


def _fire_due(sender: Sender, owed, fired: set[str], now: datetime, result: TickResult, fire: FireOne) -> None:
    """Each due event not fired yet, in its own transaction: a race lost to another process (the unique
    firing key) or one broken event must not starve the others; a failed one is retried next tick."""
    for event in owed:
        if event.due_at > now or event.key in fired:
            continue
        try:
            with sender.sessions.begin() as session:
                done, reason = fire(session, event)
                if not done:
                    continue
        except IntegrityError:
            result.lost_races += 1
            continue
        except Exception:
            log.exception("alerts event %s failed; retried at the next tick", event.key)
            result.failed.append(event.key)
            continue
        fired.add(event.key)
        (result.missed if reason else result.sent).append(event.key)


def _crisis(sender: Sender, cfg: AlertsSettings, crisis_id: int, owed, fired: set[str], now: datetime, grace,
            result: TickResult) -> None:
    def fire(session: Session, event) -> tuple[bool, str | None]:
        item = session.get(Crisis, crisis_id)
        if event not in crises.events(item, cfg):  # done or closed since we looked
            return False, None
        reason = crisis_jobs.skip_reason(event, owed, fired, now, grace)
        crisis_jobs.fire(sender, session, cfg, item, event, reason, now)
        return True, reason

    _fire_due(sender, owed, fired, now, result, fire)


def _webinar(sender: Sender, cfg: AlertsSettings, session_id: int, owed, fired: set[str], now: datetime, grace,
             result: TickResult) -> None:
    def fire(session: Session, event) -> tuple[bool, str | None]:
        item = session.get(WebinarSession, session_id)
        series = session.get(WebinarSeries, item.series_id)
        if event not in webinars.events(series, item, cfg):
            return False, None
        reason = webinar_jobs.skip_reason(event, owed, fired, now, grace)
        webinar_jobs.fire(sender, session, series, item, event, reason, now, ics_link=cfg.webinars.ics_link)
        return True, reason

    _fire_due(sender, owed, fired, now, result, fire)
