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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

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

from channels.base import (
    ChannelError,
    Outbound,
    PermanentError,
    RateLimited,
    Receipt,
    RecipientUnreachable,
    SenderLimit,
    TransientError,
)
from channels.matrix_settings import _USER_ID, MatrixSettings
from channels.matrix_sync import MatrixSync, SyncBatch
from channels.matrix_text import CHANNEL, edit_content, message_content

__all__ = ["MatrixSettings", "MatrixChannel", "SyncBatch", "login_with_password", "transaction_id"]

log = logging.getLogger(__name__)

_ROOM_ID = re.compile(r"^![^\s]+$")  # room versions 12+ drop the ":server" part
# Error codes that say "this room or person cannot be reached by us", whatever the HTTP status.
_UNREACHABLE = {"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_ROOM", "M_INVALID_PARAM"}

DirectRoomHook = Callable[[str, str], Awaitable[None]]
_R = TypeVar("_R")


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


class MatrixChannel(MatrixSync):
    """A Matrix bot account as a `Channel`: one sender (its user id), rooms and direct rooms as endpoints."""

    name = CHANNEL
    reports_delivery = False  # an accepted event is in the room; there is no later receipt

    def __init__(self, settings: MatrixSettings, *, direct_rooms: Mapping[str, str] | None = None,
                 on_direct_room: DirectRoomHook | None = None, timeline_limit: int = 50,
                 request_timeout: float = 30.0) -> None:
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

    async def change(self, conversation: str, provider_message_id: str, text: str | None) -> None:
        """The contract's edit: `m.replace` with the new text, or a redaction when `text` is None."""
        if text is None:
            await self.redact(conversation, provider_message_id)
        else:
            await self.edit(conversation, provider_message_id, text)

    # -- the calls the sync half (channels/matrix_sync.py) makes -----------------------------------

    async def _sync_call(self, since: str | None, timeout: int, sync_filter: dict[str, Any]) -> SyncResponse:
        client = self._require_client()
        client.next_batch = since  # nio would otherwise fall back to its own last token
        return await _request(client.sync(timeout=timeout, since=since, sync_filter=sync_filter), SyncResponse,
                              "syncing", unreachable=False)

    async def _join(self, room_id: str) -> None:
        await _request(self._require_client().join(room_id), JoinResponse, f"joining {room_id}")

    async def _messages_back(self, room_id: str, start: str, end: str, limit: int) -> RoomMessagesResponse:
        return await _request(
            self._require_client().room_messages(room_id, start=start, end=end, direction=MessageDirection.back,
                                                 limit=limit),
            RoomMessagesResponse, f"reading missed messages of {room_id}", unreachable=False)

    def _room(self, room_id: str):
        return self._require_client().rooms.get(room_id)

    def _require_client(self) -> AsyncClient:
        if self._client is None:
            raise PermanentError("the Matrix channel is not started: call start() first")
        return self._client


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
