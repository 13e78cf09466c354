"""SmsChannel: the real twilio client against the Twilio simulator; every failure comes out typed."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from pydantic import ValidationError

from channels.base import (Channel, ChannelError, Outbound, PermanentError, RateLimited, RecipientUnreachable,
                          SenderLimit, TransientError)
from channels.sms import SmsChannel, SmsSettings
from tests.sandbox.twilio_sim_support import FROM, OTHER_FROM, SID, TO, TOKEN


def outbound(to: str = TO, text: str = "Flood warning", sender: str = FROM) -> Outbound:
    return Outbound(delivery_id=1, sender=sender, to=to, text=text)


def lines(simulator) -> list[dict]:
    return [json.loads(line) for line in simulator.jsonl_path.read_text(encoding="utf-8").splitlines()]


# -- settings ------------------------------------------------------------------------------------------


def settings(**overrides: object) -> SmsSettings:
    return SmsSettings(**{"account_sid": SID, "auth_token": TOKEN, "numbers": [FROM], **overrides})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("account_sid", "ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "account_sid"),
        ("account_sid", "SK" + "0" * 32, "account_sid"),
        ("auth_token", "changeme", "auth_token is a placeholder"),
        ("auth_token", "your-token", "auth_token is a placeholder"),
        ("auth_token", "", "auth_token is empty"),
        ("numbers", [], "numbers is empty"),
        ("numbers", ["555"], "missing country code"),
        ("numbers", [FROM, "+1 500-555-0006"], "same number twice"),
        ("segments_per_second", -1, "segments_per_second"),
        ("burst", 0, "burst must be > 0"),
        ("timeout_seconds", 0, "timeout_seconds must be > 0"),
        ("api_base_url", "127.0.0.1:8080", "api_base_url must be an http"),
        ("status_callback_url", "/webhooks/sms/status", "status_callback_url must be an http"),
    ],
)
def test_settings_refuse_placeholders_and_nonsense(field, value, message):
    with pytest.raises(ValidationError, match=message):
        settings(**{field: value})


def test_settings_normalise_numbers_and_hide_the_token():
    parsed = settings(numbers=["+1 (500) 555-0006"], auth_token=TOKEN)
    assert parsed.numbers == [FROM]
    assert TOKEN not in repr(parsed) and TOKEN not in str(parsed.model_dump())


def test_channel_declares_senders_limits_and_cost():
    channel = SmsChannel(settings(numbers=[FROM, OTHER_FROM], segments_per_second=1.0, burst=2.0))
    assert isinstance(channel, Channel) and channel.name == "sms"
    assert list(channel.senders()) == [FROM, OTHER_FROM]
    assert channel.limit(FROM) == SenderLimit(rate=1.0, burst=2.0)
    assert channel.cost("a" * 160) == 1 and channel.cost("a" * 161) == 2 and channel.cost("é" * 161) == 2
    assert channel.cost("ê" * 71) == 2


# -- sending ------------------------------------------------------------------------------------------


async def test_send_returns_twilios_sid_and_the_message_reaches_the_simulator(start_twilio_sim, sms_channel, webhooks):
    sim = await start_twilio_sim()
    channel = await sms_channel(sim, status_callback_url=webhooks.url)

    receipt = await channel.send(outbound(text="Lapli ap vini: ale nan lekòl la"))

    assert receipt.status == "queued" and receipt.provider_message_id.startswith("SM")
    [line] = lines(sim)
    assert (line["sid"], line["to"], line["from"]) == (receipt.provider_message_id, TO, FROM)
    assert line["body"] == "Lapli ap vini: ale nan lekòl la"
    await webhooks.wait_for(2)  # the status callback URL went along with the message
    assert {form["MessageSid"] for _, _, form in webhooks.requests} == {receipt.provider_message_id}


async def test_many_concurrent_sends_share_one_client(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim()
    channel = await sms_channel(sim)

    receipts = await asyncio.gather(*(channel.send(outbound(text=f"alert {i}")) for i in range(300)))

    assert len({receipt.provider_message_id for receipt in receipts}) == 300
    assert sorted(line["body"] for line in lines(sim)) == sorted(f"alert {i}" for i in range(300))


@pytest.mark.parametrize(
    ("to", "text", "error", "code", "opted_out"),
    [
        ("+15005550004", "hi", RecipientUnreachable, "21610", True),
        ("+15005550001", "hi", RecipientUnreachable, "21211", False),
        ("+15005550002", "hi", RecipientUnreachable, "21612", False),
        ("+15005550009", "hi", RecipientUnreachable, "21614", False),
        ("not a number", "hi", RecipientUnreachable, "21211", False),
        (TO, "x" * 1601, PermanentError, "21617", None),
        (TO, "", PermanentError, "21602", None),
    ],
)
async def test_refusals_map_to_typed_errors(start_twilio_sim, sms_channel, to, text, error, code, opted_out):
    sim = await start_twilio_sim()
    channel = await sms_channel(sim)

    with pytest.raises(error) as raised:
        await channel.send(outbound(to=to, text=text))

    assert type(raised.value) is error and raised.value.code == code and not raised.value.retryable
    if opted_out is not None:
        assert raised.value.opted_out is opted_out


async def test_a_number_twilio_does_not_know_is_permanent_21606(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim(numbers=[FROM])
    channel = await sms_channel(sim, numbers=[FROM, OTHER_FROM])
    with pytest.raises(PermanentError) as raised:
        await channel.send(outbound(sender=OTHER_FROM))
    assert raised.value.code == "21606"


async def test_wrong_token_is_permanent_20003(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim()
    channel = await sms_channel(sim, auth_token="0" * 32)
    with pytest.raises(PermanentError) as raised:
        await channel.send(outbound())
    assert raised.value.code == "20003" and "401" in str(raised.value)


async def test_a_sender_that_is_not_ours_never_reaches_twilio(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim()
    channel = await sms_channel(sim)
    with pytest.raises(PermanentError, match="not one of this account's numbers"):
        await channel.send(outbound(sender=OTHER_FROM))
    assert sim.stats["rejected"] == 0 and lines(sim) == []


async def test_throughput_refusal_is_rate_limited_with_twilios_retry_after(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim(segments_per_second=0.1, tolerance_segments=0)
    channel = await sms_channel(sim)
    await channel.send(outbound(text="first"))

    with pytest.raises(RateLimited) as limited:
        await channel.send(outbound(text="second"))

    assert limited.value.code == "20429" and limited.value.retryable
    assert limited.value.retry_after is not None and 5 <= limited.value.retry_after <= 10


async def test_concurrent_429s_each_carry_their_own_retry_after(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim(segments_per_second=0.1, tolerance_segments=0)
    channel = await sms_channel(sim)
    results = await asyncio.gather(*(channel.send(outbound(text=f"m{i}")) for i in range(20)), return_exceptions=True)
    limited = [result for result in results if isinstance(result, RateLimited)]
    assert len(limited) == 19 and all(error.retry_after and error.retry_after >= 5 for error in limited)


async def test_server_errors_are_transient(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim(error_rate=1.0, seed=3)
    channel = await sms_channel(sim)
    codes = set()
    for _ in range(10):
        with pytest.raises(TransientError) as raised:
            await channel.send(outbound())
        assert type(raised.value) is TransientError and raised.value.retryable
        codes.add(raised.value.code)
    assert codes == {"20500", "20503"}


async def test_outage_503_is_transient(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim(outages=[{"start_s": 0, "end_s": 3600, "mode": "503"}])
    channel = await sms_channel(sim)
    with pytest.raises(TransientError) as raised:
        await channel.send(outbound())
    assert raised.value.code == "20503"


async def test_a_hanging_twilio_is_a_transient_timeout(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim(outages=[{"start_s": 0, "end_s": 3600, "mode": "timeout"}])
    channel = await sms_channel(sim, timeout_seconds=0.2)
    with pytest.raises(TransientError, match="did not answer within 0.2s"):
        await channel.send(outbound())


async def test_refused_connections_are_transient(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim(outages=[{"start_s": 0, "end_s": 3600, "mode": "refuse"}])
    channel = await sms_channel(sim)
    with pytest.raises(TransientError, match="cannot reach Twilio") as raised:
        await channel.send(outbound())
    assert not isinstance(raised.value, RateLimited)


async def test_nothing_listening_is_transient(sms_channel):
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = await sms_channel(None, api_base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(TransientError, match="cannot reach Twilio"):
        await channel.send(outbound())


async def test_every_failure_is_a_channel_error(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim(error_rate=0.3, seed=11, segments_per_second=0.5, tolerance_segments=2)
    channel = await sms_channel(sim)
    results = await asyncio.gather(
        *(channel.send(outbound(to=to)) for to in [TO, "+15005550004", "junk", TO, TO, TO, TO]),
        return_exceptions=True,
    )
    failures = [result for result in results if isinstance(result, BaseException)]
    assert failures and all(isinstance(failure, ChannelError) for failure in failures)


async def test_send_outside_start_stop_is_a_programming_error(start_twilio_sim, sms_channel):
    sim = await start_twilio_sim()
    channel = SmsChannel(settings(api_base_url=sim.base_url))
    with pytest.raises(RuntimeError, match="before start"):
        await channel.send(outbound())
    await channel.start()
    await channel.send(outbound())
    await channel.stop()
    with pytest.raises(RuntimeError, match="before start"):
        await channel.send(outbound())


@pytest.mark.parametrize("method, given", [
    ("POST", None), ("POST", {"Content-Type": "application/json", "Accept": "text/xml"}), ("GET", {}),
    ("PUT", {"User-Agent": "someone else"}), ("DELETE", None),
])
def test_the_channel_sends_the_headers_the_twilio_library_would(method, given):
    """SmsChannel works out twilio's fixed headers once instead of per request; they must stay twilio's."""
    from twilio.rest import Client

    from channels.sms import _Client

    library, ours = Client(SID, TOKEN), _Client(SID, TOKEN)
    expected = library.get_headers(method, dict(given) if given is not None else None)
    assert ours.get_headers(method, dict(given) if given is not None else None) == expected
    assert ours.get_headers(method, dict(given) if given is not None else None) == expected  # from the cache
