"""The relay's HTTP side: provider webhooks (and, later, the API and console), served by `relay run`.

Every webhook is authenticated by the adapter before anything is stored, bounded in size before it is
read whole, and answered only after its effect is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels import sms
from channels.base import InvalidSignature, StatusUpdate
from relay import deliveries, inbound
from relay.config import Settings
from relay.db import Database
from relay.group_commit import GroupCommit

log = logging.getLogger("relay.web")

TWIML = "application/xml"


class BodyTooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int) -> bytes:
    """Read a body, refusing it as soon as it passes `limit` bytes (never holding more than that)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    settings: Settings,
    database: Database,
    *,
    sms_token: Callable[[], str | None],
    on_inbound: Callable[[], None] = lambda: None,
) -> FastAPI:
    """`sms_token` is read per request: in sandbox mode the token exists only once the simulator runs."""
    app = FastAPI(title="relay", openapi_url="/api/openapi.json", docs_url=None, redoc_url=None)

    def public_url(request: Request) -> str:
        query = f"?{request.url.query}" if request.url.query else ""
        return f"{settings.public_url}{request.url.path}{query}"

    async def form(request: Request) -> dict[str, str] | Response:
        try:
            body = await read_limited(request, settings.http.max_body_bytes)
        except BodyTooLarge:
            return PlainTextResponse("request body too large", status_code=413)
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except UnicodeDecodeError:
            return PlainTextResponse("request body is not UTF-8 form data", status_code=400)

    def in_transaction(fn):
        return database.run(fn)

    receipts: GroupCommit[StatusUpdate] = GroupCommit(
        database, lambda session, batch: deliveries.store_receipts(session, batch, datetime.now(timezone.utc))
    )
    app.state.receipts = receipts

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> Response:
        def ping(session: Session) -> None:
            session.execute(text("SELECT 1"))

        try:
            await in_transaction(ping)
        except Exception as exc:
            return JSONResponse({"status": "database unreachable", "error": str(exc)}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.post("/webhooks/sms/inbound")
    async def sms_inbound(request: Request) -> Response:
        params = await form(request)
        if isinstance(params, Response):
            return params
        token = sms_token()
        if token is None:
            return PlainTextResponse("SMS is not configured", status_code=404)
        try:
            message = sms.parse_inbound(token, public_url(request), params, request.headers.get("x-twilio-signature"))
        except InvalidSignature:
            log.warning("SMS webhook with an invalid signature refused (from %s)", request.client)
            return PlainTextResponse("invalid signature", status_code=403)
        except ValueError as exc:
            return PlainTextResponse(f"bad request: {exc}", status_code=400)
        try:
            result = await in_transaction(lambda s: inbound.handle(s, message, settings))
        except IntegrityError:  # the same MessageSid raced in twice: the other request won; answer as it did
            result = await in_transaction(lambda s: inbound.handle(s, message, settings))
        on_inbound()
        return Response(sms.twiml_reply(result.reply), media_type=TWIML)

    @app.post("/webhooks/sms/status")
    async def sms_status(request: Request) -> Response:
        params = await form(request)
        if isinstance(params, Response):
            return params
        token = sms_token()
        if token is None:
            return PlainTextResponse("SMS is not configured", status_code=404)
        try:
            update = sms.parse_status(token, public_url(request), params, request.headers.get("x-twilio-signature"))
        except InvalidSignature:
            return PlainTextResponse("invalid signature", status_code=403)
        except ValueError as exc:
            return PlainTextResponse(f"bad request: {exc}", status_code=400)
        if update.status in deliveries.RECEIPT_STATUS:  # "queued", "sent"...: nothing to record
            await receipts.submit(update)
        return Response(status_code=204)

    return app


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


async def serve(app: FastAPI, sock: socket.socket) -> EmbeddedServer:
    """Start serving on an already bound socket; returns once the server accepts connections."""
    server = EmbeddedServer(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    server.task = task  # type: ignore[attr-defined]
    return server
