"""The one place that imports CTranslate2 and SentencePiece (argos loads its own copies through argostranslate).

Both the NLLB engine and the argos package check need them; here their exceptions become `ModelError`s
with the path and the library's own reason, so nothing past this module sees a CTranslate2 exception.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from translation.errors import ModelError


def missing() -> str | None:
    """Why CTranslate2 models cannot be used here, or None; imports nothing."""
    for module in ("ctranslate2", "sentencepiece"):
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
