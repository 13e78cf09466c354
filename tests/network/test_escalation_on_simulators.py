"""A 3-level network on the simulators (hub -> 5 relays -> villages) where 2 relays never acknowledge:
escalation reaches their backups, then their villages, then the hub, at the configured times (a
controlled clock drives `escalate_due`); the three relays that ACK (by SMS) are never escalated."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlalchemy import func, select

from relay.networks import escalation
from relay.delivery import outbox
from relay.core.channels import planned_senders
from relay.core.models import AuditEntry, Delivery
from relay.networks.models import RelayAck, RelayNode
from relay.delivery.outbox import Audience, BroadcastRequest
from tests.network.support import three_level_network
from tests.relay.conftest import NUMBER, make_program, sms_log, wait_for
from tests.running import started

STEP = timedelta(seconds=1.2)
BODY = "Flood warning: move to high ground before 18:00."


def texts_to(program, number: str) -> list[str]:
    return [m["body"] for m in sms_log(program) if m["to"] == number and m["from"] != number]


def settled(program):
    """A predicate for wait_for: nothing of any broadcast is still pending or being sent."""

    async def check() -> bool:
        with program.database.sessions() as session:
            busy = session.scalar(select(func.count()).where(Delivery.status.in_(("pending", "sending"))))
        return busy == 0

    return check


async def test_two_silent_relays_escalate_to_backups_then_villages_then_hub(tmp_path):
    # 1.2 s per step: the controlled clock stays close to real time, so what escalation queues (due at the
    # controlled "now") is sent by the running dispatcher straight away.
    ack_minutes = {"Severe": STEP.total_seconds() / 60}
    async with started(make_program(tmp_path, network={"ack_minutes": ack_minutes})) as program:
        with program.database.sessions.begin() as session:
            ids = three_level_network(session)
        senders = planned_senders(program.settings)
        planned = await asyncio.to_thread(outbox.plan_broadcast, program.database.sessions, BroadcastRequest(
            kind="crisis", body=BODY, source_language="en", sender="t", severity="Severe",
            audience=Audience(regions=("north",))), senders=senders, actor="t")
        program.dispatcher.wake()
        # The hub and the five relays are asked (region north covers north/v1..v5); villagers and backups are not.
        assert planned.deliveries == 6
        await wait_for(settled(program))
        with program.database.sessions() as session:
            acks = {session.get(RelayNode, a.node_id).community: a for a in session.scalars(select(RelayAck))}
            asked_at = acks["Village 1"].asked_at
        relay1 = texts_to(program, "+12025550111")
        assert len(relay1) == 1 and BODY in relay1[0]
        assert f"Please pass this on to Village 1; reply ACK {acks['Village 1'].code} when done." in relay1[0]
        relay2 = texts_to(program, "+12025550112")  # Spanish relay: its header in Spanish
        assert f"Por favor transmita esto a Village 2; responda ACK {acks['Village 2'].code}" in relay2[0]
        assert not texts_to(program, "+12025550240") and not texts_to(program, "+12025550121")

        # The hub and relays 1-3 acknowledge by SMS; a relay cannot acknowledge another's code.
        wrong = await program.simulators["sms"].inject_inbound("+12025550111", NUMBER, f"ACK {acks['Village 4'].code}")
        assert "No open relay request" in wrong
        for number, community in (("+12025550100", "North district"), ("+12025550111", "Village 1"),
                                  ("+12025550112", "Village 2"), ("+12025550113", "Village 3")):
            answer = await program.simulators["sms"].inject_inbound(number, NUMBER, f"ack {acks[community].code.lower()}")
            assert community in answer, answer

        async def escalate_at(steps: float):
            steps = await program.database.run(escalation.escalate_due, asked_at + steps * STEP,
                                               program.settings.network, senders)
            program.dispatcher.wake()
            return sorted((s.community, s.step, s.reached) for s in steps)

        assert await escalate_at(0.99) == []
        assert await escalate_at(1) == [("Village 4", "backups", 1), ("Village 5", "backups", 1)]
        assert await escalate_at(1.95) == []
        assert await escalate_at(2) == [("Village 4", "community", 3), ("Village 5", "community", 3)]
        # Village 5's backup acknowledges (its code was in the backup's header) before the hub step.
        await wait_for(settled(program))
        backup5 = texts_to(program, "+12025550125")
        assert len(backup5) == 1 and "The relay for Village 5 has not confirmed" in backup5[0] and BODY in backup5[0]
        code5 = re.search(r"ACK (\w+) when done", backup5[0]).group(1)
        assert "Village 5" in await program.simulators["sms"].inject_inbound("+12025550125", NUMBER, f"ACK {code5}")
        assert await escalate_at(3) == [("Village 4", "hub", 1)]
        assert await escalate_at(30) == []

        with program.database.sessions() as session:
            notes = [b for b, in session.execute(select(AuditEntry.details).where(
                AuditEntry.action.like("relay.escalate.%")).order_by(AuditEntry.id))]
        assert len(notes) == 5 and all("due_at" in n for n in notes)

        def hub_told():
            return [t for t in texts_to(program, "+12025550100") if "Village 4" in t]

        told = await wait_for(hub_told)
        assert "has not confirmed alert" in told[0]
        for village in (4, 5):  # each villager of the silent relays got the alert exactly once
            for j in range(3):
                got = texts_to(program, f"+120255502{village}{j}")
                assert [BODY in t for t in got] == [True]
        for village in (1, 2, 3):
            assert not any(texts_to(program, f"+120255502{village}{j}") for j in range(3))
            assert not texts_to(program, f"+1202555012{village}")  # their backups never bothered
        assert not [t for t in texts_to(program, "+12025550100") if "Village 5" in t]
