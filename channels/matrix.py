"""Matrix through matrix-nio: the only module of the project that imports `nio`.

Outbound, `MatrixChannel` sends `m.text` messages (plain `body` plus escaped HTML) to a room, or to a
person through a direct room it opens once and remembers. Inbound, `sync_once` / `sync_forever` turn
`/sync` batches into `Inbound`, resuming from a `next_batch` token the caller persists. Every nio
answer and exception becomes a type of `channels/base.py`: nothing past this module sees nio.

nio retries 429s and timeouts forever by default, sleeping inside the call; the client here is built
with `max_limit_exceeded=0, max_timeouts=0`, so Synapse's `M_LIMIT_EXCEEDED` and its `retry_after_ms`
reach the dispatcher as `RateLimited`, and retrying stays in one place.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    JoinResponse,
    LocalProtocolError,
    LoginResponse,
    MessageDirection,
    ProfileGetResponse,
    RoomCreateResponse,
    RoomMessagesResponse,
    RoomPreset,
    RoomRedactResponse,
    RoomSendResponse,
    SyncResponse,
    WhoamiResponse,
)
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationInfo, field_validator, model_validator

from channels.base import (
    ChannelError,
    Inbound,
    Outbound,
    PermanentError,
    RateLimited,
    Receipt,
    RecipientUnreachable,
    SenderLimit,
    TransientError,
)
from channels.settings_rules import Positive, Rate, is_placeholder
from channels.matrix_text import CHANNEL, after_own_join, display_names, edit_content, message_content, parse_event

__all__ = ["MatrixSettings", "MatrixChannel", "SyncBatch", "login_with_password", "transaction_id"]

log = logging.getLogger(__name__)

_USER_ID = re.compile(r"^@[^:\s]+:[A-Za-z0-9.\-\[\]]+(?::\d{1,5})?$")
_ROOM_ID = re.compile(r"^![^\s]+$")  # room versions 12+ drop the ":server" part
_SERVER_SUFFIX = re.compile(r"^:[A-Za-z0-9.\-\[\]]+(?::\d{1,5})?$")
_EXAMPLE_HOST = re.compile(r"(^|\.)example\.(com|org|net)$|^(your|my)[-_.]?(homeserver|server)", re.IGNORECASE)
# Error codes that say "this room or person cannot be reached by us", whatever the HTTP status.
_UNREACHABLE = {"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_ROOM", "M_INVALID_PARAM"}
_PAGE = 100  # events per /messages page when filling a gap in a limited timeline
_MAX_GAP_PAGES = 100

InboundHandler = Callable[[Inbound], Awaitable[None]]
TokenHandler = Callable[[str], Awaitable[None]]
DirectRoomHook = Callable[[str, str], Awaitable[None]]
_R = TypeVar("_R")


class MatrixSettings(BaseModel):
    """One Matrix bot account: where its homeserver is, how it authenticates, whom it lets invite it."""

    model_config = ConfigDict(extra="forbid")

    homeserver: str  # the client-server API base URL, e.g. "https://matrix.org"
    user_id: str  # "@bot:server"
    access_token: SecretStr | None = None
    password: SecretStr | None = None  # used once to obtain a token when none is given
    device_id: str | None = None
    allowed_inviters: list[str] = []  # "@user:server" or ":server"; invites from others are ignored
    messages_per_second: Rate = 0.2  # Synapse's default rc_message
    burst: Positive = 10
    sync_timeout_ms: int = 30000

    @field_validator("homeserver")
    @classmethod
    def _homeserver(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"homeserver must be an http(s) URL such as https://matrix.org, got {value!r}")
        if _EXAMPLE_HOST.search(parts.hostname) or is_placeholder(parts.hostname):
            raise ValueError(f"homeserver {value!r} is a placeholder: give your homeserver's real URL")
        return value.strip().rstrip("/")

    @field_validator("user_id")
    @classmethod
    def _user_id(cls, value: str) -> str:
        value = value.strip()
        if not _USER_ID.match(value):
            raise ValueError(f"user_id must look like @bot:server, got {value!r}")
        host = re.sub(r":\d+$", "", value.partition(":")[2])
        if _EXAMPLE_HOST.search(host) or is_placeholder(value[1:].partition(":")[0]):
            raise ValueError(f"user_id {value!r} is a placeholder: give the bot account's real user id")
        return value

    @field_validator("access_token", "password")
    @classmethod
    def _secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value().strip()
        if is_placeholder(secret) or len(set(secret)) < 4:
            raise ValueError(f"{info.field_name} is a placeholder or empty: give the real {info.field_name}")
        return SecretStr(secret)

    @field_validator("device_id")
    @classmethod
    def _device_id(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or is_placeholder(value)):
            raise ValueError("device_id is empty or a placeholder: leave it out to let the homeserver choose")
        return value

    @field_validator("allowed_inviters")
    @classmethod
    def _inviters(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not (_USER_ID.match(entry) or _SERVER_SUFFIX.match(entry)):
                raise ValueError(f"allowed_inviters entry {entry!r} is neither a user id (@user:server) nor :server")
        return value

    @field_validator("sync_timeout_ms")
    @classmethod
    def _sync_timeout(cls, value: int) -> int:
        if not 0 <= value <= 600_000:
            raise ValueError(f"sync_timeout_ms must be between 0 and 600000, got {value}")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> MatrixSettings:
        if self.access_token is None and self.password is None:
            raise ValueError("give access_token, or password to log in once and obtain one")
        return self

    def inviter_allowed(self, user_id: str) -> bool:
        """True when `user_id` is listed, or its server is (`:server` entries)."""
        return any(user_id == entry or (entry.startswith(":") and user_id.endswith(entry)) for entry in self.allowed_inviters)


@dataclass(frozen=True)
class SyncBatch:
    """One `/sync` answer: the messages in it and the token to persist once they are handled."""

    inbound: list[Inbound]
    next_batch: str
    joined_rooms: list[str] = field(default_factory=list)  # invites accepted while handling this batch
    ignored_invites: list[tuple[str, str]] = field(default_factory=list)  # (room id, inviter)


def transaction_id(message: Outbound) -> str:
    """The idempotency key of one delivery: the same message resent after a crash gets the same one.

    Synapse answers a repeated (device, transaction id) with the first event instead of posting again,
    so a resend is deduplicated by the homeserver. The digest of address and text keeps a reused
    delivery id (a fresh database) from swallowing a different message.
    """
    digest = hashlib.sha256(f"{message.to}\n{message.text}".encode()).hexdigest()[:16]
    return f"relay.{message.delivery_id}.{digest}"


def _client_config(request_timeout: float) -> AsyncClientConfig:
    return AsyncClientConfig(
        max_limit_exceeded=0,
        max_timeouts=0,
        request_timeout=request_timeout,
        encryption_enabled=False,
        store_sync_tokens=False,
    )


async def login_with_password(settings: MatrixSettings, device_name: str = "relay") -> str:
    """Log in once with `settings.password` and return the access token, for the caller to store.

    Synapse rate-limits logins hard (a few attempts can lock an account out for minutes), so log in
    once and reuse the token rather than logging in at every start.
    """
    if settings.password is None:
        raise ValueError("password is not set: login_with_password needs MatrixSettings.password")
    client = AsyncClient(settings.homeserver, settings.user_id, device_id=settings.device_id or "",
                         config=_client_config(30.0))  # fmt: skip
    try:
        response = await _request(
            client.login(settings.password.get_secret_value(), device_name=device_name),
            LoginResponse,
            f"logging in as {settings.user_id}",
            unreachable=False,
        )
    finally:
        await client.close()
    return response.access_token


class MatrixChannel:
    """A Matrix bot account as a `Channel`: one sender (its user id), rooms and direct rooms as endpoints."""

    name = CHANNEL
    reports_delivery = False  # an accepted event is in the room; there is no later receipt

    def __init__(
        self,
        settings: MatrixSettings,
        *,
        direct_rooms: Mapping[str, str] | None = None,
        on_direct_room: DirectRoomHook | None = None,
        timeline_limit: int = 50,
        request_timeout: float = 30.0,
    ) -> None:
        """`direct_rooms` maps user ids to the direct rooms stored from earlier runs; `on_direct_room`
        is awaited with `(user_id, room_id)` whenever a new one is opened, so the relay can persist it.
        """
        if timeline_limit < 1:
            raise ValueError(f"timeline_limit must be >= 1, got {timeline_limit}")
        self.settings = settings
        self.user_id = settings.user_id
        self._direct: dict[str, str] = dict(direct_rooms or {})
        self._on_direct_room = on_direct_room
        self._direct_locks: dict[str, asyncio.Lock] = {}
        self._timeline_limit = timeline_limit
        self._request_timeout = request_timeout
        self._limit = SenderLimit(rate=settings.messages_per_second, burst=settings.burst)
        self._client: AsyncClient | None = None
        self._token: str | None = settings.access_token.get_secret_value() if settings.access_token else None

    # -- the Channel protocol ----------------------------------------------------------------------

    def senders(self) -> Sequence[str]:
        return [self.user_id]

    def limit(self, sender: str) -> SenderLimit:
        return self._limit

    def cost(self, text: str) -> int:
        return 1

    async def start(self) -> None:
        """Open the client, logging in with the password only when no access token was given, and
        check the token with `whoami` so a wrong or revoked one fails here, not at the first alert."""
        if self._client is not None:
            return
        if self._token is None:
            self._token = await login_with_password(self.settings)
        client = AsyncClient(self.settings.homeserver, self.user_id, device_id=self.settings.device_id or "",
                             config=_client_config(self._request_timeout))  # fmt: skip
        client.access_token = self._token
        client.user_id = self.user_id
        try:
            who = await _request(client.whoami(), WhoamiResponse, "checking the access token", unreachable=False)
        except ChannelError:
            await client.close()
            raise
        if who.user_id != self.user_id:
            await client.close()
            raise PermanentError(f"the access token belongs to {who.user_id}, not to user_id {self.user_id}")
        client.device_id = who.device_id or client.device_id
        self._client = client

    async def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def send(self, message: Outbound) -> Receipt:
        """Post the text to a room (`!room`) or a person's direct room (`@user`); the receipt is the event id."""
        client = self._require_client()
        if message.sender != self.user_id:
            raise PermanentError(f"sender {message.sender!r} is not this bot ({self.user_id})")
        try:
            content = message_content(message.text)
        except ValueError as exc:
            raise PermanentError(str(exc)) from None
        room_id = await self._room_for(message.to)
        response = await _request(
            client.room_send(room_id, "m.room.message", content, tx_id=transaction_id(message)),
            RoomSendResponse,
            f"sending to {message.to}",
        )
        return Receipt(provider_message_id=response.event_id, status="sent")

    # -- direct rooms ------------------------------------------------------------------------------

    @property
    def access_token(self) -> str | None:
        """The token in use; after a password login in `start`, the caller should store it."""
        return self._token

    @property
    def direct_rooms(self) -> dict[str, str]:
        """User id → direct room id, as known in this process."""
        return dict(self._direct)

    def remember_direct_room(self, user_id: str, room_id: str) -> None:
        """Reuse `room_id` for messages to `user_id` (e.g. a mapping loaded from the database)."""
        if not _USER_ID.match(user_id) or not _ROOM_ID.match(room_id):
            raise ValueError(f"expected a user id and a room id, got {user_id!r} and {room_id!r}")
        self._direct[user_id] = room_id

    def is_direct(self, room_id: str) -> bool:
        """Whether `room_id` is a one-to-one chat (one we opened, or a room of at most two members)."""
        if room_id in self._direct.values():
            return True
        room = self._client.rooms.get(room_id) if self._client is not None else None
        return room is not None and 0 < room.member_count <= 2

    async def _room_for(self, to: str) -> str:
        if _ROOM_ID.match(to):
            return to
        if not _USER_ID.match(to):
            raise PermanentError(f"{to!r} is neither a Matrix room id (!room:server) nor a user id (@user:server)")
        if to == self.user_id:
            raise PermanentError(f"{to} is the bot itself: it cannot message itself")
        async with self._direct_locks.setdefault(to, asyncio.Lock()):
            room_id = self._direct.get(to)
            if room_id is None:
                await self._check_user_exists(to)
                created = await _request(
                    self._require_client().room_create(
                        is_direct=True, invite=[to], preset=RoomPreset.trusted_private_chat
                    ),
                    RoomCreateResponse,
                    f"opening a direct room with {to}",
                )
                room_id = self._direct[to] = created.room_id
                if self._on_direct_room is not None:
                    await self._on_direct_room(to, room_id)
        return room_id

    async def _check_user_exists(self, user_id: str) -> None:
        """Synapse invites a non-existent user without complaint; its profile lookup says "not found".

        Only a 404 counts: servers that restrict profile lookups answer 403 for real people too.
        """
        what = f"looking up {user_id}"
        response = await _call(self._require_client().get_profile(user_id), what)
        if isinstance(response, ProfileGetResponse) or not isinstance(response, ErrorResponse):
            return
        status = response.transport_response.status if response.transport_response is not None else None
        if status == 404 or response.status_code == "M_NOT_FOUND":
            raise RecipientUnreachable(f"{user_id} does not exist on its homeserver", code="M_NOT_FOUND")
        if status != 403:
            raise _classify(response, what, unreachable=False)

    # -- edits and redactions (for bridged rooms) --------------------------------------------------

    async def edit(self, room_id: str, event_id: str, text: str) -> Receipt:
        """Replace the text of a message we sent (an `m.replace` edit); the receipt is the edit's event id."""
        try:
            content = edit_content(event_id, text)
        except ValueError as exc:
            raise PermanentError(str(exc)) from None
        response = await _request(
            self._require_client().room_send(room_id, "m.room.message", content),
            RoomSendResponse,
            f"editing {event_id} in {room_id}",
        )
        return Receipt(provider_message_id=response.event_id, status="edited")

    async def redact(self, room_id: str, event_id: str, reason: str | None = None) -> None:
        """Remove a message from the room for everyone."""
        await _request(
            self._require_client().room_redact(room_id, event_id, reason=reason),
            RoomRedactResponse,
            f"redacting {event_id} in {room_id}",
        )

    # -- inbound -----------------------------------------------------------------------------------

    async def sync_once(self, since: str | None, timeout_ms: int | None = None) -> SyncBatch:
        """One `/sync` from `since`, waiting up to `timeout_ms` (default: the setting) for news.

        Invites from allowed inviters are joined first; a join that fails transiently raises, so the
        caller syncs again from the same token and sees the invite again. With `since=None` (first
        start ever) the sync only sets the starting point: history from before it is not replayed.
        A timeline the server cut short ("limited") is filled from `/messages` back to `since`, so a
        long downtime misses nothing. Messages from before the bot joined a room are not reported.

        Synapse answers a repeated request (same device, token, filter, timeout) from a 2-minute
        cache: a restart that syncs again from a token it already used gets that same batch back,
        then continues where it ended, so a replay is consistent and nothing is skipped.
        """
        client = self._require_client()
        timeout = max(1, self.settings.sync_timeout_ms if timeout_ms is None else timeout_ms)
        client.next_batch = since  # nio would otherwise fall back to its own last token
        response = await _request(
            client.sync(timeout=timeout, since=since, sync_filter=self._sync_filter()),
            SyncResponse,
            "syncing",
            unreachable=False,
        )
        joined, ignored = await self._handle_invites(response.rooms.invite)
        inbound: list[Inbound] = []
        if since is not None:
            for room_id, info in response.rooms.join.items():
                events = [event.source for event in info.timeline.events]
                joined_here = len(after_own_join(events, self.user_id)) < len(events)
                if info.timeline.limited and info.timeline.prev_batch and not joined_here:
                    events = await self._fill_gap(room_id, info.timeline.prev_batch, since) + events
                names = display_names([*(event.source for event in info.state), *events])
                room = client.rooms.get(room_id)
                for source in after_own_join(events, self.user_id):
                    sender = str(source.get("sender", ""))
                    name = names.get(sender) or (room.user_name(sender) if room is not None else None)
                    parsed = parse_event(source, room_id, self.user_id, name)
                    if parsed is not None:
                        inbound.append(parsed)
        return SyncBatch(inbound=inbound, next_batch=response.next_batch, joined_rooms=joined, ignored_invites=ignored)

    async def sync_forever(self, since: str | None, on_inbound: InboundHandler, on_next_batch: TokenHandler) -> None:
        """Sync until cancelled: each message goes to `on_inbound`, then the batch's token to `on_next_batch`.

        The token is reported only after every message of its batch was handed over, so persisting it
        in `on_next_batch` means a restart misses nothing and re-handles at most the one batch whose
        token was not yet stored: handle each event id once (`provider_message_id`) and none is
        handled twice. The loop
        ends with the first `ChannelError` (or an exception from a handler); it never retries or
        sleeps: the caller decides when to start it again, from the last token it stored.
        """
        while True:
            batch = await self.sync_once(since)
            for inbound in batch.inbound:
                await on_inbound(inbound)
            if batch.next_batch != since:
                await on_next_batch(batch.next_batch)
            since = batch.next_batch

    def _sync_filter(self) -> dict[str, Any]:
        # Members of the timeline's senders come with each batch, so display names need no extra calls
        # even after a restart; presence, receipts and typing are never needed.
        return {
            "presence": {"not_types": ["*"]},
            "account_data": {"not_types": ["*"]},
            "room": {
                "timeline": {"limit": self._timeline_limit},
                "state": {"lazy_load_members": True, "include_redundant_members": True},
                "ephemeral": {"not_types": ["*"]},
                "account_data": {"not_types": ["*"]},
            },
        }

    async def _handle_invites(self, invites: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
        joined: list[str] = []
        ignored: list[tuple[str, str]] = []
        for room_id, info in invites.items():
            inviter = _inviter(info.invite_state, self.user_id)
            if inviter is None:
                continue
            if not self.settings.inviter_allowed(inviter):
                log.info("matrix: ignoring invite to %s from %s (not in allowed_inviters)", room_id, inviter)
                ignored.append((room_id, inviter))
                continue
            try:
                await _request(self._require_client().join(room_id), JoinResponse, f"joining {room_id}")
            except ChannelError as exc:
                if exc.retryable:
                    raise
                log.warning("matrix: cannot join %s on %s's invite: %s", room_id, inviter, exc)
                continue
            joined.append(room_id)
        return joined, ignored

    async def _fill_gap(self, room_id: str, prev_batch: str, since: str) -> list[dict[str, Any]]:
        """The events between `since` and the start of a limited timeline, oldest first."""
        collected: list[dict[str, Any]] = []
        token = prev_batch
        for _ in range(_MAX_GAP_PAGES):
            page = await _request(
                self._require_client().room_messages(
                    room_id, start=token, end=since, direction=MessageDirection.back, limit=_PAGE
                ),
                RoomMessagesResponse,
                f"reading missed messages of {room_id}",
                unreachable=False,
            )
            collected.extend(event.source for event in page.chunk)
            if not page.chunk or not page.end or page.end == token:
                break
            token = page.end
        else:
            log.warning("matrix: %s has more than %d missed events; older ones are skipped", room_id, len(collected))
        return list(reversed(collected))

    def _require_client(self) -> AsyncClient:
        if self._client is None:
            raise PermanentError("the Matrix channel is not started: call start() first")
        return self._client


def _inviter(invite_state: Iterable[Any], own_user_id: str) -> str | None:
    # nio's invite events keep `membership` as an attribute (their `source` loses its content).
    for event in invite_state:
        if getattr(event, "state_key", None) == own_user_id and getattr(event, "membership", None) == "invite":
            sender = getattr(event, "sender", None)
            return sender if isinstance(sender, str) else None
    return None


# -- the SDK boundary ----------------------------------------------------------------------------------


async def _request(call: Awaitable[Any], expected: type[_R], what: str, *, unreachable: bool = True) -> _R:
    """Await one nio call and return its success response, or raise the matching `ChannelError`.

    `unreachable` says whether "forbidden / not found" means the endpoint (a room, a person) is gone:
    true for sends, false for calls about the bot's own account such as login and sync.
    """
    response = await _call(call, what)
    if isinstance(response, expected):
        return response
    if isinstance(response, ErrorResponse):
        raise _classify(response, what, unreachable=unreachable)
    raise TransientError(f"{what}: unexpected answer {type(response).__name__}")


async def _call(call: Awaitable[Any], what: str) -> Any:
    """Await one nio call; its exceptions (a refused connection, a timeout) become ours."""
    try:
        return await call
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise TransientError(f"{what}: the homeserver did not answer ({type(exc).__name__}: {exc})") from None
    except LocalProtocolError as exc:
        raise PermanentError(f"{what}: {exc}") from None


def _classify(response: ErrorResponse, what: str, *, unreachable: bool) -> ChannelError:
    code = response.status_code if isinstance(response.status_code, str) else None
    status = response.transport_response.status if response.transport_response is not None else None
    message = f"{what}: {code or status or 'error'} {response.message}".strip()
    if code == "M_LIMIT_EXCEEDED" or status == 429:
        retry_after = response.retry_after_ms / 1000 if response.retry_after_ms else None
        return RateLimited(message, retry_after=retry_after, code=code or "429")
    if unreachable and code in _UNREACHABLE:
        return RecipientUnreachable(message, code=code)
    if status is None or status >= 500:
        return TransientError(message, code=code)
    return PermanentError(message, code=code)
