"""Inbound Telegram: long polling from a persisted offset, webhooks with the secret header, and parsing."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from channels.base import InvalidSignature, TransientError
from channels.telegram import SECRET_HEADER, TelegramSettings, parse_update, parse_webhook, verify_webhook
from tests.channels.telegram.support import ANA, BEN, BOT_ID, GROUP, SECRET, TOKEN


async def wait_for(condition, what: str, timeout: float = 5.0) -> None:
    """Poll a condition the simulator's background task will make true (a bound, not a timing claim)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def test_long_polling_receives_an_update_once_and_resumes_from_the_offset(start_telegram_sim, start_channel):
    sim = await start_telegram_sim()
    channel = await start_channel(sim)
    sim.inject_message(ANA, "/start")
    first = await channel.poll_updates(offset=None, timeout=0)
    [(update_id, inbound)] = first.inbound
    assert inbound.text == "/start" and inbound.sender == str(ANA) and inbound.provider_message_id == str(update_id)
    assert first.next_offset == update_id + 1

    again = await channel.poll_updates(offset=None, timeout=0)  # not confirmed yet: delivered again
    assert [u for u, _ in again.inbound] == [update_id]

    # A restarted process with the persisted offset sees only what came after.
    await channel.stop()
    restarted = await start_channel(sim)
    sim.inject_message(BEN, "/lang en")
    resumed = await restarted.poll_updates(offset=first.next_offset, timeout=0)
    assert [(i.sender, i.text) for _, i in resumed.inbound] == [(str(BEN), "/lang en")]
    assert (await restarted.poll_updates(offset=resumed.next_offset, timeout=0)).inbound == []


async def test_long_poll_wakes_when_a_message_arrives(telegram):
    sim, channel = telegram
    poll = asyncio.ensure_future(channel.poll_updates(offset=None, timeout=20))
    await wait_for(lambda: sim.updates.long_polling, "the long poll to be waiting")
    sim.inject_message(ANA, "help!")
    batch = await asyncio.wait_for(poll, 5)  # answered by the message, long before the 20 s poll ends
    assert [i.text for _, i in batch.inbound] == ["help!"]


async def test_updates_iterator_yields_offsets_to_persist(telegram):
    sim, channel = telegram
    for text in ("one", "two"):
        sim.inject_message(ANA, text)
    seen = []
    async for inbound, next_offset in channel.updates(offset=None, timeout=0):
        seen.append((inbound.text, next_offset))
        if len(seen) == 2:
            break
    assert seen == [("one", 2), ("two", 3)]


async def test_group_messages_and_edits_carry_who_and_where(telegram):
    sim, channel = telegram
    update = sim.inject_message(ANA, "water is rising", chat_id=GROUP)
    message_id = update["message"]["message_id"]
    sim.inject_edit(ANA, message_id, "water is rising fast", chat_id=GROUP)
    batch = await channel.poll_updates(offset=None, timeout=0)
    (_, said), (_, edited) = batch.inbound
    assert said.sender == f"{GROUP}:{ANA}" and said.recipient == BOT_ID and said.channel == "telegram"
    assert dict(said.raw) | {"update_id": "-"} == {
        "update_id": "-", "message_id": str(message_id), "chat_id": str(GROUP), "chat_type": "group",
        "chat_title": "Riverside mutual aid", "user_id": str(ANA), "username": "ana", "display_name": "Ana Lima",
        "language_code": "pt-br", "edited": "false",
    }  # fmt: skip
    assert edited.text == "water is rising fast" and edited.raw["edited"] == "true"
    assert edited.raw["message_id"] == str(message_id)
    assert edited.provider_message_id != said.provider_message_id


async def test_injection_over_http(telegram):
    sim, channel = telegram
    url = f"{sim.base_url}/sandbox/telegram/updates"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"from": BEN, "text": "/help"}) as response:
            assert response.status == 200
            created = await response.json()
        async with session.post(url, json={"from": 4242, "text": "hi"}) as response:
            assert response.status == 400 and "no user 4242" in (await response.json())["error"]
        async with session.post(url, json={"from": BEN, "text": "hi", "chat_id": -999}) as response:
            assert response.status == 400 and "no group -999" in (await response.json())["error"]
        async with session.post(url, json={"text": "hi"}) as response:
            assert response.status == 400 and "from" in (await response.json())["error"]
    [(update_id, inbound)] = (await channel.poll_updates(None, 0)).inbound
    assert update_id == created["update_id"] and inbound.text == "/help"


def test_parse_update_ignores_what_is_not_a_text_message_and_rejects_garbage():
    assert parse_update({"update_id": 5, "callback_query": {"id": "1"}}) is None
    photo = {"update_id": 6, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}
    assert parse_update(photo) is None
    with pytest.raises(ValueError, match="integer update_id"):
        parse_update({"message": {}})


async def test_webhook_delivers_with_the_secret_and_wrong_secret_is_refused(start_telegram_sim, start_channel, webhook_endpoint):
    sim = await start_telegram_sim()
    channel = await start_channel(sim, inbound="webhook", webhook_secret=SECRET)
    await channel.set_webhook(webhook_endpoint.url)
    sim.inject_message(ANA, "/start es")
    await wait_for(lambda: webhook_endpoint.received, "the webhook delivery")
    assert [(i.sender, i.text) for i in webhook_endpoint.received] == [(str(ANA), "/start es")]
    with pytest.raises(TransientError, match="409"):  # getUpdates is refused while a webhook is set
        await channel.poll_updates(None, 0)

    # A forger without the secret is refused, with and without a header.
    async with aiohttp.ClientSession() as session:
        for headers in ({SECRET_HEADER: "guess"}, {}):
            async with session.post(webhook_endpoint.url, json={"update_id": 99}, headers=headers) as response:
                assert response.status == 403
    assert webhook_endpoint.refused == 2

    await channel.delete_webhook()
    sim.inject_message(BEN, "back to polling")
    assert [i.text for _, i in (await channel.poll_updates(None, 0)).inbound] == ["back to polling"]


async def test_a_failing_webhook_is_retried_so_an_update_can_arrive_twice(start_telegram_sim, start_channel, webhook_endpoint):
    sim = await start_telegram_sim()
    channel = await start_channel(sim, inbound="webhook", webhook_secret=SECRET)
    await channel.set_webhook(webhook_endpoint.url)
    webhook_endpoint.fail_first = 1  # the relay stored the message, then crashed before answering
    sim.inject_message(ANA, "once")
    await wait_for(lambda: len(webhook_endpoint.received) == 2, "the retried delivery")
    first, second = webhook_endpoint.received
    assert first.provider_message_id == second.provider_message_id  # the key that makes the replay a no-op
    assert (sim.stats["webhook_failures"], sim.stats["webhook_delivered"]) == (1, 1)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{sim.base_url}/bot{TOKEN}/getWebhookInfo") as response:
            info = (await response.json())["result"]
    assert info["url"] == webhook_endpoint.url and info["pending_update_count"] == 0
    assert "500" in info["last_error_message"]


def test_verify_webhook():
    settings = TelegramSettings(token=TOKEN, inbound="webhook", webhook_secret=SECRET)
    verify_webhook(SECRET, settings)
    for wrong in (None, "", SECRET + "x", SECRET.upper()):
        with pytest.raises(InvalidSignature):
            verify_webhook(wrong, settings)
    with pytest.raises(InvalidSignature, match="no telegram.webhook_secret"):
        verify_webhook(SECRET, TelegramSettings(token=TOKEN))


def test_webhook_body_must_be_json():
    from channels.telegram import parse_webhook

    settings = TelegramSettings(token=TOKEN, inbound="webhook", webhook_secret=SECRET)
    with pytest.raises(ValueError, match="not JSON"):
        parse_webhook(SECRET, b"{nope", settings)
    inbound = parse_webhook(
        SECRET,
        json.dumps({"update_id": 7, "message": {"message_id": 3, "date": 1700000000, "text": "hi",
                    "chat": {"id": 5, "type": "private"}, "from": {"id": 5, "is_bot": False, "first_name": "Al"}}}),
        settings,
    )  # fmt: skip
    assert inbound is not None and inbound.sender == "5" and inbound.received_at.year == 2023


def test_a_webhook_body_nested_too_deeply_is_bad_input_not_a_crash():
    """json.loads raises RecursionError on deep nesting; the webhook used to answer that with a 500."""
    settings = TelegramSettings(token=TOKEN, webhook_secret=SECRET, inbound="webhook")
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_webhook(SECRET, "[" * 100_000 + "]" * 100_000, settings)
