"""The gate measured on TICO-19 dev: catch rate per kind of breakage, false-hold rate on the references.

Used by bench/translation_quality.py; runnable alone: `python bench/gate_eval.py [--languages es,fr]`.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.tico19 import GATE_LANGUAGES, KINDS, LANGUAGES, ROOT, Pair, aligned, broken, load
from translation.embedding_cache import CachedEmbedder
from translation.embeddings import load_embedder
from translation.gate_factory import GATE_EMBEDDER
from translation.gate import QualityGate
from translation.gate_config import GateSettings

CACHE = ROOT / ".cache" / "embeddings.sqlite3"


def build_gate(reverse=None, settings: GateSettings | None = None) -> QualityGate:
    inner = load_embedder(GATE_EMBEDDER)
    embedder = CachedEmbedder(inner, CACHE) if inner is not None else None
    return QualityGate(settings or GateSettings(), embedder=embedder, reverse=reverse)


def evaluate(gate: QualityGate, language: str, data: dict, misaligned: list[Pair] = ()) -> dict:
    """{"false_hold": rate, "n": count, "held_by": Counter, kind: {"catch": rate, "n": count},
    "misaligned": (held, count)}: `data` holds the aligned references; `misaligned` the references of
    documents that are not translations of their source (holding those is right, so they are reported
    apart rather than counted as false holds)."""
    pairs = data[language]
    others = {code: {p.id: p for p in rows} for code, rows in data.items()}
    refs = gate.check_many([p.source for p in pairs], [p.reference for p in pairs], "en", language)
    held_by = Counter(name for v in refs for name in v.failed_checks)
    result: dict = {"false_hold": sum(not v.passed for v in refs) / len(refs), "n": len(refs), "held_by": held_by}
    if misaligned:
        wrong = gate.check_many([p.source for p in misaligned], [p.reference for p in misaligned], "en", language)
        result["misaligned"] = (sum(not v.passed for v in wrong), len(wrong))
    for kind, cases in broken(language, pairs, others).items():
        verdicts = gate.check_many([p.source for p, _ in cases], [t for _, t in cases], "en", language)
        result[kind] = {"catch": sum(not v.passed for v in verdicts) / max(1, len(verdicts)), "n": len(verdicts)}
    return result


def print_table(results: dict[str, dict]) -> None:
    print("gate on TICO-19 dev: catch rate per breakage (n), false-hold rate on the references (n)")
    print(f"{'pair':7}" + "".join(f"{k:>18}" for k in KINDS) + f"{'false-hold':>18}")
    for language, r in results.items():
        row = "".join(f"{r[k]['catch']:>11.3f} ({r[k]['n']:>4})" for k in KINDS)
        print(f"en-{language:4}" + row + f"{r['false_hold']:>11.3f} ({r['n']:>4})")
    for language, r in results.items():
        if "misaligned" in r:
            held, count = r["misaligned"]
            print(f"  en-{language}: {count} references of misaligned documents (not counted above), {held} held")
    for language, r in results.items():
        print(f"  en-{language} references held by: " + ", ".join(f"{k} {v}" for k, v in r["held_by"].most_common()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default=",".join(GATE_LANGUAGES))
    args = parser.parse_args()
    # The reverse engine is the chain the relay builds (translation/gate_factory.py does the same).
    from translation.config import TranslationSettings
    from translation.factory import build_translator

    reverse = build_translator(TranslationSettings(engines=["apertium"], languages=["en", *LANGUAGES]))
    if not reverse.pairs():
        print(f"no reverse engine: {reverse.unavailable}")
        reverse = None
    gate = build_gate(reverse)
    data, dropped = aligned({code: load(code) for code in LANGUAGES})
    print_table({code: evaluate(gate, code, data, dropped[code]) for code in args.languages.split(",")})


if __name__ == "__main__":
    main()
