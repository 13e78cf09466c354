"""Fixtures for the Twilio simulator (started by `start_twilio_sim`, in tests/conftest.py): the stock twilio
client pointed at it, and a tiny aiohttp server standing in for the relay's webhooks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from twilio.rest import Client

from channels.sandbox.twilio_sim import TwilioSimulator
from tests.sandbox.twilio_sim_support import SID, TOKEN, SimHttpClient, Webhooks, running_webhooks


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
