"""Where the screening's time goes: `screen()` per message against a persistent 100,000-claim SQLite
catalogue (bench/misinfo_latency.py's), with the embedding timed apart and, with PROFILE=1, cProfile.

    TREE=$PWD PROFILE=1 N=70 PYTHONPATH=$PWD .venv/bin/python bench/misinfo_profile.py   [DIR=/tmp/prof]

Why a separate script: comparing two versions of the code alternately on a shared machine needs both to
start alike, so the loaded index is pickled once (DIR/index.pkl) and later runs skip the index load (the
figure of bench/misinfo_latency.py). TREE is the checkout whose code is measured. Prints figures only.
"""
import cProfile, pstats, sys, time, random, os, pickle, threading
from pathlib import Path
ROOT = Path(os.environ.get("TREE", "/work/wt-misinfo"))
sys.path.insert(0, str(ROOT)); sys.path.append(str(ROOT / "bench"))
import misinfo_sets, misinfo_latency
from misinfo_eval import settings_for
from relay.core.db import Database
from relay.integrity import screening

tmp = Path(os.environ.get("DIR", "/tmp/prof")); tmp.mkdir(parents=True, exist_ok=True)
url = f"sqlite:///{tmp / 'latency.db'}"
settings = settings_for(tmp).model_copy(update={"database_url": url})
fresh = not (tmp / "latency.db").exists()
database = Database.open(settings, upgrade=True)
if fresh:
    print("filled", misinfo_latency.fill_catalogue(database, settings, 100_000, tmp / "vectors"))
PKL = tmp / "index.pkl"
def strip(found):
    found.claims._lock = None; found.vectors._lock = None
def restore(found):
    found.claims._lock = threading.Lock(); found.vectors._lock = threading.Lock()
    if not hasattr(found.claims, "_retired"):
        found.claims._retired = 0
    found.claims._counted = time.monotonic()
t = time.perf_counter()
with database.sessions() as s:
    from relay.integrity import embeddings as vectors_of
    cfg = settings.integrity; model = vectors_of.embedder(cfg)
    key = (str(s.get_bind().url), cfg.num_perm, cfg.lsh_threshold, model.model_id)
    if PKL.exists():
        found = pickle.loads(PKL.read_bytes()); restore(found); screening._indexes[key] = found
        print("index unpickled", time.perf_counter() - t)
    found = screening.indexes(s, settings)
    print("index ready", time.perf_counter() - t, len(found.claims), flush=True)
    if not PKL.exists():
        strip(found); PKL.write_bytes(pickle.dumps(found, protocol=5)); restore(found)
pool = [m for name in ("written", "crossfake") for m in getattr(misinfo_sets, name)().messages]
messages = random.Random(5).sample(pool, int(os.environ.get("N", "150")))
from relay.integrity import claim_vectors
_embed = claim_vectors.embed_messages
EMB = []
def timed_embed(*a, **k):
    b = time.perf_counter(); r = _embed(*a, **k); EMB.append((time.perf_counter() - b) * 1000); return r
claim_vectors.embed_messages = timed_embed
def go(ms):
    out = []
    for m in ms:
        with database.sessions.begin() as session:
            b = time.perf_counter()
            screening.screen(session, text=m.text, language=m.language, channel="telegram", sender="bench", origin="bench:1", settings=settings)
            out.append((time.perf_counter() - b) * 1000)
    return out
go(messages[:10]); EMB.clear()
os.system("uptime")
if os.environ.get("PROFILE"):
    prof = cProfile.Profile()
    prof.enable(); spent = go(messages[10:]); prof.disable()
else:
    spent = go(messages[10:])
os.system("uptime")
spent_raw = list(spent); spent.sort(); print(f"screen() per message, {len(spent)} messages: p50 {spent[len(spent)//2]:.1f} ms  p95 {spent[int(.95*len(spent))]:.1f} ms  max {spent[-1]:.1f} ms")
rest = sorted(t - e for t, e in zip(spent_raw, EMB)) if len(EMB) == len(spent_raw) else []
EMB.sort()
if rest:
    print(f"  embedding alone: p50 {EMB[len(EMB)//2]:.1f} p95 {EMB[int(.95*len(EMB))]:.1f} ms; everything but the embedding: p50 {rest[len(rest)//2]:.1f} p95 {rest[int(.95*len(rest))]:.1f} ms")
if os.environ.get("PROFILE"):
    pstats.Stats(prof).sort_stats("cumulative").print_stats(50)
