"""TICO-19 dev split (../shared/testdata/tico19/) and the broken texts made from its real references.

The gate is measured on what a failing engine really produces, built from professional translations so
that only the breakage differs: a truncated output, a runaway repetition, the source left in English, the
same sentence in another language, and a number changed. Everything is seeded per sentence id, so runs
compare.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICO_DIR = next((p for p in (ROOT / "../shared/testdata/tico19", Path("/work/shared/testdata/tico19"))
                 if p.is_dir()), ROOT / "../shared/testdata/tico19")
LANGUAGES = ("es", "fr", "pt", "ar", "sw", "so", "ha")
GATE_LANGUAGES = ("es", "fr", "pt", "ar", "sw")
KINDS = ("truncated", "repeated", "english", "wrong_language", "number")
# BLEU of the OPUS-MT systems in the TICO-19 paper (its README); None where the paper gives none here.
PAPER_BLEU = {"es": 49.25, "fr": 37.59, "pt": 47.27, "sw": 22.62, "ar": 15.16, "so": None, "ha": None}


@dataclass(frozen=True)
class Pair:
    id: str
    source: str
    reference: str


def load(language: str, directory: Path = TICO_DIR) -> list[Pair]:
    """All sentence pairs of en-<language>.dev.tsv (header `id en xx`)."""
    with (directory / f"en-{language}.dev.tsv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Pair(row["id"], row["en"], row[language]) for row in reader]


def _rng(pair: Pair, kind: str) -> random.Random:
    return random.Random(f"{pair.id}/{kind}")


def truncated(pair: Pair, _others: dict[str, dict[str, Pair]], _language: str) -> str | None:
    """The first half of the words: decoding stopped early (or a length limit cut it)."""
    words = pair.reference.split()
    return " ".join(words[: len(words) // 2]) if len(words) >= 4 else None


def repeated(pair: Pair, _others: dict[str, dict[str, Pair]], _language: str) -> str | None:
    """A runaway loop: the last three words said four times."""
    words = pair.reference.rstrip(".!?。؟").split()
    if len(words) < 3:
        return None
    return " ".join(words + words[-3:] * 3)


def english(pair: Pair, _others: dict[str, dict[str, Pair]], _language: str) -> str | None:
    """The source sent back unchanged, as an engine that fails open does."""
    return pair.source


def wrong_language(pair: Pair, others: dict[str, dict[str, Pair]], language: str) -> str | None:
    """The same sentence, professionally translated, but into another of the TICO-19 languages."""
    choices = sorted(code for code, rows in others.items() if code != language and pair.id in rows)
    if not choices:
        return None
    return others[_rng(pair, "wrong").choice(choices)][pair.id].reference


_ASCII_DIGIT = re.compile(r"[0-9]")


def number(pair: Pair, _others: dict[str, dict[str, Pair]], _language: str) -> str | None:
    """One digit of one number changed (a wrong date, dose, phone number); only where the source has one."""
    if not _ASCII_DIGIT.search(pair.source):
        return None
    spots = [m.start() for m in _ASCII_DIGIT.finditer(pair.reference)]
    if not spots:
        return None
    rng = _rng(pair, "number")
    at = rng.choice(spots)
    digit = (int(pair.reference[at]) + rng.randint(1, 9)) % 10
    return pair.reference[:at] + str(digit) + pair.reference[at + 1:]


BREAKERS: dict[str, Callable[[Pair, dict[str, dict[str, Pair]], str], str | None]] = {
    "truncated": truncated, "repeated": repeated, "english": english,
    "wrong_language": wrong_language, "number": number,
}


def broken(language: str, pairs: list[Pair], others: dict[str, dict[str, Pair]]) -> dict[str, list[tuple[Pair, str]]]:
    """Per kind, the (pair, broken text) cases that kind applies to."""
    result: dict[str, list[tuple[Pair, str]]] = {}
    for kind, breaker in BREAKERS.items():
        cases = [(p, text) for p in pairs if (text := breaker(p, others, language)) is not None]
        result[kind] = cases
    return result
