"""Deadlines for receiving a request: its headers, then its body. A slow-loris client is cut off.

uvicorn (0.55) has no such timeout: `timeout_keep_alive` covers only the idle time *between* requests
and is reset by every byte received, so a client that connects and says nothing, or dribbles its headers
or body a byte at a time, holds a connection (and, for a body, a waiting handler) for as long as it likes
(uvicorn issue #157: "--timeout-request-start", "--timeout-request-complete", still open). An ASGI
middleware cannot see the headers phase at all (the app is called only once they are parsed), so the
clock lives in the connection's protocol: a subclass of uvicorn's httptools protocol (httptools is a
declared dependency), built per server by `protocol(...)` and given to `uvicorn.Config(http=...)`.

- From the connection's first moment (and from the first byte of each later request on a kept-alive
  connection) the request line and headers must be complete within `header_seconds`.
- From then on the body must be complete within `body_seconds`, however it trickles in.
- Past either deadline the server answers 408 (if no response has started) and closes the connection;
  a handler waiting for the rest of the body gets `http.disconnect`, never a truncated body.

Once a request is fully received the clock stops, so a long response (the live progress stream) is
never cut.
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("relay.app.http_deadlines")


def _timeout_reply(what: str, seconds: float) -> bytes:
    body = f"request {what} not received within {seconds:g} s\n".encode()
    return (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline and a body deadline per request."""

    header_seconds: float = 10.0
    body_seconds: float = 30.0

    _deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire, what, seconds)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, what: str, seconds: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        log.warning("closing a connection from %s: request %s not received within %g s",
                    "%s:%d" % self.client if self.client else "?", what, seconds)
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(_timeout_reply(what, seconds))
        self.transport.close()

    # the connection and the parser's callbacks
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_seconds, "headers")  # a connection that never sends a byte is cut too

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # the next request on a kept-alive connection: its clock starts now
            self._arm(self.header_seconds, "headers")

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if not self.transport.is_closing():
            self._arm(self.body_seconds, "body")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def protocol(*, header_seconds: float, body_seconds: float) -> type[DeadlineProtocol]:
    """The protocol class for one server, with its deadlines (uvicorn instantiates it per connection)."""
    return type("RelayHttpProtocol", (DeadlineProtocol,),
                {"header_seconds": header_seconds, "body_seconds": body_seconds})
