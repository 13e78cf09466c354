"""The one place that imports CTranslate2 and SentencePiece (argos loads its own copies through argostranslate).

The NLLB engine, the argos package check and the sentence-embedding encoder (`translation/e5_ctranslate.py`)
need them; here their exceptions become `ModelError`s
with the path and the library's own reason, so nothing past this module sees a CTranslate2 exception.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from translation.errors import ModelError


def missing(modules: tuple[str, ...] = ("ctranslate2", "sentencepiece")) -> str | None:
    """Why CTranslate2 models cannot be used here, or None; imports nothing."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'relay[nllb]')"
    return None


def load_translator(model_dir: Path, device: str = "cpu", compute_type: str = "default",
                    inter_threads: int = 1, intra_threads: int = 0) -> Any:
    """A `ctranslate2.Translator`, or a `ModelError` saying why the directory cannot be loaded."""
    import ctranslate2

    try:
        return ctranslate2.Translator(str(model_dir), device=device, compute_type=compute_type,
                                      inter_threads=inter_threads, intra_threads=intra_threads)
    except Exception as exc:  # corrupt model.bin, unknown compute type, no CUDA device
        raise ModelError(f"the CTranslate2 model cannot be loaded: {exc}") from exc


def load_tokenizer(path: Path) -> Any:
    """A `sentencepiece.SentencePieceProcessor`, or a `ModelError` when the file is not a SentencePiece model."""
    import sentencepiece

    try:
        return sentencepiece.SentencePieceProcessor(model_file=str(path))
    except Exception as exc:
        raise ModelError(f"{path.name} is corrupt: {exc}") from exc


@dataclass(frozen=True)
class EncoderLayer:
    """One post-norm (BERT-style) encoder layer's weights, as (out, in) matrices and their biases."""

    qkv: tuple[np.ndarray, np.ndarray]  # the query, key and value projections stacked: (3·hidden, hidden)
    attention_out: tuple[np.ndarray, np.ndarray]
    attention_norm: tuple[np.ndarray, np.ndarray]  # (gamma, beta)
    ffn_in: tuple[np.ndarray, np.ndarray]
    ffn_out: tuple[np.ndarray, np.ndarray]
    ffn_norm: tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class EncoderWeights:
    """A BERT/XLM-R encoder with GELU, learned positions (position 0 first) and one token type used."""

    heads: int
    epsilon: float
    words: np.ndarray
    token_type: np.ndarray
    positions: np.ndarray
    embedding_norm: tuple[np.ndarray, np.ndarray]
    layers: list[EncoderLayer]
    vocabulary: list[str]
    unknown: str


def save_encoder(weights: EncoderWeights, out_dir: Path, quantization: str = "int8") -> None:
    """Write `weights` as a CTranslate2 encoder model (the layout its Transformers converter gives BERT)."""
    from ctranslate2.specs import common_spec, transformer_spec

    encoder = transformer_spec.TransformerEncoderSpec(
        len(weights.layers), weights.heads, pre_norm=False, activation=common_spec.Activation.GELU,
        layernorm_embedding=True, num_source_embeddings=2, embeddings_merge=common_spec.EmbeddingsMerge.ADD)
    spec = transformer_spec.TransformerEncoderModelSpec(encoder, pooling_layer=False)
    spec.encoder.scale_embeddings = False
    spec.encoder.embeddings[0].weight = weights.words
    spec.encoder.embeddings[1].weight = weights.token_type
    spec.encoder.position_encodings.encodings = weights.positions
    _norm(spec.encoder.layernorm_embedding, weights.embedding_norm)
    for target, layer in zip(spec.encoder.layer, weights.layers):
        _linear(target.self_attention.linear[0], layer.qkv)
        _linear(target.self_attention.linear[1], layer.attention_out)
        _norm(target.self_attention.layer_norm, layer.attention_norm)
        _linear(target.ffn.linear_0, layer.ffn_in)
        _linear(target.ffn.linear_1, layer.ffn_out)
        _norm(target.ffn.layer_norm, layer.ffn_norm)
    spec.register_vocabulary(weights.vocabulary)
    spec.config.unk_token = weights.unknown
    spec.config.layer_norm_epsilon = weights.epsilon
    try:
        spec.validate()
        spec.optimize(quantization=quantization)
        out_dir.mkdir(parents=True, exist_ok=True)
        spec.save(str(out_dir))
    except Exception as exc:
        raise ModelError(f"the encoder could not be written to {out_dir}: {exc}") from exc


def _linear(spec: Any, weight_bias: tuple[np.ndarray, np.ndarray]) -> None:
    spec.weight, spec.bias = weight_bias


def _norm(spec: Any, gamma_beta: tuple[np.ndarray, np.ndarray]) -> None:
    spec.gamma, spec.beta = gamma_beta


def load_encoder(model_dir: Path, compute_type: str = "int8", intra_threads: int = 1) -> Any:
    """A `ctranslate2.Encoder`, or a `ModelError` saying why the directory cannot be loaded."""
    import ctranslate2

    try:
        return ctranslate2.Encoder(str(model_dir), device="cpu", compute_type=compute_type,
                                   intra_threads=intra_threads)
    except Exception as exc:
        raise ModelError(f"the CTranslate2 encoder cannot be loaded: {exc}") from exc


def encode(encoder: Any, ids: list[list[int]]) -> np.ndarray:
    """The last hidden states, (batch, longest, hidden), of token id rows (shorter rows are padded)."""
    output = encoder.forward_batch(ids, token_type_ids=[[0] * len(row) for row in ids])
    return np.asarray(output.last_hidden_state)
