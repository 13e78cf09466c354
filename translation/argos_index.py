"""argos's package index: what it offers, and downloading + installing through argostranslate's own API.

argos reads the index from `ARGOS_PACKAGE_INDEX` (its own setting, an environment variable or its
settings.json; `index.json` is fetched from under it), so the relay's `argos_index_url` is handed to argos
that way; a mirror on the local network, or a test server on 127.0.0.1, is just another URL.

Installing is two phases, so a bad download never leaves half a set installed: every requested package
is downloaded (`AvailablePackage.download()`) and checked like a local file (`validate_package`: zip,
metadata, the pair it claims, tokenizer, CTranslate2 model loads); only when all pass are they installed
(`install_from_path`). A package that fails its check is deleted from argos's download cache, so the
next attempt downloads it again instead of reusing the broken file.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from translation.argos import ArgosTranslator, _argos_package_module, argos_settings, validate_package
from translation.errors import ModelError, TranslationError, UnsupportedPair
from translation.languages import normalize

DEFAULT_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"


class PackageIndexError(TranslationError):
    """The index cannot be fetched or read."""


class NotInIndex(UnsupportedPair):
    """A pair the index has no package for; the message names it and what the index offers instead."""

    def __init__(self, source: str, target: str, url: str, offered: Iterable[str]) -> None:
        super().__init__(source, target)
        listed = ", ".join(sorted(offered)) or "nothing"
        self.args = (f"the argos package index {url} has no package {source} -> {target}; "
                     f"from {source} it offers: {listed}",)


@dataclass(frozen=True)
class IndexPackage:
    """One translation package the index offers."""

    from_code: str
    to_code: str
    version: str
    from_name: str
    to_name: str
    links: tuple[str, ...]

    @property
    def pair(self) -> tuple[str, str]:
        return (self.from_code, self.to_code)


class ArgosIndex:
    """The index at `url` (None: argos's own setting, else its default) for argos's package directory."""

    def __init__(self, package_dir: Path | None = None, url: str | None = None) -> None:
        self.package_dir = Path(package_dir) if package_dir is not None else None
        self.url = None if url is None else (url if url.endswith("/") else url + "/")
        self._packages: list[IndexPackage] | None = None
        self._argos: object | None = None

    def _module(self):
        """`argostranslate.package`, pointed at our package dir and index URL."""
        if self._argos is None:
            self._argos = _argos_package_module(self.package_dir, self.url)
        return self._argos

    def _settings(self):
        return argos_settings(self.package_dir, self.url)

    @property
    def index_url(self) -> str:
        return str(self._settings().remote_package_index)

    def packages(self) -> list[IndexPackage]:
        """Fetch the index (argos's `update_package_index`) and list its translation packages."""
        if self._packages is None:
            argos = self._module()
            local = Path(self._settings().local_package_index)
            before = local.stat().st_mtime_ns if local.exists() else None
            argos.update_package_index()  # logs and returns on a network error instead of raising
            after = local.stat().st_mtime_ns if local.exists() else None
            if after is None or after == before:
                raise PackageIndexError(f"cannot download the argos package index {self.index_url} "
                                  "(is the URL right and reachable? set [translation] argos_index_url)")
            try:
                available = argos.get_available_packages()
            except Exception as exc:  # not JSON, not a list of objects
                raise PackageIndexError(f"the argos package index {self.index_url} is not valid: {exc}") from exc
            found = [
                IndexPackage(p.from_code, p.to_code, str(p.package_version or "0"), p.from_name or p.from_code,
                             p.to_name or p.to_code, tuple(p.links))
                for p in available
                if p.type == "translate" and p.from_code and p.to_code
            ]
            self._packages = sorted(found, key=lambda p: p.pair)
        return self._packages

    def resolve(self, specs: Sequence[str], all_from: str | None = None) -> list[IndexPackage]:
        """The packages for `en:fr`-style specs (and every package from `all_from`); an unknown pair is an
        `UnsupportedPair` naming it and what the index offers from that language."""
        by_pair = {p.pair: p for p in self.packages()}
        codes = {code for pair in by_pair for code in pair}
        chosen: dict[tuple[str, str], IndexPackage] = {}
        for spec in specs:
            source, sep, target = spec.partition(":")
            if not sep or not source.strip() or not target.strip():
                raise TranslationError(f"{spec!r}: expected SOURCE:TARGET such as en:fr")
            pair = (normalize(source, codes), normalize(target, codes))
            if pair not in by_pair:
                raise NotInIndex(*pair, self.index_url, (t for s, t in by_pair if s == pair[0]))
            chosen[pair] = by_pair[pair]
        if all_from is not None:
            source = normalize(all_from, codes)
            from_source = [p for p in self.packages() if p.from_code == source]
            if not from_source:
                raise TranslationError(f"the argos package index {self.index_url} has no package from {source}")
            chosen.update((p.pair, p) for p in from_source)
        if not chosen:
            raise TranslationError("name at least one pair (en:fr) or --all-from LANG")
        return [chosen[pair] for pair in sorted(chosen)]

    def fetch(self, package: IndexPackage) -> Path:
        """Download one package with argos and check it; the checked file, or a `ModelError` (and the
        download deleted)."""
        argos = self._module()
        match = [p for p in argos.get_available_packages() if (p.from_code, p.to_code) == package.pair]
        if not match:
            raise NotInIndex(*package.pair, self.index_url, ())
        available = match[0]
        cached = Path(self._settings().downloads_dir) / f"translate-{package.from_code}_{package.to_code}.argosmodel"
        cached.unlink(missing_ok=True)  # argos reuses a cached file: never an older or broken one
        try:
            path = Path(available.download())
        except Exception as exc:
            cached.unlink(missing_ok=True)
            links = ", ".join(package.links) or "no links"
            raise ModelError(f"argos package {package.from_code} -> {package.to_code}: download failed "
                             f"({links}): {exc}") from exc
        try:
            pair = validate_package(path)
            if pair != package.pair:
                raise ModelError(f"{path}: the index lists it as {package.from_code} -> {package.to_code} "
                                 f"but it holds {pair[0]} -> {pair[1]}")
        except ModelError:
            path.unlink(missing_ok=True)
            raise
        return path


def install_from_index(
    index: ArgosIndex,
    packages: Iterable[IndexPackage],
    translator: ArgosTranslator,
    *,
    save_to: Path | None = None,
    download_only: bool = False,
    step: Callable[[str], None] = lambda _what: None,
) -> list[tuple[str, str]]:
    """Download and check every package, then (unless `download_only`) install them all; nothing is
    installed when one fails. `save_to` keeps a copy of each checked file (for an offline machine).
    `step` is told what happens next (the CLI's progress bar)."""
    packages = list(packages)
    checked: list[tuple[IndexPackage, Path]] = []
    try:
        for package in packages:
            step(f"downloading {package.from_code} -> {package.to_code}")
            checked.append((package, index.fetch(package)))
        if save_to is not None:
            save_to.mkdir(parents=True, exist_ok=True)
            for _package, path in checked:
                shutil.copy2(path, save_to / path.name)
        installed: list[tuple[str, str]] = []
        if not download_only:
            for package, path in checked:
                step(f"installing {package.from_code} -> {package.to_code}")
                installed.append(translator.install(path))
        return installed if not download_only else [p.pair for p, _ in checked]
    finally:
        for _package, path in checked:
            path.unlink(missing_ok=True)  # argos's download cache: the copy that counts is installed or saved
