"""The Bot API methods the Telegram simulator answers (getMe, getUpdates, sendMessage, editMessageText,
deleteMessage, setWebhook, deleteWebhook, getWebhookInfo) and the controls tests use to play the world
(people, groups, blocks, group upgrades, injected messages): mixed into `TelegramSimulator`, which owns
the state (`self.world`, `self.updates`, `self.flood`, `self.log`, `self._stats`) and the HTTP side."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from channels.sandbox.telegram_html import HtmlError, parse_html
from channels.sandbox.telegram_settings import SimGroup, SimUser
from channels.sandbox.telegram_store import StoredMessage
from channels.sandbox.telegram_updates import Webhook
from channels.telegram_text import MAX_MESSAGE_CHARS


_SECRET_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

Params = Mapping[str, Any]


class ApiError(Exception):
    """A Bot API error answer: `{"ok": false, "error_code", "description", "parameters"?}`."""

    def __init__(self, code: int, description: str, parameters: dict[str, object] | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _json(body: object, status: int = 200) -> web.Response:
    data = json.dumps(body, ensure_ascii=False).encode()
    return web.Response(status=status, body=data, content_type="application/json")


def _int(params: Params, name: str, *, required: bool = True) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(400, f"Bad Request: {name} is empty")
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {name} specified") from None


def _bool(params: Params, name: str) -> bool:
    value = params.get(name)
    return value is True or str(value).lower() in ("true", "1")


def _list(params: Params, name: str) -> list[str] | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON array") from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApiError(400, f"Bad Request: {name} must be an array of strings")
    return value



class WorldControls:
    """What a test or the sandbox does as the people and groups on the other side."""

    def add_user(self, user: SimUser) -> None:
        self.world.users[user.id] = user.model_copy()

    def add_group(self, group: SimGroup) -> None:
        self.world.groups[group.id] = group.model_copy(deep=True)

    def set_user(
        self, user_id: int, *, blocked: bool | None = None, deactivated: bool | None = None, started: bool | None = None
    ) -> None:
        """Change what a user did to the bot (block it, delete the account, press Start)."""
        user = self._known_user(user_id)
        for key, value in (("blocked", blocked), ("deactivated", deactivated), ("started", started)):
            if value is not None:
                setattr(user, key, value)

    def set_bot_member(self, group_id: int, member: bool) -> None:
        """Add the bot to a group or kick it out."""
        group = self.world.groups.get(group_id)
        if group is None:
            raise ValueError(f"no group {group_id} in the simulator")
        group.bot_is_member = member

    def upgrade_group(self, group_id: int, supergroup_id: int) -> None:
        """The group becomes a supergroup with a new id (as when an admin turns on a group feature):
        Telegram answers every later send to the old id with 400 and `migrate_to_chat_id`."""
        group = self.world.groups.get(group_id)
        if group is None or group.type != "group" or supergroup_id >= -1_000_000_000_000:
            raise ValueError(f"no basic group {group_id}, or {supergroup_id} is no supergroup id (-100...)")
        self.world.groups[supergroup_id] = group.model_copy(update={"id": supergroup_id, "type": "supergroup"}, deep=True)
        group.migrated_to = supergroup_id

    def fail_next(self, method: str, error_code: int, description: str, count: int = 1) -> None:
        """Answer the next `count` calls of `method` with this error (e.g. 502 for a Telegram outage)."""
        self._faults.setdefault(method.lower(), []).extend(ApiError(error_code, description) for _ in range(count))

    def sent(self, chat_id: int) -> list[StoredMessage]:
        """The bot's messages still present in a chat, oldest first."""
        bot = self.settings.bot_id
        return [message for message in self.world.messages.get(chat_id, {}).values() if message.from_id == bot]

    def inject_message(self, user_id: int, text: str, chat_id: int | None = None) -> dict[str, object]:
        """`user_id` writes `text` to the bot (or in group `chat_id`); returns the update it produced.

        Writing to the bot in private undoes a block and counts as pressing Start, as in the app.
        """
        user, chat = self._speaker(user_id, chat_id)
        if not text:
            raise ValueError("an injected message needs a non-empty text")
        if chat > 0:
            user.blocked, user.started = False, True
        message = self.world.add(chat, user_id, text, int(time.time()), [])
        return self.updates.add("message", self.world.message_object(chat, message))

    def inject_location(self, user_id: int, lat: float, lon: float, chat_id: int | None = None) -> dict[str, object]:
        """`user_id` shares a location (the app's paperclip > Location): a message with `location`, no text."""
        user, chat = self._speaker(user_id, chat_id)
        if chat > 0:
            user.blocked, user.started = False, True
        message = self.world.add(chat, user_id, "", int(time.time()), [])
        message.location = (lat, lon)
        return self.updates.add("message", self.world.message_object(chat, message))

    def inject_edit(self, user_id: int, message_id: int, text: str, chat_id: int | None = None) -> dict[str, object]:
        """`user_id` edits a message they sent earlier; returns the `edited_message` update."""
        user, chat = self._speaker(user_id, chat_id)
        message = self.world.find(chat, message_id)
        if message is None or message.from_id != user.id:
            raise ValueError(f"user {user_id} has no message {message_id} in chat {chat} to edit")
        if not text:
            raise ValueError("an edit needs a non-empty text")
        message.text, message.edit_date = text, int(time.time())
        return self.updates.add("edited_message", self.world.message_object(chat, message))

    def _known_user(self, user_id: int) -> SimUser:
        user = self.world.user(user_id)
        if user is None:
            raise ValueError(f"no user {user_id} in the simulator: add it to users first")
        return user

    def _speaker(self, user_id: int, chat_id: int | None) -> tuple[SimUser, int]:
        user = self._known_user(user_id)
        if chat_id is None or chat_id == user_id:
            return user, user_id
        group = self.world.groups.get(chat_id)
        if group is None:
            raise ValueError(f"no group {chat_id} in the simulator")
        if user_id not in group.members:
            raise ValueError(f"user {user_id} is not a member of group {chat_id}")
        return user, chat_id



class BotApiMethods:
    """One coroutine per Bot API method; `TelegramSimulator._api` routes to them by name."""

    async def _get_me(self, params: Params) -> object:
        return {
            **self.world.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }  # fmt: skip

    async def _get_updates(self, params: Params) -> object:
        limit = _int(params, "limit", required=False) or 100
        timeout = _int(params, "timeout", required=False) or 0
        offset, allowed = _int(params, "offset", required=False), _list(params, "allowed_updates")
        return await self.updates.get(offset, max(1, min(limit, 100)), max(0, timeout), allowed)

    def _chat_id(self, params: Params) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None  # an @username we do not know

    def _writable(self, chat_id: int) -> None:
        """Raise the error Telegram gives when the bot may not write to this chat."""
        if chat_id > 0:
            user = self.world.user(chat_id)
            if user is None:
                raise ApiError(400, "Bad Request: chat not found")
            if user.deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
            if user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            return
        group = self.world.groups.get(chat_id)
        if group is None:
            raise ApiError(400, "Bad Request: chat not found")
        if group.migrated_to is not None:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": group.migrated_to})
        if not group.bot_is_member:
            kind = "supergroup" if group.type == "supergroup" else "group"
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")

    @staticmethod
    def _text(params: Params) -> tuple[str, list[dict[str, object]]]:
        raw = params.get("text")
        text = "" if raw is None else str(raw)
        mode = str(params.get("parse_mode") or "").lower()
        if mode == "html":
            try:
                text, entities = parse_html(text)
            except HtmlError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        elif mode in ("", "markdown", "markdownv2"):
            entities = []
        else:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_MESSAGE_CHARS:  # code points after entity parsing, as tdlib counts them
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    def _admit(self, chat_id: int) -> None:
        refused = self._flood.admit(chat_id, chat_id < 0, asyncio.get_running_loop().time())
        if refused is None:
            return
        kind, wait = refused
        self._stats["rate_limited"] += 1
        self._stats[f"rate_limited_{kind}"] += 1
        retry_after = max(1, math.ceil(wait))
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    async def _send_message(self, params: Params) -> object:
        chat_id = self._chat_id(params)
        self._writable(chat_id)
        text, entities = self._text(params)
        self._admit(chat_id)
        message = self.world.add(chat_id, self.settings.bot_id, text, int(time.time()), entities)
        self._record("send", chat_id, message)
        self._stats["accepted"] += 1
        return self.world.message_object(chat_id, message)

    def _own_message(self, params: Params, action: str) -> tuple[int, StoredMessage]:
        chat_id = self._chat_id(params)
        message_id = _int(params, "message_id")
        assert message_id is not None
        self._writable(chat_id)
        message = self.world.find(chat_id, message_id)
        if message is None or message.from_id != self.settings.bot_id:
            raise ApiError(400, f"Bad Request: message to {action} not found")
        return chat_id, message

    async def _edit_message_text(self, params: Params) -> object:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not simulated")
        chat_id, message = self._own_message(params, "edit")
        text, entities = self._text(params)
        if text == message.text and entities == message.entities:
            raise ApiError(
                400, "Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message",
            )  # fmt: skip
        message.text, message.entities, message.edit_date = text, entities, int(time.time())
        self._record("edit", chat_id, message)
        self._stats["edited"] += 1
        return self.world.message_object(chat_id, message)

    async def _delete_message(self, params: Params) -> object:
        chat_id, message = self._own_message(params, "delete")
        self.world.remove(chat_id, message.message_id)
        self._record("delete", chat_id, message)
        self._stats["deleted"] += 1
        return True

    def _record(self, op: str, chat_id: int, message: StoredMessage) -> None:
        assert self._log is not None
        self._log.append({
            "op": op, "chat_id": chat_id, "message_id": message.message_id, "text": message.text,
            "at": datetime.now(timezone.utc).isoformat(),
        })  # fmt: skip

    async def _set_webhook(self, params: Params) -> object:
        url = str(params.get("url") or "")
        drop = _bool(params, "drop_pending_updates")
        if not url:
            was = self.updates.webhook is not None
            self.updates.delete_webhook(drop)
            return True, "Webhook was deleted" if was else "Webhook is already deleted"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        secret = str(secret) if secret not in (None, "") else None
        if secret is not None and (len(secret) > 256 or not set(secret) <= _SECRET_TOKEN_CHARS):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        max_connections = _int(params, "max_connections", required=False) or 40
        self.updates.set_webhook(Webhook(url, secret, _list(params, "allowed_updates"), max_connections), drop)
        return True, "Webhook was set"

    async def _delete_webhook(self, params: Params) -> object:
        was = self.updates.webhook is not None
        self.updates.delete_webhook(_bool(params, "drop_pending_updates"))
        return True, "Webhook was deleted" if was else "Webhook is already deleted"

    async def _get_webhook_info(self, params: Params) -> object:
        hook = self.updates.webhook
        pending = self.updates.pending_count
        if hook is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
        return hook.info(pending)

