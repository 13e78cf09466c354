"""Where the simulated bot's incoming updates wait: the `getUpdates` queue or the webhook outbox.

Telegram keeps an update until the bot confirms it (a later `getUpdates` offset) or a webhook answers
2xx; a webhook that fails is retried, so a bot that handled an update but answered late sees it twice.
Only one `getUpdates` may wait at a time: a newer one ends the older with 409, as Telegram does when two
processes poll the same token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass

import aiohttp

log = logging.getLogger(__name__)

DEFAULT_TYPES = frozenset({"message", "edited_message", "channel_post", "edited_channel_post", "callback_query"})


class Conflict(Exception):
    """A Bot API 409; the message is Telegram's description."""


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None

    def info(self, pending: int) -> dict[str, object]:
        """The Bot API `WebhookInfo` object."""
        result: dict[str, object] = {
            "url": self.url, "has_custom_certificate": False, "pending_update_count": pending,
            "max_connections": self.max_connections,
        }  # fmt: skip
        if self.allowed_updates:
            result["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            result["last_error_date"] = self.last_error_date
            result["last_error_message"] = self.last_error_message
        return result


class Updates:
    """The update queue of one bot, in update_id order, and the task that posts it to a webhook."""

    def __init__(self, first_id: int, max_attempts: int, retry_delay_s: float, stats: dict[str, int]) -> None:
        self._next_id = first_id
        self._pending: deque[dict[str, object]] = deque()
        self._allowed: frozenset[str] = DEFAULT_TYPES
        self._waiter: asyncio.Future[None] | None = None
        self._max_attempts = max_attempts
        self._retry_delay_s = retry_delay_s
        self._stats = stats
        self.webhook: Webhook | None = None
        self._kick = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._worker = asyncio.ensure_future(self._deliver_forever())
        self._worker.add_done_callback(self._worker_done)

    @staticmethod
    def _worker_done(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("Telegram simulator webhook task died", exc_info=task.exception())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- producing ---------------------------------------------------------------------------------

    def add(self, kind: str, payload: dict[str, object]) -> dict[str, object]:
        """Queue a new update of type `kind` and return it (it may be filtered by allowed_updates)."""
        update: dict[str, object] = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self._stats["updates_created"] += 1
        if kind not in self._allowed:
            self._stats["updates_filtered"] += 1
            return update
        self._pending.append(update)
        if self.webhook is not None:
            self._kick.set()
        elif self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        return update

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    @property
    def long_polling(self) -> bool:
        """Whether a getUpdates call is waiting right now (lets a test inject while the bot listens)."""
        return self._waiter is not None and not self._waiter.done()

    # -- getUpdates --------------------------------------------------------------------------------

    async def get(
        self, offset: int | None, limit: int, timeout: float, allowed: list[str] | None
    ) -> list[dict[str, object]]:
        if self.webhook is not None:
            raise Conflict(
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first"
            )
        if allowed is not None:  # persists for later calls, as in Telegram; [] means the default set
            self._allowed = frozenset(allowed) or DEFAULT_TYPES
        self._confirm(offset)
        ready = self._ready(limit)
        if ready or timeout <= 0:
            return ready
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(
                Conflict(
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
                )
            )
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            return []
        finally:
            if self._waiter is waiter:
                self._waiter = None
        return self._ready(limit)

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:  # "the last -offset updates": everything before them is forgotten
            while len(self._pending) > -offset:
                self._pending.popleft()
            return
        while self._pending and int(self._pending[0]["update_id"]) < offset:  # type: ignore[call-overload]
            self._pending.popleft()

    def _ready(self, limit: int) -> list[dict[str, object]]:
        ready = [update for update in self._pending if not self._allowed.isdisjoint(update)]
        self._stats["updates_polled"] += min(len(ready), limit)
        return ready[:limit]

    # -- webhook -----------------------------------------------------------------------------------

    def set_webhook(self, webhook: Webhook, drop_pending: bool) -> None:
        if drop_pending:
            self._pending.clear()
        if webhook.allowed_updates is not None:
            self._allowed = frozenset(webhook.allowed_updates) or DEFAULT_TYPES
        self.webhook = webhook
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(Conflict("Conflict: terminated by setWebhook request"))
        self._kick.set()

    def delete_webhook(self, drop_pending: bool) -> None:
        """Back to getUpdates: what the webhook did not take stays queued unless dropped."""
        self.webhook = None
        if drop_pending:
            self._pending.clear()

    async def _deliver_forever(self) -> None:
        attempts = 0
        while True:
            hook = self.webhook
            if hook is None or not self._pending:
                self._kick.clear()
                await self._kick.wait()
                continue
            update = self._pending[0]
            error = await self._post(hook, update)
            if self.webhook is not hook or not self._pending or self._pending[0] is not update:
                attempts = 0  # the webhook changed (or the queue was dropped) meanwhile: start over
                continue
            if error is None:
                self._pending.popleft()
                attempts = 0
                self._stats["webhook_delivered"] += 1
                continue
            attempts += 1
            hook.last_error_date, hook.last_error_message = int(time.time()), error
            self._stats["webhook_failures"] += 1
            if attempts >= self._max_attempts:
                self._pending.popleft()
                attempts = 0
                self._stats["webhook_dropped"] += 1
                continue
            await asyncio.sleep(self._retry_delay_s)

    async def _post(self, hook: Webhook, update: dict[str, object]) -> str | None:
        """Post one update; None on 2xx, else the error Telegram would show in getWebhookInfo."""
        assert self._session is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
        try:
            async with self._session.post(hook.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return f"Connection failed: {type(exc).__name__}: {exc}"
