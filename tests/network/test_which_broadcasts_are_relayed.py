"""Which broadcasts reach relay nodes with a header: alerts and notices for an area (and the languages a
community speaks), not webinar notices nor broadcasts narrowed to a topic or a tier."""

from __future__ import annotations

from sqlalchemy import select

from relay.networks import relays as network
from relay.delivery import outbox
from relay.core.models import Delivery
from relay.networks.models import RelayAck
from relay.delivery.outbox import Audience, BroadcastRequest
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


def test_a_relay_the_alert_cannot_reach_is_escalated_at_once(database, settings):
    from datetime import timedelta

    from relay.networks import escalation
    from relay.core.models import Endpoint

    with database.sessions.begin() as session:
        ids = import_rows(session, ["Rosa,+12025550911,,,es,east,contributor",
                                    "Ben,+12025550912,,,en,east/bay,contributor",
                                    "Tom,+12025550913,,,en,east,contributor"])
        network.add_node(session, subscriber_id=ids["Rosa"], community="Bay", region="east/bay",
                         backups=[ids["Ben"]], actor="t")
        network.add_node(session, subscriber_id=ids["Tom"], community="Cove", region="east/cove", actor="t")
    planned = outbox.plan_broadcast(database.sessions, BroadcastRequest(
        kind="crisis", body="Tsunami warning", source_language="en", sender="t", severity="Extreme",
        audience=Audience(regions=("east",))), senders=SENDERS, actor="t")
    with database.sessions.begin() as session:  # Rosa's number turns out to be invalid
        rosa = session.scalar(select(Delivery).join(Endpoint).where(Endpoint.subscriber_id == ids["Rosa"]))
        rosa.status, rosa.last_error = "failed", "invalid number (code 21211)"
        asked_at = session.scalar(select(RelayAck.asked_at).limit(1))
    with database.sessions.begin() as session:
        steps = escalation.escalate_due(session, asked_at + timedelta(seconds=30), settings.network, SENDERS)
        assert [(s.community, s.step, s.reached) for s in steps] == [("Bay", "backups", 1)]  # Cove: still waiting
        steps = escalation.escalate_due(session, asked_at + timedelta(minutes=10), settings.network, SENDERS)
        assert [(s.community, s.step) for s in steps] == [("Cove", "backups")]  # Bay's next step keeps its time
        steps = escalation.escalate_due(session, asked_at + timedelta(minutes=20), settings.network, SENDERS)
        assert sorted((s.community, s.step) for s in steps) == [("Bay", "community"), ("Cove", "community")]
    assert planned.deliveries == 2
