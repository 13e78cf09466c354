"""Train the shipped triage model on the real Mission 4636 messages and write `haiti2010.json`.

    .venv/bin/python -m relay.reports.triage.train [--data ../shared/testdata/crisis-sms/disaster_response_messages_direct.csv]

Needs scikit-learn (the `dev` extra); the relay itself does not. Trains on the upstream `validation`
split (all three events: Haiti, Pakistan, Sandy) so that the `test` split stays unseen for
`bench/triage_eval.py`. Input is the English `message` column: the relay classifies the English (pivot)
translation of a report. Per category: a logistic regression with balanced class weights on TF-IDF of
word 1-2 grams; its threshold is the one that maximises F1 on 5-fold cross-validated predictions of the
training split (rare categories such as missing_people need a lower one than 0.5).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from relay.reports.triage.categories import CATEGORIES, OTHER, labels
from relay.reports.triage.model import SHIPPED

DEFAULT_DATA = Path(__file__).resolve().parents[4] / "shared" / "testdata" / "crisis-sms" / \
    "disaster_response_messages_direct.csv"
TRAIN_SPLIT = "validation"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _best_threshold(truth, probabilities) -> float:
    from sklearn.metrics import f1_score

    best, best_f1 = 0.5, -1.0
    for step in range(30, 96, 5):  # below 0.3 the rare categories flood responders with false alarms
        threshold = step / 100
        f1 = f1_score(truth, probabilities >= threshold, zero_division=0)
        if f1 > best_f1:
            best, best_f1 = threshold, f1
    return best


def train(rows: list[dict[str, str]], *, c: float = 4.0) -> dict:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    texts = [row["message"] for row in rows]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)
    x = vectorizer.fit_transform(texts)
    out: dict = {
        "vocabulary": {term: int(i) for term, i in sorted(vectorizer.vocabulary_.items(), key=lambda p: p[1])},
        "idf": [round(float(v), 6) for v in vectorizer.idf_],
        "ngram_max": 2,
        "categories": {},
        "meta": {"trained_on": f"disaster_response_messages_direct.csv, split={TRAIN_SPLIT}, {len(rows)} rows",
                 "source": "rmunro/disaster_response_messages (CC BY 4.0)", "C": c},
    }
    for category in CATEGORIES:
        if category == OTHER:
            continue
        y = np.array([category in labels(row) for row in rows])
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=4636)
        probabilities = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
        threshold = _best_threshold(y, probabilities)
        model.fit(x, y)
        coef = model.coef_[0]
        out["categories"][category] = {
            "intercept": round(float(model.intercept_[0]), 6),
            "threshold": threshold,
            "positives": int(y.sum()),
            "weights": {str(i): round(float(w), 5) for i, w in enumerate(coef) if abs(w) >= 1e-4},
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=SHIPPED)
    args = parser.parse_args()
    rows = [row for row in read_rows(args.data) if row["split"] == TRAIN_SPLIT]
    model = train(rows)
    args.out.write_text(json.dumps(model, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB) from {len(rows)} {TRAIN_SPLIT} rows")
    for category, spec in model["categories"].items():
        print(f"  {category:18} positives {spec['positives']:4}  threshold {spec['threshold']:.2f}")


if __name__ == "__main__":
    main()
