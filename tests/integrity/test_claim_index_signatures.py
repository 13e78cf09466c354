"""Stored MinHash signatures at index load: a catalogue stored by datasketch 1 (another hashing scheme than
datasketch 2's) still matches the messages that repeat its claims, because the index notices the scheme
changed and rehashes; a catalogue of this scheme is loaded as stored."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash

from relay.integrity import index
from relay.integrity import text as texts

CLAIMS = ["drinking bleach cures the virus", "the water in the river is poisoned do not drink it"]
MESSAGE = "drinking bleach cures the virus!! forward to everyone"


def _rows(signature_of):
    return [(i + 1, texts.normalise(c), "false", signature_of(texts.normalise(c)), None, "en")
            for i, c in enumerate(CLAIMS)]


def _legacy(normalised: str) -> bytes:
    signature = MinHash(num_perm=64, scheme="legacy")
    signature.update_batch(list(texts.shingles(normalised)))
    return texts.to_bytes(signature)


def _index(rows) -> index.ClaimIndex:
    found = index.ClaimIndex(64, 0.15)
    for (claim_id, pivot, verdict, _, correction, language), hashed in index._signatures(rows, 64):
        found.add(claim_id, pivot, verdict, hashed, correction, language)
    return found


@pytest.mark.skipif(texts.scheme() is None, reason="datasketch 1 here: one hashing scheme only")
def test_a_catalogue_hashed_by_the_old_scheme_still_matches():
    rows = _rows(_legacy)
    assert not np.array_equal(np.frombuffer(rows[0][3], dtype=np.uint64),
                              texts.minhash(rows[0][1], 64).hashvalues.astype(np.uint64))  # really another scheme
    message = texts.normalise(MESSAGE)
    found = _index(rows).best(message, texts.minhash(message, 64), 0.62)
    assert found is not None and found.claim_id == 1


def test_a_catalogue_of_this_scheme_is_loaded_as_stored_and_matches():
    rows = _rows(lambda normalised: texts.to_bytes(texts.minhash(normalised, 64)))
    loaded = list(index._signatures(rows, 64))
    for (row, hashed) in loaded:
        assert np.array_equal(np.asarray(hashed.hashvalues, dtype=np.uint64), np.frombuffer(row[3], dtype=np.uint64))
    message = texts.normalise(MESSAGE)
    found = _index(rows).best(message, texts.minhash(message, 64), 0.62)
    assert found is not None and found.claim_id == 1
    assert _index(rows).best("the clinic is open until six", texts.minhash("the clinic is open until six", 64), 0.62) is None
