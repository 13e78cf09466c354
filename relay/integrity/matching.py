"""Which known claim a message says, from three signals: MinHash + rapidfuzz on the text in the pivot
language (and as written), and the cosine of the message's multilingual vector with every claim's.

Why three: MinHash is exact about near-duplicates and forwarded copies with typos, pivot translation
brings the languages an engine serves to the claims' language, and the embedding finds re-tellings in
any of about 100 languages without an engine for the pair (Creole, Swahili, Chinese ...), but it cannot
tell "the water is poisoned" from "the water is safe" as well as it tells topics apart. Where two
signals name the same claim their evidence adds up (noisy-or); otherwise the stronger one decides.

E5 cosines sit in a narrow band (unrelated crisis messages at 0.75-0.85), and some messages are close
to every claim on their topic. What decides is the cosine plus how far it stands out: `cosine +
embedding_margin_weight * (cosine - runner_up)`, the runner-up being the closest other claim (not a
copy of the same claim in another language). That "evidence" is mapped onto the score bands by two
calibrated values per language: from
`embedding_warn_threshold` a match puts the message in the warn band, from `embedding_threshold` in
the hold band (bench/misinfo_eval.py calibrates them on the dev data as a whole). A message at least as
close to a claim's correction as to the claim is that correction being forwarded: never a match. A claim
whose verdict is `true` never counts: the message says something known to be true.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from relay.integrity import text as texts
from relay.integrity.embeddings import EmbeddingIndex, Nearest
from relay.integrity.index import ClaimIndex, Match

if TYPE_CHECKING:
    from relay.integrity.language_means import Shift
    from relay.integrity.settings import IntegritySettings


@dataclass(frozen=True)
class Cosines:
    """The warn and hold cosines for one message language."""

    warn: float
    hold: float


def cosines_for(language: str | None, cfg: "IntegritySettings") -> Cosines:
    hold = cfg.embedding_thresholds.get(language or "", cfg.embedding_threshold)
    gap = cfg.embedding_threshold - cfg.embedding_warn_threshold
    return Cosines(max(0.0, hold - gap), hold)


def embedding_score(cosine: float, bands: Cosines, cfg: "IntegritySettings") -> float:
    """The cosine placed on the score scale: the warn cosine lands on warn_threshold, the hold cosine
    on hold_threshold, linear between and above (1.0 at the hold evidence + 0.1)."""
    if cosine >= bands.hold:
        return cfg.hold_threshold + (1.0 - cfg.hold_threshold) * min(1.0, (cosine - bands.hold) / 0.1)
    span = max(1e-6, bands.hold - bands.warn)
    return cfg.warn_threshold + (cfg.hold_threshold - cfg.warn_threshold) * (cosine - bands.warn) / span


def by_minhash(claims: ClaimIndex, normalised: str, cfg: "IntegritySettings") -> Match | None:
    best = claims.best(normalised, texts.minhash(normalised, cfg.num_perm), cfg.match_threshold)
    if best is not None and claims.verdicts.get(best.claim_id) == "true":
        return None  # a known true claim is no sign of anything
    return best


def by_embedding(claims: ClaimIndex, vectors: EmbeddingIndex, query: np.ndarray, language: str | None,
                 cfg: "IntegritySettings", shift: "Shift | None" = None) -> tuple[Match | None, Nearest | None]:
    """(the match, if the closest eligible claim reaches the warn cosine; the closest claim at all).
    With `shift` (language_means.py) the message is compared as moved towards the pivot language."""
    nearest = vectors.nearest(query, same=cfg.embedding_threshold, shift=shift)
    if not nearest:
        return None, None
    bands = cosines_for(language, cfg)
    for found in nearest:
        evidence = found.cosine + cfg.embedding_margin_weight * max(0.0, found.cosine - found.runner_up)
        if evidence < bands.warn:
            continue
        if found.correction_cosine >= found.cosine:
            continue  # it reads like the correction: a forwarded correction is no rumour
        if claims.verdicts.get(found.claim_id) == "true":
            return None, nearest[0]  # closest to something known to be true
        return Match(found.claim_id, round(found.shown, 4), "embedding",
                     round(min(1.0, embedding_score(evidence, bands, cfg)), 4)), nearest[0]
    return None, nearest[0]


def combine(minhash: Match | None, embedding: Match | None) -> Match | None:
    """One match from the two stages: noisy-or when they agree on the claim, else the stronger."""
    if minhash is None or embedding is None:
        return minhash or embedding
    if minhash.claim_id == embedding.claim_id:
        joined = 1.0 - (1.0 - minhash.weight) * (1.0 - embedding.weight)
        return Match(minhash.claim_id, max(minhash.similarity, embedding.similarity), "minhash+embedding",
                     round(min(1.0, joined), 4))
    return minhash if minhash.weight >= embedding.weight else embedding
