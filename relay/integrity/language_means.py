"""Language shift: a message in a language far from the claims' is moved, before it is compared, by the
difference between the two languages' mean vectors.

Why: multilingual-e5 vectors carry a component that mostly says which language a text is in. A Chinese
re-telling of an English claim therefore sits almost as close to every English claim as to its own (right
claim top-1 for about 6 in 10 CrossFake re-tellings), in a narrow band of cosines. Adding (pivot language's
mean - message language's mean) to the message's vector removes most of that component (mean-shift
alignment; cf. Libovický et al. 2020, "On the language neutrality of pre-trained multilingual
representations"). The claims are not moved, so the scale of the cosines stays the plain one.

Centring both sides (message minus its mean, claims minus theirs) scored higher on CrossFake, but its
threshold did not carry to a catalogue on another topic: the means come from COVID news, and removing them
also removed "COVID" from a COVID catalogue (round 4 in docs/round-notes/misinformation.md). The shift
leaves topics alone.

The means are plain numbers in `language_means.json`, made from unlabelled text by `bench/misinfo_means.py`
with the embedding model they belong to; with another model configured they mean nothing, so nothing is
shifted (and the log says so). Only the message languages listed in `integrity.embedding_shifted` are
moved (their `embedding_thresholds` were calibrated with the shift); every other language is compared
exactly as before.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

import numpy as np

if TYPE_CHECKING:
    from relay.integrity.settings import IntegritySettings

log = logging.getLogger("relay.integrity")

SHIPPED = Path(__file__).with_name("language_means.json")


@dataclass(frozen=True)
class Shift:
    """How one message's vector is moved before it is compared: by `offset` = the pivot language's mean minus
    the message language's mean (the claims stay where they are)."""

    language: str
    offset: np.ndarray


@dataclass(frozen=True)
class LanguageMeans:
    means: dict[str, np.ndarray]
    model_id: str  # the embedding model whose vectors these average
    meta: dict

    def to_json(self) -> dict:
        return {"model_id": self.model_id, "meta": self.meta,
                "means": {lang: [round(float(x), 7) for x in mean] for lang, mean in sorted(self.means.items())}}

    @classmethod
    def from_json(cls, data: dict) -> "LanguageMeans":
        means = {lang: np.asarray(values, dtype=np.float32) for lang, values in data["means"].items()}
        return cls(means, data["model_id"], data.get("meta", {}))


def shifted(vectors: np.ndarray, shift: Shift) -> np.ndarray:
    """Rows moved by the shift's offset, normalised again (what `EmbeddingIndex.nearest` computes cheaply)."""
    moved = np.asarray(vectors, dtype=np.float32) + shift.offset
    return moved / np.maximum(np.linalg.norm(moved, axis=-1, keepdims=True), 1e-12)


def build(vectors_by_language: Mapping[str, np.ndarray], model_id: str = "", meta: dict | None = None) -> LanguageMeans:
    """The mean of unlabelled text vectors per language."""
    means = {lang: np.asarray(rows, dtype=np.float32).mean(axis=0) for lang, rows in vectors_by_language.items()}
    counts = {lang: int(len(rows)) for lang, rows in vectors_by_language.items()}
    return LanguageMeans(means, model_id, {**(meta or {}), "texts": counts})


_lock = threading.Lock()
_loaded: dict[Path, LanguageMeans | None] = {}
_warned: set[tuple[Path, str]] = set()


def load(path: Path = SHIPPED) -> LanguageMeans | None:
    with _lock:
        if path not in _loaded:
            try:
                _loaded[path] = LanguageMeans.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError) as error:
                log.warning("language means %s unreadable (%s): centring off", path, error)
                _loaded[path] = None
        return _loaded[path]


def for_message(language: str | None, cfg: "IntegritySettings", model_id: str) -> Shift | None:
    """The shift of a message in `language`, or None where it is compared as before (its language is not
    listed, a mean is missing, or the means belong to another embedding model)."""
    if not language or language not in cfg.embedding_shifted or language == cfg.pivot_language:
        return None
    path = Path(cfg.embedding_means_path) if cfg.embedding_means_path else SHIPPED
    means = load(path)
    if means is None:
        return None
    if means.model_id != model_id:
        if (path, model_id) not in _warned:
            _warned.add((path, model_id))
            log.warning("language means in %s were made with %s, not %s: no shift", path, means.model_id, model_id)
        return None
    message, claims = means.means.get(language), means.means.get(cfg.pivot_language)
    if message is None or claims is None:
        return None
    return Shift(language, (claims - message).astype(np.float32))
