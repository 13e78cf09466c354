"""The channel contract, once for every adapter in the registry: each real adapter (twilio, aiogram, nio)
against its protocol-faithful simulator or a real Synapse sends a message the provider then holds, maps
a refusal to `PermanentError`, states an inbound message in the typed fields the relay reads (speaker,
conversation, kind, message key), edits a sent message where its spec says it can, and turns the
provider's pacing into `RateLimited` (Matrix's own rate limit needs Synapse's default limits, which the
session's homeserver raises: `tests/channels/matrix/test_matrix_ratelimit.py` covers it under `waits`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Awaitable, Callable

import pytest

from channels import registry
from channels.base import Inbound, Outbound, PermanentError, RateLimited
from channels.sandbox.telegram_sim import TelegramSimSettings, TelegramSimulator
from channels.sandbox.twilio_sim import TwilioSimSettings, TwilioSimulator
from channels.sms import SmsChannel, SmsSettings, webhook_signature
from channels.matrix import MatrixChannel, MatrixSettings
from channels.spec import WebhookCall
from channels.telegram import TelegramChannel, TelegramSettings
from tests.channels.matrix.support import Person
from tests.sandbox.twilio_sim_support import FROM, SID, TOKEN, TO
from tests.channels.telegram.support import ANA, BOT_ID, GROUPS, USERS
from tests.channels.telegram.support import TOKEN as BOT_TOKEN


@dataclass
class Harness:
    """One adapter, started, with the provider-side moves the contract needs."""

    channel: Any
    sender: str
    to: str  # a recipient the provider accepts
    refused: str  # a recipient the provider refuses for good
    held: Callable[[], Awaitable[list[str]]]  # the texts the provider now holds for `to`
    say: Callable[[str], Awaitable[Inbound]] | None  # a person sends text; the adapter's Inbound of it
    rate_limited: Callable[[], Awaitable[None]] | None  # provoke the provider's pacing on `channel`
    person: str  # the speaker's address the Inbound must state
    stop: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)  # called in order after the test

    def out(self, text: str, to: str | None = None, delivery_id: int = 1) -> Outbound:
        return Outbound(delivery_id=delivery_id, sender=self.sender, to=to or self.to, text=text)


def _twilio_inbound(channel, name: str, form: dict[str, str]) -> Inbound:
    """`form` posted to the channel's inbound webhook, signed as Twilio signs it, through the spec's parser."""
    url = f"https://relay.example.net/webhooks/{name}/inbound"
    headers = {"x-twilio-signature": webhook_signature(TOKEN, url, form)}
    return registry.spec(name).webhooks[0].parse(WebhookCall(channel.settings, url, headers, form, b""))


async def _two_sends(channel, sender: str, to: str) -> None:
    """Two messages back to back from one sender to one person: the second is over the limit."""
    await channel.send(Outbound(delivery_id=90, sender=sender, to=to, text="one"))
    await channel.send(Outbound(delivery_id=91, sender=sender, to=to, text="two"))


def _bodies_sent_to(sim: TwilioSimulator, to: str) -> Callable[[], Awaitable[list[str]]]:
    """`held` for a channel on the Twilio simulator: the bodies its log shows sent to `to`, in order."""

    async def held() -> list[str]:
        if not sim.jsonl_path.exists():
            return []
        rows = [json.loads(line) for line in sim.jsonl_path.read_text().splitlines() if line.strip()]
        return [row["body"] for row in rows if row["to"] == to]

    return held


async def _sms(tmp_path, request) -> Harness:
    sim = TwilioSimulator(TwilioSimSettings(account_sid=SID, auth_token=TOKEN, numbers=[FROM],
                                            segments_per_second=0.1, tolerance_segments=0,
                                            undeliverable_numbers=[]), tmp_path / "sms")
    await sim.start()
    channel = SmsChannel(SmsSettings(account_sid=SID, auth_token=TOKEN, numbers=[FROM], api_base_url=sim.base_url))
    await channel.start()

    async def say(text: str) -> Inbound:
        return _twilio_inbound(channel, "sms", {"MessageSid": "SM" + "ab" * 16, "AccountSid": SID, "From": TO,
                                                "To": FROM, "Body": text})

    return Harness(channel, FROM, TO, "+15005550001", _bodies_sent_to(sim, TO), say,
                   partial(_two_sends, channel, FROM, TO), TO, stop=[channel.stop, sim.stop])


async def _telegram(tmp_path, request) -> Harness:
    sim = TelegramSimulator(TelegramSimSettings(token=BOT_TOKEN, users=USERS, groups=GROUPS, messages_per_second=0,
                                                per_chat_per_second=0.01, burst_tolerance=1, per_group_per_minute=0,
                                                webhook_retry_delay_ms=0), tmp_path / "telegram")
    await sim.start()
    channel = TelegramChannel(TelegramSettings(token=BOT_TOKEN, api_base_url=sim.base_url, timeout_seconds=5))
    await channel.start()
    offset: list[int | None] = [None]

    async def held() -> list[str]:
        return [m.text for m in sim.sent(ANA)]

    async def say(text: str) -> Inbound:
        sim.inject_message(ANA, text)
        polled = await channel.poll_updates(offset[0], timeout=1)
        offset[0] = polled.next_offset
        return polled.inbound[-1][1]

    async def rate_limited() -> None:
        for i in range(4):
            await channel.send(Outbound(delivery_id=80 + i, sender=BOT_ID, to=str(ANA), text=f"m{i}"))

    return Harness(channel, BOT_ID, str(ANA), "99", held, say, rate_limited, str(ANA), stop=[channel.stop, sim.stop])


async def _matrix(tmp_path, request) -> Harness:
    synapse, new_user = request.getfixturevalue("synapse"), request.getfixturevalue("new_user")
    ana = Person(synapse.url, new_user("ana"))
    account = new_user("bot")
    bot = MatrixChannel(MatrixSettings(homeserver=synapse.url, user_id=account.user_id,
                                       access_token=account.access_token, allowed_inviters=[ana.user_id],
                                       sync_timeout_ms=200))
    await bot.start()
    room = await ana.create_room(invite=[bot.user_id])
    first = await bot.sync_once(None)
    token = [(await bot.sync_once(first.next_batch)).next_batch]

    async def held() -> list[str]:
        """What Ana reads now: the bot's messages with their latest edits applied (as clients show them)."""
        events = [e for e in await ana.messages(room) if e.get("sender") == bot.user_id
                  and e.get("type") == "m.room.message"]
        events.sort(key=lambda e: e.get("origin_server_ts", 0))
        texts: dict[str, str] = {}
        for event in events:
            content = event["content"]
            relation = content.get("m.relates_to") or {}
            if relation.get("rel_type") == "m.replace" and relation.get("event_id") in texts:
                texts[relation["event_id"]] = content["m.new_content"]["body"]
            else:
                texts[event["event_id"]] = content["body"]
        return list(texts.values())

    async def say(text: str) -> Inbound:
        await ana.say(room, text)
        batch = await bot.sync_once(token[0])
        token[0] = batch.next_batch
        return batch.inbound[-1]

    return Harness(bot, bot.user_id, room, "!nowhere:localhost", held, say, None, ana.user_id,
                   stop=[bot.stop, ana.close])


async def _whatsapp(tmp_path, request) -> Harness:
    from datetime import datetime, timedelta, timezone

    from channels.sandbox.twilio_whatsapp import WhatsAppSimSettings
    from channels.whatsapp import WhatsAppChannel
    from channels.whatsapp_settings import WhatsAppSettings

    person, template = "+50937004444", "HX" + "c4" * 16
    sim = TwilioSimulator(TwilioSimSettings(account_sid=SID, auth_token=TOKEN, numbers=[], log_name="wa.jsonl",
                                            whatsapp=WhatsAppSimSettings(senders=[FROM], templates=[template],
                                                                         messages_per_second=0.1,
                                                                         tolerance_messages=0)),
                          tmp_path / "whatsapp")
    await sim.start()
    sim._whatsapp.last_inbound[(FROM, person)] = datetime.now(timezone.utc)  # type: ignore[union-attr]

    async def last_inbound(addresses):  # the relay's record: this person wrote a minute ago
        return {a: datetime.now(timezone.utc) - timedelta(minutes=1) for a in addresses if a == person}

    channel = WhatsAppChannel(WhatsAppSettings(account_sid=SID, auth_token=TOKEN, senders=[FROM],
                                               templates={"en": template}, api_base_url=sim.base_url),
                              last_inbound=last_inbound)
    await channel.start()

    async def say(text: str) -> Inbound:
        return _twilio_inbound(channel, "whatsapp", {"MessageSid": "SM" + "cd" * 16, "AccountSid": SID,
                                                     "From": f"whatsapp:{person}", "To": f"whatsapp:{FROM}",
                                                     "Body": text, "ProfileName": "Ana"})

    return Harness(channel, FROM, person, "+999123", _bodies_sent_to(sim, f"whatsapp:{person}"), say,
                   partial(_two_sends, channel, FROM, person), person, stop=[channel.stop, sim.stop])


async def _voice(tmp_path, request) -> Harness:
    """A call "holds" what it said: the simulator fetches the TwiML from a stand-in for the relay's web side
    (the voice spec's real parsers), so `held` waits for each call to end and reads what was said."""
    import asyncio

    from channels.sandbox.twilio_voice import VoiceSimSettings, VoiceSimulator
    from channels.voice import VoiceChannel
    from channels.voice_settings import VoiceSettings
    from tests.channels.voice.support import StandIn

    stand_in = StandIn()
    url = await stand_in.start()
    sim = VoiceSimulator(VoiceSimSettings(account_sid=SID, auth_token=TOKEN, numbers=[FROM], calls_per_second=0.1,
                                          tolerance_calls=0, ring_ms=0), tmp_path / "voice")
    await sim.start()
    stand_in.settings = VoiceSettings(account_sid=SID, auth_token=TOKEN, numbers=[FROM], api_base_url=sim.base_url,
                                      webhook_url=url)
    channel = VoiceChannel(stand_in.settings)
    await channel.start()

    async def held() -> list[str]:
        for _ in range(600):
            rows = [json.loads(line) for line in sim.jsonl_path.read_text().splitlines()] if sim.jsonl_path.exists() else []
            calls = [row for row in rows if row["to"] == TO]
            if sum(row["event"] == "ended" for row in calls) == sum(row["event"] == "created" for row in calls):
                return [row["said"][0]["text"] for row in calls if row["event"] == "ended"]
            await asyncio.sleep(0.05)
        raise AssertionError("the simulated calls did not end")

    async def rate_limited() -> None:
        await channel.send(Outbound(delivery_id=90, sender=FROM, to=TO, text="one", language="en"))
        await channel.send(Outbound(delivery_id=91, sender=FROM, to=TO, text="two", language="en"))

    # A call is answered by keypad only (tests/channels/voice cover it): there is no text to say.
    harness = Harness(channel, FROM, TO, "+88212345678", held, None, rate_limited, TO,
                      stop=[channel.stop, sim.stop, stand_in.stop])
    harness.out = lambda text, to=None, delivery_id=1: Outbound(  # type: ignore[method-assign]
        delivery_id=delivery_id, sender=FROM, to=to or TO, text=text, language="en")
    return harness


HARNESSES = {"sms": _sms, "telegram": _telegram, "matrix": _matrix, "whatsapp": _whatsapp, "voice": _voice}


def test_every_channel_in_the_registry_has_a_contract_harness():
    assert set(HARNESSES) == set(registry.names())


@pytest.fixture(params=sorted(HARNESSES))
async def harness(request, tmp_path):
    built = await HARNESSES[request.param](tmp_path, request)
    built.name = request.param  # type: ignore[attr-defined]
    try:
        yield built
    finally:
        for stop in built.stop:
            await stop()


async def test_a_send_reaches_the_provider_once(harness):
    receipt = await harness.channel.send(harness.out("Flood warning: move to higher ground now."))
    assert receipt.provider_message_id
    assert await harness.held() == ["Flood warning: move to higher ground now."]


async def test_a_refused_recipient_is_a_permanent_error(harness):
    with pytest.raises(PermanentError) as refused:
        await harness.channel.send(harness.out("hello", to=harness.refused, delivery_id=2))
    assert not refused.value.retryable


async def test_an_inbound_message_states_who_where_and_what(harness):
    if harness.say is None:
        pytest.skip("voice: people answer a call by keypad (tests/channels/voice cover the keypad's Inbound)")
    inbound = await harness.say("Need water at the school")
    spec = registry.spec(harness.name)
    assert inbound.channel == spec.name and inbound.text == "Need water at the school"
    assert inbound.speaker == harness.person and inbound.kind == "message" and not inbound.group
    assert inbound.where and inbound.key


async def test_an_edit_replaces_the_text_where_the_channel_can(harness):
    spec = registry.spec(harness.name)
    receipt = await harness.channel.send(harness.out("Meet at 5 pm.", delivery_id=3))
    if not spec.capabilities.edits:
        assert not hasattr(harness.channel, "change")  # said by the spec, and true of the adapter
        return
    await harness.channel.change(harness.to, receipt.provider_message_id, "Meet at 6 pm.")
    assert await harness.held() == ["Meet at 6 pm."]


async def test_the_providers_pacing_is_rate_limited_with_its_advice(harness):
    if harness.rate_limited is None:
        pytest.skip("Matrix: the session's Synapse raises rc_message; test_matrix_ratelimit.py covers it")
    with pytest.raises(RateLimited) as paced:
        await harness.rate_limited()
    assert paced.value.retryable and paced.value.retry_after and paced.value.retry_after > 0
