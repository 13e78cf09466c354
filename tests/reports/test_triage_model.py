"""The shipped triage model: its stdlib scorer gives scikit-learn's numbers, and it is the one
`relay/reports/triage/train.py` makes from the Mission 4636 training split."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import HAITI_200, SHARED_DATA
from relay.reports.triage.categories import labels
from relay.reports.triage.model import SHIPPED, shipped

sklearn = pytest.importorskip("sklearn")


def _rows(path, split: str) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["split"] == split]


def test_the_stdlib_scorer_matches_scikit_learn():
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    model = shipped()
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, vocabulary=data["vocabulary"])
    vectorizer.idf_ = np.array(data["idf"])
    texts = [row["message"] for row in _rows(HAITI_200, "test")]
    x = vectorizer.transform(texts)
    for category, spec in data["categories"].items():
        coef = np.zeros(len(data["idf"]))
        for index, weight in spec["weights"].items():
            coef[int(index)] = weight
        expected = 1 / (1 + np.exp(-(x @ coef + spec["intercept"])))
        got = [model.scores(text)[category] for text in texts]
        assert np.allclose(got, expected, atol=1e-9), category


def test_the_shipped_model_is_what_the_training_script_makes():
    from relay.reports.triage.train import train

    if not SHARED_DATA.exists():
        pytest.skip(f"{SHARED_DATA} is not on this machine")
    rows = _rows(SHARED_DATA, "validation")
    made = train(rows)
    shipped_data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert made["vocabulary"] == shipped_data["vocabulary"]
    for category, spec in made["categories"].items():
        assert spec["threshold"] == shipped_data["categories"][category]["threshold"]


def test_a_report_gets_categories_a_responder_would_give_and_says_why():
    model = shipped()
    triage = model.triage("We have no water and no food since the earthquake, the children are hungry")
    assert {"water", "food"} <= set(triage.categories)
    assert any(term in {"water", "no water"} for term, _ in model.explain(
        "We have no water and no food", "water"))
    assert model.triage("thank you for the information").categories == ("other",)
    assert labels({"water": "1", "request": "1"}) == {"water", "request"}
