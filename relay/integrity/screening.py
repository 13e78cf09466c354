"""Scoring a message before it is relayed, with the reasons kept beside the score.

`screen()` is what the bridge (and any other relaying feature) calls for every message it would pass
on, inside the inbound transaction (a database worker thread, never the event loop): it records the
screening, queues a held message for moderators and says what to do. `analyse()` is the pure part (no
writes), used by screen, by the rescan that follows a new claim, by `relay claims check` and by
`bench/misinfo_eval.py`.

Score = the known-claim match (`matching.py`: MinHash on the pivot text, the multilingual embedding,
combined) + the weights of the manipulation signs, capped at 1. The rumour signal (`rumour.py`) can lift a
message into the warn band, never into the hold band. A message carrying a valid verification code whose
text is one of our broadcasts' texts scores 0: it is ours.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relay.core import audit, heap
from relay.integrity import claim_vectors, language_means, matching, pivot, rumour, signs
from relay.integrity import stream as recent_streams
from relay.integrity import embeddings as vectors_of
from relay.integrity import text as texts
from relay.integrity import verification
from relay.integrity.embeddings import EmbeddingIndex, Nearest
from relay.integrity.index import ClaimIndex, Match
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
    rumour: float | None = None  # the rumour model's probability (None: the model is off here)
    rumour_warns: bool = False  # lifts the band to warn (never to hold)
    nearest: Nearest | None = None  # the closest claim by meaning, matched or not (for calibration)

    def final(self, settings: "Settings", extra: float = 0.0) -> float:
        """The score the band is read from: signs and `extra` (a burst) added, the rumour floor last."""
        score = min(1.0, round(self.score + extra, 4))
        cfg = settings.integrity
        if self.rumour_warns and score < cfg.hold_threshold:
            score = max(score, cfg.warn_threshold)
        return score


@dataclass
class Indexes:
    """This process's view of one database's claims: MinHash, and the vectors of one model."""

    claims: ClaimIndex
    vectors: EmbeddingIndex | None = None
    synced: tuple[int, int] | None = None


# Claims loaded at once after which the index's objects are frozen out of the collector's full passes.
SETTLE_AFTER = 1000
_lock = threading.Lock()
_indexes: dict[tuple, Indexes] = {}
# Pivot translations run here while the screening thread embeds (see `analyse`); two, like the database pool's
# usual worker count, so one slow translation does not queue the next message's.
_pivot_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="integrity-pivot")


def indexes(session: Session, settings: "Settings") -> Indexes:
    """This process's index of the claims in this database, brought up to date."""
    cfg = settings.integrity
    model = vectors_of.embedder(cfg)
    key = (str(session.get_bind().url), cfg.num_perm, cfg.lsh_threshold, model.model_id if model else None)
    with _lock:
        if key not in _indexes:
            _indexes[key] = Indexes(ClaimIndex(cfg.num_perm, cfg.lsh_threshold),
                                    EmbeddingIndex(model.dimension) if model else None)
        found = _indexes[key]
    before = len(found.claims)
    found.claims.sync(session)
    if len(found.claims) - before >= SETTLE_AFTER:  # a bulk load: millions of lasting objects
        heap.settle("loading the claim index")
    if model is not None and found.vectors is not None and found.synced != found.claims.version:
        with _lock:
            version = found.claims.version
            claim_vectors.sync(found.vectors, session, set(found.claims.pivots), model)
            found.synced = version
    return found


def pivot_normalised(text: str, language: str | None, settings: "Settings") -> str:
    translated, _ = pivot.to_pivot(text, language, settings)
    return texts.normalise(translated)


def message_vector(raw: str, settings: "Settings") -> np.ndarray | None:
    model = vectors_of.embedder(settings.integrity)
    return None if model is None else claim_vectors.embed_messages(model, [raw])[0]


def match_claim(session: Session, normalised: str, settings: "Settings", *, vector: np.ndarray | None = None,
                language: str | None = None, analysis: Analysis | None = None,
                found: Indexes | None = None) -> Match | None:
    """The claim `normalised` (and, given, the message `vector`) says, if any (`found`: the indexes,
    when the caller synced them already)."""
    cfg = settings.integrity
    found = found or indexes(session, settings)
    best = matching.by_minhash(found.claims, normalised, cfg)
    if vector is not None and found.vectors is not None and len(found.vectors):
        model = vectors_of.embedder(cfg)
        shift = language_means.for_message(language, cfg, model.model_id) if model is not None else None
        semantic, nearest = matching.by_embedding(found.claims, found.vectors, vector, language, cfg, shift)
        if analysis is not None:
            analysis.nearest = nearest
        best = matching.combine(best, semantic)
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


def analyse(session: Session, raw: str, language: str | None, settings: "Settings",
            vector: np.ndarray | None = None, stream: str | None = None) -> Analysis:
    """Score `raw` (`vector`: its embedding, when the caller embedded a batch already; `stream`: the
    channel it was sent in, whose recent messages the rumour signal reads, None for a message alone).

    The pivot translation (an Apertium pipeline of several processes) and the embedding (C code that
    releases the GIL) do not depend on each other, so the translation runs on a helper thread while this
    one embeds: the message waits for the slower of the two, not for both (measured in
    bench/misinfo_latency.py)."""
    cfg = settings.integrity
    language = pivot.language_of(raw, language, settings)
    original = texts.normalise(raw)
    translating = _pivot_pool.submit(pivot_normalised, raw, language, settings) \
        if pivot.needs_engine(language, settings) else None
    code_reasons, verified = _codes(session, raw, original, settings)
    if vector is None and verified is None:
        vector = message_vector(raw, settings)
    analysis = Analysis(language, translating.result() if translating else pivot_normalised(raw, language, settings))
    if verified is not None:
        analysis.reasons, analysis.verified_broadcast = code_reasons, verified
        return analysis
    found = indexes(session, settings)
    analysis.claim = match_claim(session, analysis.normalised, settings, vector=vector, language=language,
                                 analysis=analysis, found=found)
    if analysis.claim is None and analysis.normalised != original:  # claims also written in this language
        analysis.claim = match_claim(session, original, settings, found=found)
    score = 0.0
    if analysis.claim is not None:
        score += analysis.claim.weight
        analysis.reasons.append(f"claim:{analysis.claim.claim_id}:{analysis.claim.stage}:"
                                f"{analysis.claim.similarity:.2f}")
    found = signs.text_signs(raw, original, cfg.allowed_domains)
    for reason in code_reasons:
        found.append(signs.Sign(reason, signs.WEIGHTS[reason.partition(":")[0]]))
    for sign in found:
        score += sign.weight
        analysis.reasons.append(sign.reason)
    analysis.score = min(1.0, round(score, 4))
    _rumour(analysis, vector, original, settings, stream)
    return analysis


WARM_UP_TEXT = "The water at the north well is safe to drink again, the health office says."


def warm_up(session: Session, settings: "Settings") -> None:
    """Screen one ordinary sentence at start-up, recording nothing (`analyse` writes nothing).

    The first `analyse` loads the embedding model, the rumour model, the language detector and the claim
    index, and imports their libraries (scipy among them): some 30,000 lasting objects. Made inside a
    webhook, they wait for the collector's next full pass, which then walks them on whichever thread
    allocates, often the event loop (bench/hostile.py saw the bridged Telegram door stall). Made here, they
    are frozen with the rest of the start-up heap."""
    if settings.integrity.enabled:
        analyse(session, WARM_UP_TEXT, None, settings)


def ready() -> bool:
    """Whether this process has loaded a claim index (and with it the models) for screening."""
    with _lock:
        return bool(_indexes)


def _rumour(analysis: Analysis, vector: np.ndarray | None, original: str, settings: "Settings",
            stream: str | None = None) -> None:
    cfg = settings.integrity
    model = vectors_of.embedder(cfg) if cfg.rumour_model and vector is not None else None
    path = Path(cfg.rumour_model_path) if cfg.rumour_model_path else rumour.SHIPPED
    classifier = rumour.load(model.model_id, path) if model is not None else None
    if classifier is None:
        return
    share = recent_streams.RECENT.observe(stream, time.time(), vector) if stream is not None else 0.0
    row = rumour.features(vector[None, :], [original], np.array([share]))
    analysis.rumour = round(float(classifier.probability(row)[0]), 4)
    if analysis.rumour >= cfg.rumour_threshold and analysis.claim is None:
        analysis.rumour_warns = True
        analysis.reasons.append(f"rumour:{analysis.rumour:.2f}")


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
    analysis = analyse(session, text, language, settings, stream=channel)
    digest = texts.text_hash(None, texts.normalise(text))
    extra = 0.0
    if analysis.verified_broadcast is None:
        senders = _burst(session, digest, sender, settings, now)
        if senders >= settings.integrity.burst_senders:
            analysis.reasons.append(f"burst:{senders}_senders")
            extra = signs.WEIGHTS["burst"]
    score = analysis.final(settings, extra)
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
