"""Misinformation flagging on the labelled set in tests/data/misinfo/: precision, recall and F1 at the
default thresholds, with and without the embedding stage; then the MinHash stage's latency per message
against 100,000 claims. Prints figures; passes or fails nothing.

    .venv/bin/python bench/misinfo_eval.py [--no-embeddings] [--claims 100000]

A message counts as flagged when its screening lands in the warn or hold band (what a moderator or a
reader would see); "right claim" counts the flagged positives whose best match is the claim they were
written from. Apertium is the only engine (en <-> es), as in the tests: French, Haitian Creole and Urdu
messages are compared untranslated with the pivot-language claims.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relay.app.settings import load_settings  # noqa: E402
from relay.core.db import Database  # noqa: E402
from relay.integrity import claims as claim_store# noqa: E402
from relay.integrity import screening# noqa: E402
from relay.integrity import text as texts# noqa: E402
from relay.integrity.index import ClaimIndex  # noqa: E402

DATA = ROOT / "tests" / "data" / "misinfo"
SHARED = ROOT.parent / "shared" / "testdata" / "crisis-sms"


def load_messages() -> list[dict]:
    with (DATA / "messages.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def settings_for(data_dir: Path, embeddings: bool):
    return load_settings(None, overrides={
        "data_dir": str(data_dir), "translation": {"engines": ["apertium"]},
        "integrity": {"embeddings": embeddings},
    })


def evaluate(database: Database, settings, messages: list[dict], claim_ids: dict[str, int]) -> dict:
    outcomes = []
    with database.sessions() as session:
        for message in messages:
            analysis = screening.analyse(session, message["text"], message["language"], settings)
            flagged = screening.band_action(analysis.score, settings) != "relay"
            matched = analysis.claim.claim_id if analysis.claim else None
            outcomes.append((message, flagged, matched, analysis))
    return score(outcomes, claim_ids)


def score(outcomes, claim_ids: dict[str, int]) -> dict:
    tp = fp = fn = tn = right = 0
    by_language: dict[str, Counter] = defaultdict(Counter)
    by_kind: dict[str, Counter] = defaultdict(Counter)
    false_positives = []
    for message, flagged, matched, analysis in outcomes:
        positive = bool(message["label"])
        by_language[message["language"]][("tp" if flagged else "fn") if positive else ("fp" if flagged else "tn")] += 1
        by_kind[message["kind"]]["flagged" if flagged else "relayed"] += 1
        if positive and flagged:
            tp += 1
            right += matched == claim_ids.get(message["label"])
        elif positive:
            fn += 1
        elif flagged:
            fp += 1
            false_positives.append((message, analysis.reasons))
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision, "recall": recall, "f1": f1,
            "right_claim": right, "by_language": by_language, "by_kind": by_kind, "false_positives": false_positives}


def report(title: str, result: dict) -> None:
    print(f"\n{title}")
    print(f"  precision {result['precision']:.3f}  recall {result['recall']:.3f}  F1 {result['f1']:.3f}  "
          f"(tp {result['tp']}, fp {result['fp']}, fn {result['fn']}, tn {result['tn']}; "
          f"right claim {result['right_claim']}/{result['tp']})")
    for language, counts in sorted(result["by_language"].items()):
        positives = counts["tp"] + counts["fn"]
        recall = f"recall {counts['tp'] / positives:.2f} ({counts['tp']}/{positives})" if positives else "no positives"
        print(f"    {language}: {recall}; false flags {counts['fp']}/{counts['fp'] + counts['tn']}")
    print("    by kind: " + ", ".join(f"{kind} {c['flagged']}/{c['flagged'] + c['relayed']} flagged"
                                    for kind, c in sorted(result["by_kind"].items())))
    for message, reasons in result["false_positives"][:8]:
        print(f"    false flag [{message['language']} {message['source']}]: {message['text'][:80]!r} {reasons}")


def synthetic_claims(count: int, seed: int = 1) -> list[str]:
    """Claim-like sentences drawn from real crisis text (windows of 6 to 16 words of real messages), so
    the vocabulary and lengths are those of the traffic; none is one of the labelled claims."""
    sources: list[str] = []
    for name, column in (("disaster_response_messages_direct.csv", "message"),
                         ("crisislex_t26_labeled_tweets_sample.csv", "tweet_text")):
        path = SHARED / name
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                sources.extend(" ".join(r[column].split()) for r in csv.DictReader(handle) if r[column])
    if not sources:
        sources = [m["text"] for m in load_messages()]
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        words = rng.choice(sources).split()
        length = rng.randint(6, 16)
        start = rng.randint(0, max(0, len(words) - length))
        made.append(" ".join(words[start:start + length]))
    return made


def latency(settings, messages: list[dict], pivots: list[str], claim_count: int, real_claims: list[str]) -> None:
    cfg = settings.integrity
    index = ClaimIndex(cfg.num_perm, cfg.lsh_threshold)
    started = time.perf_counter()
    extra = synthetic_claims(claim_count - len(real_claims))
    for number, text in enumerate(real_claims + extra, start=1):
        normalised = texts.normalise(text)
        index.add(number, normalised, "false", texts.minhash(normalised, cfg.num_perm))
    build = time.perf_counter() - started
    print(f"\nMinHash stage against {len(index):,} claims ({len(real_claims)} labelled + synthetic from real "
          f"crisis text; index built in {build:.1f} s, {cfg.num_perm} permutations, LSH threshold {cfg.lsh_threshold})")
    index.best(texts.normalise(pivots[0]), texts.minhash(texts.normalise(pivots[0]), cfg.num_perm), 1.0)  # warm-up
    timings, candidates, found = [], [], 0
    for _ in range(3):
        for pivot in pivots:
            begin = time.perf_counter()
            normalised = texts.normalise(pivot)
            signature = texts.minhash(normalised, cfg.num_perm)
            match = index.best(normalised, signature, cfg.match_threshold)
            timings.append((time.perf_counter() - begin) * 1000)
            candidates.append(len(index.candidates(signature)))
            found += match is not None
    timings.sort()
    def pct(p: float) -> float:
        return timings[min(len(timings) - 1, int(p * len(timings)))]
    print(f"  per message (normalise + MinHash + LSH query + rapidfuzz on the candidates), {len(timings)} queries: "
          f"p50 {pct(0.5):.3f} ms, p90 {pct(0.9):.3f} ms, p99 {pct(0.99):.3f} ms, max {timings[-1]:.3f} ms")
    print(f"  LSH candidates per message: median {statistics.median(candidates):.0f}, max {max(candidates)}")


def pivot_cost(settings, messages: list[dict]) -> None:
    from relay.integrity import pivot

    spanish = [m["text"] for m in messages if m["language"] == "es"]
    pivot._cache.clear()
    begin = time.perf_counter()
    for text in spanish:
        pivot.translate(text, "es", "en", settings)
    cold = (time.perf_counter() - begin) * 1000 / len(spanish)
    begin = time.perf_counter()
    for text in spanish:
        pivot.translate(text, "es", "en", settings)
    warm = (time.perf_counter() - begin) * 1000 / len(spanish)
    print(f"\nPivot translation es -> en (Apertium, protected), {len(spanish)} messages: {cold:.1f} ms each "
          f"uncached, {warm:.3f} ms from the process cache")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-embeddings", action="store_true", help="skip the embedding stage")
    parser.add_argument("--claims", type=int, default=100_000, help="claims in the latency index")
    options = parser.parse_args()
    messages = load_messages()
    positives = sum(1 for m in messages if m["label"])
    print(f"labelled set: {len(messages)} messages ({positives} rewordings/translations of 24 known false claims, "
          f"{len(messages) - positives} others), languages {dict(Counter(m['language'] for m in messages))}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(Path(tmp), embeddings=False)
        print(f"defaults: warn >= {settings.integrity.warn_threshold}, hold >= {settings.integrity.hold_threshold}, "
              f"match >= {settings.integrity.match_threshold}, embedding >= {settings.integrity.embedding_threshold}")
        database = Database.open(settings, upgrade=True)
        with (DATA / "claims.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        with database.sessions.begin() as session:
            imported = claim_store.import_claims(session, rows, settings=settings, added_by="bench")
            assert not imported.errors, imported.errors
        with database.sessions() as session:
            by_text = {c.text: c.id for c in claim_store.listing(session)}
        claim_ids = {row["id"]: by_text[row["text"]] for row in rows}
        report("MinHash LSH + rapidfuzz (no embeddings):", evaluate(database, settings, messages, claim_ids))
        if not options.no_embeddings:
            from relay.integrity.embeddings import missing_reason

            reason = missing_reason()
            if reason:
                print(f"\nwith embeddings: skipped ({reason})")
            else:
                with_embeddings = settings_for(Path(tmp), embeddings=True)
                begin = time.perf_counter()
                result = evaluate(database, with_embeddings, messages, claim_ids)
                elapsed = time.perf_counter() - begin
                report(f"MinHash LSH + rapidfuzz + embeddings (all-MiniLM-L6-v2), {elapsed:.1f} s for "
                       f"{len(messages)} messages including the model load:", result)
                from relay.integrity.embeddings import encode

                spent = []
                for message in messages[:60]:
                    begin = time.perf_counter()
                    encode([message["text"]])
                    spent.append((time.perf_counter() - begin) * 1000)
                print(f"  embedding one message (warm, 1 torch thread): p50 {statistics.median(spent):.1f} ms")
        pivot_cost(settings, messages)
        pivots = [screening.pivot_normalised(m["text"], m["language"], settings) for m in messages]
        latency(settings, messages, pivots, options.claims, [r["text"] for r in rows])
        database.close()


if __name__ == "__main__":
    main()
