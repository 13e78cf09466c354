"""A local stand-in for the Telegram Bot API, faithful enough that the real aiogram client talks to it.

Routes `/bot{token}/{method}` take GET query strings, JSON, urlencoded and multipart bodies, and answer
in the Bot API's shapes: `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description"}`
with Telegram's wording (401 for an unknown token, 404 for an unknown method, 403 for blocked or
deactivated users, 400 "chat not found", "can't parse entities", "message is too long", 429 with
`parameters.retry_after` from the per-chat, per-group and bot-wide flood control). Implemented methods:
getMe, getUpdates (long polling), sendMessage, editMessageText, deleteMessage, setWebhook,
deleteWebhook, getWebhookInfo.

People are played through `inject_message` / `inject_edit` or `POST /sandbox/telegram/updates`
(`{"from": user_id, "text": ..., "chat_id"?: group_id, "edit_message_id"?: id}`); updates wait for
getUpdates or are posted to the webhook with the secret header. Accepted sends, edits and deletions
land in `<data_dir>/sandbox/telegram.jsonl` (see `telegram_store`); `stats` counts everything.
Not simulated: media, keyboards, answering a webhook with a method call, MarkdownV2 validation
(MarkdownV2 text is accepted as plain text).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from channels.sandbox.telegram_html import HtmlError, parse_html
from channels.sandbox.telegram_limits import FloodControl
from channels.sandbox.telegram_settings import SimGroup, SimUser, TelegramSimSettings
from channels.sandbox.telegram_store import MessageLog, StoredMessage, World
from channels.sandbox.telegram_updates import Conflict, Updates, Webhook
from channels.telegram_text import MAX_MESSAGE_CHARS

__all__ = ["TelegramSimSettings", "TelegramSimulator", "SimUser", "SimGroup", "ApiError", "serve"]

log = logging.getLogger(__name__)

_SECRET_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_STAT_KEYS = (
    "accepted", "edited", "deleted", "rejected", "rate_limited", "rate_limited_chat", "rate_limited_group",
    "rate_limited_global", "unauthorized", "faults", "updates_created", "updates_filtered", "updates_polled",
    "webhook_delivered", "webhook_failures", "webhook_dropped",
)  # fmt: skip

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


class TelegramSimulator:
    """One simulated bot: start it, point aiogram at `base_url`, play users, read `stats` and the JSONL."""

    def __init__(self, settings: TelegramSimSettings, data_dir: Path) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir)
        self.world = World(settings)
        self._stats = dict.fromkeys(_STAT_KEYS, 0)
        self._flood = FloodControl(
            settings.per_chat_per_second, settings.per_group_per_minute, settings.messages_per_second,
            settings.burst_tolerance,
        )  # fmt: skip
        self.updates = Updates(
            settings.first_update_id, settings.webhook_max_attempts, settings.webhook_retry_delay_ms / 1000,
            self._stats,
        )  # fmt: skip
        self._faults: dict[str, list[ApiError]] = {}
        self._methods: dict[str, Callable[[Params], Awaitable[object]]] = {
            "getme": self._get_me, "getupdates": self._get_updates, "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text, "deletemessage": self._delete_message,
            "setwebhook": self._set_webhook, "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
        }  # fmt: skip
        self._log: MessageLog | None = None
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (0 = any free port) and return the bound port."""
        self._log = MessageLog(self.jsonl_path)
        self.updates.start()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_post("/sandbox/telegram/updates", self._inject_route)
        app.router.add_get("/sandbox/telegram/stats", self._stats_route)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        self.port = site.port
        return self.port

    async def stop(self) -> None:
        await self.updates.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._log is not None:
            self._log.close()

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self._host in ("", "0.0.0.0", "::") else self._host
        return f"http://{host}:{self.port}"

    @property
    def stats(self) -> dict[str, int]:
        return dict(self._stats)

    @property
    def jsonl_path(self) -> Path:
        return self.data_dir / "sandbox" / "telegram.jsonl"

    # -- the world, for tests and the sandbox ------------------------------------------------------

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

    # -- the Bot API -------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.settings.token:
            self._stats["unauthorized"] += 1
            return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        name = request.match_info["method"].lower()
        handler = self._methods.get(name)
        if handler is None:
            return _json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        try:
            faults = self._faults.get(name)
            if faults:
                self._stats["faults"] += 1
                raise faults.pop(0)
            result = await handler(await self._params(request))
        except ApiError as error:
            if error.code != 429 and name != "getupdates":
                self._stats["rejected"] += 1
            return _json(error.body(), error.code)
        except Conflict as conflict:
            return _json({"ok": False, "error_code": 409, "description": str(conflict)}, 409)
        if isinstance(result, tuple):  # (result, description): setWebhook and deleteWebhook say something
            return _json({"ok": True, "result": result[0], "description": result[1]})
        return _json({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.body_exists:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON object") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: the request body must be a JSON object")
            params.update(body)
            return params
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, str):
                params[key] = value
        return params

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

    # -- sandbox routes ----------------------------------------------------------------------------

    async def _inject_route(self, request: web.Request) -> web.StreamResponse:
        try:
            payload = await request.json()
        except ValueError:
            return web.json_response({"error": 'body must be JSON: {"from": user_id, "text": "..."}'}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"error": "body must be a JSON object"}, status=400)
        user_id, text = payload.get("from"), payload.get("text")
        chat_id, edit = payload.get("chat_id"), payload.get("edit_message_id")
        problems = [
            name for name, value, ok in (
                ("from", user_id, isinstance(user_id, int)), ("text", text, isinstance(text, str)),
                ("chat_id", chat_id, chat_id is None or isinstance(chat_id, int)),
                ("edit_message_id", edit, edit is None or isinstance(edit, int)),
            ) if not ok
        ]  # fmt: skip
        if problems:
            return web.json_response({"error": f"missing or mistyped field(s): {', '.join(problems)}"}, status=400)
        try:
            if edit is None:
                update = self.inject_message(user_id, text, chat_id)
            else:
                update = self.inject_edit(user_id, edit, text, chat_id)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        message = update.get("message") or update.get("edited_message")
        message_id = message["message_id"]  # type: ignore[index]
        return web.json_response({"update_id": update["update_id"], "message_id": message_id})

    async def _stats_route(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.stats)


async def serve(settings: TelegramSimSettings, data_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
    """Run the simulator until cancelled (for `relay sandbox`)."""
    simulator = TelegramSimulator(settings, data_dir)
    await simulator.start(host, port)
    log.info("Telegram Bot API simulator listening on %s", simulator.base_url)
    try:
        await asyncio.Event().wait()
    finally:
        await simulator.stop()
