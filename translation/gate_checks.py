"""The gate's text checks that need no model: each one measures a single way a machine text goes wrong.

Every function returns a number (the check's value); `translation/gate.py` compares it with the pair's
threshold. They are kept apart so that the bench and the calibration can read the raw values, and so that
each one stays testable on its own.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from translation.protect import Protector

# Token kinds that must come back spelled exactly as they were (numbers are compared by value instead).
_VERBATIM_KINDS = {"url", "email", "mention", "hashtag", "keyword", "glossary"}
# A number with the thousands separators and decimal marks that translations legitimately change.
_NUMBER = re.compile(r"\d+(?:[.,'’\u00a0\u202f ]\d{3}(?!\d))*(?:[.,]\d+)?")
_WORD = re.compile(r"\w+", re.UNICODE)
_LANGID_WORD = re.compile(r"[^\W\d_]{2,}")
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\S+@\S+")
_langid_lock = threading.Lock()


def _digits(text: str) -> str:
    """Only the digits, as ASCII: Arabic-Indic ٣٠ and 30 are the same number."""
    return "".join(str(unicodedata.digit(ch)) for ch in text if unicodedata.digit(ch, None) is not None)


@lru_cache(maxsize=64)
def _thousand_words(language: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(words written before a number, words written after it) that mean "thousand" in `language`, from
    CLDR's long compact number formats ("58 mil", "58 mille", "elfu 58", "58 ألف"): professional
    translators write 58,000 that way, and the number is the same."""
    from babel import Locale, UnknownLocaleError

    try:
        formats = Locale.parse(language.replace("-", "_")).compact_decimal_formats["long"]
    except (UnknownLocaleError, ValueError, KeyError):
        return (), ()
    before: set[str] = set()
    after: set[str] = set()
    for plural in formats:
        pattern = formats[plural].get("1000")
        if pattern is None or "0" not in pattern.pattern:
            continue  # "mille" alone is the number 1000 written out, not a scale word
        for word, side in ((pattern.prefix[0].strip(), before), (pattern.suffix[0].strip(), after)):
            if len(word) >= 3:  # "K" and the like are abbreviations, not what a sentence says
                side.add(word.casefold())
    return tuple(sorted(before)), tuple(sorted(after))


def _scaled(digits: str, match: re.Match[str], thousand: bool) -> str:
    """`digits` times 1000 when a thousand word goes with the number: "58 mil" is 58000, "1,5 mil" 1500."""
    if not thousand:
        return digits
    decimals = re.search(r"[.,](\d+)$", match.group(0))
    places = len(decimals.group(1)) if decimals and len(decimals.group(1)) != 3 else 0
    return digits + "0" * (3 - places) if places <= 3 else digits


def numbers(text: str, language: str | None = None) -> Counter[str]:
    """The numbers of a text as digit strings, counted: "58,000" and "58 000" are both "58000", "6,47"
    and "6.47" both "647", Arabic-Indic digits count as ASCII. Only groups of exactly three digits join a
    number across a space, so "15 March 2020 8:00" is 15, 2020, 8 and 0. With `language`, a number with
    that language's word for thousand is scaled: Portuguese "58 mil" is 58000."""
    before, after = _thousand_words(language) if language else ((), ())
    folded = text.casefold() if before or after else ""
    found: Counter[str] = Counter()
    for m in _NUMBER.finditer(text):
        head = folded[: m.start()].rstrip()
        tail = folded[m.end():].lstrip()
        thousand = any(head.endswith(w) for w in before) or \
            any(tail.startswith(w) and not tail[len(w):len(w) + 1].isalpha() for w in after)
        found[_scaled(_digits(m.group(0)), m, thousand).lstrip("0") or "0"] += 1
    return found


def missing_tokens(source: str, translation: str, protector: Protector, target: str) -> list[str]:
    """What the translation lost of the source's protected tokens: every number (a date's day and year,
    a time's hour, the 19 of COVID-19), as often as the source has it, and every link, e-mail address,
    mention, keyword and glossary name (case aside, or in its glossary form).

    Numbers are compared by value, not spelling, because a correct translation regroups them ("58 000"),
    spells a date's month in its own language and writes "8 h 00" for "8:00 a.m."; a number the source
    has twice and the translation once is lost (a changed second dose date must not hide behind the first).
    """
    missing: list[str] = []
    have = numbers(translation, target)
    for value, count in numbers(source).items():
        if have[value] < count:
            missing.append(value)
    folded = translation.casefold()
    for token in protector.protect(source).tokens:
        if token.kind in _VERBATIM_KINDS and token.render(target).casefold() not in folded \
                and token.text.casefold() not in folded:
            missing.append(token.text)
    return missing


@lru_cache(maxsize=16)
def _identifier(candidates: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    known = tuple(code for code in candidates if code in identifier.labels)
    identifier.set_languages(list(known))
    return identifier, known


def language_probability(text: str, target: str, candidates: Sequence[str], min_words: int) -> float | None:
    """The probability (0-1) that `text` is in `target` among `candidates`; None when it cannot be told
    (the model does not know `target`, or the text has too few words to judge)."""
    words = _LANGID_WORD.findall(_NOISE.sub(" ", text))
    if len(words) < min_words:
        return None
    identifier, known = _identifier(tuple(sorted(set(candidates) | {target})))
    if target not in known or len(known) < 2:
        return None
    with _langid_lock:
        ranked = identifier.rank(" ".join(words))
    probabilities = dict(ranked)
    total = sum(probabilities.values()) or 1.0
    return float(probabilities.get(target, 0.0)) / total


@lru_cache(maxsize=1)
def _chrf() -> Any:
    from sacrebleu.metrics import CHRF  # sacrebleu (~0.15 s) only once a translation is checked, not per CLI run

    return CHRF()


def copy_score(source: str, translation: str) -> float:
    """chrF (0-100) of the translation against the source itself: 100 for a copy; professional
    translations stay far lower, except where a sentence is mostly names and numbers."""
    return float(_chrf().sentence_score(translation, [source]).score)


def chrf(hypothesis: str, reference: str) -> float:
    """sacrebleu's sentence chrF (0-100): the back-translation check."""
    return float(_chrf().sentence_score(hypothesis, [reference]).score)


def longest_repeat(text: str, max_n: int = 6) -> int:
    """The most times any run of 1..max_n words repeats back to back ("go go go" is 3): decoding loops
    repeat; people almost never say the same phrase three times in a row."""
    words = [w.casefold() for w in _WORD.findall(text)]
    best = 1 if words else 0
    for n in range(1, max_n + 1):
        for start in range(max(0, len(words) - 2 * n + 1)):
            count = 1
            while words[start + count * n: start + (count + 1) * n] == words[start: start + n]:
                count += 1
            best = max(best, count)
    return best


def length_ratio(source: str, translation: str) -> float:
    """Characters of translation per character of source (whitespace squeezed)."""
    squeeze = lambda s: " ".join(s.split())
    return len(squeeze(translation)) / max(1, len(squeeze(source)))
