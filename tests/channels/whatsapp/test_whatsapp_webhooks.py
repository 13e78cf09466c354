"""WhatsApp webhooks at the relay: signed exactly as SMS ones, refused (and nothing stored) when forged."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from channels.base import InvalidSignature
from channels.whatsapp import parse_inbound, parse_status
from channels.whatsapp_spec import INBOUND_PATH, STATUS_PATH
from relay.core.models import InboundMessage
from tests.channels.whatsapp.support import SENDER, SID, TOKEN, whatsapp_relay

PERSON = "+50937005555"
URL = "https://relay.example.org/webhooks/whatsapp/inbound"


def form(**changes: str) -> dict[str, str]:
    values = {"MessageSid": "SM" + "5" * 32, "AccountSid": SID, "From": f"whatsapp:{PERSON}",
              "To": f"whatsapp:{SENDER}", "Body": "Nou bezwen dlo", "ProfileName": "Ana", "WaId": PERSON[1:]}
    values.update(changes)
    return values


def signed(params: dict[str, str], url: str = URL, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def test_an_inbound_message_is_the_bare_number_of_the_person():
    message = parse_inbound(TOKEN, URL, form(), signed(form()))
    assert (message.channel, message.sender, message.recipient) == ("whatsapp", PERSON, SENDER)
    assert message.display_name == "Ana" and message.text == "Nou bezwen dlo"


@pytest.mark.parametrize("forge", [
    lambda f: (f, None), lambda f: (f, signed(f, token="0" * 32)), lambda f: ({**f, "Body": "STOP"}, signed(f)),
])
def test_forged_inbound_is_refused(forge):
    params, signature = forge(form())
    with pytest.raises(InvalidSignature):
        parse_inbound(TOKEN, URL, params, signature)


@pytest.mark.parametrize("change, says", [
    ({"From": PERSON}, "not a WhatsApp address"), ({"MessageSid": "XX1"}, "MessageSid"),
])
def test_malformed_inbound_says_what_is_wrong(change, says):
    params = form(**change)
    with pytest.raises(ValueError, match=says):
        parse_inbound(TOKEN, URL, params, signed(params))


def test_a_read_status_is_a_receipt_and_an_unknown_word_is_refused():
    url = URL.replace("inbound", "status")
    params = {"MessageSid": "SM" + "6" * 32, "MessageStatus": "read", "From": f"whatsapp:{SENDER}",
              "To": f"whatsapp:{PERSON}", "ChannelPrefix": "whatsapp"}
    assert parse_status(TOKEN, url, params, signed(params, url)).status == "read"
    bad = {**params, "MessageStatus": "opened"}
    with pytest.raises(ValueError, match="not a Twilio message status"):
        parse_status(TOKEN, url, bad, signed(bad, url))


async def test_the_relay_answers_403_to_a_forged_webhook_and_stores_nothing(tmp_path):
    async with whatsapp_relay(tmp_path) as (program, sim):
        base = program.settings.public_url
        async with aiohttp.ClientSession() as session:
            for path in (INBOUND_PATH, STATUS_PATH):
                params = form() if path == INBOUND_PATH else {"MessageSid": "SM" + "7" * 32, "MessageStatus": "read"}
                forged = signed(params, f"{base}{path}", token="1" * 32)
                async with session.post(f"{base}{path}", data=params, headers={"X-Twilio-Signature": forged}) as r:
                    assert r.status == 403, path
            good = form()
            async with session.post(f"{base}{INBOUND_PATH}", data=good,
                                    headers={"X-Twilio-Signature": signed(good, f"{base}{INBOUND_PATH}")}) as r:
                assert r.status == 200 and "<Response" in await r.text()

        def stored(session):
            return session.scalar(select(func.count()).select_from(InboundMessage))

        assert await program.database.run(stored) == 1  # the signed one only
