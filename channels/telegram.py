"""Telegram through aiogram 3: the only module of the project that imports `aiogram`.

Outbound, `TelegramChannel` sends HTML-escaped user text with `sendMessage`, split at sentence ends
below Telegram's 4096-character limit, and turns every aiogram failure into the typed errors of
`channels/base.py`. Inbound, `poll_updates` long-polls `getUpdates` from an offset the caller persists,
and `parse_update` / `parse_webhook` turn Bot API updates into `Inbound`; nothing past this module sees
an aiogram type.

Telegram limits one bot three ways at once (about 30 messages/s overall, 1/s per private chat, 20/min
per group); the bot-wide one is `limit()`, the per-chat ones `recipient_limit()`, and the dispatcher
enforces both.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from channels.base import (
    ChannelError,
    Inbound,
    Outbound,
    PermanentError,
    RateLimited,
    Receipt,
    RecipientMoved,
    RecipientUnreachable,
    SenderLimit,
    TransientError,
)
from channels.telegram_settings import SECRET_HEADER, TelegramSettings
from channels.telegram_text import MAX_MESSAGE_UNITS, escape_html, split_text
from channels.telegram_updates import parse_update, parse_webhook, verify_webhook  # noqa: F401  (re-exported)

__all__ = [
    "TelegramSettings", "TelegramChannel", "PolledUpdates", "parse_update", "parse_webhook",
    "verify_webhook", "parse_provider_message_id", "SECRET_HEADER",
]  # fmt: skip

ALLOWED_UPDATES = ("message", "edited_message")
_CHAT_ID = re.compile(r"^-?\d{1,20}$|^@[A-Za-z][A-Za-z0-9_]{3,31}$")
# Descriptions (lower case) that mean "this chat cannot receive from the bot", whatever the status.
_UNREACHABLE = (
    "bot was blocked by the user", "user is deactivated", "chat not found", "bot was kicked",
    "bot is not a member", "bot can't initiate conversation", "bot can't send messages to bots",
    "have no rights to send", "not enough rights to send", "peer_id_invalid", "group chat was deactivated",
    "chat_write_forbidden",
)  # fmt: skip
_NOT_MODIFIED = "message is not modified"


@dataclass(frozen=True)
class PolledUpdates:
    """One `getUpdates` answer: the messages in it and the offset to persist once they are handled.

    `inbound` pairs each message with its update_id; updates that are not text messages are skipped
    but still move `next_offset`, so they are confirmed and never fetched again.
    """

    inbound: list[tuple[int, Inbound]]
    next_offset: int | None


class TelegramChannel:
    """A Telegram bot as a `Channel`: one sender (the bot id), HTML messages, long polling or webhook."""

    name = "telegram"
    reports_delivery = False  # an accepted message is in the chat; there is no later receipt
    max_message_chars: ClassVar[int] = MAX_MESSAGE_UNITS  # limits are data (STYLE.md, 3)

    def __init__(self, settings: TelegramSettings) -> None:
        self.settings = settings
        self.bot_id = settings.bot_id
        self._limit = SenderLimit(rate=settings.messages_per_second, burst=1.0)
        self._chat_limit = SenderLimit(rate=settings.per_chat_per_second, burst=1.0)
        self._group_limit = SenderLimit(rate=settings.per_group_per_minute / 60.0, burst=1.0)
        self._bot: Bot | None = None

    # -- the Channel protocol ----------------------------------------------------------------------

    def senders(self) -> Sequence[str]:
        return [self.bot_id]

    def limit(self, sender: str) -> SenderLimit:
        return self._limit

    def recipient_limit(self, to: str) -> SenderLimit:
        """The per-chat limit for `to`: per private chat (positive id) or per group (negative id, @channel).

        Raises `PermanentError` for an address that is no Telegram chat id.
        """
        chat_id = _chat_id(to)
        return self._chat_limit if isinstance(chat_id, int) and chat_id > 0 else self._group_limit

    def cost(self, text: str) -> int:
        return max(1, len(split_text(text)))

    async def start(self) -> None:
        if self._bot is not None:
            return
        server = TelegramAPIServer.from_base(self.settings.api_base_url) if self.settings.api_base_url else None
        session = AiohttpSession(timeout=self.settings.timeout_seconds, **({"api": server} if server else {}))
        self._bot = Bot(self.settings.token.get_secret_value(), session=session)

    async def stop(self) -> None:
        bot, self._bot = self._bot, None
        if bot is not None:
            await bot.session.close()

    async def send(self, message: Outbound) -> Receipt:
        """Send the text as one or more HTML messages, in order.

        The receipt id is `"chat_id:first_id"`, followed by `,id` for each further part
        (`"42:7,8,9"`); `parse_provider_message_id` reads it back. If a later part fails, the error is
        raised and the parts before it stay sent: a retry of the whole message repeats them.
        """
        bot = self._require_bot()
        if message.sender != self.bot_id:
            raise PermanentError(f"sender {message.sender!r} is not this bot (id {self.bot_id})")
        chat_id = _chat_id(message.to)
        parts = split_text(message.text)
        if not parts:
            raise PermanentError("message text is empty: Telegram refuses empty messages")
        ids: list[int] = []
        for index, part in enumerate(parts):
            try:
                sent = await bot.send_message(chat_id=chat_id, text=escape_html(part), parse_mode="HTML")
            except (AiogramError, TimeoutError) as exc:
                raise _classify(exc, part=(index, len(parts))) from None
            ids.append(sent.message_id)
        return Receipt(provider_message_id=f"{chat_id}:{','.join(map(str, ids))}", status="sent")

    # -- edits and deletions (for bridged rooms) ---------------------------------------------------

    async def edit(self, provider_message_id: str, text: str) -> Receipt:
        """Replace the text of a message we sent; an unchanged text is a success, not an error.

        A text that now needs more parts than were sent raises `PermanentError`; surplus old parts are
        deleted.
        """
        bot = self._require_bot()
        chat_id, ids = parse_provider_message_id(provider_message_id)
        parts = split_text(text)
        if not parts:
            raise PermanentError("edited text is empty: delete the message instead")
        if len(parts) > len(ids):
            raise PermanentError(f"edited text needs {len(parts)} messages but only {len(ids)} were sent")
        for message_id, part in zip(ids, parts):
            try:
                await bot.edit_message_text(
                    text=escape_html(part), chat_id=chat_id, message_id=message_id, parse_mode="HTML"
                )
            except TelegramBadRequest as exc:
                if _NOT_MODIFIED not in exc.message.lower():
                    raise _classify(exc) from None
            except (AiogramError, TimeoutError) as exc:
                raise _classify(exc) from None
        await self._delete_ids(bot, chat_id, ids[len(parts) :])
        return Receipt(provider_message_id=provider_message_id, status="edited")

    async def change(self, conversation: str, provider_message_id: str, text: str | None) -> None:
        """The contract's edit: a new text for a message we sent, or its deletion when `text` is None
        (our provider message ids name their chat, so `conversation` is not needed here)."""
        if text is None:
            await self.delete(provider_message_id)
        else:
            await self.edit(provider_message_id, text)

    async def delete(self, provider_message_id: str) -> None:
        """Delete every part of a message we sent."""
        bot = self._require_bot()
        chat_id, ids = parse_provider_message_id(provider_message_id)
        await self._delete_ids(bot, chat_id, ids)

    async def _delete_ids(self, bot: Bot, chat_id: int | str, ids: Sequence[int]) -> None:
        for message_id in ids:
            try:
                await bot.delete_message(chat_id=chat_id, message_id=message_id)
            except (AiogramError, TimeoutError) as exc:
                raise _classify(exc) from None

    # -- inbound -----------------------------------------------------------------------------------

    async def get_me(self) -> dict[str, str]:
        """The bot's own id, username and first name (the username addresses `/start@BotName`)."""
        bot = self._require_bot()
        try:
            user = await bot.get_me()
        except (AiogramError, TimeoutError) as exc:
            raise _classify(exc) from None
        return {"id": str(user.id), "username": user.username or "", "first_name": user.first_name}

    async def poll_updates(self, offset: int | None, timeout: int = 30, limit: int = 100) -> PolledUpdates:
        """One long poll of `getUpdates`: waits up to `timeout` seconds for messages after `offset`.

        Passing `offset` confirms every update below it, so persist `next_offset` only after the
        batch is handled: a process killed in between gets the same updates again (deduplicate by the
        update_id in `Inbound.provider_message_id`).
        """
        bot = self._require_bot()
        if timeout < 0 or not 1 <= limit <= 100:
            raise ValueError(f"timeout must be >= 0 and limit 1..100, got timeout={timeout}, limit={limit}")
        try:
            updates = await bot.get_updates(
                offset=offset,
                timeout=timeout,
                limit=limit,
                allowed_updates=list(ALLOWED_UPDATES),
                request_timeout=int(timeout + self.settings.timeout_seconds + 1),
            )
        except (AiogramError, TimeoutError) as exc:
            raise _classify(exc) from None
        batch: list[tuple[int, Inbound]] = []
        next_offset = offset
        for update in updates:
            data = update.model_dump(mode="json", by_alias=True, exclude_none=True)
            inbound = parse_update(data, recipient=self.bot_id)
            if inbound is not None:
                batch.append((update.update_id, inbound))
            next_offset = max(next_offset or 0, update.update_id + 1)
        return PolledUpdates(inbound=batch, next_offset=next_offset)

    async def updates(self, offset: int | None, timeout: int = 30) -> AsyncIterator[tuple[Inbound, int]]:
        """Long polling as an async iterator of `(inbound, offset to persist after handling it)`.

        It stops at the first error (a typed `ChannelError`); the caller decides when to poll again.
        """
        while True:
            batch = await self.poll_updates(offset, timeout)
            for update_id, inbound in batch.inbound:
                yield inbound, update_id + 1
            offset = batch.next_offset

    def parse_update(self, update: Mapping[str, Any]) -> Inbound | None:
        return parse_update(update, recipient=self.bot_id)

    async def set_webhook(self, url: str) -> None:
        """Ask Telegram to POST updates to `url`, with our secret in X-Telegram-Bot-Api-Secret-Token."""
        if self.settings.webhook_secret is None:
            raise ValueError("set_webhook needs telegram.webhook_secret: without it anyone could post updates")
        bot = self._require_bot()
        try:
            await bot.set_webhook(
                url=url,
                secret_token=self.settings.webhook_secret.get_secret_value(),
                allowed_updates=list(ALLOWED_UPDATES),
            )
        except (AiogramError, TimeoutError) as exc:
            raise _classify(exc) from None

    async def delete_webhook(self, drop_pending_updates: bool = False) -> None:
        """Back to long polling; pending updates stay queued for `getUpdates` unless dropped."""
        bot = self._require_bot()
        try:
            await bot.delete_webhook(drop_pending_updates=drop_pending_updates)
        except (AiogramError, TimeoutError) as exc:
            raise _classify(exc) from None

    def _require_bot(self) -> Bot:
        if self._bot is None:
            raise RuntimeError("TelegramChannel used before start()")
        return self._bot


# -- addresses -------------------------------------------------------------------------------------


def _chat_id(to: str) -> int | str:
    value = to.strip()
    if not _CHAT_ID.match(value):
        raise PermanentError(f"{to!r} is not a Telegram chat id (an integer, negative for groups, or @channel)")
    return value if value.startswith("@") else int(value)


def parse_provider_message_id(provider_message_id: str) -> tuple[int | str, list[int]]:
    """`"42:7,8"` → `(42, [7, 8])`: the chat and the message ids of every part `send` delivered."""
    chat, sep, ids = provider_message_id.rpartition(":")
    try:
        if not sep or not ids:
            raise ValueError
        return _chat_id(chat), [int(part) for part in ids.split(",")]
    except (ValueError, PermanentError):
        raise ValueError(f"{provider_message_id!r} is not a Telegram receipt id like '42:7' or '42:7,8'") from None


# -- errors ----------------------------------------------------------------------------------------


def _classify(exc: BaseException, part: tuple[int, int] | None = None) -> ChannelError:
    """aiogram's answer, as the dispatcher's decision: retry later, drop the message, or drop the chat."""
    description = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if part is not None and part[0] > 0:
        description += f" (after {part[0]} of {part[1]} parts were sent)"
    lowered = description.lower()
    if isinstance(exc, TelegramRetryAfter):
        return RateLimited(f"Telegram 429: {description}", retry_after=float(exc.retry_after), code="429")
    if isinstance(exc, TelegramMigrateToChat):
        return RecipientMoved(
            f"Telegram: the group became supergroup {exc.migrate_to_chat_id}: {description}",
            new_address=str(exc.migrate_to_chat_id), code=f"migrate_to_chat_id:{exc.migrate_to_chat_id}",
        )
    if isinstance(exc, TelegramForbiddenError):
        blocked = "blocked by the user" in lowered
        return RecipientUnreachable(f"Telegram 403: {description}", code="403", opted_out=blocked)
    if isinstance(exc, TelegramBadRequest):
        if any(marker in lowered for marker in _UNREACHABLE):
            return RecipientUnreachable(f"Telegram 400: {description}", code="400")
        return PermanentError(f"Telegram 400: {description}", code="400")
    if isinstance(exc, TelegramEntityTooLarge):  # a TelegramNetworkError subclass: check first
        return PermanentError(f"Telegram 413: {description}", code="413")
    if isinstance(exc, TelegramUnauthorizedError):
        # Not this message's fault: every message fails until the token is fixed, so keep them queued.
        return TransientError(
            f"Telegram 401: the bot token was refused, check telegram.token: {description}", code="401"
        )
    if isinstance(exc, TelegramNotFound):
        return TransientError(f"Telegram 404: is api_base_url right? {description}", code="404")
    if isinstance(exc, TelegramConflictError):
        return TransientError(f"Telegram 409: {description}", code="409")
    if isinstance(exc, TelegramServerError):
        return TransientError(f"Telegram 5xx: {description}", code="5xx")
    if isinstance(exc, (TelegramNetworkError, TimeoutError)):
        return TransientError(f"cannot reach Telegram: {description}")
    if isinstance(exc, ClientDecodeError):
        return TransientError(f"unreadable answer from Telegram: {exc.message}")
    if isinstance(exc, TelegramAPIError):
        return TransientError(f"Telegram error: {description}")
    return TransientError(f"Telegram client error: {type(exc).__name__}: {description}")


# -- inbound updates -------------------------------------------------------------------------------
