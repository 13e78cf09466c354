"""The explicit registry of channels: one line per provider, no directory scanning."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from channels.base import Channel
from relay.core.config import Settings


def _sms(settings: Settings, **_: Any) -> Channel | None:
    from channels.sms import SmsChannel

    return SmsChannel(settings.sms) if settings.sms else None


def _telegram(settings: Settings, **_: Any) -> Channel | None:
    from channels.telegram import TelegramChannel  # aiogram costs ~2 s to import: only where Telegram runs

    return TelegramChannel(settings.telegram) if settings.telegram else None


def _matrix(settings: Settings, **options: Any) -> Channel | None:
    from channels.matrix import MatrixChannel

    return MatrixChannel(settings.matrix, **options) if settings.matrix else None


# Each builder gets the settings and the channel's own keyword arguments from the running relay (what it
# restored from the database, such as Matrix's direct rooms and the hook that stores new ones).
BUILDERS: dict[str, Callable[..., Channel | None]] = {"sms": _sms, "telegram": _telegram, "matrix": _matrix}

# The sandbox's Telegram bot: its id is fixed so that a process that only plans broadcasts (the CLI)
# knows it; its token is made anew by the process that runs the simulator.
SANDBOX_TELEGRAM_BOT_ID = "7000000001"


def build_channels(settings: Settings, extras: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Channel]:
    """The configured channels, not yet started."""
    extras = extras or {}
    built = {name: build(settings, **extras.get(name, {})) for name, build in BUILDERS.items()}
    return {name: channel for name, channel in built.items() if channel is not None}


def senders_by_channel(channels: dict[str, Channel]) -> dict[str, list[str]]:
    return {name: list(channel.senders()) for name, channel in channels.items()}


def planned_senders(settings: Settings) -> dict[str, list[str]]:
    """The senders new deliveries are spread over, known from configuration alone (the process that
    plans a broadcast need not run the channels). Without an [sms] or [telegram] section that channel
    goes to the sandbox."""
    planned = {
        "sms": list(settings.sms.numbers if settings.sms else settings.sandbox.sms_numbers),
        "telegram": [settings.telegram.bot_id if settings.telegram else SANDBOX_TELEGRAM_BOT_ID],
    }
    if settings.matrix is not None:  # Matrix has no sandbox: only a configured account sends
        planned["matrix"] = [settings.matrix.user_id]
    return planned
