"""Region scoping: what of broadcasts, reports, crises and polls an actor may see or touch beyond their tier.

`permissions.check` answers "may this tier do this kind of thing"; this module answers "…to this one".
A person sees what concerns one of their regions. The rules, the same for the API, the CLI's `--as`
and the console:

- `regions.all` (coordinators, and the local operator of the CLI) sees everything.
- Anyone else sees an item whose place meets one of their regions; a region covers the regions under it
  ("north" covers "north/riverside"), as relay networks read them.
- A broadcast to everyone (no region, no named recipients) is everyone's business to see: any tier that
  may view broadcasts sees it. Its recipients' addresses are not: personal data (an unreached person's
  number or chat id, a report's sender) goes only to `subscribers.view`, except that a report's sender is
  revealed to the responders of the sender's own region (`report.handle` there).
- A follow-up (correction, approved text, alert correction) has its original's place; a broadcast to
  named people (escalations to relay nodes, notices to responder rooms, poll re-asks) has its
  recipients' regions, and none at all when they have none: then only `regions.all` sees it.

Out-of-scope single items are answered as if they did not exist (so ids of other regions cannot be
probed), and the attempt is written to the audit log (`scope.refused`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from sqlalchemy import exists, false, or_, select, true
from sqlalchemy.orm import Session

from relay.core import audit, permissions
from relay.core.models import Broadcast, Delivery, Endpoint, SubscriberRegion

FOLLOW_KEYS = ("correction_of", "follow_up_of")  # the audience of a follow-up names its original(s)
PLACELESS_KEYS = frozenset({"topics", "tiers", "languages", "timezones", "language"})  # no restriction of place
MAX_DEPTH = 8  # a correction of a correction of …: bounded, a cycle cannot loop


@dataclass(frozen=True)
class Place:
    """Where an item belongs: everywhere (a broadcast to everyone), or a set of regions (empty: nobody's)."""

    regions: frozenset[str] = frozenset()
    everywhere: bool = False


EVERYWHERE = Place(everywhere=True)
NOWHERE = Place()


def covers(mine: Iterable[str], region: str) -> bool:
    return any(region == r or region.startswith(r.rstrip("/") + "/") for r in mine)


@dataclass(frozen=True)
class Scope:
    actor: str
    tier: str
    regions: frozenset[str] | None  # None: every region
    personal_data: bool  # may see anyone's addresses (subscribers.view)

    @property
    def everything(self) -> bool:
        return self.regions is None

    def sees(self, place: Place) -> bool:
        if self.regions is None or place.everywhere:
            return True
        return any(covers(self.regions, region) for region in place.regions)

    def sees_contact(self, place: Place) -> bool:
        """A report's sender and original text: personal data for anyone allowed it, or for the
        responders of a region the report comes from (never for a report of no region)."""
        if self.personal_data or self.regions is None:
            return True
        return not place.everywhere and self.sees(place)

    def region_filter(self, column):
        """SQL: a region column inside this scope (for a list that must not fetch what it may not show)."""
        if self.regions is None:
            return true()
        if not self.regions:
            return false()
        return or_(*[or_(column == r, column.like(_escaped(r.rstrip("/")) + "/%", escape="\\"))
                     for r in sorted(self.regions)])


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def of(actor: str, tier: str, regions: Iterable[str]) -> Scope:
    everything = permissions.allowed(tier, "regions.all")
    return Scope(actor, tier, None if everything else frozenset(regions),
                 permissions.allowed(tier, "subscribers.view"))


class Hidden(LookupError):
    """An item outside the actor's regions: answered like one that does not exist (the API answers 404
    and writes `scope.refused` in a transaction of its own, after the request's has rolled back)."""

    def __init__(self, scope: Scope, subject: str, message: str) -> None:
        super().__init__(message)
        self.scope, self.subject, self.message = scope, subject, message


def check(scope: Scope, place: Place, subject: str, message: str) -> None:
    if not scope.sees(place):
        raise Hidden(scope, subject, message)


def refuse(session: Session, scope: Scope, subject: str) -> None:
    """Write the out-of-scope attempt to the audit log (the caller commits and answers 'not found')."""
    audit.record(session, scope.actor, "scope.refused", subject, tier=scope.tier, regions=sorted(scope.regions or ()))


# -- where things belong ------------------------------------------------------------------------


def audience_place(audience: dict | None) -> Place:
    """A plain audience (a scheduled broadcast, a webinar series): its regions, or everywhere."""
    regions = (audience or {}).get("regions")
    return Place(frozenset(str(r) for r in regions)) if regions else EVERYWHERE


def broadcast_place(session: Session, broadcast: Broadcast, depth: int = 0) -> Place:
    audience = broadcast.audience or {}
    regions = audience.get("regions")
    if regions:
        return Place(frozenset(str(r) for r in regions))
    follows = next((audience[k] for k in FOLLOW_KEYS if k in audience), None)
    if follows is not None:
        originals = follows if isinstance(follows, list) else [follows]
        if depth >= MAX_DEPTH or not originals:
            return NOWHERE
        places = [broadcast_place(session, o, depth + 1) for o in
                  (session.get(Broadcast, int(i)) for i in originals) if o is not None]
        if any(p.everywhere for p in places):
            return EVERYWHERE
        return Place(frozenset().union(*[p.regions for p in places]))
    if set(audience) <= PLACELESS_KEYS:
        return EVERYWHERE
    return recipients_place(session, broadcast.id)


def recipients_place(session: Session, broadcast_id: int) -> Place:
    """A broadcast to named people belongs to the regions of the people it went to."""
    rows = session.scalars(
        select(SubscriberRegion.region).distinct()
        .join(Endpoint, Endpoint.subscriber_id == SubscriberRegion.subscriber_id)
        .join(Delivery, Delivery.endpoint_id == Endpoint.id)
        .where(Delivery.broadcast_id == broadcast_id))
    return Place(frozenset(rows))


def subscriber_place(session: Session, subscriber_id: int | None) -> Place:
    """A report's place: its sender's regions. A sender the relay knows no region of (most citizens who
    write in) is everyone's to triage, masked: their contact stays with `subscribers.view`."""
    if subscriber_id is None:
        return EVERYWHERE
    regions = frozenset(session.scalars(select(SubscriberRegion.region)
                                        .where(SubscriberRegion.subscriber_id == subscriber_id)))
    return Place(regions) if regions else EVERYWHERE


def visible_broadcasts(session: Session, scope: Scope, query, limit: int) -> list[Broadcast]:
    """The first `limit` broadcasts of `query` (newest first, say) that `scope` sees. Read in pages and
    filtered here: a broadcast's place is not a column (follow-ups and named recipients are resolved)."""
    if scope.everything:
        return list(session.scalars(query.limit(limit)))
    found: list[Broadcast] = []
    for broadcast in _paged(session, query, 200):
        if scope.sees(broadcast_place(session, broadcast)):
            found.append(broadcast)
            if len(found) >= limit:
                break
    return found


def _paged(session: Session, query, size: int) -> Iterator[Broadcast]:
    offset = 0
    while True:
        page = list(session.scalars(query.offset(offset).limit(size)))
        yield from page
        if len(page) < size:
            return
        offset += size


def sender_in_scope(scope: Scope, subscriber_column):
    """SQL: a report whose sender's subscriber is in one of the scope's regions, or has no region at all
    (a report of no region is visible masked, like a broadcast to everyone)."""
    if scope.everything:
        return true()
    placed = exists().where(SubscriberRegion.subscriber_id == subscriber_column)
    inside = exists().where(SubscriberRegion.subscriber_id == subscriber_column,
                            scope.region_filter(SubscriberRegion.region))
    return or_(~placed, inside)
