"""A simulated call, played out as Twilio plays it: status callbacks (initiated, ringing, in-progress,
then completed, busy, no-answer or failed), signed POSTs for the TwiML and each keypad answer, a plain
GET for every `<Play>` file, and one JSONL line when the call ends (channels/sandbox/twilio_voice.py is
the REST side that accepts the calls)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

import aiohttp

from channels.sandbox.jsonl import JsonlLog
from channels.sandbox.twilio_store import API_VERSION
from channels.sandbox.twilio_voice_twiml import PLAYABLE, Document, InvalidTwiml, check, plays
from channels.sms import webhook_signature

if TYPE_CHECKING:
    from channels.sandbox.twilio_voice import VoiceSimSettings

log = logging.getLogger(__name__)
Outcome = Literal["answer", "busy", "no-answer", "voicemail", "failed"]


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


class CallPlayer:
    """Plays the simulator's accepted calls; counts into the simulator's `stats`. `session` and `log` are
    the simulator's, set when it starts."""

    def __init__(self, settings: VoiceSimSettings, stats: dict[str, int]) -> None:
        self.settings = settings
        self._stats = stats
        self.session: aiohttp.ClientSession | None = None
        self.log: JsonlLog | None = None

    async def play(self, call: SimCall, person: Person) -> None:
        """Ring, answer (or not), fetch and check the TwiML, press the person's digits, hang up."""
        try:
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
        assert self.session is not None
        headers = {"X-Twilio-Signature": webhook_signature(self.settings.auth_token, url, params),
                   "User-Agent": "TwilioProxy/1.1"}
        async with self.session.post(url, data=params, headers=headers) as response:
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
        assert self.session is not None
        try:
            async with self.session.get(url, headers={"User-Agent": "TwilioProxy/1.1"}) as response:
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
        assert self.log is not None
        self.log.append({"event": "ended", "sid": call.sid, "to": call.to, "status": status,
                          "answered_by": call.answered_by, "said": call.said, "digits": call.digits,
                          "error_code": call.error_code, "at": datetime.now(timezone.utc).isoformat()})
        await self._status(call, status, extra)
