"""The retention purge: what `[retention]` says may go, found (`plan`) and removed (`purge`).

Three kinds, each in batches of its own transactions (a purge of millions of rows never holds one
giant transaction, and a crash loses at most the batch in hand, which the next pass redoes):

- deliveries: final rows older than the cutoff are deleted and folded into per-broadcast tallies
  (relay/delivery/tallies.py), so every count a report shows stays the same;
- inbound bodies: old inbound messages keep their row (the provider id still makes a replay a
  duplicate) but lose the text, the reply, where it came from and who sent it;
- reports: closed citizen reports keep their reference, status, categories and times (the figures)
  but lose the text, the translation, the sender and the link to their endpoint; open ones are kept.

Nothing here touches the audit log or a crisis timeline: both are append-only and hash-checked, and
neither holds a message body or a recipient list, so `relay crisis verify` passes after any purge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from relay.core import audit
from relay.core.models import InboundMessage
from relay.delivery import tallies
from relay.privacy.settings import RetentionSettings
from relay.reports.models import OPEN_STATUSES, Report, TranslationOffer

PURGED = "(purged)"  # what an address or sender becomes; also marks the row as done
KINDS = ("deliveries", "inbound_bodies", "reports")
Progress = Callable[[str, int], None]


@dataclass
class Plan:
    now: datetime
    days: dict[str, int | None]
    cutoffs: dict[str, datetime | None]
    counts: dict[str, int] = field(default_factory=dict)  # rows each kind would purge now
    open_reports_kept: int = 0  # reports older than the cutoff kept because they are still open

    @property
    def enabled(self) -> bool:
        return any(cutoff is not None for cutoff in self.cutoffs.values())

    def as_json(self) -> dict:
        return {
            "enabled": self.enabled, "now": self.now.isoformat(),
            "kinds": {kind: {"days": self.days[kind],
                             "cutoff": self.cutoffs[kind].isoformat() if self.cutoffs[kind] else None,
                             "to_remove": self.counts.get(kind, 0)} for kind in KINDS},
            "open_reports_kept": self.open_reports_kept,
        }


def _inbound_due(cutoff: datetime):
    return (InboundMessage.received_at < cutoff, InboundMessage.sender != PURGED)


def _reports_due(cutoff: datetime):
    return (Report.created_at < cutoff, Report.sender != PURGED, Report.status.not_in(sorted(OPEN_STATUSES)))


def _count(session: Session, model, conditions) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


def plan(session: Session, cfg: RetentionSettings, now: datetime) -> Plan:
    cutoffs = cfg.cutoffs(now)
    result = Plan(now, {"deliveries": cfg.deliveries_days, "inbound_bodies": cfg.inbound_bodies_days,
                        "reports": cfg.reports_days}, cutoffs)
    if cutoffs["deliveries"] is not None:
        result.counts["deliveries"] = tallies.purgeable(session, cutoffs["deliveries"])
    if cutoffs["inbound_bodies"] is not None:
        result.counts["inbound_bodies"] = _count(session, InboundMessage, _inbound_due(cutoffs["inbound_bodies"]))
    if cutoffs["reports"] is not None:
        result.counts["reports"] = _count(session, Report, _reports_due(cutoffs["reports"]))
        result.open_reports_kept = _count(session, Report, (Report.created_at < cutoffs["reports"],
                                                            Report.status.in_(sorted(OPEN_STATUSES))))
    return result


def _blank_inbound(session: Session, cutoff: datetime, limit: int) -> int:
    ids = list(session.scalars(select(InboundMessage.id).where(*_inbound_due(cutoff)).order_by(InboundMessage.id)
                               .limit(limit)))
    if ids:
        session.execute(update(InboundMessage).where(InboundMessage.id.in_(ids))
                        .values(text="", reply=None, reply_to=None, sender=PURGED, recipient=PURGED)
                        .execution_options(synchronize_session=False))
    return len(ids)


def _blank_reports(session: Session, cutoff: datetime, limit: int) -> int:
    ids = list(session.scalars(select(Report.id).where(*_reports_due(cutoff)).order_by(Report.id).limit(limit)))
    if ids:
        session.execute(update(Report).where(Report.id.in_(ids))
                        .values(text="", english=None, sender=PURGED, endpoint_id=None, inbound_id=None)
                        .execution_options(synchronize_session=False))
        session.execute(update(TranslationOffer).where(TranslationOffer.report_id.in_(ids)).values(text=None)
                        .execution_options(synchronize_session=False))
    return len(ids)


STEPS: dict[str, Callable[[Session, datetime, int], int]] = {
    "deliveries": tallies.fold, "inbound_bodies": _blank_inbound, "reports": _blank_reports,
}


def purge(sessions: sessionmaker, cfg: RetentionSettings, now: datetime, *, actor: str,
          progress: Progress | None = None) -> dict[str, int]:
    """Remove what the policy says may go, batch by batch; returns rows purged per kind (audited)."""
    cutoffs = cfg.cutoffs(now)
    done = {kind: 0 for kind in KINDS}
    for kind in KINDS:
        cutoff = cutoffs[kind]
        if cutoff is None:
            continue
        while True:
            with sessions.begin() as session:
                n = STEPS[kind](session, cutoff, cfg.batch_size)
            done[kind] += n
            if progress is not None and n:
                progress(kind, n)
            if n < cfg.batch_size:
                break
    if any(done.values()):
        with sessions.begin() as session:
            audit.record(session, actor, "retention.purge", None, **done,
                         cutoffs={k: v.isoformat() for k, v in cutoffs.items() if v is not None})
    return done
