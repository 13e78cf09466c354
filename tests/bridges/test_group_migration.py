"""A bridged Telegram group that is upgraded to a supergroup (issue 17, item 10): Telegram refuses every
send to the old id with `migrate_to_chat_id`. The relay moves the group's endpoint to the new id, sends
the refused copy there (nothing lost, no attempt used up), and keeps bridging from and to the new id."""

from __future__ import annotations

from sqlalchemy import select

from channels.sandbox.telegram_settings import SimUser
from relay.core.models import AuditEntry, Delivery, Endpoint
from tests.bridges.support import bridge_north
from tests.relay.conftest import NUMBER, make_program, sms_log, wait_for
from tests.running import started

GROUP, SUPERGROUP = -5021, -1005021000001
ANA = 7121
SMS_EN = "+12015557021"


async def test_the_bridge_follows_the_group_to_its_supergroup(tmp_path):
    async with started(make_program(tmp_path, sandbox={"sms_numbers": [NUMBER], "segments_per_second": 0})) as program:
        sim = bridge_north(program, tmp_path, SimUser(id=ANA, first_name="Ana"), GROUP, SMS_EN)
        sim.upgrade_group(GROUP, SUPERGROUP)

        await program.simulators["sms"].inject_inbound(SMS_EN, NUMBER, "Bridge on the north road is closed.")
        copies = await wait_for(lambda: [m.text for m in sim.sent(SUPERGROUP)] or None)
        assert copies == [f"…{SMS_EN[-4:]} (SMS):\nBridge on the north road is closed."]
        assert sim.sent(GROUP) == []

        def recorded():
            with program.database.sessions() as session:
                row = session.scalar(select(Delivery).join(Endpoint).where(Endpoint.channel == "telegram"))
                return (row.status, row.attempts) if row.status in ("sent", "delivered") else None

        assert await wait_for(recorded) in (("sent", 1), ("delivered", 1))  # the refusal used up no attempt
        with program.database.sessions() as session:
            endpoint = session.scalar(select(Endpoint).where(Endpoint.channel == "telegram"))
            assert endpoint.address == str(SUPERGROUP) and not endpoint.unreachable
            moved = session.scalar(select(AuditEntry).where(AuditEntry.action == "endpoint.moved"))
            assert moved.details["old"] == str(GROUP) and moved.details["new"] == str(SUPERGROUP)

        sim.inject_message(ANA, "Thanks, we take the south road.", chat_id=SUPERGROUP)
        bodies = await wait_for(lambda: [m["body"] for m in sms_log(program) if m["to"] == SMS_EN] or None)
        assert bodies == ["Ana (Telegram):\nThanks, we take the south road."]


def test_a_group_moved_to_a_supergroup_the_relay_already_knew_keeps_its_bridge(database):
    """The supergroup was met first (someone bridged or subscribed it): the old group's endpoint is merged
    into it, and the bridge now relays from and to the supergroup instead of the dead group."""
    from relay.bridges import bridge
    from relay.bridges.models import BridgeMember
    from relay.core.models import Subscriber
    from relay.delivery.endpoints import move_endpoint

    with database.sessions.begin() as session:
        endpoints = {}
        for address in (str(GROUP), str(SUPERGROUP), SMS_EN):
            subscriber = Subscriber(name=address, language="en", timezone="UTC")
            endpoints[address] = Endpoint(channel="sms" if address == SMS_EN else "telegram", address=address)
            subscriber.endpoints.append(endpoints[address])
            session.add(subscriber)
        session.flush()
        north = bridge.create(session, "north", rate_per_minute=20.0, actor="test")
        bridge.add_member(session, north, endpoints[str(GROUP)], actor="test")
        bridge.add_member(session, north, endpoints[SMS_EN], actor="test")
        group_id, supergroup_id, sms_id = (endpoints[a].id for a in (str(GROUP), str(SUPERGROUP), SMS_EN))

    with database.sessions.begin() as session:
        move_endpoint(session, group_id, str(SUPERGROUP))

    with database.sessions() as session:
        members = set(session.scalars(select(BridgeMember.endpoint_id)))
        assert members == {supergroup_id, sms_id}
        group = session.get(Endpoint, group_id)
        assert group.unreachable and group.unreachable_reason == f"moved to {SUPERGROUP}"
        moved = session.scalar(select(AuditEntry).where(AuditEntry.action == "endpoint.moved"))
        assert moved.details["merged_into"] == supergroup_id

