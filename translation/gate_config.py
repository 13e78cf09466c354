"""`[translation.gate]`: what the quality gate checks, its thresholds per language pair, and what
happens to a text that fails.

Thresholds resolve per pair, most specific first: `pairs["en-es"]` from the configuration, then the
calibrated table in `translation/gate_defaults.py`, then `defaults` here, then the built-in generic value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

GateAction = Literal["hold", "original"]

# Languages the output is told apart from: the ones a wrong engine route or a fail-open engine gives
# (English, neighbours of the target, other crisis languages). py3langid ignores the codes it lacks.
DEFAULT_CANDIDATES: tuple[str, ...] = (
    "en", "es", "fr", "pt", "it", "ca", "gl", "de", "nl", "ro", "ar", "fa", "ur", "ps", "sw", "so", "ha",
    "ht", "am", "yo", "ig", "id", "tl", "tr", "ru", "uk", "zh", "hi", "bn",
)


class PairThresholds(BaseModel):
    """Limits for one language pair; a field left out falls through to the next, less specific, level."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_length_ratio: float | None = Field(default=None, gt=0, description="Characters of translation per "
                                           "character of source, lowest allowed (a truncated text is short).")
    max_length_ratio: float | None = Field(default=None, gt=0, description="Highest allowed length ratio "
                                           "(runaway output and added text are long).")
    min_language_probability: float | None = Field(default=None, ge=0, le=1, description="Lowest probability "
                                                   "that the text is in the target language (py3langid).")
    max_copy_chrf: float | None = Field(default=None, ge=0, le=100, description="Highest chrF of the "
                                        "translation against the source itself (a copy scores 100).")
    min_similarity: float | None = Field(default=None, ge=-1, le=1, description="Lowest cosine of source "
                                         "and translation under the shared multilingual embedding model.")
    min_back_chrf: float | None = Field(default=None, ge=0, le=100, description="Lowest chrF of the "
                                        "back-translation against the source, where a reverse engine exists.")
    max_repeat: int | None = Field(default=None, ge=1, description="Most back-to-back repeats of a phrase "
                                   "allowed beyond what the source itself has.")


GENERIC = PairThresholds(
    min_length_ratio=0.55, max_length_ratio=2.2, min_language_probability=0.3, max_copy_chrf=70.0,
    min_similarity=0.80, max_repeat=2,
)
# No generic back-translation bound: its chrF depends on the reverse engine and on the route (a pivot
# back-translates through two engines), so the check runs only for pairs with a calibrated or configured
# `min_back_chrf` and is reported as skipped elsewhere.


class GateSettings(BaseModel):
    """The quality gate run on every machine text before any delivery is written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Run the gate on machine texts (off: every machine "
                          "text counts as passed, with no checks recorded).")
    on_fail: GateAction = Field(default="hold", description="A failed machine text: 'hold' waits for a "
                                "person (a coordinator's approval, or a volunteer translator of the language, "
                                "who is offered it); 'original' sends the original with the language note.")
    severe_on_fail: GateAction = Field(default="hold", description="The same for Severe and Extreme crisis "
                                       "broadcasts: held for a person by default.")
    volunteer_deadline_minutes: int = Field(default=60, ge=1, description="How long volunteer translators "
                                            "are given for a held or untranslated broadcast text.")
    short_circuit: bool = Field(default=True, description="Skip the model-based checks (similarity, "
                                "back-translation) once a cheap check has failed: the verdict is already fail.")
    back_translation: bool = Field(default=True, description="Translate back with a reverse engine where "
                                   "one exists and compare with the source (chrF).")
    language_candidates: list[str] = Field(default_factory=lambda: list(DEFAULT_CANDIDATES),
                                           description="Languages the output's language is told apart from.")
    min_words_for_language: int = Field(default=3, ge=1, description="Shorter outputs skip language ID.")
    embedding_cache: Path | None = Field(default=None, description="SQLite file caching sentence vectors "
                                         "between processes; None keeps them in memory only.")
    defaults: PairThresholds = Field(default_factory=PairThresholds, description="Thresholds for every pair "
                                     "that neither `pairs` nor the calibrated table names.")
    pairs: dict[str, PairThresholds] = Field(default_factory=dict, description='Per pair ("en-es") overrides.')

    @field_validator("pairs")
    @classmethod
    def _pair_keys(cls, values: dict[str, PairThresholds]) -> dict[str, PairThresholds]:
        for key in values:
            source, dash, target = key.partition("-")
            if not dash or not source or not target:
                raise ValueError(f"gate pair {key!r}: expected SOURCE-TARGET, e.g. en-es")
        return {key.lower(): value for key, value in values.items()}

    def thresholds(self, source: str, target: str) -> PairThresholds:
        """The limits for one pair, each field from the most specific level that sets it."""
        from translation.gate_defaults import CALIBRATED

        key = f"{source}-{target}"
        levels = [self.pairs.get(key), CALIBRATED.get(key), self.defaults, GENERIC]
        merged = {}
        for name in PairThresholds.model_fields:
            merged[name] = next((getattr(level, name) for level in levels
                                 if level is not None and getattr(level, name) is not None), None)
        return PairThresholds(**merged)
