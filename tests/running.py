"""What the fixtures start and stop alike: simulators and adapters started on demand with keyword
overrides and all stopped after the test, small aiohttp apps standing in for the relay (or a
provider) on a free port of 127.0.0.1, and the wait for a relay process to serve. (A plain module, not
conftest: a test or a bench cannot import a particular conftest. A bench puts tests/ on its path and
imports it as `running`: a package installed in the environment is also named `tests`.)"""

from __future__ import annotations

import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

import httpx
from aiohttp import web


class Startable(Protocol):
    async def start(self) -> Any: ...

    async def stop(self) -> None: ...


T = TypeVar("T", bound=Startable)


@asynccontextmanager
async def started(thing: T) -> AsyncIterator[T]:
    """`thing` started for the block and stopped after it, also when the block fails (a test's
    try/finally around start and stop, said once)."""
    await thing.start()
    try:
        yield thing
    finally:
        await thing.stop()


@asynccontextmanager
async def starting(make: Callable[..., T]) -> AsyncIterator[Callable[..., Awaitable[T]]]:
    """`start(*args, **overrides)` builds with `make(index, *args, **overrides)` (index: how many were
    started before, for a data directory of its own), starts it and returns it; every one started is
    stopped when the block ends, in the order they were started."""
    started: list[T] = []

    async def start(*args: Any, **overrides: Any) -> T:
        thing = make(len(started), *args, **overrides)
        started.append(thing)
        await thing.start()
        return thing

    try:
        yield start
    finally:
        for thing in started:
            await thing.stop()


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1 (any free port) for the block; its base URL, `http://127.0.0.1:<port>`."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site.port}"
    finally:
        await runner.cleanup()


# 120 s: a hang guard only; a relay process on a loaded two-core machine can take half a minute to start.
def wait_http(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    """Return once `url` answers at all; raise if `process` (the one that should serve it) exits first
    or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before serving {url}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} not up within {timeout}s")
