"""The Twilio simulator against Twilio's documented answers (issue 17, item 10): a MessagingServiceSid
that is not MG + 32 hex digits is 21705, a StatusCallback that is not an absolute http(s) URL is 21609,
To == From is 21266; a message with MediaUrl or ContentSid and no Body is accepted (MMS, templates)."""

from __future__ import annotations

import pytest

from tests.sandbox.test_twilio_sim import jsonl, post_raw
from tests.sandbox.twilio_sim_support import FROM, TO

SERVICE = "MG" + "0123456789abcdef" * 2


@pytest.mark.parametrize("form, code", [
    ({"To": TO, "MessagingServiceSid": "MG123", "Body": "hi"}, 21705),
    ({"To": TO, "MessagingServiceSid": "XX" + "0" * 32, "Body": "hi"}, 21705),
    ({"To": TO, "MessagingServiceSid": "MG" + "g" * 32, "Body": "hi"}, 21705),
    ({"To": TO, "From": FROM, "Body": "hi", "StatusCallback": "not a url"}, 21609),
    ({"To": TO, "From": FROM, "Body": "hi", "StatusCallback": "ftp://relay.example/status"}, 21609),
    ({"To": TO, "From": FROM, "Body": "hi", "StatusCallback": "/webhooks/sms/status"}, 21609),
    ({"To": TO, "From": FROM, "Body": "hi", "StatusCallback": "https://bad_host.example/s"}, 21609),
    ({"To": FROM, "From": FROM, "Body": "hi"}, 21266),
    ({"To": TO, "From": FROM}, 21602),  # nothing to send at all
])  # fmt: skip
async def test_refusals_with_twilios_codes(start_twilio_sim, form, code):
    sim = await start_twilio_sim()
    status, _, body = await post_raw(sim, form)
    assert (status, body["code"]) == (400, code)
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert jsonl(sim) == []


@pytest.mark.parametrize("form", [
    {"To": TO, "From": FROM, "MediaUrl": "https://relay.example/map.png"},
    {"To": TO, "From": FROM, "ContentSid": "HX" + "0" * 32},
    {"To": TO, "MessagingServiceSid": SERVICE, "Body": "hi", "StatusCallback": "https://relay.example/s?x=1"},
])
async def test_media_templates_and_services_without_body_or_from_are_accepted(start_twilio_sim, form):
    sim = await start_twilio_sim()
    status, _, body = await post_raw(sim, form)
    assert status == 201 and body["sid"].startswith("SM") and body["to"] == TO
    assert len(jsonl(sim)) == 1
