"""The translation contract: what the relay, the chain and every backend agree on.

Batched and synchronous on purpose: engines are CPU-bound (CTranslate2) or talk to a pipe (Apertium), so
the relay calls them from a worker thread, and one call per language covers a whole broadcast.
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable


@runtime_checkable
class Translator(Protocol):
    """A translation engine, or anything that wraps one."""

    name: str

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Translate every text from `source` to `target` (ISO 639-1 codes); same length and order.

        Raises `UnknownLanguage`, `UnsupportedPair` or `ModelError` (all `TranslationError`).
        """

    def pairs(self) -> set[tuple[str, str]]:
        """The (source, target) pairs this translator can serve right now."""


@runtime_checkable
class VersionedTranslator(Translator, Protocol):
    """A backend that can name the exact engine and model version it would use for a pair.

    The name goes into translation-memory keys, so a new model version never serves stale text.
    """

    def engine_id(self, source: str, target: str) -> str:
        """E.g. "apertium/eng-spa" or "argos/en-es@1.0"; raises `UnsupportedPair` when not served."""


@runtime_checkable
class EngineReporting(Protocol):
    """What `MemoryTranslator` wraps: a chain (or a wrapper of one) that reports the engine it used."""

    name: str

    def engine_for(self, source: str, target: str) -> str:
        """The engine id that `translate_with_engine` would use for this pair, without translating."""

    def translate_with_engine(self, texts: Sequence[str], source: str, target: str) -> tuple[list[str], str]:
        """Translate and return the texts with the engine id that produced them."""

    def pairs(self) -> set[tuple[str, str]]:
        """The pairs served."""
