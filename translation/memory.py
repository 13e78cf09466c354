"""Translation memory: a broadcast is translated once per distinct target language, never per recipient.

The key is (sha256 of the source text, source, target, engine id with its model version): a new model
or glossary version gets fresh translations, and bridged rooms reuse what a broadcast already paid for.
The relay keeps the real store in its database; `InMemoryStore` is the same contract for tests.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

from translation.chain import IDENTITY
from translation.contract import EngineReporting


@dataclass(frozen=True)
class MemoryKey:
    """What a stored translation is valid for."""

    text_hash: str
    source: str
    target: str
    engine: str

    @classmethod
    def of(cls, text: str, source: str, target: str, engine: str) -> "MemoryKey":
        return cls(hashlib.sha256(text.encode("utf-8")).hexdigest(), source, target, engine)


@runtime_checkable
class MemoryStore(Protocol):
    """Where translations live; the relay implements it on its database."""

    def get(self, key: MemoryKey) -> str | None:
        """The stored translation, or None."""

    def put(self, key: MemoryKey, text: str) -> None:
        """Store (or replace) a translation."""


class InMemoryStore:
    """A dict behind a lock: the `MemoryStore` contract without a database."""

    def __init__(self) -> None:
        self._data: dict[MemoryKey, str] = {}
        self._lock = threading.Lock()

    def get(self, key: MemoryKey) -> str | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: MemoryKey, text: str) -> None:
        with self._lock:
            self._data[key] = text

    def __len__(self) -> int:
        return len(self._data)


class MemoryTranslator:
    """Serve from memory; call the engine once per batch of texts it has not seen (`engine_calls` counts).

    Misses for one pair are serialised, so two workers translating the same alert at once still cost one
    engine call.
    """

    name = "memory"

    def __init__(self, inner: EngineReporting, store: MemoryStore) -> None:
        self.inner = inner
        self.store = store
        self.engine_calls = 0
        self.memory_hits = 0  # texts served from the store (with engine_calls: the hit ratio in /metrics)
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def pairs(self) -> set[tuple[str, str]]:
        return self.inner.pairs()

    def engine_for(self, source: str, target: str) -> str:
        return self.inner.engine_for(source, target)

    def _pair_lock(self, source: str, target: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault((source, target), threading.Lock())

    def translate_with_engine(self, texts: Sequence[str], source: str, target: str) -> tuple[list[str], str]:
        engine = self.inner.engine_for(source, target)
        if engine.split(";", 1)[0] == IDENTITY:  # same language: the original, free, nothing to remember
            return list(texts), engine
        keys = [MemoryKey.of(text, source, target, engine) for text in texts]
        with self._pair_lock(source, target):
            results = [self.store.get(key) for key in keys]
            self.memory_hits += sum(result is not None for result in results)
            missing: dict[str, MemoryKey] = {}
            for text, key, result in zip(texts, keys, results):
                if result is None:
                    missing.setdefault(text, key)
            if missing:
                translated, used = self.inner.translate_with_engine(list(missing), source, target)
                self.engine_calls += 1
                fresh = dict(zip(missing, translated))
                for text, key in missing.items():
                    self.store.put(MemoryKey(key.text_hash, key.source, key.target, used), fresh[text])
                results = [r if r is not None else fresh[t] for t, r in zip(texts, results)]
        return [r for r in results if r is not None], engine

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        return self.translate_with_engine(texts, source, target)[0]
