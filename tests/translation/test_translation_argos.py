"""The argos backend on real `.argosmodel` packages built by the fixture and installed with argos's API."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from translation.argos import ArgosTranslator
from translation.errors import ModelError, UnknownLanguage, UnsupportedPair


def test_installed_packages_and_english_pivot_are_listed(argos_home) -> None:
    pairs = argos_home.translator.pairs()
    assert {("en", "es"), ("en", "fr"), ("fr", "en")} <= pairs
    assert ("fr", "es") in pairs  # fr -> en -> es
    assert ("es", "fr") not in pairs  # no es -> en package
    assert argos_home.translator.engine_id("en", "es") == "argos/en-es@1.0"
    assert argos_home.translator.engine_id("fr", "es") == "argos/fr-en@1.0+en-es@1.0"


def test_translates_through_the_real_argos_path(argos_home) -> None:
    texts = ["Floods in the valley. Move to higher ground now!", "Second alert:\nshelters are open.", ""]
    # The copy model returns its input: what comes back went through argos's sentence splitter,
    # SentencePiece, CTranslate2 beam search and detokenizer for real.
    assert argos_home.translator.translate(texts, "en", "es") == texts
    assert argos_home.translator.translate(["Bonjour à tous, évacuez."], "fr", "es") == ["Bonjour à tous, évacuez."]


def test_argos_decoder_turns_underscores_into_spaces(argos_home) -> None:
    # Why protection exists: a raw token with "_" does not survive argos, a placeholder does.
    (out,) = argos_home.translator.translate(["Use code flood_alert_2 or ZQ0X now."], "en", "fr")
    assert out == "Use code flood alert 2 or ZQ0X now."


def test_missing_pair_and_unknown_code(argos_home) -> None:
    with pytest.raises(UnsupportedPair, match="es -> fr"):
        argos_home.translator.translate(["Hola"], "es", "fr")
    with pytest.raises(UnknownLanguage, match="'klingon'"):
        argos_home.translator.translate(["Hola"], "klingon", "en")


def test_install_refuses_a_file_that_is_not_a_zip(argos_home, tmp_path: Path) -> None:
    bogus = tmp_path / "translate-en_it.argosmodel"
    bogus.write_bytes(b"this is not a model")
    with pytest.raises(ModelError, match="not a zip archive"):
        argos_home.translator.install(bogus)


def test_install_refuses_a_package_without_metadata(argos_home, tmp_path: Path) -> None:
    bogus = tmp_path / "translate-en_it.argosmodel"
    with zipfile.ZipFile(bogus, "w") as zf:
        zf.writestr("translate-en_it/model/model.bin", b"\0" * 64)
    with pytest.raises(ModelError, match="metadata.json is missing"):
        argos_home.translator.install(bogus)


def test_install_refuses_a_corrupt_model_and_installs_nothing(argos_home, extra_archive, tmp_path: Path) -> None:
    good = extra_archive("en", "it")
    corrupt = tmp_path / "translate-en_it-corrupt.argosmodel"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(corrupt, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[: len(data) // 3] if item.filename.endswith("model.bin") else data)
    with pytest.raises(ModelError, match="CTranslate2 model cannot be loaded"):
        argos_home.translator.install(corrupt)
    assert ("en", "it") not in ArgosTranslator(argos_home.package_dir).pairs()
    assert not any("en_it" in p.name for p in argos_home.package_dir.iterdir())


def test_a_second_package_dir_in_one_process_is_refused(argos_home, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="already loaded with package dir"):
        ArgosTranslator(tmp_path / "elsewhere").pairs()
