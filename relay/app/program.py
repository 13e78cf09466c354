"""One lifecycle object for a running relay (prepare, start, stop), in the shape of mautrix's program.

It raises; only the CLI decides exit codes. In sandbox mode it also starts the provider simulators and
points the channels at them, so an observer can try everything without touching a real provider.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from typing import Any, Callable

from channels import registry
from channels.base import Channel
from relay.core import heap
from relay.core import channel_state
from relay.core import channels as channel_registry
from relay.core.channels import build_channels
from relay.inbound.loops import ChatInbound, chat_loops
from relay.app.settings import Settings
from relay.core.db import Database, SetupError
from relay.delivery.dispatcher import Dispatcher
from relay.core.leases import leases_for
from relay.app import features
from relay.core.service import Service
from relay.app.web import EmbeddedServer, bind, create_app, serve
from relay.app.web import close as close_web

log = logging.getLogger("relay.app.program")

def inbound_extras(settings: Settings, channels: dict[str, Channel], database: Database) -> dict:
    """What command and message handlers may use in this process: the started channels and the database
    (a bridge edits its copies through them, after the commit) and the misinformation screen."""
    from relay.integrity import screen

    return {"channels": channels, "database": database, "screen": screen}


@dataclass
class Program:
    settings: Settings
    sandbox: bool = False
    upgrade: bool = False
    database: Database | None = None
    simulators: dict[str, Any] = field(default_factory=dict)  # channel name -> its running sandbox simulator
    channels: dict[str, Channel] = field(default_factory=dict)
    dispatcher: Dispatcher | None = None
    server: EmbeddedServer | None = None
    services: list[Service] = field(default_factory=list)
    chat_inbound: dict[str, ChatInbound] = field(default_factory=dict)
    inbound_extras: dict = field(default_factory=dict)
    # What this process runs. `relay run`: all three. `relay worker`: no web server (any number of them
    # share one PostgreSQL database; leases keep each sender, inbound loop and service in one process).
    # `relay serve`: the web side alone (webhooks, API), for as many processes as the load needs.
    # The dispatcher's clock (tests of scheduled sends and quiet hours drive time; None: the real one).
    clock: Callable[[], Any] | None = None
    web: bool = True
    dispatch: bool = True
    background: bool = True
    _stopped: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        features.install()  # every mode gets its commands and hooks from the one Feature list

    async def start(self) -> None:
        self.database = await asyncio.to_thread(Database.open, self.settings, upgrade=self.upgrade)
        sock = bind(self.settings.http.host, self.settings.http.port) if self.web else None
        if sock is not None and self.settings.http.port == 0:
            port = sock.getsockname()[1]
            self.settings = self.settings.model_copy(update={"http": self.settings.http.model_copy(update={"port": port})})
        if self.sandbox:
            await self._start_sandbox()
        self._prepare_sections()
        configured = channel_registry.configured(self.settings)
        if not configured:
            sections = ", ".join(f"[{spec.name}]" for spec in registry.SPECS)
            raise SetupError(f"no channel is configured: add one of the sections {sections}, or run with --sandbox")
        options = await self._restore_channel_state(configured)
        for spec, _ in configured:  # WhatsApp: free-form only within 24 h of the person's last message
            if spec.capabilities.reply_window_hours:
                options.setdefault(spec.name, {})["last_inbound"] = self._last_inbound(spec.name)
        self.channels = build_channels(self.settings, options)
        for channel in self.channels.values():
            await channel.start()
        await self._persist_channel_state()
        self.inbound_extras = inbound_extras(self.settings, self.channels, self.database)
        self.chat_inbound = chat_loops(self.channels, self.database, self.settings, self.inbound_extras)
        if self.dispatch:
            self.dispatcher = Dispatcher(
                self.database,
                self.channels,
                self.settings.dispatcher,
                leases_for(self.database.engine, self.settings.data_dir),
                **({"clock": self.clock} if self.clock is not None else {}),
            )
            self.inbound_extras["wake_dispatcher"] = self._wake_dispatcher
            self.inbound_extras["pace_recipient"] = self.dispatcher.pace_recipient
        if sock is not None:
            app = create_app(self.settings, self.database, chat_inbound=self.chat_inbound, extras=self.inbound_extras,
                             section=lambda name: getattr(self.settings, name, None))
            self.server = await serve(app, sock)
            log.info("relay listening on %s", self.settings.public_url)
        if self.dispatcher is not None:
            self._dispatch_task = asyncio.get_running_loop().create_task(self.dispatcher.run(), name="dispatcher")
        if self.background:
            for spec, section in channel_registry.configured(self.settings):
                if spec.on_start is not None and spec.name in self.channels:
                    await spec.on_start(self.channels[spec.name], section, self.settings.public_url)
            for loop in self.chat_inbound.values():
                if loop.polls:
                    await loop.start(self)
            for service in self.services:
                await service.start(self)
        if self.web or self.background:  # this process takes messages in: ready what the first one would load
            await self._warm_up()
        heap.settle("start-up")

    async def _warm_up(self) -> None:
        for warm in features.warm_ups():
            try:
                await self.database.run(warm, self.settings)
            except Exception:  # a relay that cannot ready a feature still starts; its first message says why
                log.exception("readying %s at start-up failed", getattr(warm, "__module__", warm))

    async def _wake_dispatcher(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake()

    def _prepare_sections(self) -> None:
        """What each section takes from the relay's own address (SMS: its status callback URL)."""
        for spec, section in channel_registry.configured(self.settings):
            prepared = spec.prepare(section, self.settings.public_url)
            if prepared is not section:
                self.settings = self.settings.model_copy(update={spec.name: prepared})

    def _last_inbound(self, channel: str):
        """When each person last wrote on `channel`, read from the inbound messages the relay stored (any
        process of the relay may have taken them)."""
        from relay.inbound.history import last_inbound

        async def lookup(addresses):
            return await self.database.run(last_inbound, channel, list(addresses))

        return lookup

    def _state_put(self, prefix: str):
        async def put(key: str, value: str) -> None:
            await self.database.run(channel_state.put, prefix + key, value)

        return put

    async def _restore_channel_state(self, configured) -> dict[str, dict]:
        """Each channel's state kept in the database between runs (Matrix's token and direct rooms)."""
        options: dict[str, dict] = {}
        for spec, section in configured:
            if spec.restore is None or spec.state_prefix is None:
                continue
            prefix = spec.state_prefix(section)
            stored = await self.database.run(channel_state.with_prefix, prefix)
            section, options[spec.name] = spec.restore(section, stored, self._state_put(prefix))
            self.settings = self.settings.model_copy(update={spec.name: section})
        return options

    async def _persist_channel_state(self) -> None:
        for spec, section in channel_registry.configured(self.settings):
            if spec.persist is not None and spec.state_prefix is not None and spec.name in self.channels:
                await spec.persist(self.channels[spec.name], section, self._state_put(spec.state_prefix(section)))

    async def _start_sandbox(self) -> None:
        """Every channel with a simulator sends to it: the simulator starts, and its section points there."""
        for spec in registry.SPECS:
            if spec.sandbox is None:
                continue
            simulator, section = await spec.sandbox.start(self.settings.sandbox, self.settings.data_dir,
                                                          self.settings.public_url)
            self.simulators[spec.name] = simulator
            self.settings = self.settings.model_copy(update={spec.name: section})

    async def stop(self) -> None:
        started = [*reversed(self.services), *self.chat_inbound.values()] if self.background else []
        for service in started:
            try:
                await service.stop()
            except Exception:  # one service failing to stop must not keep the others running
                log.exception("service %s failed to stop", service.name)
        if self.dispatcher is not None:
            await self.dispatcher.stop()
            self._dispatch_task.cancel()
        if self.server is not None:
            self.server.should_exit = True
            await self.server.task  # type: ignore[attr-defined]
            await close_web(self.server.config.app)
        for channel in self.channels.values():
            await channel.stop()
        for simulator in self.simulators.values():
            await simulator.stop()
        if self.database is not None:
            self.database.close()
        self._stopped.set()

    def describe(self) -> list[str]:
        """What is running where, for the person who started it."""
        where = f"listening on {self.settings.public_url}" if self.web else "no web server (a worker)"
        lines = [f"relay {where} (database {self.settings.resolved_database_url})"]
        for name, channel in self.channels.items():
            lines.append(f"{name}: {'sending from' if self.dispatch else 'replies from'} {', '.join(channel.senders())}")
        if self.background:
            lines.append("inbound loops and services: run here when this process holds their lease")
        for simulator in self.simulators.values():
            lines.append(f"sandbox: {type(simulator).__name__} at {simulator.base_url}; what it accepts "
                             f"is in {simulator.jsonl_path}")
        return lines

    async def run_until_signal(self, on_started: Callable[[list[str]], None] = lambda lines: None) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        on_started(self.describe())
        try:
            await stop.wait()
        finally:
            await self.stop()
