"""Protection: tokens that must come back byte-identical are swapped for placeholders around translation.

A mistranslated phone number or time is worse than no translation, so URLs, e-mail addresses, phone
numbers, numbers (with units and currencies), dates and times, @mentions, #hashtags, keyword commands
(STOP, JOIN, VERIFY K7P-2QX...) and glossary terms never reach an engine. Where matches overlap the
earliest, then the longest, wins: "(212) 555-0100" is one phone number, not two numbers.

`ProtectingTranslator` refuses (raises `TranslationError`) when a placeholder does not come back exactly
once: the relay then sends the original with a note, never a mangled number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import phonenumbers

from translation.contract import EngineReporting, Translator
from translation.dates import localise_date
from translation.errors import TranslationError
from translation.glossary import Glossary, GlossaryEntry
from translation.placeholders import PLACEHOLDER_RE, placeholder

PROTECTION_VERSION = "2"  # part of memory keys: change it when the rules change what engines see

DEFAULT_KEYWORDS: tuple[str, ...] = (
    "STOP", "START", "JOIN", "LEAVE", "HELP", "INFO", "LANG", "ACK", "VERIFY", "UNSUBSCRIBE", "CANCEL",
)

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_ZONE = r"(?:\s?(?:UTC|GMT|[ECMP][SD]T|PKT|AST|HST|AKST|AKDT|CET|CEST|EAT|WAT|IST)(?![A-Za-z]))?"
_AMPM = r"(?:\s?(?:[aApP]\.[mM]\.|[aApP][mM](?![A-Za-z])))"
_UNIT_TIGHT = r"(?:%|°\s?[CF]?|km/h|m/s|mph|kph|kts?|kms?|mi|ft|cm|mm|m|in|kg|lbs?|L|gal|hPa|mb|h|hrs?|min)"
_UNIT_SPACED = (
    r"(?:%|°\s?[CF]?|km/h|mph|kph|knots|km|kilometers|kilometres|miles?|feet|ft|meters|metres|cm|mm"
    r"|inches|kg|lbs?|gallons|liters|litres|hPa|mb|mm/h)"
)

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("placeholder", PLACEHOLDER_RE),
    ("url", re.compile(r"(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    (
        "url",
        re.compile(
            r"(?<![\w@./-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|org|net|gov|edu|int|mil|info|io)"
            r"(?:/[^\s<>\"]*)?(?![\w-])",
            re.IGNORECASE,
        ),
    ),
    ("datetime", re.compile(r"(?<!\w)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\w)")),
    ("date", re.compile(r"(?<![\w/.])\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?(?![\w/])")),
    ("date", re.compile(rf"(?<!\w){_MONTH}\s\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s\d{{4}})?(?!\w)")),
    ("date", re.compile(rf"(?<!\w)\d{{1,2}}(?:st|nd|rd|th)?\s(?:of\s)?{_MONTH}(?:,?\s\d{{4}})?(?!\w)")),
    ("time", re.compile(rf"(?<![\w:])\d{{1,2}}(?::\d{{2}}){{1,2}}{_AMPM}?{_ZONE}(?![\w:])")),
    ("time", re.compile(rf"(?<![\w:])\d{{1,2}}{_AMPM}{_ZONE}")),
    ("mention", re.compile(r"(?<![\w@])@\w+")),
    ("hashtag", re.compile(r"(?<![\w#&])#\w+")),
    ("code", re.compile(r"(?<![\w-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]+(?:-[A-Z0-9]+)*(?![\w-])")),
    (
        "number",
        re.compile(
            r"(?<![\w.,])(?:(?:[$€£¥₹₨]|Rs\.?\s?|USD\s?|PKR\s?)?\d+(?:[.,:/-]\d+)*)"
            rf"(?:(?:st|nd|rd|th)(?![A-Za-z])|{_UNIT_TIGHT}(?![A-Za-z])|\s{_UNIT_SPACED}(?![A-Za-z]))?"
        ),
    ),
]


@dataclass(frozen=True)
class ProtectedToken:
    """One span taken out of the text: what it was, what kind, and its glossary entry if any."""

    text: str
    kind: str
    entry: GlossaryEntry | None = None

    def render(self, language: str) -> str:
        if self.entry:
            return self.entry.render(language)
        return localise_date(self.text, language) if self.kind == "date" else self.text


@dataclass(frozen=True)
class Protected:
    """A text with its protected spans replaced by `ZQ<n>X` placeholders, n indexing `tokens`."""

    text: str
    tokens: tuple[ProtectedToken, ...]


def _keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({k.strip().upper() for k in keywords if k.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternation = "|".join(re.escape(w) for w in words)
    # Uppercase only, so "help" in prose is translated; LANG takes a language code, the rest a code.
    return re.compile(
        rf"(?<![\w-])(?:LANG\s[A-Za-z]{{2,3}}(?![\w-])|(?:{alternation})(?:\s[A-Z0-9]+(?:-[A-Z0-9]+)+|\s\d+)?(?![\w-]))"
    )


def _phone_spans(text: str, region: str) -> Iterable[tuple[int, int]]:
    try:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
            yield match.start, match.end
    except Exception:  # phonenumbers is a helper here; the number rule still covers the digits
        return


class Protector:
    """Finds protected spans; one instance per configuration (glossary, keywords, phone region)."""

    def __init__(
        self, glossary: Glossary | None = None, keywords: Iterable[str] = DEFAULT_KEYWORDS, phone_region: str = "US"
    ) -> None:
        self.glossary = glossary or Glossary()
        self.keywords = _keyword_pattern(keywords)
        self.phone_region = phone_region

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, kind) spans: earliest first, longest on a tie."""
        found: list[tuple[int, int, int, str]] = []
        for priority, (kind, pattern) in enumerate(_PATTERNS):
            for m in pattern.finditer(text):
                end = m.end()
                if kind == "url":
                    end = m.start() + len(m.group(0).rstrip(".,;:!?)]}'\""))
                found.append((m.start(), end, priority, kind))
        for start, end in _phone_spans(text, self.phone_region):
            found.append((start, end, 1, "phone"))
        if self.keywords:
            found.extend((m.start(), m.end(), 2, "keyword") for m in self.keywords.finditer(text))
        if self.glossary.pattern:
            found.extend((m.start(), m.end(), 3, "glossary") for m in self.glossary.pattern.finditer(text))
        found.sort(key=lambda s: (s[0], -(s[1] - s[0]), s[2]))
        chosen: list[tuple[int, int, str]] = []
        cursor = 0
        for start, end, _priority, kind in found:
            if start >= cursor and end > start:
                chosen.append((start, end, kind))
                cursor = end
        return chosen

    def protect(self, text: str) -> Protected:
        parts: list[str] = []
        tokens: list[ProtectedToken] = []
        last = 0
        for start, end, kind in self.spans(text):
            original = text[start:end]
            entry = self.glossary.entries.get(original) if kind == "glossary" else None
            parts.append(text[last:start])
            parts.append(placeholder(len(tokens)))
            tokens.append(ProtectedToken(original, kind, entry))
            last = end
        parts.append(text[last:])
        return Protected("".join(parts), tuple(tokens))


def restore(translated: str, protected: Protected, target: str, engine: str = "the engine") -> str:
    """Put every token back; raise `TranslationError` unless each placeholder came back exactly once."""
    counts: dict[int, int] = {}
    for m in PLACEHOLDER_RE.finditer(translated):
        index = int(m.group(1))
        counts[index] = counts.get(index, 0) + 1
    for index, token in enumerate(protected.tokens):
        seen = counts.pop(index, 0)
        if seen != 1:
            raise TranslationError(
                f"{engine} returned the placeholder for {token.kind} {token.text!r} {seen} times instead of once; "
                "refusing to send a possibly mangled translation"
            )
    if counts:
        raise TranslationError(f"{engine} invented placeholders {sorted(counts)} that were not in the text")
    return PLACEHOLDER_RE.sub(lambda m: protected.tokens[int(m.group(1))].render(target), translated)


class ProtectingTranslator:
    """Wraps a chain (or any `Translator`): protect, translate in one batch, restore, check."""

    name = "protected"

    def __init__(self, inner: Translator | EngineReporting, protector: Protector | Glossary | None = None) -> None:
        self.inner = inner
        self.protector = protector if isinstance(protector, Protector) else Protector(protector)

    def pairs(self) -> set[tuple[str, str]]:
        return self.inner.pairs()

    def engine_for(self, source: str, target: str) -> str:
        """The inner engine plus the protection rules and glossary version (they change the output)."""
        inner = self.inner.engine_for(source, target) if isinstance(self.inner, EngineReporting) else self.inner.name
        return f"{inner};protect={PROTECTION_VERSION};glossary={self.protector.glossary.version}"

    def translate_with_engine(self, texts: Sequence[str], source: str, target: str) -> tuple[list[str], str]:
        protected = [self.protector.protect(text) for text in texts]
        masked = [p.text for p in protected]
        if isinstance(self.inner, EngineReporting):
            translated, inner_engine = self.inner.translate_with_engine(masked, source, target)
        else:
            translated, inner_engine = self.inner.translate(masked, source, target), self.inner.name
        if len(translated) != len(texts):
            raise TranslationError(f"{inner_engine} returned {len(translated)} texts for {len(texts)}")
        restored = [restore(t, p, target.strip().lower(), inner_engine) for t, p in zip(translated, protected)]
        return restored, self.engine_for(source, target)

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        return self.translate_with_engine(texts, source, target)[0]
