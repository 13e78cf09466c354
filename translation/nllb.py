"""NLLB-200 on CTranslate2 + SentencePiece: one model, 202 languages, the ones no other engine here serves.

The model is a directory made by `ct2-transformers-converter --model facebook/nllb-200-distilled-600M
--quantization int8 --copy_files sentencepiece.bpe.model`. NLLB's input is `[source token] + pieces +
</s>`; the target language is forced as the first output token (`target_prefix`) and stripped again.
Text is split into sentences first (NLLB was trained on sentences: a whole paragraph in one input drops
clauses), sentences of similar length are batched together, and every output is bounded to a multiple
of its input length so a model that starts repeating itself cannot send a runaway text.

The model is loaded lazily (the first translation) and once per process, however many translators are
built for the same settings; `pairs()` and `engine_id()` read only small files and never load it.
CTranslate2 and SentencePiece themselves are imported only in `translation/ctranslate.py`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from dataclasses import dataclass
from itertools import permutations
from pathlib import Path
from typing import Any, Sequence

from translation import ctranslate
from translation.config import NllbSettings
from translation.errors import ModelError, UnsupportedPair
from translation.flores import NLLB_CODES, from_flores, to_flores
from translation.languages import normalize

TOKENIZER_NAMES = ("sentencepiece.bpe.model", "sentencepiece.model")
_VOCABULARY_NAMES = ("shared_vocabulary", "target_vocabulary")
# A sentence ends at terminal punctuation (Latin, CJK, Arabic, Devanagari, Ethiopic, ellipsis), closing
# quotes or brackets after it, then blanks; a line break always ends one. The separators are kept.
_SPLIT = re.compile(r"(\s*\n\s*|(?<=[.!?。！？؟۔।॥።…])[\"'”’»)\]]*\s+)")

_LOAD_LOCK = threading.Lock()
_LOADED: dict[tuple, "_Model"] = {}


def missing_reason(settings: NllbSettings) -> str | None:
    """Why the NLLB engine cannot run with these settings, or None; checks files, loads nothing."""
    if (reason := ctranslate.missing()) is not None:
        return reason
    if settings.model_dir is None:
        return "[translation.nllb] model_dir is not set"
    model_dir = Path(settings.model_dir)
    if not (model_dir / "model.bin").is_file():
        return f"{model_dir}: no CTranslate2 model.bin (convert with ct2-transformers-converter)"
    if _tokenizer_path(settings) is None:
        return f"{model_dir}: no SentencePiece model ({' or '.join(TOKENIZER_NAMES)}; or set tokenizer)"
    return None


def _tokenizer_path(settings: NllbSettings) -> Path | None:
    if settings.tokenizer is not None:
        return Path(settings.tokenizer) if Path(settings.tokenizer).is_file() else None
    for name in TOKENIZER_NAMES:
        if settings.model_dir is not None and (Path(settings.model_dir) / name).is_file():
            return Path(settings.model_dir) / name
    return None


def read_vocabulary(model_dir: Path) -> set[str]:
    """The target tokens of a CTranslate2 model directory (JSON list, or one token a line in older ones)."""
    for stem in _VOCABULARY_NAMES:
        as_json, as_text = model_dir / f"{stem}.json", model_dir / f"{stem}.txt"
        try:
            if as_json.is_file():
                return set(json.loads(as_json.read_text(encoding="utf-8")))
            if as_text.is_file():
                return set(as_text.read_text(encoding="utf-8").splitlines())
        except (OSError, ValueError) as exc:
            raise ModelError(f"nllb: cannot read the vocabulary {as_json.name} in {model_dir}: {exc}") from exc
    raise ModelError(f"nllb: {model_dir} has no shared_vocabulary.json (is it a CTranslate2 model?)")


def fingerprint(model_dir: Path) -> str:
    """A short id that changes when the model does: its config, size and first and last MiB of weights.
    (Hashing all 600 MB would cost seconds at every start; a different model never shares all of these.)"""
    digest = hashlib.sha256()
    weights = model_dir / "model.bin"
    size = weights.stat().st_size
    digest.update(str(size).encode())
    config = model_dir / "config.json"
    if config.is_file():
        digest.update(config.read_bytes())
    with weights.open("rb") as fh:
        digest.update(fh.read(1 << 20))
        fh.seek(max(0, size - (1 << 20)))
        digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:10]


@dataclass
class _Model:
    translator: Any  # ctranslate2.Translator
    tokenizer: Any  # sentencepiece.SentencePieceProcessor


def _load(settings: NllbSettings) -> _Model:
    """The process-wide model for these settings, loaded on first use."""
    model_dir = Path(settings.model_dir).resolve()  # type: ignore[arg-type]
    tokenizer = _tokenizer_path(settings)
    key = (model_dir, tokenizer, settings.device, settings.compute_type, settings.inter_threads,
           settings.intra_threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            reason = missing_reason(settings)
            if reason is not None:
                raise ModelError(f"nllb: {reason}")
            try:
                translator = ctranslate.load_translator(model_dir, settings.device, settings.compute_type,
                                                        settings.inter_threads, settings.intra_threads)
                processor = ctranslate.load_tokenizer(tokenizer)  # type: ignore[arg-type]
            except ModelError as exc:
                raise ModelError(f"nllb: {model_dir}: {exc}") from exc
            _LOADED[key] = _Model(translator, processor)
        return _LOADED[key]


def loaded_models() -> int:
    """How many NLLB models this process holds (one per model and device; for tests and /metrics)."""
    return len(_LOADED)


def split_sentences(text: str) -> list[str]:
    """Alternating [sentence, separator, sentence, ...]; joining the list gives the text back."""
    return _SPLIT.split(text)


class NllbTranslator:
    """The `Translator` contract over one NLLB-200 model; `batches` counts CTranslate2 calls."""

    name = "nllb"

    def __init__(self, settings: NllbSettings) -> None:
        if settings.model_dir is None:
            raise ModelError("nllb: [translation.nllb] model_dir is not set")
        self.settings = settings
        self.model_dir = Path(settings.model_dir)
        self.batches = 0
        self._pairs: set[tuple[str, str]] | None = None
        self._codes: set[str] = set()
        self._id: str | None = None

    def languages(self) -> set[str]:
        """Our codes of the languages whose NLLB token the model's vocabulary holds."""
        vocabulary = read_vocabulary(self.model_dir)
        return {code for flores in NLLB_CODES if flores in vocabulary and (code := from_flores(flores))}

    def pairs(self) -> set[tuple[str, str]]:
        if self._pairs is None:
            self._codes = self.languages()
            self._pairs = set(permutations(sorted(self._codes), 2))
        return self._pairs

    def engine_id(self, source: str, target: str) -> str:
        self._pair(source, target)
        if self._id is None:
            self._id = f"nllb/{self.model_dir.resolve().name[:32]}@{fingerprint(self.model_dir)}"
        return self._id

    def _pair(self, source: str, target: str) -> tuple[str, str]:
        pairs = self.pairs()
        source, target = normalize(source, self._codes), normalize(target, self._codes)
        if (source, target) not in pairs:
            raise UnsupportedPair(source, target, self.pairs())
        return source, target

    def _bound(self, length: int) -> int:
        return math.ceil(length * self.settings.max_length_ratio) + self.settings.max_length_extra

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        source, target = self._pair(source, target)
        source_token, target_token = to_flores(source), to_flores(target)
        model = _load(self.settings)
        pieces = [split_sentences(text) for text in texts]
        # Every sentence of every text (even positions hold sentences, odd ones separators).
        work = [(t, i) for t, parts in enumerate(pieces) for i in range(0, len(parts), 2) if parts[i].strip()]
        encoded = {key: model.tokenizer.encode(pieces[key[0]][key[1]].strip(), out_type=str) for key in work}
        work.sort(key=lambda key: len(encoded[key]))  # similar lengths together: little padding
        size = self.settings.max_batch
        for start in range(0, len(work), size):
            chunk = work[start : start + size]
            outputs = self._run(model, [[source_token, *encoded[k], "</s>"] for k in chunk], target_token)
            for key, tokens in zip(chunk, outputs):
                tokens = tokens[: self._bound(len(encoded[key]))]
                original = pieces[key[0]][key[1]]
                lead = original[: len(original) - len(original.lstrip())]
                trail = original[len(original.rstrip()) :]
                pieces[key[0]][key[1]] = lead + model.tokenizer.decode(tokens) + trail
        return ["".join(parts) for parts in pieces]

    def _run(self, model: _Model, batch: list[list[str]], target_token: str) -> list[list[str]]:
        longest = max(len(tokens) for tokens in batch) - 2  # without the language token and </s>
        try:
            results = model.translator.translate_batch(
                batch,
                target_prefix=[[target_token]] * len(batch),
                beam_size=self.settings.beam_size,
                max_batch_size=self.settings.max_batch,
                max_input_length=self.settings.max_input_tokens,
                max_decoding_length=self._bound(longest) + 1,  # + the target language token
            )
        except Exception as exc:  # ctranslate2 raises RuntimeError/ValueError with its own message
            raise ModelError(f"nllb: the model failed: {type(exc).__name__}: {exc}") from exc
        self.batches += 1
        outputs = []
        for result in results:
            tokens = list(result.hypotheses[0])
            if tokens and tokens[0] == target_token:
                tokens = tokens[1:]
            outputs.append([t for t in tokens if t != "</s>"])
        return outputs
