"""Telegram commands through `relay run`'s polling loop (real aiogram, the Bot API simulator): what a
person in a private chat or a group sees in reply, and what the relay then does."""

from __future__ import annotations

from sqlalchemy import func, select

from channels.sandbox.telegram_settings import SimGroup, SimUser
from relay.core.models import AuditEntry, Broadcast, Endpoint, Subscriber
from tests.relay.conftest import make_program, say_on_telegram, sms_log, telegram_replies, wait_for
from tests.running import started

GROUP = -1007001


def _endpoint(program, address: str) -> Endpoint | None:
    with program.database.sessions() as session:
        endpoint = session.scalar(select(Endpoint).where(Endpoint.channel == "telegram", Endpoint.address == address))
        if endpoint is not None:
            session.expunge(endpoint.subscriber)
            session.expunge(endpoint)
        return endpoint


async def test_start_lang_stop_help_in_a_private_chat(tmp_path):
    async with started(make_program(tmp_path)) as program:
        program.simulators["telegram"].add_user(SimUser(id=8101, first_name="Marie", language_code="fr-CA"))
        assert "francais" in (await say_on_telegram(program, 8101, "/start")).lower()  # from the app's language
        assert _endpoint(program, "8101").subscriber.language == "fr"
        assert "espanol" in (await say_on_telegram(program, 8101, "/lang es")).lower()
        assert _endpoint(program, "8101").subscriber.language == "es"
        assert "tlh" in await say_on_telegram(program, 8101, "/lang tlh")  # an unknown code is named, nothing changes
        assert _endpoint(program, "8101").subscriber.language == "es"
        assert "STOP" in await say_on_telegram(program, 8101, "/help")
        await say_on_telegram(program, 8101, "/stop")
        assert _endpoint(program, "8101").opted_out
        assert "kreyol" in (await say_on_telegram(program, 8101, "/start ht")).lower()
        assert not _endpoint(program, "8101").opted_out and _endpoint(program, "8101").subscriber.language == "ht"


async def test_a_group_subscribes_itself_and_broadcast_needs_a_coordinator(tmp_path):
    async with started(make_program(tmp_path)) as program:
        sim = program.simulators["telegram"]
        for uid in (8201, 8202):
            sim.add_user(SimUser(id=uid, first_name=f"U{uid}"))
        sim.add_group(SimGroup(id=GROUP, title="Village council", members=[8201, 8202]))
        await say_on_telegram(program, 8201, "/start@relay_sandbox_bot en", chat=GROUP)
        group = _endpoint(program, str(GROUP))
        assert group is not None and group.subscriber.name == "Village council"

        refusal = await say_on_telegram(program, 8201, "/broadcast crisis Evacuate now", chat=GROUP)
        assert "coordinator" in refusal
        with program.database.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Broadcast)) == 0
            assert session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "permission.refused")) == 1

        await say_on_telegram(program, 8202, "/start en")  # 8202 subscribes in private, then is made a coordinator
        with program.database.sessions.begin() as session:
            session.scalar(select(Subscriber).join(Endpoint).where(Endpoint.address == "8202")).tier = "coordinator"
        answer = await say_on_telegram(program, 8202, "/broadcast crisis River over the bridge: leave the lower town.")
        assert "queued" in answer.lower()
        [alert] = await wait_for(lambda: [t for t in telegram_replies(program, GROUP) if "River over the bridge" in t])
        assert "Verify:" in alert  # an official broadcast carries its verification code
        assert not sms_log(program)  # no SMS subscriber: nothing sent there
