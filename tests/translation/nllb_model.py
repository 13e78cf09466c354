"""Builds an NLLB-shaped CTranslate2 model offline in about a second: the copy model of
`argos_copy_model`, over a SentencePiece vocabulary whose user symbols are NLLB-200's language tokens.

It has what `translation.nllb` reads from a real `ct2-transformers-converter` output: model.bin,
config.json, shared_vocabulary.json and sentencepiece.bpe.model beside them. Its "translation" is a copy
of the input, so a test sees exactly what the engine's own code did around the model (sentence
splitting, the language tokens, batching, stripping the prefix, the length bound).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterable

from tests.translation.argos_copy_model import _vocabulary, build_copy_model, train_sentencepiece
from translation.flores import NLLB_CODES

# Left out of the fixture's vocabulary: pairs() must not offer them.
LEFT_OUT = ("zul_Latn", "yor_Latn")


def build_nllb_model(
    destination: Path, sentences: Iterable[str], never_end: bool = False, seed: int = 7
) -> Path:
    """A model directory at `destination`; `never_end` makes a model that never emits `</s>`."""
    scratch = destination.parent / f"{destination.name}-sp"
    scratch.mkdir(parents=True, exist_ok=True)
    symbols = [code for code in NLLB_CODES if code not in LEFT_OUT]
    sp_model = train_sentencepiece(sentences, scratch / "sp", vocab_size=1000, user_symbols=symbols)
    build_copy_model(destination, _vocabulary(sp_model), seed=seed, add_source_eos=False, never_end=never_end)
    shutil.copy(sp_model, destination / "sentencepiece.bpe.model")
    return destination
