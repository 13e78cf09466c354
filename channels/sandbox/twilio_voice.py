"""A local stand-in for Twilio's Calls resource, driven by the real twilio client.

`POST /2010-04-01/Accounts/{sid}/Calls.json` with Twilio's JSON shape and error codes (20003 auth, 21205
no Url, 21210 a From that is not the account's, 21215 a destination outside the geo permissions, 21217 not
a valid phone number, 20429 over the account's calls per second); `GET .../Calls/{sid}.json`. Each accepted
call is played out by a scripted person per number (answers and presses digits, or is busy, does not
answer, or has an answering machine): the simulator posts signed status callbacks, fetches the TwiML from
the relay's URL and checks it (channels/sandbox/twilio_voice_twiml.py), fetches every `<Play>` file as
Twilio does (a plain GET: 200 and an audio type it plays, else the call fails with 11200 or 13420/13325),
posts keypad answers to the Gather's action, and writes every call and what was said or played (the file's
SHA-256 and size) to `<data_dir>/sandbox/voice.jsonl`.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
from aiohttp import web
from pydantic import BaseModel, Field

from channels.sandbox.jsonl import JsonlLog, LocalServer
from channels.sandbox.twilio_limits import ThroughputLimiter
from channels.sandbox.twilio_messages import _e164_or_none, _error, _is_callback_url
from channels.sandbox.twilio_store import API_VERSION, new_sid
from channels.sandbox.twilio_voice_calls import CallPlayer, Person, SimCall

__all__ = ["VoiceSimSettings", "VoiceSimulator", "Person", "SimCall"]


class VoiceSimSettings(BaseModel):
    account_sid: str
    auth_token: str
    numbers: list[str]
    calls_per_second: float = Field(1.0, ge=0)  # the account's CPS; 0 = unlimited
    tolerance_calls: float = Field(0.05, ge=0)  # timer jitter forgiven, in calls
    ring_ms: int = Field(20, ge=0)  # between a status callback and the next
    geo_blocked_prefixes: list[str] = Field(default_factory=lambda: ["+882", "+883"])  # 21215
    log_name: str = "voice.jsonl"
    max_play_bytes: int = Field(50_000_000, gt=0)  # a larger <Play> file is a retrieval failure (11200)


class VoiceSimulator(LocalServer):
    def __init__(self, settings: VoiceSimSettings, data_dir: Path) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir)
        self.JSONL_NAME = settings.log_name
        self.people: dict[str, Person] = {}
        self.calls: dict[str, SimCall] = {}
        self.created_at: list[float] = []  # loop time of every accepted call (the CPS figures)
        self._numbers = frozenset(settings.numbers)
        self._limiter = ThroughputLimiter(settings.calls_per_second, settings.tolerance_calls)
        self._stats = dict.fromkeys(("accepted", "rejected", "rate_limited", "callbacks_sent", "callbacks_failed",
                                     "twiml_fetched", "twiml_invalid", "plays_fetched", "plays_refused", "gathers",
                                     "completed", "voicemail", "busy", "no-answer", "failed"), 0)
        self._log: JsonlLog | None = None
        self._player = CallPlayer(settings, self._stats)
        self._tasks: set[asyncio.Task[None]] = set()
        self._host, self.port = "127.0.0.1", 0

    def script(self, number: str, person: Person) -> None:
        self.people[number] = person

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._log = self._player.log = JsonlLog(self.jsonl_path)
        self._session = self._player.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        app = web.Application()
        base = f"/{API_VERSION}/Accounts/{{account_sid}}/Calls"
        app.router.add_post(f"{base}.json", self._create)
        app.router.add_get(f"{base}/{{sid}}.json", self._fetch)
        await self._listen(app, host, port)
        return self.port

    async def stop(self) -> None:
        await self._close()

    # -- the REST side -------------------------------------------------------------------------------

    def _reject(self, status: int, code: int, message: str) -> web.Response:
        self._stats["rejected"] += 1
        return _error(status, code, message)

    def _authorised(self, request: web.Request) -> bool:
        auth = aiohttp.BasicAuth.decode(request.headers.get("Authorization", "")) if request.headers.get(
            "Authorization", "").startswith("Basic ") else None
        return (auth is not None and auth.login == self.settings.account_sid
                and auth.password == self.settings.auth_token
                and request.match_info["account_sid"] == self.settings.account_sid)

    async def _create(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._reject(401, 20003, "Authenticate")
        form = await request.post()
        to, from_ = str(form.get("To") or "").strip(), str(form.get("From") or "").strip()
        url, callback = str(form.get("Url") or ""), form.get("StatusCallback")
        number = _e164_or_none(to)
        if not to or number is None:
            return self._reject(400, 21217, f"Phone number {to!r} does not appear to be valid")
        if any(number.startswith(prefix) for prefix in self.settings.geo_blocked_prefixes):
            return self._reject(400, 21215, f"Account not authorized to call {number}. Perhaps you need to enable "
                                "some international permissions")
        if from_ not in self._numbers:
            return self._reject(400, 21210, f"The source phone number provided, {from_}, is not yet verified for "
                                "your account")
        if not url or not _is_callback_url(url):
            return self._reject(400, 21205, "Url parameter is required and must be a valid URL")
        if callback is not None and not _is_callback_url(str(callback)):
            return self._reject(400, 21609, "Invalid StatusCallback url")
        now = asyncio.get_running_loop().time()
        wait = self._limiter.admit(self.settings.account_sid, 1, now)
        if wait is not None:
            self._stats["rate_limited"] += 1
            return _error(429, 20429, f"Too Many Requests: over {self.settings.calls_per_second:g} calls per "
                          "second", {"Retry-After": str(max(1, round(wait)))})
        call = SimCall(sid=new_sid("CA"), to=number, from_=from_, url=url,
                       status_callback=str(callback) if callback else None,
                       machine_detection=str(form.get("MachineDetection") or "") in ("Enable", "DetectMessageEnd"),
                       created=datetime.now(timezone.utc))
        self.calls[call.sid] = call
        self.created_at.append(now)
        self._stats["accepted"] += 1
        assert self._log is not None
        self._log.append({"event": "created", "sid": call.sid, "to": call.to, "from": call.from_,
                          "at": call.created.isoformat()})
        self._own(asyncio.get_running_loop().create_task(self._player.play(call, self.people.get(call.to, Person()))))
        return web.Response(status=201, text=json.dumps(call.resource(self.settings.account_sid)),
                            content_type="application/json")

    async def _fetch(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._reject(401, 20003, "Authenticate")
        call = self.calls.get(request.match_info["sid"])
        if call is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        return web.Response(text=json.dumps(call.resource(self.settings.account_sid)), content_type="application/json")
