"""Community relay networks: relay nodes, their ACK codes and headers, and the ACK command.

A relay node is a subscriber who passes alerts on to a community that the relay does not reach itself
(a village phone tree, a noticeboard). A broadcast whose audience covers a node's region reaches the
node with a header in the node's language and a short code, "Please pass this on to Riverside; reply
ACK 4F2 when done", written as the delivery's own prefix (one row per recipient, so the dispatcher
needs no per-recipient text table). `ACK 4F2` (SMS), `/ack 4F2` (Telegram), `!ack 4F2` (Matrix) is
accepted from that node, or from a backup once escalation asked it (relay/networks/escalation.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Sequence

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from relay.core import audit
from relay.core.db import required
from relay.inbound import replies
from relay.inbound.commands import CommandContext, command
from relay.core.models import Broadcast, BroadcastText, Delivery, DeliveryStatus, Endpoint, Subscriber, Tier, content_of
from relay.networks.models import RelayAck, RelayBackup, RelayNode
from relay.inbound.permission_replies import refused

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed on old phones
CODE_LENGTH = 3
NETWORK_ACTOR = "relay-network"

replies.register({
    "relay_header": {
        "en": "Please pass this on to {community}; reply ACK {ack} when done.",
        "es": "Por favor transmita esto a {community}; responda ACK {ack} cuando lo haya hecho.",
        "fr": "Merci de transmettre ceci a {community} ; repondez ACK {ack} une fois fait.",
        "ht": "Tanpri pase mesaj sa bay {community}; reponn ACK {ack} le ou fini.",
    },
    "relay_backup_header": {
        "en": "The relay for {community} has not confirmed. Please pass this on to {community}; "
              "reply ACK {ack} when done.",
        "es": "El relevo de {community} no ha confirmado. Por favor transmita esto a {community}; "
              "responda ACK {ack} cuando lo haya hecho.",
        "fr": "Le relais de {community} n'a pas confirme. Merci de transmettre ceci a {community} ; "
              "repondez ACK {ack} une fois fait.",
        "ht": "Relai pou {community} pa konfime. Tanpri pase mesaj sa bay {community}; "
              "reponn ACK {ack} le ou fini.",
    },
    "relay_hub_notice": {
        "en": "The relay for {community} has not confirmed alert {broadcast}; its people were sent it "
              "directly. Please check on {community}.",
        "es": "El relevo de {community} no confirmo la alerta {broadcast}; se envio directamente a su "
              "gente. Por favor verifique {community}.",
        "fr": "Le relais de {community} n'a pas confirme l'alerte {broadcast} ; elle a ete envoyee "
              "directement a ses membres. Merci de verifier {community}.",
        "ht": "Relai pou {community} pa konfime alet {broadcast}; nou voye l dirèkteman bay moun yo. "
              "Tanpri verifye {community}.",
    },
    "ack_thanks": {
        "en": "Thank you: {community} is marked as reached.",
        "es": "Gracias: {community} queda marcada como informada.",
        "fr": "Merci : {community} est marquee comme informee.",
        "ht": "Mesi: {community} make kom enfome.",
    },
    "ack_unknown": {
        "en": "No open relay request has the code {ack}.",
        "es": "Ninguna solicitud de relevo abierta tiene el codigo {ack}.",
        "fr": "Aucune demande de relais ouverte n'a le code {ack}.",
        "ht": "Pa gen demann relai ouve ki gen kod {ack}.",
    },
    "ack_missing": {
        "en": "Reply ACK followed by the code, e.g. ACK 4F2.",
        "es": "Responda ACK seguido del codigo, p. ej. ACK 4F2.",
        "fr": "Repondez ACK suivi du code, par ex. ACK 4F2.",
        "ht": "Reponn ACK ak kod la, pa egzanp ACK 4F2.",
    },
})


class NetworkError(ValueError):
    """A relay-network request that cannot be accepted; the message says why."""


# -- nodes -----------------------------------------------------------------------------------------


def _contributor(session: Session, subscriber_id: int, role: str, why: str) -> Subscriber:
    """The subscriber who is to pass messages on; an unknown one or an observer is refused, `role` ("backup: ")
    saying in which part of the request and `why` why an observer cannot."""
    person = required(session.get(Subscriber, subscriber_id), NetworkError(f"{role}no subscriber {subscriber_id}"))
    if person.tier == Tier.observer.value:
        raise NetworkError(f"{role}subscriber {subscriber_id} is an observer; {why}")
    return person


def add_node(session: Session, *, subscriber_id: int, community: str, region: str, size: int = 0,
             languages: Sequence[str] = (), hub: str | None = None, backups: Sequence[int] = (),
             actor: str) -> RelayNode:
    _contributor(session, subscriber_id, "", "relays are contributors or above (set their tier first)")
    if not community.strip() or not region.strip():
        raise NetworkError("a relay node needs a community name and a region")
    if session.scalar(select(RelayNode).where(RelayNode.community == community)) is not None:
        raise NetworkError(f"community {community!r} already has a relay node")
    hub_node = None
    if hub is not None:
        hub_node = session.scalar(select(RelayNode).where(RelayNode.community == hub))
        if hub_node is None:
            raise NetworkError(f"no relay node for the hub community {hub!r}")
    for backup in backups:
        _contributor(session, backup, "backup: ", "backups relay too, so they are contributors or above")
        if backup == subscriber_id:
            raise NetworkError("a relay cannot be its own backup")
    node = RelayNode(subscriber_id=subscriber_id, community=community.strip(), region=region.strip(), size=size,
                     languages=list(languages), hub_id=hub_node.id if hub_node else None)
    session.add(node)
    session.flush()
    for rank, backup in enumerate(backups):
        session.add(RelayBackup(node_id=node.id, subscriber_id=backup, rank=rank))
    audit.record(session, actor, "relay.node.add", f"relay_node:{node.id}", community=node.community,
                 region=node.region, subscriber=subscriber_id, hub=hub, backups=list(backups))
    session.flush()
    return node


def nodes(session: Session) -> list[RelayNode]:
    return list(session.scalars(select(RelayNode).order_by(RelayNode.id)))


def backups_of(session: Session, node_id: int) -> list[int]:
    return list(session.scalars(
        select(RelayBackup.subscriber_id).where(RelayBackup.node_id == node_id).order_by(RelayBackup.rank)))


def covers(regions: Sequence[str], region: str) -> bool:
    """Whether an audience restricted to `regions` (empty: everyone) covers a community's region: the same
    region or one under it ("north" covers "north/riverside")."""
    return not regions or any(region == r or region.startswith(r.rstrip("/") + "/") for r in regions)


# -- putting a node's header on a broadcast --------------------------------------------------------


def new_code(session: Session, broadcast_id: int, taken: set[str] | None = None) -> str:
    """A code no other node has for this broadcast (31^3 = 29,791 of them; `taken` is updated)."""
    if taken is None:
        taken = set(session.scalars(select(RelayAck.code).where(RelayAck.broadcast_id == broadcast_id)))
    if len(taken) >= len(CODE_ALPHABET) ** CODE_LENGTH // 2:
        raise NetworkError(f"broadcast {broadcast_id} has too many relay nodes for {CODE_LENGTH}-character codes")
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def header(key: str, language: str, community: str, code: str) -> str:
    return replies.reply(key, language, community=community, ack=code)


@dataclass(frozen=True)
class Reached:
    how: str  # prefixed (its pending delivery carries the header) | added (a new delivery) | note | none
    delivery_id: int | None = None


def deliver_with_header(session: Session, broadcast: Broadcast, subscriber: Subscriber, key: str,
                        community: str, code: str, senders: Mapping[str, Sequence[str]], now: datetime) -> Reached:
    """Make sure `subscriber` gets `broadcast` with the header: on its pending delivery if it has one,
    else on a new delivery to its first reachable endpoint, else (it already got the text bare) in a note."""
    prefix = header(key, subscriber.language, community, code)
    own = list(session.scalars(
        select(Delivery).join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(Delivery.broadcast_id == broadcast.id, Endpoint.subscriber_id == subscriber.id)
        .order_by(Delivery.id)))
    pending = [d for d in own if d.status in (DeliveryStatus.pending.value, DeliveryStatus.held.value)]
    if pending:
        for delivery in pending:
            delivery.prefix = header(key, delivery.language, community, code)
        return Reached("prefixed", pending[0].id)
    endpoint = first_endpoint(session, subscriber.id, senders, exclude={d.endpoint_id for d in own})
    if endpoint is None:
        return Reached("none")
    if not own:
        delivery = add_delivery(session, broadcast, endpoint, subscriber.language, senders, now, prefix=prefix)
        return Reached("added", delivery.id)
    text = text_for(session, broadcast, subscriber.language)
    delivery = send_note(session, broadcast, endpoint, subscriber.language, f"{prefix}\n{text}", senders, now)
    return Reached("note", delivery.id)


def first_endpoint(session: Session, subscriber_id: int, senders: Mapping[str, Sequence[str]],
                   exclude: set[int] = frozenset()) -> Endpoint | None:
    """The person's preferred reachable endpoint on a configured channel (failover order, then oldest)."""
    candidates = session.scalars(
        select(Endpoint).where(Endpoint.subscriber_id == subscriber_id, Endpoint.channel.in_(list(senders)),
                               Endpoint.opted_out.is_(False), Endpoint.unreachable.is_(False))
        .order_by(Endpoint.failover_rank.is_(None), Endpoint.failover_rank, Endpoint.id))
    for endpoint in candidates:
        if endpoint.id not in exclude:
            return endpoint
    return None


def pick_sender(senders: Mapping[str, Sequence[str]], endpoint: Endpoint) -> str:
    pool = list(senders[endpoint.channel])
    return pool[endpoint.id % len(pool)]


def add_delivery(session: Session, broadcast: Broadcast, endpoint: Endpoint, language: str,
                 senders: Mapping[str, Sequence[str]], now: datetime, *, prefix: str | None = None) -> Delivery:
    delivery = Delivery(broadcast_id=broadcast.id, endpoint_id=endpoint.id, channel=endpoint.channel,
                        sender=pick_sender(senders, endpoint), language=language, priority=broadcast.priority,
                        status=DeliveryStatus.pending.value, attempts=0, next_attempt_at=now, prefix=prefix)
    session.add(delivery)
    session.flush()
    return delivery


def text_for(session: Session, broadcast: Broadcast, language: str) -> str:
    row = session.get(BroadcastText, (broadcast.id, language))
    return row.text if row is not None else broadcast.body


def send_note(session: Session, about: Broadcast, endpoint: Endpoint, language: str, text: str,
              senders: Mapping[str, Sequence[str]], now: datetime) -> Delivery:
    """A message to one person about a broadcast (a hub told that a relay is silent): a broadcast of its
    own that references the first, with the first one's priority, so it is sent, retried and reported
    like any other."""
    note = Broadcast(**content_of(about, source_language=language, body=text),
                     audience={"endpoint_ids": [endpoint.id]},
                     sender=NETWORK_ACTOR, priority=about.priority, expires_at=about.expires_at,
                     references_id=about.id,
                     texts=[BroadcastText(language=language, text=text, origin="original")])
    session.add(note)
    session.flush()
    return add_delivery(session, note, endpoint, language, senders, now)


RELAYED_KINDS = ("crisis", "notice")


def relayed(broadcast: Broadcast, audience) -> bool:
    """Alerts and notices for an area are passed on; webinar notices, messages to named people (reminders,
    corrections, bridged rooms) and broadcasts narrowed to a topic, a tier or a time zone are not: they
    are for those people, not for their communities."""
    return (broadcast.kind in RELAYED_KINDS and broadcast.references_id is None
            and not getattr(audience, "endpoint_ids", ()) and not getattr(audience, "timezones", ())
            and not audience.topics and not audience.tiers)


def on_planned(session: Session, broadcast: Broadcast, request, senders: Mapping[str, Sequence[str]],
               now: datetime) -> None:
    """Plan hook (relay/delivery/outbox.py): every node whose region the audience covers gets the broadcast with its
    header and a fresh ACK code, in the broadcast's own transaction.

    Set-based (a few queries and batched writes whatever the number of nodes), since it holds the
    transaction that the coordinator waits on: a node already in the audience gets the header on its
    pending deliveries, any other on a new delivery to its first reachable endpoint."""
    audience = request.audience
    if not relayed(broadcast, audience):
        return
    wanted = set(audience.languages)
    covered = [(node, language) for node, language in session.execute(
        select(RelayNode, Subscriber.language).join(Subscriber, Subscriber.id == RelayNode.subscriber_id)
        .order_by(RelayNode.id))
        if covers(audience.regions, node.region) and (not wanted or wanted & {language, *node.languages})]
    if not covered:
        return
    taken: set[str] = set()
    code = {node.id: new_code(session, broadcast.id, taken) for node, _ in covered}
    relays = {node.subscriber_id for node, _ in covered}
    own: dict[int, list] = {}
    for row in session.execute(
            select(Delivery.id, Delivery.language, Delivery.status, Endpoint.subscriber_id)
            .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
            .where(Delivery.broadcast_id == broadcast.id, Endpoint.subscriber_id.in_(relays))):
        own.setdefault(row.subscriber_id, []).append(row)
    first: dict[int, Endpoint] = {}
    for endpoint in session.scalars(
            select(Endpoint).where(Endpoint.subscriber_id.in_(relays - set(own)), Endpoint.channel.in_(list(senders)),
                                   Endpoint.opted_out.is_(False), Endpoint.unreachable.is_(False))
            .order_by(Endpoint.failover_rank.is_(None), Endpoint.failover_rank, Endpoint.id)):
        first.setdefault(endpoint.subscriber_id, endpoint)
    prefixes, new_rows, how = [], [], {}
    for node, language in covered:
        rows = own.get(node.subscriber_id)
        if rows:  # planned moments ago in this transaction: still pending (or held for approval)
            prefixes += [{"b_id": r.id, "b_prefix": header("relay_header", r.language, node.community, code[node.id])}
                         for r in rows]
            how[node.id] = "prefixed"
        elif node.subscriber_id in first:
            endpoint = first[node.subscriber_id]
            new_rows.append({"broadcast_id": broadcast.id, "endpoint_id": endpoint.id, "channel": endpoint.channel,
                             "sender": pick_sender(senders, endpoint), "language": language,
                             "priority": broadcast.priority, "status": DeliveryStatus.pending.value, "attempts": 0,
                             "next_attempt_at": now,
                             "prefix": header("relay_header", language, node.community, code[node.id])})
            how[node.id] = "added"
        else:
            how[node.id] = "none"  # no reachable endpoint: escalation will ask the backups
    table = Delivery.__table__
    if prefixes:
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(prefix=bindparam("b_prefix")),
                        prefixes)
    if new_rows:
        session.execute(insert(table), new_rows)
    session.execute(insert(RelayAck.__table__), [
        {"broadcast_id": broadcast.id, "node_id": node.id, "code": code[node.id], "asked_at": now, "step": 0}
        for node, _ in covered])
    audit.record(session, NETWORK_ACTOR, "relay.asked", f"broadcast:{broadcast.id}",
                 nodes={node.community: {"code": code[node.id], "how": how[node.id]} for node, _ in covered})


# -- ACK -------------------------------------------------------------------------------------------


def acceptable_acks(session: Session, subscriber_id: int, code: str) -> list[RelayAck]:
    """Open requests with this code that this person may acknowledge: their own node's, or a node whose
    backups escalation has asked and they are one of."""
    own = select(RelayNode.id).where(RelayNode.subscriber_id == subscriber_id)
    as_backup = select(RelayBackup.node_id).where(RelayBackup.subscriber_id == subscriber_id)
    candidates = session.scalars(
        select(RelayAck).where(RelayAck.code == code.upper(), RelayAck.acked_at.is_(None),
                               RelayAck.node_id.in_(own.union(as_backup)))
        .order_by(RelayAck.id.desc()))
    mine = set(session.scalars(own))
    return [ack for ack in candidates if ack.node_id in mine or ack.step >= 1]


def acknowledge(session: Session, subscriber_id: int, code: str, *, actor: str, now: datetime) -> RelayNode | None:
    for ack in acceptable_acks(session, subscriber_id, code):
        ack.acked_at, ack.acked_by = now, actor
        node = session.get(RelayNode, ack.node_id)
        audit.record(session, actor, "relay.ack", f"broadcast:{ack.broadcast_id}", node=node.id,
                     community=node.community, code=ack.code, step=ack.step)
        return node
    return None


@command("ack", {"ACK"}, max_words=1)
def ack(context: CommandContext) -> str | None:
    code = (context.command.argument or "").strip().upper()
    if not code:
        return context.reply("ack_missing")
    refusal = refused(context, "relay.ack", f"ack:{code}")
    if refusal is not None:
        return refusal
    subscriber = context.subscriber
    node = acknowledge(context.session, subscriber.id, code, actor=context.actor,
                       now=context.inbound.received_at) if subscriber is not None else None
    if node is None:
        audit.record(context.session, context.actor, "relay.ack.refused", f"ack:{code}", reason="no open request")
        return context.reply("ack_unknown", ack=code)
    return context.reply("ack_thanks", community=node.community)
