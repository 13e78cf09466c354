"""Translation quality on real crisis text: BLEU and chrF per engine and pair on the TICO-19 dev split,
beside the TICO-19 paper's OPUS-MT baseline; languages served by each engine; sentences per second; the
quality gate's catch and false-hold rates; and the no-regression line (Apertium en->es through the relay's
protected translator vs Apertium alone, chrF, in the same run).

    .venv/bin/python bench/translation_quality.py [--limit N] [--skip-gate]

Prints figures, never passes or fails. Pairs are whatever the configured engine chain serves from
English among en->es, fr, pt, ar, sw, so, ha (pivots and NLLB appear here once they are installed and
configured); the rest are listed as not served. The gate part embeds every reference once (cached in
.cache/embeddings.sqlite3): the first run takes minutes on a small machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.tico19 import GATE_LANGUAGES, LANGUAGES, PAPER_BLEU, load

os.environ.setdefault("ARGOS_INTRA_THREADS", "1")  # as the relay runs argos (relay/translation_hooks.py)


def score(hypotheses: list[str], references: list[str]) -> tuple[float, float]:
    """Corpus BLEU and chrF (sacrebleu defaults, detokenised text, as the TICO-19 paper scores)."""
    from sacrebleu.metrics import BLEU, CHRF

    return BLEU().corpus_score(hypotheses, [references]).score, CHRF().corpus_score(hypotheses, [references]).score


def timed(translate, texts: list[str], source: str, target: str) -> tuple[list[str], float]:
    start = time.perf_counter()
    out = translate(texts, source, target)
    return out, len(texts) / max(1e-9, time.perf_counter() - start)


def engines_section(chain) -> None:
    print("languages served from English, per engine")
    for backend in chain.backends:
        targets = sorted(t for s, t in backend.pairs() if s == "en")
        print(f"  {backend.name:10} {len(targets):3} targets: {' '.join(targets) or '-'}")
    for name, reason in chain.unavailable.items():
        print(f"  {name:10} unavailable: {reason}")


def quality_section(chain, protected, data: dict) -> None:
    print("\nBLEU / chrF on TICO-19 dev, per engine and pair (paper: OPUS-MT BLEU, full benchmark)")
    print(f"  {'pair':7} {'engine':34} {'n':>5} {'BLEU':>6} {'chrF':>6} {'paper':>6} {'sent/s':>8}")
    for language in LANGUAGES:
        pairs = data[language]
        sources, references = [p.source for p in pairs], [p.reference for p in pairs]
        paper = PAPER_BLEU.get(language)
        paper_text = f"{paper:6.2f}" if paper is not None else "     -"
        if ("en", language) not in chain.pairs():
            print(f"  en-{language:4} {'not served by the configured chain':34} {len(pairs):5} {'-':>6} {'-':>6} "
                  f"{paper_text} {'-':>8}")
            continue
        engine = chain.engine_for("en", language)
        hypotheses, rate = timed(chain.translate, sources, "en", language)
        bleu, chrf = score(hypotheses, references)
        print(f"  en-{language:4} {engine:34} {len(pairs):5} {bleu:6.1f} {chrf:6.1f} {paper_text} {rate:8.1f}")
        english_bleu, english_chrf = score(sources, references)
        print(f"  en-{language:4} {'(the English source, untranslated)':34} {len(pairs):5} {english_bleu:6.1f} "
              f"{english_chrf:6.1f}")
        if language == "es":
            protected_out, protected_rate = timed(protected.translate, sources, "en", "es")
            p_bleu, p_chrf = score(protected_out, references)
            print(f"\nno regression, en-es, same run: Apertium alone chrF {chrf:.2f} (BLEU {bleu:.2f}, "
                  f"{rate:.1f} sent/s); through the relay's protected translator chrF {p_chrf:.2f} "
                  f"(BLEU {p_bleu:.2f}, {protected_rate:.1f} sent/s); ratio {p_chrf / chrf:.4f}; "
                  f"{'kept' if p_chrf >= chrf else 'LOWER'}\n")


def gate_section(chain) -> None:
    from bench.gate_eval import build_gate, evaluate, print_table

    gate = build_gate(reverse=chain)
    from bench.tico19 import aligned

    data, misaligned = aligned({code: load(code) for code in LANGUAGES})
    start = time.perf_counter()
    results = {code: evaluate(gate, code, data, misaligned[code]) for code in GATE_LANGUAGES}
    print()
    print_table(results)
    checked = sum(r["n"] + sum(r[k]["n"] for k in r if isinstance(r[k], dict) and "n" in r[k])
                  for r in results.values())
    print(f"  gate: {checked} texts checked in {time.perf_counter() - start:.0f} s (vectors from the cache "
          "where present)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N sentences per pair (default: all)")
    parser.add_argument("--skip-gate", action="store_true", help="leave out the gate's catch/false-hold table")
    args = parser.parse_args()
    from translation.config import TranslationSettings
    from translation.factory import build_protected, build_translator

    settings = TranslationSettings()
    chain = build_translator(settings)
    protected = build_protected(settings, chain)
    data = {code: load(code)[: args.limit] for code in LANGUAGES}
    engines_section(chain)
    quality_section(chain, protected, data)
    if not args.skip_gate:
        gate_section(chain)


if __name__ == "__main__":
    main()
