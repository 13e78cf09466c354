"""The chain: per pair, the first backend in the configured preference order that serves it.

Apertium first by default: where a rule-based pair exists it is fast, deterministic and keeps
placeholders structurally; argos covers everything else. The chain reports which engine (and model
version) it used, so translation memory never mixes outputs of different engines.
"""

from __future__ import annotations

from typing import Sequence

from translation.contract import Translator
from translation.errors import UnsupportedPair
from translation.languages import normalize

IDENTITY = "identity"


class ChainTranslator:
    """A `Translator` over several backends; `unavailable` lists engines the factory could not build."""

    name = "chain"

    def __init__(self, backends: Sequence[Translator], unavailable: dict[str, str] | None = None) -> None:
        self.backends = list(backends)
        self.unavailable = dict(unavailable or {})

    def pairs(self) -> set[tuple[str, str]]:
        result: set[tuple[str, str]] = set()
        for backend in self.backends:
            result |= backend.pairs()
        return result

    def routes(self) -> dict[tuple[str, str], Translator]:
        """Every served pair and the backend that wins it (for `relay translation list`)."""
        table: dict[tuple[str, str], Translator] = {}
        for backend in self.backends:
            for pair in backend.pairs():
                table.setdefault(pair, backend)
        return table

    def _codes(self) -> set[str]:
        return {code for pair in self.pairs() for code in pair}

    def normalize_pair(self, source: str, target: str) -> tuple[str, str]:
        """Canonical codes, or `UnknownLanguage` for a code no table and no engine knows."""
        codes = self._codes()
        return normalize(source, codes), normalize(target, codes)

    def backend_for(self, source: str, target: str) -> Translator:
        """The winning backend, or `UnknownLanguage` / `UnsupportedPair` saying why there is none."""
        source, target = self.normalize_pair(source, target)
        for backend in self.backends:
            if (source, target) in backend.pairs():
                return backend
        raise UnsupportedPair(source, target, self.pairs())

    def engine_for(self, source: str, target: str) -> str:
        source, target = self.normalize_pair(source, target)
        if source == target:
            return IDENTITY
        backend = self.backend_for(source, target)
        engine_id = getattr(backend, "engine_id", None)
        return engine_id(source, target) if callable(engine_id) else backend.name

    def translate_with_engine(self, texts: Sequence[str], source: str, target: str) -> tuple[list[str], str]:
        source, target = self.normalize_pair(source, target)
        engine = self.engine_for(source, target)
        if engine == IDENTITY:
            return list(texts), engine
        backend = self.backend_for(source, target)
        return backend.translate(texts, source, target), engine

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        return self.translate_with_engine(texts, source, target)[0]
