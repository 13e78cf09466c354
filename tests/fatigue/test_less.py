"""LESS beside STOP, in the languages the keywords speak: by SMS through the Twilio simulator (real
twilio client, signed webhooks) and on Telegram (real aiogram, the Bot API simulator). After LESS a
person gets crisis alerts and no webinars or notices; MORE (or START) gives everything back."""

from __future__ import annotations

from sqlalchemy import select

from channels.sandbox.telegram_settings import SimUser
from relay.core.channels import planned_senders
from relay.core.models import AuditEntry, Delivery, Endpoint
from relay.delivery import outbox
from relay.delivery.outbox import BroadcastRequest
from tests.relay.conftest import NUMBER, join_by_sms, make_program, say_on_telegram
from tests.running import started


def _plan(program, kind: str, body: str, severity: str = "Unknown") -> dict[str, str]:
    """Plan a broadcast the way `relay broadcast send` does; returns address -> delivery status."""
    planned = outbox.plan_broadcast(program.database.sessions, BroadcastRequest(
        kind=kind, body=body, source_language="en", sender="test", severity=severity),
        senders=planned_senders(program.settings), actor="test")
    with program.database.sessions() as session:
        return dict(session.execute(select(Endpoint.address, Delivery.status).join(Delivery, Delivery.endpoint_id == Endpoint.id)
                                    .where(Delivery.broadcast_id == planned.id)).all())


async def test_less_by_sms_in_english_and_spanish_then_more_and_start_undo_it(tmp_path):
    async with started(make_program(tmp_path)) as program:
        sim = program.simulators["sms"]
        anna, bea = "+50937001111", "+50937002222"
        await join_by_sms(program, {anna: "en", bea: "es"})
        assert "crisis alerts only" in await sim.inject_inbound(anna, NUMBER, "LESS")
        assert "Solo recibira alertas de crisis" in await sim.inject_inbound(bea, NUMBER, "menos")
        with program.database.sessions() as session:
            words = session.scalars(select(AuditEntry.details).where(AuditEntry.action == "subscriber.less")).all()
        assert sorted(w["words"] for w in words) == ["LESS", "menos"]  # the words used, kept
        assert _plan(program, "webinar", "Webinar on Tuesday") == {}  # no webinars
        assert _plan(program, "notice", "Road works") == {}  # no notices
        assert set(_plan(program, "crisis", "Flood warning", "Moderate")) == {anna, bea}  # crisis still comes
        assert "LESS" in await sim.inject_inbound(anna, NUMBER, "MORE")
        assert "activas de nuevo" in await sim.inject_inbound(bea, NUMBER, "START")  # START undoes LESS too
        assert set(_plan(program, "notice", "Road works")) == {anna, bea}


async def test_less_on_telegram_in_french_and_haitian_creole(tmp_path):
    async with started(make_program(tmp_path)) as program:
        telegram = program.simulators["telegram"]
        telegram.add_user(SimUser(id=8201, first_name="Marie", language_code="fr"))
        telegram.add_user(SimUser(id=8202, first_name="Jean", language_code="ht"))
        await say_on_telegram(program, 8201, "/start fr")
        await say_on_telegram(program, 8202, "/start ht")
        assert "alertes de crise" in await say_on_telegram(program, 8201, "MOINS")  # a plain word, as on SMS
        assert "alet kriz selman" in await say_on_telegram(program, 8202, "/mwens")  # the chat-command form
        assert _plan(program, "webinar", "Webinar on Tuesday") == {}
        assert set(_plan(program, "crisis", "Cyclone", "Severe")) == {"8201", "8202"}
        assert "MOINS" in await say_on_telegram(program, 8201, "/plus")
        assert set(_plan(program, "notice", "Clinic open")) == {"8201"}
        assert "Unknown time zone" not in await say_on_telegram(program, 8201, "TZ america/port-au-prince")
        with program.database.sessions() as session:
            zone = session.scalar(select(Endpoint).where(Endpoint.address == "8201")).subscriber.timezone
        assert zone == "America/Port-au-Prince"  # matched whatever the case, stored as IANA spells it
        assert "Mars/Olympus" in await say_on_telegram(program, 8201, "TZ Mars/Olympus")  # named back, nothing changed
