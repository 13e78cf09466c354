"""Train the shipped triage model on the real Mission 4636 messages and write `haiti2010.json`.

    .venv/bin/python -m relay.reports.triage.train [--data ../shared/testdata/crisis-sms/disaster_response_messages_direct.csv]

Needs scikit-learn (the `dev` extra); the relay itself does not. Trains on the upstream `validation`
split (all three events: Haiti, Pakistan, Sandy) so that the `test` split stays unseen for
`bench/triage_eval.py`.

Why both texts: the relay receives reports in the language they were sent (Haitian Creole, French,
romanised Urdu in this data), and has an English text only once a volunteer (or an engine) translated
it, if ever. So each training message is learnt twice, as sent (`original`) and as translated
(`message`), with the same 2010 categories: one model reads whichever text the relay has. The features
are TF-IDF of character 2-4 grams inside words (scikit-learn's `char_wb`, sublinear tf, l2): SMS
Creole is spelt many ways (`mwen`, `m`, `mw`; `dlo`, `d lo`), and pieces of words still match where
whole words do not. Per category: a logistic regression with balanced class weights; its threshold
is the one that maximises F1 on 5-fold cross-validated predictions of the training split, with both
texts of one message always in the same fold (otherwise a message's own translation leaks into the
fold that scores it and the thresholds come out too confident).

`--analyzer word --texts message` makes the earlier model (word 1-2 grams on the English only), which
`bench/triage_eval.py` trains in the same run as a baseline.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Literal

from relay.reports.triage.categories import CATEGORIES, OTHER, labels
from relay.reports.triage.model import SHIPPED

DEFAULT_DATA = Path(__file__).resolve().parents[4] / "shared" / "testdata" / "crisis-sms" / \
    "disaster_response_messages_direct.csv"
TRAIN_SPLIT = "validation"
Analyzer = Literal["char_wb", "word"]
Texts = Literal["both", "original", "message"]
NGRAMS: dict[str, tuple[int, int]] = {"char_wb": (2, 4), "word": (1, 2)}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def as_received(row: dict[str, str]) -> str:
    """The text as the relay would receive it: the original, or the English where none is kept (Sandy)."""
    return row["original"] or row["message"]


def documents(rows: list[dict[str, str]], texts: Texts) -> tuple[list[str], list[dict[str, str]], list[str]]:
    """Training documents, the row each comes from, and the message id that groups them in folds."""
    out: tuple[list[str], list[dict[str, str]], list[str]] = ([], [], [])
    for row in rows:
        wanted = {"both": [as_received(row), row["message"]], "original": [as_received(row)],
                  "message": [row["message"]]}[texts]
        for text in dict.fromkeys(wanted):  # an original identical to its translation is learnt once
            out[0].append(text)
            out[1].append(row)
            out[2].append(row["id"])
    return out


def _best_threshold(truth, probabilities) -> float:
    from sklearn.metrics import f1_score

    best, best_f1 = 0.5, -1.0
    for step in range(30, 96, 5):  # below 0.3 the rare categories flood responders with false alarms
        threshold = step / 100
        f1 = f1_score(truth, probabilities >= threshold, zero_division=0)
        if f1 > best_f1:
            best, best_f1 = threshold, f1
    return best


def fit_heads(x, doc_rows: list[dict[str, str]], groups: list[str], *, c: float = 4.0) -> dict:
    """One balanced logistic regression per category on the feature rows `x` (any features: TF-IDF
    here, sentence embeddings in bench/triage_eval.py), each with its F1-best threshold from grouped
    5-fold predictions. Returns category -> (fitted model, threshold, positives)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=4636)
    heads = {}
    for category in CATEGORIES:
        if category == OTHER:
            continue
        y = np.array([category in labels(row) for row in doc_rows])
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        probabilities = cross_val_predict(model, x, y, cv=folds, groups=groups, method="predict_proba")[:, 1]
        threshold = _best_threshold(y, probabilities)
        model.fit(x, y)
        heads[category] = (model, threshold, int(y.sum()))
    return heads


def train(rows: list[dict[str, str]], *, c: float = 4.0, analyzer: Analyzer = "char_wb",
          texts: Texts = "both") -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs, doc_rows, groups = documents(rows, texts)
    ngrams = NGRAMS[analyzer]
    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, min_df=2, sublinear_tf=True,
                                 lowercase=True)
    x = vectorizer.fit_transform(docs)
    out: dict = {
        "vocabulary": {term: int(i) for term, i in sorted(vectorizer.vocabulary_.items(), key=lambda p: p[1])},
        "idf": [round(float(v), 6) for v in vectorizer.idf_],
        "analyzer": analyzer,
        "ngram_range": list(ngrams),
        "ngram_max": ngrams[1],  # read by models written before `analyzer` existed
        "categories": {},
        "meta": {"trained_on": f"disaster_response_messages_direct.csv, split={TRAIN_SPLIT}, {len(rows)} rows, "
                               f"texts={texts} ({len(docs)} documents)",
                 "source": "rmunro/disaster_response_messages (CC BY 4.0)", "C": c,
                 # the languages it read as received, for the router: Mission 4636 originals are Creole
                 "received_languages": ["ht"] if texts != "message" else [],
                 "pivot_language": "en"},
    }
    for category, (model, threshold, positives) in fit_heads(x, doc_rows, groups, c=c).items():
        out["categories"][category] = {
            "intercept": round(float(model.intercept_[0]), 6),
            "threshold": threshold,
            "positives": positives,
            "weights": {str(i): round(float(w), 5) for i, w in enumerate(model.coef_[0]) if abs(w) >= 1e-4},
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=SHIPPED)
    parser.add_argument("--analyzer", choices=sorted(NGRAMS), default="char_wb")
    parser.add_argument("--texts", choices=["both", "original", "message"], default="both")
    args = parser.parse_args()
    rows = [row for row in read_rows(args.data) if row["split"] == TRAIN_SPLIT]
    model = train(rows, analyzer=args.analyzer, texts=args.texts)
    args.out.write_text(json.dumps(model, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB) from {len(rows)} {TRAIN_SPLIT} rows")
    for category, spec in model["categories"].items():
        print(f"  {category:18} positives {spec['positives']:4}  threshold {spec['threshold']:.2f}")


if __name__ == "__main__":
    main()
