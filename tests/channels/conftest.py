"""Fixtures for the channel adapters: a Twilio simulator on port 0 and an `SmsChannel` pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from channels.sandbox.twilio_sim import TwilioSimSettings, TwilioSimulator
from channels.sms import SmsChannel, SmsSettings
from tests.sandbox.twilio_sim_support import FROM, OTHER_FROM, SID, TOKEN, Webhooks, running_webhooks


@pytest.fixture
async def sim_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[TwilioSimulator]]]:
    started: list[TwilioSimulator] = []

    async def start(**overrides: object) -> TwilioSimulator:
        values = {"account_sid": SID, "auth_token": TOKEN, "numbers": [FROM, OTHER_FROM], "segments_per_second": 0}
        values.update(overrides)
        simulator = TwilioSimulator(TwilioSimSettings(**values), tmp_path / f"sim{len(started)}")
        started.append(simulator)
        await simulator.start()
        return simulator

    yield start
    for simulator in started:
        await simulator.stop()


@pytest.fixture
async def sms_channel() -> AsyncIterator[Callable[..., Awaitable[SmsChannel]]]:
    """Start an SmsChannel against a simulator; settings overridable by keyword."""
    channels: list[SmsChannel] = []

    async def start(simulator: TwilioSimulator | None, **overrides: object) -> SmsChannel:
        values: dict[str, object] = {"account_sid": SID, "auth_token": TOKEN, "numbers": [FROM]}
        if simulator is not None:
            values["api_base_url"] = simulator.base_url
        values.update(overrides)
        channel = SmsChannel(SmsSettings(**values))
        channels.append(channel)
        await channel.start()
        return channel

    yield start
    for channel in channels:
        await channel.stop()


@pytest.fixture
async def webhooks() -> AsyncIterator[Webhooks]:
    async with running_webhooks() as hooks:
        yield hooks
