"""WhatsApp's limits: the messaging limit (unique people per rolling 24 h) held by the relay's dispatcher
so that the provider never refuses for it, and the simulator refusing what a careless client would send."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from twilio.rest import Client

from channels.sandbox.twilio_sim import TwilioSimSettings, TwilioSimulator
from channels.sandbox.twilio_whatsapp import WhatsAppSimSettings
from relay.api.preview import preview
from relay.core.models import Delivery
from relay.delivery.outbox import ApprovalPolicy, BroadcastRequest
from tests.channels.whatsapp.support import (SENDER, SID, TEMPLATES, TOKEN, add_people, broadcast, eventually,
                                             log, rows, settled, whatsapp_relay)
from tests.sandbox.twilio_sim_support import SimHttpClient, running_webhooks

LIMIT = 250  # Meta's lowest tier (an unverified business)


def _people(count: int, base: int = 50937100000) -> dict[str, str]:
    return {f"+{base + i}": "en" for i in range(count)}


async def test_the_dispatcher_holds_people_beyond_the_messaging_limit_and_the_window_still_goes(tmp_path):
    crowd = _people(LIMIT + 5)
    talker = "+50937199999"  # wrote to us: inside the window, so not a new conversation
    async with whatsapp_relay(tmp_path, messaging_limit=LIMIT) as (program, sim):
        add_people(program, {**crowd, talker: "en"})
        await sim.inject_whatsapp(talker, SENDER, "any news?")
        sent = await broadcast(program, "Flood warning: move to higher ground now.")

        def pending(session):
            return session.scalars(select(Delivery).where(Delivery.broadcast_id == sent,
                                                          Delivery.status == "pending")).all()

        await settled(program, sent, LIMIT + 1)
        held = await eventually(lambda: program.database.run(pending))
        await eventually(lambda: sim.stats["templates"] + sim.stats["free_form"] >= LIMIT + 1)

        assert sim.stats["templates"] == LIMIT and sim.stats["free_form"] == 1
        assert sim.stats["tier_violations"] == 0 and sim.stats["window_violations"] == 0
        assert len(held) == 5 and all("messaging limit" in d.last_error for d in held)
        assert all(d.attempts == 0 for d in held)  # held for room, not failed: no attempt spent
        # each waits for the first conversation to end, about 24 h from now
        assert all(d.next_attempt_at > datetime.now(timezone.utc) + timedelta(hours=23) for d in held)
        assert rows(program, sent)[talker].status == "delivered"
        channel = program.channels["whatsapp"]
        assert channel.conversations.count == LIMIT


async def test_the_people_counted_survive_a_restart(tmp_path):
    async with whatsapp_relay(tmp_path, messaging_limit=LIMIT) as (program, sim):
        add_people(program, _people(3))
        await settled(program, await broadcast(program, "First notice"), 3)
    async with whatsapp_relay(tmp_path, messaging_limit=LIMIT) as (program, sim):
        assert program.channels["whatsapp"].conversations.count == 3


async def test_the_preview_says_how_many_get_the_template(tmp_path, database_url):
    async with whatsapp_relay(tmp_path, database_url) as (program, sim):
        add_people(program, {"+50937001111": "en", "+50937002222": "en", "+50937003333": "fr"})
        await sim.inject_whatsapp("+50937001111", SENDER, "hello")
        shown = preview(program.database.sessions,
                        BroadcastRequest(kind="crisis", body="Shelter at the school.", source_language="en",
                                         sender="test", human_texts={"fr": "Abri à l'école."}),
                        program.settings, machine=None, note=None, approval=ApprovalPolicy())
        cells = {(row["channel"], lang["language"]): row for lang in shown["languages"] for row in lang["channels"]}
        assert cells[("whatsapp", "en")]["recipients"] == 2 and cells[("whatsapp", "en")]["template"] == 1
        assert cells[("whatsapp", "fr")]["recipients"] == 1 and cells[("whatsapp", "fr")]["template"] == 1


async def _sim(tmp_path, **whatsapp) -> TwilioSimulator:
    sim = TwilioSimulator(TwilioSimSettings(account_sid=SID, auth_token=TOKEN, numbers=[], log_name="wa.jsonl",
                                            whatsapp=WhatsAppSimSettings(senders=[SENDER],
                                                                         templates=list(TEMPLATES.values()),
                                                                         messages_per_second=0, **whatsapp)),
                          tmp_path)
    await sim.start()
    return sim


async def test_the_simulator_fails_free_form_outside_the_window_and_templates_beyond_the_limit(tmp_path):
    sim = await _sim(tmp_path, messaging_limit=2)
    client = Client(SID, TOKEN, http_client=SimHttpClient(sim.base_url))
    try:
        async with running_webhooks() as hooks:
            common = {"from_": f"whatsapp:{SENDER}", "status_callback": hooks.url}
            free = await client.messages.create_async(to="whatsapp:+50937001111", body="hello", **common)
            templates = [await client.messages.create_async(
                to=f"whatsapp:+5093700222{i}", content_sid=TEMPLATES["en"],
                content_variables=json.dumps({"1": "Shelter open"}), **common) for i in range(3)]
            await eventually(lambda: len(hooks.requests) >= 1 + 1 + 2 * 3)  # 2 failed; 2 x sent, delivered, read
        final = {}
        for _, _, form in hooks.requests:
            final.setdefault(form["MessageSid"], []).append((form["MessageStatus"], form.get("ErrorCode")))
        assert final[free.sid] == [("failed", "63016")]
        assert final[templates[0].sid] == [("sent", None), ("delivered", None), ("read", None)]
        assert final[templates[2].sid] == [("failed", "63018")]
        assert sim.stats["window_violations"] == 1 and sim.stats["tier_violations"] == 1
        assert [row.get("content_sid") for row in log(sim)] == [None, *[TEMPLATES["en"]] * 3]
    finally:
        await client.http_client.close()
        await sim.stop()


async def test_the_simulator_refuses_what_twilio_refuses(tmp_path):
    from twilio.base.exceptions import TwilioRestException

    sim = await _sim(tmp_path)
    client = Client(SID, TOKEN, http_client=SimHttpClient(sim.base_url))
    cases = [
        ({"to": "whatsapp:+50937001111", "from_": "whatsapp:+12015550100", "body": "x"}, 63007),  # not our sender
        ({"to": "+50937001111", "from_": f"whatsapp:{SENDER}", "body": "x"}, 21910),  # channels mixed
        ({"to": "whatsapp:+50937001111", "from_": f"whatsapp:{SENDER}", "content_sid": "HX" + "0" * 32}, 21655),
        ({"to": "whatsapp:+50937001111", "from_": f"whatsapp:{SENDER}", "content_sid": TEMPLATES["en"],
          "content_variables": "[1]"}, 21656),
    ]
    try:
        for fields, code in cases:
            try:
                await client.messages.create_async(**fields)
            except TwilioRestException as exc:
                assert exc.code == code, (fields, exc.code)
            else:
                raise AssertionError(f"accepted {fields}")
    finally:
        await client.http_client.close()
        await sim.stop()
