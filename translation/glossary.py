"""The glossary: names that must survive translation, or that have a fixed translation per language.

Place and organisation names ("Staten Island", "FEMA") are kept byte-identical; an entry may instead
force its translation per language ("Red Cross" -> es "Cruz Roja"). Files are TOML under
`config/glossary/` (one or many, read in name order):

    [[term]]
    text = "Staten Island"

    [[term]]
    text = "Red Cross"
    translations = { es = "Cruz Roja", fr = "Croix-Rouge" }
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from translation.errors import UnknownLanguage
from translation.languages import normalize


class GlossaryError(ValueError):
    """A glossary file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class GlossaryEntry:
    """One protected term; `translations` maps a language to the text forced for it."""

    text: str
    translations: Mapping[str, str] = field(default_factory=dict)
    origin: str = ""

    def render(self, language: str) -> str:
        """What the term becomes in `language`: its forced translation, or the term unchanged."""
        return self.translations.get(language, self.text)


class Glossary:
    """An immutable set of entries with one regex that finds them (longest term first)."""

    def __init__(self, entries: Sequence[GlossaryEntry] = ()) -> None:
        self.entries = {entry.text: entry for entry in entries}
        terms = sorted(self.entries, key=len, reverse=True)
        self.pattern = (
            re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in terms)) if terms else None
        )
        canonical = json.dumps(
            sorted((e.text, sorted(e.translations.items())) for e in entries), ensure_ascii=False
        )
        self.version = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def load(cls, directory: Path) -> "Glossary":
        """Read every `*.toml` in `directory`; a missing directory is an empty glossary."""
        directory = Path(directory)
        entries: list[GlossaryEntry] = []
        seen: dict[str, str] = {}
        if not directory.is_dir():
            return cls()
        for path in sorted(directory.glob("*.toml")):
            for entry in _read_file(path):
                if entry.text in seen:
                    raise GlossaryError(f"{path}: term {entry.text!r} is already defined in {seen[entry.text]}")
                seen[entry.text] = str(path)
                entries.append(entry)
        return cls(entries)


def _read_file(path: Path) -> list[GlossaryEntry]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GlossaryError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"term"}
    if unknown:
        raise GlossaryError(f"{path}: unknown top-level keys {sorted(unknown)}; expected [[term]] tables")
    entries = []
    for number, raw in enumerate(data.get("term", []), start=1):
        where = f"{path}: term #{number}"
        if not isinstance(raw, dict) or set(raw) - {"text", "translations"}:
            raise GlossaryError(f"{where}: only 'text' and 'translations' are allowed")
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip() or text != text.strip():
            raise GlossaryError(f"{where}: 'text' must be a non-empty string without outer spaces")
        translations: dict[str, str] = {}
        for language, value in dict(raw.get("translations", {})).items():
            try:
                code = normalize(language)
            except UnknownLanguage as exc:
                raise GlossaryError(f"{where} ({text!r}): {exc}") from exc
            if not isinstance(value, str) or not value.strip():
                raise GlossaryError(f"{where} ({text!r}): translation for {code} must be a non-empty string")
            translations[code] = value
        entries.append(GlossaryEntry(text, translations, str(path)))
    return entries
