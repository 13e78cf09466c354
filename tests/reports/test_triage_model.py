"""The shipped triage model: its stdlib scorer gives scikit-learn's numbers, it is the one
`relay/reports/triage/train.py` makes from the Mission 4636 training split, and it reads a report in the
Creole it was sent in, not only in its English translation."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import HAITI_200, SHARED_DATA
from relay.reports.triage.categories import labels
from relay.reports.triage.model import SHIPPED, shipped

LOGISTICS = {"water", "food", "shelter"}


def _rows(path, split: str) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["split"] == split]


def test_the_stdlib_scorer_matches_scikit_learn():
    np = pytest.importorskip("numpy")
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer

    model = shipped()
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert data["analyzer"] == "char_wb"
    vectorizer = TfidfVectorizer(analyzer=data["analyzer"], ngram_range=tuple(data["ngram_range"]),
                                 sublinear_tf=True, vocabulary=data["vocabulary"])
    vectorizer.idf_ = np.array(data["idf"])
    rows = _rows(HAITI_200, "test")
    texts = [row["original"] for row in rows] + [row["message"] for row in rows] + ["", "  a  b\tc\n"]
    x = vectorizer.transform(texts)
    for category, spec in data["categories"].items():
        coef = np.zeros(len(data["idf"]))
        for index, weight in spec["weights"].items():
            coef[int(index)] = weight
        expected = 1 / (1 + np.exp(-(x @ coef + spec["intercept"])))
        got = [model.scores(text)[category] for text in texts]
        assert np.allclose(got, expected, atol=1e-9), category


def test_the_shipped_model_is_what_the_training_script_makes():
    pytest.importorskip("sklearn")
    from relay.reports.triage.train import train

    if not SHARED_DATA.exists():
        pytest.skip(f"{SHARED_DATA} is not on this machine")
    made = train(_rows(SHARED_DATA, "validation"))
    shipped_data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert made["vocabulary"] == shipped_data["vocabulary"] and made["idf"] == shipped_data["idf"]
    for category, spec in made["categories"].items():
        assert spec["threshold"] == shipped_data["categories"][category]["threshold"]
        assert spec["intercept"] == pytest.approx(shipped_data["categories"][category]["intercept"], abs=1e-4)


def test_a_report_gets_categories_a_responder_would_give_and_says_why():
    model = shipped()
    triage = model.triage("We have no water and no food since the earthquake, the children are hungry")
    assert {"water", "food"} <= set(triage.categories)
    assert model.explain("We have no water and no food", "water")[0][0] == "water"
    assert model.triage("thank you for the information").categories == ("other",)
    assert labels({"water": "1", "request": "1"}) == {"water", "request"}


def test_a_creole_report_is_triaged_as_sent_and_the_words_that_decided_are_creole():
    # Written for this test (not from the data set): "we have no water or food since the earthquake".
    creole = "Nou pa gen dlo ni manje depi tranbleman te a, timoun yo grangou"
    model = shipped()
    assert {"water", "food"} <= set(model.triage(creole).categories)
    assert "dlo" in [word for word, _ in model.explain(creole, "water")]  # dlo: water
    assert model.triage("mesi anpil pou enfomasyon an").categories == ("other",)  # thanks for the information


def _f1(rows, text_of, wanted: set[str]) -> float:
    model = shipped()
    tp = fp = fn = 0
    for row in rows:
        truth, got = labels(row) & wanted, set(model.triage(text_of(row)).categories) & wanted
        tp, fp, fn = tp + len(truth & got), fp + len(got - truth), fn + len(truth - got)
    return 2 * tp / (2 * tp + fp + fn)


def test_on_real_creole_sms_the_model_finds_water_food_and_shelter_as_well_as_on_their_translations():
    """The 200 real Mission 4636 SMS of tests/data (unseen in training): read as they were sent, the
    water/food/shelter reports (the logistics responders' share) are found about as well as from the
    volunteers' English of 2010, and far better than no model at all (which finds none)."""
    rows = _rows(HAITI_200, "test")
    as_sent = _f1(rows, lambda row: row["original"], LOGISTICS)
    english = _f1(rows, lambda row: row["message"], LOGISTICS)
    assert as_sent >= 0.6 and as_sent >= english - 0.1, (as_sent, english)


def test_a_creole_report_nobody_translates_still_reaches_the_water_and_food_room(relay_db):
    """No volunteer for Creole and no engine: the report is routed on the text as received, so it
    reaches logistics (water, food, shelter: telegram:-1003 in conftest.ROUTES), not only the default room."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import select

    from relay.reports import service as report_service
    from relay.reports.models import Report
    from support import queued, sms

    settings, db = relay_db
    creole = "Nou bezwen dlo ak manje nan katye Delmas 33, tanpri ede nou"  # written for the tests
    with db.sessions.begin() as session:
        sms(session, settings, "+50937001234", creole)
    with db.sessions.begin() as session:
        report_service.step(session, settings, datetime.now(timezone.utc) + timedelta(minutes=1))
        report = session.scalars(select(Report)).one()
        assert report.english is None and report.language == "ht"
        assert {"water", "food"} <= set(report.categories)
        assert "telegram:-1003" in report.rooms
        assert any(creole.split(",")[0] in text for text in queued(session, "telegram", "-1003"))
