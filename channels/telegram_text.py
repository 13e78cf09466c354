"""Telegram's text rules without aiogram: HTML escaping, the 4096-character split, and chat commands.

Kept apart from `channels/telegram.py` so the relay core, the bridge and the simulator can use them
without importing the SDK, and so they can be tested as plain functions.

Lengths are counted in UTF-16 code units, as Telegram counts entity offsets: an emoji outside the Basic
Multilingual Plane costs two. That is never less than Python's `len`, so a part that fits by this
measure also fits by any looser one.
"""

from __future__ import annotations

import re

from channels.chat_commands import COMMANDS, Command, CommandError, checked  # noqa: F401 (re-exported)

# Telegram: "1-4096 characters after entities parsing", counted in code points (tdlib's utf8_length).
MAX_MESSAGE_CHARS = 4096
# The relay splits its own texts by UTF-16 units, never more than code points: a part within this is
# always within Telegram's limit, and entity offsets (UTF-16) stay simple.
MAX_MESSAGE_UNITS = MAX_MESSAGE_CHARS

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]»”’]*\s+|(?<=[。！？])\s*|\n\s*")
_WHITESPACE = re.compile(r"\s+")


def utf16_len(text: str) -> int:
    """Length as Telegram measures it: characters beyond U+FFFF count twice."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def escape_html(text: str) -> str:
    """User text made safe for `parse_mode=HTML`: `<b>` typed by a person arrives as `<b>`, not bold.

    Telegram requires only `<`, `>` and `&` to be escaped; quotes are left alone so the text stays
    readable in logs.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Cut `text` into parts of at most `limit` UTF-16 units, at sentence ends, else at spaces.

    Whitespace at a cut is dropped (Telegram trims each message anyway); a single word longer than
    `limit` is cut where it must be. An empty or blank text gives no parts: there is nothing to send.
    """
    if limit < 2:
        raise ValueError(f"limit must be at least 2 UTF-16 units, got {limit}")
    text = text.strip()
    if not text:
        return []
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece, opens_long_sentence in _pieces(text, limit):
        candidate = current + piece
        # A sentence too long for any part starts a part of its own, so the part before it still
        # ends at a sentence boundary.
        if current.strip() and (opens_long_sentence or utf16_len(candidate.rstrip()) > limit):
            parts.append(current.rstrip())
            current = piece.lstrip()
        else:
            current = candidate
    if current.strip():
        parts.append(current.strip())
    return parts


def _pieces(text: str, limit: int) -> list[tuple[str, bool]]:
    """Sentences (each with its trailing whitespace); one too long for a part is broken into words.

    The flag marks the first word of a broken sentence.
    """
    pieces: list[tuple[str, bool]] = []
    bounds = [match.end() for match in _SENTENCE_END.finditer(text)]
    starts = [0, *bounds]
    for start, end in zip(starts, [*bounds, len(text)]):
        if end > start:
            words = _fit(text[start:end], limit)
            pieces.extend((word, index == 0 and len(words) > 1) for index, word in enumerate(words))
    return pieces


def _fit(sentence: str, limit: int) -> list[str]:
    if utf16_len(sentence.rstrip()) <= limit:
        return [sentence]
    words: list[str] = []
    start = 0
    for match in _WHITESPACE.finditer(sentence):
        words.extend(_hard_cut(sentence[start : match.end()], limit))
        start = match.end()
    if start < len(sentence):
        words.extend(_hard_cut(sentence[start:], limit))
    return words


def _hard_cut(word: str, limit: int) -> list[str]:
    """A word that alone exceeds the limit, cut by code points (never inside a surrogate pair)."""
    if utf16_len(word.rstrip()) <= limit:
        return [word]
    chunks: list[str] = []
    current, units = [], 0
    for char in word:
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > limit:
            chunks.append("".join(current))
            current, units = [], 0
        current.append(char)
        units += width
    chunks.append("".join(current))
    return chunks


# -- chat commands -------------------------------------------------------------------------------------

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)(.*)$", re.DOTALL)


def parse_command(text: str, bot_username: str | None = None) -> Command | None:
    """`/lang es` → `Command("lang", "es")`; None when the text is not a command for this bot.

    `/start@OtherBot` in a group is addressed to another bot and gives None when `bot_username` is
    known. Arguments are checked for the commands that take them, raising `CommandError` with a
    reply-ready message: `/lang` needs a language code, `/ack` and `/verify` a code, `/broadcast` a
    text, `/start` accepts an optional language code. Language codes come back lower case with `-`
    (`pt_BR` → `pt-br`). An unknown `/word` also raises `CommandError`, pointing at `/help`.
    """
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    name, addressee, rest = match.group(1).lower(), match.group(2), match.group(3).strip()
    if addressee and bot_username and addressee.lower() != bot_username.lstrip("@").lower():
        return None
    return checked("/", name, rest)
