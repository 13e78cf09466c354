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
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from pydantic import BaseModel, Field

from channels.sandbox.jsonl import JsonlLog, LocalServer
from channels.sandbox.twilio_limits import ThroughputLimiter
from channels.sandbox.twilio_messages import _e164_or_none, _error, _is_callback_url
from channels.sandbox.twilio_store import API_VERSION, new_sid
from channels.sandbox.twilio_voice_twiml import PLAYABLE, Document, InvalidTwiml, check, plays
from channels.sms import webhook_signature

log = logging.getLogger(__name__)
Outcome = Literal["answer", "busy", "no-answer", "voicemail", "failed"]


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


@dataclass
class Person:
    """Who answers a number: one outcome per call (the last one repeats) and the digits they press, one per
    `<Gather>` they hear (none left: they listen and hang up)."""

    outcomes: list[Outcome] = field(default_factory=lambda: ["answer"])
    digits: list[str] = field(default_factory=list)

    def next_outcome(self) -> Outcome:
        return self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]


@dataclass
class SimCall:
    sid: str
    to: str
    from_: str
    url: str
    status_callback: str | None
    machine_detection: bool
    created: datetime
    status: str = "queued"
    answered_by: str | None = None
    duration: int = 0
    said: list[dict] = field(default_factory=list)
    digits: list[str] = field(default_factory=list)
    error_code: int | None = None

    def resource(self, account_sid: str) -> dict:
        stamp = format_datetime(self.created, usegmt=True)
        return {"sid": self.sid, "account_sid": account_sid, "to": self.to, "from": self.from_,
                "status": self.status, "direction": "outbound-api", "answered_by": self.answered_by,
                "api_version": API_VERSION, "date_created": stamp, "date_updated": stamp, "start_time": None,
                "end_time": None, "duration": str(self.duration) if self.status == "completed" else None,
                "price": None, "price_unit": "USD", "parent_call_sid": None, "phone_number_sid": None,
                "caller_name": None, "forwarded_from": None, "group_sid": None, "queue_time": "0",
                "trunk_sid": None, "annotation": None, "to_formatted": self.to, "from_formatted": self.from_,
                "uri": f"/{API_VERSION}/Accounts/{account_sid}/Calls/{self.sid}.json", "subresource_uris": {}}


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
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._host, self.port = "127.0.0.1", 0

    def script(self, number: str, person: Person) -> None:
        self.people[number] = person

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._log = JsonlLog(self.jsonl_path)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        app = web.Application()
        base = f"/{API_VERSION}/Accounts/{{account_sid}}/Calls"
        app.router.add_post(f"{base}.json", self._create)
        app.router.add_get(f"{base}/{{sid}}.json", self._fetch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host, self.port = host, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.port

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._log is not None:
            self._log.close()

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
        task = asyncio.get_running_loop().create_task(self._play(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=201, text=json.dumps(call.resource(self.settings.account_sid)),
                            content_type="application/json")

    async def _fetch(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._reject(401, 20003, "Authenticate")
        call = self.calls.get(request.match_info["sid"])
        if call is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        return web.Response(text=json.dumps(call.resource(self.settings.account_sid)), content_type="application/json")

    # -- a call, played out --------------------------------------------------------------------------

    async def _play(self, call: SimCall) -> None:
        try:
            person = self.people.get(call.to, Person())
            await self._status(call, "initiated")
            await self._status(call, "ringing")
            outcome = person.next_outcome()
            if outcome in ("busy", "no-answer", "failed"):
                await self._end(call, outcome)
                return
            machine = outcome == "voicemail"
            call.answered_by = ("machine_end_beep" if machine else "human") if call.machine_detection else None
            await self._status(call, "in-progress")
            document = await self._twiml(call, call.url, {})
            while document is not None and document.gather_action and not machine and person.digits:
                digit = person.digits.pop(0)
                call.digits.append(digit)
                self._stats["gathers"] += 1
                document = await self._twiml(call, document.gather_action, {"Digits": digit, "FinishedOnKey": ""})
            call.duration = 20 + 5 * len(call.digits)
            await self._end(call, "failed" if call.error_code else "completed")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the simulated call %s broke", call.sid)

    def _params(self, call: SimCall, status: str) -> dict[str, str]:
        params = {"AccountSid": self.settings.account_sid, "CallSid": call.sid, "From": call.from_, "To": call.to,
                  "CallStatus": status, "Direction": "outbound-api", "ApiVersion": API_VERSION}
        if call.answered_by:
            params["AnsweredBy"] = call.answered_by
        return params

    async def _post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        assert self._session is not None
        headers = {"X-Twilio-Signature": webhook_signature(self.settings.auth_token, url, params),
                   "User-Agent": "TwilioProxy/1.1"}
        async with self._session.post(url, data=params, headers=headers) as response:
            return response.status, await response.text()

    async def _status(self, call: SimCall, status: str, extra: dict[str, str] | None = None) -> None:
        call.status = status
        if call.status_callback is None:
            return
        await asyncio.sleep(self.settings.ring_ms / 1000)
        params = {**self._params(call, status), "CallbackSource": "call-progress-events", **(extra or {})}
        try:
            code, _ = await self._post(call.status_callback, params)
            self._stats["callbacks_sent" if code < 300 else "callbacks_failed"] += 1
        except aiohttp.ClientError:
            self._stats["callbacks_failed"] += 1

    async def _twiml(self, call: SimCall, url: str, extra: dict[str, str]) -> Document | None:
        """Fetch TwiML as Twilio does (POST, signed) and check it; None when it is refused."""
        self._stats["twiml_fetched"] += 1
        try:
            code, body = await self._post(url, {**self._params(call, "in-progress"), **extra})
            if code != 200:
                raise InvalidTwiml(f"the relay answered HTTP {code} to the TwiML request: {body[:200]}", 11200)
            document = check(body)
            for item in plays(document):
                item.update(await self._fetch_audio(item["play"], item["in_gather"]))
        except (InvalidTwiml, aiohttp.ClientError) as exc:
            self._stats["twiml_invalid"] += 1
            call.error_code = getattr(exc, "code", 11200)
            log.warning("call %s: %s", call.sid, exc)
            return None
        call.said += document.said
        return document

    async def _fetch_audio(self, url: str, in_gather: bool) -> dict:
        """A <Play> file, fetched as Twilio fetches it (GET, none of its request parameters, no signature):
        what was played, or InvalidTwiml with the error Twilio logs (and the call fails here)."""
        assert self._session is not None
        try:
            async with self._session.get(url, headers={"User-Agent": "TwilioProxy/1.1"}) as response:
                kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if response.status != 200:
                    raise InvalidTwiml(f"<Play> {url[:120]}: HTTP {response.status} "
                                       f"({(await response.text())[:120]!r})", 11200)
                if kind not in PLAYABLE:
                    raise InvalidTwiml(f"<Play> {url[:120]}: Content-Type {kind or 'missing'!r} is not audio Twilio "
                                       "plays", 13325 if in_gather else 13420)
                body = await response.content.read(self.settings.max_play_bytes + 1)
        except aiohttp.ClientError as exc:
            self._stats["plays_refused"] += 1
            raise InvalidTwiml(f"<Play> {url[:120]}: {exc}", 11200) from None
        except InvalidTwiml:
            self._stats["plays_refused"] += 1
            raise
        if len(body) > self.settings.max_play_bytes:
            self._stats["plays_refused"] += 1
            raise InvalidTwiml(f"<Play> {url[:120]}: larger than {self.settings.max_play_bytes} bytes", 11200)
        self._stats["plays_fetched"] += 1
        return {"path": urlsplit(url).path, "content_type": kind, "bytes": len(body),
                "sha256": hashlib.sha256(body).hexdigest()}

    async def _end(self, call: SimCall, status: str) -> None:
        extra = {"CallDuration": str(call.duration)} if status == "completed" else {}
        if call.error_code:
            extra["ErrorCode"] = str(call.error_code)
        self._stats["voicemail" if status == "completed" and call.answered_by == "machine_end_beep" else
                    "completed" if status == "completed" else status] += 1
        assert self._log is not None
        self._log.append({"event": "ended", "sid": call.sid, "to": call.to, "status": status,
                          "answered_by": call.answered_by, "said": call.said, "digits": call.digits,
                          "error_code": call.error_code, "at": datetime.now(timezone.utc).isoformat()})
        await self._status(call, status, extra)
