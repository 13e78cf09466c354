"""A bridge's member rooms when the provider moves a room: the membership follows the endpoint that the
delivery layer merged it into (`relay.delivery.endpoints.move_endpoint`), so the bridge keeps relaying
from and to the room under its new address."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from relay.bridges.models import BridgeMember


def follow_merged_endpoint(session: Session, old_endpoint_id: int, new_endpoint_id: int) -> None:
    """Move the old endpoint's membership to the new one; a room belongs to one bridge at most, so when
    the new endpoint is a member already, that membership stays and the old one is dropped."""
    if session.scalar(select(BridgeMember.id).where(BridgeMember.endpoint_id == new_endpoint_id)) is not None:
        session.execute(delete(BridgeMember).where(BridgeMember.endpoint_id == old_endpoint_id))
        return
    session.execute(update(BridgeMember).where(BridgeMember.endpoint_id == old_endpoint_id)
                    .values(endpoint_id=new_endpoint_id))
