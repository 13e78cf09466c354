"""Routes per pair: pivots through real Apertium (en -> es -> fr, en -> es -> pt), protection across both
hops, and the ranking that `relay translation rank` measures and the chain then honours."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from relay.app.translation_cli import register
from translation.chain import ChainTranslator
from translation.config import TranslationSettings
from translation.factory import build_protected, build_translator
from translation.memory import InMemoryStore, MemoryTranslator

DATA = Path(__file__).resolve().parents[1] / "data" / "translation"
MODES = Path("/usr/share/apertium/modes")
SENTENCE = "The road is closed. Call +1 202 555 0100 before 10:00 pm, see https://ex.org/a_b?x=1 or VERIFY K7P-2QX."
PROTECTED = ("+1 202 555 0100", "10:00 pm", "https://ex.org/a_b?x=1", "VERIFY K7P-2QX")


def needs_modes(*names: str) -> None:
    missing = [name for name in names if not (MODES / f"{name}.mode").is_file()]
    if missing:
        pytest.skip(f"Debian Apertium pair(s) {', '.join(missing)} not installed "
                    "(scripts/system-packages.d/apertium.sh installs apertium-fr-es and apertium-es-pt)")


@pytest.mark.parametrize(("target", "mode", "expected"), [
    ("fr", "es-fr", ("route", "fermée")),
    ("pt", "es-pt", ("estrada", "fechada")),
])
def test_english_to_french_and_portuguese_through_spanish(apertium, target, mode, expected) -> None:
    needs_modes("eng-spa", mode)
    chain = ChainTranslator([apertium], pivots=["en", "es"])
    assert (("en", target)) not in apertium.pairs()  # no direct Debian pair ...
    route = chain.route_for("en", target)
    assert route.pivot == "es" and route.label == "apertium+apertium via es"
    texts, engine = chain.translate_with_engine(["The road is closed."], "en", target)
    assert engine == f"apertium+apertium via es (apertium/eng-spa, apertium/{mode})"
    assert all(word in texts[0] for word in expected)
    assert ChainTranslator([apertium]).pairs() == apertium.pairs()  # no pivots configured: none used


def test_protected_tokens_survive_both_hops(apertium) -> None:
    needs_modes("eng-spa", "es-fr", "es-pt")
    protected = build_protected(TranslationSettings(engines=["apertium"]))
    for target in ("fr", "pt"):
        (out,), engine = protected.translate_with_engine([SENTENCE], "en", target)
        assert engine.startswith("apertium+apertium via es (")
        assert all(token in out for token in PROTECTED), out
        assert "ZQ" not in out  # every placeholder was restored, once


def test_the_pivot_route_is_what_memory_and_texts_record(apertium) -> None:
    needs_modes("eng-spa", "es-fr")
    memory = MemoryTranslator(build_protected(TranslationSettings(engines=["apertium"])), InMemoryStore())
    (first,), engine = memory.translate_with_engine(["Move to higher ground now."], "en", "fr")
    assert engine.split(";", 1)[0] == "apertium+apertium via es (apertium/eng-spa, apertium/es-fr)"
    assert len(engine) <= 100  # the engine column of broadcast texts and translation memory
    assert memory.translate_with_engine(["Move to higher ground now."], "en", "fr") == ([first], engine)
    assert memory.engine_calls == 1


def test_a_direct_engine_wins_over_a_pivot_and_the_order_decides_between_engines(apertium, argos_home) -> None:
    chain = ChainTranslator([apertium, argos_home.translator], pivots=["en", "es"])
    assert chain.engine_for("en", "fr") == "argos/en-fr@1.0"  # direct argos beats the Apertium pivot
    assert chain.route_for("en", "es").candidates == ("apertium", "argos")
    ranked = ChainTranslator([apertium, argos_home.translator], ranking={("en", "es"): ["argos", "apertium"]})
    assert ranked.engine_for("en", "es") == "argos/en-es@1.0"
    assert ranked.engine_for("es", "en") == "apertium/spa-eng"  # unranked pairs keep the configured order
    if (MODES / "es-fr.mode").is_file():  # a measured pivot route may beat a direct engine
        measured = ChainTranslator([apertium, argos_home.translator], pivots=["es"],
                                   ranking={("en", "fr"): ["apertium+apertium via es", "argos"]})
        assert measured.engine_for("en", "fr").startswith("apertium+apertium via es (")
        assert measured.routes()[("en", "fr")].pivot == "es"


@pytest.fixture
def rank_cli(argos_home, tmp_path: Path):
    ranking = tmp_path / "ranking.json"
    # argos first on purpose: the measurement must overturn a configured order, not confirm it.
    settings = TranslationSettings(engines=["argos", "apertium"], argos_package_dir=argos_home.package_dir,
                                   ranking_file=ranking)
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app, lambda: settings)
    runner = CliRunner()
    return settings, ranking, lambda *args: runner.invoke(app, list(args))


def test_rank_writes_an_order_the_chain_honours(rank_cli) -> None:
    settings, ranking, cli = rank_cli
    assert build_translator(settings).engine_for("en", "es") == "argos/en-es@1.0"  # before: configured order
    result = cli("translation", "rank", "--tsv", str(DATA / "tico19_en-es_40.tsv"), "--from", "en", "--to", "es",
                 "--sample", "30", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    scores = {s["engine"]: s for s in report["scores"]}
    # The fixture's argos package copies English; Apertium translates: chrF tells them apart.
    assert scores["apertium"]["chrf"] > scores["argos"]["chrf"] + 10
    assert report["order"] == ["apertium", "argos"] and report["sample"] == 30
    assert json.loads(ranking.read_text())["pairs"]["en-es"]["order"] == ["apertium", "argos"]
    assert build_translator(settings).engine_for("en", "es") == "apertium/eng-spa"  # after: the measured order
    assert build_translator(settings).engine_for("fr", "en") == "argos/fr-en@1.0"  # other pairs unchanged


def test_rank_errors_name_the_problem(rank_cli, tmp_path: Path) -> None:
    _settings, _ranking, cli = rank_cli
    bad = tmp_path / "bad.tsv"
    bad.write_text("en\tes\nHello\tHola\n", encoding="utf-8")
    result = cli("translation", "rank", "--tsv", str(bad), "--from", "en", "--to", "es")
    assert result.exit_code == 1 and "lacks column(s) source, translation" in result.stderr
    result = cli("translation", "rank", "--tsv", str(DATA / "tico19_en-es_40.tsv"), "--from", "en", "--to", "ja")
    assert result.exit_code == 1 and "no translation engine for en -> ja" in result.stderr


def test_list_shows_direct_and_pivot_routes(apertium, tmp_path: Path) -> None:
    needs_modes("eng-spa", "es-fr", "es-pt")
    settings = TranslationSettings(engines=["apertium"])
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app, lambda: settings)
    result = CliRunner().invoke(app, ["translation", "list", "--json", "--from", "en"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    routes = {row["target"]: row for row in listed["pairs"]}
    assert routes["es"]["route"] == "direct" and routes["es"]["engine"] == "apertium/eng-spa"
    assert routes["fr"]["route"] == "via es" and routes["fr"]["label"] == "apertium+apertium via es"
    assert routes["pt"]["engines"] == ["apertium", "apertium"]
    assert all(row["source"] == "en" for row in listed["pairs"])
