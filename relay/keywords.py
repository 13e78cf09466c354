"""Keyword commands that people text to the relay (SMS); chat channels map their /commands onto these.

Parsing is separate from acting on it so that every channel shares one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

# Carriers and Twilio treat all of these as an unsubscribe; so do we, so that "STOP" always works.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})


@dataclass(frozen=True)
class Command:
    name: str  # join | stop | start | help | lang
    argument: str | None = None


def parse(text: str) -> Command | None:
    """The command in a message, or None when the message is not a keyword command."""
    words = text.strip().split()
    if not words:
        return None
    head = words[0].upper().strip(".!")
    rest = words[1:]
    if head in STOP_WORDS and len(words) == 1:
        return Command("stop")
    if head in START_WORDS and len(words) == 1:
        return Command("start")
    if head in HELP_WORDS and len(words) == 1:
        return Command("help")
    if head == "JOIN" and len(rest) <= 1:
        return Command("join", rest[0].lower() if rest else None)
    if head == "LANG":
        return Command("lang", rest[0].lower() if len(rest) == 1 else None)
    return None
