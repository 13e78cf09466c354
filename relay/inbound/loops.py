"""Inbound on the chat channels: each pulled source (Telegram long polling, the Matrix sync loop) in one shape.

Each loop fetches a batch, hands every message to `inbound.handle` (one transaction per message: its
effect and the "processed" mark commit together), then stores the batch's resume point (Telegram's
offset, Matrix's `next_batch`). A `kill -9` between the two replays at most that one batch after the
restart, and `inbound.handle` recognises every message it already processed by its provider id
(update_id, event id): none is handled twice, none is missed.

Replies are sent after the commit and marked sent on the inbound row; a restart sends the replies that
were owed when the process died (at least once). Only one process runs a channel's loop at a time (a
lease, like the dispatcher's senders), so a scaled-out relay does not poll twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Awaitable, Callable, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels import registry
from channels.base import Batch, Channel, ChannelError, Inbound, Outbound, RateLimited
from relay.core import channel_state
from relay.inbound import handling as inbound
from relay.delivery.backoff import Backoff
from relay.core.config import Settings
from relay.core.db import Database
from relay.core.leases import SenderLeases
from relay.core.models import InboundMessage
from relay.core.tasks import TaskSet

log = logging.getLogger("relay.inbound.loops")

AfterCommit = Callable[[], Awaitable[None]]


class Source(Protocol):
    """What differs between channels (declared by each spec): how to fetch a batch from a position."""

    channel: Channel
    state_key: str

    async def fetch(self, position: str | None) -> Batch: ...


class ChatInbound:
    """The inbound loop of one chat channel, as a service of the running relay."""

    def __init__(self, source: Source, database: Database, settings: Settings, leases: SenderLeases,
                 *, extras: dict | None = None, backoff: Backoff = Backoff(initial=1.0, maximum=30.0)) -> None:
        self.source = source
        self.name = f"inbound:{source.channel.name}"
        self.database = database
        self.settings = settings
        self.leases = leases
        self.extras = extras if extras is not None else {}
        self.backoff = backoff
        self.tasks = TaskSet()
        self.handled = 0  # messages handled by this process (for tests and the status line)
        self.polls = True  # False for Telegram in webhook mode: the web route calls `handle`

    async def start(self, program=None) -> None:
        self.tasks.spawn(self._run(), name=self.name)

    async def stop(self) -> None:
        await self.tasks.cancel_all()
        self.leases.release_all()

    async def _run(self) -> None:
        await self.leases.acquire(self.name + ":" + self.source.state_key)
        await self.send_owed_replies()
        position = await self.database.run(channel_state.get, self.source.state_key)
        failures = 0
        while True:
            try:
                batch = await self.source.fetch(position)
            except ChannelError as exc:
                failures += 1
                retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
                delay = self.backoff.delay(failures, retry_after=retry_after)
                log.warning("%s: fetching failed (%s); again in %.1f s", self.name, exc, delay)
                await asyncio.sleep(delay)
                continue
            try:
                for message in batch.messages:
                    try:
                        await self.handle(message)
                    except inbound.Unstorable as exc:  # skipping it loses nothing that could be handled
                        log.warning("%s: message %s refused: %s", self.name, message.provider_message_id[:40], exc)
            except Exception:  # a bug or a database outage: keep the batch (the position is not moved)
                failures += 1
                delay = self.backoff.delay(failures)
                log.exception("%s: handling a batch failed; it is fetched again in %.1f s", self.name, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            if batch.position is not None and batch.position != position:
                await self.database.run(channel_state.put, self.source.state_key, batch.position)
                position = batch.position

    async def handle(self, message: Inbound) -> inbound.InboundResult:
        """Process one message once, then send its reply and run what waits for the commit."""
        after: list[AfterCommit] = []
        # "background": for work after the commit that may wait (a bridge edit waiting for a copy in
        # flight to be recorded) without holding up the next message.
        extras = {**self.extras, "after_commit": after, "background": self.tasks.spawn}
        try:
            result = await self.database.run(inbound.handle, message, self.settings, extras)
        except IntegrityError:  # processed concurrently by another path (a webhook): answer as it did
            result = await self.database.run(inbound.handle, message, self.settings, extras)
        self.handled += 1
        if result.duplicate:
            return result
        for action in after:
            try:
                await action()
            except Exception:  # an edit that cannot be relayed must not stop the loop
                log.exception("%s: an action after handling %s failed", self.name, message.provider_message_id)
        if result.reply:  # in the background: a reply waiting for its chat's turn holds up no one else
            self.tasks.spawn(self._reply(message.channel, message.provider_message_id,
                                         result.reply_to or message.sender, result.reply), name=f"{self.name}:reply")
        return result

    async def _reply(self, channel_name: str, provider_message_id: str, to: str, text: str,
                     attempts: int = 4) -> None:
        """Send one reply, paced by the chat's limit; a rate limit is waited out as the provider asks.
        One that still fails stays owed on its inbound row and is sent at the next start."""
        channel = self.source.channel
        pace = self.extras.get("pace_recipient")
        for attempt in range(1, attempts + 1):
            if pace is not None:
                await pace(channel, to)
            try:
                await channel.send(Outbound(delivery_id=0, sender=channel.senders()[0], to=to, text=text))
                break
            except RateLimited as exc:
                await asyncio.sleep(self.backoff.delay(attempt, retry_after=exc.retry_after))
            except ChannelError as exc:
                log.warning("%s: reply to %s not sent (%s); it is owed until the next start", self.name, to, exc)
                return
        else:
            log.warning("%s: reply to %s still rate limited after %d attempts; owed", self.name, to, attempts)
            return
        await self.database.run(_mark_replied, channel_name, provider_message_id)

    async def send_owed_replies(self) -> int:
        owed = await self.database.run(_owed_replies, self.source.channel.name)
        for provider_message_id, to, text in owed:
            await self._reply(self.source.channel.name, provider_message_id, to, text)
        return len(owed)


def _owed_replies(session: Session, channel: str) -> list[tuple[str, str, str]]:
    rows = session.execute(
        select(InboundMessage.provider_message_id, InboundMessage.reply_to, InboundMessage.reply).where(
            InboundMessage.channel == channel,
            InboundMessage.reply.is_not(None),
            InboundMessage.reply_sent_at.is_(None),
        ).order_by(InboundMessage.id)
    )
    return [(pid, to, text) for pid, to, text in rows if to]


def _mark_replied(session: Session, channel: str, provider_message_id: str) -> None:
    row = session.scalar(select(InboundMessage).where(
        InboundMessage.channel == channel, InboundMessage.provider_message_id == provider_message_id))
    if row is not None:
        row.reply_sent_at = datetime.now(timezone.utc)


def chat_loops(channels: dict[str, Channel], database: Database, settings: Settings,
               extras: dict | None = None) -> dict[str, ChatInbound]:
    """One inbound handler per channel whose spec has a pulled source (Telegram's polling, Matrix's
    sync). A channel whose webhooks feed it (Telegram in webhook mode) gets one too, which does not poll:
    the web route hands it each update."""
    from relay.core.leases import leases_for

    loops: dict[str, ChatInbound] = {}
    for spec in registry.SPECS:
        channel, section = channels.get(spec.name), getattr(settings, spec.name, None)
        if channel is None or spec.inbound_source is None:
            continue
        source = spec.inbound_source(channel, section)
        if source is None:
            continue
        loop = ChatInbound(source, database, settings, leases_for(database.engine, settings.data_dir), extras=extras)
        loop.polls = spec.polls(section)
        loops[spec.name] = loop
    return loops
