"""One lifecycle object for a running relay (prepare, start, stop), in the shape of mautrix's program.

It raises; only the CLI decides exit codes. In sandbox mode it also starts the provider simulators and
points the channels at them, so an observer can try everything without touching a real provider.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from channels.base import Channel
from channels.sms import SmsSettings
from relay.core.channels import SANDBOX_TELEGRAM_BOT_ID, build_channels
from relay.app import matrix_state
from relay.inbound.loops import ChatInbound, chat_loops
from relay.app.settings import Settings
from relay.core.db import Database, SetupError
from relay.delivery.dispatcher import Dispatcher
from relay.core.leases import leases_for
from relay.app import features
from relay.core.service import Service
from relay.app.web import EmbeddedServer, bind, create_app, serve
from relay.app.web import close as close_web

if TYPE_CHECKING:
    from channels.sandbox.telegram_sim import TelegramSimulator
    from channels.sandbox.twilio_sim import TwilioSimSettings, TwilioSimulator

log = logging.getLogger("relay.app.program")

SANDBOX_ACCOUNT_SID = "AC" + "5a" * 16


def sandbox_sms_settings(settings: Settings, account_sid: str = SANDBOX_ACCOUNT_SID,
                         auth_token: str | None = None) -> "TwilioSimSettings":
    """The SMS simulator as `[sandbox]` describes it (numbers, throughput, injected faults); a fresh random
    token unless the caller names one (`relay sandbox`, where the relay is configured separately)."""
    from channels.sandbox.twilio_sim import TwilioSimSettings

    sandbox = settings.sandbox
    return TwilioSimSettings(
        account_sid=account_sid,
        auth_token=auth_token or secrets.token_hex(16),
        numbers=sandbox.sms_numbers,
        segments_per_second=sandbox.segments_per_second,
        inbound_webhook_url=f"{settings.public_url}/webhooks/sms/inbound",
        latency_ms=sandbox.latency_ms,
        error_rate=sandbox.error_rate,
        outages=sandbox.outages,
        delivered_after_ms=sandbox.delivered_after_ms,
        undeliverable_numbers=sandbox.undeliverable_numbers,
        seed=sandbox.seed,
    )


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
    simulator: "TwilioSimulator | None" = None
    telegram_simulator: "TelegramSimulator | None" = None
    channels: dict[str, Channel] = field(default_factory=dict)
    dispatcher: Dispatcher | None = None
    server: EmbeddedServer | None = None
    services: list[Service] = field(default_factory=list)
    chat_inbound: dict[str, ChatInbound] = field(default_factory=dict)
    inbound_extras: dict = field(default_factory=dict)
    # What this process runs. `relay run`: all three. `relay worker`: no web server (any number of them
    # share one PostgreSQL database; leases keep each sender, inbound loop and service in one process).
    # `relay serve`: the web side alone (webhooks, API), for as many processes as the load needs.
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
        elif self.settings.sms is not None and self.settings.sms.status_callback_url is None:
            callback = f"{self.settings.public_url}/webhooks/sms/status"
            sms_settings = self.settings.sms.model_copy(update={"status_callback_url": callback})
            self.settings = self.settings.model_copy(update={"sms": sms_settings})
        if self.settings.sms is None and self.settings.telegram is None and self.settings.matrix is None:
            raise SetupError("no channel is configured: add an [sms], [telegram] or [matrix] section, "
                             "or run with --sandbox")
        self.settings, matrix_extras = matrix_state.restore(self.settings, self.database)
        self.channels = build_channels(self.settings, {"matrix": matrix_extras})
        for channel in self.channels.values():
            await channel.start()
        if "matrix" in self.channels:
            await matrix_state.store_token(self.settings, self.database, self.channels["matrix"].access_token)
        self.inbound_extras = inbound_extras(self.settings, self.channels, self.database)
        self.chat_inbound = chat_loops(self.channels, self.database, self.settings, self.inbound_extras)
        if self.dispatch:
            self.dispatcher = Dispatcher(
                self.database,
                self.channels,
                self.settings.dispatcher,
                leases_for(self.database.engine, self.settings.data_dir),
            )
            self.inbound_extras["wake_dispatcher"] = self._wake_dispatcher
            self.inbound_extras["pace_recipient"] = self.dispatcher.pace_recipient
        if sock is not None:
            app = create_app(
                self.settings,
                self.database,
                sms_token=lambda: self.settings.sms.auth_token.get_secret_value() if self.settings.sms else None,
                chat_inbound=self.chat_inbound,
                extras=self.inbound_extras,
            )
            self.server = await serve(app, sock)
            log.info("relay listening on %s", self.settings.public_url)
        if self.dispatcher is not None:
            self._dispatch_task = asyncio.get_running_loop().create_task(self.dispatcher.run(), name="dispatcher")
        if self.background:
            await self._start_telegram_inbound()
            for loop in self.chat_inbound.values():
                if loop.polls:
                    await loop.start(self)
            for service in self.services:
                await service.start(self)

    async def _wake_dispatcher(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake()

    async def _start_telegram_inbound(self) -> None:
        """Webhook mode tells Telegram where to post; polling mode makes sure no webhook is set (the Bot
        API refuses getUpdates while one is)."""
        telegram = self.channels.get("telegram")
        if telegram is None:
            return
        if self.settings.telegram.inbound == "webhook":
            await telegram.set_webhook(f"{self.settings.public_url}/webhooks/telegram")
        else:
            await telegram.delete_webhook()

    async def _start_sandbox(self) -> None:
        from channels.sandbox.twilio_sim import TwilioSimulator

        sim_settings = sandbox_sms_settings(self.settings)
        self.simulator = TwilioSimulator(sim_settings, self.settings.data_dir)
        await self.simulator.start(port=self.settings.sandbox.port)
        sms_settings = SmsSettings(
            account_sid=sim_settings.account_sid,
            auth_token=sim_settings.auth_token,
            numbers=sim_settings.numbers,
            segments_per_second=self.settings.sandbox.segments_per_second,
            api_base_url=self.simulator.base_url,
            status_callback_url=f"{self.settings.public_url}/webhooks/sms/status",
        )
        self.settings = self.settings.model_copy(update={"sms": sms_settings})
        await self._start_telegram_sandbox()

    async def _start_telegram_sandbox(self) -> None:
        from channels.sandbox.telegram_settings import SimGroup, TelegramSimSettings
        from channels.sandbox.telegram_sim import TelegramSimulator
        from channels.telegram import TelegramSettings

        token = f"{SANDBOX_TELEGRAM_BOT_ID}:{secrets.token_hex(18)}"
        groups = [SimGroup(id=gid, title=f"Sandbox group {gid}") for gid in self.settings.sandbox.telegram_groups]
        self.telegram_simulator = TelegramSimulator(
            TelegramSimSettings(token=token, auto_users=True, groups=groups), self.settings.data_dir
        )
        await self.telegram_simulator.start()
        telegram = TelegramSettings(token=token, api_base_url=self.telegram_simulator.base_url)
        self.settings = self.settings.model_copy(update={"telegram": telegram})

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
        for simulator in (self.simulator, self.telegram_simulator):
            if simulator is not None:
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
        for simulator in (self.simulator, self.telegram_simulator):
            if simulator is not None:
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
