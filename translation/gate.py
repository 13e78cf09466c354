"""The quality gate: every machine text is checked before any delivery is written.

A mistranslated evacuation order is a real harm, and no single signal catches every failure (measured on
TICO-19: the embedding similarity misses most truncations in French, length misses a wrong language,
language ID misses a changed number). So the gate combines cheap, specific checks — protected tokens
intact, output in the target language, not a copy of the source, no runaway repetition, length ratio in
bounds — with two model-based ones: cross-lingual similarity under the shared multilingual embedding
model (any pair), and back-translation chrF where a reverse engine exists. One failed check fails the
text. Each check's result travels with the text (stored, shown, serialised as JSON).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from translation import gate_checks as checks
from translation.contract import Translator
from translation.embeddings import SentenceEmbedder, cosine_rows
from translation.errors import TranslationError
from translation.gate_config import GateSettings, PairThresholds
from translation.protect import Protector

log = logging.getLogger(__name__)

Status = Literal["passed", "failed", "skipped"]
CHEAP = ("tokens", "language", "copy", "repetition", "length")
COSTLY = ("similarity", "back_translation")


@dataclass(frozen=True)
class CheckResult:
    """One check: its measured value and the threshold it was held to (a [low, high] pair for length)."""

    name: str
    status: Status
    value: float | None = None
    threshold: float | tuple[float, float] | None = None
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        if isinstance(self.threshold, tuple):
            data["threshold"] = list(self.threshold)
        return data


@dataclass(frozen=True)
class Verdict:
    """The gate's answer for one text: pass only when no check failed."""

    verdict: Literal["pass", "fail"]
    source_language: str
    target_language: str
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @property
    def failed_checks(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.checks if c.status == "failed")

    def summary(self) -> str:
        """One line for tables: "pass", or "fail: length, similarity"."""
        return "pass" if self.passed else "fail: " + ", ".join(self.failed_checks)

    def as_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "source_language": self.source_language,
                "target_language": self.target_language, "checks": [c.as_json() for c in self.checks]}

    def to_json(self) -> str:
        return json.dumps(self.as_json(), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str | dict[str, Any]) -> Verdict:
        raw = json.loads(data) if isinstance(data, str) else data
        items = []
        for c in raw.get("checks", []):
            threshold = c.get("threshold")
            items.append(CheckResult(c["name"], c["status"], c.get("value"),
                                     tuple(threshold) if isinstance(threshold, list) else threshold,
                                     c.get("detail", "")))
        return cls(raw["verdict"], raw["source_language"], raw["target_language"], tuple(items))


def _bound(name: str, value: float | None, threshold: float, *, at_least: bool, detail: str = "") -> CheckResult:
    if value is None:
        return CheckResult(name, "skipped", None, threshold, detail)
    ok = value >= threshold if at_least else value <= threshold
    return CheckResult(name, "passed" if ok else "failed", round(value, 4), threshold, detail)


class QualityGate:
    """Checks machine texts of one configuration; thread-safe, built once per process."""

    def __init__(self, settings: GateSettings | None = None, *, embedder: SentenceEmbedder | None = None,
                 reverse: Translator | None = None, protector: Protector | None = None) -> None:
        self.settings = settings or GateSettings()
        self.embedder = embedder
        self.reverse = reverse
        self.protector = protector or Protector()

    def check(self, source_text: str, translation: str, source: str, target: str) -> Verdict:
        return self.check_many([source_text], [translation], source, target)[0]

    def cheap_checks(self, source_text: str, translation: str, source: str, target: str,
                     limits: PairThresholds) -> list[CheckResult]:
        """The checks that need no model, in the order they are reported."""
        missing = checks.missing_tokens(source_text, translation, self.protector, target)
        results = [CheckResult("tokens", "failed" if missing else "passed", float(len(missing)), 0.0,
                               ("lost: " + ", ".join(missing[:5])) if missing else "")]
        probability = checks.language_probability(translation, target, self.settings.language_candidates,
                                                  self.settings.min_words_for_language)
        results.append(_bound("language", probability, limits.min_language_probability, at_least=True,
                              detail="" if probability is not None else "too short, or a language py3langid lacks"))
        results.append(_bound("copy", checks.copy_score(source_text, translation), limits.max_copy_chrf,
                              at_least=False))
        extra = checks.longest_repeat(translation) - checks.longest_repeat(source_text)
        results.append(_bound("repetition", float(max(0, extra)), float(limits.max_repeat), at_least=False))
        ratio = checks.length_ratio(source_text, translation)
        low, high = limits.min_length_ratio, limits.max_length_ratio
        results.append(CheckResult("length", "passed" if low <= ratio <= high else "failed", round(ratio, 4),
                                   (low, high)))
        return results

    def check_many(self, sources: Sequence[str], translations: Sequence[str], source: str,
                   target: str) -> list[Verdict]:
        """One verdict per (source, translation); model calls are batched over the whole list."""
        if len(sources) != len(translations):
            raise ValueError(f"{len(sources)} sources but {len(translations)} translations")
        source, target = source.strip().lower(), target.strip().lower()
        limits = self.settings.thresholds(source, target)
        if not self.settings.enabled:
            return [Verdict("pass", source, target, ()) for _ in sources]
        cheap = [self.cheap_checks(s, t, source, target, limits) for s, t in zip(sources, translations)]
        costly_needed = [not (self.settings.short_circuit and any(c.status == "failed" for c in row))
                         for row in cheap]
        wanted = [i for i, need in enumerate(costly_needed) if need]
        similarity = self._similarity([sources[i] for i in wanted], [translations[i] for i in wanted])
        back = self._back_chrf([sources[i] for i in wanted], [translations[i] for i in wanted], source, target)
        verdicts = []
        position = {index: n for n, index in enumerate(wanted)}
        for i, row in enumerate(cheap):
            if i in position:
                n = position[i]
                row = row + [_bound("similarity", similarity[0][n] if similarity[0] else None,
                                    limits.min_similarity, at_least=True, detail=similarity[1]),
                             _bound("back_translation", back[0][n] if back[0] else None,
                                    limits.min_back_chrf, at_least=True, detail=back[1])]
            else:
                row = row + [CheckResult(name, "skipped", None, None, "a cheaper check already failed")
                             for name in COSTLY]
            failed = any(c.status == "failed" for c in row)
            verdicts.append(Verdict("fail" if failed else "pass", source, target, tuple(row)))
        return verdicts

    def _similarity(self, sources: list[str], translations: list[str]) -> tuple[list[float] | None, str]:
        if self.embedder is None:
            return None, "no sentence-embedding model loaded"
        if not sources:
            return [], ""
        vectors = self.embedder.embed_queries(list(sources) + list(translations))
        values = cosine_rows(vectors[: len(sources)], vectors[len(sources):])
        return [float(v) for v in values], ""

    def _back_chrf(self, sources: list[str], translations: list[str], source: str,
                   target: str) -> tuple[list[float] | None, str]:
        if not self.settings.back_translation:
            return None, "back-translation turned off"
        if self.settings.thresholds(source, target).min_back_chrf is None:
            return None, f"no calibrated back-translation threshold for {source}-{target}"
        if self.reverse is None or (target, source) not in self.reverse.pairs():
            return None, f"no {target} -> {source} engine"
        if not sources:
            return [], ""
        try:
            back = self.reverse.translate(list(translations), target, source)
        except TranslationError as exc:  # the gate still answers; the check says why it could not run
            log.warning("back-translation %s -> %s failed: %s", target, source, exc)
            return None, f"back-translation failed: {exc}"
        return [checks.chrf(b, s) for b, s in zip(back, sources)], ""
