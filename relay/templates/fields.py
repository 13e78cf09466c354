"""A template's `{field}` slots: which a text uses, filling them in, and masking them for translation.

Fields are found with the standard library's own format-string parser (`string.Formatter.parse`), so
`{{` and `}}` are literal braces exactly as in `str.format`; positional `{}`, attribute access, indexing,
conversions and format specs are refused, because a template is written by coordinators, not programmers,
and every slot must be a plain name with a declared maximum length.

For machine translation a slot becomes the placeholder the translation protector already keeps intact
(`ZQ<n>X`, translation/placeholders.py): the engine sees the template, never a field's value, and the
value is put in after, byte for byte.
"""

from __future__ import annotations

import re
import string
from typing import Mapping

from translation.placeholders import PLACEHOLDER_RE, placeholder

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    """A template or a send from it that cannot be accepted; the message says what and where."""


def _parts(text: str, where: str) -> list[tuple[str, str | None]]:
    """(literal, field or None) pairs of a text, or a TemplateError naming the language."""
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise TemplateError(f"the {where} text: {exc} (write a literal brace as {{{{ or }}}})") from None
    parts: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (not FIELD_NAME.match(name) or spec or conversion):
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise TemplateError(f"the {where} text: {shown} is not a field; a field is a lowercase name such as "
                                "{shelter}")
        parts.append((literal, name))
    return parts


def used(text: str, where: str) -> set[str]:
    """The field names a text uses."""
    if PLACEHOLDER_RE.search(text):
        raise TemplateError(f"the {where} text contains {PLACEHOLDER_RE.search(text).group(0)!r}, which the "
                            "translation protector reserves")
    return {name for _, name in _parts(text, where) if name is not None}


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with each field replaced by its value (values are never parsed again)."""
    return "".join(literal + (values[name] if name is not None else "") for literal, name in _parts(text, "template"))


def check_values(declared: Mapping[str, int], values: Mapping[str, str]) -> dict[str, str]:
    """Every declared field given, none unknown, none empty or longer than declared."""
    missing = sorted(set(declared) - set(values))
    if missing:
        raise TemplateError(f"missing field value(s): {', '.join(missing)}")
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise TemplateError(f"unknown field(s) {', '.join(unknown)}; this template has {', '.join(sorted(declared))}")
    for name, value in values.items():
        if not value.strip():
            raise TemplateError(f"field {name} is empty")
        if len(value) > declared[name]:
            raise TemplateError(f"field {name} is {len(value)} characters; the template allows at most "
                                f"{declared[name]} (its SMS budget was measured at that length)")
    return dict(values)


def masked(text: str, names: list[str]) -> str:
    """The text with each field as a protector placeholder, numbered by its place in `names`."""
    index = {name: i for i, name in enumerate(names)}
    return "".join(literal.replace("{", "{{").replace("}", "}}") + (placeholder(index[name]) if name else "")
                   for literal, name in _parts(text, "template")).format()


def unmask(translated: str, source: str, names: list[str], values: Mapping[str, str]) -> str | None:
    """Put the values into a translated masked text; None unless each field came back as often as the
    source has it (the caller then sends the original with a note, never a text missing a value)."""
    want = {i: 0 for i in range(len(names))}
    for m in PLACEHOLDER_RE.finditer(source):
        want[int(m.group(1))] += 1
    got = {i: 0 for i in range(len(names))}
    for m in PLACEHOLDER_RE.finditer(translated):
        index = int(m.group(1))
        if index not in got:
            return None
        got[index] += 1
    if got != want:
        return None
    return PLACEHOLDER_RE.sub(lambda m: values[names[int(m.group(1))]], translated)
