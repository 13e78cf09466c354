"""The relay network as a tree, alone or with one broadcast's state per node (acknowledged, pending,
escalated, with times): what `relay relays tree` and `relay broadcast status ID --tree` print."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from relay.networks.escalation import STEPS
from relay.core.models import Subscriber
from relay.networks.relays import backups_of, nodes
from relay.networks.models import RelayAck, RelayNode


@dataclass
class NodeView:
    node: RelayNode
    relay_name: str
    backups: list[str]
    ack: RelayAck | None = None
    children: list["NodeView"] = field(default_factory=list)

    @property
    def state(self) -> str:
        ack = self.ack
        if ack is None:
            return "not asked"
        if ack.acked_at is not None:
            return f"acknowledged {_t(ack.acked_at)} by {ack.acked_by}"
        if ack.step == 0:
            return f"pending since {_t(ack.asked_at)}"
        return f"escalated to {STEPS[ack.step]} {_t(ack.escalated_at)} (asked {_t(ack.asked_at)})"

    def as_json(self) -> dict:
        ack = self.ack
        return {"community": self.node.community, "region": self.node.region, "relay": self.relay_name,
                "size": self.node.size, "languages": self.node.languages, "backups": self.backups,
                "code": ack.code if ack else None, "state": self.state,
                "step": STEPS.get(ack.step, "asked") if ack else None,
                "acked_at": ack.acked_at.isoformat() if ack and ack.acked_at else None,
                "children": [c.as_json() for c in self.children]}


def _t(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "?"


def tree(session: Session, broadcast_id: int | None = None) -> list[NodeView]:
    """The roots of the network (nodes without a hub), each with its children."""
    names = dict(session.execute(select(Subscriber.id, Subscriber.name)).all())
    acks = {}
    if broadcast_id is not None:
        acks = {a.node_id: a for a in session.scalars(select(RelayAck).where(RelayAck.broadcast_id == broadcast_id))}
    views = {n.id: NodeView(n, names.get(n.subscriber_id) or f"subscriber {n.subscriber_id}",
                            [names.get(b) or f"subscriber {b}" for b in backups_of(session, n.id)], acks.get(n.id))
             for n in nodes(session)}
    roots = []
    for view in views.values():
        parent = views.get(view.node.hub_id) if view.node.hub_id else None
        (parent.children if parent else roots).append(view)
    return roots


def lines(roots: list[NodeView], depth: int = 0) -> list[str]:
    """Plain text, one node per line, children indented (for terminals without Rich's tree glyphs)."""
    out = []
    for view in roots:
        code = f" [{view.ack.code}]" if view.ack else ""
        out.append(f"{'  ' * depth}{view.node.community} ({view.node.region}) relay {view.relay_name}{code}: "
                   f"{view.state}")
        out += lines(view.children, depth + 1)
    return out
