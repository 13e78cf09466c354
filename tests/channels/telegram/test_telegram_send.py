"""`TelegramChannel.send` with the real aiogram client against the Bot API simulator."""

from __future__ import annotations

import json

import pytest

from channels.base import (Channel, Outbound, PermanentError, RateLimited, RecipientUnreachable, SenderLimit,
                          TransientError)
from channels.telegram import parse_provider_message_id
from tests.channels.telegram.support import ANA, BEN, BLOCKER, BOT_ID, GONE, GROUP, KICKED_GROUP, STRANGER


def out(to: int | str, text: str, sender: str = BOT_ID) -> Outbound:
    return Outbound(delivery_id=1, sender=sender, to=str(to), text=text)


def jsonl(simulator) -> list[dict]:
    return [json.loads(line) for line in simulator.jsonl_path.read_text(encoding="utf-8").splitlines()]


async def test_channel_declares_one_sender_and_telegram_limits(start_telegram_sim, start_channel):
    channel = await start_channel(await start_telegram_sim(), messages_per_second=30, per_group_per_minute=20)
    assert isinstance(channel, Channel)
    assert channel.name == "telegram" and list(channel.senders()) == [BOT_ID]
    assert channel.limit(BOT_ID) == SenderLimit(rate=30.0, burst=1.0)
    assert channel.recipient_limit(str(ANA)) == SenderLimit(rate=1.0, burst=1.0)
    assert channel.recipient_limit(str(GROUP)).rate == pytest.approx(20 / 60)
    assert channel.cost("short") == 1 and channel.cost("Long sentence here. " * 500) == 3
    with pytest.raises(PermanentError, match="not a Telegram chat id"):
        channel.recipient_limit("+15551234567")


async def test_send_to_a_user_and_a_group(telegram):
    sim, channel = telegram
    to_ana = await channel.send(out(ANA, "Shelter open at the school."))
    to_group = await channel.send(out(GROUP, "Shelter open at the school."))
    assert to_ana.provider_message_id == f"{ANA}:1" and to_ana.status == "sent"
    assert to_group.provider_message_id == f"{GROUP}:1"
    assert [m.text for m in sim.sent(ANA)] == ["Shelter open at the school."]
    assert [m.text for m in sim.sent(GROUP)] == ["Shelter open at the school."]
    assert [(r["op"], r["chat_id"], r["message_id"]) for r in jsonl(sim)] == [("send", ANA, 1), ("send", GROUP, 1)]
    assert sim.stats["accepted"] == 2


async def test_markup_typed_by_a_user_arrives_literally(telegram):
    sim, channel = telegram
    text = "<b>not bold</b> & a < b > c <script>x</script>"
    await channel.send(out(ANA, text))
    [message] = sim.sent(ANA)
    assert message.text == text
    assert message.entities == []  # Telegram found no markup: nothing became bold


async def test_long_text_is_sent_in_order_split_at_sentences(telegram):
    sim, channel = telegram
    sentences = [f"Update {i:03d}: the water at gauge {i} is {i % 7} cm higher than at noon." for i in range(160)]
    text = " ".join(sentences)
    assert len(text) > 2 * 4096
    receipt = await channel.send(out(ANA, text))
    delivered = [m.text for m in sim.sent(ANA)]
    assert len(delivered) == 3 == channel.cost(text)
    assert all(len(part) <= 4096 and part.endswith(".") for part in delivered)
    assert " ".join(delivered) == text
    chat, ids = parse_provider_message_id(receipt.provider_message_id)
    assert (chat, ids) == (ANA, [1, 2, 3])
    assert receipt.provider_message_id.startswith(f"{ANA}:1")


@pytest.mark.parametrize(
    ("to", "error", "words", "opted_out"),
    [
        (BLOCKER, RecipientUnreachable, "bot was blocked by the user", True),
        (GONE, RecipientUnreachable, "user is deactivated", False),
        (99, RecipientUnreachable, "chat not found", False),
        (-999, RecipientUnreachable, "chat not found", False),
        (KICKED_GROUP, RecipientUnreachable, "bot was kicked from the group chat", False),
        (STRANGER, RecipientUnreachable, "can't initiate conversation", False),
    ],
)
async def test_unreachable_chats_raise_recipient_unreachable(telegram, to, error, words, opted_out):
    sim, channel = telegram
    with pytest.raises(error, match=words) as caught:
        await channel.send(out(to, "hello"))
    assert caught.value.retryable is False
    assert caught.value.opted_out is opted_out
    assert sim.stats["accepted"] == 0


async def test_other_bad_requests_are_permanent(telegram):
    sim, channel = telegram
    sim.fail_next("sendMessage", 400, "Bad Request: TEXT_TOO_FANCY")
    with pytest.raises(PermanentError, match="TEXT_TOO_FANCY") as caught:
        await channel.send(out(ANA, "hello"))
    assert not isinstance(caught.value, RecipientUnreachable)
    with pytest.raises(PermanentError, match="sender"):
        await channel.send(out(ANA, "hello", sender="987"))
    with pytest.raises(PermanentError, match="empty"):
        await channel.send(out(ANA, "   "))
    with pytest.raises(PermanentError, match="not a Telegram chat id"):
        await channel.send(out("ana", "hello"))


async def test_server_errors_are_transient(telegram):
    sim, channel = telegram
    sim.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(TransientError, match="Bad Gateway") as caught:
        await channel.send(out(ANA, "hello"))
    assert caught.value.retryable and not isinstance(caught.value, RateLimited)
    assert (await channel.send(out(ANA, "hello"))).provider_message_id == f"{ANA}:1"  # next call goes through


async def test_unreachable_api_is_transient(start_telegram_sim, start_channel):
    sim = await start_telegram_sim()
    base = sim.base_url
    await sim.stop()  # nothing listens on that port any more
    channel = await start_channel(base)
    with pytest.raises(TransientError, match="cannot reach Telegram"):
        await channel.send(out(ANA, "hello"))


async def test_refused_token_is_transient_and_says_so(start_telegram_sim, start_channel):
    channel = await start_channel(await start_telegram_sim(), token="987654321:AAxxWrongButWellFormed_123456")
    with pytest.raises(TransientError, match="token was refused"):
        await channel.send(out(ANA, "hello", sender="987654321"))


async def test_per_chat_flood_control_surfaces_as_rate_limited(start_telegram_sim, start_channel):
    sim = await start_telegram_sim(per_chat_per_second=0.01, burst_tolerance=3)  # one per 100 s after a burst of 4
    channel = await start_channel(sim)
    for _ in range(4):
        await channel.send(out(ANA, "hello"))
    with pytest.raises(RateLimited) as caught:
        await channel.send(out(ANA, "hello"))
    assert 95 <= caught.value.retry_after <= 100
    assert caught.value.retryable
    await channel.send(out(BEN, "other chats are not held back"))
    stats = sim.stats
    assert (stats["accepted"], stats["rate_limited"], stats["rate_limited_chat"]) == (5, 1, 1)


async def test_group_and_bot_wide_limits_are_counted_separately(start_telegram_sim, start_channel):
    sim = await start_telegram_sim(per_group_per_minute=1, messages_per_second=0.01, burst_tolerance=1)
    channel = await start_channel(sim)
    await channel.send(out(GROUP, "one"))
    await channel.send(out(GROUP, "two"))
    with pytest.raises(RateLimited):
        await channel.send(out(GROUP, "three"))  # the group's pace refuses first
    with pytest.raises(RateLimited) as caught:
        await channel.send(out(ANA, "four"))  # the bot as a whole has used its burst
    assert caught.value.retry_after >= 90
    assert (sim.stats["rate_limited_group"], sim.stats["rate_limited_global"]) == (1, 1)


async def test_edit_and_delete_a_sent_message(telegram):
    sim, channel = telegram
    receipt = await channel.send(out(GROUP, "Meet at 5 <pm>."))
    edited = await channel.edit(receipt.provider_message_id, "Meet at 6 <pm>.")
    assert edited.provider_message_id == receipt.provider_message_id
    assert [m.text for m in sim.sent(GROUP)] == ["Meet at 6 <pm>."]
    await channel.edit(receipt.provider_message_id, "Meet at 6 <pm>.")  # unchanged: not an error
    await channel.delete(receipt.provider_message_id)
    assert sim.sent(GROUP) == []
    assert [r["op"] for r in jsonl(sim)] == ["send", "edit", "delete"]
    with pytest.raises(PermanentError, match="message to delete not found"):
        await channel.delete(receipt.provider_message_id)


async def test_editing_a_split_message_drops_surplus_parts(telegram):
    sim, channel = telegram
    receipt = await channel.send(out(ANA, "First sentence is here. " * 400))  # 9600 characters: 3 parts
    assert len(parse_provider_message_id(receipt.provider_message_id)[1]) == 3
    await channel.edit(receipt.provider_message_id, "Correction: all clear.")
    assert [m.text for m in sim.sent(ANA)] == ["Correction: all clear."]
    with pytest.raises(PermanentError, match="needs 2 messages"):
        await channel.edit(f"{ANA}:1", "Long sentence again. " * 300)
    with pytest.raises(ValueError, match="not a Telegram receipt id"):
        await channel.edit("nonsense", "x")
