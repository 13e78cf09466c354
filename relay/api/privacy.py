"""A person's data over HTTP (`subscribers.export`: coordinators only) and the retention policy's plan
(`retention.manage`). The same functions as `relay subscribers export` and `relay retention status`;
every export is written to the audit log, naming who asked and whose data it was."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from channels import registry
from relay.api.auth import Principal, allow, principal
from relay.api.common import PROBLEMS, Id, Relay, relay
from relay.core import audit, subscribers
from relay.privacy import export, purge
from relay.privacy.settings import retention_settings

router = APIRouter(prefix="/api", responses=PROBLEMS)

Channel = Annotated[str, Query(pattern=r"^[a-z]{1,16}$", description="sms, telegram, matrix, whatsapp")]
Address = Annotated[str, Query(min_length=1, max_length=255, pattern=r"^[^\x00]*$",
                               description="The address on that channel (E.164 for SMS and WhatsApp)")]


def _document(r: Relay, who: Principal, *, subscriber_id: int | None, pairs: list[tuple[str, str]]) -> dict:
    with r.database.sessions.begin() as session:
        if subscriber_id is not None:
            person = export.find(session, subscriber_id=subscriber_id)
            if person is None:
                raise HTTPException(404, f"no subscriber {subscriber_id}")
        else:
            person = export.find(session, channel=pairs[0][0], address=pairs[0][1])
        document = export.export_person(session, person, pairs)
        if person is None and not any(document["records"].values()):
            raise HTTPException(404, "nothing is held about this address")
        audit.record(session, who.actor, "subscriber.export", f"subscriber:{person.id}" if person else None,
                     addresses=len(pairs) or None)
    return document


@router.get("/subscribers/export", response_model=dict[str, Any], tags=["subscribers"])
def export_by_address(channel: Channel, address: Address, who: Principal = Depends(principal),
                      r: Relay = Depends(relay)) -> dict:
    """Everything held about the person with this address (or about the address, if it is no subscriber)."""
    allow(r.database, who, "subscribers.export")
    if channel not in registry.names():
        raise HTTPException(422, f"channel {channel!r}: expected one of {', '.join(registry.names())}")
    normalised = subscribers.normalise_address(channel, address, r.settings.default_region)
    return _document(r, who, subscriber_id=None, pairs=[(channel, normalised)])


@router.get("/subscribers/{subscriber_id}/export", response_model=dict[str, Any], tags=["subscribers"])
def export_by_id(subscriber_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """Everything held about one subscriber: endpoints, consent history, deliveries with the texts they
    carried, inbound messages, reports, answers, settings, and audit entries naming them."""
    allow(r.database, who, "subscribers.export", f"subscriber:{subscriber_id}")
    return _document(r, who, subscriber_id=subscriber_id, pairs=[])


@router.get("/retention", response_model=dict[str, Any], tags=["retention"])
def retention_status(who: Principal = Depends(principal), r: Relay = Depends(relay)) -> dict:
    """What the retention policy would remove now: counts per kind and the cutoff dates."""
    allow(r.database, who, "retention.manage")
    with r.database.sessions() as session:
        return purge.plan(session, retention_settings(r.settings), datetime.now(timezone.utc)).as_json()
