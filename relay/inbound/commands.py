"""The table of command handlers, shared by every channel (SMS keywords, Telegram `/`, Matrix `!`).

A feature adds a command with one decorated function in one of the modules its `Feature` lists
(`commands=`); the app installs them (`install`), so nothing registers itself at import time. A handler runs inside the
transaction that records the inbound message, so its effect and the "processed" mark commit together.
Handlers return the reply text (in the person's language) or None for no reply.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from types import ModuleType
from typing import Callable, Iterable

from sqlalchemy.orm import Session

from channels.base import Inbound
from relay.inbound import keywords
from relay.core.config import Settings
from relay.inbound.keywords import Command, Spec
from relay.core.models import Endpoint, Subscriber
from relay.inbound.replies import reply

# The CPU-heavy reading of a message (misinformation screening, language detection) looks at most at
# its first this many characters: a Telegram message's maximum. What is stored and relayed stays whole;
# only the analysis is bounded, so a 60 KB Matrix event cannot hold a worker for longer than a long
# Telegram message does.
ANALYSED_CHARS = 4096

@dataclass
class CommandContext:
    """Everything a handler may use. `endpoint` is the person's own endpoint (None for a stranger);
    in a group chat that is the speaker's private endpoint, not the group's."""

    session: Session
    inbound: Inbound
    settings: Settings
    command: Command
    endpoint: Endpoint | None
    language: str | None
    extras: dict = field(default_factory=dict)  # per-process services a handler may need (set by the app)

    @property
    def analysed_text(self) -> str:
        """The part of the message that screening and language detection read (`ANALYSED_CHARS`)."""
        return self.inbound.text[:ANALYSED_CHARS]

    @property
    def actor(self) -> str:
        return f"{self.inbound.channel}:{self.inbound.sender}"

    @property
    def subscriber(self) -> Subscriber | None:
        return self.endpoint.subscriber if self.endpoint is not None else None

    @property
    def tier(self) -> str:
        """The speaker's tier; a stranger counts as an observer."""
        return self.subscriber.tier if self.subscriber is not None else "observer"

    def reply(self, key: str, **values: str) -> str:
        return reply(key, self.language, **values)


Handler = Callable[[CommandContext], "str | None"]
EndpointHandler = Callable[[CommandContext, Endpoint], "str | None"]  # see `subscribed`
# A message that is no command: each fallthrough handler in turn may take it (a bridged room relays it,
# a citizen report records it); the first that returns something other than NotMine wins.
Fallthrough = Callable[[CommandContext], "str | None | NotMineType"]


class NotMineType:
    def __repr__(self) -> str:
        return "NotMine"


NotMine = NotMineType()

_HANDLERS: dict[str, Handler] = {}
_FALLTHROUGH: list[Fallthrough] = []
_MARK = "__relay_command__"


def command(name: str, words: set[str] | frozenset[str] | tuple[str, ...], *, max_words: int | None = 0,
            sms: bool = True) -> Callable[[Handler], Handler]:
    """Mark `handler` as the command `name`, spelled by any of `words` (upper case). Nothing is registered
    at import time: the app installs the command modules its Feature list names (`install`)."""

    def mark(handler: Handler) -> Handler:
        setattr(handler, _MARK, (name, Spec(name, frozenset(word.upper() for word in words), max_words=max_words,
                                            sms=sms)))
        return handler

    return mark


def subscribed(find: Callable[[CommandContext], Endpoint | None]) -> Callable[[EndpointHandler], Handler]:
    """`handler(context, endpoint)` as a command handler that runs only for the endpoint `find` says the
    command is about (the person's own, the group's...); without one, the person is told they are not
    subscribed, in the same words whichever command they tried."""

    def wrap(handler: EndpointHandler) -> Handler:
        @functools.wraps(handler)
        def run(context: CommandContext) -> str | None:
            endpoint = find(context)
            if endpoint is None:
                return context.reply("not_subscribed")
            return handler(context, endpoint)

        return run

    return wrap


def handler_for(name: str, handler: Handler) -> Handler:
    """Mark `handler` for a command whose vocabulary `keywords` already defines (stop, join...)."""
    setattr(handler, _MARK, (name, None))
    return handler


def install(modules: Iterable[ModuleType], fallthrough: Iterable[Fallthrough]) -> None:
    """Replace the table with the handlers marked in `modules` and the fallthrough handlers, asked in the
    order given (the app's Feature list order)."""
    _HANDLERS.clear()
    for module in modules:
        for value in vars(module).values():
            marked = getattr(value, _MARK, None)
            if marked is None or not callable(value):
                continue
            name, spec = marked
            if spec is not None:
                keywords.define(spec)
            _HANDLERS[name] = value
    _FALLTHROUGH[:] = list(fallthrough)


def installed() -> tuple[list[str], list[str]]:
    """The commands and fallthrough handlers of this process, by name (what the process-mode test reads)."""
    return sorted(_HANDLERS), [f"{h.__module__}.{h.__qualname__}" for h in _FALLTHROUGH]


def dispatch(context: CommandContext) -> str | None:
    name = context.command.name
    handler = _HANDLERS.get(name)
    if handler is None:
        return context.reply("unknown_command")
    return handler(context)


def dispatch_message(context: CommandContext) -> str | None:
    for handler in _FALLTHROUGH:
        result = handler(context)
        if result is not NotMine:
            return result  # type: ignore[return-value]
    return context.reply("unknown_command")
