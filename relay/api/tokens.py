"""Making, finding and revoking API tokens. The plain token exists only in the answer to `create`."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from relay.core import audit
from relay.api.models import ApiToken
from relay.core.db import required
from relay.core.models import Subscriber, utcnow

PREFIX = "rly_"
# Writing `last_used_at` on every request would make each read a write; once a minute is enough to
# tell a live token from a forgotten one.
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token request that cannot be done; the message says why."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(session: Session, *, subscriber_id: int, name: str, actor: str) -> tuple[ApiToken, str]:
    subscriber = required(session.get(Subscriber, subscriber_id), TokenError(f"no subscriber {subscriber_id}"))
    if not name.strip():
        raise TokenError("give the token a name (whose device it is for), e.g. --name \"Ana's laptop\"")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(subscriber_id=subscriber_id, name=name.strip(), token_hash=digest(plain),
                     prefix=plain[: len(PREFIX) + 6], created_by=actor)
    session.add(token)
    session.flush()
    audit.record(session, actor, "token.create", f"token:{token.id}", subscriber=subscriber_id,
                 tier=subscriber.tier, name=token.name)
    return token, plain


def revoke(session: Session, token_id: int, *, actor: str) -> ApiToken:
    token = required(session.get(ApiToken, token_id), TokenError(f"no token {token_id}"))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, actor, "token.revoke", f"token:{token.id}", subscriber=token.subscriber_id)
    return token


def find(session: Session, plain: str, now: datetime | None = None) -> ApiToken | None:
    """The live token with this value, or None (unknown or revoked)."""
    if not plain.startswith(PREFIX) or len(plain) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(plain)))
    if token is None or token.revoked_at is not None:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        token.last_used_at = now
    return token


def listing(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))
