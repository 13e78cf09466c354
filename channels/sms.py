"""SMS through Twilio: the only module of the project that imports `twilio`.

Outbound, `SmsChannel` drives the official client's async API over one pooled aiohttp session and turns
every Twilio or aiohttp failure into the typed errors of `channels/base.py`, so the dispatcher can decide
between "try later", "give up on this message" and "stop texting this person" without knowing Twilio.
Inbound, `parse_inbound` / `parse_status` check Twilio's webhook signature and return our own types; they
take plain strings and mappings so the relay's web framework stays out of this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hmac
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urlsplit

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from channels.base import (ChannelError, Inbound, InvalidSignature, Outbound, PermanentError, RateLimited, Receipt,
                           RecipientUnreachable, SenderLimit, StatusUpdate, TransientError)
from channels.sms_settings import SmsSettings
from channels.sms_text import segment_count

if TYPE_CHECKING:
    from twilio.rest.api.v2010.account.message import MessageList

# Beyond the shared template words: whole values seen in Twilio quick-starts.
_OPTED_OUT = {21610}
_UNREACHABLE = {21211, 21612, 21614, 63003, 63024}  # 63003/63024: no WhatsApp account at that number
_RATE_LIMIT_CODES = {20429, 63018}  # 63018: a WhatsApp sender over its throughput or messaging limit
_MAX_CONNECTIONS = 256  # the benchmark runs ~100 sends at once; each needs its own keep-alive socket

# The Retry-After header of the last 429 seen in this task: TwilioRestException keeps the status and
# code but drops the response headers, and a context variable is per send (per task), so concurrent
# sends cannot read each other's value.
_retry_after: contextvars.ContextVar[str | None] = contextvars.ContextVar("twilio_retry_after", default=None)


class _PooledTwilioHttp(AsyncTwilioHttpClient):
    """twilio's async HTTP client, lean enough for thousands of sends a second.

    The parent logs every request at INFO (formatting it first) and leaves timeouts and connection
    pooling to aiohttp's defaults; this one reuses a single pooled session with our own timeout, never
    retries (the dispatcher does), and points at `api_base_url` when set so the simulator can stand in
    for api.twilio.com. Construct it inside a running event loop: the aiohttp session binds to it.
    """

    def __init__(self, api_base_url: str | None, timeout: float) -> None:
        super().__init__(pool_connections=False, timeout=timeout, max_retries=None)
        self._base = api_base_url
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=_MAX_CONNECTIONS),
            timeout=aiohttp.ClientTimeout(total=timeout),
        )
        self._auth: dict[tuple[str, str], str] = {}

    def _url(self, url: str) -> str:
        if self._base is None:
            return url
        parts = urlsplit(url)
        return f"{self._base}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    async def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: Mapping[str, object] | None = None,
        data: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if auth is not None:
            header = self._auth.get(auth) or self._auth.setdefault(auth, aiohttp.encode_basic_auth(*auth))
            headers = {**(headers or {}), "Authorization": header}
        # Passing timeout=None to aiohttp would mean "no timeout at all", not "the session's timeout".
        extra = {"timeout": aiohttp.ClientTimeout(total=timeout)} if timeout else {}
        # Twilio's form is flat text: encoded here in one call, where aiohttp's FormData would build a
        # multipart writer (and a uuid4 boundary) per request only to url-encode it in the end.
        form = urlencode(data, doseq=True).encode() if data else None
        async with self.session.request(
            method.upper(),
            self._url(url),
            params=params,
            data=form,
            headers=headers,
            allow_redirects=allow_redirects,
            **extra,
        ) as response:
            body = await response.read()
            if response.status == 429:
                _retry_after.set(response.headers.get("Retry-After"))
            return Response(response.status, body.decode("utf-8", "replace"), response.headers)


class _Client(Client):
    """twilio's client with its fixed request headers worked out once.

    `ClientBase.get_headers` asks `platform` for the OS, the architecture and the Python version and
    formats the User-Agent again on every request. The headers sent are the library's own (from its
    first call, kept); only the per-request work is gone. tests/channels checks they stay equal.
    """

    _FIXED = ("User-Agent", "X-Twilio-Client", "Accept-Charset")  # set whatever the caller passed

    def get_headers(self, method: str, headers: dict[str, str] | None) -> dict[str, str]:
        fixed = self.__dict__.get("_fixed_headers")
        if fixed is None:
            built = super().get_headers(method, {})
            fixed = self.__dict__["_fixed_headers"] = {name: built[name] for name in self._FIXED}
        headers = headers or {}
        headers.update(fixed)
        if method in ("POST", "PUT"):
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        headers.setdefault("Accept", "application/json")
        return headers


class TwilioChannel:
    """What SMS, WhatsApp and voice do alike as `Channel`s of one Twilio account: its senders, each paced by
    one `SenderLimit`, and the one REST resource they go through (Messages or Calls), resolved once in
    start() over one pooled session. A subclass names the resource and what its senders are called."""

    name: ClassVar[str]
    reports_delivery = True  # status callbacks
    resource: ClassVar[str]  # the client's attribute: "messages" or "calls"
    senders_are: ClassVar[str]  # "numbers": how a refusal names the senders of the account

    def __init__(self, settings: Any, senders: Sequence[str], limit: SenderLimit) -> None:
        self.settings = settings
        self._sender_list = list(senders)
        self._allowed = frozenset(senders)
        self._limit = limit
        self._http: AsyncTwilioHttpClient | None = None
        self._resource: Any = None

    def senders(self) -> Sequence[str]:
        return list(self._sender_list)

    def limit(self, sender: str) -> SenderLimit:
        return self._limit

    async def start(self) -> None:
        if self._resource is not None:
            return
        self._http, client = open_client(self.settings.account_sid, self.settings.auth_token.get_secret_value(),
                                         self.settings.api_base_url, self.settings.timeout_seconds)
        # The first access imports twilio's whole REST API tree (about half a second): pay it at start-up,
        # not in the middle of the first crisis broadcast, and keep the resource instead of walking
        # client -> api -> account -> resource on every send.
        self._resource = getattr(client, self.resource)

    async def stop(self) -> None:
        http, self._http, self._resource = self._http, None, None
        if http is not None:
            await http.close()

    def _started(self, method: str) -> Any:
        """The resource; a RuntimeError names `method` when start() has not run."""
        if self._resource is None:
            raise RuntimeError(f"{type(self).__name__}.{method}() called before start()")
        return self._resource

    def _sending(self, message: Outbound) -> Any:
        """The resource `message` goes through; PermanentError for a sender not of this account."""
        resource = self._started("send")
        if message.sender not in self._allowed:
            raise PermanentError(f"sender {message.sender!r} is not one of this account's {self.senders_are}")
        return resource


class SmsChannel(TwilioChannel):
    """Twilio Programmable Messaging as a `Channel`: one account, one or more sending numbers."""

    name = "sms"
    max_body_chars: ClassVar[int] = 1600  # Twilio refuses longer bodies (21617); limits are data
    resource = "messages"
    senders_are = "numbers"

    def __init__(self, settings: SmsSettings) -> None:
        super().__init__(settings, settings.numbers,
                         SenderLimit(rate=settings.segments_per_second, burst=settings.burst))

    def cost(self, text: str) -> int:
        return segment_count(text)

    async def send(self, message: Outbound) -> Receipt:
        messages: MessageList = self._sending(message)
        with self._typed_errors():
            created = await messages.create_async(
                to=message.to,
                from_=message.sender,
                body=message.text,
                status_callback=self.settings.status_callback_url,
            )
        return Receipt(provider_message_id=str(created.sid), status=str(created.status or "queued"))

    async def fetch_status(self, provider_message_id: str) -> StatusUpdate:
        """The message's status as Twilio has it now, for a delivery whose status callback never came."""
        messages: MessageList = self._started("fetch_status")
        with self._typed_errors():
            message = await messages(provider_message_id).fetch_async()
        return StatusUpdate(
            channel=self.name,
            provider_message_id=provider_message_id,
            status=str(message.status or "").strip().lower(),
            error_code=str(message.error_code) if message.error_code else None,
        )

    def _typed_errors(self) -> contextlib.AbstractContextManager[None]:
        return typed_errors(self.settings.timeout_seconds)


@contextlib.contextmanager
def typed_errors(timeout_seconds: float) -> Iterator[None]:
    """Every way a call to Twilio fails, as the errors of channels/base.py (WhatsApp's adapter uses it too)."""
    marker = _retry_after.set(None)
    try:
        yield
    except (TwilioRestException, TwilioServiceException) as exc:
        raise _classify(exc, _retry_after.get()) from None
    except (asyncio.TimeoutError, TimeoutError):
        raise TransientError(f"Twilio did not answer within {timeout_seconds}s") from None
    except aiohttp.ClientError as exc:
        raise TransientError(f"cannot reach Twilio: {type(exc).__name__}: {exc}") from None
    except (TwilioException, ValueError) as exc:  # e.g. a 2xx whose body is not JSON
        raise TransientError(f"unreadable answer from Twilio: {exc}") from None
    finally:
        _retry_after.reset(marker)


def open_client(account_sid: str, auth_token: str, api_base_url: str | None,
                timeout_seconds: float) -> tuple[AsyncTwilioHttpClient, Client]:
    """twilio's client over one pooled aiohttp session, reading nothing from os.environ; call it inside the
    running event loop. Close the first item when done. (The WhatsApp adapter sends through it too: the
    SDK stays imported in this module alone.)"""
    http = _PooledTwilioHttp(api_base_url, timeout_seconds)
    client = _Client(account_sid, auth_token, http_client=http, environment={"TWILIO_ACCOUNT_SID": account_sid})
    return http, client


def _classify(exc: TwilioRestException | TwilioServiceException, retry_after: str | None) -> ChannelError:
    """Twilio's answer, as the dispatcher's decision: retry later, drop the message, or drop the person."""
    status = int(exc.status or 0)
    code = int(exc.code) if str(exc.code or "").isdigit() else None
    text = exc.msg if isinstance(exc, TwilioRestException) else f"{exc.title}: {exc.detail or ''}"
    detail = f"Twilio {status} (code {code}): {text}"
    code_str = str(code) if code is not None else None
    if status == 429 or code in _RATE_LIMIT_CODES:
        return RateLimited(detail, retry_after=_seconds(retry_after), code=code_str)
    if code in _OPTED_OUT:
        return RecipientUnreachable(detail, code=code_str, opted_out=True)
    if code in _UNREACHABLE:
        return RecipientUnreachable(detail, code=code_str, opted_out=False)
    if 400 <= status < 500:
        return PermanentError(detail, code=code_str)
    return TransientError(detail, code=code_str)


def _seconds(header: str | None) -> float | None:
    """A Retry-After value (delta-seconds or HTTP-date) in seconds from now."""
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def webhook_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The X-Twilio-Signature Twilio puts on a webhook to `url` carrying `params` (for the simulator)."""
    return RequestValidator(auth_token).compute_signature(url, params)


class _SignedForm(dict):
    """Webhook fields as twilio's validator reads them fastest: it asks for `getall` (MultiDict) first and
    falls back through two caught AttributeErrors per field, which costs more than the HMAC itself."""

    def getall(self, name: str) -> list[str]:
        return [self[name]]


def _verify(auth_token: str, url: str, params: Mapping[str, str], signature: str | None) -> None:
    """Accept exactly what `RequestValidator.validate` accepts, in one HMAC for nearly every request.

    `validate` signs the URL twice (with and without its port, since a proxy may change that); Twilio signs
    the URL it called, which is `url` itself, so that one is tried first and `validate` is the fallback.
    Status callbacks come two or three per message, so this is on a fan-out's hot path.
    """
    if signature:
        validator = RequestValidator(auth_token)
        form = _SignedForm(params)
        expected = validator.compute_signature(url, form)
        if hmac.compare_digest(expected.encode(), signature.encode()) or validator.validate(url, form, signature):
            return
    raise InvalidSignature(f"X-Twilio-Signature does not match a request to {url}")


verify_signature = _verify  # the WhatsApp and voice webhooks are signed exactly as SMS ones
voice_response = VoiceResponse  # TwiML for calls (channels/voice_twiml.py): the SDK stays imported here alone


def _require(params: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if name not in params]
    if missing:
        raise ValueError(f"Twilio webhook is missing field(s): {', '.join(missing)}")


_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")  # Twilio's message SIDs: SM or MM + 32 hex digits
_MAX_BODY = 10_000  # Twilio joins a concatenated SMS into one Body of at most 1,600 characters


def _check_fields(params: Mapping[str, str]) -> None:
    """Refuse what Twilio never sends, before anything is stored: a malformed SID, an address that is no
    address, a NUL character (PostgreSQL cannot store one), a body beyond any SMS."""
    if not _SID.match(params["MessageSid"]):
        raise ValueError(f"MessageSid {params['MessageSid'][:40]!r} is not a Twilio message SID (SM + 32 hex digits)")
    for name in ("From", "To"):
        value = params.get(name, "")
        if len(value) > 64 or "\x00" in value or (name == "From" and not value.strip()):
            raise ValueError(f"{name} {value[:40]!r} is not a phone number or address Twilio would send")
    if "\x00" in params["Body"] or len(params["Body"]) > _MAX_BODY:
        raise ValueError(f"Body has a NUL character or more than {_MAX_BODY} characters")


require_fields, check_fields = _require, _check_fields


def parse_inbound(auth_token: str, url: str, params: Mapping[str, str], signature: str | None) -> Inbound:
    """An SMS a person sent to one of our numbers, from Twilio's signed webhook form.

    `url` must be the exact public URL Twilio requested (scheme, host, path and query), since that is
    what Twilio signed.
    """
    _verify(auth_token, url, params, signature)
    _require(params, "MessageSid", "From", "Body")
    _check_fields(params)
    return Inbound(
        channel=SmsChannel.name,
        provider_message_id=params["MessageSid"],
        sender=params["From"],
        recipient=params.get("To", ""),
        text=params["Body"],
        received_at=datetime.now(timezone.utc),
        raw={key: params[key] for key in params},
    )


def parse_status(auth_token: str, url: str, params: Mapping[str, str], signature: str | None) -> StatusUpdate:
    """A delivery receipt from Twilio's signed status callback."""
    _verify(auth_token, url, params, signature)
    _require(params, "MessageSid", "MessageStatus")
    if not _SID.match(params["MessageSid"]) or len(params["MessageStatus"]) > 32:
        raise ValueError("a status callback needs a Twilio MessageSid and a MessageStatus word")
    return StatusUpdate(
        channel=SmsChannel.name,
        provider_message_id=params["MessageSid"],
        status=params["MessageStatus"].strip().lower(),
        error_code=params.get("ErrorCode") or None,
    )


def twiml_reply(text: str | None) -> str:
    """The TwiML answer to an inbound webhook: one reply SMS, or none (an empty `<Response/>`).

    An empty string also means no reply: Twilio would reject an empty `<Message>` anyway.
    """
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)
