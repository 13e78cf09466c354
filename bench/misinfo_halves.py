"""CrossFake's zh matching calibrated on one half of the claims and scored on the other (round 3 in
docs/round-notes/misinformation.md, the language shift in round 4). Prints figures only.

Why: a value read off the whole set gives an optimistic F1. Here the claim clusters are split in two by
their id (odd / even; a real pair's cluster id splits the hard negatives the same way). On one half only,
(1) the language means of the shift (relay/integrity/language_means.py) are made from that half's
article bodies (bench/misinfo_means.py; the messages are the headlines) and (2) the zh hold evidence is
swept; the margin weight stays at the configured default, which the written set chose. Both are applied
unchanged to the other half, both ways round, and the two held-out halves are pooled. The same protocol
without the shift (the round-3 rule) is printed first, as the baseline. Every message is
screened against the whole catalogue through `screening.analyse`, as the relay would.

    PYTHONPATH=$PWD .venv/bin/python bench/misinfo_halves.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the project: bench/translation.py must not shadow translation/

import misinfo_eval as me  # noqa: E402
import misinfo_means  # noqa: E402
import misinfo_sets  # noqa: E402

GRID = [round(0.86 + 0.005 * i, 3) for i in range(25)]  # zh hold evidence 0.86 .. 0.98, both rules


def halves(labelled: misinfo_sets.LabelledSet) -> list[int]:
    """0 or 1 per message: the parity of its claim cluster's number, read in the order crossfake() keeps."""
    rows = [r for r in misinfo_sets._read(misinfo_sets.REAL / "crossfake.csv")
            if r["en_title"].strip() and r["zh_title"].strip()]
    assert len(rows) == len(labelled.messages), "crossfake() kept other rows than this split expects"
    return [int(r["claim_cluster_id"].rpartition("_")[2]) % 2 for r in rows]


def f1_of(found: list[tuple], ids: dict[str, int], keep: list[bool]) -> dict:
    return me.figures([f for f, k in zip(found, keep) if k], ids, right_claim_only=True)["all"]


def protocol(label: str, runs_by_side: dict[int, dict[float, list[tuple]]], grid: list[float],
             half: list[int], ids: dict[str, int]) -> None:
    """Calibrate on one side with that side's runs, score the other side with the same run; pool."""
    print(label)
    held_out: list[tuple] = []
    for name, side in (("calibrated on odd, scored on even", 1), ("calibrated on even, scored on odd", 0)):
        runs = runs_by_side[side]
        on = [h == side for h in half]
        off = [h != side for h in half]
        best = max(grid, key=lambda hold: f1_of(runs[hold], ids, on)["f1"])  # ties: the lowest value
        a, b = f1_of(runs[best], ids, on), f1_of(runs[best], ids, off)
        print(f"  {name}: zh hold {best} (F1 {a['f1']:.3f} on its own half) -> other half P {b['precision']:.3f} "
              f"R {b['recall']:.3f} F1 {b['f1']:.3f} (tp {b['tp']}, fp {b['fp']}, fn {b['fn']})")
        # Both held-out halves at their own calibrated values, pooled: each message scored by values it never chose.
        held_out.extend(f for f, k in zip(runs[best], off) if k)
    pooled = me.figures(held_out, ids, right_claim_only=True)["all"]
    print(f"  pooled over both held-out halves: P {pooled['precision']:.3f} R {pooled['recall']:.3f} "
          f"F1 {pooled['f1']:.3f} (tp {pooled['tp']}, fp {pooled['fp']}, fn {pooled['fn']}; right claim "
          f"{pooled['right']}/{pooled['tp']})")


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    base = me.settings_for(tmp)
    model = me.vectors_of.embedder(base.integrity)
    cache = ROOT / ".cache" / "misinfo-bench"
    labelled = me.load_set("crossfake")
    vectors = me.vectors_for(labelled, model, cache)
    database, ids = me.open_catalogue(tmp, labelled, base)
    half = halves(labelled)
    print(f"margin weight {base.integrity.embedding_margin_weight} (default); halves: {half.count(1)} / "
          f"{half.count(0)} messages (odd / even cluster ids)")
    plain = {hold: me.outcomes(database, me.settings_for(tmp, embedding_thresholds={"zh": hold},
                                                         embedding_shifted=[]), labelled, vectors) for hold in GRID}
    protocol(f"without the shift (round 3), zh hold swept {GRID[0]}-{GRID[-1]}:", {0: plain, 1: plain}, GRID, half, ids)
    rows = misinfo_means.crossfake_rows()
    moved: dict[int, dict[float, list[tuple]]] = {}
    for side in (1, 0):
        means = misinfo_means.means_of(model, [r for r, h in zip(rows, half) if h == side], cache)
        path = tmp / f"means-{side}.json"
        path.write_text(json.dumps(means.to_json()), encoding="utf-8")
        moved[side] = {hold: me.outcomes(database, me.settings_for(
            tmp, embedding_thresholds={"zh": hold}, embedding_shifted=["zh"], embedding_means_path=str(path)),
            labelled, vectors) for hold in GRID}
    protocol(f"language shift (means from the calibration half's bodies), zh hold swept {GRID[0]}-{GRID[-1]}:",
             moved, GRID, half, ids)
    shipped = me.settings_for(tmp)
    whole = f1_of(me.outcomes(database, shipped, labelled, vectors), ids, [True] * len(half))
    print(f"  shipped (means from every body, zh hold {shipped.integrity.embedding_thresholds.get('zh')}), whole set: "
          f"P {whole['precision']:.3f} R {whole['recall']:.3f} F1 {whole['f1']:.3f} (optimistic: the means saw "
          f"every cluster's bodies)")
    database.close()


if __name__ == "__main__":
    main()
