"""Escalation when a relay node has not acknowledged in time: first its backups, then its community's
own subscribers directly, then its hub. Every step is in the audit log.

`escalate_due(session, now, ...)` is a plain function of the database and a clock, so tests drive it
with a controlled clock; `relay run` calls it periodically (relay/network_service.py). Step k is due at
`asked_at + k × ack_minutes[severity]`; a step with nobody to reach (no backups, no hub) is recorded and
passed. An acknowledgement, from the node or a backup, stops what is not yet done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Sequence

from sqlalchemy import exists, func, insert, literal, or_, select
from sqlalchemy.orm import Session, aliased

from relay import audit, outbox
from relay.models import Broadcast, Delivery, DeliveryStatus, Endpoint, Subscriber
from relay.network import NETWORK_ACTOR, deliver_with_header, first_endpoint, send_note
from relay.network_models import RelayAck, RelayBackup, RelayNode
from relay.network_settings import NetworkSettings
from relay.replies import reply

STEPS = {1: "backups", 2: "community", 3: "hub"}
LAST_STEP = 3


@dataclass(frozen=True)
class Step:
    broadcast_id: int
    node_id: int
    community: str
    step: str
    reached: int


def escalate_due(session: Session, now: datetime, settings: NetworkSettings,
                 senders: Mapping[str, Sequence[str]]) -> list[Step]:
    """Take every overdue step of every open relay request; return what was done."""
    done: list[Step] = []
    rows = session.execute(
        select(RelayAck, Broadcast)
        .join(Broadcast, Broadcast.id == RelayAck.broadcast_id)
        .where(RelayAck.acked_at.is_(None), RelayAck.step < LAST_STEP, Broadcast.status == "queued",
               or_(Broadcast.expires_at.is_(None), Broadcast.expires_at > now))
        .order_by(RelayAck.id)
        .with_for_update(of=RelayAck, skip_locked=True)
    ).all()
    for ack, broadcast in rows:
        delay = timedelta(minutes=settings.delay_minutes(broadcast.severity))
        due = min(LAST_STEP, int((now - ack.asked_at) / delay))
        node = session.get(RelayNode, ack.node_id)
        while ack.step < due:
            step = ack.step + 1
            reached = _STEP_ACTIONS[step](session, broadcast, node, ack, senders, now)
            ack.step, ack.escalated_at = step, now
            audit.record(session, NETWORK_ACTOR, f"relay.escalate.{STEPS[step]}", f"broadcast:{broadcast.id}",
                         node=node.id, community=node.community, code=ack.code, reached=reached,
                         due_at=(ack.asked_at + step * delay).isoformat())
            done.append(Step(broadcast.id, node.id, node.community, STEPS[step], reached))
    session.flush()
    return done


def _backups(session: Session, broadcast: Broadcast, node: RelayNode, ack: RelayAck,
             senders: Mapping[str, Sequence[str]], now: datetime) -> int:
    reached = 0
    ranked = session.scalars(select(RelayBackup.subscriber_id).where(RelayBackup.node_id == node.id)
                             .order_by(RelayBackup.rank))
    for subscriber_id in list(ranked):
        subscriber = session.get(Subscriber, subscriber_id)
        result = deliver_with_header(session, broadcast, subscriber, "relay_backup_header", node.community,
                                     ack.code, senders, now)
        reached += result.how != "none"
    return reached


def _community(session: Session, broadcast: Broadcast, node: RelayNode, ack: RelayAck,
               senders: Mapping[str, Sequence[str]], now: datetime) -> int:
    """Everyone who carries the community's region and has not had this broadcast on any endpoint gets
    it directly, on their first reachable channel, with the broadcast's usual consent rules."""
    channels = sorted(senders)
    request = outbox.BroadcastRequest(kind=broadcast.kind, body=broadcast.body,
                                      source_language=broadcast.source_language, sender=NETWORK_ACTOR,
                                      audience=outbox.Audience(regions=(node.region,)))
    if broadcast.kind not in ("crisis", "webinar", "notice"):
        request.kind = "crisis"  # a correction's consent is the crisis one
    other = aliased(Endpoint)
    already = exists().where(Delivery.broadcast_id == broadcast.id, Delivery.endpoint_id == other.id,
                             other.subscriber_id == Subscriber.id)
    rows = (
        select(literal(broadcast.id), Endpoint.id, Endpoint.channel, outbox._sender_expression(senders),
               Subscriber.language, literal(broadcast.priority), literal(DeliveryStatus.pending.value),
               literal(0), literal(now, type_=Delivery.__table__.c.next_attempt_at.type))
        .select_from(Endpoint)
        .join(Subscriber, Endpoint.subscriber_id == Subscriber.id)
        .where(outbox._audience_filter(request, channels), ~already)
    )
    before = session.scalar(select(func.count()).where(Delivery.broadcast_id == broadcast.id))
    session.execute(insert(Delivery).from_select(outbox.DELIVERY_COLUMNS, rows))
    after = session.scalar(select(func.count()).where(Delivery.broadcast_id == broadcast.id))
    return int(after - before)


def _hub(session: Session, broadcast: Broadcast, node: RelayNode, ack: RelayAck,
         senders: Mapping[str, Sequence[str]], now: datetime) -> int:
    if node.hub_id is None:
        return 0
    hub = session.get(RelayNode, node.hub_id)
    subscriber = session.get(Subscriber, hub.subscriber_id)
    endpoint = first_endpoint(session, subscriber.id, senders)
    if endpoint is None:
        return 0
    text = reply("relay_hub_notice", subscriber.language, community=node.community, broadcast=str(broadcast.id))
    send_note(session, broadcast, endpoint, subscriber.language, text, senders, now)
    return 1


_STEP_ACTIONS = {1: _backups, 2: _community, 3: _hub}
