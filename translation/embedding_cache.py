"""A disk-backed cache in front of the shared sentence embedder.

The gate embeds every source and every machine text, and benchmarks embed thousands of the same
reference sentences run after run; multilingual-e5-small on a busy 2-core machine manages about ten a
second. Vectors depend only on (model, query|passage, text), so they are stored once in an SQLite file
(stdlib `sqlite3`, one row per vector) and read back on the next call or the next process.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from translation.embeddings import SentenceEmbedder


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CachedEmbedder:
    """A `SentenceEmbedder` that asks `inner` only for texts it has not embedded before."""

    def __init__(self, inner: SentenceEmbedder, path: Path | None = None) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self._memory: dict[tuple[bool, str], np.ndarray] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, query INTEGER, hash TEXT, "
                             "vector BLOB, PRIMARY KEY (model, query, hash))")

    def _lookup(self, is_query: bool, keys: list[str]) -> None:
        wanted = [k for k in dict.fromkeys(keys) if (is_query, k) not in self._memory]
        if self._db is None or not wanted:
            return
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT hash, vector FROM vectors WHERE model = ? AND query = ? AND hash IN ({marks})",
                [self.model_id, int(is_query), *chunk])
            for key, blob in rows:
                self._memory[(is_query, key)] = np.frombuffer(blob, dtype=np.float32)

    def _run(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = list(texts)
        keys = [_key(t) for t in texts]
        with self._lock:
            self._lookup(is_query, keys)
            missing = {k: t for k, t in zip(keys, texts) if (is_query, k) not in self._memory}
            if missing:
                fresh = (self.inner.embed_queries if is_query else self.inner.embed_passages)(list(missing.values()))
                for key, vector in zip(missing, fresh):
                    self._memory[(is_query, key)] = np.asarray(vector, dtype=np.float32)
                if self._db is not None:
                    with self._db:
                        self._db.executemany(
                            "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
                            [(self.model_id, int(is_query), k, self._memory[(is_query, k)].tobytes())
                             for k in missing])
            if not texts:
                return np.zeros((0, self.dimension), dtype=np.float32)
            return np.vstack([self._memory[(is_query, k)] for k in keys])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, False)
