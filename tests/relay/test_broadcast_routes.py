"""One broadcast, six languages, three kinds of route: es by Apertium directly, fr and pt by Apertium through
Spanish, ht and sw by the NLLB engine (the tests' NLLB-shaped copy model) — each language translated once,
each text's origin and engine recorded, protected tokens intact on every route.

NLLB serves fr and pt directly too; `relay translation rank` on TICO-19 sentences measures it against the
Apertium pivot first (the fixture copies English, so the pivot wins), and the broadcast follows that
measured order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from relay.app.settings import load_settings
from relay.core.db import Database
from relay.core.models import Broadcast, Delivery
from tests.relay.conftest import bulk_people
from tests.relay.test_broadcast_translation import BODY, PROTECTED, plan_counting
from tests.translation.conftest import training_sentences, translation_cli
from tests.translation.nllb_model import build_nllb_model

MODES = Path("/usr/share/apertium/modes")
DATA = Path(__file__).resolve().parents[1] / "data" / "translation"
pytestmark = pytest.mark.skipif(
    shutil.which("lt-proc") is None or not all((MODES / f"{m}.mode").is_file() for m in ("eng-spa", "es-fr", "es-pt")),
    reason="Apertium eng-spa, es-fr and es-pt are needed (scripts/system-packages.d/apertium.sh installs them)")

LANGUAGES = ["en", "es", "fr", "pt", "ht", "sw"]


def people(database: Database, per_language: int) -> None:
    bulk_people(database, LANGUAGES, per_language, first_address=3000000)


@pytest.fixture
def database(tmp_path: Path):
    model = build_nllb_model(tmp_path / "nllb-200-fixture", training_sentences())
    settings = load_settings(None, overrides={"data_dir": str(tmp_path), "languages": LANGUAGES, "translation": {
        "engines": ["apertium", "nllb"], "nllb": {"model_dir": str(model), "beam_size": 1},
        "ranking_file": str(tmp_path / "ranking.json")}})
    db = Database.open(settings, upgrade=True)
    yield settings, db
    db.close()


def rank(settings, target: str) -> list[str]:
    cli = translation_cli(settings.translation)
    result = cli("translation", "rank", "--tsv", str(DATA / f"tico19_en-{target}_40.tsv"),
                 "--from", "en", "--to", target, "--sample", "20", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["order"]


def test_each_language_by_its_route_once(database) -> None:
    settings, db = database
    assert rank(settings, "fr") == ["apertium+apertium via es", "nllb"]
    assert rank(settings, "pt") == ["apertium+apertium via es", "nllb"]
    people(db, 3)
    calls: list[str] = []
    planned = plan_counting(settings, db, calls)
    assert sorted(calls) == ["es", "fr", "ht", "pt", "sw"]  # once per language, not per recipient
    with db.sessions() as session:
        texts = {t.language: t for t in session.get(Broadcast, planned.id).texts}
        per_language = dict(session.execute(select(Delivery.language, func.count())
                                            .where(Delivery.broadcast_id == planned.id).group_by(Delivery.language)).all())
    assert per_language == {language: 3 for language in LANGUAGES}
    engines = {language: texts[language].engine.split(";", 1)[0] for language in ("es", "fr", "pt", "ht", "sw")}
    assert engines["es"] == "apertium/eng-spa"
    assert engines["fr"] == "apertium+apertium via es (apertium/eng-spa, apertium/es-fr)"
    assert engines["pt"] == "apertium+apertium via es (apertium/eng-spa, apertium/es-pt)"
    assert engines["ht"].startswith("nllb/nllb-200-fixture@") and engines["sw"] == engines["ht"]
    for language in ("es", "fr", "pt"):
        assert texts[language].origin == "machine" and texts[language].gate_verdict == "pass", language
        assert all(token in texts[language].text for token in PROTECTED), (language, texts[language].text)
    # The fixture NLLB model copies its input: the gate sees English where Creole and Swahili should be, so
    # those texts are never sent as translations; the original goes out with the language note instead.
    for language in ("ht", "sw"):
        assert texts[language].gate_verdict == "fail", language
        failed = {c["name"] for c in texts[language].gate_checks["checks"] if c["status"] == "failed"}
        assert {"language", "copy"} <= failed, (language, failed)
        assert texts[language].origin == "untranslated" and BODY in texts[language].text
    assert texts["en"].origin == "original"
