"""The Twilio simulator's WhatsApp sender: `POST .../Messages.json` with `whatsapp:` addresses, as Twilio
and Meta treat it.

- Free-form `Body` only within 24 h of the person's last inbound message to that sender; outside it the
  message is accepted (201 queued) and then fails with error 63016, as Twilio reports it: in the status
  callback. Templates (`ContentSid` "HX" + 32 hex, approved; `ContentVariables` a JSON object of strings)
  go at any time.
- Meta's messaging limit: unique people sent a template in a rolling 24 h across the account's senders;
  one more fails with 63018 (in the callback). Throughput per sender (80 msg/s by default): a 429 with
  63018 at once, as the relay's pacing must never provoke.
- After `delivered`, a `read` callback (unless the number is in `unread_numbers`).
Each rule breach is counted in `stats` (`window_violations`, `tier_violations`, `rate_limited`).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from channels.phone import normalise_e164
from channels.sandbox.twilio_limits import ThroughputLimiter
from channels.sandbox.twilio_store import API_VERSION, new_sid

PREFIX = "whatsapp:"
_CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
_DAY = timedelta(hours=24)
OUTSIDE_WINDOW = (63016, "Failed to send freeform message because you are outside the allowed window. "
                         "If you are using WhatsApp, please use a Message Template.")
OVER_LIMIT = (63018, "Rate limit exceeded for Channel")


class WhatsAppSimSettings(BaseModel):
    """The account's WhatsApp senders and what Meta allows them."""

    senders: list[str]
    messages_per_second: float = 80.0  # per sender; 0 = unlimited
    # Beyond the pace, admitted at once: Twilio queues a WhatsApp sender's excess (up to hours) before it
    # refuses, so this is stricter than Twilio; a client that paces itself with a burst of 4 never sees a 429.
    tolerance_messages: float = 4.0
    messaging_limit: int = 1_000  # unique people sent a template per rolling 24 h; 0 = unlimited
    templates: list[str] = Field(default_factory=list)  # approved Content SIDs
    window_hours: float = 24.0
    read_after_ms: int = 0
    unread_numbers: list[str] = Field(default_factory=list)  # people whose app sends no read receipts
    inbound_webhook_url: str | None = None

    @field_validator("senders", "unread_numbers")
    @classmethod
    def _e164(cls, value: list[str]) -> list[str]:
        return [normalise_e164(raw.removeprefix(PREFIX)) for raw in value]

    @field_validator("templates")
    @classmethod
    def _sids(cls, value: list[str]) -> list[str]:
        for sid in value:
            if not _CONTENT_SID.match(sid):
                raise ValueError(f"template {sid!r} is not a Content SID (HX + 32 hex digits)")
        return value


class WhatsAppState:
    """What Twilio and Meta remember: each person's last message per sender, and the open conversations."""

    def __init__(self, settings: WhatsAppSimSettings) -> None:
        self.settings = settings
        self.limiter = ThroughputLimiter(settings.messages_per_second, settings.tolerance_messages)
        self.last_inbound: dict[tuple[str, str], datetime] = {}  # (sender, person) -> when they last wrote
        self._opened: dict[str, datetime] = {}  # person -> when a template opened a conversation
        self._order: deque[tuple[datetime, str]] = deque()

    def inside_window(self, sender: str, person: str, now: datetime) -> bool:
        seen = self.last_inbound.get((sender, person))
        return seen is not None and now - seen < timedelta(hours=self.settings.window_hours)

    def open_conversation(self, person: str, now: datetime) -> bool:
        """Count a template to `person`; False when the messaging limit has no room for someone new."""
        while self._order and now - self._order[0][0] >= _DAY:
            when, who = self._order.popleft()
            if self._opened.get(who) == when:
                del self._opened[who]
        if person in self._opened:
            return True
        if self.settings.messaging_limit and len(self._opened) >= self.settings.messaging_limit:
            return False
        self._opened[person] = now
        self._order.append((now, person))
        return True


def _variables(raw: str | None) -> dict[str, str] | None:
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return value


def inbound_params(*, account_sid: str, sid: str, from_: str, to: str, body: str, profile_name: str) -> dict[str, str]:
    """The form of Twilio's incoming WhatsApp webhook (every field is covered by the signature)."""
    return {
        "SmsMessageSid": sid, "NumMedia": "0", "ProfileName": profile_name, "MessageType": "text",
        "SmsSid": sid, "WaId": from_.lstrip("+"), "SmsStatus": "received", "Body": body, "To": PREFIX + to,
        "NumSegments": "1", "ReferralNumMedia": "0", "MessageSid": sid, "AccountSid": account_sid,
        "ChannelMetadata": json.dumps({"type": "whatsapp", "data": {"context": {"ProfileName": profile_name,
                                                                                "WaId": from_.lstrip("+")}}}),
        "From": PREFIX + from_, "ApiVersion": API_VERSION,
    }


class WhatsAppResource:
    """Mixed into `TwilioSimulator`: the WhatsApp half of the Messages resource."""

    _whatsapp: WhatsAppState | None

    async def _create_whatsapp(self, form: Mapping[str, str]) -> web.Response:
        state = self._whatsapp
        if state is None:
            return self._reject(400, 63007, "Twilio could not find a Channel with the specified From address")
        from_, to = str(form.get("From") or "").strip(), str(form.get("To") or "").strip()
        if not (from_.startswith(PREFIX) and to.startswith(PREFIX)):
            return self._reject(400, 21910, "Invalid From and To pair. From and To should be of the same channel")
        sender, person = self._e164_or_none(from_[len(PREFIX):]), self._e164_or_none(to[len(PREFIX):])
        if sender is None or sender not in state.settings.senders:
            return self._reject(400, 63007, f"Twilio could not find a Channel with the specified From address {from_}")
        if person is None:
            return self._reject(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        content_sid, body = form.get("ContentSid"), str(form.get("Body") or "")
        variables = _variables(form.get("ContentVariables"))
        if content_sid is not None:
            if not _CONTENT_SID.match(str(content_sid)) or content_sid not in state.settings.templates:
                return self._reject(400, 21655, f"The ContentSid {content_sid} is invalid or not approved")
            if variables is None:
                return self._reject(400, 21656, "The ContentVariables parameter is invalid: a JSON object of strings")
            body = variables.get("1", "")
        elif not body:
            return self._reject(400, 21602, "Message body is required.")
        elif len(body) > 1600:
            return self._reject(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        callback = form.get("StatusCallback")
        if callback is not None and not self._is_callback_url(str(callback)):
            return self._reject(400, 21609, "Invalid 'StatusCallback'.")
        wait = state.limiter.admit(sender, 1, asyncio.get_running_loop().time())
        if wait is not None:
            self._stats["rate_limited"] += 1
            return self._error(429, *OVER_LIMIT, headers={"Retry-After": str(max(1, math.ceil(wait)))})
        now = datetime.now(timezone.utc)
        failure = None
        if content_sid is None and not state.inside_window(sender, person, now):
            self._stats["window_violations"] += 1
            failure = OUTSIDE_WINDOW
        elif content_sid is not None and not state.inside_window(sender, person, now) \
                and not state.open_conversation(person, now):
            self._stats["tier_violations"] += 1
            failure = OVER_LIMIT
        message = self._accept(PREFIX + sender, PREFIX + person, body, 1, "outbound-api",
                               str(callback) if callback else None, content_sid=content_sid,
                               content_variables=form.get("ContentVariables"), fail_with=failure,
                               read=person not in state.settings.unread_numbers)
        self._stats["templates" if content_sid else "free_form"] += 1
        return web.Response(status=201, text=json.dumps(message.resource()), content_type="application/json")

    async def inject_whatsapp(self, from_: str, to: str, body: str, *, profile_name: str = "",
                              message_sid: str | None = None) -> str:
        """A person writes to one of our WhatsApp senders: a signed webhook to the relay, as Twilio posts
        it; it opens (or renews) that person's 24-hour window. Returns the relay's answer."""
        state = self._whatsapp
        if state is None or state.settings.inbound_webhook_url is None:
            raise self.InboundFailed("the simulator has no WhatsApp sender with an inbound_webhook_url")
        person, sender = normalise_e164(from_.removeprefix(PREFIX)), normalise_e164(to.removeprefix(PREFIX))
        state.last_inbound[(sender, person)] = datetime.now(timezone.utc)
        params = inbound_params(account_sid=self.settings.account_sid, sid=message_sid or new_sid("SM"),
                                from_=person, to=sender, body=body, profile_name=profile_name)
        return await self._post_inbound(state.settings.inbound_webhook_url, params, PREFIX + sender, PREFIX + person)

    async def _whatsapp_inbound_route(self, request: web.Request) -> web.StreamResponse:
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not all(isinstance(payload.get(k), str) for k in ("from", "to", "body")):
            return web.json_response({"error": "body must be a JSON object with string from, to, body"}, status=400)
        try:
            reply = await self.inject_whatsapp(payload["from"], payload["to"], payload["body"],
                                               profile_name=str(payload.get("profile_name", "")))
        except (self.InboundFailed, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=502)
        return web.json_response({"reply": reply})
