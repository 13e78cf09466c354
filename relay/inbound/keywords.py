"""Parsing the commands people send: SMS keywords (`STOP`, `JOIN es`, `ACK 4F2`) and chat commands
(`/lang es` on Telegram, `!lang es` on Matrix) into one shape, so that every channel shares one
vocabulary and one set of handlers (`relay/inbound/commands.py`).

Parsing is separate from acting on it. The vocabulary is data: each command declares its words and how
many words may follow it in a plain SMS. A plain text with more words than that is a message, not a
command ("stop sending me the flood alerts please" is not a STOP). A text that starts with `/` or `!`
is always meant as a command: an unknown word there gets the help reply instead of being relayed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Carriers and Twilio treat all of these as an unsubscribe; so do we, so that "STOP" always works.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})

UNKNOWN = "unknown"  # the name of a `/word` or `!word` that is no command of ours

# On the folded first word. Any letter may start the word: Matrix users type `!más` or `!moins` in their
# own language, and a command word in the vocabulary must work with `/` or `!` as it does bare.
_CHAT_COMMAND = re.compile(r"^[/!](?P<word>[^\W\d_]\w*)(?:@[A-Za-z0-9_]+)?$")
_HEAD = re.compile(r"(?P<head>\S+)(?P<rest>.*)", re.DOTALL)


@dataclass(frozen=True)
class Spec:
    """One command's vocabulary.

    `max_words`: how many words may follow the command word in a plain (unprefixed) SMS; None for any
    number (free text such as `/broadcast Shelter open`). With a `/` or `!` prefix any number is taken.
    `sms`: False for commands that only make sense with a prefix (a plain "broadcast ..." SMS from a
    stranger must stay a message).
    `min_words`: how many words must follow at least. One word may spell two commands when their ranges
    do not overlap: "CANCEL" alone is a STOP, "CANCEL 4821" cancels citizen report 4821.
    """

    name: str
    words: frozenset[str]
    max_words: int | None = 0
    sms: bool = True
    min_words: int = 0

    def takes(self, count: int) -> bool:
        return count >= self.min_words and (self.max_words is None or count <= self.max_words)

    def overlaps(self, other: "Spec") -> bool:
        low = max(self.min_words, other.min_words)
        highs = [m for m in (self.max_words, other.max_words) if m is not None]
        return not highs or low <= min(highs)


@dataclass(frozen=True)
class Command:
    name: str  # a registered name, or UNKNOWN
    argument: str | None = None  # the first word after the command word, folded (`fold`: NFKC, no format characters)
    rest: str = field(default="", compare=False)  # everything after the command word, as typed
    prefixed: bool = field(default=False, compare=False)  # came as /word or !word


_VOCABULARY: dict[str, Spec] = {}
_BY_WORD: dict[str, list[Spec]] = {}  # a word's commands, by min_words (their word-count ranges never overlap)


def define(spec: Spec) -> Spec:
    """Add a command's vocabulary. A word may belong to two commands only when their word-count ranges
    do not overlap; any other clash is a programming error."""
    for word in spec.words:
        for owner in _BY_WORD.get(word, []):
            if owner.name != spec.name and owner.overlaps(spec):
                raise ValueError(f"command word {word} is already taken by {owner.name}")
    _VOCABULARY[spec.name] = spec
    for word in spec.words:
        others = [s for s in _BY_WORD.get(word, []) if s.name != spec.name]
        _BY_WORD[word] = sorted([*others, spec], key=lambda s: s.min_words)
    return spec


def _spec_for(word: str, count: int, *, prefixed: bool) -> Spec | None:
    """The command `word` spells when `count` words follow it. With a prefix any number may follow, so
    the command with the most required words that are present wins ("/cancel 4821" is not a STOP)."""
    specs = _BY_WORD.get(word, [])
    if prefixed:
        fitting = [s for s in specs if count >= s.min_words]
        return fitting[-1] if fitting else (specs[0] if specs else None)
    for spec in specs:
        if spec.takes(count):
            return spec
    return None


def vocabulary() -> dict[str, Spec]:
    return dict(_VOCABULARY)


def fold(word: str) -> str:
    """A word as it is matched: NFKC (fullwidth `ＳＴＯＰ`, ligatures and compatibility forms become
    plain letters) with every format character removed (zero-width space and joiners, soft hyphen,
    bidi controls, BOM), so that a look-alike of STOP is a STOP. Only command words and their
    arguments are folded; the texts people write are kept as typed."""
    return "".join(c for c in unicodedata.normalize("NFKC", word) if unicodedata.category(c) != "Cf")


def _strip(text: str) -> str:
    """Whitespace and format characters (which `str.strip` keeps) gone from both ends."""
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or unicodedata.category(text[start]) == "Cf"):
        start += 1
    while end > start and (text[end - 1].isspace() or unicodedata.category(text[end - 1]) == "Cf"):
        end -= 1
    return text[start:end]


def parse(text: str) -> Command | None:
    """The command in a message, or None when the message is not a command. The command word and its
    arguments are compared folded (`fold`); words made only of format characters do not count."""
    stripped = _strip(text)
    if not stripped:
        return None
    head, rest = _HEAD.match(stripped).group("head", "rest")
    rest = _strip(rest)
    words = [folded for folded in (fold(w) for w in rest.split()) if folded]
    head = fold(head)
    chat = _CHAT_COMMAND.match(head)
    if chat is not None:
        spec = _spec_for(chat.group("word").upper(), len(words), prefixed=True)
        return Command(spec.name if spec else UNKNOWN, words[0] if words else None, rest, prefixed=True)
    spec = _spec_for(head.upper().strip(".!"), len(words), prefixed=False)
    if spec is None or not spec.sms:
        return None
    return Command(spec.name, words[0] if words else None, rest)


define(Spec("stop", STOP_WORDS))
define(Spec("start", START_WORDS))
define(Spec("help", HELP_WORDS))
define(Spec("join", frozenset({"JOIN"}), max_words=1))
define(Spec("lang", frozenset({"LANG"}), max_words=1))
