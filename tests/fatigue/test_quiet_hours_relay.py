"""Quiet hours in a running relay: the real dispatcher (on a clock the test moves), the Twilio
simulator and the real twilio client. A webinar notice planned at 23:00 in the person's zone waits
until 07:00 there; a crisis Extreme planned at the same moment is delivered at once."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from relay.core import subscribers
from relay.core.channels import planned_senders
from relay.core.models import Delivery
from relay.delivery import outbox
from relay.delivery.outbox import BroadcastRequest
from tests.relay.conftest import make_program, sms_log, wait_for

HAITI = ZoneInfo("America/Port-au-Prince")
PHONE = "+50937003333"


def local(hour: int, minute: int = 0, day: int = 20) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=HAITI).astimezone(timezone.utc)


def _plan(program, now: datetime, kind: str, body: str, severity: str = "Unknown") -> int:
    request = BroadcastRequest(kind=kind, body=body, source_language="en", sender="test", severity=severity)
    return outbox.plan_broadcast(program.database.sessions, request, senders=planned_senders(program.settings),
                                 actor="test", now=now).id


def _delivery(program, broadcast_id: int) -> Delivery:
    with program.database.sessions() as session:
        return session.scalars(select(Delivery).where(Delivery.broadcast_id == broadcast_id)).one()


def _texts_to(program, body: str) -> list[dict]:
    return [m for m in sms_log(program) if m["to"] == PHONE and m["body"] == body]


async def test_a_webinar_notice_at_23_local_waits_until_07_and_a_crisis_extreme_goes_at_once(tmp_path):
    clock = [local(23)]
    program = make_program(tmp_path, fatigue={"quiet_hours": "22:00-07:00"})
    program.clock = lambda: clock[0]
    await program.start()
    try:
        with program.database.sessions.begin() as session:
            subscribers.import_csv(session, io.StringIO(f"phone,language,timezone\n{PHONE},en,America/Port-au-Prince\n"),
                                   actor="test", default_region=None, default_timezone="UTC")
        webinar = _plan(program, clock[0], "webinar", "Webinar: water safety, Tuesday 18:00")
        crisis = _plan(program, clock[0], "crisis", "Flash flood: move to high ground now", "Extreme")
        assert _delivery(program, webinar).next_attempt_at == local(7, day=21)  # its not-before time
        await wait_for(lambda: _texts_to(program, "Flash flood: move to high ground now"))
        sent = await wait_for(lambda: _delivery(program, crisis).sent_at)  # outcomes are recorded in batches
        assert sent == local(23)  # at once, at 23:00 local
        clock[0] = local(6, 59, day=21)
        await asyncio.sleep(1.0)  # several of the dispatcher's idle polls (0.25 s): nothing is due yet
        assert not _texts_to(program, "Webinar: water safety, Tuesday 18:00")
        assert _delivery(program, webinar).status == "pending"
        clock[0] = local(7, day=21)
        await wait_for(lambda: _texts_to(program, "Webinar: water safety, Tuesday 18:00"))
        sent = await wait_for(lambda: _delivery(program, webinar).sent_at)
        assert sent.astimezone(HAITI).strftime("%Y-%m-%d %H:%M") == "2026-12-21 07:00"
        assert len(_texts_to(program, "Webinar: water safety, Tuesday 18:00")) == 1
    finally:
        await program.stop()
