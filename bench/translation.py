"""Translation benchmark: per engine, latency of a 300-character alert (cold, warm) and sentences/second.

    .venv/bin/python bench/translation.py [--argos-package-dir DIR] [--sentences 200]

Prints figures, never passes or fails. Apertium runs Debian's eng-spa. argos runs the packages in
--argos-package-dir when given (e.g. a real en->es package); otherwise it builds the tests' copy model
in a temporary directory, so its figures measure argos's machinery on a tiny model, not a real one.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ALERT = (
    "FLASH FLOOD WARNING for Staten Island until 6 PM EST: water is rising fast on Richmond Terrace. "
    "Move to higher ground now and do not drive through flooded roads. Shelters are open at the high "
    "school. Call +1 212-555-0100 for help or see https://www.ready.gov/floods. Reply STOP to end alerts."
)


def _load_corpus(count: int) -> list[str]:
    lines = (ROOT / "tests" / "data" / "translation" / "alerts_200.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    return (texts * (count // len(texts) + 1))[:count]


def _measure(label: str, translate, corpus: list[str]) -> None:
    start = time.perf_counter()
    translate([ALERT])
    cold = time.perf_counter() - start
    warm = []
    for n in range(20):
        text = f"{ALERT} Update {n}."  # a new text each time: argos caches its last paragraph
        start = time.perf_counter()
        translate([text])
        warm.append(time.perf_counter() - start)
    start = time.perf_counter()
    translate(corpus)
    elapsed = time.perf_counter() - start
    print(
        f"{label:<34} cold {cold * 1000:8.1f} ms   warm median {statistics.median(warm) * 1000:7.2f} ms"
        f"   throughput {len(corpus) / elapsed:8.1f} sentences/s ({len(corpus)} alert sentences)"
    )


def bench_apertium(corpus: list[str]) -> None:
    from translation.apertium import ApertiumTranslator, missing_reason
    from translation.glossary import Glossary
    from translation.protect import ProtectingTranslator

    reason = missing_reason()
    if reason:
        print(f"apertium: unavailable ({reason})")
        return
    raw = ApertiumTranslator()
    _measure("apertium eng-spa (raw)", lambda t: raw.translate(t, "en", "es"), corpus)
    raw.close()
    protected = ProtectingTranslator(ApertiumTranslator(), Glossary.load(ROOT / "config" / "glossary"))
    _measure("apertium eng-spa (protected)", lambda t: protected.translate(t, "en", "es"), corpus)
    protected.inner.close()  # type: ignore[attr-defined]


def _copy_model_packages(home: Path) -> Path:
    """Set argos's environment to `home` and install the tests' copy-model en->es package there."""
    spec = importlib.util.spec_from_file_location("argos_copy_model", ROOT / "tests/translation/argos_copy_model.py")
    assert spec and spec.loader
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    import spacy

    for key, sub in (("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")):
        os.environ[key] = str(home / sub)
    os.environ["ARGOS_CHUNK_TYPE"] = "SPACY"
    spacy_cache = home / "cache" / "argos-translate" / "spacy"
    spacy_cache.mkdir(parents=True)
    spacy.blank("xx").to_disk(spacy_cache)
    (spacy_cache / "senter" / "model").mkdir(parents=True)
    os.environ["ARGOS_PACKAGES_DIR"] = str(home / "packages")
    _time_import()
    archives = builder.build_argos_packages(home / "archives", [("en", "es")], _load_corpus(200))
    return archives[("en", "es")]


def _time_import() -> None:
    start = time.perf_counter()
    import argostranslate.translate  # noqa: F401  (the heavy import: torch, stanza, spacy)

    print(f"{'argos import (torch, stanza, spacy)':<34} {(time.perf_counter() - start) * 1000:8.1f} ms")


def bench_argos(corpus: list[str], package_dir: Path | None) -> None:
    from translation.argos import ArgosTranslator, missing_reason

    reason = missing_reason()
    if reason:
        print(f"argos: unavailable ({reason})")
        return
    with tempfile.TemporaryDirectory() as scratch:
        label = "argos (installed packages)"
        if package_dir is None:
            archive = _copy_model_packages(Path(scratch))
            package_dir = Path(scratch) / "packages"
            ArgosTranslator(package_dir).install(archive)
            label = "argos en-es (copy model)"
        else:
            os.environ["ARGOS_PACKAGES_DIR"] = str(package_dir)
            _time_import()
        translator = ArgosTranslator(package_dir)
        if ("en", "es") not in translator.pairs():
            print(f"argos: no en->es package in {package_dir}")
            return
        import argostranslate.settings as argos_settings

        print(f"argos settings: beam {argos_settings.beam_size}, intra_threads {argos_settings.intra_threads} "
              "(ARGOS_BEAM_SIZE, ARGOS_INTRA_THREADS)")
        _measure(label, lambda t: translator.translate(t, "en", "es"), corpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--argos-package-dir", type=Path, default=None)
    parser.add_argument("--sentences", type=int, default=200)
    args = parser.parse_args()
    corpus = _load_corpus(args.sentences)
    print(f"alert: {len(ALERT)} characters; corpus: {len(corpus)} sentences, "
          f"mean {statistics.mean(map(len, corpus)):.0f} characters; {os.cpu_count()} CPUs")
    bench_apertium(corpus)
    bench_argos(corpus, args.argos_package_dir)


if __name__ == "__main__":
    main()
