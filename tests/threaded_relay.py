"""A relay (its whole `Program`) on an event loop of its own thread, for synchronous callers that post to
it over HTTP and hand it coroutines: hypothesis tests (tests/reliability/test_hostile_input.py) and the
hostile-input bench (bench/hostile.py). (A plain module that imports nothing from tests/: a bench
puts tests/ on its path and imports it as `threaded_relay`.)

The provider simulators it talks to are started before it and stopped after it; with
`own_simulator_loop` they run on a second loop, so that their work is not counted as the relay's."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from relay.app.program import Program
from relay.app.settings import load_settings


class _LoopThread:
    """An event loop running forever in a daemon thread until `close`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


class ThreadedRelay:
    """Subclasses start their simulators in `start_simulators` (returning them, started) and give the
    settings of the channels that reach them in `channel_settings`."""

    timeout = 120.0  # seconds a coroutine handed to `run` may take

    def __init__(self, tmp: Path, database_url: str | None, *, own_simulator_loop: bool = False) -> None:
        self.tmp, self.database_url = tmp, database_url
        self._relay_thread = _LoopThread()
        self._sim_thread = _LoopThread() if own_simulator_loop else self._relay_thread
        self.loop, self.sim_loop = self._relay_thread.loop, self._sim_thread.loop
        self.simulators: list[Any] = []  # started: each has an async stop()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float | None = None,
            loop: asyncio.AbstractEventLoop | None = None) -> Any:
        """Run `coro` on the relay's loop (or `loop`) and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, loop or self.loop).result(timeout=timeout or self.timeout)

    async def start_simulators(self) -> list[Any]:
        return []

    def channel_settings(self) -> dict[str, Any]:
        return {}

    async def _start(self) -> None:
        overrides = {"data_dir": str(self.tmp / "data"), "http": {"port": 0},
                     "translation": {"engines": ["apertium"]}, **self.channel_settings()}
        if self.database_url:
            overrides["database_url"] = self.database_url
        self.settings = load_settings(None, overrides=overrides)
        self.program = Program(self.settings, upgrade=True)
        await self.program.start()

    def start(self) -> ThreadedRelay:
        self.simulators = self.run(self.start_simulators(), loop=self.sim_loop)
        self.run(self._start())
        return self

    def stop(self) -> None:
        async def stop_simulators() -> None:
            for simulator in self.simulators:
                await simulator.stop()

        self.run(self.program.stop())
        self.run(stop_simulators(), loop=self.sim_loop)
        for thread in dict.fromkeys((self._relay_thread, self._sim_thread)):  # one thread when shared
            thread.close()

    @property
    def url(self) -> str:
        return self.program.settings.public_url
