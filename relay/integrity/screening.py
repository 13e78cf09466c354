"""Scoring a message before it is relayed, with the reasons kept beside the score.

`screen()` is what the bridge (and any other relaying feature) calls for every message it would pass
on, inside the inbound transaction: it records the screening, queues a held message for moderators and
says what to do. `analyse()` is the pure part (no writes), used by screen, by the rescan that follows a
new claim, and by `bench/misinfo_eval.py`.

Score = the known-claim match (its similarity, when it reaches `match_threshold`) + the weights of the
manipulation signs, capped at 1. A message carrying a valid verification code whose text is one of our
broadcasts' texts scores 0: it is ours.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relay.core import audit
from relay.integrity import pivot, signs
from relay.integrity import text as texts
from relay.integrity import verification
from relay.integrity.embeddings import EmbeddingIndex
from relay.integrity.index import ClaimIndex, Match, similarity
from relay.integrity.models import Flag, ScreenedMessage
from relay.integrity.notices import warning_text
from relay.core.models import BroadcastText, utcnow

if TYPE_CHECKING:
    from relay.core.config import Settings

SAME_TEXT = 85  # rapidfuzz ratio from which a forwarded text is the broadcast's text (spacing, a typo)


@dataclass(frozen=True)
class Screening:
    """What to do with one message: relay it, relay it with `warning`, or hold it (`flag_id` queued)."""

    action: str  # relay | warn | hold
    score: float
    reasons: tuple[str, ...]
    flag_id: int | None
    warning: str | None
    screening_id: int | None = None  # give it to `note_relayed` with the broadcasts that carried it


@dataclass
class Analysis:
    language: str | None
    normalised: str  # the message normalised, in the pivot language when an engine served it
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    claim: Match | None = None
    verified_broadcast: int | None = None


_lock = threading.Lock()
_indexes: dict[tuple, tuple[ClaimIndex, EmbeddingIndex]] = {}


def indexes(session: Session, settings: "Settings") -> tuple[ClaimIndex, EmbeddingIndex]:
    """This process's index of the claims in this database, brought up to date."""
    cfg = settings.integrity
    key = (str(session.get_bind().url), cfg.num_perm, cfg.lsh_threshold)
    with _lock:
        if key not in _indexes:
            _indexes[key] = (ClaimIndex(cfg.num_perm, cfg.lsh_threshold), EmbeddingIndex())
        found = _indexes[key]
    found[0].sync(session)
    return found


def pivot_normalised(text: str, language: str | None, settings: "Settings") -> str:
    translated, _ = pivot.to_pivot(text, language, settings)
    return texts.normalise(translated)


def match_claim(session: Session, normalised: str, settings: "Settings") -> Match | None:
    cfg = settings.integrity
    claims, vectors = indexes(session, settings)
    best = claims.best(normalised, texts.minhash(normalised, cfg.num_perm), cfg.match_threshold)
    if cfg.embeddings and len(claims) and vectors.sync(claims.pivots):
        found = vectors.best(normalised)
        if found is not None and found[1] >= cfg.embedding_threshold and (best is None or found[1] > best.similarity):
            claim_id = found[0]
            if similarity(normalised, claims.corrections.get(claim_id, "")) < similarity(normalised, claims.pivots[claim_id]):
                best = Match(claim_id, found[1], "embedding")  # unless it reads like the correction
    if best is not None and claims.verdicts.get(best.claim_id) == "true":
        return None  # a known true claim is no sign of anything
    return best


def _codes(session: Session, raw: str, normalised_original: str, settings: "Settings") -> tuple[list[str], int | None]:
    """Reasons from verification codes written in the message, and the broadcast it verifiably is."""
    found = verification.codes_in(raw)
    if not found:
        return (["official_without_code"] if signs.claims_official(normalised_original) else []), None
    ring = verification.keyring(settings)
    reasons: list[str] = []
    for code in found:
        verdict = verification.verify(session, ring, code)
        if verdict is None or not verdict.authentic:
            reasons.append(f"forged_code:{verification.display(code)}")
            continue
        body = texts.normalise(raw)
        versions = session.scalars(select(BroadcastText.text).where(
            BroadcastText.broadcast_id == verdict.broadcast.id)).all() + [verdict.broadcast.body]
        if any(fuzz.ratio(body, texts.normalise(v)) >= SAME_TEXT for v in versions):
            return [f"verified_official:{verdict.broadcast.id}"], verdict.broadcast.id
        reasons.append(f"altered_official_text:{verdict.broadcast.id}")
    return reasons, None


def analyse(session: Session, raw: str, language: str | None, settings: "Settings") -> Analysis:
    cfg = settings.integrity
    language = pivot.language_of(raw, language, settings)
    original = texts.normalise(raw)
    analysis = Analysis(language, pivot_normalised(raw, language, settings))
    code_reasons, verified = _codes(session, raw, original, settings)
    if verified is not None:
        analysis.reasons, analysis.verified_broadcast = code_reasons, verified
        return analysis
    analysis.claim = match_claim(session, analysis.normalised, settings)
    if analysis.claim is None and analysis.normalised != original:  # claims also written in this language
        analysis.claim = match_claim(session, original, settings)
    score = 0.0
    if analysis.claim is not None:
        score += analysis.claim.similarity
        analysis.reasons.append(f"claim:{analysis.claim.claim_id}:{analysis.claim.stage}:"
                                f"{analysis.claim.similarity:.2f}")
    found = signs.text_signs(raw, original, cfg.allowed_domains)
    for reason in code_reasons:
        found.append(signs.Sign(reason, signs.WEIGHTS[reason.partition(":")[0]]))
    for sign in found:
        score += sign.weight
        analysis.reasons.append(sign.reason)
    analysis.score = min(1.0, round(score, 4))
    return analysis


def band_action(score: float, settings: "Settings") -> str:
    cfg = settings.integrity
    if score >= cfg.hold_threshold:
        return cfg.hold_band_action
    if score >= cfg.warn_threshold:
        return cfg.warn_band_action
    return "relay"


def _burst(session: Session, digest: str, sender: str, settings: "Settings", now) -> int:
    since = now - timedelta(minutes=settings.integrity.burst_minutes)
    senders = set(session.scalars(select(ScreenedMessage.sender).where(
        ScreenedMessage.text_hash == digest, ScreenedMessage.at >= since).distinct()))
    return len(senders | {sender})


def _rate_limited(session: Session, sender: str, settings: "Settings", now) -> bool:
    """A sender whose messages were held repeatedly gets one relayed message per `rate_limit_minutes`."""
    cfg = settings.integrity
    held = session.scalar(select(func.count()).select_from(ScreenedMessage).where(
        ScreenedMessage.sender == sender, ScreenedMessage.action == "hold",
        ScreenedMessage.at >= now - timedelta(minutes=cfg.repeat_window_minutes))) or 0
    if held < cfg.repeat_hold_limit:
        return False
    recent = session.scalar(select(func.count()).select_from(ScreenedMessage).where(
        ScreenedMessage.sender == sender, ScreenedMessage.action.in_(("relay", "warn")),
        ScreenedMessage.at >= now - timedelta(minutes=cfg.rate_limit_minutes))) or 0
    return recent > 0


def screen(session: Session, *, text: str, language: str | None, channel: str, sender: str, origin: str,
           settings: "Settings") -> Screening:
    """Score one message that would be relayed; record it; hold it for moderators when it must wait."""
    if not settings.integrity.enabled:
        return Screening("relay", 0.0, (), None, None)
    now = utcnow()
    analysis = analyse(session, text, language, settings)
    digest = texts.text_hash(None, texts.normalise(text))
    score = analysis.score
    if analysis.verified_broadcast is None:
        senders = _burst(session, digest, sender, settings, now)
        if senders >= settings.integrity.burst_senders:
            analysis.reasons.append(f"burst:{senders}_senders")
            score = min(1.0, round(score + signs.WEIGHTS["burst"], 4))
    action = band_action(score, settings)
    if action != "hold" and _rate_limited(session, sender, settings, now):
        action = "hold"
        analysis.reasons.append("sender_rate_limited")
    row = ScreenedMessage(
        at=now, channel=channel, sender=sender, origin=origin, text=text, language=analysis.language,
        pivot_text=analysis.normalised, text_hash=digest, score=score, action=action,
        reasons=list(analysis.reasons), claim_id=analysis.claim.claim_id if analysis.claim else None,
    )
    session.add(row)
    session.flush()
    flag_id = None
    if action == "hold":
        flag = Flag(screening_id=row.id, state="held", status="open", created_at=now)
        session.add(flag)
        session.flush()
        flag_id = flag.id
        audit.record(session, "integrity", "flags.hold", f"flag:{flag.id}", origin=origin, score=score,
                     reasons=list(analysis.reasons))
    warning = warning_text(settings.default_language) if action == "warn" else None
    return Screening(action, score, tuple(analysis.reasons), flag_id, warning, row.id)
