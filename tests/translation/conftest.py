"""Fixtures with real engines: Apertium from Debian packages, argos packages built here from a copy model.

argos reads its settings (`ARGOS_*`, `XDG_*`) once, at import, so `argos_home` points them at a session
temporary directory before anything imports argostranslate; every argos test shares it.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from click.testing import Result
from typer.testing import CliRunner

from tests.translation.argos_copy_model import build_argos_packages
from translation.apertium import ApertiumTranslator, missing_reason
from translation.argos import ArgosTranslator
from translation.config import TranslationSettings

def translation_cli(settings: TranslationSettings) -> Callable[..., Result]:
    """`relay translate` / `relay translation ...` as registered by the relay's CLI, on `settings`."""
    from relay.app.translation_cli import register

    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app, lambda: settings)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


SHARED = Path("/work/shared/testdata/crisis-sms")
DATA = Path(__file__).resolve().parents[1] / "data" / "translation"
# Eight target languages for the fan-out tests: es by Apertium, the rest by argos packages built here.
ARGOS_TARGETS = ("es", "fr", "ar", "sw", "ht", "pt", "de", "tl")
ARGOS_PAIRS = tuple(("en", t) for t in ARGOS_TARGETS) + (("fr", "en"),)


def training_sentences() -> list[str]:
    """Text for the SentencePiece model: the alert corpus, plus shared real messages when present."""
    sentences = [json.loads(line)["text"] for line in (DATA / "alerts_200.jsonl").open(encoding="utf-8")]
    source = SHARED / "disaster_response_messages_direct.csv"
    if source.exists():
        with source.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                sentences.extend(t for t in (row["message"], row["original"]) if t)
    return sentences[:3000]


@pytest.fixture(scope="session")
def alerts() -> list[dict]:
    return [json.loads(line) for line in (DATA / "alerts_200.jsonl").open(encoding="utf-8")]


@pytest.fixture(scope="session")
def apertium():
    """The real Apertium backend over Debian's modes; the suite fails (not skips) when it is missing."""
    reason = missing_reason()
    if reason is not None:
        pytest.fail(f"Apertium is required for these tests: {reason} (run scripts/system-packages.d/apertium.sh)")
    translator = ApertiumTranslator()
    if ("en", "es") not in translator.pairs():
        pytest.fail("Apertium has no eng-spa mode: apt-get install apertium-eng-spa")
    yield translator
    translator.close()


@dataclass
class ArgosHome:
    root: Path
    package_dir: Path
    archives: dict[tuple[str, str], Path]
    translator: ArgosTranslator


@pytest.fixture(scope="session")
def argos_home(tmp_path_factory: pytest.TempPathFactory):
    """argos settings in a temp dir, and the copy-model packages installed with argos's own API."""
    if "argostranslate.settings" in sys.modules:
        pytest.fail("argostranslate was imported before the argos_home fixture could set its directories")
    root = tmp_path_factory.mktemp("argos")
    package_dir = root / "packages"
    env = {
        "ARGOS_PACKAGES_DIR": str(package_dir),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "ARGOS_CHUNK_TYPE": "SPACY",  # the packages carry a spacy/ splitter; MiniSBD would download one
        "ARGOS_DEVICE_TYPE": "cpu",
        "ARGOS_BEAM_SIZE": "1",  # greedy: the copy model is certain, and the suite stays fast
        "ARGOS_INTRA_THREADS": "1",  # a tiny model: thread hand-offs cost more than they save
    }
    # With ARGOS_CHUNK_TYPE=SPACY argos caches a multilingual spacy model at import and would try to
    # download it; a blank one in place keeps the whole run offline.
    import spacy

    spacy_cache = root / "cache" / "argos-translate" / "spacy"
    spacy_cache.mkdir(parents=True)
    spacy.blank("xx").to_disk(spacy_cache)
    (spacy_cache / "senter" / "model").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        archives = build_argos_packages(root / "archives", ARGOS_PAIRS, training_sentences())
        translator = ArgosTranslator(package_dir)
        for archive in archives.values():
            translator.install(archive)
        yield ArgosHome(root, package_dir, archives, translator)


@pytest.fixture
def extra_archive(argos_home: ArgosHome, tmp_path: Path):
    """Build one more package (for install tests) from the session's first archive, with new codes."""

    def make(from_code: str, to_code: str) -> Path:
        import zipfile

        from tests.translation.argos_copy_model import package_model_dir

        payload = tmp_path / f"payload-{from_code}-{to_code}"
        with zipfile.ZipFile(next(iter(argos_home.archives.values()))) as zf:
            zf.extractall(payload)
        (top,) = list(payload.iterdir())
        (top / "metadata.json").unlink()
        return package_model_dir(top, tmp_path / "out", from_code, to_code)

    return make


@pytest.fixture
def broken_modes_dir(tmp_path: Path) -> Path:
    """A modes dir whose eng-fra pipeline points at a missing dictionary: its first stage exits at once."""
    modes = tmp_path / "modes"
    modes.mkdir()
    (modes / "eng-fra.mode").write_text(f"lt-proc '{tmp_path}/missing.automorf.bin'\n")
    return modes
