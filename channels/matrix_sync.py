"""Matrix inbound: `/sync` batches turned into `Inbound`, invites from allowed inviters joined, gaps in a
limited timeline filled from `/messages`. The sync half of `MatrixChannel` (the sending half and every
nio call are in `channels/matrix.py`, the one module that imports nio): this class only reads the
answers those calls return.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from channels.base import Batch, ChannelError, Inbound
from channels.matrix_text import after_own_join, display_names, parse_event

log = logging.getLogger("channels.matrix")

_PAGE = 100  # events per /messages page when filling a gap in a limited timeline
_MAX_GAP_PAGES = 100

InboundHandler = Callable[[Inbound], Awaitable[None]]
TokenHandler = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class SyncBatch:
    """One `/sync` answer: the messages in it and the token to persist once they are handled."""

    inbound: list[Inbound]
    next_batch: str
    joined_rooms: list[str] = field(default_factory=list)  # invites accepted while handling this batch
    ignored_invites: list[tuple[str, str]] = field(default_factory=list)  # (room id, inviter)


class MatrixSync:
    """Mixed into `MatrixChannel`, which provides `settings`, `user_id`, `_timeline_limit` and the calls
    `_sync_call`, `_join`, `_messages_back` and `_room`."""

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
        timeout = max(1, self.settings.sync_timeout_ms if timeout_ms is None else timeout_ms)
        response = await self._sync_call(since, timeout, self._sync_filter())
        joined, ignored = await self._handle_invites(response.rooms.invite)
        inbound: list[Inbound] = []
        if since is not None:
            for room_id, info in response.rooms.join.items():
                events = [event.source for event in info.timeline.events]
                joined_here = len(after_own_join(events, self.user_id)) < len(events)
                if info.timeline.limited and info.timeline.prev_batch and not joined_here:
                    events = await self._fill_gap(room_id, info.timeline.prev_batch, since) + events
                names = display_names([*(event.source for event in info.state), *events])
                room = self._room(room_id)
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
                await self._join(room_id)
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
            page = await self._messages_back(room_id, token, since, _PAGE)
            collected.extend(event.source for event in page.chunk)
            if not page.chunk or not page.end or page.end == token:
                break
            token = page.end
        else:
            log.warning("matrix: %s has more than %d missed events; older ones are skipped", room_id, len(collected))
        return list(reversed(collected))


def _inviter(invite_state: Iterable[Any], own_user_id: str) -> str | None:
    # nio's invite events keep `membership` as an attribute (their `source` loses its content).
    for event in invite_state:
        if getattr(event, "state_key", None) == own_user_id and getattr(event, "membership", None) == "invite":
            sender = getattr(event, "sender", None)
            return sender if isinstance(sender, str) else None
    return None




class MatrixSource:
    """Matrix's pulled inbound for the relay's loop: one sync per batch, resumed from `next_batch`."""

    def __init__(self, channel, timeout_ms: int | None = None) -> None:
        self.channel = channel
        self.state_key = f"matrix:{channel.user_id}:next_batch"
        self.timeout_ms = timeout_ms

    async def fetch(self, position: str | None) -> Batch:
        batch = await self.channel.sync_once(position, timeout_ms=self.timeout_ms)
        if position is None:  # the very first sync only sets the starting point
            return Batch([], batch.next_batch)
        # A shared room (not a direct chat) is a group: `/start` there subscribes the room itself.
        return Batch([replace(m, group=not self.channel.is_direct(m.recipient)) for m in batch.inbound],
                     batch.next_batch)
