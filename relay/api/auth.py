"""Who is calling: a bearer token mapped to a subscriber, and the one permission check for every endpoint.

Every endpoint depends on `principal` (401 without a live token) and asks `allow(...)` before it acts:
`relay.core.permissions.check` decides and audits a refusal, which is committed before the 403 is sent, so a
refused request leaves exactly one trace, in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from relay.core import permissions, scope
from relay.api import tokens
from relay.core.cli_identity import Operator
from relay.core.db import Database
from relay.core.models import Subscriber, SubscriberRegion, SubscriberTopic

bearer = HTTPBearer(auto_error=False, description="An API token from `relay tokens create`.")


@dataclass(frozen=True)
class Principal:
    actor: str  # "subscriber:12", as the CLI and the chat commands name people in the audit log
    tier: str
    subscriber_id: int
    name: str | None
    regions: frozenset[str]
    topics: frozenset[str]
    token_id: int

    def operator(self) -> Operator:
        """The same shape the CLI's broadcast rule (own audience or everyone) is written against."""
        return Operator(self.actor, self.tier, self.subscriber_id, self.regions, self.topics)

    def scope(self) -> scope.Scope:
        """What of broadcasts, reports, crises and polls this person may see: their regions (relay/core/scope.py)."""
        return scope.of(self.actor, self.tier, self.regions)


def database(request: Request) -> Database:
    return request.app.state.relay.database


def _resolve(session: Session, plain: str) -> Principal | None:
    token = tokens.find(session, plain)
    if token is None:
        return None
    subscriber = session.get(Subscriber, token.subscriber_id)
    if subscriber is None:
        return None
    regions = frozenset(session.scalars(select(SubscriberRegion.region)
                                        .where(SubscriberRegion.subscriber_id == subscriber.id)))
    topics = frozenset(session.scalars(select(SubscriberTopic.topic)
                                       .where(SubscriberTopic.subscriber_id == subscriber.id)))
    return Principal(f"subscriber:{subscriber.id}", subscriber.tier, subscriber.id, subscriber.name, regions,
                     topics, token.id)


def principal(credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
              db: Database = Depends(database)) -> Principal:
    if credentials is None or not credentials.credentials:
        raise HTTPException(401, "an API token is required: Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    with db.sessions.begin() as session:
        who = _resolve(session, credentials.credentials)
    if who is None:
        raise HTTPException(401, "unknown or revoked API token", headers={"WWW-Authenticate": "Bearer"})
    return who


def allow(db: Database, who: Principal, action: str, subject: str | None = None) -> None:
    """Return if `who` may do `action`; otherwise commit the audited refusal and answer 403."""
    with db.sessions.begin() as session:
        try:
            permissions.check(session, actor=who.actor, tier=who.tier, action=action, subject=subject)
        except permissions.PermissionDenied as denied:
            refusal = denied
        else:
            return
    raise HTTPException(403, str(refusal))
