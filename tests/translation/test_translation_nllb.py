"""The NLLB-200 engine end to end on a fixture model: real CTranslate2, real SentencePiece, our code around them.

The fixture model copies its input, so every assertion is about what `translation.nllb` does: language
tokens in, prefix out, sentences split and put back, batches, the length bound, ids and pairs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.translation.conftest import training_sentences
from tests.translation.nllb_model import LEFT_OUT, build_nllb_model
from translation import nllb
from translation.config import NllbSettings, TranslationSettings
from translation.errors import ModelError, UnknownLanguage, UnsupportedPair
from translation.factory import build_protected, build_translator
from translation.nllb import NllbTranslator, missing_reason, split_sentences


@pytest.fixture(scope="session")
def nllb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_nllb_model(tmp_path_factory.mktemp("nllb") / "nllb-200-fixture", training_sentences())


@pytest.fixture(scope="session")
def runaway_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_nllb_model(tmp_path_factory.mktemp("nllb") / "nllb-runaway", training_sentences(), never_end=True)


def engine(model_dir: Path, **options) -> NllbTranslator:
    return NllbTranslator(NllbSettings(model_dir=model_dir, beam_size=1, **options))


def test_translates_through_the_real_model_and_strips_the_language_prefix(nllb_dir: Path) -> None:
    texts = [
        "Floods in the valley. Move to higher ground now!\nShelters are open at the school.",
        "",
        "   ",
        "Kanpe yo louvri nan lekòl la.",
    ]
    out = engine(nllb_dir).translate(texts, "en", "ht")
    assert out == texts  # the copy model: any language token, </s> or lost separator would show here
    assert not any("hat_Latn" in text or "eng_Latn" in text for text in out)


def test_sentences_are_split_and_batched(nllb_dir: Path) -> None:
    assert split_sentences("One. Two!  Three?\nFour") == ["One.", " ", "Two!", "  ", "Three?", "\n", "Four"]
    assert split_sentences("Evacuate now。Go north") == ["Evacuate now。Go north"]  # no blank after 。
    translator = engine(nllb_dir, max_batch=2)
    texts = ["First. Second. Third.", "Fourth one here. Fifth and last."]
    assert translator.translate(texts, "en", "sw") == texts
    assert translator.batches == 3  # five sentences, two per batch


def test_output_is_bounded_relative_to_the_input(runaway_dir: Path) -> None:
    translator = engine(runaway_dir, max_length_ratio=1.5, max_length_extra=2)
    (out,) = translator.translate(["Move to higher ground now."], "en", "so")
    tokens = nllb._load(translator.settings).tokenizer.encode("Move to higher ground now.", out_type=str)
    produced = nllb._load(translator.settings).tokenizer.encode(out, out_type=str)
    assert out != "Move to higher ground now."  # the model really ran on past the end
    assert len(produced) <= int(len(tokens) * 1.5) + 2 + 1


def test_pairs_come_from_the_vocabulary(nllb_dir: Path) -> None:
    translator = engine(nllb_dir)
    languages = translator.languages()
    assert len(languages) == 202 - len(LEFT_OUT)
    assert {"en", "ht", "sw", "so", "ha", "ar", "fa", "ps", "zh", "zt", "pt", "ff", "ace", "ks-deva"} <= languages
    assert "zu" not in languages and "yo" not in languages
    assert ("ht", "sw") in translator.pairs() and ("en", "en") not in translator.pairs()
    assert len(translator.pairs()) == len(languages) * (len(languages) - 1)
    with pytest.raises(UnsupportedPair, match="no translation engine for en -> zu"):
        translator.translate(["Hello"], "en", "zu")
    with pytest.raises(UnknownLanguage, match="'klingon'"):
        translator.translate(["Hello"], "klingon", "en")


def test_engine_id_names_the_model_and_changes_with_it(nllb_dir: Path, tmp_path: Path) -> None:
    first = engine(nllb_dir).engine_id("en", "ht")
    assert first.startswith("nllb/nllb-200-fixture@")
    assert engine(nllb_dir).engine_id("es", "so") == first  # one id per model
    other = build_nllb_model(tmp_path / "nllb-200-fixture", ["A different corpus entirely."] * 50, seed=11)
    assert engine(other).engine_id("en", "ht") != first


def test_loaded_once_per_process_and_lazily(nllb_dir: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(nllb_dir, tmp_path / "lazy-copy")
    before = nllb.loaded_models()
    first, second = engine(copy), engine(copy)
    first.pairs(), first.engine_id("en", "ht")
    assert nllb.loaded_models() == before  # listing pairs and naming the engine load nothing
    first.translate(["One."], "en", "ht"), second.translate(["Two."], "en", "ha")
    assert nllb.loaded_models() == before + 1
    assert nllb._load(first.settings) is nllb._load(second.settings)


def test_missing_or_broken_models_are_reported(tmp_path: Path, nllb_dir: Path) -> None:
    assert "model_dir is not set" in missing_reason(NllbSettings())
    assert "no CTranslate2 model.bin" in missing_reason(NllbSettings(model_dir=tmp_path / "nowhere"))
    broken = shutil.copytree(nllb_dir, tmp_path / "broken")
    (broken / "model.bin").write_bytes((broken / "model.bin").read_bytes()[:200])
    with pytest.raises(ModelError, match="cannot be loaded"):
        engine(broken).translate(["Hello."], "en", "ht")
    (broken / "sentencepiece.bpe.model").unlink()
    assert "no SentencePiece model" in missing_reason(NllbSettings(model_dir=broken))


def test_the_factory_builds_it_and_protection_survives(nllb_dir: Path) -> None:
    settings = TranslationSettings(engines=["apertium", "nllb"], nllb={"model_dir": nllb_dir, "beam_size": 1})
    chain = build_translator(settings)
    assert [b.name for b in chain.backends] == ["apertium", "nllb"]
    assert chain.engine_for("en", "es") == "apertium/eng-spa"  # configured order: Apertium first
    assert chain.engine_for("en", "ht").startswith("nllb/nllb-200-fixture@")
    (out,), used = build_protected(settings).translate_with_engine(
        ["Call +1 212 555 0100 before 10:00 pm. Shelter: https://ex.org/s?a=1"], "en", "ht")
    assert out == "Call +1 212 555 0100 before 10:00 pm. Shelter: https://ex.org/s?a=1"
    assert used.startswith("nllb/")
    off = build_translator(TranslationSettings(engines=["nllb"]))
    assert not off.backends and "model_dir is not set" in off.unavailable["nllb"]


def test_one_map_between_our_codes_and_flores() -> None:
    from translation.flores import NLLB_CODES, TO_FLORES, from_flores, to_flores

    expected = {"ht": "hat_Latn", "sw": "swh_Latn", "so": "som_Latn", "ha": "hau_Latn", "ar": "arb_Arab",
                "fa": "pes_Arab", "ps": "pbt_Arab", "zh": "zho_Hans", "pt": "por_Latn", "en": "eng_Latn",
                "es": "spa_Latn", "fr": "fra_Latn", "zt": "zho_Hant", "ks-deva": "kas_Deva"}
    assert {code: to_flores(code) for code in expected} == expected
    assert len(NLLB_CODES) == len(set(NLLB_CODES)) == len(TO_FLORES) == 202  # every NLLB language, once
    assert all(to_flores(from_flores(flores)) == flores for flores in NLLB_CODES)
    assert to_flores("tlh") is None


def test_a_broken_ranking_file_is_reported_not_fatal(tmp_path: Path) -> None:
    ranking = tmp_path / "ranking.json"
    ranking.write_text("{not json")
    chain = build_translator(TranslationSettings(engines=["apertium"], ranking_file=ranking))
    assert chain.engine_for("en", "es") == "apertium/eng-spa"
    assert "not readable JSON" in chain.unavailable["ranking_file"]
