"""The Twilio simulator, driven by the real twilio client (and raw HTTP where the client hides details)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime

import aiohttp
import pytest
from pydantic import ValidationError
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from channels.sandbox.twilio_sim import InboundFailed, TwilioSimSettings
from tests.sandbox.twilio_sim_support import FROM, OTHER_FROM, SID, TO, TOKEN

# twilio's stock async client still passes aiohttp's deprecated `auth=`; that is its code, not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
]

MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"


def jsonl(simulator) -> list[dict]:
    return [json.loads(line) for line in simulator.jsonl_path.read_text(encoding="utf-8").splitlines()]


async def post_raw(simulator, form: dict[str, str], token: str = TOKEN) -> tuple[int, dict, dict]:
    async with aiohttp.ClientSession(headers={"Authorization": aiohttp.encode_basic_auth(SID, token)}) as session:
        async with session.post(simulator.base_url + MESSAGES, data=form) as response:
            return response.status, dict(response.headers), await response.json()


async def test_accepted_message_is_a_twilio_resource_and_is_logged(start_twilio_sim, twilio_client):
    sim = await start_twilio_sim()
    client = twilio_client(sim)

    message = await client.messages.create_async(to=TO, from_=FROM, body="Flood warning: move to higher ground")

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.status, message.direction, message.num_segments) == ("queued", "outbound-api", "1")
    assert (message.to, message.from_, message.account_sid) == (TO, FROM, SID)
    assert isinstance(message.date_created, datetime) and message.price is None
    [line] = jsonl(sim)
    assert line["sid"] == message.sid and line["body"] == "Flood warning: move to higher ground"
    assert (line["to"], line["from"], line["segments"]) == (TO, FROM, 1)
    assert datetime.fromisoformat(line["at"]).utcoffset().total_seconds() == 0
    assert sim.stats["accepted"] == 1


async def test_fetch_returns_the_message_with_its_current_status(start_twilio_sim, twilio_client):
    sim = await start_twilio_sim(callbacks=False)
    client = twilio_client(sim)
    created = await client.messages.create_async(to=TO, from_=FROM, body="hello")

    for _ in range(200):  # the lifecycle runs in the background; delays are 0
        fetched = await client.messages(created.sid).fetch_async()
        if fetched.status == "delivered":
            break
        await asyncio.sleep(0.01)
    assert fetched.status == "delivered" and fetched.body == "hello" and fetched.date_sent is not None
    with pytest.raises(TwilioRestException) as missing:
        await client.messages("SM" + "0" * 32).fetch_async()
    assert (missing.value.status, missing.value.code) == (404, 20404)


async def test_wrong_credentials_are_401_20003_and_nothing_is_sent(start_twilio_sim, twilio_client):
    sim = await start_twilio_sim()
    client = twilio_client(sim, token="0" * 32)

    with pytest.raises(TwilioRestException) as refused:
        await client.messages.create_async(to=TO, from_=FROM, body="hello")

    assert (refused.value.status, refused.value.code) == (401, 20003)
    assert sim.stats["rejected"] == 1 and sim.stats["accepted"] == 0
    assert jsonl(sim) == []


@pytest.mark.parametrize(
    ("to", "from_", "body", "code"),
    [
        ("", FROM, "hello", 21604),
        (TO, FROM, "", 21602),
        ("12345", FROM, "hello", 21211),
        ("+1 not a number", FROM, "hello", 21211),
        (TO, FROM, "x" * 1601, 21617),
        (TO, "+14155550000", "hello", 21606),
        ("+15005550001", FROM, "hello", 21211),
        ("+15005550002", FROM, "hello", 21612),
        ("+15005550004", FROM, "hello", 21610),
        ("+15005550009", FROM, "hello", 21614),
    ],
)
async def test_each_refusal_has_twilios_code(start_twilio_sim, twilio_client, to, from_, body, code):
    sim = await start_twilio_sim()

    with pytest.raises(TwilioRestException) as refused:
        await twilio_client(sim).messages.create_async(to=to, from_=from_, body=body)

    assert (refused.value.status, refused.value.code) == (400, code)
    assert sim.stats["rejected"] == 1 and jsonl(sim) == []


async def test_error_bodies_have_twilios_shape(start_twilio_sim):
    sim = await start_twilio_sim()

    status, _, body = await post_raw(sim, {"To": "+15005550004", "From": FROM, "Body": "hi"})

    assert status == 400
    assert body == {
        "code": 21610,
        "message": "Attempt to send to unsubscribed recipient",
        "more_info": "https://www.twilio.com/docs/errors/21610",
        "status": 400,
    }


async def test_1600_characters_is_still_accepted(start_twilio_sim, twilio_client):
    sim = await start_twilio_sim()
    message = await twilio_client(sim).messages.create_async(to=TO, from_=FROM, body="x" * 1600)
    assert message.num_segments == "11"  # ceil(1600 / 153)


async def test_throughput_limit_answers_429_20429_per_number(start_twilio_sim, twilio_client):
    # 0.1 segment/s with 1 segment of tolerance: two messages fit at once, the third must wait ~10 s.
    sim = await start_twilio_sim(segments_per_second=0.1, tolerance_segments=1)
    client = twilio_client(sim)
    await client.messages.create_async(to=TO, from_=FROM, body="one")
    await client.messages.create_async(to=TO, from_=FROM, body="two")

    with pytest.raises(TwilioRestException) as limited:
        await client.messages.create_async(to=TO, from_=FROM, body="three")
    status, headers, body = await post_raw(sim, {"To": TO, "From": FROM, "Body": "four"})
    other = await client.messages.create_async(to=TO, from_=OTHER_FROM, body="another number has its own limit")

    assert (limited.value.status, limited.value.code) == (429, 20429)
    assert status == 429 and body["code"] == 20429 and 5 <= int(headers["Retry-After"]) <= 11
    assert other.status == "queued"
    assert sim.stats["rate_limited"] == 2 and sim.stats["accepted"] == 3
    assert [line["body"] for line in jsonl(sim)] == ["one", "two", "another number has its own limit"]


async def test_a_three_segment_message_costs_three_segments(start_twilio_sim, twilio_client):
    sim = await start_twilio_sim(segments_per_second=0.1, tolerance_segments=1)
    client = twilio_client(sim)
    long = await client.messages.create_async(to=TO, from_=FROM, body="a" * 400)  # 153 + 153 + 94

    with pytest.raises(TwilioRestException) as limited:  # a 1-segment message would have fitted
        await client.messages.create_async(to=TO, from_=FROM, body="short")

    assert long.num_segments == "3" and jsonl(sim)[0]["segments"] == 3
    assert limited.value.code == 20429
    assert sim.stats["segments"] == 3


async def test_status_callbacks_arrive_in_order_and_signed_like_twilio(start_twilio_sim, twilio_client, webhooks):
    sim = await start_twilio_sim(undeliverable_numbers=["+14155550199"])
    client = twilio_client(sim)
    ok = await client.messages.create_async(to=TO, from_=FROM, body="hi", status_callback=webhooks.url)
    lost = await client.messages.create_async(
        to="+14155550199", from_=FROM, body="hi", status_callback=webhooks.url
    )

    await webhooks.wait_for(4)

    validator = RequestValidator(TOKEN)
    for url, headers, form in webhooks.requests:
        assert validator.validate(url, form, headers["X-Twilio-Signature"])
        assert not RequestValidator("f" * 32).validate(url, form, headers["X-Twilio-Signature"])
    by_sid = {sid: [f for _, _, f in webhooks.requests if f["MessageSid"] == sid] for sid in (ok.sid, lost.sid)}
    assert [f["MessageStatus"] for f in by_sid[ok.sid]] == ["sent", "delivered"]
    assert [f["MessageStatus"] for f in by_sid[lost.sid]] == ["sent", "undelivered"]
    assert by_sid[lost.sid][1]["ErrorCode"] == "30003" and "ErrorCode" not in by_sid[ok.sid][1]
    assert by_sid[ok.sid][1] == {
        "MessageSid": ok.sid, "SmsSid": ok.sid, "MessageStatus": "delivered", "SmsStatus": "delivered",
        "AccountSid": SID, "From": FROM, "To": TO, "ApiVersion": "2010-04-01",
    }  # fmt: skip
    assert sim.stats["callbacks_sent"] == 4


async def test_callbacks_of_one_message_keep_their_order_even_when_the_receiver_is_slow(
    start_twilio_sim, twilio_client, webhooks
):
    webhooks.slow_status = "sent"  # the "delivered" callback must wait for "sent" to be answered
    sim = await start_twilio_sim()
    message = await twilio_client(sim).messages.create_async(
        to=TO, from_=FROM, body="hi", status_callback=webhooks.url
    )
    await webhooks.wait_for(2)
    assert [(form["MessageSid"], form["MessageStatus"]) for _, _, form in webhooks.requests] == [
        (message.sid, "sent"),
        (message.sid, "delivered"),
    ]


async def test_failed_callbacks_are_counted_not_fatal(start_twilio_sim, twilio_client, webhooks):
    webhooks.reply_status = 500
    sim = await start_twilio_sim()
    client = twilio_client(sim)
    await client.messages.create_async(to=TO, from_=FROM, body="hi", status_callback=webhooks.url)
    await webhooks.wait_for(2)
    for _ in range(100):
        if sim.stats["callbacks_failed"] == 2:
            break
        await asyncio.sleep(0.01)

    again = await client.messages.create_async(to=TO, from_=FROM, body="still working")

    assert sim.stats["callbacks_failed"] == 2 and sim.stats["callbacks_sent"] == 0
    assert again.status == "queued"


async def outcomes(sim, client, count: int) -> list[str]:
    results = []
    for i in range(count):
        try:
            await client.messages.create_async(to=TO, from_=FROM, body=f"message {i}")
            results.append("ok")
        except TwilioRestException as exc:
            results.append(str(exc.status))
    return results


async def test_error_rate_with_a_seed_is_reproducible(start_twilio_sim, twilio_client):
    first, second = await start_twilio_sim(error_rate=0.5, seed=7), await start_twilio_sim(error_rate=0.5, seed=7)

    a = await outcomes(first, twilio_client(first), 30)
    b = await outcomes(second, twilio_client(second), 30)

    assert a == b
    assert set(a) == {"ok", "500", "503"}
    assert first.stats["faults"] == a.count("500") + a.count("503")
    assert len(jsonl(first)) == a.count("ok")


async def test_503_outage_window(start_twilio_sim, twilio_client):
    during = await start_twilio_sim(outages=[{"start_s": 0, "end_s": 3600, "mode": "503"}])
    later = await start_twilio_sim(outages=[{"start_s": 3600, "end_s": 7200, "mode": "503"}])

    with pytest.raises(TwilioRestException) as unavailable:
        await twilio_client(during).messages.create_async(to=TO, from_=FROM, body="hi")
    fine = await twilio_client(later).messages.create_async(to=TO, from_=FROM, body="hi")

    assert (unavailable.value.status, unavailable.value.code) == (503, 20503)
    assert during.stats["faults"] == 1 and jsonl(during) == []
    assert fine.status == "queued"


async def test_timeout_outage_holds_the_request(start_twilio_sim):
    sim = await start_twilio_sim(outages=[{"start_s": 0, "end_s": 3600, "mode": "timeout"}])
    async with aiohttp.ClientSession(headers={"Authorization": aiohttp.encode_basic_auth(SID, TOKEN)}) as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.post(sim.base_url + MESSAGES, data={"To": TO, "From": FROM, "Body": "hi"},
                               timeout=aiohttp.ClientTimeout(total=0.3))  # fmt: skip
    assert sim.stats["faults"] == 1 and jsonl(sim) == []


async def test_refuse_window_refuses_connections_then_listens_again(start_twilio_sim, twilio_client):
    sim = await start_twilio_sim(outages=[{"start_s": 0, "end_s": 0.3, "mode": "refuse"}])
    client = twilio_client(sim)

    with pytest.raises(aiohttp.ClientConnectorError):
        await client.messages.create_async(to=TO, from_=FROM, body="refused")
    for _ in range(500):  # the window closes 0.3 s after start; poll instead of trusting the clock
        try:
            message = await client.messages.create_async(to=TO, from_=FROM, body="accepted")
            break
        except aiohttp.ClientConnectorError:
            await asyncio.sleep(0.02)

    assert message.status == "queued"
    assert [line["body"] for line in jsonl(sim)] == ["accepted"]


async def test_inject_inbound_posts_a_twilio_signed_webhook_and_records_replies(start_twilio_sim, webhooks):
    webhooks.reply_body = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Mèsi, nou resevwa mesaj ou</Message>'
        "<Message><Body>Second reply</Body></Message></Response>"
    )
    sim = await start_twilio_sim(inbound_webhook_url=webhooks.url)

    reply = await sim.inject_inbound("+50937001234", FROM, "Nou bezwen dlo", message_sid="SM" + "1" * 32)

    assert reply == webhooks.reply_body
    [(url, headers, form)] = webhooks.requests
    assert RequestValidator(TOKEN).validate(url, form, headers["X-Twilio-Signature"])
    assert not RequestValidator(TOKEN).validate(url, {**form, "Body": "tampered"}, headers["X-Twilio-Signature"])
    assert (form["From"], form["To"], form["Body"]) == ("+50937001234", FROM, "Nou bezwen dlo")
    assert (form["MessageSid"], form["AccountSid"], form["SmsStatus"]) == ("SM" + "1" * 32, SID, "received")
    assert form["FromCountry"] == "HT" and form["NumSegments"] == "1"
    replies = jsonl(sim)
    assert [(r["from"], r["to"], r["body"], r["direction"]) for r in replies] == [
        (FROM, "+50937001234", "Mèsi, nou resevwa mesaj ou", "outbound-reply"),
        (FROM, "+50937001234", "Second reply", "outbound-reply"),
    ]
    assert sim.stats["inbound_sent"] == 1 and sim.stats["replies"] == 2


async def test_inbound_route_and_stats_route(start_twilio_sim, webhooks):
    webhooks.reply_body = '<?xml version="1.0" encoding="UTF-8"?><Response />'
    sim = await start_twilio_sim(inbound_webhook_url=webhooks.url)
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{sim.base_url}/sandbox/sms/inbound",
                                json={"from": "+50937001234", "to": FROM, "body": "STOP"}) as answer:  # fmt: skip
            injected = await answer.json()
        async with session.post(f"{sim.base_url}/sandbox/sms/inbound", json={"from": "+50937001234"}) as bad:
            problem = await bad.json()
        async with session.get(f"{sim.base_url}/sandbox/stats") as stats:
            counts = await stats.json()

    assert injected["reply"] == webhooks.reply_body and webhooks.requests[0][2]["Body"] == "STOP"
    assert webhooks.requests[0][2]["MessageSid"] == injected["message_sid"]
    assert bad.status == 400 and "to" in problem["error"] and "body" in problem["error"]
    assert counts["inbound_sent"] == 1 and counts["replies"] == 0 and jsonl(sim) == []


async def test_inbound_refused_by_the_relay_is_an_error(start_twilio_sim, webhooks):
    webhooks.reply_status = 403
    sim = await start_twilio_sim(inbound_webhook_url=webhooks.url)
    with pytest.raises(InboundFailed, match="403"):
        await sim.inject_inbound("+50937001234", FROM, "hello")
    assert sim.stats["inbound_sent"] == 0


def test_settings_reject_bad_values():
    base = {"account_sid": SID, "auth_token": TOKEN, "numbers": [FROM]}
    with pytest.raises(ValidationError, match="error_rate"):
        TwilioSimSettings(**base, error_rate=1.5)
    with pytest.raises(ValidationError, match="start_s < end_s"):
        TwilioSimSettings(**base, outages=[{"start_s": 5, "end_s": 1, "mode": "503"}])
    with pytest.raises(ValidationError, match="not a phone number"):
        TwilioSimSettings(**{**base, "numbers": ["our number"]})
    with pytest.raises(ValidationError, match="numbers is empty"):
        TwilioSimSettings(**{**base, "numbers": []})
