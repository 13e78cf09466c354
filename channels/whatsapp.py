"""WhatsApp through Twilio's WhatsApp sender, on the Messages resource with `whatsapp:+E164` addresses.

The twilio SDK stays in `channels/sms.py`: this adapter takes its client, its error classification and
its webhook signature check from there (WhatsApp webhooks are signed exactly as SMS ones). What is
WhatsApp's own is here: inside a person's 24-hour window the text goes free-form; outside it the
coordinator's approved template for the text's language goes instead (`ContentSid`, with the text or its
title in `ContentVariables`), counted against Meta's messaging limit (`channels/whatsapp_rules.py`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from channels.base import (Inbound, Outbound, PermanentError, Receipt, SenderLimit, StatusUpdate)
from channels.sms import TwilioChannel, check_fields, require_fields, typed_errors, verify_signature
from channels.whatsapp_rules import Conversations, LastInbound, Put, Windows
from channels.whatsapp_settings import WhatsAppSettings

PREFIX = "whatsapp:"
NAME = "whatsapp"
MAX_BODY = 1600  # Twilio's limit on a Body, WhatsApp included
# Twilio's statuses for a WhatsApp message; "read" when the person's app sends read receipts.
STATUSES = frozenset({"accepted", "scheduled", "queued", "sending", "sent", "delivered", "read", "undelivered",
                      "failed", "canceled", "receiving", "received"})


def address(number: str) -> str:
    return f"{PREFIX}{number}"


def template_variable(text: str, limit: int) -> str:
    """What a template's {{1}} carries: the text, or its title (first line) when the text is too long."""
    text = text.strip()
    if len(text) <= limit:
        return text
    title = text.splitlines()[0].strip()
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


class WhatsAppChannel(TwilioChannel):
    """Twilio's WhatsApp senders as a `Channel`: free-form inside the window, a template outside it."""

    name = NAME
    reports_delivery = True  # status callbacks, "read" included
    resource = "messages"
    senders_are = "WhatsApp senders"

    def __init__(self, settings: WhatsAppSettings, *, last_inbound: LastInbound | None = None,
                 opened: Mapping[str, str] | None = None, put: Put | None = None) -> None:
        super().__init__(settings, settings.senders,
                         SenderLimit(rate=settings.messages_per_second, burst=settings.burst))
        self.windows = Windows(last_inbound, margin_seconds=settings.window_margin_seconds)
        self.conversations = Conversations(settings.messaging_limit, opened, put)

    def cost(self, text: str) -> int:
        return 1  # Twilio and Meta count WhatsApp messages, not segments

    async def stop(self) -> None:
        await self.conversations.close()
        await super().stop()

    async def send(self, message: Outbound) -> Receipt:
        messages = self._sending(message)
        fields: dict[str, Any] = {"to": address(message.to), "from_": address(message.sender),
                                  "status_callback": self.settings.status_callback_url}
        if await self.windows.open(message.to):
            if len(message.text) > MAX_BODY:
                raise PermanentError(f"the text has {len(message.text)} characters; WhatsApp through Twilio "
                                     f"takes {MAX_BODY}", code="21617")
            fields["body"] = message.text
        else:
            sid = self.settings.template_for(message.language)
            if sid is None:
                raise PermanentError(f"{message.to} is outside the 24-hour window and no approved template is "
                                     f"configured for language {message.language!r} ([whatsapp] templates)",
                                     code="63016")
            await self.conversations.admit(message.to)
            fields["content_sid"] = sid
            variable = template_variable(message.text, self.settings.variable_max_chars)
            fields["content_variables"] = json.dumps({"1": variable}, ensure_ascii=False)
        with typed_errors(self.settings.timeout_seconds):
            created = await messages.create_async(**fields)
        return Receipt(provider_message_id=str(created.sid), status=str(created.status or "queued"))

    async def fetch_status(self, provider_message_id: str) -> StatusUpdate:
        """The message's status as Twilio has it now, for a delivery whose status callback never came."""
        messages = self._started("fetch_status")
        with typed_errors(self.settings.timeout_seconds):
            found = await messages(provider_message_id).fetch_async()
        return StatusUpdate(channel=NAME, provider_message_id=provider_message_id,
                            status=str(found.status or "").strip().lower(),
                            error_code=str(found.error_code) if found.error_code else None)


def _number(value: str, field: str) -> str:
    if not value.startswith(PREFIX):
        raise ValueError(f"{field} {value[:40]!r} is not a WhatsApp address ('whatsapp:+E164')")
    return value[len(PREFIX):]


def parse_inbound(auth_token: str, url: str, params: Mapping[str, str], signature: str | None) -> Inbound:
    """A WhatsApp message a person sent to one of our senders, from Twilio's signed webhook form."""
    verify_signature(auth_token, url, params, signature)
    require_fields(params, "MessageSid", "From", "To", "Body")
    check_fields(params)
    person = _number(params["From"], "From")
    return Inbound(
        channel=NAME,
        provider_message_id=params["MessageSid"],
        sender=person,  # the endpoint's address: the bare number, as the subscriber list holds it
        recipient=_number(params["To"], "To"),
        text=params["Body"],
        received_at=datetime.now(timezone.utc),
        raw={key: params[key] for key in params},
        display_name=params.get("ProfileName", "")[:200],
    )


def parse_status(auth_token: str, url: str, params: Mapping[str, str], signature: str | None) -> StatusUpdate:
    """A WhatsApp status callback: queued, sent, delivered, read, undelivered, failed (with its ErrorCode)."""
    verify_signature(auth_token, url, params, signature)
    require_fields(params, "MessageSid", "MessageStatus")
    status = params["MessageStatus"].strip().lower()
    check_fields({**params, "Body": "", "From": params.get("From") or "whatsapp:"})
    if status not in STATUSES:
        raise ValueError(f"MessageStatus {params['MessageStatus'][:32]!r} is not a Twilio message status")
    return StatusUpdate(channel=NAME, provider_message_id=params["MessageSid"], status=status,
                        error_code=params.get("ErrorCode") or None)
