"""Slow-loris clients are cut off: a body or headers dribbled a byte at a time, or a connection that says
nothing, get 408 and a closed connection, and nothing of the partial request is handled; meanwhile
/healthz answers, and a request that arrives in time (slowly, in pieces) is served."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from relay.core.models import InboundMessage
from tests.api.conftest import live_relay

HEADERS_S, BODY_S = 1.0, 1.5
DRIBBLE_FOR = 8.0  # far longer than either deadline; the old server kept reading the whole time


@pytest.fixture
def slow_live(tmp_path):
    with live_relay(tmp_path, http={"port": 0, "header_timeout_seconds": HEADERS_S,
                                    "body_timeout_seconds": BODY_S}) as relay:
        yield relay


def _connect(live) -> socket.socket:
    parts = urlsplit(live.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    sock.setblocking(False)
    return sock


def _answer(sock: socket.socket) -> bytes | None:
    """What the server has sent so far, b"" once it closed, None if it has sent nothing yet."""
    try:
        return sock.recv(65536)
    except BlockingIOError:
        return None
    except ConnectionResetError:
        return b""


def _dribble(live, sock: socket.socket, data: bytes) -> tuple[bytes, bool]:
    """Send `data` one byte every 0.1 s for up to DRIBBLE_FOR seconds; (what came back, cut before the end)."""
    got, started = b"", time.monotonic()
    with httpx.Client(base_url=live.url, timeout=5) as health:
        for i, byte in enumerate(data):
            if time.monotonic() - started > DRIBBLE_FOR:
                break
            try:
                sock.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                return got + (_answer(sock) or b""), True
            answer = _answer(sock)
            if answer is not None:
                got += answer
                if answer == b"" or b"\r\n\r\n" in got:
                    return got, True
            if i % 10 == 0:
                assert health.get("/healthz").status_code == 200  # the server is not held up meanwhile
            time.sleep(0.1)
    return got, False


def test_a_dribbled_webhook_body_is_cut_and_nothing_is_handled(slow_live):
    body = b"From=%2B12025550123&To=%2B12015550100&Body=" + b"S" * 200 + b"&MessageSid=SM" + b"0" * 32
    head = (b"POST /webhooks/sms/inbound HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n\r\n")
    sock = _connect(slow_live)
    sock.send(head)
    got, cut = _dribble(slow_live, sock, body)
    sock.close()
    assert cut, "the server kept reading a body that trickled in for 8 s"
    assert got.startswith(b"HTTP/1.1 408") and b"request body not received within 1.5 s" in got
    with slow_live.program.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_a_dribbled_api_body_is_cut(slow_live):
    body = b"name,phone,language\n" + b"A,+12025550999,es\n" * 20
    head = (b"POST /api/subscribers/import HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
            b"Authorization: Bearer " + slow_live.tokens["coordinator"].encode() + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    sock = _connect(slow_live)
    sock.send(head)
    got, cut = _dribble(slow_live, sock, body)
    sock.close()
    assert cut and got.startswith(b"HTTP/1.1 408"), got[:200]


def test_dribbled_headers_and_a_silent_connection_are_cut(slow_live):
    sock = _connect(slow_live)
    got, cut = _dribble(slow_live, sock, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 200 + b"\r\n\r\n")
    sock.close()
    assert cut and got.startswith(b"HTTP/1.1 408") and b"request headers not received" in got, got[:200]

    silent = _connect(slow_live)
    deadline = time.monotonic() + DRIBBLE_FOR
    answer = None
    while answer is None and time.monotonic() < deadline:
        time.sleep(0.1)
        answer = _answer(silent)
    silent.close()
    assert answer is not None and answer.startswith(b"HTTP/1.1 408"), "a connection that sent nothing was kept open"


def test_a_slow_request_within_its_deadlines_is_served_and_kept_alive(slow_live):
    body = b"name,phone,language\nSlow,+12025550998,es\n"
    head = (b"POST /api/subscribers/import HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
            b"Authorization: Bearer " + slow_live.tokens["coordinator"].encode() + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    sock = socket.create_connection((urlsplit(slow_live.url).hostname, urlsplit(slow_live.url).port), timeout=10)
    for piece in (head[:20], head[20:], body[:10], body[10:]):
        sock.sendall(piece)
        time.sleep(0.2)
    first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200") and b'"created":1' in first.replace(b" ", b"")
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # the same connection, a second request
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    sock.close()
