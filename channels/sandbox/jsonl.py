"""The simulators' record of what they accepted: one JSON object per line, each line written whole.

Tests count messages from these files after a `kill -9` of the relay (or of the simulator), so a line
must never be half written: one `os.write` per line on an append-only descriptor, finished if a signal
or a full disk cut it short.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Protocol

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)


class JsonlLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, record: dict[str, object]) -> None:
        if self._fd is None:
            raise RuntimeError(f"{self.path} is closed")
        data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):
            written += os.write(self._fd, data[written:])

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


class _Closable(Protocol):
    def close(self) -> None: ...


class LocalServer:
    """What every simulator shows a test or the sandbox: where it listens, what it counted, and the
    JSONL file of what it accepted (`<data_dir>/sandbox/<JSONL_NAME>`); and the serving, background tasks
    and shutdown they all do the same way."""

    JSONL_NAME = "records.jsonl"
    _host: str
    port: int
    data_dir: Path
    _stats: dict[str, int]
    _tasks: set[asyncio.Task[None]]
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None
    _log: _Closable | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (0 = any free port) and return the bound port."""
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self._host in ("", "0.0.0.0", "::") else self._host
        return f"http://{host}:{self.port}"

    @property
    def stats(self) -> dict[str, int]:
        return dict(self._stats)

    @property
    def jsonl_path(self) -> Path:
        return self.data_dir / "sandbox" / self.JSONL_NAME

    async def _listen(self, app: web.Application, host: str, port: int) -> web.TCPSite:
        """Serve `app` on host:port (0 = any free port); `port` is then the bound one."""
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host, self.port = host, site.port
        return site

    def _own(self, task: asyncio.Task[None]) -> None:
        """Keep a reference to a background task until it ends, and log it if it died."""
        self._tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s task died", type(self).__name__, exc_info=task.exception())

    async def _cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _close(self) -> None:
        """Cancel the background tasks, stop serving, close the client session and the JSONL file."""
        await self._cancel_tasks()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._log is not None:
            self._log.close()

    async def _stats_route(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.stats)


async def json_object(request: web.Request, not_json: str) -> dict | web.Response:
    """A control route's body as a JSON object, or the 400 answer a test reads: `not_json` when the body is
    no JSON at all (it says what the route expects), "body must be a JSON object" when it is another value."""
    try:
        payload = await request.json()
    except ValueError:
        return web.json_response({"error": not_json}, status=400)
    if not isinstance(payload, dict):
        return web.json_response({"error": "body must be a JSON object"}, status=400)
    return payload


async def serve_until_cancelled(simulator: LocalServer, host: str, port: int, logger: logging.Logger,
                                what: str) -> None:
    """Run a simulator until cancelled (for `relay sandbox`), then stop it."""
    await simulator.start(host, port)
    logger.info("%s listening on %s", what, simulator.base_url)
    try:
        await asyncio.Event().wait()
    finally:
        await simulator.stop()
