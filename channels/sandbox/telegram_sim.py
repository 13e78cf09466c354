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
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from channels.sandbox.telegram_limits import FloodControl
from channels.sandbox.telegram_settings import SimGroup, SimUser, TelegramSimSettings
from channels.sandbox.telegram_store import MessageLog, World
from channels.sandbox.telegram_updates import Conflict, Updates
from channels.sandbox.jsonl import LocalServer, json_object, serve_until_cancelled
from channels.sandbox.telegram_methods import ApiError, BotApiMethods, Params, WorldControls, _json

__all__ = ["TelegramSimSettings", "TelegramSimulator", "SimUser", "SimGroup", "ApiError", "serve"]

log = logging.getLogger(__name__)

_STAT_KEYS = (
    "accepted", "edited", "deleted", "rejected", "rate_limited", "rate_limited_chat", "rate_limited_group",
    "rate_limited_global", "unauthorized", "faults", "updates_created", "updates_filtered", "updates_polled",
    "webhook_delivered", "webhook_failures", "webhook_dropped",
)  # fmt: skip



class TelegramSimulator(LocalServer, WorldControls, BotApiMethods):
    """One simulated bot: start it, point aiogram at `base_url`, play users, read `stats` and the JSONL."""

    JSONL_NAME = "telegram.jsonl"

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
        self._tasks: set[asyncio.Task[None]] = set()
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
        await self._listen(app, host, port)
        return self.port

    async def stop(self) -> None:
        await self.updates.stop()
        await self._close()

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

    # -- sandbox routes ----------------------------------------------------------------------------

    async def _inject_route(self, request: web.Request) -> web.StreamResponse:
        payload = await json_object(request, 'body must be JSON: {"from": user_id, "text": "..."}')
        if isinstance(payload, web.Response):
            return payload
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

async def serve(settings: TelegramSimSettings, data_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
    """Run the simulator until cancelled (for `relay sandbox`)."""
    await serve_until_cancelled(TelegramSimulator(settings, data_dir), host, port, log, "Telegram Bot API simulator")
