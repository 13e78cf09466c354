"""A person sets their location by SMS (LOC with a point or a configured region, through the Twilio
simulator's signed webhooks) and by sharing a location on Telegram (the Bot API simulator sends a real
`location` message; aiogram parses it), and a broadcast aimed at an area then reaches them."""

from __future__ import annotations

from sqlalchemy import select

from channels.sandbox.telegram_settings import SimUser
from relay.core.channels import planned_senders
from relay.core.models import Delivery, Endpoint
from relay.delivery import outbox
from relay.delivery.outbox import BroadcastRequest
from relay.geo import locations
from relay.geo.area import build
from tests.relay.conftest import NUMBER, join_by_sms, make_program, telegram_replies, wait_for
from tests.running import started

REGIONS = {"Ouest": ["ISO3166-2=HT-OU"], "Santa Cruz": ["SAME=006087"]}


def _location(program, channel: str, address: str) -> locations.Location:
    with program.database.sessions() as session:
        endpoint = session.scalar(select(Endpoint).where(Endpoint.channel == channel, Endpoint.address == address))
        return locations.read(session, endpoint.subscriber_id)


def _aimed(program, **area) -> set[str]:
    request = BroadcastRequest(kind="crisis", body="Flood", source_language="en", sender="test", severity="Severe",
                               extras={"geo": build(**area, no_location="exclude").as_json()})
    planned = outbox.plan_broadcast(program.database.sessions, request, senders=planned_senders(program.settings),
                                    actor="test")
    with program.database.sessions() as session:
        return set(session.scalars(select(Endpoint.address).join(Delivery, Delivery.endpoint_id == Endpoint.id)
                                   .where(Delivery.broadcast_id == planned.id)))


async def test_loc_by_sms_with_a_point_a_region_and_mistakes(tmp_path):
    async with started(make_program(tmp_path, geo={"regions": REGIONS})) as program:
        sms = program.simulators["sms"]
        anna, bea = "+50937002001", "+50937002002"
        await join_by_sms(program, {anna: "en", bea: "es"})
        assert "Your location is now 18.54,-72.34" in await sms.inject_inbound(anna, NUMBER, "LOC 18.54, -72.34")
        assert _location(program, "sms", anna).point == (18.54, -72.34)
        assert "ISO3166-2=HT-OU" in await sms.inject_inbound(bea, NUMBER, "loc ouest")  # a region name, any case
        assert _location(program, "sms", bea).codes == (("ISO3166-2", "HT-OU"),)
        assert "Lugar desconocido" in await sms.inject_inbound(bea, NUMBER, "LOC Atlantis")
        assert "Unknown place 95,-72" in await sms.inject_inbound(anna, NUMBER, "LOC 95,-72")
        assert _location(program, "sms", anna).point == (18.54, -72.34)  # a mistake changes nothing
        assert "Your location: 18.54,-72.34" in await sms.inject_inbound(anna, NUMBER, "LOC")
        assert _aimed(program, circles=["18.55,-72.35 5"]) == {anna}
        assert _aimed(program, codes=["ISO3166-2=HT-OU"]) == {bea}


async def test_a_location_shared_on_telegram_sets_the_point(tmp_path):
    async with started(make_program(tmp_path)) as program:
        telegram = program.simulators["telegram"]
        telegram.add_user(SimUser(id=8301, first_name="Marie", language_code="fr"))
        telegram.inject_message(8301, "/start fr")
        await wait_for(lambda: telegram_replies(program, 8301) or None)
        telegram.inject_location(8301, 18.5392, -72.335)
        got = await wait_for(lambda: telegram_replies(program, 8301)[1:] or None)
        assert "Votre position est maintenant 18.539,-72.335" in got[-1]
        assert _location(program, "telegram", "8301").point == (18.5392, -72.335)
        assert _aimed(program, polygons=["18.5,-72.4 18.5,-72.3 18.6,-72.3 18.6,-72.4 18.5,-72.4"]) == {"8301"}
        assert _aimed(program, polygons=["19.5,-72.4 19.5,-72.3 19.6,-72.3 19.6,-72.4 19.5,-72.4"]) == set()
