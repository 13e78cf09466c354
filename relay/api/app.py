"""Plugs the API, the console, /metrics and the readiness of channels into the relay's FastAPI app.

Called once by `relay.app.web.create_app`. Bad input never becomes a 500: oversized bodies are refused with
413 before they are read whole, validation errors are 422 with the field named (FastAPI's own shape,
which our domain errors reuse), and anything unexpected is logged and answered 500 without details.
"""

from __future__ import annotations

import hmac
import logging
import math
from pathlib import Path
from typing import Mapping, Sequence

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from relay.api.auth import allow, bearer, principal
from relay.api.collector import DatabaseCollector
from relay.core import metrics, scope
from relay.api.common import Relay
from relay.api.tokens import TokenError
from relay.api.voice import UPLOAD_PATH
from relay.core.config import Settings
from relay.core.db import Database
from relay.delivery.outbox import BroadcastError
from relay.core.subscribers import SubscriberError

log = logging.getLogger("relay.api")
CONSOLE = Path(__file__).resolve().parents[1] / "console"
CONSOLE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class BodyLimit:
    """Pure ASGI: a request to /api whose body passes the limit is answered 413 (declared length first,
    then counted as it streams, so a chunked upload cannot slip past). A recording's upload is bounded by
    its own route, with its own limit (relay/api/voice.py)."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/api/") or UPLOAD_PATH.match(path):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            if int(declared) <= self.limit + LINGER_BYTES:
                await _drain(receive, {"more_body": True})
            await self._refuse(send)
            return
        seen = 0
        started = refused = False

        async def counted():
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                if not started and not refused:
                    # Answer now: whatever the app makes of the aborted read (FastAPI turns it into a
                    # 400) is dropped by `tracked`.
                    refused = True
                    await _drain(receive, message)
                    await self._refuse(send)
                raise _TooLarge
            return message

        async def tracked(message):
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started and not refused:
                await self._refuse(send)

    async def _refuse(self, send) -> None:
        body = b'{"detail":"request body too large"}'
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


# Read and dropped after a body passes the limit, before the 413 goes out: a client still uploading when
# the server answers and closes gets a TCP reset instead of the 413 (nginx's "lingering close"). Bounded,
# so a client that never stops is still cut off.
LINGER_BYTES = 1 << 20


async def _drain(receive, message: dict) -> None:
    dropped = 0
    while message.get("more_body") and dropped <= LINGER_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        dropped += len(message.get("body", b""))


def _problem(loc: str, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["body", loc], "msg": str(exc), "type": "value_error"}]}, status_code=422)


def install(app: FastAPI, settings: Settings, database: Database, extras: Mapping | None = None,
            routers: Sequence = ()) -> None:
    """`routers`: every feature's API routers, from the app's Feature list."""
    extras = dict(extras or {}) if not isinstance(extras, dict) else extras
    app.state.relay = Relay(settings, database, extras)
    for router in routers:
        app.include_router(router)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own shape, with every echoed input made JSON-safe: a NaN or Infinity a client sent
        # used to make this very answer fail to serialise (a 500).
        return JSONResponse({"detail": _json_safe(exc.errors())}, status_code=422)

    @app.exception_handler(RecursionError)
    async def too_deep(request: Request, exc: RecursionError) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": ["body"], "msg": "JSON nested too deeply",
                                         "type": "value_error"}]}, status_code=422)

    @app.exception_handler(scope.Hidden)
    async def hidden(request: Request, exc: scope.Hidden) -> JSONResponse:
        """Out of the caller's regions: the answer of an id that does not exist, the attempt audited."""
        def audit_it(session) -> None:
            scope.refuse(session, exc.scope, exc.subject)

        await database.run(audit_it)
        return JSONResponse({"detail": exc.message}, status_code=404)

    @app.exception_handler(BroadcastError)
    async def broadcast_error(request: Request, exc: BroadcastError) -> JSONResponse:
        return _problem("broadcast", exc)

    @app.exception_handler(SubscriberError)
    async def subscriber_error(request: Request, exc: SubscriberError) -> JSONResponse:
        return _problem("subscriber", exc)

    @app.exception_handler(TokenError)
    async def token_error(request: Request, exc: TokenError) -> JSONResponse:
        return _problem("token", exc)

    collector = DatabaseCollector(database, _memory_stats(settings, database))
    metrics.attach(collector)  # one app per process in `relay run`; tests may make several
    app.state.metrics_collector = collector

    @app.get("/metrics", include_in_schema=False)
    def prometheus(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Response:
        """Behind a token: the scrape token of `[console] metrics_token`, or a coordinator's API token (the
        figures name channels, queue depths and moderation counts)."""
        scrape = settings.console.metrics_token
        given = credentials.credentials if credentials is not None else ""
        if not (scrape is not None and given and hmac.compare_digest(given, scrape.get_secret_value())):
            who = principal(credentials, database)
            allow(database, who, "metrics.view")
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/")

    app.mount("/console", StaticFiles(directory=CONSOLE, html=True), name="console")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        """The console loads only its own files; no page may frame it (clickjacking a vote or a send);
        browsers never guess content types; no URL (with a broadcast or report id) leaks as a referrer."""
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONSOLE_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response
    app.add_middleware(BodyLimit, limit=settings.console.max_body_bytes)


def _json_safe(value):
    """A validation error's details as JSON can carry them: non-finite floats, bytes and other objects
    become their text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def uninstall(app: FastAPI) -> None:
    """Stop reporting this app's database (a test that makes several relays in one process)."""
    collector = getattr(app.state, "metrics_collector", None)
    if collector is not None:
        metrics.detach(collector)


def _memory_stats(settings: Settings, database: Database):
    def stats() -> tuple[int, int]:
        from relay.delivery import translation_hooks

        # Only a translator this process already built: a scrape must not start the engines.
        translator = translation_hooks._TRANSLATORS.get(database.sessions)
        if translator is None:
            return 0, 0
        return translator.memory_hits, translator.engine_calls

    return stats


def channel_readiness(channels: Mapping) -> dict[str, str]:
    """Each started channel: `connected` once its provider answered a send, `unreachable` if the latest
    send failed to reach it (a transient error), `started` before any send."""
    states = {}
    for name in channels:
        last = metrics.LAST_SEND.get(name)
        states[name] = "started" if last is None else ("unreachable" if last[0] == "error" else "connected")
    return states
