"""argostranslate backend: installed `.argosmodel` packages, with an English pivot when no direct pair exists.

argostranslate is imported lazily and only here: importing its translator loads torch, stanza and spacy
(about 1.5 s and 350 MB), which an SMS-only relay never needs. argos reads its settings (`ARGOS_*`,
`XDG_*`) once, at import, so the package directory is fixed for the life of the process: a second
backend asking for another directory gets a `ModelError` rather than silently using the first one.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any, Sequence

from translation.ctranslate import load_tokenizer, load_translator
from translation.errors import ModelError, TranslationError, UnsupportedPair
from translation.languages import normalize

PIVOT = "en"
_IMPORT_LOCK = threading.Lock()


def missing_reason() -> str | None:
    """Why argos cannot be used here, or None; checks without importing the heavy modules."""
    import importlib.util

    if importlib.util.find_spec("argostranslate") is None:
        return "argostranslate is not installed (pip install 'relay[argos]', torch CPU wheel first)"
    return None


def _argos_package_module(package_dir: Path | None, index_url: str | None = None) -> Any:
    """Import `argostranslate.package` with our package directory (and package index URL, argos's
    `ARGOS_PACKAGE_INDEX`), or refuse a conflicting package directory."""
    with _IMPORT_LOCK:
        if "argostranslate.settings" not in sys.modules:
            if package_dir is not None:
                package_dir.mkdir(parents=True, exist_ok=True)
                os.environ["ARGOS_PACKAGES_DIR"] = str(package_dir)
            if index_url is not None:
                os.environ["ARGOS_PACKAGE_INDEX"] = index_url
        try:
            import argostranslate.package as argos_package
            import argostranslate.settings as argos_settings
        except ImportError as exc:
            raise ModelError(f"argos: argostranslate cannot be imported: {exc}") from exc
        if index_url is not None and argos_settings.package_index != index_url:
            # argos read its setting at import; its package functions read these two names at each call.
            argos_settings.package_index = index_url
            argos_settings.remote_package_index = index_url + "index.json"
        if package_dir is not None and Path(argos_settings.package_data_dir).resolve() != package_dir.resolve():
            raise ModelError(
                f"argos: argostranslate is already loaded with package dir {argos_settings.package_data_dir}; "
                f"one process serves one package dir, not also {package_dir}"
            )
        return argos_package


def argos_settings(package_dir: Path | None, index_url: str | None = None) -> Any:
    """`argostranslate.settings` (directories, index URL, download cache), imported as above."""
    _argos_package_module(package_dir, index_url)
    import argostranslate.settings as settings_module

    return settings_module


def _any_package_on_disk(package_dir: Path | None) -> bool:
    """Whether an argos package could be installed where argos would look, checked without importing it
    (the import costs torch, stanza and spaCy). Once argos is loaded, its own answer counts."""
    if "argostranslate.settings" in sys.modules:
        return True
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    candidates = [package_dir, Path(os.environ["ARGOS_PACKAGES_DIR"]) if os.environ.get("ARGOS_PACKAGES_DIR") else None,
                  data_home / "argos-translate" / "packages"]
    for directory in filter(None, candidates):
        if directory.is_dir() and any(directory.glob("*/metadata.json")):
            return True
    return False


class ArgosTranslator:
    """Translator over the installed argos packages; calls are serialised (argos caches are not thread-safe)."""

    name = "argos"

    def __init__(self, package_dir: Path | None = None) -> None:
        self.package_dir = Path(package_dir) if package_dir is not None else None
        self._lock = threading.RLock()
        self._packages: dict[tuple[str, str], str] | None = None  # pair -> package version

    # -- what is installed -------------------------------------------------------------------------

    def _installed(self) -> dict[tuple[str, str], str]:
        with self._lock:
            if self._packages is None:
                if not _any_package_on_disk(self.package_dir):  # nothing to serve: don't pay the import
                    self._packages = {}
                    return self._packages
                argos_package = _argos_package_module(self.package_dir)
                found: dict[tuple[str, str], str] = {}
                try:
                    for pkg in argos_package.get_installed_packages():
                        if pkg.type == "translate" and pkg.from_code and pkg.to_code:
                            found[(pkg.from_code, pkg.to_code)] = pkg.package_version or "0"
                except Exception as exc:  # a broken metadata.json in the package dir
                    raise ModelError(f"argos: cannot read installed packages: {exc}") from exc
                self._packages = found
            return self._packages

    def installed(self) -> dict[tuple[str, str], str]:
        """The installed packages: pair -> package version (no English pivot pairs)."""
        return dict(self._installed())

    def _route(self, source: str, target: str) -> list[tuple[str, str]]:
        """The package hops for a pair: the direct package, else through English."""
        installed = self._installed()
        codes = {code for pair in installed for code in pair}
        source, target = normalize(source, codes), normalize(target, codes)
        if (source, target) in installed:
            return [(source, target)]
        if (source, PIVOT) in installed and (PIVOT, target) in installed:
            return [(source, PIVOT), (PIVOT, target)]
        raise UnsupportedPair(source, target, self.pairs())

    def pairs(self) -> set[tuple[str, str]]:
        installed = self._installed()
        result = set(installed)
        for source, mid in installed:
            if mid == PIVOT:
                result |= {(source, t) for (s, t) in installed if s == PIVOT and t != source}
        return result

    def engine_id(self, source: str, target: str) -> str:
        installed = self._installed()
        hops = self._route(source, target)
        return "argos/" + "+".join(f"{s}-{t}@{installed[(s, t)]}" for s, t in hops)

    # -- translating -------------------------------------------------------------------------------

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        hops = self._route(source, target)
        with self._lock:
            _argos_package_module(self.package_dir)
            try:
                import argostranslate.translate as argos_translate
            except Exception as exc:
                raise ModelError(f"argos: the translator cannot be loaded: {exc}") from exc
            results = list(texts)
            for s, t in hops:
                try:
                    translation = argos_translate.get_translation_from_codes(s, t)
                except Exception as exc:
                    raise ModelError(f"argos: package {s}->{t} cannot be loaded: {exc}") from exc
                if translation is None:
                    raise ModelError(f"argos: package {s}->{t} is listed but argos cannot load it")
                for i, text in enumerate(results):
                    if not text.strip():
                        continue
                    try:
                        results[i] = translation.translate(text)
                    except TranslationError:
                        raise
                    except Exception as exc:  # ctranslate2 / sentencepiece / spacy failures
                        raise ModelError(f"argos {s}->{t}: the model failed: {type(exc).__name__}: {exc}") from exc
            return results

    # -- installing --------------------------------------------------------------------------------

    def install(self, archive: Path) -> tuple[str, str]:
        """Check a `.argosmodel` fully, then install it with argos's own API; return its pair.

        A corrupt file is refused with a `ModelError` saying what is wrong, and nothing is installed.
        """
        archive = Path(archive)
        pair = validate_package(archive)
        with self._lock:
            argos_package = _argos_package_module(self.package_dir)
            try:
                argos_package.install_from_path(archive)
            except Exception as exc:
                raise ModelError(f"argos: installing {archive.name} failed: {exc}") from exc
            self._packages = None
        return pair


def validate_package(archive: Path) -> tuple[str, str]:
    """Open the archive and load its model and tokenizer in a scratch dir; return (from_code, to_code)."""
    where = f"{archive}"
    if not archive.is_file():
        raise ModelError(f"{where}: no such file")
    if not zipfile.is_zipfile(archive):
        raise ModelError(f"{where}: not a valid .argosmodel (not a zip archive)")
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            tops = {name.split("/", 1)[0] for name in names}
            if len(tops) != 1:
                raise ModelError(f"{where}: expected one top folder in the archive, found {sorted(tops)[:5]}")
            top = tops.pop()
            if f"{top}/metadata.json" not in names:
                raise ModelError(f"{where}: {top}/metadata.json is missing")
            metadata = json.loads(zf.read(f"{top}/metadata.json").decode("utf-8"))
            with tempfile.TemporaryDirectory() as scratch:
                zf.extractall(scratch)
                _check_contents(Path(scratch) / top, metadata, where)
    except zipfile.BadZipFile as exc:
        raise ModelError(f"{where}: corrupt zip archive: {exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{where}: metadata.json is not valid JSON: {exc}") from exc
    return metadata["from_code"], metadata["to_code"]


def _check_contents(root: Path, metadata: Any, where: str) -> None:
    if not isinstance(metadata, dict):
        raise ModelError(f"{where}: metadata.json must hold an object")
    if metadata.get("type", "translate") != "translate":
        raise ModelError(f"{where}: package type {metadata.get('type')!r} is not a translation package")
    for key in ("from_code", "to_code"):
        if not isinstance(metadata.get(key), str) or not metadata[key]:
            raise ModelError(f"{where}: metadata.json lacks {key}")
    if not (root / "model" / "model.bin").is_file():
        raise ModelError(f"{where}: model/model.bin is missing")
    sp_model = root / "sentencepiece.model"
    try:
        if sp_model.is_file():
            load_tokenizer(sp_model)
        elif not (root / "bpe.model").is_file():
            raise ModelError("no tokenizer (sentencepiece.model or bpe.model)")
        load_translator(root / "model")
    except ModelError as exc:
        raise ModelError(f"{where}: {exc}") from exc
