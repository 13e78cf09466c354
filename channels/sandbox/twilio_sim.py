"""A local stand-in for Twilio's REST API, faithful enough that the official twilio client talks to it.

It answers the Messages resource with Twilio's real JSON shapes and error codes (including the magic
test numbers), enforces per-number throughput in segments, posts signed status callbacks, injects
faults on demand (random 5xx, 503 windows, hanging requests, refused connections), and signs inbound
webhooks exactly as Twilio does. Every accepted message lands in `<data_dir>/sandbox/sms.jsonl`, so a
test or an observer can check what "reached phones" even after killing the relay.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from channels.phone import normalise_e164
from channels.sandbox.twilio_inbound import inbound_params, reply_texts
from channels.sandbox.twilio_lifecycle import Lifecycle
from channels.sandbox.twilio_limits import FaultPlan, Outage, ThroughputLimiter
from channels.sandbox.twilio_settings import TwilioSimSettings
from channels.sandbox.twilio_store import API_VERSION, MessageLog, SimMessage, new_sid
from channels.sms import webhook_signature
from channels.sms_text import segment_count

__all__ = ["Outage", "TwilioSimSettings", "TwilioSimulator", "InboundFailed", "serve"]

log = logging.getLogger(__name__)

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


class InboundFailed(RuntimeError):
    """The relay did not take an injected inbound SMS (refused, errored or unreachable)."""


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


class TwilioSimulator:
    """The simulated Twilio account: start it, point a client at `base_url`, read `stats` and the JSONL."""

    def __init__(self, settings: TwilioSimSettings, data_dir: Path) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir)
        self._numbers = frozenset(settings.numbers)
        token = settings.auth_token
        self._sign = functools.partial(webhook_signature, token)
        self._auth_header = aiohttp.encode_basic_auth(settings.account_sid, token)
        self._limiter = ThroughputLimiter(settings.segments_per_second, settings.tolerance_segments)
        self._faults = FaultPlan(settings.error_rate, settings.outages, settings.seed)
        self._stats = dict.fromkeys(
            ("accepted", "segments", "rate_limited", "rejected", "faults", "replies",
             "callbacks_sent", "callbacks_failed", "inbound_sent"), 0,
        )  # fmt: skip
        self._messages: dict[str, SimMessage] = {}
        self._lifecycle = Lifecycle(
            sign=self._sign,
            callbacks=settings.callbacks,
            callback_delay_s=settings.callback_delay_ms / 1000,
            delivered_after_s=settings.delivered_after_ms / 1000,
            undeliverable=frozenset(settings.undeliverable_numbers),
            stats=self._stats,
        )
        self._log: MessageLog | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: aiohttp.ClientSession | None = None
        self._refusing = False
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._t0 = 0.0
        self._host = "127.0.0.1"
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (0 = any free port) and return the bound port."""
        self._log = MessageLog(self.data_dir / "sandbox" / "sms.jsonl")
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        self._lifecycle.start(self._session)
        self._runner = web.AppRunner(self._app(), access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        self._host = host
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        self.port = self._site.port
        self._t0 = asyncio.get_running_loop().time()
        windows = self._faults.refuse_windows()
        if windows and windows[0][0] <= 0:  # refusing from the first instant: no client may slip in
            await self._stop_listening()
        if windows:
            task = asyncio.ensure_future(self._refuse_during(windows))
            self._tasks.add(task)
            task.add_done_callback(self._forget)
        return self.port

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Twilio simulator outage task died", exc_info=task.exception())

    async def stop(self) -> None:
        self._stopping.set()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._lifecycle.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._log is not None:
            self._log.close()

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self._host in ("", "0.0.0.0", "::") else self._host
        return f"http://{host}:{self.port}"

    @property
    def stats(self) -> dict[str, int]:
        return dict(self._stats)

    @property
    def jsonl_path(self) -> Path:
        return self.data_dir / "sandbox" / "sms.jsonl"

    def _app(self) -> web.Application:
        app = web.Application()
        base = f"/{API_VERSION}/Accounts/{{account_sid}}/Messages"
        app.router.add_post(f"{base}.json", self._create_message)
        app.router.add_get(f"{base}/{{sid}}.json", self._fetch_message)
        app.router.add_post("/sandbox/sms/inbound", self._inbound_route)
        app.router.add_get("/sandbox/stats", self._stats_route)
        return app

    async def _refuse_during(self, windows: list[tuple[float, float]]) -> None:
        """Stop listening (and drop open connections) for each "refuse" window, then listen again."""
        loop = asyncio.get_running_loop()
        for start_s, end_s in windows:
            await asyncio.sleep(max(0.0, self._t0 + start_s - loop.time()))
            await self._stop_listening()
            await asyncio.sleep(max(0.0, self._t0 + end_s - loop.time()))
            assert self._runner is not None
            self._site = web.TCPSite(self._runner, self._host, self.port)
            await self._site.start()
            self._refusing = False

    async def _stop_listening(self) -> None:
        self._refusing = True
        if self._site is not None:
            await self._site.stop()
            self._site = None
        assert self._runner is not None and self._runner.server is not None
        for connection in self._runner.server.connections:
            if connection.transport is not None:
                connection.transport.close()

    # -- REST API ----------------------------------------------------------------------------------

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
        fault = await self._fault(request)
        if fault is not None:
            return fault
        if not self._authorised(request):
            return self._reject(401, 20003, "Authenticate")
        form = await request.post()
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
        self, sender: str, to: str, body: str, segments: int, direction: str, callback: str | None
    ) -> SimMessage:
        now = datetime.now(timezone.utc)
        message = SimMessage(
            sid=new_sid("SM"), account_sid=self.settings.account_sid, to=to, from_=sender, body=body,
            segments=segments, direction=direction, created=now, updated=now, status_callback=callback,
        )  # fmt: skip
        assert self._log is not None
        self._log.append(message)  # before the 201: the JSONL never lags what the client was told
        self._messages[message.sid] = message
        self._stats["accepted" if direction == "outbound-api" else "replies"] += 1
        self._stats["segments"] += segments
        self._lifecycle.track(message)
        return message

    async def _fetch_message(self, request: web.Request) -> web.StreamResponse:
        fault = await self._fault(request)
        if fault is not None:
            return fault
        if not self._authorised(request):
            return self._reject(401, 20003, "Authenticate")
        message = self._messages.get(request.match_info["sid"])
        if message is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        return web.Response(text=json.dumps(message.resource()), content_type="application/json")

    # -- inbound and sandbox routes ----------------------------------------------------------------

    async def inject_inbound(self, from_: str, to: str, body: str, message_sid: str | None = None) -> str:
        """Post a signed inbound-SMS webhook to the relay exactly as Twilio does; return its reply body.

        TwiML `<Message>`s (or a text/plain answer) in the reply are recorded as messages sent back
        from `to` to `from_`, as Twilio would send them.
        """
        url = self.settings.inbound_webhook_url
        if url is None:
            raise InboundFailed("no inbound_webhook_url is configured for the Twilio simulator")
        if self._session is None:
            raise InboundFailed("the Twilio simulator is not started")
        params = inbound_params(
            account_sid=self.settings.account_sid, sid=message_sid or new_sid("SM"), from_=from_, to=to,
            body=body, segments=segment_count(body),
        )  # fmt: skip
        headers = {
            "X-Twilio-Signature": self._sign(url, params),
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": new_sid(""),
        }
        try:
            async with self._session.post(url, data=params, headers=headers) as response:
                reply = await response.text()
                status, content_type = response.status, response.content_type
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise InboundFailed(f"cannot reach the relay at {url}: {type(exc).__name__}: {exc}") from None
        if status >= 400:
            raise InboundFailed(f"the relay answered HTTP {status} to the inbound webhook: {reply[:200]}")
        self._stats["inbound_sent"] += 1
        for text in reply_texts(reply, content_type):
            self._accept(to, from_, text, segment_count(text), "outbound-reply", None)
        return reply

    async def _inbound_route(self, request: web.Request) -> web.StreamResponse:
        try:
            payload = await request.json()
        except ValueError:
            return web.json_response({"error": "body must be JSON: {\"from\", \"to\", \"body\"}"}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"error": "body must be a JSON object"}, status=400)
        missing = [key for key in ("from", "to", "body") if not isinstance(payload.get(key), str)]
        if missing:
            return web.json_response({"error": f"missing or non-string field(s): {', '.join(missing)}"}, status=400)
        sid = payload.get("message_sid") or new_sid("SM")
        try:
            reply = await self.inject_inbound(payload["from"], payload["to"], payload["body"], str(sid))
        except InboundFailed as exc:
            return web.json_response({"error": str(exc)}, status=502)
        return web.json_response({"message_sid": sid, "reply": reply})

    async def _stats_route(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.stats)


async def serve(settings: TwilioSimSettings, data_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
    """Run the simulator until cancelled (for `relay sandbox`)."""
    simulator = TwilioSimulator(settings, data_dir)
    await simulator.start(host, port)
    log.info("Twilio simulator listening on %s", simulator.base_url)
    try:
        await asyncio.Event().wait()
    finally:
        await simulator.stop()
