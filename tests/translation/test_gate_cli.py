"""`relay translation check` and `relay translate --file` through typer's CliRunner, with the real gate
(embedding model, py3langid) and Apertium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from relay.app.translation_check_cli import FAILED_EXIT
from tests.translation.conftest import translation_cli
from translation.config import TranslationSettings

SOURCE = "The shelter at the school opens at 18:00. Move to higher ground now."
GOOD = "El refugio de la escuela abre a las 18:00. Suba ahora a un terreno más alto."
CHANGED = "El refugio de la escuela abre a las 19:00. Suba ahora a un terreno más alto."


@pytest.fixture(scope="module")
def cli():
    return translation_cli(TranslationSettings(engines=["apertium"], languages=["en", "es", "fr"]))


def test_check_prints_the_verdict_and_every_check(cli) -> None:
    good = cli("translation", "check", "--from", "en", "--to", "es", SOURCE, GOOD)
    assert good.exit_code == 0, good.output
    assert good.stdout.splitlines()[0] == "pass"
    for name in ("tokens", "language", "copy", "repetition", "length", "similarity", "back_translation"):
        assert name in good.stdout
    bad = cli("translation", "check", "--from", "en", "--to", "es", SOURCE, CHANGED, "--json")
    assert bad.exit_code == FAILED_EXIT
    verdict = json.loads(bad.stdout)
    assert verdict["verdict"] == "fail"
    tokens = next(c for c in verdict["checks"] if c["name"] == "tokens")
    assert tokens["status"] == "failed" and "18" in tokens["detail"]


def test_check_tsv_gives_one_verdict_per_row(cli, tmp_path: Path) -> None:
    table = tmp_path / "pairs.tsv"
    table.write_text("source\ttranslation\n" f"{SOURCE}\t{GOOD}\n" f"{SOURCE}\t{SOURCE}\n" f"{SOURCE}\t{CHANGED}\n",
                     encoding="utf-8")
    plain = cli("translation", "check", "--from", "en", "--to", "es", "--tsv", str(table))
    assert plain.exit_code == FAILED_EXIT
    lines = plain.stdout.splitlines()
    assert len(lines) == 3 and lines[0] == "pass" and lines[1].startswith("fail: ") and "copy" in lines[1]
    assert lines[2].startswith("fail: tokens")
    as_json = cli("translation", "check", "--from", "en", "--to", "es", "--tsv", str(table), "--json")
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [r["verdict"] for r in rows] == ["pass", "fail", "fail"] and all(len(r["checks"]) == 7 for r in rows)


def test_check_refuses_bad_input_clearly(cli, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.tsv"
    wrong.write_text("en\tes\nHello\tHola\n", encoding="utf-8")
    result = cli("translation", "check", "--from", "en", "--to", "es", "--tsv", str(wrong))
    assert result.exit_code == 1 and "must name the columns source and translation (found: en, es)" in result.stderr
    result = cli("translation", "check", "--from", "en", "--to", "qq", "a", "b")
    assert result.exit_code == 1 and "unknown language code 'qq'" in result.stderr
    result = cli("translation", "check", "--from", "en", "--to", "es", "only one")
    assert result.exit_code == 1 and "give SOURCE and TRANSLATION, or --tsv FILE" in result.stderr


@pytest.mark.skipif(shutil.which("lt-proc") is None, reason="Apertium not installed")
def test_translate_file_gives_one_line_per_input_line(cli, tmp_path: Path) -> None:
    source = tmp_path / "alerts.txt"
    source.write_text("Move to higher ground now.\n\nCall 911 before 18:00.\n", encoding="utf-8")
    result = cli("translate", "--file", str(source), "--from", "en", "--to", "es")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and lines[1] == ""
    assert "911" in lines[2] and "18:00" in lines[2] and "tierra" in lines[0].lower()
    assert "engine: apertium/eng-spa" in result.stderr
    both = cli("translate", "Hello", "--file", str(source), "--to", "es")
    assert both.exit_code == 1 and "one of them" in both.stderr
