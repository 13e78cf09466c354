"""CrossFake (and any other set) over margin weight x hold evidence, the whole set at once (the round-2
sweep in docs/round-notes/misinformation.md; warn = hold - 0.02, no per-language value). Prints figures only.

    PYTHONPATH=$PWD .venv/bin/python bench/misinfo_sweep.py crossfake[,written]
"""
import sys
import tempfile
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT)); sys.path.append(str(ROOT / "bench"))
import misinfo_eval as me
tmp = Path(tempfile.mkdtemp())
cache = ROOT / ".cache" / "misinfo-bench"
base = me.settings_for(tmp)
model = me.vectors_of.embedder(base.integrity)
prepared = []
for name in sys.argv[1].split(","):
    labelled = me.load_set(name)
    vectors = me.vectors_for(labelled, model, cache)
    db, ids = me.open_catalogue(tmp, labelled, base)
    prepared.append((name, labelled, db, ids, vectors))
for weight in (1.0, 2.0, 3.0, 4.0):
    for hold in [0.85 + 0.01 * i for i in range(10)]:
        s = me.settings_for(tmp, embedding_threshold=round(hold, 3), embedding_warn_threshold=round(hold - 0.02, 3),
                            embedding_thresholds={}, embedding_shifted=[], embedding_margin_weight=weight)
        out = []
        for name, labelled, db, ids, vectors in prepared:
            a = me.figures(me.outcomes(db, s, labelled, vectors), ids, labelled.right_claim_only)["all"]
            out.append(f"{name} F1 {a['f1']:.3f} P {a['precision']:.2f} R {a['recall']:.2f}")
        print(f"w {weight} hold {hold:.2f}: " + " | ".join(out), flush=True)
