"""Shared by the simulator tests: account constants, the stock twilio client pointed at the simulator,
and a stand-in for the relay's webhooks. (A plain module, not conftest: pytest keeps several modules
named "conftest" and a test cannot import a particular one.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web
from twilio.http.async_http_client import AsyncTwilioHttpClient

from tests.running import serving

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
FROM = "+15005550006"
OTHER_FROM = "+12015550100"
TO = "+14155552671"


class SimHttpClient(AsyncTwilioHttpClient):
    """twilio's own async HTTP client, unchanged except that api.twilio.com becomes the simulator."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    async def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        parts = urlsplit(url)
        return await super().request(method, self.base_url + parts.path, *args, **kwargs)


@dataclass
class Webhooks:
    """A stand-in for the relay's web app: records every POST and answers with `reply`."""

    url: str = ""
    requests: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    reply_status: int = 200
    reply_body: str = ""
    reply_type: str = "text/xml"
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    slow_status: str | None = None  # answer callbacks with this MessageStatus only after a pause

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        if self.slow_status is not None and form.get("MessageStatus") == self.slow_status:
            await asyncio.sleep(0.2)
        async with self.arrived:
            self.requests.append((str(request.url), dict(request.headers), {k: str(v) for k, v in form.items()}))
            self.arrived.notify_all()
        return web.Response(status=self.reply_status, text=self.reply_body, content_type=self.reply_type)

    async def wait_for(self, count: int) -> None:
        """Until `count` requests arrived; the deadline only stops a broken run from hanging."""
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.requests) >= count), 10)


@asynccontextmanager
async def running_webhooks() -> AsyncIterator[Webhooks]:
    """A `Webhooks` receiver listening on 127.0.0.1 (any free port) at /hook."""
    hooks = Webhooks()
    app = web.Application()
    app.router.add_post("/hook", hooks.handle)
    async with serving(app) as base:
        hooks.url = f"{base}/hook"
        yield hooks
