"""Fixtures: the Bot API simulator on port 0, the real aiogram-backed `TelegramChannel` pointed at it,
and a small aiohttp server standing in for the relay's webhook endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from channels.base import Inbound, InvalidSignature
from channels.sandbox.telegram_sim import TelegramSimSettings, TelegramSimulator
from channels.telegram import SECRET_HEADER, TelegramChannel, TelegramSettings, parse_webhook
from tests.channels.telegram.support import GROUPS, SECRET, TOKEN, USERS
from tests.running import serving, starting


@pytest.fixture
async def start_telegram_sim(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[TelegramSimulator]]]:
    """Start a simulator (limits off unless given) with keyword overrides; stopped after the test."""

    def make(index: int, **overrides: object) -> TelegramSimulator:
        values: dict[str, object] = {
            "token": TOKEN, "users": USERS, "groups": GROUPS, "messages_per_second": 0,
            "per_chat_per_second": 0, "per_group_per_minute": 0, "webhook_retry_delay_ms": 0,
        }  # fmt: skip
        values.update(overrides)
        return TelegramSimulator(TelegramSimSettings(**values), tmp_path / f"data{index}")

    async with starting(make) as start:
        yield start


@pytest.fixture
async def start_channel() -> AsyncIterator[Callable[..., Awaitable[TelegramChannel]]]:
    """Start a TelegramChannel (real aiogram) against a simulator or any base URL."""

    def make(_: int, target: TelegramSimulator | str, **overrides: object) -> TelegramChannel:
        base = target if isinstance(target, str) else target.base_url
        values: dict[str, object] = {"token": TOKEN, "api_base_url": base, "timeout_seconds": 5}
        values.update(overrides)
        return TelegramChannel(TelegramSettings(**values))

    async with starting(make) as start:
        yield start


@pytest.fixture
async def telegram(start_telegram_sim, start_channel) -> tuple[TelegramSimulator, TelegramChannel]:
    """A simulator with the defaults and a channel on it: what most adapter tests start from."""
    sim = await start_telegram_sim()
    return sim, await start_channel(sim)


@dataclass
class WebhookEndpoint:
    """What the relay's webhook route would do: check the secret, parse, answer 403 / 200."""

    url: str
    settings: TelegramSettings
    received: list[Inbound] = field(default_factory=list)
    refused: int = 0
    fail_first: int = 0  # answer 500 to this many requests (after parsing), as a crashing relay would


@pytest.fixture
async def webhook_endpoint() -> AsyncIterator[WebhookEndpoint]:
    settings = TelegramSettings(token=TOKEN, inbound="webhook", webhook_secret=SECRET)
    endpoint = WebhookEndpoint(url="", settings=settings)

    async def handle(request: web.Request) -> web.Response:
        try:
            inbound = parse_webhook(request.headers.get(SECRET_HEADER), await request.read(), settings)
        except InvalidSignature:
            endpoint.refused += 1
            return web.Response(status=403)
        if inbound is not None:
            endpoint.received.append(inbound)
        if endpoint.fail_first > 0:
            endpoint.fail_first -= 1
            return web.Response(status=500)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/telegram/webhook", handle)
    async with serving(app) as base:
        endpoint.url = f"{base}/telegram/webhook"
        yield endpoint
