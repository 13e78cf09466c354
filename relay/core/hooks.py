"""The points where features plug into the core and delivery layers, filled once per process by the
application from its one ordered Feature list (`relay/app/features.py`).

Why a table the app fills, rather than the core importing features: arrows point down only. The core
calls "whoever adds to a planned broadcast" without knowing that relay networks or polls exist; a process
that never installed a feature simply has no hook for it. `install` replaces the whole table, so every
process mode (run, serve, worker, demo, the CLI) gets exactly what the Feature list says.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy.orm import Session

# (session, broadcast, request, senders, now): adds to a broadcast inside its planning transaction.
PlanHook = Callable[[Session, Any, Any, Mapping[str, Sequence[str]], datetime], None]
# (session, broadcast ids) -> {broadcast id: a line appended under every text of that broadcast}.
TextHook = Callable[[Session, Sequence[int]], Mapping[int, str]]
# (session, channel, (broadcast id, language) pairs) -> {pair: a recording's path to play instead of the text}
# (channels/base.py Outbound.audio), read when a batch is sent, like the texts.
MediaHook = Callable[[Session, str, Sequence[tuple[int, str]]], Mapping[tuple[int, str], str]]
# (session, origin, warning or None, settings=...): relays a held message that moderators released.
ReleaseHandler = Callable[..., None]
# (session, origin) -> the broadcasts that carried a message of that origin.
CopyResolver = Callable[[Session, str], Sequence[int]]
# (settings) -> a stamp function for outgoing official broadcasts, or None.
StampFactory = Callable[[Any], Any]
# (request) -> a SQL condition on the subscriber, or None: a feature narrowing a broadcast's audience (an
# area), applied wherever the outbox's audience filter is (planning, counts, the preview).
AudienceHook = Callable[[Any], Any]
# (session, old endpoint id, new endpoint id): a feature's rows follow an endpoint that was merged into
# another (a Telegram group upgraded to a supergroup the relay already knew), in the same transaction.
MergeHook = Callable[[Session, int, int], None]


@dataclass(frozen=True)
class SubscriberColumns:
    """A feature's own columns of the subscriber CSV (and of the subscriber API): `parse` reads a row
    (raising ValueError that names the column) before anything is stored, `store` keeps the parsed value
    for the stored subscriber in the same transaction. A row error stores nothing of that row."""

    columns: tuple[str, ...]
    parse: Callable[[Mapping[str, str]], Any]
    store: Callable[[Session, Any, Any], None]  # (session, subscriber, parsed)


@dataclass(frozen=True)
class Hooks:
    """The hooks one feature brings (a `Feature` declares them with these fields) and, installed, the
    whole process's: every feature's in Feature-list order (`combine`)."""

    plan_hooks: tuple[PlanHook, ...] = ()
    text_hooks: tuple[TextHook, ...] = ()
    # Recordings to play instead of a text on channels that can (voice): see MediaHook.
    media_hooks: tuple[MediaHook, ...] = ()
    release_handlers: Mapping[str, ReleaseHandler] = field(default_factory=dict)
    copy_resolvers: Mapping[str, CopyResolver] = field(default_factory=dict)
    stamp: StampFactory | None = None
    # SQL conditions narrowing every broadcast's audience (relay/geo: the people inside an area).
    audience_filters: tuple[AudienceHook, ...] = ()
    # Its own columns of the subscriber CSV import (relay/geo: latitude, longitude, geocodes).
    subscriber_columns: tuple[SubscriberColumns, ...] = ()
    # Its rows that follow an endpoint merged into another (relay/bridges: the room's bridge membership).
    merge_hooks: tuple[MergeHook, ...] = ()


def combine(parts: Sequence[Hooks]) -> Hooks:
    """One table from many, in their order: the hook tuples joined, the mappings merged (a later key
    wins), the first stamp."""
    table: dict[str, Any] = {}
    for item in fields(Hooks):
        values = [getattr(part, item.name) for part in parts]
        if item.default == ():
            table[item.name] = tuple(hook for value in values for hook in value)
        elif item.default_factory is dict:
            table[item.name] = {key: hook for value in values for key, hook in value.items()}
        else:
            table[item.name] = next((value for value in values if value is not None), None)
    return Hooks(**table)


_installed = Hooks()


def install(hooks: Hooks) -> None:
    global _installed
    _installed = hooks


def installed() -> Hooks:
    return _installed


def text_lines(session: Session, broadcast_ids: Sequence[int]) -> dict[int, str]:
    """Every text hook's lines for these broadcasts, joined per broadcast in Feature-list order."""
    lines: dict[int, list[str]] = {}
    for hook in _installed.text_hooks:
        for broadcast_id, line in hook(session, broadcast_ids).items():
            lines.setdefault(broadcast_id, []).append(line)
    return {broadcast_id: "\n".join(parts) for broadcast_id, parts in lines.items()}


def media_for(session: Session, channel: str, pairs: Sequence[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """The recordings the features have for these (broadcast, language) pairs on `channel`; the first
    feature in list order that has one wins."""
    found: dict[tuple[int, str], str] = {}
    for hook in _installed.media_hooks:
        for pair, path in hook(session, channel, pairs).items():
            found.setdefault(pair, path)
    return found


def stamper(settings: Any):
    """The stamp function for official broadcasts (verification codes), or None without that feature."""
    return _installed.stamp(settings) if _installed.stamp is not None else None
