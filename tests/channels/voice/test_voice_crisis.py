"""A crisis broadcast on all five channels (SMS, Telegram, Matrix, WhatsApp inside and outside the 24-hour
window, voice), each person once, in their language; on voice one person answers and presses 1 (a relay
node: the ACK counts in the relay network's tree), one has voicemail, one is busy then reached on the
retry, and one speaks a language Twilio has no voice for and is failed over to SMS.

SMS, Telegram, WhatsApp and voice go to the sandbox's protocol-faithful simulators; Matrix goes to the
real Synapse homeserver tests/channels starts (its `synapse` fixture), where the person reads the alert
in the direct room the relay's bot opens. One relay, one database, one broadcast.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import select

from channels.sandbox.twilio_voice import Person
from channels.whatsapp_spec import SANDBOX_SENDER
from relay.app.program import Program
from relay.app.settings import load_settings
from relay.core.channels import planned_senders
from relay.core.models import Delivery, Endpoint, Subscriber
from relay.delivery import outbox, reach
from relay.delivery.outbox import Audience, BroadcastRequest
from relay.networks import failover, relays
from relay.networks.models import RelayAck
from relay.networks.service import NetworkService
from tests.relay.conftest import wait_for

TEXTS = {"en": "Flood warning: move to high ground now.", "fr": "Alerte crue : montez en hauteur maintenant.",
         "pt": "Alerta de cheia: suba para um terreno alto agora.",
         "es": "Alerta de inundación: suba a terreno alto ahora.", "ht": "Alèt inondasyon: monte sou tè wo kounye a."}
PEOPLE = {  # name: (channel, address, language)
    "sms": ("sms", "+50937001001", "ht"),
    "telegram": ("telegram", "1001", "fr"),
    "wa_inside": ("whatsapp", "+50937001002", "es"),
    "wa_outside": ("whatsapp", "+50937001003", "ht"),
    "relay_node": ("voice", "+50937001004", "fr"),
    "voicemail": ("voice", "+50937001005", "en"),
    "busy_once": ("voice", "+50937001006", "es"),
}
CREOLE_CALLER = "+50937001007"  # voice first, then SMS: no Twilio voice speaks Haitian Creole


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


async def test_crisis_reaches_sms_telegram_matrix_whatsapp_and_voice_once_each_in_their_languages(
        tmp_path: Path, database_url: str, synapse, new_user, make_person) -> None:
    bot = new_user("relaybot")
    reader = make_person("reader")  # a Matrix user who reads Portuguese
    overrides: dict = {"data_dir": str(tmp_path / "data"), "http": {"port": 0}, "database_url": database_url,
                       "failover": {"check_seconds": 0.2},
                       "matrix": {"homeserver": synapse.url, "user_id": bot.user_id, "access_token": bot.access_token,
                                  "sync_timeout_ms": 300, "messages_per_second": 0}}
    program = Program(load_settings(None, overrides=overrides), sandbox=True, upgrade=True)
    program.services = [NetworkService(program.settings)]  # failover (and escalation), as `relay run` has it
    await program.start()
    try:
        voice_sim = program.simulators["voice"]
        # Retries after 0.6 s instead of minutes: the status webhook reads the section per request.
        program.settings = program.settings.model_copy(update={"voice": program.settings.voice.model_copy(
            update={"retry_minutes": [0.01]})})
        voice_sim.script(PEOPLE["relay_node"][1], Person(outcomes=["answer"], digits=["9", "1"]))
        voice_sim.script(PEOPLE["voicemail"][1], Person(outcomes=["voicemail"]))
        voice_sim.script(PEOPLE["busy_once"][1], Person(outcomes=["busy", "answer"]))
        ids: dict[str, int] = {}
        with program.database.sessions.begin() as session:
            for name, (channel, address, language) in PEOPLE.items():
                person = Subscriber(name=name, language=language, timezone="UTC", tier="contributor")
                session.add(person)
                session.flush()
                session.add(Endpoint(subscriber_id=person.id, channel=channel, address=address))
                ids[name] = person.id
            creole = Subscriber(name="creole", language="ht", timezone="UTC")
            session.add(creole)
            session.flush()
            session.add_all([Endpoint(subscriber_id=creole.id, channel="voice", address=CREOLE_CALLER),
                             Endpoint(subscriber_id=creole.id, channel="sms", address=CREOLE_CALLER)])
            session.flush()
            failover.set_order(session, creole.id, ["voice", "sms"], actor="test")
            matrix_reader = Subscriber(name="matrix", language="pt", timezone="UTC")
            session.add(matrix_reader)
            session.flush()
            session.add(Endpoint(subscriber_id=matrix_reader.id, channel="matrix", address=reader.user_id))
            relays.add_node(session, subscriber_id=ids["relay_node"], community="Riverside", region="north/riverside",
                            actor="test")
        await program.simulators["whatsapp"].inject_whatsapp(PEOPLE["wa_inside"][1], SANDBOX_SENDER, "hola")

        planned = await asyncio.to_thread(
            outbox.plan_broadcast, program.database.sessions,
            BroadcastRequest(kind="crisis", body=TEXTS["en"], source_language="en", sender="test",
                             severity="Severe", audience=Audience(), human_texts=TEXTS),
            senders=planned_senders(program.settings), actor="test")
        program.dispatcher.wake()

        async def settled() -> bool:
            report = await program.database.run(reach.report, planned.id)
            return report.by_status.get("delivered", 0) >= len(PEOPLE) + 2  # + the Creole SMS and Matrix

        try:
            await wait_for(settled, timeout=40)
        except AssertionError:
            with program.database.sessions() as session:
                states = session.execute(select(Delivery.channel, Delivery.language, Delivery.status,
                                                Delivery.last_error).where(Delivery.broadcast_id == planned.id)).all()
            raise AssertionError(f"not all delivered: {states}; calls {_records(voice_sim.jsonl_path)}") from None
        await asyncio.sleep(1.0)  # anything sent twice would show now
        with program.database.sessions() as session:
            rows = session.execute(select(Delivery, Endpoint.address, Endpoint.subscriber_id)
                                   .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
                                   .where(Delivery.broadcast_id == planned.id)).all()
            ack = session.scalar(select(RelayAck).where(RelayAck.broadcast_id == planned.id))
        by_address = {}
        for delivery, address, _ in rows:
            by_address.setdefault((delivery.channel, address), []).append(delivery)
        for name, (channel, address, language) in PEOPLE.items():
            found = by_address[(channel, address)]
            assert len(found) == 1 and found[0].status == "delivered", (name, [(d.status, d.last_error) for d in found])
            assert found[0].language == language
        # The Creole speaker: the call was refused for want of a voice, the SMS carried it, in Creole.
        assert by_address[("voice", CREOLE_CALLER)][0].status == "failed"
        assert "no Twilio voice" in by_address[("voice", CREOLE_CALLER)][0].last_error
        assert by_address[("sms", CREOLE_CALLER)][0].status == "delivered"

        # What each provider really got, once per person, in their language.
        sms = [m for m in _records(program.simulators["sms"].jsonl_path) if m["direction"] == "outbound-api"]
        assert sorted(m["to"] for m in sms) == sorted([PEOPLE["sms"][1], CREOLE_CALLER])
        assert all(TEXTS["ht"] in m["body"] for m in sms)
        telegram = [m for m in _records(program.simulators["telegram"].jsonl_path) if str(m.get("chat_id")) == "1001"]
        assert len(telegram) == 1 and TEXTS["fr"] in json.dumps(telegram[0], ensure_ascii=False)
        whatsapp = [m for m in _records(program.simulators["whatsapp"].jsonl_path) if m["direction"] == "outbound-api"]
        assert sorted(m["to"] for m in whatsapp) == sorted(f"whatsapp:{PEOPLE[n][1]}" for n in ("wa_inside", "wa_outside"))
        inside = next(m for m in whatsapp if m["to"].endswith(PEOPLE["wa_inside"][1]))
        outside = next(m for m in whatsapp if m["to"].endswith(PEOPLE["wa_outside"][1]))
        assert inside["body"].startswith(TEXTS["es"]) and "content_sid" not in inside
        assert outside["content_sid"] and TEXTS["ht"] in outside["content_variables"]

        # Matrix: one invite to a direct room, the Portuguese text in it once.
        assert by_address[("matrix", reader.user_id)][0].status == "delivered"
        [direct] = (await reader.pending_invites()).keys()
        await reader.join(direct)
        said = [e["content"]["body"] for e in await reader.messages(direct) if e["sender"] == bot.user_id]
        assert len(said) == 1 and TEXTS["pt"] in said[0]

        calls = _records(voice_sim.jsonl_path)
        ended = {c["to"]: [] for c in calls if c["event"] == "ended"}
        for c in calls:
            if c["event"] == "ended":
                ended[c["to"]].append(c)
        node = ended[PEOPLE["relay_node"][1]]
        assert [c["status"] for c in node] == ["completed"] and node[0]["digits"] == ["9", "1"]
        spoken = [s for s in node[0]["said"] if s["text"].endswith(TEXTS["fr"])]
        assert len(spoken) == 2 and all(s["voice"] == "Polly.Lea-Neural" and s["language"] == "fr-FR" for s in spoken)
        assert "Riverside" in node[0]["said"][-2]["text"]  # the relay's thanks for the ACK, in French
        mail = ended[PEOPLE["voicemail"][1]]
        assert [(c["status"], c["answered_by"]) for c in mail] == [("completed", "machine_end_beep")]
        assert mail[0]["said"][0]["text"] == TEXTS["en"] and mail[0]["digits"] == []
        busy = ended[PEOPLE["busy_once"][1]]
        assert [c["status"] for c in busy] == ["busy", "completed"]
        assert busy[1]["said"][0]["text"] == TEXTS["es"] and busy[1]["said"][0]["language"] == "es-US"
        assert CREOLE_CALLER not in ended  # never called in a language they may not understand
        # Every TwiML document was valid. A 429 for calls per second is not asserted away: on a loaded machine
        # two paced requests can arrive closer than they left; the relay re-queues it at no attempt's cost,
        # and the once-each assertions above are what a person would notice.
        assert voice_sim.stats["twiml_invalid"] == 0

        # The ACK counts in the relay network's tree: Riverside's request is acknowledged by its node.
        assert ack is not None and ack.acked_at is not None and ack.acked_by == f"voice:{PEOPLE['relay_node'][1]}"
        receipts = await program.database.run(lambda s: s.execute(select(Delivery.last_error).where(
            Delivery.broadcast_id == planned.id, Delivery.channel == "voice", Delivery.status == "delivered")).all())
        assert len(receipts) == 3
    finally:
        await program.stop()
