"""Channel failover: a Telegram user who blocked the bot gets the crisis alert by SMS, once; people whose
Telegram works get it on Telegram only; the status report says which channel reached whom."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from relay.networks import failover
from relay.delivery import outbox
from relay.core import subscribers
from relay.core.channels import planned_senders
from relay.core.models import Delivery, Endpoint, Subscriber
from relay.networks.models import Failover
from relay.networks.service import NetworkService
from relay.delivery.outbox import BroadcastRequest
from tests.relay.conftest import make_program, sms_log, wait_for

BODY = "Cyclone warning: stay indoors from 16:00."


def import_people(session, rows: str) -> dict[str, int]:
    report = subscribers.import_csv(session, io.StringIO("name,phone,telegram,language\n" + rows), actor="t",
                                    default_region=None, default_timezone="UTC")
    assert not report.errors
    session.flush()
    return {s.name: s.id for s in session.scalars(select(Subscriber))}


async def test_blocked_telegram_user_gets_the_alert_by_sms_once(tmp_path):
    program = make_program(tmp_path, failover={"check_seconds": 0.2})
    program.services = [NetworkService(program.settings)]
    await program.start()
    try:
        with program.database.sessions.begin() as session:
            ids = import_people(session, "Ana,+12015554001,6001,es\nBen,+12015554002,6002,en\n"
                                         "Cy,+12015554003,,en\n")
            for name in ("Ana", "Ben"):
                failover.set_order(session, ids[name], ["telegram", "sms"], actor="t")
        program.simulators["telegram"].set_user(6001, blocked=True)  # Ana blocked the bot
        planned = await asyncio.to_thread(outbox.plan_broadcast, program.database.sessions, BroadcastRequest(
            kind="crisis", body=BODY, source_language="en", sender="t", human_texts={"es": "Ciclon: quedese en casa."}),
            senders=planned_senders(program.settings), actor="t")
        assert planned.deliveries == 3  # Ana and Ben on Telegram (their first choice), Cy on SMS
        program.dispatcher.wake()

        def ana_texted():
            return [m for m in sms_log(program) if m["to"] == "+12015554001"]

        got = await wait_for(ana_texted)
        assert got[0]["body"] == "Ciclon: quedese en casa."
        await asyncio.sleep(1.0)  # a few more failover rounds: nothing more may be sent
        assert len(ana_texted()) == 1
        assert not [m for m in sms_log(program) if m["to"] == "+12015554002"]  # Ben's Telegram works
        log = [json.loads(line) for line in program.simulators["telegram"].jsonl_path.read_text().splitlines()]
        assert [str(m["chat_id"]) for m in log if m.get("op") == "send"] == ["6002"]
        with program.database.sessions() as session:
            paths = failover.report(session, planned.id)
            assert [(p.name, p.channels, p.status) for p in paths] == [("Ana", ("telegram", "sms"), "delivered")]
            assert session.scalar(select(func.count()).select_from(Failover)) == 1
    finally:
        await program.stop()


def test_failover_once_never_the_same_channel_twice(database):
    """On both databases: a failure is carried over once; with no channel left the person is recorded as
    exhausted, not retried on a channel already tried."""
    senders = {"sms": ["+12015550100"], "telegram": ["7000000001"]}
    with database.sessions.begin() as session:
        ids = import_people(session, "Dee,+12015554010,6010,en\n")
        failover.set_order(session, ids["Dee"], ["telegram", "sms"], actor="t")
    planned = outbox.plan_broadcast(database.sessions, BroadcastRequest(kind="crisis", body=BODY, source_language="en",
                                                                        sender="t"), senders=senders, actor="t")
    now = datetime.now(timezone.utc)
    with database.sessions.begin() as session:
        first = session.scalar(select(Delivery).where(Delivery.broadcast_id == planned.id))
        assert first.channel == "telegram"
        first.status, first.last_error = "failed", "bot was blocked by the user (code 403)"
    with database.sessions.begin() as session:
        carried = failover.fail_over_due(session, now, senders)
        assert [(c.channel) for c in carried] == ["sms"]
        assert failover.fail_over_due(session, now + timedelta(minutes=5), senders) == []
        second = session.get(Delivery, carried[0].next_delivery_id)
        second.status = "failed"  # the SMS fails too: nothing left to try
    with database.sessions.begin() as session:
        last = failover.fail_over_due(session, now, senders)
        assert [(c.next_delivery_id, c.channel) for c in last] == [(None, None)]
        assert session.get(Failover, last[0].failed_delivery_id).exhausted
        assert session.scalar(select(func.count()).where(Delivery.broadcast_id == planned.id)) == 2
        tiers = session.scalars(select(Endpoint.failover_rank).order_by(Endpoint.failover_rank)).all()
        assert tiers == [0, 1]
