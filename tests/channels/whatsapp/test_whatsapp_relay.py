"""WhatsApp end to end: the relay (outbox, dispatcher, webhooks, storage on SQLite and PostgreSQL), the real
twilio client and the simulator's WhatsApp sender on 127.0.0.1."""

from __future__ import annotations

import json

from sqlalchemy import select

from relay.core.models import BroadcastText, Endpoint, ProviderReceipt, Subscriber
from relay.delivery import reach
from tests.channels.whatsapp.support import (SENDER, TEMPLATES, add_people, broadcast, eventually, log, rows,
                                             settled, whatsapp_relay)

INSIDE, OUTSIDE = "+50937001111", "+50937002222"
ALERT = "Cyclone warning: stay indoors from 16:00. Shelter at the school on Route 3."


async def test_inside_the_window_the_text_goes_and_outside_it_the_template(tmp_path, database_url):
    async with whatsapp_relay(tmp_path, database_url) as (program, sim):
        add_people(program, {INSIDE: "en", OUTSIDE: "en"})
        await sim.inject_whatsapp(INSIDE, SENDER, "Is the school open?")  # opens INSIDE's window
        sent = await broadcast(program, ALERT)
        assert await settled(program, sent, 2) == {"delivered": 2}

        by_person = {row["to"]: row for row in log(sim) if row["direction"] == "outbound-api"}
        assert by_person[f"whatsapp:{INSIDE}"]["body"] == ALERT
        assert "content_sid" not in by_person[f"whatsapp:{INSIDE}"]
        template = by_person[f"whatsapp:{OUTSIDE}"]
        assert template["content_sid"] == TEMPLATES["en"]
        assert json.loads(template["content_variables"]) == {"1": ALERT}
        assert sim.stats["window_violations"] == 0 and sim.stats["templates"] == 1


async def test_the_template_is_the_one_of_the_recipients_language(tmp_path):
    async with whatsapp_relay(tmp_path) as (program, sim):
        add_people(program, {OUTSIDE: "fr", "+50937003333": "de"})  # no German template: no default either
        sent = await broadcast(program, ALERT)
        await settled(program, sent, 2)
        french = [row for row in log(sim) if row["to"] == f"whatsapp:{OUTSIDE}"]
        assert [row["content_sid"] for row in french] == [TEMPLATES["fr"]]
        german = rows(program, sent)["+50937003333"]
        assert german.status == "failed" and "no approved template" in german.last_error
        assert sim.stats["window_violations"] == 0


async def test_read_receipts_are_recorded(tmp_path, database_url):
    async with whatsapp_relay(tmp_path, database_url, sim={"unread_numbers": [INSIDE]}) as (program, sim):
        add_people(program, {INSIDE: "en", OUTSIDE: "en"})
        sent = await broadcast(program, ALERT)
        await settled(program, sent, 2)
        ids = {address: row.provider_message_id for address, row in rows(program, sent).items()}

        async def receipts():
            def read(session):
                return {(r.provider_message_id, r.status) for r in session.scalars(select(ProviderReceipt))}
            return await program.database.run(read)

        await eventually(lambda: _has(receipts(), (ids[OUTSIDE], "read")))
        seen = await receipts()
        assert (ids[OUTSIDE], "delivered") in seen and (ids[INSIDE], "delivered") in seen
        assert (ids[INSIDE], "read") not in seen  # this person's app sends no read receipts


async def _has(pending, item) -> bool:
    return item in await pending


async def test_join_on_whatsapp_records_consent_and_stop_ends_it(tmp_path, database_url):
    async with whatsapp_relay(tmp_path, database_url) as (program, sim):
        reply = await sim.inject_whatsapp(OUTSIDE, SENDER, "JOIN fr", profile_name="Ana")
        assert "<Message>" in reply

        def endpoint(session):
            found = session.scalar(select(Endpoint).where(Endpoint.channel == "whatsapp", Endpoint.address == OUTSIDE))
            return None if found is None else (found.opted_out, session.get(Subscriber, found.subscriber_id).language,
                                               session.get(Subscriber, found.subscriber_id).consent_crisis)

        assert await program.database.run(endpoint) == (False, "fr", True)
        sent = await broadcast(program, ALERT)
        await settled(program, sent, 1)
        # JOIN was a message: the person is inside the window, so the alert goes as text, not a template
        [alert] = [row for row in log(sim) if row["direction"] == "outbound-api"]
        assert alert["body"] == _text(program, sent) and "content_sid" not in alert

        await sim.inject_whatsapp(OUTSIDE, SENDER, "STOP")
        assert (await program.database.run(endpoint))[0] is True
        again = await broadcast(program, "Second notice")
        report = await program.database.run(reach.report, again)
        assert report.total == 0  # opted out: nobody is planned
        replies = [row for row in log(sim) if row["direction"] == "outbound-reply"]
        assert len(replies) == 2 and all(row["from"] == f"whatsapp:{SENDER}" for row in replies)


def _text(program, broadcast_id: int) -> str:
    with program.database.sessions() as session:
        return session.scalar(select(BroadcastText.text).where(BroadcastText.broadcast_id == broadcast_id))
