"""Routes benchmark: languages and pairs each engine serves, the warm cost of a pivot hop, sentences/second.

    .venv/bin/python bench/translation_routes.py [--sentences 1000] [--nllb-sentences 200] [--nllb-model-dir DIR]

Prints figures, never passes or fails. Text: the TICO-19 dev split (`../shared/testdata/tico19/`, CC0),
measured as a whole. Apertium runs Debian's pairs (en->es direct; en->fr and en->pt through Spanish, the
route the chain picks). NLLB runs --nllb-model-dir when given (a real converted NLLB-200); otherwise it
builds the tests' NLLB-shaped copy model, so its figures measure our code, SentencePiece and CTranslate2
around a tiny model, not NLLB's quality or speed. Every figure is compared with a baseline measured in the
same run: the pivot against the direct en->es route, protection against the raw engine.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TICO = ROOT.parent / "shared" / "testdata" / "tico19"

from translation.chain import ChainTranslator  # noqa: E402
from translation.config import NllbSettings, TranslationSettings  # noqa: E402
from translation.factory import build_protected, build_translator  # noqa: E402


def _tico(target: str, count: int) -> tuple[list[str], list[str]]:
    with (TICO / f"en-{target}.dev.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))[:count]
    return [r["en"] for r in rows], [r[target] for r in rows]


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _fixture_nllb(scratch: Path, sentences: list[str]) -> Path:
    """The tests' NLLB-shaped copy model (tests/translation/nllb_model.py), loaded by path."""
    _module(ROOT / "tests/translation/argos_copy_model.py", "tests.translation.argos_copy_model")
    builder = _module(ROOT / "tests/translation/nllb_model.py", "nllb_model")
    return builder.build_nllb_model(scratch / "nllb-200-fixture", sentences)


def _per_sentence_ms(translate, sentences: list[str]) -> float:
    """Median warm cost of one sentence, each in its own call (what one short alert costs)."""
    translate(sentences[:3])  # warm: pipelines started, model loaded
    costs = []
    for sentence in sentences[:200]:
        start = time.perf_counter()
        translate([sentence])
        costs.append(time.perf_counter() - start)
    return statistics.median(costs) * 1000


def _throughput(translate, sentences: list[str]) -> tuple[float, list[str]]:
    start = time.perf_counter()
    out = translate(sentences)
    return len(sentences) / (time.perf_counter() - start), out


def _chrf(hypotheses: list[str], references: list[str]) -> float:
    import sacrebleu

    return sacrebleu.corpus_chrf(hypotheses, [references]).score


def coverage(chain: ChainTranslator, label: str) -> None:
    routes = chain.routes()
    direct = [pair for pair, route in routes.items() if route.pivot is None]
    languages = {code for pair in routes for code in pair}
    from_en = sorted(t for (s, t), route in routes.items() if s == "en")
    via = sorted(t for (s, t), route in routes.items() if s == "en" and route.pivot)
    print(f"{label:<30} {len(languages):4d} languages, {len(routes):6d} pairs ({len(direct)} direct, "
          f"{len(routes) - len(direct)} via a pivot); from en: {len(from_en)} targets"
          + (f", via a pivot: {' '.join(via)}" if via else ""))


def bench_apertium(count: int) -> None:
    settings = TranslationSettings(engines=["apertium"])
    chain = build_translator(settings)
    if not chain.backends:
        print(f"apertium: unavailable ({chain.unavailable.get('apertium')})")
        return
    coverage(ChainTranslator(chain.backends), "apertium direct only")
    coverage(chain, "apertium direct + pivot")
    protected = build_protected(settings, chain)
    sources, _ = _tico("es", count)
    direct_ms = _per_sentence_ms(lambda t: chain.translate(t, "en", "es"), sources)
    print(f"\nwarm cost per sentence (median of {min(200, len(sources))} single-sentence calls, TICO-19 dev):")
    print(f"  {'en->es apertium direct':<34} {direct_ms:7.2f} ms   (baseline)")
    for target in ("fr", "pt"):
        if ("en", target) not in chain.pairs():
            print(f"  en->{target}: no route (install apertium-fr-es / apertium-es-pt)")
            continue
        ms = _per_sentence_ms(lambda t: chain.translate(t, "en", target), sources)
        label = f"en->{target} {chain.route_for('en', target).label}"
        print(f"  {label:<34} {ms:7.2f} ms   x{ms / direct_ms:.2f} of direct; the second hop adds "
              f"{ms - direct_ms:.2f} ms")
    print(f"\nthroughput and chrF on the TICO-19 dev split (up to {count} sentences per pair, one batch):")
    for target in ("es", "fr", "pt"):
        if ("en", target) not in chain.pairs():
            continue
        sources, references = _tico(target, count)
        raw_rate, raw_out = _throughput(lambda t: chain.translate(t, "en", target), sources)
        rate, out = _throughput(lambda t: protected.translate(t, "en", target), sources)
        label = chain.route_for("en", target).label
        print(f"  en->{target} {label:<26} raw {raw_rate:7.1f} sentences/s chrF {_chrf(raw_out, references):5.1f} | "
              f"protected {rate:7.1f} sentences/s chrF {_chrf(out, references):5.1f} | "
              f"source as is chrF {_chrf(sources, references):5.1f} ({len(sources)} sentences)")


def bench_nllb(count: int, model_dir: Path | None) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        label = "nllb"
        if model_dir is None:
            corpus = _tico("es", 1000)[0] + _tico("es", 1000)[1]
            started = time.perf_counter()
            model_dir = _fixture_nllb(Path(scratch), corpus)
            label = "nllb (fixture copy model)"
            print(f"\n{label}: built in {time.perf_counter() - started:.1f} s, "
                  f"{sum(p.stat().st_size for p in model_dir.iterdir()) / 1024:.0f} KB")
        else:
            print()
        settings = TranslationSettings(engines=["nllb"], nllb=NllbSettings(model_dir=model_dir, beam_size=1))
        chain = build_translator(settings)
        if not chain.backends:
            print(f"nllb: unavailable ({chain.unavailable.get('nllb')})")
            return
        coverage(chain, label)
        engine = chain.backends[0]
        sources, _ = _tico("es", count)
        started = time.perf_counter()
        engine.translate(sources[:1], "en", "ht")
        print(f"  first call (loads the model): {(time.perf_counter() - started) * 1000:.0f} ms")
        for target in ("ht", "sw", "so"):
            rate, out = _throughput(lambda t: engine.translate(t, "en", target), sources)
            copied = sum(a == b for a, b in zip(out, sources))
            print(f"  en->{target} {label}: {rate:7.1f} sentences/s ({len(sources)} sentences, {engine.batches} "
                  f"batches so far; copy model returned {copied}/{len(sources)} unchanged)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1000, help="TICO-19 dev sentences per pair (max 1000)")
    parser.add_argument("--nllb-sentences", type=int, default=200, help="sentences per NLLB pair")
    parser.add_argument("--nllb-model-dir", type=Path, default=None)
    args = parser.parse_args()
    import os

    print(f"{os.cpu_count()} CPUs; TICO-19 dev split from {TICO}")
    bench_apertium(args.sentences)
    bench_nllb(args.nllb_sentences, args.nllb_model_dir)


if __name__ == "__main__":
    main()
