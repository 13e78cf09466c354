"""The rumour signal: how much a message reads like a breaking-news rumour nobody has catalogued yet.

A logistic regression over the message's multilingual-e5 vector and the manipulation signs, trained on
the PHEME crisis events (`rumour_train.py`) and shipped as plain numbers in `rumour_model.json`, so the
relay scores it with numpy (scikit-learn is needed only to train). Trained on English tweets, it reads
other languages through the multilingual vector; it is a hint for readers, never proof: a message it
flags is relayed with the caution line (the warn band), never held on its strength alone.

The model belongs to the embedding model it was trained with: with another embedder configured its
vectors mean nothing to it, so it is switched off (and says so) rather than guessing; `relay claims
train-rumour` makes one for the configured model, named by `integrity.rumour_model_path`.

Beside the message's own words it reads one number from its stream (`stream.py`): the share of the
stream's recent messages that tell nearly the same story. A message screened on its own (the `claims check`
command, a stream's first messages) gets share 0, the value a stream without history has in training too.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from relay.integrity import signs

log = logging.getLogger("relay.integrity")

SHIPPED = Path(__file__).with_name("rumour_model.json")
SIGN_FEATURES = ("forward_to_everyone", "urgency", "official", "question")
STREAM_FEATURES = ("stream_similar_share",)
EXTRA_FEATURES = SIGN_FEATURES + STREAM_FEATURES
RETRAIN = "train one for it: relay claims train-rumour --out FILE, then set integrity.rumour_model_path = FILE"


def sign_features(normalised: str) -> np.ndarray:
    """The signs that survive normalisation (links and punctuation are gone in the training text)."""
    found = {s.reason for s in signs.text_signs("", normalised, [])}
    words = normalised.split()
    asks = bool(words) and words[0] in {"is", "are", "did", "does", "was", "has", "have", "could", "can"}
    return np.array([float("forward_to_everyone" in found), float("urgency" in found),
                     float(signs.claims_official(normalised)), float(asks)], dtype=np.float32)


def features(vectors: np.ndarray, normalised: list[str], shares: np.ndarray | None = None) -> np.ndarray:
    """One row per message: its vector, the sign features, then its stream's similar share (0 if none)."""
    extra = np.stack([sign_features(t) for t in normalised]) if normalised else np.zeros((0, len(SIGN_FEATURES)))
    shares = np.zeros(len(normalised)) if shares is None else np.asarray(shares, dtype=np.float64)
    return np.hstack([np.asarray(vectors, dtype=np.float32), extra.astype(np.float32),
                      shares.reshape(-1, 1).astype(np.float32)])


@dataclass(frozen=True)
class RumourModel:
    weights: np.ndarray
    bias: float
    model_id: str  # the embedding model whose vectors it reads
    meta: dict
    extra_features: tuple[str, ...] = EXTRA_FEATURES  # what follows the vector in a row, in order

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(np.asarray(rows, dtype=np.float64) @ self.weights + self.bias)))

    def to_json(self) -> dict:
        return {"model_id": self.model_id, "bias": self.bias, "weights": [round(float(w), 7) for w in self.weights],
                "features": ["embedding"] * (len(self.weights) - len(self.extra_features)) + list(self.extra_features),
                "meta": self.meta}

    @classmethod
    def from_json(cls, data: dict) -> "RumourModel":
        extra = [name for name in data.get("features", []) if name != "embedding"]
        return cls(np.asarray(data["weights"], dtype=np.float64), float(data["bias"]), str(data["model_id"]),
                   dict(data.get("meta", {})), tuple(extra))


_lock = threading.Lock()
_loaded: dict[tuple[Path, str], RumourModel | None] = {}


def load(model_id: str, path: Path = SHIPPED) -> RumourModel | None:
    """The shipped model if it was trained on `model_id`'s vectors; None (logged once) otherwise."""
    key = (path, model_id)
    with _lock:
        if key not in _loaded:
            model = None
            try:
                model = RumourModel.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError) as exc:
                log.warning("rumour signal off: cannot read %s (%s)", path, exc)
            if model is not None and model.extra_features != EXTRA_FEATURES:
                log.warning("rumour signal off: %s reads features %s, this relay computes %s (%s)", path,
                            model.extra_features, EXTRA_FEATURES, RETRAIN)
                model = None
            if model is not None and model.model_id != model_id:
                log.warning("rumour signal off: %s was trained on %s vectors, the relay embeds with %s (%s)",
                            path, model.model_id, model_id, RETRAIN)
                model = None
            _loaded[key] = model
        return _loaded[key]
