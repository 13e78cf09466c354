"""PHEME rumour detection, round 3 (docs/round-notes/misinformation.md): the decision threshold and C chosen
by leave-one-event-out *inside* the training events of each fold (never on the held-out event), and other
feature sets beside the shipped one (word / character n-gram TF-IDF, alone and beside the e5 vector; an RBF
SVM; averages of two models). Prints pooled figures over all tweets and per event; passes or fails nothing.

    PYTHONPATH=$PWD .venv/bin/python bench/pheme_nested.py [nested|features|all]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.svm import SVC

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relay.integrity import rumour_train  # noqa: E402
from relay.integrity import text as texts  # noqa: E402
from translation.embeddings import EmbedderConfig, load_embedder  # noqa: E402

GRID_C = (0.3, 1.0, 3.0)
GRID_THRESHOLD = np.round(np.arange(0.3, 0.71, 0.025), 3)


def figures(y: np.ndarray, predicted: np.ndarray) -> str:
    return (f"rumour F1 {f1_score(y, predicted, zero_division=0):.3f}, "
            f"macro {f1_score(y, predicted, average='macro', zero_division=0):.3f}")


def logistic(x, y, c: float = rumour_train.C):
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(x, y)


def loeo(predict, y: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Held-out probabilities: `predict(train_mask, test_mask)` for each event in turn."""
    out = np.zeros(len(y))
    for event in sorted(set(events)):
        test = events == event
        out[test] = predict(~test, test)
    return out


def nested(x: np.ndarray, y: np.ndarray, events: np.ndarray) -> None:
    """Outer leave-one-event-out; C and threshold picked by inner leave-one-event-out on the other events,
    maximising the mean of rumour F1 and macro F1 there."""
    probability, cut = np.zeros(len(y)), np.zeros(len(y))
    for event in sorted(set(events)):
        test = events == event
        xi, yi, ei = x[~test], y[~test], events[~test]
        best = (-1.0, 0.0, 0.0)
        for c in GRID_C:
            inner = loeo(lambda tr, te: logistic(xi[tr], yi[tr], c).predict_proba(xi[te])[:, 1], yi, ei)
            for t in GRID_THRESHOLD:
                score = (f1_score(yi, inner >= t) + f1_score(yi, inner >= t, average="macro")) / 2
                best = max(best, (score, c, t))
        probability[test] = logistic(xi, yi, best[1]).predict_proba(x[test])[:, 1]
        cut[test] = best[2]
        print(f"  {event:>15}: chose C {best[1]}, threshold {best[2]:.3f} -> "
              f"{figures(y[test], probability[test] >= best[2])}", flush=True)
    print(f"nested (C and threshold chosen inside the training events): {figures(y, probability >= cut)}")


def features(x: np.ndarray, y: np.ndarray, events: np.ndarray, normalised: list[str]) -> None:
    def tfidf(word: bool, char: bool, dense: bool, c: float = 1.0):
        def predict(tr, te):
            train = [t for t, k in zip(normalised, tr) if k]
            test = [t for t, k in zip(normalised, te) if k]
            a, b = [], []
            if word:
                v = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
                a.append(v.fit_transform(train)), b.append(v.transform(test))
            if char:
                v = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=3, sublinear_tf=True,
                                    max_features=5000)
                a.append(v.fit_transform(train)), b.append(v.transform(test))
            if dense:
                a.append(sparse.csr_matrix(x[tr])), b.append(sparse.csr_matrix(x[te]))
            return logistic(sparse.hstack(a).tocsr(), y[tr], c).predict_proba(sparse.hstack(b).tocsr())[:, 1]
        return predict

    def svm(tr, te):
        return 1 / (1 + np.exp(-SVC(C=1.0, class_weight="balanced").fit(x[tr], y[tr]).decision_function(x[te])))

    runs = {"e5 + signs (shipped)": lambda tr, te: logistic(x[tr], y[tr]).predict_proba(x[te])[:, 1],
            "word 1-2 TF-IDF": tfidf(True, False, False), "word TF-IDF + e5 + signs": tfidf(True, False, True),
            "word + char 2-4 TF-IDF + e5 + signs": tfidf(True, True, True), "RBF SVM on e5 + signs": svm}
    found = {}
    for name, predict in runs.items():
        found[name] = loeo(predict, y, events)
        print(f"{name}: " + "; ".join(f"at {t}: {figures(y, found[name] >= t)}" for t in (0.4, 0.45, 0.5, 0.55)),
              flush=True)
    shipped = found["e5 + signs (shipped)"]
    for name in ("word TF-IDF + e5 + signs", "RBF SVM on e5 + signs"):
        mean = (shipped + found[name]) / 2
        print(f"mean of shipped and {name}: " + "; ".join(f"at {t}: {figures(y, mean >= t)}" for t in (0.45, 0.5)))


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    model = load_embedder(EmbedderConfig(threads=2))
    rows = rumour_train.read_pheme(rumour_train.DEFAULT_DATA)
    x, y = rumour_train.design(model, rows, ROOT / ".cache" / "misinfo-bench")
    x = x[:, :-1]  # round 3's features: the vector and the signs, without round 4's stream share (pheme_stream.py)
    events = np.array([row["event"] for row in rows])
    print(f"{len(rows)} tweets, {int(y.sum())} rumours, {len(set(events))} events")
    if what in ("nested", "all"):
        nested(x, y, events)
    if what in ("features", "all"):
        features(x, y, events, [texts.normalise(row["text_normalised"]) for row in rows])


if __name__ == "__main__":
    main()
