"""The claim database: add one, import a fact-checkers' export (CSV or JSON, our columns or
schema.org ClaimReview), list them. Each claim is stored with its pivot-language text and MinHash
signature, so every process's index can load it without translating or hashing again.

Adding a claim also rescans what was relayed recently (`moderation.rescan`): a rumour that went out
before anyone knew it was false is queued for moderators, who can then correct it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from relay.core import audit
from relay.integrity import claim_vectors, pivot
from relay.integrity import embeddings as vectors_of
from relay.integrity import text as texts
from relay.integrity.models import Claim

if TYPE_CHECKING:
    from relay.core.config import Settings

VERDICTS = ("false", "misleading", "true")
_VERDICT_WORDS = {  # ratings seen in fact-checkers' exports, folded to ours
    "false": "false", "fake": "false", "pants on fire": "false", "incorrect": "false", "wrong": "false",
    "falso": "false", "faux": "false", "fo": "false", "mostly false": "misleading", "misleading": "misleading",
    "half true": "misleading", "missing context": "misleading", "partly false": "misleading",
    "enganoso": "misleading", "trompeur": "misleading", "true": "true", "correct": "true", "verdadero": "true",
    "vrai": "true",
}


class ClaimError(ValueError):
    """A claim (or a row of an import) that cannot be stored; the message says what is wrong."""


@dataclass(frozen=True)
class Added:
    claim: Claim
    created: bool
    flagged: int = 0  # relayed messages queued for review because they match it


def verdict_of(value: str | None) -> str:
    word = (value or "false").strip().lower()
    if word not in _VERDICT_WORDS:
        raise ClaimError(f"verdict {value!r}: expected false, misleading or true (or a fact-checker's rating "
                         f"such as {', '.join(sorted(_VERDICT_WORDS)[:6])}...)")
    return _VERDICT_WORDS[word]


def add_claim(session: Session, *, text: str, language: str, settings: "Settings", added_by: str,
              verdict: str = "false", correction: str | None = None, source_url: str | None = None,
              rescan: bool = True, vector=None) -> Added:
    """Store one claim with its pivot text, MinHash signature and sentence vectors (`vector`: the text's,
    when an import embedded its rows in one batch)."""
    text = text.strip()
    if not text:
        raise ClaimError("the claim text is empty")
    language = language.strip().lower()
    if language not in settings.languages:
        raise ClaimError(f"language {language!r} is not one of the relay's languages ({' '.join(settings.languages)})")
    verdict = verdict_of(verdict)
    digest = texts.text_hash(language, texts.normalise(text))
    existing = session.scalar(select(Claim).where(Claim.text_hash == digest))
    if existing is not None:
        return Added(existing, False)
    translated, _ = pivot.to_pivot(text, language, settings)
    pivot_text = texts.normalise(translated)
    correction = (correction or "").strip() or None
    correction_pivot = texts.normalise(pivot.to_pivot(correction, language, settings)[0]) if correction else None
    claim = Claim(text=text, language=language, pivot_text=pivot_text, text_hash=digest, verdict=verdict,
                  correction=correction, correction_pivot=correction_pivot, source_url=source_url or None, added_by=added_by,
                  signature=texts.to_bytes(texts.minhash(pivot_text, settings.integrity.num_perm)))
    model = vectors_of.embedder(settings.integrity)
    if model is not None:
        claim_vectors.fill(claim, model, vector)
    session.add(claim)
    session.flush()
    audit.record(session, added_by, "claims.add", f"claim:{claim.id}", language=language, verdict=verdict)
    flagged = 0
    if rescan and verdict != "true":
        from relay.integrity.moderation import rescan as rescan_relayed

        flagged = rescan_relayed(session, claim, settings)
    return Added(claim, True, flagged)


def _rows_from_json(data: Any) -> Iterable[dict]:
    items = data.get("claims", data.get("claimReviews", [])) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ClaimError("a JSON import is a list of claims (or {\"claims\": [...]})")
    for item in items:
        if not isinstance(item, dict):
            raise ClaimError(f"a claim must be an object, got {item!r}"[:120])
        if "claimReviewed" in item:  # schema.org ClaimReview, as fact-checkers publish it
            rating = item.get("reviewRating") or {}
            yield {"text": item["claimReviewed"], "language": item.get("inLanguage", ""),
                   "verdict": rating.get("alternateName") if isinstance(rating, dict) else None,
                   "correction": item.get("reviewBody") or item.get("description"), "source": item.get("url")}
        else:
            yield item


def read_file(path: Path) -> list[dict]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ClaimError(f"cannot read {path}: {exc}") from None
    if path.suffix.lower() == ".json":
        try:
            return list(_rows_from_json(json.loads(raw)))
        except json.JSONDecodeError as exc:
            raise ClaimError(f"{path} is not valid JSON: {exc}") from None
    rows = list(csv.DictReader(raw.splitlines()))
    if rows and "text" not in rows[0]:
        raise ClaimError(f"{path}: the CSV needs a header row with at least `text` and `language` "
                         "(optional: verdict, correction, source)")
    return rows


@dataclass(frozen=True)
class Imported:
    added: int
    unchanged: int
    errors: list[str]
    flagged: int


def import_claims(session: Session, rows: list[dict], *, settings: "Settings", added_by: str,
                  default_language: str | None = None) -> Imported:
    """Good rows are added, bad rows reported by number (row 1 is the first claim); re-importing adds nothing."""
    added = unchanged = flagged = 0
    errors = []
    model = vectors_of.embedder(settings.integrity)
    batch = [str(row.get("text") or "").strip() or "." for row in rows]
    vectors = claim_vectors.embed_claims(model, batch) if model is not None and rows else [None] * len(rows)
    for number, (row, vector) in enumerate(zip(rows, vectors), start=1):
        try:
            with session.begin_nested():
                result = add_claim(
                    session, text=str(row.get("text") or ""), settings=settings, added_by=added_by,
                    language=str(row.get("language") or default_language or ""), verdict=row.get("verdict") or "false",
                    correction=row.get("correction"), source_url=row.get("source") or row.get("source_url"),
                    vector=vector,
                )
        except ClaimError as exc:
            errors.append(f"row {number}: {exc}")
            continue
        added += result.created
        unchanged += not result.created
        flagged += result.flagged
    return Imported(added, unchanged, errors, flagged)


def listing(session: Session, *, include_retired: bool = False) -> list[Claim]:
    query = select(Claim).order_by(Claim.id)
    if not include_retired:
        query = query.where(Claim.retired.is_(False))
    return list(session.scalars(query))
