"""Which engine wins a pair, measured: chrF of each engine on a sample of a parallel text, saved per pair.

The configured `engines` order is a guess made once for all pairs; for a pair that two engines serve, a
measurement on real text is better. `relay translation rank` translates the same sample with each engine
that serves the pair directly and with the pivot route when there is one, scores each with chrF
(sacrebleu, `score`), and `save_ranking` writes the order into the ranking file that the chain honours.
The file is JSON, one entry per pair, so an operator can read and edit it:

    {"version": 1, "pairs": {"en-es": {"order": ["apertium", "nllb"], "scores": {...}, "sample": 200}}}
"""

from __future__ import annotations

import csv
import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping, Sequence

from translation.contract import Translator
from translation.errors import ModelError, TranslationError

VERSION = 1


@dataclass(frozen=True)
class EngineScore:
    """One engine (or route) on one pair's sample."""

    engine: str  # the backend name ("apertium") or the route label ("apertium+apertium via es")
    engine_id: str
    chrf: float | None  # None when the engine failed on the sample
    sentences_per_second: float | None
    direct: bool
    error: str | None = None


def read_parallel_tsv(path: Path, sample: int | None = None, seed: int = 0) -> tuple[list[str], list[str]]:
    """Sources and reference translations from a TSV with a header row naming `source` and `translation`;
    `sample` picks that many rows at random (seeded: the same rows every run)."""
    try:
        with Path(path).open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = {"source", "translation"} - set(reader.fieldnames or ())
            if missing:
                raise TranslationError(
                    f"{path}: the header row lacks column(s) {', '.join(sorted(missing))} "
                    f"(found: {', '.join(reader.fieldnames or ()) or 'nothing'})"
                )
            rows = [(row["source"] or "", row["translation"] or "") for row in reader]
    except OSError as exc:
        raise TranslationError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise TranslationError(f"{path}: not UTF-8 text: {exc}") from exc
    rows = [(s.strip(), t.strip()) for s, t in rows if s.strip() and t.strip()]
    if not rows:
        raise TranslationError(f"{path}: no rows with both a source and a translation")
    if sample is not None and sample < len(rows):
        rows = random.Random(seed).sample(rows, sample)
    return [s for s, _ in rows], [t for _, t in rows]


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    try:
        import sacrebleu
    except ImportError as exc:  # a dev dependency; ranking is an operator's tool
        raise TranslationError("ranking needs sacrebleu (pip install sacrebleu)") from exc
    return float(sacrebleu.corpus_chrf(list(hypotheses), [list(references)]).score)


def score(name: str, engine_id: str, translator: Translator, sources: Sequence[str], references: Sequence[str],
          source: str, target: str, direct: bool) -> EngineScore:
    """Translate the sample in one batch with `translator` and score it."""
    started = time.perf_counter()
    try:
        hypotheses = translator.translate(list(sources), source, target)
    except TranslationError as exc:
        return EngineScore(name, engine_id, None, None, direct, str(exc))
    elapsed = max(time.perf_counter() - started, 1e-9)
    return EngineScore(name, engine_id, round(chrf(hypotheses, references), 2), round(len(sources) / elapsed, 1),
                       direct)


def order_of(scores: Sequence[EngineScore]) -> list[str]:
    """Engines and the pivot route by chrF, best first; failed ones last. The chain takes the first that
    can serve the pair, so a pivot route that measured better than a direct engine wins."""
    return [s.engine for s in sorted(scores, key=lambda s: -(s.chrf if s.chrf is not None else -1.0))]


def _key(pair: tuple[str, str]) -> str:
    return f"{pair[0]}-{pair[1]}"


def _read(path: Path) -> dict:
    if not path.is_file():
        return {"version": VERSION, "pairs": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"ranking file {path}: not readable JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("pairs"), dict):
        raise ModelError(f"ranking file {path}: expected an object with a \"pairs\" object")
    return data


def load_ranking(path: Path) -> dict[tuple[str, str], list[str]]:
    """Pair -> engine names in measured order; a file not written yet means no ranking."""
    ranking: dict[tuple[str, str], list[str]] = {}
    for key, entry in _read(Path(path))["pairs"].items():
        source, _, target = key.partition("-")
        order = entry.get("order") if isinstance(entry, dict) else None
        if not target or not isinstance(order, list) or not all(isinstance(n, str) for n in order):
            raise ModelError(f"ranking file {path}: pair {key!r} needs \"order\": a list of engine names")
        ranking[(source, target)] = order
    return ranking


def save_ranking(path: Path, pair: tuple[str, str], scores: Sequence[EngineScore], sample: int,
                 extra: Mapping[str, object] | None = None) -> list[str]:
    """Write (or replace) one pair's order and scores, keeping the other pairs; returns the order."""
    path = Path(path)
    data = _read(path)
    order = order_of(scores)
    data["version"] = VERSION
    data["pairs"][_key(pair)] = {"order": order, "sample": sample, "scores": [asdict(s) for s in scores],
                                 **(extra or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)  # a reader never sees half a file
    return order
