"""A stand-in for the relay's web side in the voice channel's own tests: it answers the simulator's TwiML,
keypad and status requests with the voice spec's real webhook parsers (signature checks included), and
serves `/media/voice/...` files from a table, so a test can make a `<Play>` file good, missing or not audio
without a database."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from channels import registry
from channels.base import Inbound, StatusUpdate
from channels.spec import Answer, WebhookCall
from channels.voice_settings import VoiceSettings


@dataclass
class StandIn:
    settings: VoiceSettings | None = None  # set once the URL is known (the section names this server)
    files: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)  # path -> (status, content type, body)
    statuses: list[StatusUpdate] = field(default_factory=list)
    inbound: list[Inbound] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        for hook in registry.spec("voice").webhooks:
            app.router.add_post(hook.path, self._handler(hook))
        app.router.add_get("/media/voice/{rest:.*}", self._media)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _handler(self, hook):
        async def handle(request: web.Request) -> web.Response:
            assert self.settings is not None
            form = {k: str(v) for k, v in (await request.post()).items()}
            url = f"{self.url}{request.path_qs}"
            parsed = hook.parse(WebhookCall(self.settings, url, dict(request.headers.items()) | {
                "x-twilio-signature": request.headers.get("X-Twilio-Signature", "")}, form, b""))
            if isinstance(parsed, Answer):
                return web.Response(text=parsed.body, content_type=parsed.content_type)
            if isinstance(parsed, StatusUpdate):
                self.statuses.append(parsed)
                return web.Response(status=204)
            assert isinstance(parsed, Inbound)
            self.inbound.append(parsed)
            content_type, body = hook.answer_to(parsed, None)
            return web.Response(text=body, content_type=content_type)

        return handle

    async def _media(self, request: web.Request) -> web.Response:
        status, content_type, body = self.files.get(request.path, (404, "text/plain", b"no such file"))
        return web.Response(status=status, body=body, headers={"Content-Type": content_type})
