"""A Severe crisis text whose Haitian Creole machine text fails the quality gate, end to end on SQLite and
PostgreSQL: the machine text is held for a person, the original with the Creole note goes out meanwhile,
the text is offered to the en->ht volunteer translators with a deadline, and the first volunteer's text
follows to exactly the endpoints that got the original. Then the relay's dispatcher sends everything
through the real twilio and aiogram clients to the Twilio and Telegram simulators, and what the people's
phones received is read from the simulators' own records.

The en->ht engine here is a stand-in for a real one that fails open (no engine on this machine serves
Creole): it answers through the real translation contract with the English unchanged, which is what the
gate must catch. The gate itself, the outbox, the offer and the approval are the relay's own code.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import add_person
from sqlalchemy import select
from support import queued, telegram

from channels.sandbox.telegram_sim import TelegramSimSettings, TelegramSimulator
from channels.sandbox.twilio_sim import TwilioSimSettings, TwilioSimulator
from channels.sms import SmsChannel, SmsSettings
from channels.telegram import TelegramChannel, TelegramSettings
from channels.telegram_spec import SANDBOX_BOT_ID
from relay.core.config import DispatcherSettings
from relay.core.leases import leases_for
from relay.delivery import outbox, reach
from relay.delivery.dispatcher import Dispatcher
from relay.reports import service as report_service
from relay.reports import translators
from relay.core.channels import planned_senders
from relay.broadcasts.cli import gate_summary
from relay.core.models import Broadcast, BroadcastText, Delivery, Endpoint
from relay.delivery.translation_hooks import (
    approval_policy,
    gate,
    gated_machine,
    untranslated_note,
)
from translation.chain import ChainTranslator
from translation.fail_open import FailOpenEngine
from translation.fallback import NOTES
from translation.protect import ProtectingTranslator

BODY = "Flood warning: move to higher ground now. The shelter at the Delmas 33 school opens at 18:00."
CREOLE = "Avètisman inondasyon: monte sou tè ki pi wo kounye a. Abri lekòl Delmas 33 la ouvri a 18:00."
READERS = ["+50937004441", "+50937004442"]  # Creole readers on SMS; one more on Telegram (user 7301)


ACCOUNT, AUTH = "AC" + "7c" * 16, "a" * 32
BOT_TOKEN = f"{SANDBOX_BOT_ID}:AAH" + "k3Qz9" * 7


def later(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def received(path: Path, key: str, text: str) -> dict[str, list[str]]:
    """What each person's phone or chat received, in order, from a simulator's JSONL record."""
    got: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("op", "send") == "send":
            got.setdefault(str(record[key]), []).append(record[text])
    return got


async def deliver_through_simulators(settings, db, tmp_path: Path, broadcasts: list[int]):
    """Run the relay's dispatcher against both simulators until every delivery of `broadcasts` is sent
    (SMS stays "sent": callbacks are off; a Telegram answer is already "delivered")."""
    numbers = list(settings.sandbox.sms_numbers)
    twilio = TwilioSimulator(TwilioSimSettings(account_sid=ACCOUNT, auth_token=AUTH, numbers=numbers,
                                               segments_per_second=0, callbacks=False), tmp_path / "twilio")
    bot = TelegramSimulator(TelegramSimSettings(token=BOT_TOKEN, auto_users=True, messages_per_second=0,
                                                per_chat_per_second=0, per_group_per_minute=0), tmp_path / "bot")
    await twilio.start()
    await bot.start()
    sms = SmsChannel(SmsSettings(account_sid=ACCOUNT, auth_token=AUTH, numbers=numbers,
                                 api_base_url=twilio.base_url))
    chat = TelegramChannel(TelegramSettings(token=BOT_TOKEN, api_base_url=bot.base_url, timeout_seconds=5))
    await sms.start()
    await chat.start()
    dispatcher = Dispatcher(db, {"sms": sms, "telegram": chat}, DispatcherSettings(idle_poll_seconds=0.05),
                            leases_for(db.engine, tmp_path))
    task = asyncio.create_task(dispatcher.run())
    try:
        for _ in range(600):
            with db.sessions() as session:
                if all(set(reach.report(session, b).by_status) <= {"sent", "delivered"} for b in broadcasts):
                    break
            await asyncio.sleep(0.05)
        else:
            with db.sessions() as session:
                states = [reach.report(session, b).by_status for b in broadcasts]
            raise AssertionError(f"deliveries not sent within 30 s: {states}")
    finally:
        await dispatcher.stop()
        task.cancel()
        await sms.stop()
        await chat.stop()
        await twilio.stop()
        await bot.stop()
    return (received(twilio.jsonl_path, "to", "body"), received(bot.jsonl_path, "chat_id", "text"))


async def test_a_severe_creole_text_that_fails_the_gate_is_held_and_the_volunteer_text_follows(relay_db, tmp_path):
    settings, db = relay_db
    with db.sessions.begin() as session:
        for number in READERS:
            add_person(session, "sms", number, language="ht")
        add_person(session, "telegram", "7301", language="ht")
        add_person(session, "sms", "+12025550111", language="en")
        volunteer = add_person(session, "telegram", "951")
        translators.register(session, volunteer, ["en"], "ht", actor="cli", languages=settings.languages)
    machine = gated_machine(ProtectingTranslator(ChainTranslator([FailOpenEngine("ht")])), gate(settings))
    planned = outbox.plan_broadcast(db.sessions, outbox.BroadcastRequest(
        kind="crisis", severity="Severe", body=BODY, source_language="en", sender="test"),
        senders=planned_senders(settings), machine=machine, note=untranslated_note,
        approval=approval_policy(settings), actor="test")

    assert planned.pending_approval == ("ht",)
    with db.sessions.begin() as session:
        text = session.get(BroadcastText, (planned.id, "ht"))
        failed = {c["name"] for c in text.gate_checks["checks"] if c["status"] == "failed"}
        assert text.gate_verdict == "fail" and {"copy", "language"} <= failed
        assert text.status == "pending_approval" and text.draft == BODY  # the failed draft, kept
        shown = gate_summary(text)  # the gate column of `relay broadcast texts`
        assert shown.startswith("fail: ") and "copy 100" in shown
        meanwhile = f"{NOTES['ht']}\n{BODY}"
        for number in READERS:
            assert queued(session, "sms", number) == [meanwhile]
        assert queued(session, "telegram", "7301") == [meanwhile]
        assert session.scalars(select(Delivery.status).where(Delivery.broadcast_id == planned.id)).all() \
            and set(session.scalars(select(Delivery.status).where(Delivery.broadcast_id == planned.id))) == {"pending"}
        add_person(session, "sms", "+50937004449", language="ht")  # joins after the alert: not its audience

    with db.sessions.begin() as session:
        assert report_service.step(session, settings, later(1)) == {"broadcast_offered": 1}
        assert report_service.step(session, settings, later(2)) == {}  # offered once
        [offer] = [t for t in queued(session, "telegram", "951") if t.startswith("Please translate")]
        assert offer.startswith(f"Please translate broadcast {planned.id} (en -> ht). Reply: /tr B{planned.id}")
        assert " UTC)" in offer and offer.endswith(BODY)
        assert session.get(BroadcastText, (planned.id, "ht")).offer_deadline is not None
        answer = telegram(session, settings, 951, f"/tr B{planned.id} {CREOLE}")
        assert answer.reply == f"Thank you: your ht text of B{planned.id} now goes to its 3 recipient(s)."

    with db.sessions.begin() as session:
        for number in READERS:
            assert queued(session, "sms", number) == [meanwhile, CREOLE]
        assert queued(session, "telegram", "7301") == [meanwhile, CREOLE]
        assert queued(session, "sms", "+50937004449") == []
        assert queued(session, "sms", "+12025550111") == [BODY]
        follow = session.scalars(select(Broadcast).where(Broadcast.references_id == planned.id)).one()
        reached = set(session.scalars(select(Delivery.endpoint_id).where(Delivery.broadcast_id == follow.id)))
        got_original = set(session.scalars(select(Delivery.endpoint_id).where(
            Delivery.broadcast_id == planned.id, Delivery.language == "ht")))
        assert reached == got_original and len(reached) == 3
        assert {session.get(Endpoint, e).address for e in reached} == {*READERS, "7301"}

    phones, chats = await deliver_through_simulators(settings, db, tmp_path, [planned.id, follow.id])
    for number in READERS:  # the original with the note first, then the volunteer's Creole, each once
        assert phones[number] == [meanwhile, CREOLE]
    assert chats["7301"] == [meanwhile, CREOLE]
    assert phones["+12025550111"] == [BODY]
    assert "+50937004449" not in phones  # joined after the alert
