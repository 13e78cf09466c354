"""What a send's outcome tells about the endpoint itself: the provider moved the chat, or the address is
gone (or its owner opted out at the carrier). The recorder (`deliveries.record`) applies these in the same
transaction as the outcome, so no later claim sends to the old or dead address."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from relay.core import audit, consent, hooks
from relay.core.consent import ConsentAction
from relay.core.models import Delivery, DeliveryStatus, Endpoint

PENDING = DeliveryStatus.pending.value


def move_endpoint(session: Session, endpoint_id: int, address: str) -> None:
    """The provider moved the chat (a Telegram group became a supergroup): the endpoint takes the new
    address, so its subscriber, bridges and queued deliveries follow without a row being copied. When an
    endpoint already has that address (the relay met the supergroup first), the old one's still queued
    deliveries and the features' rows (a bridge membership, through the merge hooks) move to it, and the
    old one is marked unreachable."""
    endpoint = session.get(Endpoint, endpoint_id)
    if endpoint is None or endpoint.address == address:
        return
    existing = session.scalar(select(Endpoint).where(Endpoint.channel == endpoint.channel, Endpoint.address == address))
    old = endpoint.address
    if existing is None:
        endpoint.address = address
    else:
        for follow in hooks.installed().merge_hooks:  # the features' rows (a bridge membership) follow
            follow(session, endpoint_id, existing.id)
        taken = select(Delivery.broadcast_id).where(Delivery.endpoint_id == existing.id).scalar_subquery()
        session.execute(update(Delivery).where(Delivery.endpoint_id == endpoint_id, Delivery.status == PENDING,
                                               Delivery.broadcast_id.not_in(taken)).values(endpoint_id=existing.id))
        session.execute(update(Delivery).where(Delivery.endpoint_id == endpoint_id, Delivery.status == PENDING)
                        .values(status=DeliveryStatus.cancelled.value, last_error=f"the chat moved to {address}, "
                                "which has its own copy", finished_at=datetime.now(timezone.utc)))
        endpoint.unreachable, endpoint.unreachable_reason = True, f"moved to {address}"
    session.flush()
    audit.record(session, "dispatcher", "endpoint.moved", f"endpoint:{endpoint_id}", old=old, new=address,
                 merged_into=existing.id if existing is not None else None)


def mark_endpoint(session: Session, endpoint_id: int, *, opted_out: bool, reason: str, now: datetime) -> None:
    """The provider says this endpoint is gone (or its owner unsubscribed there): stop queuing to it."""
    values = {"opted_out": True, "opted_out_at": now} if opted_out else {"unreachable": True, "unreachable_reason": reason[:255]}
    session.execute(update(Endpoint).where(Endpoint.id == endpoint_id).values(**values))
    session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint_id, Delivery.status == PENDING)
        .values(status=DeliveryStatus.cancelled.value, last_error=f"endpoint unreachable: {reason}", finished_at=now)
    )
    audit.record(session, "dispatcher", "endpoint.opt_out" if opted_out else "endpoint.unreachable",
                 f"endpoint:{endpoint_id}", reason=reason)
    endpoint = session.get(Endpoint, endpoint_id) if opted_out else None
    if endpoint is not None:  # the carrier's own opt-out (STOP said to the carrier) is consent withdrawn too
        consent.record(session, channel=endpoint.channel, address=endpoint.address, action=ConsentAction.opt_out,
                       source="provider", words=f"the provider reported an opt-out: {reason}", actor="dispatcher",
                       endpoint=endpoint, at=now)

