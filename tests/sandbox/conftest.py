"""Fixtures for the Twilio simulator: the simulator itself on port 0, the stock twilio client pointed at
it, and a tiny aiohttp server standing in for the relay's webhooks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from twilio.rest import Client

from channels.sandbox.twilio_sim import TwilioSimSettings, TwilioSimulator
from tests.sandbox.twilio_sim_support import (
    FROM,
    OTHER_FROM,
    SID,
    TOKEN,
    SimHttpClient,
    Webhooks,
    running_webhooks,
)


@pytest.fixture
async def start_sim(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[TwilioSimulator]]]:
    """Start a simulator with defaults overridden by keyword arguments; stopped after the test."""
    started: list[TwilioSimulator] = []

    async def start(**overrides: object) -> TwilioSimulator:
        values = {"account_sid": SID, "auth_token": TOKEN, "numbers": [FROM, OTHER_FROM], "segments_per_second": 0}
        values.update(overrides)
        simulator = TwilioSimulator(TwilioSimSettings(**values), tmp_path / f"data{len(started)}")
        started.append(simulator)
        await simulator.start()
        return simulator

    yield start
    for simulator in started:
        await simulator.stop()


@pytest.fixture
async def twilio_client() -> AsyncIterator[Callable[..., Client]]:
    """The real twilio REST client talking to a simulator (optionally with other credentials)."""
    http_clients: list[SimHttpClient] = []

    def make(simulator: TwilioSimulator, sid: str = SID, token: str = TOKEN) -> Client:
        http = SimHttpClient(simulator.base_url)
        http_clients.append(http)
        return Client(sid, token, http_client=http)

    yield make
    for http in http_clients:
        await http.close()


@pytest.fixture
async def webhooks() -> AsyncIterator[Webhooks]:
    async with running_webhooks() as hooks:
        yield hooks
