"""Relay networks over HTTP: the tree of relay nodes and, for one broadcast, where each node's ACK stands."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from relay.networks import report as network_report
from relay.api.auth import Principal, allow, principal
from relay.api.common import PROBLEMS, Relay, relay

router = APIRouter(prefix="/api", tags=["relays"], responses=PROBLEMS)


@router.get("/relays", response_model=list[dict])
def relays(broadcast: int | None = Query(None, ge=1, le=2**31 - 1, description="Show this broadcast's ACKs"),
           who: Principal = Depends(principal), r: Relay = Depends(relay)) -> list[dict]:
    allow(r.database, who, "relays.view")
    with r.database.sessions() as session:
        return [view.as_json() for view in network_report.tree(session, broadcast)]
