"""Fixtures for the Twilio simulator (started by `start_twilio_sim`, in tests/conftest.py, as is `webhooks`,
the stand-in for the relay's webhooks): the stock twilio client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from twilio.rest import Client

from channels.sandbox.twilio_sim import TwilioSimulator
from tests.sandbox.twilio_sim_support import SID, TOKEN, SimHttpClient


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
