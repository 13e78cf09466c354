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
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels import registry
from channels.base import Inbound, InvalidSignature, StatusUpdate
from channels.spec import Answer, ChannelSpec, WebhookCall
from channels.spec import Webhook as ChannelWebhook
from relay.delivery.receipts import RECEIPT_STATUS, store_receipts
from relay.inbound import handling as inbound
from relay.app.settings import Settings
from relay.core.db import Database
from relay.core.group_commit import GroupCommit
from relay.api import app as api_app
from relay.app import features, http_deadlines

if TYPE_CHECKING:
    from relay.inbound.loops import ChatInbound

log = logging.getLogger("relay.app.web")


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


class ClientGone(Exception):
    """The connection closed before the request body was complete."""


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
        try:
            body = await self._read(receive, headers)
        except ClientGone:  # a partial body is never handled as if it were whole
            return
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
            if message["type"] == "http.disconnect":  # the client went (or its deadline passed)
                raise ClientGone
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


def channel_webhooks(settings: Settings, database: Database, section: Callable[[str], Any],
                     receipts: GroupCommit[StatusUpdate], chat_inbound: Mapping[str, "ChatInbound"],
                     extras: dict) -> dict[str, Webhook]:
    """Every route of every channel in the registry. `section(name)` is read per request: in sandbox mode
    a channel's section exists only once its simulator runs."""
    routes: dict[str, Webhook] = {}
    for spec in registry.SPECS:
        for hook in spec.webhooks:
            routes[hook.path] = _route(spec, hook, database, settings, section, receipts, chat_inbound, extras)
    return routes


def _route(spec: ChannelSpec, hook: ChannelWebhook, database: Database, settings: Settings,
           section: Callable[[str], Any], receipts: GroupCommit[StatusUpdate],
           chat_inbound: Mapping[str, "ChatInbound"], extras: dict) -> Webhook:
    async def handle(request: WebhookRequest) -> Reply:
        configured = section(spec.name)
        loop = chat_inbound.get(spec.name)
        answers = hook.answer is not None or hook.answer_to is not None
        if configured is None or (hook.kind == "inbound" and not answers and loop is None):
            return Reply(404, f"{spec.label} is not configured")
        try:
            parsed = hook.parse(WebhookCall(configured, request.url, request.headers, request.form, request.body))
        except InvalidSignature as exc:
            log.warning("%s webhook refused: %s", spec.label, exc)
            return Reply(403, f"refused: {exc}")
        except ValueError as exc:
            return Reply(400, f"bad request: {exc}")
        if isinstance(parsed, Answer):  # the channel's own answer (a call's TwiML): nothing to store
            return Reply(200, parsed.body, parsed.content_type)
        if hook.kind == "status":
            if isinstance(parsed, StatusUpdate) and parsed.status in RECEIPT_STATUS:
                await receipts.submit(parsed)  # "queued", "sent"...: nothing to record
            return Reply(204)
        if parsed is None:
            return Reply(200, "{}", "application/json")
        if not answers:  # a chat channel: its loop handles it and sends the reply as a message
            try:
                await loop.handle(parsed)
            except inbound.Unstorable as exc:
                return Reply(400, f"bad request: {exc}")
            return Reply(200, "{}", "application/json")
        return await _answer_inbound(parsed, hook, database, settings, extras)

    return handle


async def _answer_inbound(message: Inbound, hook: ChannelWebhook, database: Database, settings: Settings,
                          extras: dict) -> Reply:
    """A message whose reply goes in the HTTP answer (SMS's TwiML), handled and committed first."""
    try:
        inbound.check(message)
    except inbound.Unstorable as exc:
        return Reply(400, f"bad request: {exc}")
    after: list = []
    with_after = {**extras, "after_commit": after}
    try:
        result = await database.run(inbound.handle, message, settings, with_after)
    except IntegrityError:  # the same provider id raced in twice: the other request won; answer as it did
        after.clear()
        result = await database.run(inbound.handle, message, settings, with_after)
    for action in after:  # committed: wake the dispatcher for what the message planned
        try:
            await action()
        except Exception:
            log.exception("an action after inbound %s %s failed", message.channel, message.provider_message_id)
    if hook.answer_to is not None:
        content_type, body = hook.answer_to(message, result.reply)
    else:
        content_type, body = hook.answer(result.reply)
    return Reply(200, body, content_type)


def create_app(settings: Settings, database: Database, *, section: Callable[[str], Any] | None = None,
               chat_inbound: Mapping[str, "ChatInbound"] | None = None, extras: dict | None = None) -> WebhookServer:
    """`section(name)`: a channel's current config section (default: read from `settings`)."""
    section = section or (lambda name: getattr(settings, name, None))
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
        except Exception:  # the reason goes to the log, not to whoever asks (it can name hosts and users)
            log.exception("readiness check: the database is unreachable")
            return JSONResponse({"status": "database unreachable", "channels": channels}, status_code=503)
        return JSONResponse({"status": "ready", "database": "reachable", "channels": channels})

    # the API (every feature's routers, from the one Feature list), the console, /metrics
    api_app.install(app, settings, database, extras, features.api_routers())

    receipts: GroupCommit[StatusUpdate] = GroupCommit(
        database, lambda session, batch: store_receipts(session, batch, datetime.now(timezone.utc))
    )
    routes = channel_webhooks(settings, database, section, receipts, chat_inbound or {}, extras or {})
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
    limits = app.settings.http
    http = http_deadlines.protocol(header_seconds=limits.header_timeout_seconds,
                                   body_seconds=limits.body_timeout_seconds)
    server = EmbeddedServer(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", http=http,
                                           timeout_keep_alive=limits.keep_alive_seconds))
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
