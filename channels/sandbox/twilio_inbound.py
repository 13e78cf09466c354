"""What Twilio posts to a webhook when a person texts one of our numbers, and what it makes of the reply."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import phonenumbers

from channels.sandbox.twilio_store import API_VERSION

log = logging.getLogger(__name__)


def _country(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, None)) or ""
    except phonenumbers.NumberParseException:
        return ""


def inbound_params(*, account_sid: str, sid: str, from_: str, to: str, body: str, segments: int) -> dict[str, str]:
    """The form fields of Twilio's incoming-message webhook (all of them are covered by the signature)."""
    return {
        "ToCountry": _country(to),
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": _country(from_),
        "To": to,
        "ToZip": "",
        "NumSegments": str(segments),
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
    }


def reply_texts(reply: str, content_type: str) -> list[str]:
    """The SMS replies Twilio would send for a webhook's answer: each TwiML `<Message>`, or plain text.

    A malformed TwiML answer sends nothing (Twilio logs error 12100); so do we, with a warning.
    """
    if not reply.strip():
        return []
    if content_type == "text/plain":
        return [reply]
    try:
        root = ET.fromstring(reply)
    except ET.ParseError as exc:
        log.warning("inbound webhook answered malformed TwiML (Twilio error 12100): %s", exc)
        return []
    if root.tag != "Response":
        log.warning("inbound webhook answered XML whose root is <%s>, not <Response>", root.tag)
        return []
    texts = []
    for element in root.iter("Message"):
        body = element.find("Body")
        text = (body.text if body is not None else element.text) or ""
        if text:
            texts.append(text)
    return texts
