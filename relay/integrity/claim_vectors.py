"""Claim vectors between the database and a process's `EmbeddingIndex`: made when a claim is added, loaded
when a process starts, made anew when the configured model changed (`relay claims reembed` stores them).

Kept apart from `embeddings.py` (pure numpy) so that the matrix can be benchmarked and tested without a
database, and apart from `claims.py` so that adding claims stays readable.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from relay.integrity.embeddings import EmbeddingIndex, from_bytes, to_bytes
from relay.integrity.models import Claim
from translation.embeddings import SentenceEmbedder

log = logging.getLogger("relay.integrity")

CHUNK = 2_000  # rows read (and texts embedded) at a time, so that 100,000 claims never sit in one list twice


def embed_claims(model: SentenceEmbedder, texts: Sequence[str]) -> np.ndarray:
    """A claim's vector: the mean of its E5 "passage" and "query" vectors, normalised.

    Why both: a claim is looked up (E5's passage side), but it is also a short statement much like the
    message that re-tells it (the query side). Measured on the dev data (bench/misinfo_eval.py): passage
    vectors alone match the written 360-message set best and the Chinese re-tellings of CrossFake worst,
    query vectors the other way round; the mean is close to the best of both on each.
    """
    texts = list(texts)
    if not texts:
        return np.zeros((0, model.dimension), dtype=np.float32)
    mixed = model.embed_passages(texts) + model.embed_queries(texts)
    return (mixed / np.maximum(np.linalg.norm(mixed, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def embed_messages(model: SentenceEmbedder, texts: Sequence[str]) -> np.ndarray:
    """A message looks for a claim: E5 "query" vectors."""
    return model.embed_queries(list(texts))


def fill(claim: Claim, model: SentenceEmbedder, vector: np.ndarray | None = None) -> None:
    """Set a new (or stale) claim's vectors; `vector` when the caller embedded a batch already."""
    if vector is None:
        vector = embed_claims(model, [claim.text])[0]
    claim.embedding = to_bytes(vector)
    claim.correction_embedding = to_bytes(embed_claims(model, [claim.correction])[0]) if claim.correction else None
    claim.embedding_model = model.model_id


def sync(index: EmbeddingIndex, session: Session, live: set[int], model: SentenceEmbedder) -> None:
    """Make `index` hold exactly the `live` claims: drop retired ones, load or embed the new ones."""
    known = set(index.ids)
    if known - live:
        index.clear()
        known = set()
    new = sorted(live - known)
    if not new:
        return
    stale = 0
    ids: list[int] = []
    blocks: list[np.ndarray] = []  # one block per chunk, stacked once at the end: no copy of the matrix per chunk
    for start in range(0, len(new), CHUNK):
        wanted = new[start:start + CHUNK]
        rows = session.execute(select(
            Claim.id, Claim.text, Claim.correction, Claim.embedding, Claim.correction_embedding,
            Claim.embedding_model).where(Claim.id >= wanted[0], Claim.id <= wanted[-1])).all()
        ready, todo = [], []  # one pass (a `row not in ready` test here was quadratic: minutes at 100,000)
        for row in rows:
            if row.id not in live or row.id in known:
                continue
            vector = from_bytes(row.embedding, model.dimension) if row.embedding_model == model.model_id else None
            if vector is None:
                todo.append(row)
            else:
                ready.append((row, vector))
                correction = from_bytes(row.correction_embedding, model.dimension)
                if correction is not None:
                    index.corrections[row.id] = correction
        if ready:
            ids += [row.id for row, _ in ready]
            blocks.append(np.stack([vector for _, vector in ready]))
        if todo:  # made in memory now; `relay claims reembed` stores them
            stale += len(todo)
            ids += [row.id for row in todo]
            blocks.append(embed_claims(model, [row.text for row in todo]))
        with_correction = [row for row in todo if row.correction]
        if with_correction:
            for row, vector in zip(with_correction, embed_claims(model, [r.correction for r in with_correction])):
                index.corrections[row.id] = vector
    if ids:
        index.add_many(ids, np.vstack(blocks))
    if stale:
        log.warning("%d claims had no vector from %s; embedded in memory (store them: relay claims reembed)",
                    stale, model.model_id)


def reembed(session: Session, model: SentenceEmbedder, *, everything: bool = False) -> int:
    """Store vectors from `model` for the claims that have none from it (all claims with `everything`)."""
    query = select(Claim.id, Claim.text, Claim.correction)
    if not everything:
        query = query.where((Claim.embedding_model.is_(None)) | (Claim.embedding_model != model.model_id))
    rows = session.execute(query.order_by(Claim.id)).all()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        vectors = embed_claims(model, [row.text for row in chunk])
        for row, vector in zip(chunk, vectors):
            correction = to_bytes(embed_claims(model, [row.correction])[0]) if row.correction else None
            session.execute(update(Claim).where(Claim.id == row.id).values(
                embedding=to_bytes(vector), correction_embedding=correction, embedding_model=model.model_id))
    return len(rows)
