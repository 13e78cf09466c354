"""Fixtures for the channel adapters: an `SmsChannel` pointed at a simulator (`start_twilio_sim` and
`webhooks`, in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from channels.sandbox.twilio_sim import TwilioSimulator
from channels.sms import SmsChannel, SmsSettings
from tests.running import starting
from tests.sandbox.twilio_sim_support import FROM, SID, TOKEN


@pytest.fixture
async def sms_channel() -> AsyncIterator[Callable[..., Awaitable[SmsChannel]]]:
    """Start an SmsChannel against a simulator; settings overridable by keyword."""

    def make(_: int, simulator: TwilioSimulator | None, **overrides: object) -> SmsChannel:
        values: dict[str, object] = {"account_sid": SID, "auth_token": TOKEN, "numbers": [FROM]}
        if simulator is not None:
            values["api_base_url"] = simulator.base_url
        values.update(overrides)
        return SmsChannel(SmsSettings(**values))

    async with starting(make) as start:
        yield start
