"""Triage on the real Mission 4636 messages: per-category precision, recall and F1, and micro-F1 of
routing, against the categories responders assigned in 2010.

    .venv/bin/python bench/triage_eval.py [--data PATH] [--all-events]

The shipped model (`relay/reports/triage/haiti2010.json`) was trained by `relay/reports/triage/train.py` on the
upstream `validation` split; this evaluates it on the upstream `test` split, which it never saw:
by default only its Haiti 2010 rows (981 SMS), `--all-events` adds Pakistan 2010 and Sandy 2012.
Input is the English translation volunteers made in 2010 (the `message` column), which is what the
relay classifies once a report is translated.

Routing: each category goes to a responder group (ROUTES below, the same table as the example
configuration); a message's true groups are those of its 2010 labels, its predicted groups those of the
model's categories; micro-F1 counts (message, group) pairs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from relay.reports.triage.categories import CATEGORIES, labels  # noqa: E402
from relay.reports.triage.model import shipped  # noqa: E402
from relay.reports.triage.train import DEFAULT_DATA, read_rows  # noqa: E402

ROUTES = {
    "medical_help": "medical", "search_and_rescue": "rescue", "missing_people": "rescue",
    "water": "logistics", "food": "logistics", "shelter": "logistics", "security": "security",
    "infrastructure": "infrastructure", "request": "coordination", "other": "coordination",
}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--all-events", action="store_true")
    args = parser.parse_args()
    rows = [r for r in read_rows(args.data) if r["split"] == "test"
            and (args.all_events or r["event"] == "haiti_earthquake")]
    model = shipped()
    counts = {c: [0, 0, 0] for c in CATEGORIES}  # tp, fp, fn
    routing = [0, 0, 0]
    for row in rows:
        truth = labels(row)
        predicted = set(model.triage(row["message"]).categories)
        for c in CATEGORIES:
            counts[c][0] += c in truth and c in predicted
            counts[c][1] += c not in truth and c in predicted
            counts[c][2] += c in truth and c not in predicted
        true_groups = {ROUTES[c] for c in truth}
        predicted_groups = {ROUTES[c] for c in predicted}
        routing[0] += len(true_groups & predicted_groups)
        routing[1] += len(predicted_groups - true_groups)
        routing[2] += len(true_groups - predicted_groups)
    scope = "all events" if args.all_events else "Haiti 2010 only"
    print(f"trained on: {model.meta.get('trained_on')}")
    print(f"evaluated on: split=test, {scope}, {len(rows)} messages (English translations from 2010)\n")
    print(f"{'category':18} {'support':>7} {'precision':>9} {'recall':>7} {'F1':>6}")
    micro = [0, 0, 0]
    for c in CATEGORIES:
        tp, fp, fn = counts[c]
        p, r, f = prf(tp, fp, fn)
        micro = [a + b for a, b in zip(micro, counts[c])]
        print(f"{c:18} {tp + fn:7d} {p:9.3f} {r:7.3f} {f:6.3f}")
    p, r, f = prf(*micro)
    print(f"{'micro (categories)':18} {'':7} {p:9.3f} {r:7.3f} {f:6.3f}")
    p, r, f = prf(*routing)
    print(f"\nrouting to responder groups ({len(set(ROUTES.values()))} groups): "
          f"micro precision {p:.3f}, recall {r:.3f}, micro-F1 {f:.3f}")


if __name__ == "__main__":
    main()
