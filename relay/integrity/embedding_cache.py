"""A disk cache of sentence vectors for the offline jobs (training the rumour model, the benchmark).

Why: embedding the real data sets takes minutes on this machine (about 9 ms a text), and the training
script, its test and the benchmark embed the same tweets again and again. Vectors are keyed by the model
id, the kind (query or passage) and the text, so a new model never reuses an old model's vectors. The
live relay does not use this: claims keep their vectors in the database.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal, Sequence

import numpy as np

from translation.embeddings import SentenceEmbedder

Kind = Literal["query", "passage"]


def _key(model_id: str, kind: Kind, text: str) -> str:
    return hashlib.sha1(f"{model_id}\n{kind}\n{text}".encode("utf-8")).hexdigest()


def embed_cached(embedder: SentenceEmbedder, texts: Sequence[str], kind: Kind, cache_dir: Path | None) -> np.ndarray:
    """(len(texts), dimension) vectors; those not in `cache_dir` are embedded in one batch and added."""
    texts = list(texts)
    if cache_dir is None:
        run = embedder.embed_queries if kind == "query" else embedder.embed_passages
        return run(texts)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{hashlib.sha1(embedder.model_id.encode()).hexdigest()[:12]}-{kind}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as stored:
            known = dict(zip(stored["keys"].tolist(), stored["vectors"]))
    keys = [_key(embedder.model_id, kind, t) for t in texts]
    missing = list(dict.fromkeys(k for k in keys if k not in known))
    if missing:
        by_key = dict(zip(keys, texts))
        run = embedder.embed_queries if kind == "query" else embedder.embed_passages
        fresh = run([by_key[k] for k in missing])
        known.update(zip(missing, fresh))
        np.savez(path, keys=np.array(list(known)), vectors=np.stack(list(known.values())).astype(np.float32))
    if not keys:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32)
