"""TICO-19 dev split (../shared/testdata/tico19/) and the broken texts made from its real references.

The gate is measured on what a failing engine really produces, built from professional translations so
that only the breakage differs: a truncated output, a runaway repetition, the source left in English, the
same sentence in another language, and a number changed. Everything is seeded per sentence id, so runs
compare.
"""

from __future__ import annotations

import csv
import math
import random
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICO_DIR = next((p for p in (ROOT / "../shared/testdata/tico19", Path("/work/shared/testdata/tico19"))
                 if p.is_dir()), ROOT / "../shared/testdata/tico19")
LANGUAGES = ("es", "fr", "pt", "ar", "sw", "so", "ha")
GATE_LANGUAGES = ("es", "fr", "pt", "ar", "sw")
KINDS = ("truncated", "repeated", "english", "wrong_language", "number")
# A reference whose length ratio differs from the other languages' ratios for the same sentence by more
# than this factor is not a translation of its source; a document with this share of such rows (and at
# least MIN_BAD_ROWS) is misaligned as a whole for that language (its other rows cannot be trusted either).
ALIGNMENT_FACTOR = 2.0
MISALIGNED_SHARE = 0.2
MIN_BAD_ROWS = 3
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


def _length_ratio(pair: Pair) -> float:
    squeeze = lambda s: " ".join(s.split())  # noqa: E731 - as translation.gate_checks.length_ratio
    return max(1e-3, len(squeeze(pair.reference)) / max(1, len(squeeze(pair.source))))


def misaligned_documents(data: dict[str, list[Pair]]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per language, the documents whose references are not translations of their sources:
    {language: {document: (rows out of line, rows)}}.

    Why: the dev split carries whole documents whose references belong to other sentences (French
    PubMed_8 pairs a coronavirus review's sentences with a questionnaire's). Holding those is right,
    but they would count as false holds and would loosen every calibrated bound. The test uses only
    the other languages' professional references for the same sentence ids (the seven files share
    their 1,000 ids), never the gate: the gate's checks are not judged by themselves.
    """
    ids = [p.id for p in next(iter(data.values()))]
    by_language = {code: {p.id: p for p in pairs} for code, pairs in data.items()}
    if len(by_language) < 3 or any(set(rows) != set(ids) for rows in by_language.values()):
        return {code: {} for code in data}  # needs the same sentences in at least three languages
    logs = {code: {i: math.log(_length_ratio(rows[i])) for i in ids} for code, rows in by_language.items()}
    result: dict[str, dict[str, tuple[int, int]]] = {}
    for code in data:
        others = [c for c in data if c != code]
        out_of_line = Counter()
        rows = Counter()
        for i in ids:
            document = i.split(":")[0]
            rows[document] += 1
            typical = statistics.median(logs[c][i] for c in others)
            if abs(logs[code][i] - typical) > math.log(ALIGNMENT_FACTOR):
                out_of_line[document] += 1
        result[code] = {d: (out_of_line[d], rows[d]) for d in rows
                        if out_of_line[d] >= MIN_BAD_ROWS and out_of_line[d] / rows[d] >= MISALIGNED_SHARE}
    return result


def aligned(data: dict[str, list[Pair]]) -> tuple[dict[str, list[Pair]], dict[str, list[Pair]]]:
    """(the pairs of aligned documents, the pairs of misaligned ones), per language."""
    bad = misaligned_documents(data)
    kept = {c: [p for p in pairs if p.id.split(":")[0] not in bad[c]] for c, pairs in data.items()}
    dropped = {c: [p for p in pairs if p.id.split(":")[0] in bad[c]] for c, pairs in data.items()}
    return kept, dropped
