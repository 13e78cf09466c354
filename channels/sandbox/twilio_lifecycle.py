"""After the 201: a simulated message goes queued → sent → delivered (or undelivered), and Twilio posts
a signed status callback at each step.

All of it runs in owned background tasks so the Messages endpoint only enqueues. Delays are the same
for every message, so a FIFO per stage is already in due-time order and no timer per message is needed.
Callbacks for one message always go through the same worker, so "sent" is posted before "delivered".
A relay that is down or slow costs counted callback failures, never a simulator crash.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from urllib.parse import urlencode
from collections.abc import Awaitable, Callable, Mapping

import aiohttp

from channels.sandbox.twilio_store import API_VERSION, SimMessage

log = logging.getLogger(__name__)

UNREACHABLE_HANDSET = (30003, "Unreachable destination handset")
_WARN_EVERY_S = 5.0

Signer = Callable[[str, Mapping[str, str]], str]


class Lifecycle:
    """Advances message statuses and posts status callbacks from a bounded pool of workers."""

    def __init__(
        self,
        *,
        sign: Signer,
        callbacks: bool,
        callback_delay_s: float,
        delivered_after_s: float,
        undeliverable: frozenset[str],
        stats: dict[str, int],
        read_after_s: float = 0.0,
        workers: int = 32,
        queue_size: int = 10_000,
    ) -> None:
        self._sign = sign
        self._callbacks = callbacks
        self._callback_delay = callback_delay_s
        self._delivered_after = delivered_after_s
        self._undeliverable = undeliverable
        self._read_after = read_after_s
        self._stats = stats
        self._to_send: asyncio.Queue[tuple[float, SimMessage]] = asyncio.Queue()
        self._to_finish: asyncio.Queue[tuple[float, SimMessage]] = asyncio.Queue()
        self._to_read: asyncio.Queue[tuple[float, SimMessage]] = asyncio.Queue()
        per_worker = max(1, queue_size // workers)
        self._outboxes: list[asyncio.Queue[tuple[str, dict[str, str]]]] = [
            asyncio.Queue(maxsize=per_worker) for _ in range(workers)
        ]
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._last_warning = 0.0
        self._unwarned_failures = 0

    def start(self, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._own(self._advance(self._to_send, self._mark_sent))
        self._own(self._advance(self._to_finish, self._mark_final))
        self._own(self._advance(self._to_read, self._mark_read))
        for outbox in self._outboxes:
            self._own(self._post_callbacks(outbox))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def track(self, message: SimMessage) -> None:
        """Start a just-accepted message on its way to the handset."""
        self._to_send.put_nowait((asyncio.get_running_loop().time() + self._callback_delay, message))

    def _own(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Twilio simulator lifecycle worker died", exc_info=task.exception())

    async def _advance(
        self, inbox: asyncio.Queue[tuple[float, SimMessage]], step: Callable[[float, SimMessage], Awaitable[None]]
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, message = await inbox.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            await step(due, message)

    async def _mark_sent(self, due: float, message: SimMessage) -> None:
        if message.fail_with is not None:  # WhatsApp refused it after the 201: one "failed" callback
            message.set_status("failed", *message.fail_with)
            await self._notify(message)
            return
        message.set_status("sent")
        self._to_finish.put_nowait((due + self._delivered_after, message))
        await self._notify(message)

    async def _mark_final(self, due: float, message: SimMessage) -> None:
        if message.to in self._undeliverable:
            message.set_status("undelivered", *UNREACHABLE_HANDSET)
        else:
            message.set_status("delivered")
            if message.read:
                self._to_read.put_nowait((due + self._read_after, message))
        await self._notify(message)

    async def _mark_read(self, due: float, message: SimMessage) -> None:
        message.set_status("read")
        await self._notify(message)

    async def _notify(self, message: SimMessage) -> None:
        if not self._callbacks or not message.status_callback:
            return
        params = {
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": message.status,
            "SmsStatus": message.status,
            "AccountSid": message.account_sid,
            "From": message.from_,
            "To": message.to,
            "ApiVersion": API_VERSION,
        }
        if message.to.startswith("whatsapp:"):
            params["ChannelPrefix"] = "whatsapp"
            params["ChannelToAddress"] = message.to.removeprefix("whatsapp:")
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if message.error_code is not None:
            params["ErrorCode"] = str(message.error_code)
        outbox = self._outboxes[zlib.crc32(message.sid.encode()) % len(self._outboxes)]
        await outbox.put((message.status_callback, params))

    async def _post_callbacks(self, outbox: asyncio.Queue[tuple[str, dict[str, str]]]) -> None:
        assert self._session is not None
        while True:
            url, params = await outbox.get()
            headers = {
                "X-Twilio-Signature": self._sign(url, params),
                "User-Agent": "TwilioProxy/1.1",
                "Content-Type": "application/x-www-form-urlencoded",
            }
            body = urlencode(params).encode()  # aiohttp's own FormData path costs twice as much per callback
            try:
                async with self._session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    failure = None if 200 <= response.status < 300 else f"HTTP {response.status}"
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                failure = f"{type(exc).__name__}: {exc}"
            if failure is None:
                self._stats["callbacks_sent"] += 1
            else:
                self._stats["callbacks_failed"] += 1
                self._warn(url, failure)

    def _warn(self, url: str, failure: str) -> None:
        """Log callback failures at most every few seconds: a relay that is down must not flood the log."""
        self._unwarned_failures += 1
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S:
            log.warning(
                "status callback to %s failed (%s); %d failure(s) since the last warning",
                url, failure, self._unwarned_failures,
            )  # fmt: skip
            self._last_warning, self._unwarned_failures = now, 0
