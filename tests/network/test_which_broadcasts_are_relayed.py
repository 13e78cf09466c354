"""Which broadcasts reach relay nodes with a header: alerts and notices for an area (and the languages a
community speaks), not webinar notices nor broadcasts narrowed to a topic or a tier."""

from __future__ import annotations

from sqlalchemy import select

from relay import network, outbox
from relay.models import Delivery
from relay.network_models import RelayAck
from relay.outbox import Audience, BroadcastRequest
from tests.network.support import import_rows

SENDERS = {"sms": ["+12015550100"]}


def test_only_area_alerts_and_notices_are_relayed(database):
    with database.sessions.begin() as session:
        ids = import_rows(session, ["Rosa,+12025550901,,,es,south,contributor",
                                    "Tom,+12025550902,,,en,south,contributor"])
        network.add_node(session, subscriber_id=ids["Rosa"], community="Bay", region="south/bay", languages=["es"],
                         actor="t")
        network.add_node(session, subscriber_id=ids["Tom"], community="Cove", region="south/cove", languages=["en"],
                         actor="t")

    def asked(**request) -> list[str]:
        planned = outbox.plan_broadcast(database.sessions, BroadcastRequest(
            body="Tsunami warning", source_language="en", sender="t", **request), senders=SENDERS, actor="t")
        with database.sessions() as session:
            prefixes = session.scalars(select(Delivery.prefix).where(Delivery.broadcast_id == planned.id)).all()
            nodes = session.scalars(select(RelayAck.node_id).where(RelayAck.broadcast_id == planned.id)).all()
        assert len([p for p in prefixes if p]) == len(nodes)  # each asked node's delivery carries its header
        return sorted({1: "Bay", 2: "Cove"}[n] for n in nodes)

    assert asked(kind="crisis", audience=Audience(regions=("south",))) == ["Bay", "Cove"]
    assert asked(kind="notice") == ["Bay", "Cove"]
    assert asked(kind="crisis", audience=Audience(regions=("south/bay",))) == ["Bay"]
    assert asked(kind="crisis", audience=Audience(regions=("north",))) == []
    assert asked(kind="crisis", audience=Audience(languages=("es",))) == ["Bay"]
    assert asked(kind="webinar", audience=Audience(regions=("south",))) == []
    assert asked(kind="crisis", audience=Audience(topics=("health",))) == []
    assert asked(kind="crisis", audience=Audience(tiers=("contributor",))) == []
