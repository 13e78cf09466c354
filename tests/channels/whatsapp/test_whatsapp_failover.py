"""WhatsApp's `read` receipts give failover its "not read within N minutes" trigger: a person who has not
read the alert on WhatsApp gets it by SMS, once; a person who read it does not."""

from __future__ import annotations

import asyncio
import io

from sqlalchemy import select

from relay.core import subscribers
from relay.core.channels import planned_senders
from relay.core.models import Subscriber
from relay.delivery import outbox
from relay.delivery.outbox import BroadcastRequest
from relay.networks import failover
from relay.networks.service import NetworkService
from tests.relay.conftest import make_program, sms_log, wait_for

READER, SLEEPER = "+12015554101", "+12015554102"


async def test_an_unread_whatsapp_alert_goes_again_by_sms(tmp_path):
    program = make_program(tmp_path, failover={"check_seconds": 0.1, "unread_minutes": 0.02})  # 1.2 s
    program.services = [NetworkService(program.settings)]
    await program.start()
    try:
        program.simulators["whatsapp"]._whatsapp.settings.unread_numbers = [SLEEPER]
        with program.database.sessions.begin() as session:
            report = subscribers.import_csv(
                session, io.StringIO(f"name,phone,whatsapp,language\nRia,{READER},{READER},en\n"
                                     f"Sol,{SLEEPER},{SLEEPER},en\n"),
                actor="t", default_region=None, default_timezone="UTC")
            assert not report.errors
            session.flush()
            for person in session.scalars(select(Subscriber)):
                failover.set_order(session, person.id, ["whatsapp", "sms"], actor="t")
        planned = await asyncio.to_thread(outbox.plan_broadcast, program.database.sessions, BroadcastRequest(
            kind="crisis", body="Dam breach: leave the valley now.", source_language="en", sender="t"),
            senders=planned_senders(program.settings), actor="t")
        assert planned.deliveries == 2  # both on WhatsApp, their first choice
        program.dispatcher.wake()

        texted = await wait_for(lambda: [m for m in sms_log(program) if m["to"] == SLEEPER])
        assert texted[0]["body"] == "Dam breach: leave the valley now."
        await asyncio.sleep(1.5)  # more failover rounds: nothing more may go
        assert len([m for m in sms_log(program) if m["to"] == SLEEPER]) == 1
        assert not [m for m in sms_log(program) if m["to"] == READER]  # Ria read it on WhatsApp
        with program.database.sessions() as session:
            paths = failover.report(session, planned.id)
        assert [(p.name, p.channels) for p in paths] == [("Sol", ("whatsapp", "sms"))]
    finally:
        await program.stop()
