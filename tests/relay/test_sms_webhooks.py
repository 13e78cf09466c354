"""Inbound SMS: signatures, replays, keyword commands, and a STOP that overtakes a queued broadcast."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from channels.sms import webhook_signature
from relay.delivery import outbox, reach
from relay.core.models import AuditEntry, Delivery, Endpoint, InboundMessage, Subscriber
from relay.delivery.outbox import BroadcastRequest
from tests.relay.conftest import NUMBER, make_program, post_form, sms_log, wait_for
from tests.running import started


def count(program, model) -> int:
    with program.database.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def inbound_params(body: str, sid: str, sender: str = "+50937001234") -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": program_sid(), "From": sender, "To": NUMBER,
            "Body": body, "NumMedia": "0", "SmsStatus": "received", "ApiVersion": "2010-04-01"}


def program_sid() -> str:
    from channels.sms_spec import SANDBOX_ACCOUNT_SID

    return SANDBOX_ACCOUNT_SID


async def test_forged_signature_is_refused_and_nothing_is_stored(program):
    url = f"{program.settings.public_url}/webhooks/sms/inbound"
    params = inbound_params("JOIN es", "SM" + "1" * 32)
    forged = webhook_signature("not-the-token", url, params)
    before = (count(program, InboundMessage), count(program, Subscriber), count(program, AuditEntry))
    assert (await post_form(url, params, {"X-Twilio-Signature": forged}))[0] == 403
    assert (await post_form(url, params))[0] == 403  # no signature at all
    token = program.settings.sms.auth_token.get_secret_value()
    tampered = dict(params, Body="JOIN fr")  # signed for one body, sent with another
    assert (await post_form(url, tampered, {"X-Twilio-Signature": webhook_signature(token, url, params)}))[0] == 403
    status_url = f"{program.settings.public_url}/webhooks/sms/status"
    assert (await post_form(status_url, {"MessageSid": "SMx", "MessageStatus": "delivered"},
                            {"X-Twilio-Signature": forged}))[0] == 403
    assert (count(program, InboundMessage), count(program, Subscriber), count(program, AuditEntry)) == before


async def test_replayed_webhook_is_processed_once(program):
    url = f"{program.settings.public_url}/webhooks/sms/inbound"
    token = program.settings.sms.auth_token.get_secret_value()
    params = inbound_params("JOIN es", "SM" + "2" * 32)
    headers = {"X-Twilio-Signature": webhook_signature(token, url, params)}
    first = await post_form(url, params, headers)
    second = await post_form(url, params, headers)
    assert first == second and first[0] == 200 and "espanol" in first[1]
    assert count(program, InboundMessage) == 1 and count(program, Subscriber) == 1
    with program.database.sessions() as session:
        joins = session.scalar(select(func.count()).where(AuditEntry.action == "subscriber.join"))
    assert joins == 1


async def test_keyword_commands_through_the_simulator(program):
    sim = program.simulators["sms"]
    reply = await sim.inject_inbound("+50937001234", NUMBER, "join ht")
    assert "kreyol" in reply
    assert "francais" in await sim.inject_inbound("+50937001234", NUMBER, "LANG fr")
    assert "inconnue xx" in await sim.inject_inbound("+50937001234", NUMBER, "LANG xx")
    assert "JOIN" in await sim.inject_inbound("+50937001234", NUMBER, "HELP")
    assert "START" in await sim.inject_inbound("+50937001234", NUMBER, "Stop")
    with program.database.sessions() as session:
        endpoint = session.scalar(select(Endpoint))
        assert endpoint.opted_out and endpoint.subscriber.language == "fr"
    assert "reactivees" in await sim.inject_inbound("+50937001234", NUMBER, "START")
    # The replies reached the phone: Twilio sends TwiML <Message> replies, the simulator records them.
    replies = [m for m in sms_log(program) if m["to"] == "+50937001234"]
    assert len(replies) == 6 and replies[0]["from"] == NUMBER


async def test_oversized_webhook_is_refused_before_it_is_read(program):
    url = f"{program.settings.public_url}/webhooks/sms/inbound"
    status, _ = await post_form(url, {"Body": "x" * 200_000, "From": "+50937001234", "MessageSid": "SM1"})
    assert status == 413
    assert count(program, InboundMessage) == 0


async def test_stop_overtakes_a_queued_broadcast(tmp_path):
    """At 1 segment per second from one number, the tenth recipient is still queued when she texts STOP:
    she gets nothing more, and everyone else still gets the alert."""
    async with started(make_program(tmp_path, rate=1.0)) as program:
        phones = [f"+1201555{3000 + i:04d}" for i in range(10)]
        for phone in phones:
            await program.simulators["sms"].inject_inbound(phone, NUMBER, "JOIN en")
        stopper = phones[-1]
        with program.database.sessions() as session:
            stopper_id = session.scalar(select(Endpoint.id).where(Endpoint.address == stopper))
        planned = await asyncio.to_thread(outbox.plan_broadcast, program.database.sessions, BroadcastRequest(
            kind="notice", body="Water distribution at the market at 10:00.", source_language="en", sender="t"),
            senders={"sms": [NUMBER]}, actor="t")
        program.dispatcher.wake()
        body = "Water distribution at the market at 10:00."
        await wait_for(lambda: sum(1 for m in sms_log(program) if m["body"] == body) >= 2)
        await program.simulators["sms"].inject_inbound(stopper, NUMBER, "STOP")

        def finished() -> bool:
            with program.database.sessions() as session:
                report = reach.report(session, planned.id)
            return report.by_status.get("pending", 0) + report.by_status.get("sending", 0) == 0

        await wait_for(finished, timeout=60)
        got = [m["to"] for m in sms_log(program) if m["body"] == body]
        assert stopper not in got
        assert sorted(got) == sorted(phones[:-1])
        with program.database.sessions() as session:
            row = session.scalar(select(Delivery).where(Delivery.endpoint_id == stopper_id))
            assert row.status == "cancelled" and "opted out" in row.last_error
