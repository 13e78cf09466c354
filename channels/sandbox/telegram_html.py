"""Telegram's `parse_mode=HTML`, as the simulator needs it: the visible text, its entities, or the error.

Telegram parses the markup on its side and answers 400 "Bad Request: can't parse entities: ..." for an
unknown or unbalanced tag, which is exactly what happens when a sender forgets to escape a user's `<`.
The messages below follow Telegram's wording (tdlib's HTML parser); offsets in errors are UTF-8 byte
offsets, entity offsets and lengths are UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re

from channels.telegram_text import utf16_len

# tag -> entity type (None: a tag Telegram accepts that produces no entity of its own)
_TAGS: dict[str, str] = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}  # fmt: skip
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL = re.compile(r"[<&]")
_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


_Open = tuple[str, int, dict[str, str], int]  # an open tag: name, start (UTF-16 units), attributes, slot


class HtmlError(ValueError):
    """Markup Telegram would refuse; `str()` is the part after "can't parse entities: "."""


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def parse_html(text: str) -> tuple[str, list[dict[str, object]]]:
    """The text a reader sees and the message entities, or `HtmlError` with Telegram's description."""
    pieces: list[str] = []
    units = 0
    stack: list[_Open] = []
    entities: list[dict[str, object]] = []  # in the order their start tags appeared (see _start_tag)
    i, n = 0, len(text)
    while i < n:
        found = _SPECIAL.search(text, i)
        stop = n if found is None else found.start()
        if stop > i:
            chunk = text[i:stop]
            pieces.append(chunk)
            units += utf16_len(chunk)
        if found is None:
            break
        i = stop
        if text[i] == "&":
            entity = _ENTITY.match(text, i)
            if entity is None:  # Telegram keeps a stray "&" as it is
                char, i = "&", i + 1
            else:
                decimal, hexadecimal, named = entity.groups()
                code = int(decimal) if decimal else int(hexadecimal, 16) if hexadecimal else None
                char = _NAMED[named] if named else _char(code, text, i)
                i = entity.end()
            pieces.append(char)
            units += utf16_len(char)
            continue
        if text.startswith("</", i):
            i = _end_tag(text, i, stack, entities, units)
            continue
        i = _start_tag(text, i, stack, units, slot=len(entities))
        entities.append({})  # reserved, so an outer entity is listed before the ones inside it
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(pieces), [entity for entity in entities if entity]


def _char(code: int | None, text: str, at: int) -> str:
    if code is None or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF or code == 0:
        raise HtmlError(f"Unsupported HTML entity at byte offset {_byte_offset(text, at)}")
    return chr(code)


def _start_tag(text: str, at: int, stack: list[_Open], units: int, slot: int) -> int:
    name_match = _NAME.match(text, at + 1)
    name = name_match.group(0).lower() if name_match else ""
    if name not in _TAGS:
        shown = name or text[at + 1 : at + 2].strip()
        raise HtmlError(f'Unsupported start tag "{shown}" at byte offset {_byte_offset(text, at)}')
    i = name_match.end()  # type: ignore[union-attr]
    attributes: dict[str, str] = {}
    while True:
        i = _skip_spaces(text, i)
        if i >= len(text):
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(text, at)}")
        if text[i] == ">":
            break
        i = _attribute(text, i, at, name, attributes)
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, at)}')
    stack.append((name, units, attributes, slot))
    return i + 1


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _attribute(text: str, i: int, at: int, tag: str, attributes: dict[str, str]) -> int:
    """One `name=value` of a start tag, the way tdlib reads it: the `=` is required; a value without
    quotes may hold only ASCII letters, digits, `.` and `-` (lower-cased), so `href=http://x.org` is refused
    with "Unexpected end of name token"; a quoted value runs to the same quote."""
    start = i
    while i < len(text) and not text[i].isspace() and text[i] != "=":
        i += 1
    if i == start:
        raise HtmlError(f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(text, at)}')
    attribute = text[start:i].lower()
    i = _skip_spaces(text, i)
    if i >= len(text) or text[i] != "=":
        raise HtmlError(f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset '
                        f"{_byte_offset(text, at)}")
    i = _skip_spaces(text, i + 1)
    if i >= len(text):
        raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, at)}')
    if text[i] in "\"'":
        close = text.find(text[i], i + 1)
        if close < 0:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(text, at)}")
        attributes[attribute] = text[i + 1 : close]
        return close + 1
    token = i
    while i < len(text) and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
        i += 1
    if i < len(text) and not text[i].isspace() and text[i] != ">":
        raise HtmlError(f"Unexpected end of name token at byte offset {_byte_offset(text, token)}")
    attributes[attribute] = text[token:i].lower()
    return i


def _end_tag(
    text: str,
    at: int,
    stack: list[_Open],
    entities: list[dict[str, object]],
    units: int,
) -> int:
    close = text.find(">", at)
    if close == -1:
        raise HtmlError(f"Unclosed end tag at byte offset {_byte_offset(text, at)}")
    name = text[at + 2 : close].strip().lower()
    if not stack:
        raise HtmlError(f"Unexpected end tag at byte offset {_byte_offset(text, at)}")
    opened, start, attributes, slot = stack.pop()
    if name != opened:
        raise HtmlError(
            f'Unmatched end tag at byte offset {_byte_offset(text, at)}, expected "</{opened}>", found "</{name}>"'
        )
    if units > start:
        entity: dict[str, object] = {"type": _TAGS[opened], "offset": start, "length": units - start}
        if opened == "a":
            entity["url"] = attributes.get("href", "")
        elif opened == "tg-emoji":
            entity["custom_emoji_id"] = attributes.get("emoji-id", "")
        elif opened == "pre" and attributes.get("language"):
            entity["language"] = attributes["language"]
        entities[slot] = entity
    return close + 1
