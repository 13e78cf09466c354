"""The moderation queue over HTTP: the flags, and one vote per moderator with a reason.

Votes go through `relay.integrity.moderation.vote`: the quorum, the release hand-over and the claim
made from a confirmed falsehood are decided there, not here.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from relay.api.auth import Principal, allow, principal
from relay.api.common import PROBLEMS, Id, Relay, iso, relay
from relay.api.schemas import FlagOut, VoteIn, VoteResultOut
from relay.integrity import moderation
from relay.integrity.models import Flag

router = APIRouter(prefix="/api", tags=["moderation"], responses=PROBLEMS)


@router.get("/flags", response_model=list[FlagOut])
def flags(status: Literal["open", "released", "released_warning", "confirmed_false", "all"] = Query("open"),
          who: Principal = Depends(principal), r: Relay = Depends(relay)) -> list[dict]:
    allow(r.database, who, "flags.review")
    with r.database.sessions() as session:
        queue = moderation.queue(session, status=None if status == "all" else status)
        return [{"id": f.id, "status": f.status, "state": f.state, "text": m.text, "channel": m.channel,
                 "sender": m.sender, "language": m.language, "score": m.score, "reasons": list(m.reasons or []),
                 "created_at": iso(f.created_at),
                 "votes": [{"moderator": v.moderator, "decision": v.decision, "reason": v.reason} for v in votes]}
                for f, m, votes in queue]


@router.post("/flags/{flag_id}/votes", response_model=VoteResultOut,
             responses={409: {"description": "The flag is already decided"}})
def vote(data: VoteIn, flag_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """release (relay it as it is), warn (relay it with a warning), false (confirm it false: it becomes a
    known claim, and a correction follows it where it was already relayed)."""
    allow(r.database, who, "flags.review", f"flag:{flag_id}")
    with r.database.sessions.begin() as session:
        if session.get(Flag, flag_id) is None:
            raise HTTPException(404, f"no flag {flag_id}")
        try:
            result = moderation.vote(session, flag_id, moderator=who.actor, decision=data.decision,
                                     settings=r.settings, reason=data.reason, correction=data.correction)
        except moderation.ModerationError as exc:
            raise HTTPException(409, str(exc)) from None
    return {"flag_id": result.flag_id, "decision": result.decision, "votes_for": result.votes_for,
            "quorum": result.quorum, "decided": result.decided, "claim_id": result.claim_id,
            "corrections": list(result.corrections), "released": result.released}
