"""The in-memory claim index: MinHash LSH (datasketch) for candidates, rapidfuzz to re-rank them.

The claims live in the database; each process keeps an index of them and brings it up to date before a
query with one cheap question answered from indexes alone (the highest claim id, from the primary key, and
the number of retired claims, from the (retired, id) index: both cost the same at 10 or 100,000 claims;
counting the live claims cost 8 ms a message at 100,000): new claims are added incrementally, a retired
one makes the index rebuild. On PostgreSQL two imports may commit out of id order, so the full count is
still compared every `RECOUNT_SECONDS`. Signatures are stored with the claims, so a
rebuild does not rehash text. LSH alone finds about 8 in 10 mutated duplicates at 64 permutations; the
re-ranker on its few candidates decides, instead of a fuzzy scan of every claim (tens of ms at 10,000).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relay.integrity import text as texts

if TYPE_CHECKING:
    from datasketch import MinHash
from relay.integrity.models import Claim


SHORTLIST = 12  # LSH candidates the re-ranker looks at, best estimated Jaccard first
RECOUNT_SECONDS = 10.0  # how often the live claims are counted in full (a claim committed out of id order)


@dataclass(frozen=True)
class Match:
    claim_id: int
    similarity: float  # 0..1: the re-ranker's (minhash) or the cosine (embedding)
    stage: str  # minhash | embedding | minhash+embedding
    score: float | None = None  # what the match adds to the message's score (None: the similarity)

    @property
    def weight(self) -> float:
        return self.similarity if self.score is None else self.score


def similarity(message: str, claim: str) -> float:
    """How much `message` says `claim`, 0..1 (normalised texts). token_set_ratio forgives a claim wrapped
    in chatter ("pls read: <claim> !!!"), but it also scores 100 for any fragment whose words all occur in
    the claim ("food for people"), so it only counts for a message about as long as the claim or longer."""
    if not message or not claim:
        return 0.0
    score = max(fuzz.ratio(message, claim), fuzz.token_sort_ratio(message, claim))
    if len(message) >= 0.7 * len(claim):
        score = max(score, 0.9 * fuzz.token_set_ratio(message, claim))
    return score / 100.0


def _signatures(rows, num_perm: int):
    """(row, its MinHash) for claim rows: the stored signature where it can be trusted, else rehashed.

    The first row is hashed afresh and compared with its stored value: equal, the stored values of this
    load were made by the same scheme (datasketch 1 and 2 differ) and are used as they are (2-3 ms a claim
    saved); different, every row is rehashed, as a signature of another scheme would match nothing."""
    trusted: bool | None = None
    for row in rows:
        pivot, signature = row[1], row[3]
        stored = None
        if trusted is not False:
            try:
                stored = texts.from_bytes(signature, num_perm)
            except ValueError:
                stored = None
        if trusted and stored is not None:
            yield row, stored
            continue
        fresh = texts.minhash(pivot, num_perm)
        if trusted is None:
            trusted = stored is not None and np.array_equal(stored.hashvalues, fresh.hashvalues)
        yield row, fresh


class ClaimIndex:
    def __init__(self, num_perm: int, threshold: float) -> None:
        self.num_perm, self.threshold = num_perm, threshold
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        from datasketch import MinHashLSH  # imports scipy: only where an index is built (see texts.scheme)

        self.lsh = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)
        self.pivots: dict[int, str] = {}
        self.verdicts: dict[int, str] = {}
        self.corrections: dict[int, str] = {}  # the correction, normalised, in the pivot language
        self.languages: dict[int, str] = {}
        self._max_id, self._count, self._retired = 0, 0, 0
        self._counted = time.monotonic()
        self._row: dict[int, int] = {}  # claim id -> row of its signature in `_matrix`
        self._pending: list[np.ndarray] = []
        self._matrix = np.zeros((0, self.num_perm), dtype=np.uint64)

    def __len__(self) -> int:
        return len(self.pivots)

    @property
    def version(self) -> tuple[int, int, int]:
        """Changes whenever a claim is added or retired (what the vector index follows)."""
        return self._max_id, self._count, self._retired

    def add(self, claim_id: int, pivot_text: str, verdict: str, signature: MinHash,
            correction: str | None = None, language: str = "") -> None:
        self.lsh.insert(claim_id, signature, check_duplication=False)
        self._row[claim_id] = len(self._row)
        self._pending.append(np.asarray(signature.hashvalues, dtype=np.uint64))
        self.pivots[claim_id] = pivot_text
        self.verdicts[claim_id] = verdict
        self.languages[claim_id] = language
        if correction:
            self.corrections[claim_id] = correction
        self._max_id = max(self._max_id, claim_id)
        self._count += 1

    def sync(self, session: Session) -> None:
        """Bring the index up to date with the claims table."""
        newest = select(func.max(Claim.id)).scalar_subquery()
        retired = select(func.count()).select_from(Claim).where(Claim.retired == True).scalar_subquery()  # noqa: E712
        max_id, retired_count = session.execute(select(newest, retired)).one()
        max_id, retired_count = max_id or 0, retired_count or 0
        recount = time.monotonic() - self._counted >= RECOUNT_SECONDS
        with self._lock:
            if max_id == self._max_id and retired_count == self._retired and not recount:
                return
            live = Claim.retired.is_(False)
            if recount:
                self._counted = time.monotonic()
                count = session.scalar(select(func.count()).select_from(Claim).where(live, Claim.id <= self._max_id))
                if count != self._count:  # a claim below our newest id arrived late (or vanished)
                    retired_count = -1
            rows = select(Claim.id, Claim.pivot_text, Claim.verdict, Claim.signature,
                          Claim.correction_pivot, Claim.language).where(live)
            if retired_count == self._retired:
                rows = rows.where(Claim.id > self._max_id)  # only additions since the last sync
            else:
                self._reset()
                retired_count = session.scalar(select(func.count()).select_from(Claim).where(Claim.retired == True))  # noqa: E712
            found = session.execute(rows.order_by(Claim.id))
            for (claim_id, pivot, verdict, _, correction, language), hashed in _signatures(found, self.num_perm):
                self.add(claim_id, pivot, verdict, hashed, correction, language)
            self._max_id = max(self._max_id, max_id)
            self._retired = retired_count or 0

    def candidates(self, signature: MinHash) -> list[int]:
        return list(self.lsh.query(signature))

    def _signatures(self) -> np.ndarray:
        if self._pending:
            self._matrix = np.vstack([self._matrix, np.stack(self._pending)])
            self._pending = []
        return self._matrix

    def shortlist(self, signature: MinHash, limit: int = SHORTLIST) -> list[int]:
        """The LSH candidates with the highest estimated Jaccard similarity (one vectorised comparison of
        signatures), so that the re-ranker's cost does not grow with the candidate count."""
        found = self.candidates(signature)
        if len(found) <= limit:
            return found
        rows = np.fromiter((self._row[c] for c in found), dtype=np.int64, count=len(found))
        estimate = (self._signatures()[rows] == np.asarray(signature.hashvalues, dtype=np.uint64)).mean(axis=1)
        top = np.argpartition(-estimate, limit - 1)[:limit]
        return [found[i] for i in top]

    def best(self, normalised: str, signature: MinHash, match_threshold: float) -> Match | None:
        """The most similar claim among the LSH shortlist, if it reaches `match_threshold` and the message
        does not read like that claim's correction."""
        with self._lock:  # database threads share the index; datasketch's LSH is not thread-safe
            return self._best(normalised, signature, match_threshold)

    def _best(self, normalised: str, signature: MinHash, match_threshold: float) -> Match | None:
        best: Match | None = None
        for claim_id in self.shortlist(signature):
            score = similarity(normalised, self.pivots[claim_id])
            if score < match_threshold or (best is not None and score <= best.similarity):
                continue
            if similarity(normalised, self.corrections.get(claim_id, "")) >= score:
                continue  # it says what the correction says (a forwarded correction is no rumour)
            best = Match(claim_id, score, "minhash")
        return best
