"""`translate` and `translation list|install` through typer's CliRunner on a Typer app of our own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.translation.conftest import translation_cli
from translation.config import TranslationSettings


@pytest.fixture
def cli(argos_home):
    return translation_cli(TranslationSettings(argos_package_dir=argos_home.package_dir, languages=["en", "es", "fr"]))


def test_translate_with_apertium_keeps_protected_tokens(cli) -> None:
    result = cli("translate", "The shelter on Staten Island opens at 10:00 am, call 911.", "--to", "es", "--from", "en")
    assert result.exit_code == 0, result.output
    assert "Staten Island" in result.stdout and "10:00 am" in result.stdout and "911" in result.stdout
    assert "refugio" in result.stdout
    assert "engine: apertium/eng-spa" in result.stderr


def test_translate_detects_the_source_language(cli) -> None:
    result = cli("translate", "El agua sube rápido en el valle y las carreteras están cerradas", "--to", "en")
    assert result.exit_code == 0, result.output
    assert "from: es (detected" in result.stderr
    assert "water" in result.stdout.lower()


def test_translate_errors_are_clear(cli) -> None:
    result = cli("translate", "Hello there", "--to", "qq", "--from", "en")
    assert result.exit_code == 1
    assert "error: unknown language code 'qq'" in result.stderr
    result = cli("translate", "Hello there", "--to", "ja", "--from", "en")
    assert result.exit_code == 1 and "no translation engine for en -> ja" in result.stderr


def listed_routes(cli) -> dict[tuple[str, str], dict]:
    result = cli("translation", "list", "--json")
    assert result.exit_code == 0, result.output
    return {(row["source"], row["target"]): row for row in json.loads(result.stdout)["pairs"]}


def test_list_and_install(cli, extra_archive, tmp_path: Path) -> None:
    listed = cli("translation", "list")
    assert listed.exit_code == 0, listed.output
    assert "apertium/eng-spa" in listed.stdout and "argos/en-fr@1.0" in listed.stdout
    routes = listed_routes(cli)
    assert routes[("fr", "de")]["engine"] == "argos/fr-en@1.0+en-de@1.0"  # argos's own English pivot
    assert routes[("en", "es")]["engine"] == "apertium/eng-spa"  # won by Apertium ...
    assert routes[("en", "es")]["engines"] == ["apertium", "argos"]  # ... which argos also serves
    bogus = tmp_path / "broken.argosmodel"
    bogus.write_bytes(b"PK\x03\x04 truncated")
    failed = cli("translation", "install", str(bogus))
    assert failed.exit_code == 1 and "broken.argosmodel" in failed.stderr and "error:" in failed.stderr
    installed = cli("translation", "install", str(extra_archive("en", "nl")))
    assert installed.exit_code == 0, installed.output
    assert "installed argos package en -> nl" in installed.stdout
    assert listed_routes(cli)[("en", "nl")]["engine"] == "argos/en-nl@1.0"
