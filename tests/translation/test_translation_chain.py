"""The chain, the factory, the settings and the fallback note."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from translation.chain import ChainTranslator
from translation.config import TranslationSettings
from translation.errors import UnknownLanguage, UnsupportedPair
from translation.factory import build_protected, build_translator
from translation.fallback import untranslated_note


def test_preference_order_picks_the_engine_per_pair(apertium, argos_home) -> None:
    chain = ChainTranslator([apertium, argos_home.translator])
    assert chain.translate_with_engine(["The road is closed."], "en", "es") == (
        ["La carretera está cerrada."], "apertium/eng-spa"
    )
    assert chain.translate_with_engine(["The road is closed."], "en", "fr") == (
        ["The road is closed."], "argos/en-fr@1.0"
    )
    reversed_chain = ChainTranslator([argos_home.translator, apertium])
    assert reversed_chain.engine_for("en", "es") == "argos/en-es@1.0"
    assert reversed_chain.engine_for("es", "en") == "apertium/spa-eng"  # argos has no es -> en
    assert chain.translate_with_engine(["Hola"], "ES", "es") == (["Hola"], "identity")


def test_errors_say_what_is_wrong(apertium) -> None:
    chain = ChainTranslator([apertium])
    with pytest.raises(UnknownLanguage, match="unknown language code 'english'"):
        chain.translate(["Hi"], "english", "es")
    with pytest.raises(UnsupportedPair, match="no translation engine for en -> sw"):
        chain.translate(["Hi"], "en", "sw")


def test_factory_builds_what_exists_and_reports_the_rest(argos_home, tmp_path: Path) -> None:
    settings = TranslationSettings(apertium_modes_dir=tmp_path / "no-modes", argos_package_dir=argos_home.package_dir)
    chain = build_translator(settings)
    assert [b.name for b in chain.backends] == ["argos"]
    assert "no Apertium pair modes" in chain.unavailable["apertium"]
    full = build_translator(TranslationSettings(argos_package_dir=argos_home.package_dir))
    assert [b.name for b in full.backends] == ["apertium", "argos"] and not full.unavailable
    protected = build_protected(TranslationSettings(engines=["apertium"]))
    (out,) = protected.translate(["Call 911 at 10:00 am."], "en", "es")
    assert "911" in out and "10:00 am" in out


def test_settings_validate_codes_and_document_every_key() -> None:
    settings = TranslationSettings(languages=["EN", "es", "spa"], require_approval=["ar"])
    assert settings.languages == ["en", "es"] and settings.engines == ["apertium", "argos"]
    with pytest.raises(ValidationError, match="unknown language code 'zz'"):
        TranslationSettings(languages=["en", "zz"])
    with pytest.raises(ValidationError, match="engines"):
        TranslationSettings(engines=["apertium", "google"])
    with pytest.raises(ValidationError, match="Extra inputs"):
        TranslationSettings(glosary_dir="x")
    assert all(field.description for field in TranslationSettings.model_fields.values())


def test_untranslated_note() -> None:
    assert untranslated_note("es") == "No se pudo traducir esta alerta a su idioma; a continuación, el texto original."
    assert untranslated_note("EN").startswith("This alert could not be translated")
    assert untranslated_note("xx") is None
