"""Claim matching by meaning, in any language: every claim's vector (multilingual-e5, through the relay's
one embedding module `translation/embeddings.py`) in one contiguous float32 matrix, compared with a
message's vector in one matrix-vector product.

Why no ANN index: at 100,000 claims the product is ~38 M multiply-adds, a few milliseconds on one core
(bench/misinfo_eval.py measures it beside the rest of the screening), exact, and it needs no rebuild
when a claim is retired. Vectors are stored with the claims (and the id of the model that made them), so a
process loads them instead of embedding again; a claim whose vector is missing or from another model is
embedded when the index syncs.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from translation.embeddings import EmbedderConfig, SentenceEmbedder, load_embedder
from translation.embeddings import missing_reason as _missing

if TYPE_CHECKING:
    from relay.integrity.language_means import Shift
    from relay.integrity.settings import IntegritySettings

log = logging.getLogger("relay.integrity")

TOP = 8  # claims re-checked (correction, verdict) per message, best cosine first
# The runner-up of a claim with no rival among the top (a catalogue of a few claims): the typical cosine of
# unrelated crisis text with a claim (median of the written set's negatives, bench/misinfo_eval.py).
NO_RIVAL = 0.84


def config_of(cfg: "IntegritySettings") -> EmbedderConfig:
    path = Path(cfg.embedding_model_path) if cfg.embedding_model_path else None
    return EmbedderConfig(kind=cfg.embedding_model, path=path, threads=cfg.embedding_threads,
                          engine=cfg.embedding_engine)


def embedder(cfg: "IntegritySettings") -> SentenceEmbedder | None:
    """The shared model when embeddings are on and it can load here, else None (MinHash still runs)."""
    if not cfg.embeddings:
        return None
    return load_embedder(config_of(cfg))


def missing_reason(cfg: "IntegritySettings") -> str | None:
    """Why claim matching by meaning is off here, or None when it runs."""
    if not cfg.embeddings:
        return "embedding stage off (integrity.embeddings = false)"
    return _missing(config_of(cfg))


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes | None, dimension: int) -> np.ndarray | None:
    if not data:
        return None
    vector = np.frombuffer(data, dtype=np.float32)
    return vector if vector.shape[0] == dimension else None


@dataclass(frozen=True)
class Nearest:
    """One claim close to a message: its id, the cosine with the claim and with its correction, and the
    best cosine of any other claim that is not a near-copy of this one (its runner-up). With a language
    shift (language_means.py) these three are the shifted message's cosines and `raw` is the plain one
    (what is shown)."""

    claim_id: int
    cosine: float
    correction_cosine: float
    runner_up: float
    raw: float | None = None

    @property
    def shown(self) -> float:
        return self.cosine if self.raw is None else self.raw


class EmbeddingIndex:
    """Claim vectors, one row per claim (rows follow `ids`), plus correction vectors where there is one."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self.ids: list[int] = []
        self.matrix = np.zeros((0, dimension), dtype=np.float32)
        self._row: dict[int, int] = {}
        self._pending: list[np.ndarray] = []
        self.corrections: dict[int, np.ndarray] = {}
        self._products: dict[bytes, np.ndarray] = {}  # matrix @ a language offset, until the matrix changes
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def clear(self) -> None:
        with self._lock:
            self.ids, self._row, self._pending, self.corrections = [], {}, [], {}
            self.matrix = np.zeros((0, self.dimension), dtype=np.float32)
            self._products = {}

    def add(self, claim_id: int, vector: np.ndarray, correction: np.ndarray | None = None) -> None:
        with self._lock:
            self._row[claim_id] = len(self.ids)
            self.ids.append(claim_id)
            self._pending.append(np.asarray(vector, dtype=np.float32))
            if correction is not None:
                self.corrections[claim_id] = np.asarray(correction, dtype=np.float32)

    def add_many(self, claim_ids: Sequence[int], vectors: np.ndarray) -> None:
        """Bulk load (a process start, the benchmark's 100,000 claims): one copy, no per-row lists."""
        with self._lock:
            self._flush()
            start = len(self.ids)
            self.ids.extend(claim_ids)
            self._row.update((cid, start + i) for i, cid in enumerate(claim_ids))
            self.matrix = np.ascontiguousarray(np.vstack([self.matrix, np.asarray(vectors, dtype=np.float32)]))
            self._products = {}

    def _flush(self) -> None:
        if self._pending:
            self.matrix = np.ascontiguousarray(np.vstack([self.matrix, np.stack(self._pending)]))
            self._pending = []
            self._products = {}

    def _shifted(self, raw: np.ndarray, query: np.ndarray, shift: "Shift") -> np.ndarray:
        """Every claim's cosine with the shifted message, (q + o)·c / |q + o|, from the raw product already
        made: the claims' product with the offset is kept until the matrix changes, so a shift costs one pass
        over one float per claim, not a second product with the matrix."""
        key = shift.offset.tobytes()
        if key not in self._products:
            self._products[key] = self.matrix @ shift.offset
        return (raw + self._products[key]) / max(float(np.linalg.norm(query + shift.offset)), 1e-12)

    def nearest(self, query: np.ndarray, top: int = TOP, same: float = 0.9,
                shift: "Shift | None" = None) -> list[Nearest]:
        """The `top` claims by cosine with `query` (a normalised message vector), best first; a claim's
        runner-up ignores claims whose own cosine with it reaches `same` (one claim stored in two
        languages is one claim, not a rival). With `shift`, ranked and compared as the shifted message."""
        with self._lock:
            self._flush()
            if not self.ids:
                return []
            query = np.asarray(query, dtype=np.float32)
            raw = self.matrix @ query
            scores = raw if shift is None else self._shifted(raw, query, shift)
            count = min(top, len(scores))
            rows = np.argpartition(-scores, count - 1)[:count]
            rows = rows[np.argsort(-scores[rows])]
            between = self.matrix[rows] @ self.matrix[rows].T
            found = []
            for i, row in enumerate(rows):
                claim_id = self.ids[int(row)]
                correction = self.corrections.get(claim_id)
                against = -1.0 if correction is None else _cosine(query, correction, shift)
                rivals = [float(scores[r]) for j, r in enumerate(rows) if j != i and between[i, j] < same]
                found.append(Nearest(claim_id, float(scores[row]), against, max(rivals, default=NO_RIVAL),
                                     None if shift is None else float(raw[row])))
            return found

    def memory_bytes(self) -> int:
        return int(self.matrix.nbytes + sum(v.nbytes for v in self.corrections.values()))


def _cosine(query: np.ndarray, other: np.ndarray, shift: "Shift | None") -> float:
    if shift is None:
        return float(other @ query)
    moved = query + shift.offset
    return float(other @ moved / max(float(np.linalg.norm(moved)), 1e-12))
