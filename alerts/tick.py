"""One pass of the scheduler over everything alerts/ owes at `now`: crisis events, webinar notices and
reminders, crisis timelines' broadcasts and figures. Deterministic for a given `now` and database, so
the scheduler calls it with the real clock and tests call it with any clock they like.

Each event runs in its own transaction with its once-only row; an event another process fired first
fails on that row's key and is skipped here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from alerts import crisis as crises
from alerts import crisis_jobs, webinar_jobs, webinars
from alerts.config import AlertsSettings
from alerts.models import Crisis, CrisisBroadcast, Firing, WebinarSeries, WebinarSession
from alerts.sending import Sender

log = logging.getLogger("alerts.tick")


@dataclass
class TickResult:
    sent: list[str] = field(default_factory=list)  # event keys, in the order they fired
    missed: list[str] = field(default_factory=list)
    lost_races: int = 0  # events another process fired first
    failed: list[str] = field(default_factory=list)  # events that raised (rolled back, retried next tick)


def _fired(session, keys: list[str]) -> set[str]:
    return set(session.scalars(select(Firing.key).where(Firing.key.in_(keys)))) if keys else set()


def run_due(sender: Sender, cfg: AlertsSettings, now: datetime) -> TickResult:
    result = TickResult()
    grace = cfg.scheduler.grace_time()
    sessions = sender.sessions
    with sessions() as session:
        crisis_ids = [c.id for c in crises.active(session)]
    for crisis_id in crisis_ids:
        _crisis(sender, cfg, crisis_id, now, grace, result)
    with sessions() as session:
        with_links = set(session.scalars(select(CrisisBroadcast.crisis_id).where(
            CrisisBroadcast.figures_recorded.is_(False))))
    for crisis_id in sorted(set(crisis_ids) | with_links):
        with sessions.begin() as session:
            item = session.get(Crisis, crisis_id)
            if item.status == "active":
                crisis_jobs.link_broadcasts(session, item, now)
                crisis_jobs.record_flags(session, item, now)
            crisis_jobs.record_figures(session, item, now)
    with sessions.begin() as session:
        for series in session.scalars(select(WebinarSeries).where(WebinarSeries.status == "active")):
            webinars.layout(session, series, cfg, now)
    with sessions() as session:
        session_ids = [s.id for s in webinars.upcoming(session, now)]
    for session_id in session_ids:
        _webinar(sender, cfg, session_id, now, grace, result)
    return result


def _crisis(sender: Sender, cfg: AlertsSettings, crisis_id: int, now: datetime, grace, result: TickResult) -> None:
    sessions = sender.sessions
    with sessions() as session:
        owed = crises.events(session.get(Crisis, crisis_id), cfg)
        fired = _fired(session, [e.key for e in owed])
    for event in owed:
        if event.due_at > now or event.key in fired:
            continue
        try:
            with sessions.begin() as session:
                item = session.get(Crisis, crisis_id)
                if event not in crises.events(item, cfg):  # done or closed since we looked
                    continue
                reason = crisis_jobs.skip_reason(event, owed, fired, now, grace)
                crisis_jobs.fire(sender, session, cfg, item, event, reason, now)
        except IntegrityError:
            result.lost_races += 1
            continue
        except Exception:  # one broken event must not starve the others; it is retried next tick
            log.exception("alerts event %s failed; retried at the next tick", event.key)
            result.failed.append(event.key)
            continue
        fired.add(event.key)
        (result.missed if reason else result.sent).append(event.key)


def _webinar(sender: Sender, cfg: AlertsSettings, session_id: int, now: datetime, grace, result: TickResult) -> None:
    sessions = sender.sessions
    with sessions() as session:
        item = session.get(WebinarSession, session_id)
        owed = webinars.events(session.get(WebinarSeries, item.series_id), item, cfg)
        fired = _fired(session, [e.key for e in owed])
    for event in owed:
        if event.due_at > now or event.key in fired:
            continue
        try:
            with sessions.begin() as session:
                item = session.get(WebinarSession, session_id)
                series = session.get(WebinarSeries, item.series_id)
                if event not in webinars.events(series, item, cfg):
                    continue
                reason = webinar_jobs.skip_reason(event, owed, fired, now, grace)
                webinar_jobs.fire(sender, session, series, item, event, reason, now)
        except IntegrityError:
            result.lost_races += 1
            continue
        except Exception:  # one broken event must not starve the others; it is retried next tick
            log.exception("alerts event %s failed; retried at the next tick", event.key)
            result.failed.append(event.key)
            continue
        fired.add(event.key)
        (result.missed if reason else result.sent).append(event.key)
