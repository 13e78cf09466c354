"""Language detection for inbound text, restricted to the languages the relay serves.

py3langid restricted with `set_languages` (4.5 MB model, about 0.02 ms a text). Short texts are where
every detector fails ("ok", "asante sana"), so fewer than `min_words` words, or a confidence below
`min_confidence`, is "unknown" (`language=None`): never guess from "ok".
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

from translation.languages import normalize

MIN_WORDS = 3
MIN_CONFIDENCE = 0.80
# Links, handles, e-mail addresses and numbers say nothing about the language. Linear in the text: an
# address starts only after a space or an "@" (the backtracking "\S+@\S+" cost 0.3 s on 8,000 characters
# without an "@").
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|(?<![^\s@])[^\s@]++@\S+|\d[\d\s.,:/()+-]*")
_WORD = re.compile(r"[^\W\d_]{2,}")
_lock = threading.Lock()


@dataclass(frozen=True)
class Detection:
    """The detected language, or None when unsure; confidence is a normalised probability in [0, 1]."""

    language: str | None
    confidence: float


@lru_cache(maxsize=32)
def _identifier(languages: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
    """One identifier per language set: `set_languages` mutates it, so sets never share one."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    supported = tuple(code for code in languages if code in identifier.labels)
    if len(supported) >= 2:
        identifier.set_languages(list(supported))
    return identifier, supported


def detect(
    text: str, languages: Sequence[str], *, min_words: int = MIN_WORDS, min_confidence: float = MIN_CONFIDENCE
) -> Detection:
    """Which of `languages` the text is in; `UnknownLanguage` for an invalid code in `languages`.

    With fewer than two of the languages known to the model there is nothing to choose between, so the
    answer is unknown.
    """
    wanted = tuple(sorted({normalize(code) for code in languages}))
    words = _WORD.findall(_NOISE.sub(" ", text))
    if len(words) < min_words:
        return Detection(None, 0.0)
    identifier, supported = _identifier(wanted)
    if len(supported) < 2:
        return Detection(None, 0.0)
    with _lock:
        language, probability = identifier.classify(" ".join(words))
    confidence = float(probability)
    if confidence < min_confidence:
        return Detection(None, confidence)
    return Detection(str(language), confidence)
