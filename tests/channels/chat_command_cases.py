"""The chat commands Telegram (`/lang es`) and Matrix (`!lang es`) parse alike (channels/chat_commands.py),
as one table of cases written with `{p}` for the prefix: each channel's text tests run it in their own
syntax (`in_syntax`), beside the cases only their syntax has (Telegram's `@Bot`, Matrix's reply fallback).
(A plain module: a test cannot import a particular conftest.)"""

from __future__ import annotations

from channels.chat_commands import Command

# text -> the command it is.
PARSED = [
    ("{p}start", Command("start", "")),
    ("{p}start es", Command("start", "es")),
    ("{p}start pt_BR", Command("start", "pt-br")),
    ("{p}start PT_br", Command("start", "pt-br")),
    ("{p}STOP", Command("stop", "")),
    ("{p}stop", Command("stop", "")),
    ("{p}stop now please", Command("stop", "")),
    ("  {p}lang ES ", Command("lang", "es")),
    ("{p}lang  de ", Command("lang", "de")),
    ("{p}help", Command("help", "")),
    ("{p}ack A7K2", Command("ack", "A7K2")),
    ("{p}verify x-99_z", Command("verify", "x-99_z")),
    ("{p}verify 9f-77", Command("verify", "9f-77")),
    ("{p}broadcast Shelter open\nat the school", Command("broadcast", "Shelter open\nat the school")),
    ("{p}broadcast Flood warning: move to high ground.\nShelter at the school.",
     Command("broadcast", "Flood warning: move to high ground.\nShelter at the school.")),
]
# text -> words of the reply that says what is wrong with it.
REFUSED = [
    ("{p}lang", "{p}lang needs a language code"),
    ("{p}lang spanish please", "is not a language code"),
    ("{p}start 42", "is not a language code"),
    ("{p}start 123", "is not a language code"),
    ("{p}ack", "the code is missing"),
    ("{p}verify a b", "is not a valid code"),
    ("{p}broadcast", "{p}broadcast needs the text"),
    ("{p}broadcast   ", "{p}broadcast needs the text"),
    ("{p}subscribe", "Unknown command {p}subscribe. Send {p}help"),
]


def in_syntax(prefix: str, cases: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """`cases` with `{p}` written as `prefix` in their texts (and in expected reply words)."""
    return [(text.format(p=prefix), expected.format(p=prefix) if isinstance(expected, str) else expected)
            for text, expected in cases]
