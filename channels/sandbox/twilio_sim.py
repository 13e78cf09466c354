"""A local stand-in for Twilio's REST API, faithful enough that the official twilio client talks to it.

It answers the Messages resource with Twilio's real JSON shapes and error codes (including the magic
test numbers), enforces per-number throughput in segments, posts signed status callbacks, injects
faults on demand (random 5xx, 503 windows, hanging requests, refused connections), and signs inbound
webhooks exactly as Twilio does. Every accepted message lands in `<data_dir>/sandbox/sms.jsonl`, so a
test or an observer can check what "reached phones" even after killing the relay.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from pathlib import Path

import aiohttp
from aiohttp import web

from channels.sandbox.jsonl import LocalServer, json_object, serve_until_cancelled
from channels.sandbox.twilio_messages import MAGIC_TO, MAX_BODY, MessagesResource, _e164_or_none, _error  # noqa: F401
from channels.sandbox.twilio_inbound import inbound_params, reply_texts
from channels.sandbox.twilio_lifecycle import Lifecycle
from channels.sandbox.twilio_limits import FaultPlan, Outage, ThroughputLimiter
from channels.sandbox.twilio_settings import TwilioSimSettings
from channels.sandbox.twilio_store import API_VERSION, MessageLog, SimMessage, new_sid
from channels.sandbox.twilio_whatsapp import WhatsAppResource, WhatsAppSimSettings, WhatsAppState
from channels.sms import webhook_signature
from channels.sms_text import segment_count

__all__ = ["Outage", "TwilioSimSettings", "TwilioSimulator", "InboundFailed", "WhatsAppSimSettings", "serve"]

log = logging.getLogger(__name__)


class InboundFailed(RuntimeError):
    """The relay did not take an injected inbound SMS (refused, errored or unreachable)."""


class TwilioSimulator(LocalServer, MessagesResource, WhatsAppResource):
    """The simulated Twilio account: start it, point a client at `base_url`, read `stats` and the JSONL.
    With `settings.whatsapp` it also has WhatsApp senders (channels/sandbox/twilio_whatsapp.py)."""

    InboundFailed = InboundFailed

    def __init__(self, settings: TwilioSimSettings, data_dir: Path) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir)
        self._numbers = frozenset(settings.numbers)
        self.JSONL_NAME = settings.log_name
        self._whatsapp = WhatsAppState(settings.whatsapp) if settings.whatsapp is not None else None
        token = settings.auth_token
        self._sign = functools.partial(webhook_signature, token)
        self._auth_header = aiohttp.encode_basic_auth(settings.account_sid, token)
        self._limiter = ThroughputLimiter(settings.segments_per_second, settings.tolerance_segments)
        self._faults = FaultPlan(settings.error_rate, settings.outages, settings.seed)
        self._stats = dict.fromkeys(
            ("accepted", "segments", "rate_limited", "rejected", "faults", "replies",
             "callbacks_sent", "callbacks_failed", "inbound_sent", "templates", "free_form",
             "window_violations", "tier_violations"), 0,
        )  # fmt: skip
        self._messages: dict[str, SimMessage] = {}
        self._lifecycle = Lifecycle(
            sign=self._sign,
            callbacks=settings.callbacks,
            callback_delay_s=settings.callback_delay_ms / 1000,
            delivered_after_s=settings.delivered_after_ms / 1000,
            undeliverable=frozenset(settings.undeliverable_numbers),
            stats=self._stats,
            read_after_s=settings.whatsapp.read_after_ms / 1000 if settings.whatsapp else 0.0,
        )
        self._log: MessageLog | None = None
        self._site: web.TCPSite | None = None
        self._refusing = False
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._t0 = 0.0
        self._host = "127.0.0.1"
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (0 = any free port) and return the bound port."""
        self._log = MessageLog(self.jsonl_path)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        self._lifecycle.start(self._session)
        self._site = await self._listen(self._app(), host, port)
        self._t0 = asyncio.get_running_loop().time()
        windows = self._faults.refuse_windows()
        if windows and windows[0][0] <= 0:  # refusing from the first instant: no client may slip in
            await self._stop_listening()
        if windows:
            self._own(asyncio.ensure_future(self._refuse_during(windows)))
        return self.port

    async def stop(self) -> None:
        self._stopping.set()
        await self._cancel_tasks()
        await self._lifecycle.stop()
        await self._close()

    def _app(self) -> web.Application:
        app = web.Application()
        base = f"/{API_VERSION}/Accounts/{{account_sid}}/Messages"
        app.router.add_post(f"{base}.json", self._create_message)
        app.router.add_get(f"{base}/{{sid}}.json", self._fetch_message)
        app.router.add_post("/sandbox/sms/inbound", self._inbound_route)
        app.router.add_post("/sandbox/whatsapp/inbound", self._whatsapp_inbound_route)
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
        return await self._post_inbound(url, params, to, from_)

    async def _post_inbound(self, url: str, params: dict[str, str], ours: str, theirs: str) -> str:
        """Post one signed inbound webhook; the replies in its answer are sent from `ours` to `theirs`."""
        if self._session is None:
            raise InboundFailed("the Twilio simulator is not started")
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
            self._accept(ours, theirs, text, segment_count(text), "outbound-reply", None)
        return reply

    async def _inbound_route(self, request: web.Request) -> web.StreamResponse:
        payload = await json_object(request, 'body must be JSON: {"from", "to", "body"}')
        if isinstance(payload, web.Response):
            return payload
        missing = [key for key in ("from", "to", "body") if not isinstance(payload.get(key), str)]
        if missing:
            return web.json_response({"error": f"missing or non-string field(s): {', '.join(missing)}"}, status=400)
        sid = payload.get("message_sid") or new_sid("SM")
        try:
            reply = await self.inject_inbound(payload["from"], payload["to"], payload["body"], str(sid))
        except InboundFailed as exc:
            return web.json_response({"error": str(exc)}, status=502)
        return web.json_response({"message_sid": sid, "reply": reply})

async def serve(settings: TwilioSimSettings, data_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
    """Run the simulator until cancelled (for `relay sandbox`)."""
    await serve_until_cancelled(TwilioSimulator(settings, data_dir), host, port, log, "Twilio simulator")
