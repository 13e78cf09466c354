"""Language codes: the relay speaks ISO 639-1 ("es"); Apertium speaks ISO 639-3 ("spa").

A code is accepted when it is ISO 639-1, one of NLLB-200's languages (`translation.flores`: "ace", "ks-deva",
"zt"), or served by some installed engine; anything else is an `UnknownLanguage`, so a typo never reaches an engine.
"""

from __future__ import annotations

from typing import Iterable

from translation.errors import UnknownLanguage
from translation.flores import TO_FLORES
from translation.iso639 import ISO639

_FROM_639_3 = {three: two for two, (three, _name) in ISO639.items()}


def normalize(code: str, extra: Iterable[str] = ()) -> str:
    """Return the canonical lower-case code, or raise `UnknownLanguage` saying why it was refused."""
    if not isinstance(code, str) or not code.strip():
        raise UnknownLanguage(str(code), "empty")
    clean = code.strip().lower()
    if clean in ISO639 or clean in TO_FLORES or clean in set(extra):
        return clean
    if clean in _FROM_639_3:
        return _FROM_639_3[clean]
    raise UnknownLanguage(code)


def from_639_3(code: str) -> str:
    """Apertium's three-letter code to the relay's code; codes without an ISO 639-1 form stay as they are."""
    return _FROM_639_3.get(code, code)


def name_of(code: str) -> str:
    """English name for tables and notes; the code itself when unknown."""
    entry = ISO639.get(code)
    return entry[1] if entry else code
