"""Telegram as the relay sees it (the adapter, with every aiogram call, is `channels/telegram.py`,
imported only where Telegram runs: aiogram costs about 2 s to import)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from channels.base import Batch
from channels.spec import Capabilities, ChannelSpec, Sandbox, Webhook, WebhookCall, lazy
from channels.telegram_settings import SECRET_HEADER, TelegramSettings
from channels.telegram_text import MAX_MESSAGE_UNITS

WEBHOOK_PATH = "/webhooks/telegram"
# The sandbox's bot: its id is fixed so that a process that only plans broadcasts (the CLI) knows it;
# its token is made anew by the process that runs the simulator.
SANDBOX_BOT_ID = "7000000001"
SANDBOX_MESSAGES_PER_SECOND = 30.0  # a bot's published overall limit, as the simulator enforces it
_CHAT_ID = re.compile(r"^-?\d{1,20}$")


class TelegramSource:
    """Long polling of getUpdates for the relay's inbound loop, resumed from the stored offset."""

    def __init__(self, channel, poll_timeout: int = 25) -> None:
        self.channel = channel
        self.state_key = f"telegram:{channel.bot_id}:offset"
        self.poll_timeout = poll_timeout

    async def fetch(self, position: str | None) -> Batch:
        polled = await self.channel.poll_updates(int(position) if position else None, timeout=self.poll_timeout)
        offset = polled.next_offset
        return Batch([message for _, message in polled.inbound], None if offset is None else str(offset))


def _normalise(value: str, default_region: str | None = None) -> str:
    if not _CHAT_ID.match(value):
        raise ValueError("a Telegram chat id is a number such as 123456789")
    return value


def _parse(call: WebhookCall):
    from channels.telegram_updates import parse_webhook

    return parse_webhook(call.headers.get(SECRET_HEADER.lower()), call.body, call.settings)


async def _start_sandbox(sandbox: Any, data_dir: Path, public_url: str):
    from channels.sandbox.telegram_settings import SimGroup, TelegramSimSettings
    from channels.sandbox.telegram_sim import TelegramSimulator

    token = f"{SANDBOX_BOT_ID}:{secrets.token_hex(18)}"
    groups = [SimGroup(id=gid, title=f"Sandbox group {gid}") for gid in sandbox.telegram_groups]
    simulator = TelegramSimulator(TelegramSimSettings(token=token, auto_users=True, groups=groups), data_dir)
    await simulator.start()
    return simulator, TelegramSettings(token=token, api_base_url=simulator.base_url)


async def _on_start(channel, section: TelegramSettings, public_url: str) -> None:
    """Webhook mode tells Telegram where to post; polling mode makes sure no webhook is set (the Bot API
    refuses getUpdates while one is)."""
    if section.inbound == "webhook":
        await channel.set_webhook(f"{public_url}{WEBHOOK_PATH}")
    else:
        await channel.delete_webhook()


SPEC = ChannelSpec(
    name="telegram", label="Telegram",
    settings=TelegramSettings, build=lazy("channels.telegram", "TelegramChannel"),
    contact_column="telegram", normalise=_normalise,
    senders=lambda section: [section.bot_id],
    secret_keys=("token",),
    capabilities=Capabilities(edits=True, max_length=MAX_MESSAGE_UNITS),
    webhooks=(Webhook(WEBHOOK_PATH, "inbound", _parse),),
    inbound_source=lambda channel, section: TelegramSource(channel),
    polls=lambda section: section.inbound == "polling",
    sandbox=Sandbox(start=_start_sandbox, senders=lambda sandbox: [SANDBOX_BOT_ID]),
    on_start=_on_start,
    describe=lambda section: f"bot {section.bot_id}, inbound by {section.inbound}",
    rate=lambda section, sandbox: section.messages_per_second if section else SANDBOX_MESSAGES_PER_SECOND,
)
