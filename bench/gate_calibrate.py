"""Calibrate the quality gate's thresholds per pair on the TICO-19 dev split, as a whole.

    python bench/gate_calibrate.py [--write] [--languages es,fr,...]

For each pair it measures every check's raw value on the 1,000 professional references (less the
documents `bench.tico19.misaligned_documents` finds misaligned) and sets the
bounds by one rule for all pairs (PERCENTILES below): each check then holds about 0.5-1 % of good
texts, and the union of the six stays near the 5 % budget. `--write` stores the table in translation/gate_defaults.py. Sentence vectors are cached in
.cache/embeddings.sqlite3 (the first run embeds every reference: minutes on a small machine).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.tico19 import LANGUAGES, ROOT, Pair, aligned, load
from translation import gate_checks as checks
from translation.embedding_cache import CachedEmbedder
from translation.embeddings import cosine_rows, load_embedder
from translation.gate_config import GateSettings
from translation.gate_factory import GATE_EMBEDDER

CACHE = ROOT / ".cache" / "embeddings.sqlite3"
# (field, check value, percentile of the references, decimals)
PERCENTILES = {
    "min_length_ratio": 0.5, "max_length_ratio": 99.75, "min_language_probability": 0.5,
    "max_copy_chrf": 99.75, "min_similarity": 1.0, "min_back_chrf": 0.5,
}


def reference_values(language: str, pairs: list[Pair], embedder, reverse) -> dict[str, np.ndarray]:
    """Each check's raw value on every reference of the pair."""
    settings = GateSettings()
    values: dict[str, list[float]] = {k: [] for k in ("length", "language", "copy")}
    for p in pairs:
        values["length"].append(checks.length_ratio(p.source, p.reference))
        prob = checks.language_probability(p.reference, language, settings.language_candidates,
                                           settings.min_words_for_language)
        values["language"].append(np.nan if prob is None else prob)
        values["copy"].append(checks.copy_score(p.source, p.reference))
    out = {k: np.array(v, dtype=float) for k, v in values.items()}
    if embedder is not None:
        a = embedder.embed_queries([p.source for p in pairs])
        b = embedder.embed_queries([p.reference for p in pairs])
        out["similarity"] = cosine_rows(a, b)
    if reverse is not None and (language, "en") in reverse.pairs():
        back = reverse.translate([p.reference for p in pairs], language, "en")
        out["back"] = np.array([checks.chrf(t, p.source) for t, p in zip(back, pairs)])
    return out


def thresholds(values: dict[str, np.ndarray]) -> dict[str, float]:
    source = {"min_length_ratio": "length", "max_length_ratio": "length", "min_language_probability": "language",
              "max_copy_chrf": "copy", "min_similarity": "similarity", "min_back_chrf": "back"}
    result = {}
    for name, percentile in PERCENTILES.items():
        column = values.get(source[name])
        if column is None or np.all(np.isnan(column)):
            continue
        value = float(np.nanpercentile(column, percentile))
        result[name] = outward(value, name, 3 if name in ("min_similarity", "min_language_probability") else 2)
    return result


def outward(value: float, name: str, decimals: int) -> float:
    """Round a bound away from the texts it lets through: a lower bound down, an upper bound up. Rounding to
    the nearest could lift a lower bound above the very reference that sets it (en-fr similarity: the
    percentile's reference sat at 0.8848 under a bound of 0.885, so a real TICO-19 reference was held)."""
    scale = 10 ** decimals
    rounded = math.floor(value * scale) if name.startswith("min_") else math.ceil(value * scale)
    return round(rounded / scale, decimals)


def render(table: dict[str, dict[str, float]]) -> str:
    head = Path(ROOT / "translation" / "gate_defaults.py").read_text(encoding="utf-8").split("CALIBRATED")[0]
    lines = [head.rstrip() + "\n", "CALIBRATED: dict[str, PairThresholds] = {"]
    for pair, limits in table.items():
        args = ", ".join(f"{k}={v!r}" for k, v in limits.items())
        lines.append(f'    "{pair}": PairThresholds({args}),')
    lines.append("}\n")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="store the table in translation/gate_defaults.py")
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    args = parser.parse_args()
    inner = load_embedder(GATE_EMBEDDER)
    embedder = CachedEmbedder(inner, CACHE) if inner is not None else None
    # The reverse engine is the chain the relay builds (direct pairs and pivots: fr->en goes through es),
    # so every pair the gate back-translates at run time is calibrated with the same route.
    from translation.config import TranslationSettings
    from translation.factory import build_translator

    reverse = build_translator(TranslationSettings(engines=["apertium"], languages=["en", *LANGUAGES]))
    if not reverse.pairs():
        print(f"no reverse engine: {reverse.unavailable}")
        reverse = None
    table = {}
    # Documents whose references are not translations of their source do not calibrate anything.
    kept, dropped = aligned({code: load(code) for code in LANGUAGES})
    for language in args.languages.split(","):
        if dropped[language]:
            print(f"en-{language}: {len(dropped[language])} references of misaligned documents left out")
        values = reference_values(language, kept[language], embedder, reverse)
        table[f"en-{language}"] = limits = thresholds(values)
        print(f"en-{language}: " + ", ".join(f"{k}={v}" for k, v in limits.items()), flush=True)
    if args.write:
        (ROOT / "translation" / "gate_defaults.py").write_text(render(table), encoding="utf-8")
        print("written: translation/gate_defaults.py")


if __name__ == "__main__":
    main()
