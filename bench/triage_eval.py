"""Triage on the real Mission 4636 messages, on the text the relay has: per-category precision, recall
and F1, and micro-F1 of routing, against the categories responders assigned in 2010.

    .venv/bin/python bench/triage_eval.py [--data PATH] [--all-events] [--no-baselines] [--embeddings]

The shipped model (`relay/reports/triage/haiti2010.json`) was trained by `relay/reports/triage/train.py` on the
upstream `validation` split; this evaluates it on the upstream `test` split, which it never saw:
by default only its Haiti 2010 rows (981 SMS), `--all-events` adds Pakistan 2010 and Sandy 2012.

Inputs, as the relay meets them: the text as received (the `original` column: Haitian Creole, some
French and English; what a report has at intake and keeps when no translator answers); the English a
volunteer made in 2010 (the `message` column: what a report has once translated by a person); and
both joined (what the relay holds then). No engine here translates Creole (Apertium has no ht pair,
no NMT weights are installed), so "machine English of the Creole" cannot be measured on this machine.

Baselines, measured in the same run: every report to the coordination group (no model at all), and
the earlier model (word 1-2 grams trained on the English only; needs scikit-learn, `--no-baselines`
skips it). `--embeddings` adds a candidate that is not shipped: the same per-category heads on the
relay's multilingual sentence embeddings (translation/embeddings.py, multilingual-e5-small), trained on
both texts like the shipped model (a few minutes: every text is embedded). Routing: each category goes to a responder group (ROUTES below, the same table as the
example configuration); micro-F1 counts (message, group) pairs. `request` and `other` both go to
coordination, so that group alone carries most pairs: read the per-group and category figures too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from collections.abc import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from relay.reports.triage.categories import CATEGORIES, OTHER, labels  # noqa: E402
from relay.reports.triage.model import SHIPPED, LinearModel  # noqa: E402
from relay.reports.triage.train import DEFAULT_DATA, TRAIN_SPLIT, as_received, read_rows  # noqa: E402

ROUTES = {
    "medical_help": "medical", "search_and_rescue": "rescue", "missing_people": "rescue",
    "water": "logistics", "food": "logistics", "shelter": "logistics", "security": "security",
    "infrastructure": "infrastructure", "request": "coordination", "other": "coordination",
}
GROUPS = sorted(set(ROUTES.values()))
INPUTS: dict[str, Callable[[dict[str, str]], str]] = {
    "English (2010 volunteers)": lambda row: row["message"],
    "as received (Creole original)": as_received,
    "as received + English": lambda row: f"{as_received(row)}\n{row['message']}",
}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(rows: list[dict[str, str]], predict: Callable[[dict[str, str]], set[str]]) -> dict[str, dict]:
    """tp/fp/fn per category and per responder group, and their micro sums."""
    cats = {c: [0, 0, 0] for c in CATEGORIES}
    groups = {g: [0, 0, 0] for g in GROUPS}
    for row in rows:
        truth, predicted = labels(row), predict(row)
        for table, t, p in ((cats, truth, predicted),
                            (groups, {ROUTES[c] for c in truth}, {ROUTES[c] for c in predicted})):
            for key in table:
                table[key][0] += key in t and key in p
                table[key][1] += key not in t and key in p
                table[key][2] += key in t and key not in p
    micro = lambda table: [sum(v[i] for v in table.values()) for i in range(3)]  # noqa: E731
    return {"categories": cats, "groups": groups, "cat_micro": micro(cats), "route_micro": micro(groups)}


def summary_line(name: str, result: dict) -> str:
    _, _, route_f1 = prf(*result["route_micro"])
    cp, cr, cat_f1 = prf(*result["cat_micro"])
    non_coord = [prf(*result["groups"][g])[2] for g in GROUPS if g != "coordination"]
    return (f"{name:72} {route_f1:8.3f} {sum(non_coord) / len(non_coord):10.3f} {cat_f1:8.3f} "
            f"{cp:6.3f} {cr:6.3f}")


def table(title: str, result: dict) -> None:
    print(f"\n{title}")
    print(f"{'category':18} {'support':>7} {'precision':>9} {'recall':>7} {'F1':>6}")
    for c in CATEGORIES:
        tp, fp, fn = result["categories"][c]
        p, r, f = prf(tp, fp, fn)
        print(f"{c:18} {tp + fn:7d} {p:9.3f} {r:7.3f} {f:6.3f}")
    print(f"{'group':18} {'support':>7} {'precision':>9} {'recall':>7} {'F1':>6}")
    for g in GROUPS:
        tp, fp, fn = result["groups"][g]
        p, r, f = prf(tp, fp, fn)
        print(f"{g:18} {tp + fn:7d} {p:9.3f} {r:7.3f} {f:6.3f}")


def english_only_model(data: Path) -> LinearModel:
    """The earlier model (word 1-2 grams, English only), trained now from the same split."""
    import json

    from relay.reports.triage.train import train

    rows = [row for row in read_rows(data) if row["split"] == TRAIN_SPLIT]
    made = train(rows, analyzer="word", texts="message")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "english.json"
        path.write_text(json.dumps(made), encoding="utf-8")
        return LinearModel.load(path)


def embedding_variant(data: Path, rows: list[dict[str, str]]) -> dict[str, Callable[[dict[str, str]], set[str]]]:
    """Per-category heads on e5 sentence embeddings (not shipped: the model would then need the embedder
    at triage time); returns a predictor per input of INPUTS."""
    from relay.reports.triage.train import documents, fit_heads
    from translation.embeddings import load_embedder

    embedder = load_embedder()
    if embedder is None:
        raise ImportError("no sentence embedder here")
    train_rows = [row for row in read_rows(data) if row["split"] == TRAIN_SPLIT]
    docs, doc_rows, groups = documents(train_rows, "both")
    heads = fit_heads(embedder.embed_queries(docs), doc_rows, groups, c=4.0)
    out = {}
    for name, text in INPUTS.items():
        vectors = embedder.embed_queries([text(row) for row in rows])
        chosen: dict[str, set[str]] = {row["id"]: set() for row in rows}
        for category, (model, threshold, _) in heads.items():
            for row, p in zip(rows, model.predict_proba(vectors)[:, 1]):
                if p >= threshold:
                    chosen[row["id"]].add(category)
        out[name] = lambda row, c=chosen: c[row["id"]] or {OTHER}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--all-events", action="store_true")
    parser.add_argument("--no-baselines", action="store_true", help="skip re-training the English-only model")
    parser.add_argument("--embeddings", action="store_true", help="also score heads on e5 sentence embeddings")
    args = parser.parse_args()
    rows = [r for r in read_rows(args.data) if r["split"] == "test"
            and (args.all_events or r["event"] == "haiti_earthquake")]
    started = time.perf_counter()
    model = LinearModel.load(SHIPPED)
    load_ms = (time.perf_counter() - started) * 1000
    scope = "all events" if args.all_events else "Haiti 2010 only"
    print(f"shipped model: {SHIPPED.name}, {SHIPPED.stat().st_size / 1024:.0f} KiB, {len(model.vocabulary)} "
          f"features ({model.analyzer} {model.ngram_range[0]}-{model.ngram_range[1]} grams), "
          f"loaded in {load_ms:.0f} ms (standard library only)")
    print(f"trained on: {model.meta.get('trained_on')}")
    print(f"evaluated on: split=test, {scope}, {len(rows)} messages\n")
    print(f"{'model / input':72} {'route F1':>8} {'groups≠coord':>10} {'cat F1':>8} {'cat P':>6} {'cat R':>6}")
    results: dict[str, dict] = {}
    print(summary_line("no model: every report to coordination", evaluate(rows, lambda row: {OTHER})))
    if not args.no_baselines:
        try:
            english = english_only_model(args.data)
        except ImportError:
            print("(English-only baseline skipped: scikit-learn is not installed)")
        else:
            for name in ("English (2010 volunteers)", "as received (Creole original)"):
                result = evaluate(rows, lambda row, f=INPUTS[name]: set(english.triage(f(row)).categories))
                print(summary_line(f"earlier model (word, English-trained) on {name}", result))
    for name, text in INPUTS.items():
        started = time.perf_counter()
        results[name] = evaluate(rows, lambda row, f=text: set(model.triage(f(row)).categories))
        per_ms = (time.perf_counter() - started) * 1000 / len(rows)
        print(summary_line(f"shipped ({model.analyzer}, both texts) on {name}", results[name])
              + f"   {per_ms:.2f} ms/report")
    if args.embeddings:
        try:
            started = time.perf_counter()
            variant = embedding_variant(args.data, rows)
        except ImportError as error:
            print(f"(embedding candidate skipped: {error})")
        else:
            for name, predict in variant.items():
                print(summary_line(f"candidate (e5 embeddings, both texts) on {name}", evaluate(rows, predict)))
            print(f"(embedding candidate: {time.perf_counter() - started:.0f} s to embed and train)")
    print("\nroute F1: micro-F1 over (message, responder group) pairs; groups≠coord: mean F1 of the 5 groups "
          "other than coordination; cat: micro over the 10 categories")
    for name in ("as received (Creole original)", "English (2010 volunteers)"):
        table(f"shipped model on {name}:", results[name])


if __name__ == "__main__":
    main()
