"""Into the pivot language: detect the language when it is not known, translate through `translation/`.

Screening runs inside the inbound transaction, so this translator keeps its memory in the process, not
in the database: on SQLite a second connection writing translation memory would wait for the very lock
the inbound transaction holds. Where no engine serves the pair the text is compared as it is, which still
matches claims written (or also written) in that language.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from translation.detect import detect
from translation.errors import TranslationError, UnknownLanguage, UnsupportedPair

if TYPE_CHECKING:
    from relay.core.config import Settings
    from translation.protect import ProtectingTranslator

log = logging.getLogger("relay.integrity")

_lock = threading.Lock()
_translators: dict[str, "ProtectingTranslator"] = {}
_pairs: dict[str, set[tuple[str, str]]] = {}
_cache: OrderedDict[tuple[str, str, str], str] = OrderedDict()
CACHE_SIZE = 20_000


def translator(settings: "Settings") -> "ProtectingTranslator":
    from translation.factory import build_protected

    key = settings.translation.model_dump_json()
    with _lock:
        if key not in _translators:
            _translators[key] = build_protected(settings.translation)
            _pairs[key] = _translators[key].pairs()
        return _translators[key]


def served(settings: "Settings") -> set[tuple[str, str]]:
    translator(settings)
    return _pairs[settings.translation.model_dump_json()]


def language_of(text: str, given: str | None, settings: "Settings") -> str | None:
    if given:
        return given.lower().partition("-")[0]
    return detect(text, settings.languages).language


def translate(text: str, source: str, target: str, settings: "Settings") -> str | None:
    """`text` in `target`, or None when no engine serves the pair (or the engine failed)."""
    if source == target:
        return text
    key = (source, target, text)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    engine = translator(settings)
    if (source, target) not in served(settings):
        return None
    try:
        result = engine.translate([text], source, target)[0]
    except (UnsupportedPair, UnknownLanguage):
        return None
    except TranslationError as exc:
        log.warning("pivot translation %s -> %s failed: %s", source, target, exc)
        return None
    with _lock:
        _cache[key] = result
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def needs_engine(language: str | None, settings: "Settings") -> bool:
    """Whether `to_pivot` would ask an engine (a pair one serves), i.e. may wait on it."""
    pivot = settings.integrity.pivot_language
    return language is not None and language != pivot and (language, pivot) in served(settings)


def to_pivot(text: str, language: str | None, settings: "Settings") -> tuple[str, bool]:
    """(text in the pivot language, whether it was translated)."""
    pivot = settings.integrity.pivot_language
    if language is None or language == pivot:
        return text, False
    translated = translate(text, language, pivot, settings)
    return (translated, True) if translated is not None else (text, False)
