"""A protected date with a month name, written in the target language ("11 February 2020" is
"11 de febrero de 2020" in Spanish), with babel's CLDR data.

Protection keeps a date away from the engine so its day and year cannot change; but sent back verbatim
it left English month names in Spanish text (measured on TICO-19 en->es: "encima 11 February 2020"), which
a reader notices and which cost chrF against Apertium alone. The day and year stay exactly as they were.
Where CLDR has no month names for the language (Haitian Creole: "M02"), or the text does not parse, the
date stays as written.
"""

from __future__ import annotations

import re
from datetime import datetime

_YEAR = re.compile(r"\b\d{4}\b")
_DEFAULT = datetime(1900, 1, 1)


def localise_date(text: str, language: str) -> str:
    """`text` (a date with a month name) in `language`, or `text` itself when that cannot be done well."""
    if language.startswith("en") or not any(ch.isalpha() for ch in text):
        return text
    try:
        from babel import Locale
        from babel.dates import format_date, format_skeleton
        from dateutil import parser

        locale = Locale.parse(language)
        month = locale.months["format"]["wide"].get(1, "")
        if not month or re.fullmatch(r"M?\d+", month):
            return text
        when = parser.parse(text, default=_DEFAULT, fuzzy=True).date()
        if _YEAR.search(text):
            return format_date(when, "long", locale=locale)
        return format_skeleton("MMMMd", when, locale=locale)
    except (ValueError, LookupError, OverflowError, ImportError):
        return text
