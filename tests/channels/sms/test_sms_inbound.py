"""Inbound SMS and status callbacks: Twilio-signed webhooks (from the simulator) in, our types out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
from aiohttp import web
from twilio.request_validator import RequestValidator

from channels.base import Inbound, InvalidSignature, Outbound
from channels.sms import parse_inbound, parse_status, twiml_reply
from tests.running import serving
from tests.sandbox.twilio_sim_support import FROM, SID, TO, TOKEN, running_webhooks

PERSON = "+50937001234"
URL = "https://relay.example.org/webhooks/sms/inbound?channel=1"


def signed(params: dict[str, str], url: str = URL, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


async def test_an_sms_injected_by_the_simulator_parses_and_the_reply_goes_back(start_twilio_sim):
    """The simulator plays Twilio, a tiny aiohttp app plays the relay's webhook route."""
    seen: list[Inbound] = []

    async def relay_webhook(request: web.Request) -> web.Response:
        form = await request.post()
        message = parse_inbound(TOKEN, str(request.url), form, request.headers.get("X-Twilio-Signature"))
        seen.append(message)
        return web.Response(text=twiml_reply(f"Nou resevwa: {message.text}"), content_type="text/xml")

    app = web.Application()
    app.router.add_post("/webhooks/sms/inbound", relay_webhook)
    async with serving(app) as base:
        sim = await start_twilio_sim(inbound_webhook_url=f"{base}/webhooks/sms/inbound")
        await sim.inject_inbound(PERSON, FROM, "Nou bezwen dlo & manje <svp>", message_sid="SM" + "ab" * 16)

    [message] = seen
    assert (message.channel, message.provider_message_id) == ("sms", "SM" + "ab" * 16)
    assert (message.sender, message.recipient, message.text) == (PERSON, FROM, "Nou bezwen dlo & manje <svp>")
    assert message.raw["AccountSid"] == SID and message.received_at.tzinfo is not None
    replies = [line for line in sim.jsonl_path.read_text(encoding="utf-8").splitlines()]
    assert len(replies) == 1 and "Nou resevwa: Nou bezwen dlo & manje <svp>" in replies[0]


def inbound_form(**changes: str) -> dict[str, str]:
    form = {"MessageSid": "SM" + "1" * 32, "AccountSid": SID, "From": PERSON, "To": FROM, "Body": "HELP"}
    form.update(changes)
    return form


def test_parse_inbound_accepts_a_correct_signature_with_or_without_the_default_port():
    form = inbound_form()
    message = parse_inbound(TOKEN, URL, form, signed(form))
    assert (message.sender, message.text, message.provider_message_id) == (PERSON, "HELP", "SM" + "1" * 32)
    assert abs((datetime.now(timezone.utc) - message.received_at).total_seconds()) < 60
    with_port = "https://relay.example.org:443/webhooks/sms/inbound?channel=1"
    assert parse_inbound(TOKEN, with_port, form, signed(form)).text == "HELP"


@pytest.mark.parametrize(
    "forge",
    [
        lambda form: (URL, form, None),  # no signature header at all
        lambda form: (URL, form, ""),
        lambda form: (URL, form, signed(form, token="0" * 32)),  # signed with another account's token
        lambda form: (URL, {**form, "Body": "STOP"}, signed(form)),  # body changed after signing
        lambda form: (URL.replace("inbound", "status"), form, signed(form)),  # replayed to another URL
    ],
)
def test_parse_inbound_refuses_forged_requests(forge):
    url, params, signature = forge(inbound_form())
    with pytest.raises(InvalidSignature):
        parse_inbound(TOKEN, url, params, signature)


@pytest.mark.parametrize("missing", ["From", "Body", "MessageSid"])
def test_parse_inbound_names_a_missing_field(missing):
    form = inbound_form()
    del form[missing]
    with pytest.raises(ValueError, match=missing):
        parse_inbound(TOKEN, URL, form, signed(form))


def test_an_empty_body_is_a_message_not_a_missing_field():
    form = inbound_form(Body="")
    assert parse_inbound(TOKEN, URL, form, signed(form)).text == ""


async def test_status_callbacks_from_the_simulator_parse(start_twilio_sim, sms_channel):
    async with running_webhooks() as hooks:
        sim = await start_twilio_sim(undeliverable_numbers=["+14155550199"])
        channel = await sms_channel(sim, status_callback_url=hooks.url)
        receipt = await channel.send(Outbound(delivery_id=7, sender=FROM, to="+14155550199", text="hi"))
        await hooks.wait_for(2)
        updates = [
            parse_status(TOKEN, url, form, headers.get("X-Twilio-Signature")) for url, headers, form in hooks.requests
        ]

    assert [(u.provider_message_id, u.status, u.error_code) for u in updates] == [
        (receipt.provider_message_id, "sent", None),
        (receipt.provider_message_id, "undelivered", "30003"),
    ]
    assert all(update.channel == "sms" for update in updates)


def test_parse_status_lower_cases_and_checks_the_signature():
    form = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "Delivered", "AccountSid": SID, "To": TO}
    update = parse_status(TOKEN, URL, form, signed(form))
    assert (update.status, update.error_code) == ("delivered", None)
    failed = {**form, "MessageStatus": "failed", "ErrorCode": "30007"}
    assert parse_status(TOKEN, URL, failed, signed(failed)).error_code == "30007"
    with pytest.raises(InvalidSignature):
        parse_status(TOKEN, URL, failed, signed(form))
    del form["MessageStatus"]
    with pytest.raises(ValueError, match="MessageStatus"):
        parse_status(TOKEN, URL, form, signed(form))


def test_twiml_reply_is_one_escaped_message_or_an_empty_response():
    root = ET.fromstring(twiml_reply("Mèsi! <b> & \"quotes\""))
    assert root.tag == "Response" and [child.tag for child in root] == ["Message"]
    assert root[0].text == "Mèsi! <b> & \"quotes\""
    for nothing in (None, ""):
        empty = ET.fromstring(twiml_reply(nothing))
        assert empty.tag == "Response" and len(empty) == 0
