"""Inbound against a real Synapse: people's messages, the stored sync token, invites."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.base import Inbound
from channels.matrix import MatrixChannel
from tests.channels.matrix.support import Person, outbound
from tests.channels.matrix.synapse_server import User


async def _bot_in_a_room(make_bot, person: Person, user: User | None = None,
                         **options: Any) -> tuple[MatrixChannel, str, str]:
    """A bot (a new account, or `user`'s) that takes `person`'s invites, in a room `person` made and
    invited it to; it has joined. Returns (bot, room, sync token)."""
    bot = await make_bot(user, allowed_inviters=[person.user_id], **options)
    room = await person.create_room(invite=[bot.user_id])
    first = await bot.sync_once(None)
    assert first.joined_rooms == [room]
    settled = await bot.sync_once(first.next_batch)  # the batch that shows our own join
    assert settled.inbound == []
    return bot, room, settled.next_batch


async def test_a_persons_message_is_reported_once_with_who_and_where(make_bot, make_person):
    ana = make_person()
    await ana.set_display_name("Ana María")
    bot, room, token = await _bot_in_a_room(make_bot, ana)

    event_id = await ana.say(room, "Need <water> at the school")
    batch = await bot.sync_once(token)
    later = await bot.sync_once(batch.next_batch, timeout_ms=300)

    [inbound] = batch.inbound
    assert isinstance(inbound, Inbound)
    assert inbound.channel == "matrix"
    assert inbound.provider_message_id == event_id
    assert inbound.sender == ana.user_id
    assert inbound.recipient == room
    assert inbound.text == "Need <water> at the school"
    assert inbound.raw["room_id"] == room
    assert inbound.raw["display_name"] == "Ana María"
    assert inbound.raw["kind"] == "message"
    assert later.inbound == []


async def test_the_bots_own_messages_are_never_reported(make_bot, make_person):
    ana = make_person()
    bot, room, token = await _bot_in_a_room(make_bot, ana)

    await bot.send(outbound(bot.user_id, room, "Alert: river rising"))
    await ana.say(room, "thanks")
    batch = await bot.sync_once(token)

    assert [(m.sender, m.text) for m in batch.inbound] == [(ana.user_id, "thanks")]


async def test_a_restart_from_the_stored_token_misses_nothing_and_repeats_nothing(make_bot, make_person, new_user):
    user = new_user("bot")
    ana = make_person()
    bot, room, token = await _bot_in_a_room(make_bot, ana, user)
    await ana.say(room, "before the restart")
    handled = await bot.sync_once(token)
    stored = handled.next_batch  # what the relay persisted
    await bot.stop()

    sent_while_down = [await ana.say(room, f"while down {n}") for n in range(3)]
    restarted = await make_bot(user, allowed_inviters=[ana.user_id])
    batch = await restarted.sync_once(stored)
    after = await restarted.sync_once(batch.next_batch, timeout_ms=300)

    assert [m.text for m in handled.inbound] == ["before the restart"]
    assert [m.provider_message_id for m in batch.inbound] == sent_while_down
    assert after.inbound == []


async def test_a_long_downtime_is_filled_in_beyond_the_servers_timeline_limit(make_bot, make_person, new_user):
    """Synapse sends only the last `limit` events of a busy room ("limited"); the rest are fetched."""
    user = new_user("bot")
    ana = make_person()
    bot, room, token = await _bot_in_a_room(make_bot, ana, user, timeline_limit=3)
    await bot.stop()

    sent = [await ana.say(room, f"report {n}") for n in range(11)]
    restarted = await make_bot(user, timeline_limit=3)
    batch = await restarted.sync_once(token)

    assert [m.provider_message_id for m in batch.inbound] == sent
    assert [m.text for m in batch.inbound] == [f"report {n}" for n in range(11)]


async def test_the_token_is_reported_only_after_the_batch_was_handed_over(make_bot, make_person):
    ana = make_person()
    bot, room, token = await _bot_in_a_room(make_bot, ana)
    log: list[str] = []
    done = asyncio.Event()

    async def on_inbound(message: Inbound) -> None:
        log.append(f"message {message.text}")

    async def on_next_batch(next_batch: str) -> None:
        log.append("token")
        if sum(entry.startswith("message") for entry in log) >= 2:
            done.set()

    loop = asyncio.create_task(bot.sync_forever(token, on_inbound, on_next_batch))
    try:
        await ana.say(room, "one")
        await ana.say(room, "two")
        await asyncio.wait_for(done.wait(), timeout=30)  # a hang guard, not a timing goal
    finally:
        loop.cancel()
    messages = [entry for entry in log if entry.startswith("message")]
    assert messages == ["message one", "message two"]
    assert log[-1] == "token"
    assert log.index("message two") < len(log) - 1


async def test_a_crash_while_handling_replays_the_batch_from_the_old_token(make_bot, make_person):
    """The handler dies before the token is stored: the next run gets the same events again."""
    ana = make_person()
    bot, room, token = await _bot_in_a_room(make_bot, ana)
    stored: list[str] = []
    seen: list[str] = []

    async def crash(message: Inbound) -> None:
        seen.append(message.provider_message_id)
        raise RuntimeError("the relay died here")

    async def store(next_batch: str) -> None:
        stored.append(next_batch)

    event_id = await ana.say(room, "help")
    try:
        await bot.sync_forever(token, crash, store)
    except RuntimeError:
        pass
    replay = await bot.sync_once(token)

    assert stored == []
    assert seen == [event_id]
    assert [m.provider_message_id for m in replay.inbound] == [event_id]


async def test_a_first_start_does_not_replay_the_rooms_history(make_bot, make_person, new_user):
    user = new_user("bot")
    ana = make_person()
    bot, room, token = await _bot_in_a_room(make_bot, ana, user)
    await ana.say(room, "old news")
    await bot.stop()

    # No stored token: a first start. Synapse answers a repeated /sync request (same device, token,
    # filter and timeout) from a 2-minute cache, which would hand this bot the first life's initial
    # sync; a different timeout makes it a new request, as a first start on a new device would be.
    fresh = await make_bot(user, sync_timeout_ms=250)
    batch = await fresh.sync_once(None)

    assert batch.inbound == []
    await ana.say(room, "new news")
    assert [m.text for m in (await fresh.sync_once(batch.next_batch)).inbound] == ["new news"]


async def test_an_invite_from_an_allowed_person_is_joined_and_earlier_talk_not_reported(make_bot, make_person):
    ana = make_person()
    bot = await make_bot(allowed_inviters=[ana.user_id])
    room = await ana.create_room()
    await ana.say(room, "said before the bot was there")
    await ana.invite(room, bot.user_id)

    start = await bot.sync_once(None)
    token = start.next_batch
    await ana.say(room, "said after the bot joined")
    batch = await bot.sync_once(token)

    assert start.joined_rooms == [room]
    assert [m.text for m in batch.inbound] == ["said after the bot joined"]
    members = await ana.client.joined_members(room)
    assert bot.user_id in [member.user_id for member in members.members]


async def test_an_invite_from_an_allowed_server_is_joined(make_bot, make_person):
    ana = make_person()
    bot = await make_bot(allowed_inviters=[":localhost"])
    room = await ana.create_room(invite=[bot.user_id])

    batch = await bot.sync_once(None)

    assert batch.joined_rooms == [room]


async def test_an_invite_from_anyone_else_is_ignored(make_bot, make_person):
    ana, mallory = make_person("ana"), make_person("mallory")
    bot = await make_bot(allowed_inviters=[ana.user_id, ":trusted.example.net"])
    room = await mallory.create_room(invite=[bot.user_id])

    batch = await bot.sync_once(None)
    await mallory.say(room, "click this link")
    later = await bot.sync_once(batch.next_batch, timeout_ms=300)

    assert batch.joined_rooms == []
    assert batch.ignored_invites == [(room, mallory.user_id)]
    assert later.inbound == []
    members = await mallory.client.joined_members(room)
    assert bot.user_id not in [member.user_id for member in members.members]


async def test_edits_replies_and_redactions_carry_their_markers(make_bot, make_person):
    ana = make_person()
    bot, room, token = await _bot_in_a_room(make_bot, ana)

    original = await ana.say(room, "Shelter at the school")
    edit = await ana.send_raw(room, "m.room.message", {
        "msgtype": "m.text", "body": "* Shelter at the church",
        "m.new_content": {"msgtype": "m.text", "body": "Shelter at the church"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": original},
    })  # fmt: skip
    reply = await ana.send_raw(room, "m.room.message", {
        "msgtype": "m.text", "body": f"> <{ana.user_id}> Shelter at the school\n\n!ack A7K2",
        "m.relates_to": {"m.in_reply_to": {"event_id": original}},
    })  # fmt: skip
    await ana.send_raw(room, "m.room.message", {"msgtype": "m.notice", "body": "a bot's notice"})
    first = await bot.sync_once(token)
    redaction = await ana.redact(room, reply)
    second = await bot.sync_once(first.next_batch)

    by_id = {m.provider_message_id: m for m in first.inbound}
    assert list(by_id) == [original, edit, reply]
    assert by_id[edit].text == "Shelter at the church"
    assert by_id[edit].raw["kind"] == "edit" and by_id[edit].raw["edit_of"] == original
    assert by_id[reply].text == "!ack A7K2" and by_id[reply].raw["in_reply_to"] == original
    [removed] = second.inbound
    assert removed.provider_message_id == redaction
    assert removed.raw["kind"] == "redaction" and removed.raw["redacts"] == reply
    assert removed.text == ""
