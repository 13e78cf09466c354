"""The relay's HTTP side: provider webhooks (and, later, the API and console), served by `relay run`.

Every webhook is authenticated by the adapter before anything is stored, bounded in size before it is
read whole, and answered only after its effect is committed.

Webhooks are the hot path of a fan-out (a provider posts two or three receipts per message), so they are
served by a lean ASGI handler in front of FastAPI; FastAPI keeps the health checks and the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Awaitable, Callable, Mapping, TypeVar
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels import sms
from channels.base import InvalidSignature, StatusUpdate
from relay.delivery import deliveries
from relay.inbound import handling as inbound
from relay.app.settings import Settings
from relay.core.db import Database
from relay.core.group_commit import GroupCommit
from relay.api import app as api_app
from relay.app import features

if TYPE_CHECKING:
    from relay.inbound.loops import ChatInbound

log = logging.getLogger("relay.app.web")
T = TypeVar("T")


@dataclass(frozen=True)
class Reply:
    status: int
    body: str = ""
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class WebhookRequest:
    url: str  # the public URL the provider called (what it signed)
    headers: Mapping[str, str]  # lower-case names
    form: dict[str, str]  # empty unless the body is form data
    body: bytes = b""


Webhook = Callable[[WebhookRequest], Awaitable[Reply]]


class WebhookServer:
    """Pure-ASGI front: POSTs to known webhook paths are handled here, everything else goes to `app`."""

    def __init__(self, app: FastAPI, settings: Settings, routes: dict[str, Webhook]) -> None:
        self.app = app
        self.settings = settings
        self.routes = routes
        self.closers: list[Callable[[], Awaitable[None]]] = []  # background writers to stop with the server

    async def __call__(self, scope, receive, send) -> None:
        route = self.routes.get(scope.get("path", "")) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await self._send(send, Reply(405, "use POST"))
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        body = await self._read(receive, headers)
        if body is None:
            await self._send(send, Reply(413, "request body too large"))
            return
        form: dict[str, str] = {}
        if not headers.get("content-type", "").startswith("application/json"):
            try:
                form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                await self._send(send, Reply(400, "request body is not UTF-8 form data"))
                return
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{self.settings.public_url}{scope['path']}" + (f"?{query}" if query else "")
        try:
            reply = await route(WebhookRequest(url, headers, form, body))
        except Exception:
            log.exception("webhook %s failed", scope["path"])
            reply = Reply(500, "internal error; the provider will retry")
        await self._send(send, reply)

    async def _read(self, receive, headers: Mapping[str, str]) -> bytes | None:
        """The body, or None as soon as it passes the limit (never holding more than that)."""
        limit = self.settings.http.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return None
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    @staticmethod
    async def _send(send, reply: Reply) -> None:
        body = reply.body.encode("utf-8")
        await send({"type": "http.response.start", "status": reply.status,
                    "headers": [(b"content-type", reply.content_type.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def sms_webhooks(settings: Settings, database: Database, sms_token: Callable[[], str | None],
                 receipts: GroupCommit[StatusUpdate], extras: dict) -> dict[str, Webhook]:
    """`sms_token` is read per request: in sandbox mode the token exists only once the simulator runs."""

    def authenticate(parse: Callable[[str, str, Mapping[str, str], str | None], T], request: WebhookRequest) -> T | Reply:
        """The adapter's parse of a signed request, or the reply that refuses it (nothing stored)."""
        token = sms_token()
        if token is None:
            return Reply(404, "SMS is not configured")
        try:
            return parse(token, request.url, request.form, request.headers.get("x-twilio-signature"))
        except InvalidSignature:
            log.warning("SMS webhook with an invalid signature refused")
            return Reply(403, "invalid signature")
        except ValueError as exc:
            return Reply(400, f"bad request: {exc}")

    async def inbound_sms(request: WebhookRequest) -> Reply:
        message = authenticate(sms.parse_inbound, request)
        if isinstance(message, Reply):
            return message
        try:
            inbound.check(message)
        except inbound.Unstorable as exc:
            return Reply(400, f"bad request: {exc}")
        after: list = []
        with_after = {**extras, "after_commit": after}
        try:
            result = await database.run(inbound.handle, message, settings, with_after)
        except IntegrityError:  # the same MessageSid raced in twice: the other request won; answer as it did
            after.clear()
            result = await database.run(inbound.handle, message, settings, with_after)
        for action in after:  # committed: wake the dispatcher for what the message planned
            try:
                await action()
            except Exception:
                log.exception("an action after inbound SMS %s failed", message.provider_message_id)
        return Reply(200, sms.twiml_reply(result.reply), "application/xml")

    async def status_sms(request: WebhookRequest) -> Reply:
        update = authenticate(sms.parse_status, request)
        if isinstance(update, Reply):
            return update
        if update.status in deliveries.RECEIPT_STATUS:  # "queued", "sent"...: nothing to record
            await receipts.submit(update)
        return Reply(204)

    return {"/webhooks/sms/inbound": inbound_sms, "/webhooks/sms/status": status_sms}


def telegram_webhooks(settings: Settings, chat_inbound: Mapping[str, "ChatInbound"]) -> dict[str, Webhook]:
    """Telegram's webhook (inbound = "webhook"): the secret header is checked before anything is stored;
    the update is handled (once per update_id) and committed before Telegram gets its 200."""
    from channels import telegram

    async def inbound_telegram(request: WebhookRequest) -> Reply:
        loop = chat_inbound.get("telegram")
        if loop is None or settings.telegram is None:
            return Reply(404, "Telegram is not configured")
        try:
            message = telegram.parse_webhook(request.headers.get(telegram.SECRET_HEADER.lower()), request.body,
                                             settings.telegram)
        except InvalidSignature:
            log.warning("Telegram webhook with a wrong secret token refused")
            return Reply(403, "wrong secret token")
        except ValueError as exc:
            return Reply(400, f"bad request: {exc}")
        if message is not None:
            try:
                await loop.handle(message)
            except inbound.Unstorable as exc:
                return Reply(400, f"bad request: {exc}")
        return Reply(200, "{}", "application/json")

    return {"/webhooks/telegram": inbound_telegram}


def create_app(settings: Settings, database: Database, *, sms_token: Callable[[], str | None],
               chat_inbound: Mapping[str, "ChatInbound"] | None = None, extras: dict | None = None) -> WebhookServer:
    app = FastAPI(title="relay", openapi_url="/api/openapi.json", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        def ping(session: Session) -> None:
            session.execute(text("SELECT 1"))

        channels = api_app.channel_readiness((extras or {}).get("channels", {}))
        try:
            await database.run(ping)
        except Exception as exc:
            return JSONResponse({"status": "database unreachable", "error": str(exc), "channels": channels},
                                status_code=503)
        return JSONResponse({"status": "ready", "database": "reachable", "channels": channels})

    # the API (every feature's routers, from the one Feature list), the console, /metrics
    api_app.install(app, settings, database, extras, features.api_routers())

    receipts: GroupCommit[StatusUpdate] = GroupCommit(
        database, lambda session, batch: deliveries.store_receipts(session, batch, datetime.now(timezone.utc))
    )
    routes = {**sms_webhooks(settings, database, sms_token, receipts, extras or {}), **telegram_webhooks(settings, chat_inbound or {})}
    server = WebhookServer(app, settings, routes)
    server.closers.append(receipts.close)
    server.closers.append(lambda: _async(api_app.uninstall, app))
    return server


async def _async(fn, *args) -> None:
    fn(*args)


class EmbeddedServer(uvicorn.Server):
    """uvicorn inside our own lifecycle: the program, not the web server, owns the process's signals."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


async def serve(app: WebhookServer, sock: socket.socket) -> EmbeddedServer:
    """Start serving on an already bound socket; returns once the server accepts connections."""
    server = EmbeddedServer(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    server.task = task  # type: ignore[attr-defined]
    return server


async def close(app: WebhookServer) -> None:
    for closer in app.closers:
        await closer()
