"""Community moderation: the queue, votes, a quorum of distinct moderators, and what a decision does.

Decisions: `release` (relay the held message as it is), `warn` (relay it with the warning line), `false`
(confirm it false: it joins the claim database, and if it had already been relayed a correction goes to
exactly the endpoints that received it). Every vote and every decision is in the audit log with who and
why. Releasing is the relaying feature's job: its Feature declares a handler per origin kind (`release_handlers`,
("bridge" for "bridge:3:message:17"), called in the deciding transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from relay.core import audit, hooks
from relay.core.db import required
from relay.integrity.index import similarity
from relay.integrity.models import Claim, Flag, FlagVote, RelayedCopy, ScreenedMessage
from relay.integrity.notices import warning_text
from relay.core.models import utcnow

if TYPE_CHECKING:
    from relay.core.config import Settings

log = logging.getLogger("relay.integrity")

CopiesResolver = Callable[[Session, str], "list[int]"]

DECISIONS = {
    "release": "release", "released": "release", "ok": "release",
    "warn": "release_warning", "release_warning": "release_warning", "warning": "release_warning",
    "false": "confirm_false", "confirm_false": "confirm_false", "fake": "confirm_false",
}
STATUS_OF = {"release": "released", "release_warning": "released_warning", "confirm_false": "confirmed_false"}
RESCAN_HOURS = 72


class ModerationError(ValueError):
    """A vote that cannot be taken; the message says why (written to be sent back to the moderator)."""


def note_relayed(session: Session, screened: int | str, broadcast_ids: list[int]) -> None:
    """Record which broadcasts carried a screened message (by `Screening.screening_id`, or by the origin
    given to `screen`): what a later correction is sent along."""
    if isinstance(screened, str):
        found = session.scalar(select(ScreenedMessage.id).where(ScreenedMessage.origin == screened)
                               .order_by(ScreenedMessage.id.desc()).limit(1))
        if found is None:
            log.warning("note_relayed: no screening has the origin %r", screened)
            return
        screened = found
    for broadcast_id in broadcast_ids:
        if session.get(RelayedCopy, (screened, broadcast_id)) is None:
            session.add(RelayedCopy(screening_id=screened, broadcast_id=broadcast_id))


def queue(session: Session, *, status: str | None = "open") -> list[tuple[Flag, ScreenedMessage, list[FlagVote]]]:
    query = select(Flag, ScreenedMessage).join(ScreenedMessage, ScreenedMessage.id == Flag.screening_id)
    if status is not None:
        query = query.where(Flag.status == status)
    result = []
    for flag, screened in session.execute(query.order_by(Flag.id)):
        votes = list(session.scalars(select(FlagVote).where(FlagVote.flag_id == flag.id).order_by(FlagVote.id)))
        result.append((flag, screened, votes))
    return result


@dataclass(frozen=True)
class VoteResult:
    flag_id: int
    decision: str  # this vote's
    votes_for: int  # distinct moderators agreeing with it so far
    quorum: int
    decided: str | None = None  # the flag's decision when this vote completed the quorum
    claim_id: int | None = None
    corrections: tuple[int, ...] = ()
    released: bool = False


def vote(session: Session, flag_id: int, *, moderator: str, decision: str, settings: "Settings",
         reason: str | None = None, correction: str | None = None) -> VoteResult:
    wanted = DECISIONS.get(decision.strip().lower())
    if wanted is None:
        raise ModerationError(f"decision {decision!r}: expected release, warn or false")
    flag = required(session.get(Flag, flag_id, with_for_update=True), ModerationError(f"no flag {flag_id}"))
    if flag.status != "open":
        raise ModerationError(f"flag {flag_id} is already decided ({flag.status})")
    existing = session.scalar(select(FlagVote).where(FlagVote.flag_id == flag_id, FlagVote.moderator == moderator))
    if existing is None:
        existing = FlagVote(flag_id=flag_id, moderator=moderator, decision=wanted)
        session.add(existing)
    existing.decision, existing.reason, existing.correction, existing.at = wanted, reason, correction, utcnow()
    session.flush()
    audit.record(session, moderator, "flags.vote", f"flag:{flag_id}", decision=wanted, reason=reason)
    agreeing = list(session.scalars(select(FlagVote).where(FlagVote.flag_id == flag_id, FlagVote.decision == wanted)))
    quorum = settings.integrity.quorum
    if len(agreeing) < quorum:
        return VoteResult(flag_id, wanted, len(agreeing), quorum)
    return _decide(session, flag, wanted, agreeing, settings)


def _decide(session: Session, flag: Flag, decision: str, votes: list[FlagVote], settings: "Settings") -> VoteResult:
    screened = session.get(ScreenedMessage, flag.screening_id)
    flag.status, flag.decided_at = STATUS_OF[decision], utcnow()
    moderators = sorted(v.moderator for v in votes)
    claim_id = None
    corrections: list[int] = []
    released = False
    if decision in ("release", "release_warning") and flag.state == "held":
        released = _release(session, flag, screened, decision, settings)
    elif decision == "confirm_false":
        claim_id, corrections = _confirm_false(session, flag, screened, votes, moderators, settings)
    flag.corrections = corrections
    audit.record(session, ",".join(moderators), "flags.decide", f"flag:{flag.id}", decision=decision,
                 origin=screened.origin, moderators=moderators, reasons=[v.reason for v in votes if v.reason],
                 claim=claim_id, corrections=corrections, released=released)
    return VoteResult(flag.id, decision, len(votes), settings.integrity.quorum, decision, claim_id,
                      tuple(corrections), released)


def _release(session: Session, flag: Flag, screened: ScreenedMessage, decision: str, settings: "Settings") -> bool:
    """Hand the released message to its relaying feature now if it is loaded in this process; otherwise
    it stays `release_pending` and the running relay's integrity service hands it over."""
    flag.release_pending = True
    return _hand_over(session, flag, screened, settings)


def _hand_over(session: Session, flag: Flag, screened: ScreenedMessage, settings: "Settings") -> bool:
    handler = hooks.installed().release_handlers.get(screened.origin.partition(":")[0])
    if handler is None:
        return False
    warning = warning_text(settings.default_language) if flag.status == "released_warning" else None
    handler(session, screened.origin, warning, settings=settings)
    flag.release_pending = False
    audit.record(session, "integrity", "flags.released", f"flag:{flag.id}", origin=screened.origin,
                 warning=warning is not None)
    return True


def release_pending(session: Session, settings: "Settings") -> int:
    """Hand over released messages decided where no relaying feature runs (the CLI): the relay's
    service calls this; returns how many were relayed."""
    done = 0
    pending = session.execute(select(Flag, ScreenedMessage).join(ScreenedMessage, ScreenedMessage.id == Flag.screening_id)
                              .where(Flag.release_pending.is_(True)).order_by(Flag.id)).all()
    for flag, screened in pending:
        done += _hand_over(session, flag, screened, settings)
    return done


def _confirm_false(session: Session, flag: Flag, screened: ScreenedMessage, votes: list[FlagVote],
                   moderators: list[str], settings: "Settings") -> tuple[int | None, list[int]]:
    from relay.integrity import claims, corrections

    given = next((v.correction for v in votes if v.correction), None)
    claim_id = screened.claim_id
    if claim_id is None:
        added = claims.add_claim(session, text=screened.text, language=screened.language or settings.default_language,
                                 settings=settings, added_by="moderators:" + ",".join(moderators),
                                 correction=given, rescan=False)
        claim_id = added.claim.id
    flag.claim_id = claim_id
    if flag.state != "relayed":
        return claim_id, []  # held: nothing of it went out, nothing to correct
    claim = session.get(Claim, claim_id)
    body = given or (claim.correction if claim is not None else None)
    source = settings.default_language if given else (claim.language if claim and claim.correction else settings.default_language)
    sent = []
    for broadcast_id in relayed_copies(session, screened):
        correction_id, _ = corrections.correct(
            session, broadcast_id, body=body, source_language=source, header="correction_of_relayed",
            actor="moderators:" + ",".join(moderators), settings=settings)
        sent.append(correction_id)
    return claim_id, sent


def recent(session: Session, *, hours: float = RESCAN_HOURS, limit: int = 50) -> list[ScreenedMessage]:
    """What was screened and relayed lately, newest first: where a moderator finds a message to raise."""
    since = utcnow() - timedelta(hours=hours)
    return list(session.scalars(select(ScreenedMessage).where(
        ScreenedMessage.at >= since, ScreenedMessage.action.in_(("relay", "warn")))
        .order_by(ScreenedMessage.id.desc()).limit(limit)))


def raise_flag(session: Session, screening_id: int, *, moderator: str, reason: str | None = None) -> Flag:
    """Queue a message that was relayed (it scored below the thresholds) for review: the way to a
    "confirmed false" and its correction when no claim caught it."""
    screened = required(session.get(ScreenedMessage, screening_id),
                        ModerationError(f"no screened message {screening_id}"))
    existing = session.scalar(select(Flag).where(Flag.screening_id == screening_id))
    if existing is not None:
        raise ModerationError(f"message {screening_id} is already flag {existing.id} ({existing.status})")
    if screened.action == "hold":
        raise ModerationError(f"message {screening_id} was held, not relayed")
    flag = Flag(screening_id=screening_id, state="relayed", status="open")
    session.add(flag)
    session.flush()
    audit.record(session, moderator, "flags.raise", f"flag:{flag.id}", screening=screening_id, reason=reason)
    return flag


def relayed_copies(session: Session, screened: ScreenedMessage) -> list[int]:
    """The broadcasts that carried a screened message: those reported with `note_relayed`, and those the
    relaying feature of its origin kind keeps itself (its Feature's `copy_resolvers`)."""
    found = set(session.scalars(select(RelayedCopy.broadcast_id).where(RelayedCopy.screening_id == screened.id)))
    resolver = hooks.installed().copy_resolvers.get(screened.origin.partition(":")[0])
    if resolver is not None:
        found |= set(resolver(session, screened.origin))
    return sorted(found)


def rescan(session: Session, claim: Claim, settings: "Settings", hours: float = RESCAN_HOURS) -> int:
    """Queue for review what was relayed in the last `hours` and matches a claim just added."""
    since = utcnow() - timedelta(hours=hours)
    candidates = session.scalars(select(ScreenedMessage).where(
        ScreenedMessage.at >= since, ScreenedMessage.action.in_(("relay", "warn")))).all()
    flagged = 0
    for screened in candidates:
        if session.scalar(select(Flag.id).where(Flag.screening_id == screened.id)) is not None:
            continue
        close = similarity(screened.pivot_text, claim.pivot_text)
        if close < settings.integrity.match_threshold:
            continue
        screened.claim_id = claim.id
        screened.reasons = list(screened.reasons) + [f"claim:{claim.id}:rescan:{close:.2f}"]
        session.add(Flag(screening_id=screened.id, state="relayed", status="open"))
        flagged += 1
    if flagged:
        audit.record(session, "integrity", "flags.rescan", f"claim:{claim.id}", flagged=flagged)
    return flagged
