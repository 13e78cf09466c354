"""PHEME rumour features and regularisation, leave-one-event-out (the round-2 experiment in
docs/round-notes/misinformation.md): the shipped features, + reporting/hedge and first-person markers, +
digits and length, standardised and per-event-centred vectors, over a grid of C. `nested` picks C by
leave-one-event-out inside each outer fold. Prints figures only.

    PYTHONPATH=$PWD .venv/bin/python bench/pheme_features.py [nested]
"""
import sys, re
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from relay.integrity import rumour_train, rumour
from relay.integrity import text as texts
from relay.integrity.embedding_cache import embed_cached
from translation.embeddings import EmbedderConfig, load_embedder
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

model = load_embedder(EmbedderConfig(threads=2))
rows = rumour_train.read_pheme(rumour_train.DEFAULT_DATA)
norm = [texts.normalise(r["text_normalised"]) for r in rows]
V = embed_cached(model, [r["text_normalised"] for r in rows], "query", Path(__file__).resolve().parents[1] / ".cache" / "pheme-vectors")
y = np.array([int(r["is_rumour"]) for r in rows]); ev = np.array([r["event"] for r in rows])
S = np.stack([rumour.sign_features(t) for t in norm])
REPORT = set("reports reported reportedly report breaking update updates unconfirmed confirmed confirms according sources source allegedly apparently claims claim say says said witnesses witness rumour rumours rumor rumors believed possibly may might".split())
FIRST = set("i me my we our us you your".split())
def extra(t):
    w = t.split()
    return [float(any(x in REPORT for x in w)), float(any(x in FIRST for x in w)), float(bool(re.search(r"\d", t))),
            min(len(w), 30) / 30.0]
E = np.array([extra(t) for t in norm], dtype=np.float32)

def loeo(X, c, cw="balanced", thr=0.5, evs=None):
    p = np.zeros(len(y))
    for e in sorted(set(ev)):
        te = ev == e
        p[te] = LogisticRegression(C=c, class_weight=cw, max_iter=3000).fit(X[~te], y[~te]).predict_proba(X[te])[:, 1]
    return p
def fig(p, thr=0.5):
    pr = (p >= thr).astype(int)
    return round(f1_score(y, pr), 3), round(f1_score(y, pr, average="macro"), 3)
sets = {"base": np.hstack([V, S]), "base+extra": np.hstack([V, S, E]), "base+rep+first": np.hstack([V, S, E[:, :2]])}
for name, X in sets.items():
    for c in (0.03, 0.1, 0.3, 1, 3):
        p = loeo(X, c)
        print(name, c, fig(p), fig(p, 0.4), fig(p, 0.45), flush=True)

def nested(X, grid=(0.03, 0.1, 0.3, 1.0), pick="macro"):
    """outer LOEO; C (and threshold) chosen on inner LOEO over the other events."""
    p = np.zeros(len(y)); chosen = {}
    for e in sorted(set(ev)):
        te = ev == e
        Xi, yi, evi = X[~te], y[~te], ev[~te]
        best = None
        for c in grid:
            pi = np.zeros(len(yi))
            for e2 in sorted(set(evi)):
                t2 = evi == e2
                if len(set(yi[~t2])) < 2: continue
                pi[t2] = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(Xi[~t2], yi[~t2]).predict_proba(Xi[t2])[:, 1]
            pr = (pi >= 0.5).astype(int)
            score = (f1_score(yi, pr) + f1_score(yi, pr, average="macro")) / 2
            if best is None or score > best[0]: best = (score, c)
        chosen[e] = best[1]
        p[te] = LogisticRegression(C=best[1], class_weight="balanced", max_iter=3000).fit(Xi, yi).predict_proba(X[te])[:, 1]
    return p, chosen
from sklearn.preprocessing import StandardScaler  # noqa: E402
Vc = V.copy()
for e in set(ev):
    Vc[ev == e] -= V[ev == e].mean(axis=0)
Vs = (V - V.mean(0)) / V.std(0)
for name, X in {"scaled": np.hstack([Vs, S, E[:, :2]]), "event-centred": np.hstack([Vc / V.std(0), S, E[:, :2]])}.items():
    for c in (0.001, 0.003, 0.01, 0.03):
        p = loeo(X, c)
        print(name, c, fig(p), fig(p, 0.45), fig(p, 0.55), flush=True)

if len(sys.argv) > 1:
    for name, X in sets.items():
        p, chosen = nested(X)
        print("nested", name, fig(p), chosen, flush=True)
