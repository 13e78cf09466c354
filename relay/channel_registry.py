"""The explicit registry of channels: one line per provider, no directory scanning."""

from __future__ import annotations

from typing import Callable

from channels.base import Channel
from channels.sms import SmsChannel
from channels.telegram import TelegramChannel
from relay.config import Settings

BUILDERS: dict[str, Callable[[Settings], Channel | None]] = {
    "sms": lambda settings: SmsChannel(settings.sms) if settings.sms else None,
    "telegram": lambda settings: TelegramChannel(settings.telegram) if settings.telegram else None,
}

# The sandbox's Telegram bot: its id is fixed so that a process that only plans broadcasts (the CLI)
# knows it; its token is made anew by the process that runs the simulator.
SANDBOX_TELEGRAM_BOT_ID = "7000000001"


def build_channels(settings: Settings) -> dict[str, Channel]:
    """The configured channels, not yet started."""
    built = {name: build(settings) for name, build in BUILDERS.items()}
    return {name: channel for name, channel in built.items() if channel is not None}


def senders_by_channel(channels: dict[str, Channel]) -> dict[str, list[str]]:
    return {name: list(channel.senders()) for name, channel in channels.items()}


def planned_senders(settings: Settings) -> dict[str, list[str]]:
    """The senders new deliveries are spread over, known from configuration alone (the process that
    plans a broadcast need not run the channels). Without an [sms] or [telegram] section that channel
    goes to the sandbox."""
    return {
        "sms": list(settings.sms.numbers if settings.sms else settings.sandbox.sms_numbers),
        "telegram": [settings.telegram.bot_id if settings.telegram else SANDBOX_TELEGRAM_BOT_ID],
    }
