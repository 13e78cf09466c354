"""Outbound against a real Synapse: what a person's client shows after `MatrixChannel.send`."""

from __future__ import annotations

import pytest

from channels.base import PermanentError, RecipientUnreachable, TransientError
from channels.matrix import MatrixChannel, MatrixSettings
from tests.channels.matrix.support import outbound
from tests.channels.matrix.synapse_server import free_port


async def test_a_message_to_a_room_arrives_with_plain_body_and_escaped_html(make_bot, make_person):
    ana = make_person()
    bot = await make_bot(allowed_inviters=[ana.user_id])
    room = await ana.create_room(invite=[bot.user_id])
    await _join(bot, room)

    text = 'Shelter <b>open</b> at "Main & 5th"\nBring water'
    receipt = await bot.send(outbound(bot.user_id, room, text))

    [event] = await ana.messages(room)
    assert event["event_id"] == receipt.provider_message_id
    assert event["sender"] == bot.user_id
    assert event["content"]["msgtype"] == "m.text"
    assert event["content"]["body"] == text
    assert event["content"]["format"] == "org.matrix.custom.html"
    assert event["content"]["formatted_body"] == 'Shelter &lt;b&gt;open&lt;/b&gt; at "Main &amp; 5th"<br>Bring water'


async def test_a_message_to_a_person_opens_one_direct_room_and_reuses_it(make_bot, make_person):
    opened: list[tuple[str, str]] = []

    async def remember(user_id: str, room_id: str) -> None:
        opened.append((user_id, room_id))

    bot = await make_bot(on_direct_room=remember)
    ben = make_person()

    first = await bot.send(outbound(bot.user_id, ben.user_id, "Evacuation route A is closed"))
    second = await bot.send(outbound(bot.user_id, ben.user_id, "Use route B"))

    assert len(opened) == 1 and opened[0][0] == ben.user_id
    room = opened[0][1]
    assert bot.direct_rooms == {ben.user_id: room}
    invites = await ben.pending_invites()
    assert invites[room]["sender"] == bot.user_id
    assert invites[room]["is_direct"] is True
    await ben.join(room)
    events = await ben.messages(room)
    assert [e["content"]["body"] for e in events] == ["Evacuation route A is closed", "Use route B"]
    assert [e["event_id"] for e in events] == [first.provider_message_id, second.provider_message_id]


async def test_a_stored_direct_room_is_reused_after_a_restart(make_bot, make_person, new_user):
    user = new_user("bot")
    ben = make_person()
    bot = await make_bot(user)
    await bot.send(outbound(bot.user_id, ben.user_id, "one"))
    stored = bot.direct_rooms
    await bot.stop()

    opened: list[tuple[str, str]] = []

    async def remember(user_id: str, room_id: str) -> None:
        opened.append((user_id, room_id))

    restarted = await make_bot(user, direct_rooms=stored, on_direct_room=remember)
    await restarted.send(outbound(user.user_id, ben.user_id, "two"))

    assert opened == []
    await ben.join(stored[ben.user_id])
    assert [e["content"]["body"] for e in await ben.messages(stored[ben.user_id])] == ["one", "two"]


async def test_a_resend_of_the_same_delivery_after_a_restart_posts_once(make_bot, make_person, new_user):
    """The process dies after Synapse accepted the message but before the receipt was stored."""
    user = new_user("bot")
    ana = make_person()
    room = await ana.create_room(invite=[user.user_id])
    bot = await make_bot(user, allowed_inviters=[ana.user_id])
    await _join(bot, room)
    message = outbound(user.user_id, room, "Boil water before drinking", delivery_id=4242)

    first = await bot.send(message)
    await bot.stop()
    restarted = await make_bot(user)
    again = await restarted.send(message)

    assert again.provider_message_id == first.provider_message_id
    assert [e["content"]["body"] for e in await ana.messages(room)] == ["Boil water before drinking"]


async def test_a_new_message_reusing_a_delivery_id_is_not_swallowed(make_bot, make_person):
    """A fresh database restarts delivery ids at 1: a different message must still be posted."""
    ana = make_person()
    bot = await make_bot(allowed_inviters=[ana.user_id])
    room = await ana.create_room(invite=[bot.user_id])
    await _join(bot, room)

    await bot.send(outbound(bot.user_id, room, "first alert", delivery_id=1))
    await bot.send(outbound(bot.user_id, room, "second alert", delivery_id=1))

    assert [e["content"]["body"] for e in await ana.messages(room)] == ["first alert", "second alert"]


async def test_a_room_the_bot_is_not_in_is_unreachable(make_bot, make_person):
    bot = await make_bot()
    ana = make_person()
    room = await ana.create_room()  # the bot is never invited

    with pytest.raises(RecipientUnreachable) as caught:
        await bot.send(outbound(bot.user_id, room, "hello"))
    assert caught.value.code == "M_FORBIDDEN"
    assert await ana.messages(room) == []


async def test_an_unknown_room_is_unreachable(make_bot):
    bot = await make_bot()
    with pytest.raises(RecipientUnreachable):
        await bot.send(outbound(bot.user_id, "!nosuchroom:localhost", "hello"))


async def test_an_unknown_person_is_unreachable(make_bot):
    bot = await make_bot()
    with pytest.raises(RecipientUnreachable) as caught:
        await bot.send(outbound(bot.user_id, "@nobody-here:localhost", "hello"))
    assert "@nobody-here:localhost" in str(caught.value)
    assert bot.direct_rooms == {}


@pytest.mark.parametrize(
    ("to", "text", "expected"),
    [
        ("general", "hi", "neither a Matrix room id"),
        ("#alias:localhost", "hi", "neither a Matrix room id"),
        ("!room:localhost", "   ", "empty"),
        ("!room:localhost", "x" * 30_000, "bytes"),
    ],
)
async def test_bad_messages_fail_permanently_with_the_reason(make_bot, to, text, expected):
    bot = await make_bot()
    with pytest.raises(PermanentError) as caught:
        await bot.send(outbound(bot.user_id, to, text))
    assert not isinstance(caught.value, RecipientUnreachable)
    assert expected in str(caught.value)


async def test_a_message_from_another_sender_is_refused(make_bot):
    bot = await make_bot()
    with pytest.raises(PermanentError, match="is not this bot"):
        await bot.send(outbound("@someone-else:localhost", "!room:localhost", "hi"))


async def test_a_revoked_access_token_fails_at_start(synapse, new_user):
    user = new_user("bot")
    channel = MatrixChannel(
        MatrixSettings(homeserver=synapse.url, user_id=user.user_id, access_token="syt_revoked_token_0000000000")
    )
    with pytest.raises(PermanentError) as caught:
        await channel.start()
    assert caught.value.code == "M_UNKNOWN_TOKEN"


async def test_a_token_of_another_account_fails_at_start(synapse, new_user):
    bot, other = new_user("bot"), new_user("other")
    channel = MatrixChannel(MatrixSettings(homeserver=synapse.url, user_id=bot.user_id, access_token=other.access_token))
    with pytest.raises(PermanentError, match="belongs to"):
        await channel.start()


async def test_an_unreachable_homeserver_is_a_transient_error():
    channel = MatrixChannel(
        MatrixSettings(homeserver=f"http://127.0.0.1:{free_port()}", user_id="@bot:localhost", access_token="syt_some_token_abcdef")
    )
    with pytest.raises(TransientError) as caught:
        await channel.start()
    assert caught.value.retryable
    assert "did not answer" in str(caught.value)


async def _join(bot: MatrixChannel, room: str) -> None:
    """Let `bot` accept the pending invite to `room` the way the relay does: by syncing."""
    batch = await bot.sync_once(None)
    assert room in batch.joined_rooms, batch
