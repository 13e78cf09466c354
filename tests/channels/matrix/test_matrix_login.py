"""Password login: once, returning a token the caller stores (Synapse rate-limits logins hard)."""

from __future__ import annotations

import pytest

from channels.base import PermanentError
from channels.matrix import MatrixChannel, MatrixSettings, login_with_password
from tests.channels.matrix.support import outbound


async def test_a_password_login_returns_a_token_that_sends(synapse, new_user, make_person):
    user = new_user("bot")
    ana = make_person()
    token = await login_with_password(
        MatrixSettings(homeserver=synapse.url, user_id=user.user_id, password=user.password)
    )
    assert token and token != user.access_token

    bot = MatrixChannel(MatrixSettings(homeserver=synapse.url, user_id=user.user_id, access_token=token,
                                       allowed_inviters=[ana.user_id]))  # fmt: skip
    await bot.start()
    try:
        room = await ana.create_room(invite=[bot.user_id])
        assert (await bot.sync_once(None, timeout_ms=1)).joined_rooms == [room]
        await bot.send(outbound(bot.user_id, room, "logged in"))
    finally:
        await bot.stop()
    assert [e["content"]["body"] for e in await ana.messages(room)] == ["logged in"]


async def test_start_without_a_token_logs_in_once_and_exposes_the_token(synapse, new_user):
    user = new_user("bot")
    bot = MatrixChannel(MatrixSettings(homeserver=synapse.url, user_id=user.user_id, password=user.password))
    await bot.start()
    try:
        assert bot.access_token
        await bot.start()  # a second start is a no-op, not a second login
        token = bot.access_token
    finally:
        await bot.stop()
    assert token == bot.access_token


async def test_a_wrong_password_is_a_permanent_error(synapse, new_user):
    user = new_user("bot")
    with pytest.raises(PermanentError) as caught:
        await login_with_password(
            MatrixSettings(homeserver=synapse.url, user_id=user.user_id, password="not-the-password-123")
        )
    assert caught.value.code == "M_FORBIDDEN"
    assert user.user_id in str(caught.value)
