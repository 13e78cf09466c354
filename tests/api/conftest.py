"""A whole relay (sandbox providers, SQLite) running in a background thread's event loop, so that sync
clients (httpx, schemathesis, Playwright's sync API) can drive it over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from relay.api import tokens
from relay.app.program import Program
from relay.core import subscribers
from tests.relay.conftest import make_program

TIERS = ("observer", "contributor", "partner", "coordinator", "moderator")


@dataclass
class LiveRelay:
    program: Program
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    tokens: dict[str, str] = field(default_factory=dict)  # tier -> token of a person of that tier
    people: dict[str, int] = field(default_factory=dict)  # tier -> subscriber id

    @property
    def url(self) -> str:
        return self.program.settings.public_url

    def run(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def db(self, fn, *args):
        """fn(session, *args) in one committed transaction."""
        with self.program.database.sessions.begin() as session:
            return fn(session, *args)

    def client(self, tier: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[tier]}"} if tier else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def add_person(self, tier: str, *, name: str, language: str = "en", phone: str | None = None,
                   telegram: str | None = None, regions: str = "") -> int:
        row = {"name": name, "language": language, "tier": tier, "phone": phone or "", "telegram": telegram or "",
               "regions": regions}

        def add(session) -> int:
            data = subscribers.validate_row(row, default_region=None, default_timezone="UTC")
            return subscribers.upsert(session, data, actor="test")[0].id

        return self.db(add)

    def token_for(self, subscriber_id: int, name: str = "test") -> str:
        return self.db(lambda s: tokens.create(s, subscriber_id=subscriber_id, name=name, actor="test")[1])


def start_live(tmp_path: Path, *, rate: float = 0.0, services=(), **overrides) -> LiveRelay:
    program = make_program(tmp_path, numbers=("+12015550100", "+12015550101"), rate=rate, **overrides)
    if services == "assembly":  # what `relay run` runs beside the dispatcher
        from relay.app import features

        services = features.services(program.settings)
    program.services = list(services)
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def main() -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()

    thread = threading.Thread(target=main, name="live-relay", daemon=True)
    thread.start()
    live = LiveRelay(program, loop, thread)
    live.run(program.start())
    for i, tier in enumerate(TIERS):
        live.people[tier] = live.add_person(tier, name=f"{tier.title()} Person", telegram=str(9100 + i),
                                            regions="north")
        live.tokens[tier] = live.token_for(live.people[tier], f"{tier} laptop")
    ready.set()
    return live


def stop_live(live: LiveRelay) -> None:
    try:
        live.run(live.program.stop())
    finally:
        live.loop.call_soon_threadsafe(live.loop.stop)
        live.thread.join(10)


@contextmanager
def live_relay(tmp_path: Path, **overrides) -> Iterator[LiveRelay]:
    """`start_live(tmp_path, **overrides)`, stopped when the block ends (the fixtures' shape)."""
    relay = start_live(tmp_path, **overrides)
    try:
        yield relay
    finally:
        stop_live(relay)


def add_second_coordinator(live: LiveRelay) -> None:
    """A second coordinator ("second"), who may approve what the first one drafted (two-person rule)."""
    live.people["second"] = live.add_person("coordinator", name="Second Coordinator", telegram="9300")
    live.tokens["second"] = live.token_for(live.people["second"])
