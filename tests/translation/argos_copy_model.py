"""Builds a real, installable `.argosmodel` offline in about two seconds, without any training.

Why a hand-made model: the tests must drive argostranslate's real path (package install, sentence
splitting, SentencePiece, CTranslate2 decoding) with no internet and no gigabyte download. The model is a
one-layer CTranslate2 Transformer whose weights are set by hand so that decoder step *t* attends to
encoder position *t* and emits the token found there: it copies its input. Output quality does not
matter; everything argos does around the model is real.

How the copy works (d_model = K + P + K):
- dims [0, K): the source token's code (a random unit vector per vocabulary entry);
- dims [K, K+P): the position's code (learned position encodings, random unit vectors);
- dims [K+P, d): the copied token's code, written by the cross-attention.
Queries and keys read only position codes, so attention is sharp on the same position; values carry the
source token's code into the last block, and the output projection scores every vocabulary entry against
it. The source gets `</s>` appended (`add_source_eos`), so copying position len(source) ends the output.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable

import numpy as np

TOKEN_DIMS = 64
POSITION_DIMS = 96
MAX_POSITIONS = 1100  # ctranslate2 truncates inputs at 1024 tokens by default
ATTENTION_GAIN = 3.0
OUTPUT_GAIN = 12.0


def _unit_codes(rng: np.random.Generator, count: int, dims: int) -> np.ndarray:
    """Zero-mean unit vectors: zero mean keeps every layer norm a constant rescaling."""
    codes = rng.standard_normal((count, dims))
    codes -= codes.mean(axis=1, keepdims=True)
    codes /= np.linalg.norm(codes, axis=1, keepdims=True)
    return codes.astype(np.float32)


def _layer_norm(spec, dims: int) -> None:
    spec.gamma = np.ones(dims, dtype=np.float32)
    spec.beta = np.zeros(dims, dtype=np.float32)


def _linear(spec, weight: np.ndarray) -> None:
    spec.weight = weight.astype(np.float32)
    spec.bias = np.zeros(weight.shape[0], dtype=np.float32)


def _zero_ffn(ffn, dims: int) -> None:
    _layer_norm(ffn.layer_norm, dims)
    _linear(ffn.linear_0, np.zeros((4, dims)))
    _linear(ffn.linear_1, np.zeros((dims, 4)))


def build_copy_model(
    output_dir: Path, vocabulary: list[str], seed: int = 7, add_source_eos: bool = True, never_end: bool = False
) -> None:
    """Write a CTranslate2 model directory that copies its (tokenised) input to its output.

    `add_source_eos=False` for callers that add `</s>` themselves (NLLB's input format); `never_end` forbids
    `</s>` in the output, a model that runs on until the caller's length bound stops it.
    """
    import ctranslate2

    rng = np.random.default_rng(seed)
    k, p = TOKEN_DIMS, POSITION_DIMS
    d = k + p + k
    tokens = _unit_codes(rng, len(vocabulary), k)
    positions = _unit_codes(rng, MAX_POSITIONS, p)

    spec = ctranslate2.specs.TransformerSpec.from_config(1, 1)
    enc, dec = spec.encoder, spec.decoder
    enc.scale_embeddings = False
    dec.scale_embeddings = False

    src_embed = np.zeros((len(vocabulary), d), dtype=np.float32)
    src_embed[:, :k] = tokens
    enc.embeddings[0].weight = src_embed
    pos = np.zeros((MAX_POSITIONS, d), dtype=np.float32)
    pos[:, k : k + p] = positions
    enc.position_encodings.encodings = pos
    dec.position_encodings.encodings = pos.copy()
    dec.embeddings.weight = np.zeros((len(vocabulary), d), dtype=np.float32)

    # The encoder layer does nothing: zero attention and feed-forward outputs leave the residual as is.
    layer = enc.layer[0]
    _layer_norm(layer.self_attention.layer_norm, d)
    _linear(layer.self_attention.linear[0], np.zeros((3 * d, d)))
    _linear(layer.self_attention.linear[1], np.zeros((d, d)))
    _zero_ffn(layer.ffn, d)
    _layer_norm(enc.layer_norm, d)

    layer = dec.layer[0]
    _layer_norm(layer.self_attention.layer_norm, d)
    _linear(layer.self_attention.linear[0], np.zeros((3 * d, d)))
    _linear(layer.self_attention.linear[1], np.zeros((d, d)))
    _layer_norm(layer.attention.layer_norm, d)
    query = np.zeros((d, d))
    query[k : k + p, k : k + p] = np.eye(p) * ATTENTION_GAIN
    key_value = np.zeros((2 * d, d))
    key_value[k : k + p, k : k + p] = np.eye(p) * ATTENTION_GAIN  # keys: position codes
    key_value[d : d + k, :k] = np.eye(k)  # values: source token codes
    out = np.zeros((d, d))
    out[k + p :, :k] = np.eye(k)
    _linear(layer.attention.linear[0], query)
    _linear(layer.attention.linear[1], key_value)
    _linear(layer.attention.linear[2], out)
    _zero_ffn(layer.ffn, d)
    _layer_norm(dec.layer_norm, d)

    projection = np.zeros((len(vocabulary), d), dtype=np.float32)
    projection[:, k + p :] = tokens * OUTPUT_GAIN
    _linear(dec.projection, projection)
    if never_end:
        bias = np.zeros(len(vocabulary), dtype=np.float32)
        bias[vocabulary.index("</s>")] = -1e4
        dec.projection.bias = bias

    spec.config.add_source_eos = add_source_eos
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    spec.optimize(quantization="float32")
    output_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(output_dir))


def train_sentencepiece(
    sentences: Iterable[str], model_prefix: Path, vocab_size: int = 600, user_symbols: Iterable[str] = ()
) -> Path:
    """A small SentencePiece model; byte fallback makes every character encodable and exact.
    `user_symbols` become single pieces (NLLB's language tokens such as `hat_Latn`)."""
    import sentencepiece as spm

    corpus = model_prefix.with_suffix(".txt")
    corpus.write_text("\n".join(s.replace("\n", " ") for s in sentences), encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(model_prefix),
        vocab_size=vocab_size,
        byte_fallback=True,
        hard_vocab_limit=False,
        character_coverage=1.0,
        minloglevel=2,
        user_defined_symbols=list(user_symbols),
    )
    return model_prefix.with_suffix(".model")


def _vocabulary(sp_model: Path) -> list[str]:
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_file=str(sp_model))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def build_model_dir(scratch: Path, sentences: Iterable[str]) -> Path:
    """The language-independent part of a package: tokenizer, copy model and sentence splitter."""
    import spacy

    root = scratch / "payload"
    root.mkdir(parents=True)
    sp_model = train_sentencepiece(sentences, scratch / "sp")
    shutil.copy(sp_model, root / "sentencepiece.model")
    build_copy_model(root / "model", _vocabulary(sp_model))
    spacy.blank("en").to_disk(root / "spacy")
    (root / "README.md").write_text("A hand-made copy model for tests; it translates nothing.\n")
    return root


def package_model_dir(
    payload: Path, destination: Path, from_code: str, to_code: str, package_version: str = "1.0"
) -> Path:
    """Zip `payload` as `<destination>/translate-<from>_<to>.argosmodel` with its metadata.json."""
    top = f"translate-{from_code}_{to_code}-copy"
    metadata = {
        "package_version": package_version,
        "argos_version": "1.9",
        "type": "translate",
        "from_code": from_code,
        "from_name": from_code,
        "to_code": to_code,
        "to_name": to_code,
        "links": [],
    }
    destination.mkdir(parents=True, exist_ok=True)
    archive = destination / f"translate-{from_code}_{to_code}.argosmodel"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}/metadata.json", json.dumps(metadata, indent=2))
        for path in sorted(payload.rglob("*")):
            if path.is_file():
                zf.write(path, f"{top}/{path.relative_to(payload).as_posix()}")
    return archive


def build_argos_packages(
    destination: Path, pairs: Iterable[tuple[str, str]], sentences: Iterable[str]
) -> dict[tuple[str, str], Path]:
    """One copy model, packaged once per pair (about two seconds in all)."""
    with tempfile.TemporaryDirectory() as scratch:
        payload = build_model_dir(Path(scratch), sentences)
        return {pair: package_model_dir(payload, destination, *pair) for pair in pairs}
