"""CrossFake's zh threshold calibrated on one half of the claims and scored on the other (round 3 in
docs/round-notes/misinformation.md). Prints figures only.

Why: the shipped `embedding_thresholds["zh"]` was read off the whole set, so the whole-set F1 is an
optimistic figure. Here the claim clusters are split in two by their id (odd / even; a real pair's
cluster id splits the hard negatives the same way), the zh hold evidence is swept on one half only (the
margin weight stays at the configured default, which the written set chose) and the value found is
applied unchanged to the other half, both ways round. Every message is screened against the whole
catalogue, as the relay would; only the choice of threshold sees one half.

    PYTHONPATH=$PWD .venv/bin/python bench/misinfo_halves.py
"""

from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the project: bench/translation.py must not shadow translation/

import misinfo_eval as me  # noqa: E402
import misinfo_sets  # noqa: E402

GRID = [round(0.86 + 0.005 * i, 3) for i in range(17)]  # zh hold evidence 0.86 .. 0.94


def halves(labelled: misinfo_sets.LabelledSet) -> list[int]:
    """0 or 1 per message: the parity of its claim cluster's number, read in the order crossfake() keeps."""
    rows = [r for r in misinfo_sets._read(misinfo_sets.REAL / "crossfake.csv")
            if r["en_title"].strip() and r["zh_title"].strip()]
    assert len(rows) == len(labelled.messages), "crossfake() kept other rows than this split expects"
    return [int(r["claim_cluster_id"].rpartition("_")[2]) % 2 for r in rows]


def f1_of(found: list[tuple], ids: dict[str, int], keep: list[bool]) -> dict:
    return me.figures([f for f, k in zip(found, keep) if k], ids, right_claim_only=True)["all"]


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    base = me.settings_for(tmp)
    model = me.vectors_of.embedder(base.integrity)
    labelled = me.load_set("crossfake")
    vectors = me.vectors_for(labelled, model, ROOT / ".cache" / "misinfo-bench")
    database, ids = me.open_catalogue(tmp, labelled, base)
    half = halves(labelled)
    runs: dict[float, list[tuple]] = {}
    held_out: list[tuple] = []
    for hold in GRID:
        settings = me.settings_for(tmp, embedding_thresholds={"zh": hold})
        runs[hold] = me.outcomes(database, settings, labelled, vectors)
    print(f"margin weight {base.integrity.embedding_margin_weight} (default), zh hold swept {GRID[0]}-{GRID[-1]}; "
          f"halves: {half.count(1)} / {half.count(0)} messages (odd / even cluster ids)")
    for name, side in (("calibrated on odd, scored on even", 1), ("calibrated on even, scored on odd", 0)):
        on = [h == side for h in half]
        off = [h != side for h in half]
        best = max(GRID, key=lambda hold: f1_of(runs[hold], ids, on)["f1"])  # ties: the lowest value
        a, b = f1_of(runs[best], ids, on), f1_of(runs[best], ids, off)
        print(f"  {name}: zh hold {best} (F1 {a['f1']:.3f} on its own half) -> other half P {b['precision']:.3f} "
              f"R {b['recall']:.3f} F1 {b['f1']:.3f} (tp {b['tp']}, fp {b['fp']}, fn {b['fn']})")
        # Both held-out halves at their own calibrated value, pooled: each message scored by a value it never chose.
        held_out.extend(f for f, k in zip(runs[best], off) if k)
    pooled = me.figures(held_out, ids, right_claim_only=True)["all"]
    print(f"  pooled over both held-out halves: P {pooled['precision']:.3f} R {pooled['recall']:.3f} "
          f"F1 {pooled['f1']:.3f} (tp {pooled['tp']}, fp {pooled['fp']}, fn {pooled['fn']})")
    for hold in GRID:
        whole = f1_of(runs[hold], ids, [True] * len(half))
        print(f"  zh hold {hold}: whole set F1 {whole['f1']:.3f} (P {whole['precision']:.2f} R {whole['recall']:.2f})")
    database.close()


if __name__ == "__main__":
    main()
