"""The Messages resource of the Twilio simulator: authentication, injected faults, `POST .../Messages.json`
with Twilio's validation and error codes, `GET .../Messages/{sid}.json`. Mixed into `TwilioSimulator`,
which owns the state, the lifecycle and the status callbacks."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from urllib.parse import urlsplit

from aiohttp import web

from channels.phone import normalise_e164
from channels.sandbox.twilio_store import SimMessage, new_sid
from channels.sms_text import segment_count
MAX_BODY = 1600
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")


def _is_callback_url(value: str) -> bool:
    """What Twilio takes as a StatusCallback (error 21609 otherwise): an absolute http(s) URL with a host
    that has no underscore, at most 4,000 characters."""
    parts = urlsplit(value)
    return (len(value) <= 4000 and parts.scheme in ("http", "https") and bool(parts.hostname)
            and "_" not in (parts.hostname or ""))


# Twilio's magic "To" numbers for test credentials, and the error each one provokes.
MAGIC_TO = {
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550002": (21612, "The 'To' phone number: +15005550002, is not currently reachable via SMS."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number +15005550009 is not a valid mobile number"),
}
_FAULT_ANSWERS = {500: (20500, "Internal Server Error"), 503: (20503, "Service Unavailable")}



@functools.lru_cache(maxsize=65_536)
def _e164_or_none(raw: str) -> str | None:
    try:
        return normalise_e164(raw)
    except ValueError:
        return None


def _error(status: int, code: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    body = {"code": code, "message": message, "more_info": more_info, "status": status}
    return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=headers)




class MessagesResource:
    """The REST side of the simulated account."""

    _error = staticmethod(_error)
    _e164_or_none = staticmethod(_e164_or_none)
    _is_callback_url = staticmethod(_is_callback_url)

    def _reject(self, status: int, code: int, message: str) -> web.Response:
        self._stats["rejected"] += 1
        return _error(status, code, message)

    def _authorised(self, request: web.Request) -> bool:
        if request.match_info["account_sid"] != self.settings.account_sid:
            return False
        header = request.headers.get("Authorization", "")
        if header == self._auth_header:
            return True
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            login, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except ValueError:
            return False
        return login == self.settings.account_sid and password == self.settings.auth_token

    async def _refused(self, request: web.Request) -> web.StreamResponse | None:
        """What comes back before Twilio reads the request: an injected fault, or 401 for wrong credentials."""
        fault = await self._fault(request)
        if fault is not None:
            return fault
        if not self._authorised(request):
            return self._reject(401, 20003, "Authenticate")
        return None

    async def _fault(self, request: web.Request) -> web.StreamResponse | None:
        """Latency and injected failures, applied before Twilio would even look at the request."""
        if self.settings.latency_ms:
            await asyncio.sleep(self.settings.latency_ms / 1000)
        loop = asyncio.get_running_loop()
        if self._refusing:  # a request on a connection opened before the window: drop it unanswered
            self._stats["faults"] += 1
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError  # how aiohttp ends a handler whose connection is gone
        outage = self._faults.outage_at(loop.time() - self._t0)
        if outage is not None and outage.mode != "refuse":
            self._stats["faults"] += 1
            if outage.mode == "timeout":  # hang until the window closes (or we stop), then give up
                try:
                    await asyncio.wait_for(self._stopping.wait(), self._t0 + outage.end_s - loop.time())
                except TimeoutError:
                    pass
            return _error(503, *_FAULT_ANSWERS[503])
        status = self._faults.random_error()
        if status is not None:
            self._stats["faults"] += 1
            return _error(status, *_FAULT_ANSWERS[status])
        return None

    async def _create_message(self, request: web.Request) -> web.StreamResponse:
        refused = await self._refused(request)
        if refused is not None:
            return refused
        form = await request.post()
        if str(form.get("From") or "").startswith("whatsapp:") or str(form.get("To") or "").startswith("whatsapp:"):
            return await self._create_whatsapp(form)
        to, body = str(form.get("To") or "").strip(), str(form.get("Body") or "")
        from_, service = str(form.get("From") or "").strip(), form.get("MessagingServiceSid")
        if not to:
            return self._reject(400, 21604, "A 'To' phone number is required.")
        if not body and not form.getall("MediaUrl", []) and not form.get("ContentSid"):  # MMS / templates need none
            return self._reject(400, 21602, "Message body is required.")
        if not from_ and not service:
            return self._reject(400, 21603, "A 'From' phone number is required.")
        if service and not _SERVICE_SID.match(str(service)):
            return self._reject(400, 21705, "The Messaging Service is invalid.")
        callback = form.get("StatusCallback")
        if callback is not None and not _is_callback_url(str(callback)):
            return self._reject(400, 21609, "Invalid 'StatusCallback'.")
        if len(body) > MAX_BODY:
            return self._reject(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        sender = (_e164_or_none(from_) if from_ else self.settings.numbers[0]) or from_
        if sender not in self._numbers:
            return self._reject(
                400, 21606, f"The From phone number {from_} is not a valid, SMS-capable inbound phone number "
                "or short code for your account.",
            )  # fmt: skip
        if to in MAGIC_TO:
            return self._reject(400, *MAGIC_TO[to])
        recipient = _e164_or_none(to)
        if recipient is None:
            return self._reject(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if recipient == sender:
            return self._reject(400, 21266, "'To' and 'From' numbers cannot be the same.")
        segments = segment_count(body)
        wait = self._limiter.admit(sender, segments, asyncio.get_running_loop().time())
        if wait is not None:
            self._stats["rate_limited"] += 1
            return _error(429, 20429, "Too Many Requests", headers={"Retry-After": str(max(1, math.ceil(wait)))})
        message = self._accept(sender, recipient, body, segments, "outbound-api", str(callback) if callback else None)
        message.messaging_service_sid = str(service) if service else None
        return web.Response(status=201, text=json.dumps(message.resource()), content_type="application/json")

    def _accept(
        self, sender: str, to: str, body: str, segments: int, direction: str, callback: str | None, **extra: object
    ) -> SimMessage:
        now = datetime.now(timezone.utc)
        message = SimMessage(
            sid=new_sid("SM"), account_sid=self.settings.account_sid, to=to, from_=sender, body=body,
            segments=segments, direction=direction, created=now, updated=now, status_callback=callback,
            **extra,  # type: ignore[arg-type]
        )  # fmt: skip
        assert self._log is not None
        self._log.append(message)  # before the 201: the JSONL never lags what the client was told
        self._messages[message.sid] = message
        self._stats["accepted" if direction == "outbound-api" else "replies"] += 1
        self._stats["segments"] += segments
        self._lifecycle.track(message)
        return message

    async def _fetch_message(self, request: web.Request) -> web.StreamResponse:
        refused = await self._refused(request)
        if refused is not None:
            return refused
        message = self._messages.get(request.match_info["sid"])
        if message is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        return web.Response(text=json.dumps(message.resource()), content_type="application/json")

