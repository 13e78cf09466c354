"""Synapse's DEFAULT message limit (rc_message: 0.2/s, burst 10) against a 50-message burst.

This module starts a second homeserver with Synapse's own rate limits untouched (the session's
server has them raised for the fast tests). At 0.2 messages/s after a burst of 10, fifty messages
need about 200 s however they are sent: this is the suite's one slow test, and it shows that a
refusal reaches the caller as `RateLimited` with Synapse's advice instead of a silent drop or a nio
sleep, and that resending after that advice delivers everything, in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from channels.base import RateLimited, SenderLimit
from channels.matrix import MatrixChannel, MatrixSettings
from tests.channels.matrix.support import Person, outbound
from tests.channels.matrix.synapse_server import SynapseServer, launch_or_skip

BURST = 50


@pytest.fixture(scope="module")
def default_synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    server = launch_or_skip(tmp_path_factory.mktemp("synapse-defaults"))  # no rc_* overrides
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.waits
@pytest.mark.timeout(600)
async def test_a_burst_under_synapses_default_limits_is_refused_with_advice_then_arrives_in_order(
    default_synapse: SynapseServer,
) -> None:
    bot_user, ana_user = default_synapse.register("bot"), default_synapse.register("ana")
    ana = Person(default_synapse.url, ana_user)
    bot = MatrixChannel(
        MatrixSettings(homeserver=default_synapse.url, user_id=bot_user.user_id,
                       access_token=bot_user.access_token, allowed_inviters=[ana.user_id])
    )  # fmt: skip
    await bot.start()
    try:
        room = await ana.create_room(invite=[bot.user_id])
        assert (await bot.sync_once(None, timeout_ms=1)).joined_rooms == [room]

        texts = [f"update {n:02d} of {BURST}" for n in range(BURST)]
        receipts: list[str] = []
        advice: list[float | None] = []
        for text in texts:
            message = outbound(bot.user_id, room, text)
            while True:  # the dispatcher's job, written out: resend the same message after the advice
                try:
                    receipts.append((await bot.send(message)).provider_message_id)
                    break
                except RateLimited as refused:
                    advice.append(refused.retry_after)
                    await asyncio.sleep(refused.retry_after or 1.0)

        events = await ana.messages(room, limit=BURST * 2)
    finally:
        await bot.stop()
        await ana.close()

    assert bot.limit(bot.user_id) == SenderLimit(rate=0.2, burst=10)  # what we declare is what Synapse enforces
    assert len(advice) >= BURST - 10, "Synapse's default burst is 10: the rest must have been refused"
    assert all(seconds is not None and 0 < seconds <= 10 for seconds in advice), advice
    assert [event["content"]["body"] for event in events] == texts
    assert [event["event_id"] for event in events] == receipts
