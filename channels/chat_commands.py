"""The chat commands Telegram (`/lang es`) and Matrix (`!lang es`) share: which there are and what
arguments each takes. Each channel's text module finds the command in its own syntax (Telegram's
`@Bot` suffix, Matrix's reply fallback); the checks and the replies they send back are written once so
that both channels answer a mistake alike, each with its own prefix."""

from __future__ import annotations

import re
from typing import NamedTuple

COMMANDS = frozenset({"start", "stop", "lang", "help", "ack", "verify", "broadcast"})
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{3,64}$")


class Command(NamedTuple):
    """A chat command: its name (lower case, without its prefix or `@Bot`) and its argument text, stripped.

    The same shape on Telegram and Matrix, so the router handles both alike.
    """

    name: str
    args: str


class CommandError(ValueError):
    """A known command with unusable arguments; the message is written to be sent back to the person."""


def checked(prefix: str, name: str, rest: str) -> Command:
    """The command `name` (lower case) with its argument text `rest` (stripped), checked: `lang` needs a
    language code, `ack` and `verify` a code, `broadcast` a text; `start` accepts an optional language
    code. Language codes come back lower case with `-` (`pt_BR` → `pt-br`). Stray words after `stop` and
    `help` are ignored (`stop now please` must still unsubscribe). An unknown name, or unusable arguments,
    raise `CommandError` with a reply-ready message written with `prefix` ("/" or "!")."""
    if name not in COMMANDS:
        raise CommandError(f"Unknown command {prefix}{name}. Send {prefix}help for the list of commands.")
    if name in ("start", "lang"):
        if not rest:
            if name == "lang":
                raise CommandError(f"{prefix}lang needs a language code, for example: {prefix}lang es")
            return Command(name, "")
        language = rest.replace("_", "-").lower()
        if not _LANGUAGE.match(language):
            raise CommandError(f"{prefix}{name}: {rest!r} is not a language code; use two letters, for example: "
                               f"{prefix}{name} es")
        return Command(name, language)
    if name in ("ack", "verify"):
        if not _CODE.match(rest):
            what = "is missing" if not rest else f"{rest!r} is not a valid code"
            raise CommandError(f"{prefix}{name} needs the code from the message: the code {what}, "
                               f"e.g. {prefix}{name} A7K2")
        return Command(name, rest)
    if name == "broadcast":
        if not rest:
            raise CommandError(f"{prefix}broadcast needs the text to send, for example: "
                               f"{prefix}broadcast Shelter open at the school")
        return Command(name, rest)
    return Command(name, "")
