"""The whole relay with Matrix beside SMS and Telegram: real nio against a real Synapse, real aiogram
against the Bot API simulator, the real twilio client against the Twilio simulator.

What people notice: a crisis broadcast reaches Telegram users, a Telegram group, Matrix users (in a
direct room the bot opens) and a Matrix room, each exactly once; a bridged Telegram group and Matrix room
and SMS list carry each message to the other rooms once, with nothing echoed; `!start` and `!lang` on
Matrix subscribe and change the language, answered in the room; `!broadcast` from someone who is not a
coordinator is refused with a reply and nothing is broadcast.
"""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import func, select
from typer.testing import CliRunner

from channels.sandbox.telegram_settings import SimGroup, SimUser
from relay.app.cli import app
from relay.app.program import Program
from relay.core import channel_state
from relay.core.models import Broadcast, Endpoint
from tests.relay.conftest import (NUMBER, import_people, make_program, send_crisis, settled, sms_log, telegram_sends,
                                  wait_for)
from tests.running import started

GROUP = -1006001
ANA = 7201


def _relay_with_matrix(tmp_path, synapse, bot_user, inviters) -> Program:
    """A sandboxed relay (SMS, Telegram) with the bot account on the test's Synapse (not started yet)."""
    return make_program(
        tmp_path, sandbox={"sms_numbers": [NUMBER], "segments_per_second": 0, "telegram_groups": [GROUP]},
        translation={"engines": ["apertium"]},
        matrix={"homeserver": synapse.url, "user_id": bot_user.user_id,
                "access_token": bot_user.access_token, "allowed_inviters": inviters, "sync_timeout_ms": 300,
                "messages_per_second": 0},
    )


async def _joined(person, room: str, user_id: str) -> bool:
    answer = await person.client.joined_members(room)
    return any(member.user_id == user_id for member in getattr(answer, "members", []))


async def _bot_messages(person, room: str, bot_id: str) -> list[str]:
    return [e["content"]["body"] for e in await person.messages(room) if e["sender"] == bot_id]


async def test_a_crisis_reaches_telegram_users_a_group_matrix_users_and_a_room_once_each(
        tmp_path, synapse, new_user, make_person):
    bot = new_user("relaybot")
    organiser, ben, cleo = make_person("organiser"), make_person("ben"), make_person("cleo")
    async with started(_relay_with_matrix(tmp_path, synapse, bot, [organiser.user_id])) as program:
        room = await organiser.create_room(invite=[bot.user_id], name="Flood response")
        await wait_for(lambda: _joined(organiser, room, bot.user_id), timeout=30)
        rows = "name,telegram,matrix,language\n" + "".join(f"T{u},{u},,en\n" for u in (7301, 7302))
        rows += f"Group,{GROUP},,en\nBen,,{ben.user_id},en\nCleo,,{cleo.user_id},en\nRoom,,{room},en\n"
        import_people(program, rows)
        body = "Flood warning: move to higher ground before 21:00."
        planned = await send_crisis(program, body)
        report = await settled(program, planned.id)
        assert planned.deliveries == 6
        assert report.by_channel == {"telegram": {"delivered": 3}, "matrix": {"delivered": 3}}
        chats = Counter(str(m["chat_id"]) for m in telegram_sends(program) if body in m["text"])
        assert chats == {"7301": 1, "7302": 1, str(GROUP): 1}
        assert await _bot_messages(organiser, room, bot.user_id) == [body]
        for person in (ben, cleo):  # each gets an invite to a direct room and the alert in it, once
            [direct] = (await person.pending_invites()).keys()
            await person.join(direct)
            assert await _bot_messages(person, direct, bot.user_id) == [body]
    # A restart reuses the direct rooms it stored instead of opening new ones.
    async with started(_relay_with_matrix(tmp_path, synapse, bot, [organiser.user_id])) as program:
        assert set(program.channels["matrix"].direct_rooms) == {ben.user_id, cleo.user_id}


async def test_a_bridged_group_room_and_sms_list_carry_each_message_once_without_echo(
        tmp_path, synapse, new_user, make_person):
    bot = new_user("relaybot")
    dana = make_person("dana")
    await dana.set_display_name("Dana")
    async with started(_relay_with_matrix(tmp_path, synapse, bot, [dana.user_id])) as program:
        sim = program.simulators["telegram"]
        sim.add_user(SimUser(id=ANA, first_name="Ana"))
        sim.add_group(SimGroup(id=GROUP, title="North", members=[ANA]))
        room = await dana.create_room(invite=[bot.user_id], name="North (Matrix)")
        await wait_for(lambda: _joined(dana, room, bot.user_id), timeout=30)
        config = tmp_path / "relay.toml"
        config.write_text(f'data_dir = "{program.settings.data_dir}"\n')
        result = CliRunner().invoke(app, ["--config", str(config), "bridges", "add", "north", "--telegram",
                                          str(GROUP), "--matrix", room, "--sms", "+12015557101"])
        assert result.exit_code == 0, result.output

        sim.inject_message(ANA, "Bridge on Route 2 is closed.", chat_id=GROUP)
        await wait_for(lambda: any("Route 2" in m["body"] for m in sms_log(program)))

        async def in_room(fragment: str):
            return [t for t in await _bot_messages(dana, room, bot.user_id) if fragment in t]

        assert await wait_for(lambda: in_room("Route 2")) == ["Ana (Telegram):\nBridge on Route 2 is closed."]

        event = await dana.say(room, "Thanks, we will take Route 5.")
        await wait_for(lambda: any("Route 5" in m["text"] for m in telegram_sends(program)))
        await wait_for(lambda: len(sms_log(program)) == 2)
        assert [m["text"] for m in telegram_sends(program)] == ["Dana (Matrix):\nThanks, we will take Route 5."]
        assert [m["body"] for m in sms_log(program)][1] == "Dana (Matrix):\nThanks, we will take Route 5."
        assert await in_room("Route 5") == []  # not echoed into the room it came from

        # An edit in the Matrix room edits the Telegram copy; SMS keeps what it got.
        await dana.send_raw(room, "m.room.message", {
            "msgtype": "m.text", "body": "* Thanks, we will take Route 6.",
            "m.new_content": {"msgtype": "m.text", "body": "Thanks, we will take Route 6."},
            "m.relates_to": {"rel_type": "m.replace", "event_id": event}})
        await wait_for(lambda: any(m.get("op") == "edit" for m in map(
            json.loads, sim.jsonl_path.read_text().splitlines())))
        [copy] = sim.sent(GROUP)
        assert "Route 6" in copy.text
        assert len(sms_log(program)) == 2


async def test_matrix_commands_subscribe_and_refuse_a_broadcast_without_permission(
        tmp_path, synapse, new_user, make_person):
    bot = new_user("relaybot")
    eve = make_person("eve")
    async with started(_relay_with_matrix(tmp_path, synapse, bot, [eve.user_id])) as program:
        room = await eve.create_room(invite=[bot.user_id], name="eve and the relay")
        await wait_for(lambda: _joined(eve, room, bot.user_id), timeout=30)
        await eve.say(room, "!start es")
        await wait_for(lambda: _bot_messages(eve, room, bot.user_id))
        with program.database.sessions() as session:
            endpoint = session.scalar(select(Endpoint).where(Endpoint.address == eve.user_id))
            assert endpoint is not None and endpoint.subscriber.language == "es"
        await eve.say(room, "!broadcast Evacuate the whole city now")
        replies = await wait_for(lambda: _two(eve, room, bot.user_id))
        assert "coordinator" in replies[1]
        with program.database.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Broadcast)) == 0


async def _two(person, room, bot_id):
    messages = await _bot_messages(person, room, bot_id)
    return messages if len(messages) >= 2 else None


async def test_a_password_is_used_once_and_the_token_it_gives_is_kept(tmp_path, synapse, new_user):
    bot = new_user("pwbot")

    def relay_with_password():
        return make_program(tmp_path, sandbox={"sms_numbers": [NUMBER], "segments_per_second": 0},
                            matrix={"homeserver": synapse.url, "user_id": bot.user_id, "password": bot.password,
                                    "sync_timeout_ms": 300})

    async with started(relay_with_password()) as program:
        token = program.channels["matrix"].access_token
        assert token and token != bot.access_token  # a login of its own
        with program.database.sessions() as session:
            assert channel_state.get(session, f"matrix:{bot.user_id}:access_token") == token
    async with started(relay_with_password()) as program:
        assert program.channels["matrix"].access_token == token  # no second login after a restart
