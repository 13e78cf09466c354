"""Typed translation errors: the relay decides what to do (fall back, send the original), never an engine.

Nothing past a backend sees an argostranslate, CTranslate2 or subprocess exception: each backend maps
them into these, the way a channel adapter maps SDK errors into `channels.base` errors.
"""

from __future__ import annotations


class TranslationError(Exception):
    """Base of every translation failure; the message says what went wrong and where."""


class UnknownLanguage(TranslationError):
    """A language code that is neither ISO 639-1 nor served by any installed engine."""

    def __init__(self, code: str, detail: str = "") -> None:
        message = f"unknown language code {code!r}: expected an ISO 639-1 code such as 'es' or 'fr'"
        super().__init__(f"{message} ({detail})" if detail else message)
        self.code = code


SHOWN_PAIRS = 30


class UnsupportedPair(TranslationError):
    """Both languages are valid, but no available engine translates between them."""

    def __init__(self, source: str, target: str, available: set[tuple[str, str]] | None = None) -> None:
        message = f"no translation engine for {source} -> {target}"
        if available is not None:
            # With NLLB there are 40,000 pairs: name those from the same source first, then a count.
            ordered = sorted(available, key=lambda pair: (pair[0] != source, pair[1] != target, pair))
            listed = ", ".join(f"{s}->{t}" for s, t in ordered[:SHOWN_PAIRS]) or "none"
            if len(ordered) > SHOWN_PAIRS:
                listed += f" and {len(ordered) - SHOWN_PAIRS} more (relay translation list)"
            message += f"; available pairs: {listed}"
        super().__init__(message)
        self.source = source
        self.target = target


class ModelError(TranslationError):
    """The engine exists but cannot work: a corrupt model or package, a crashed pipeline."""
