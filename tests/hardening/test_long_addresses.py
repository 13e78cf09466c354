"""An address too long to name its person is refused with the reason, never a database error.

`make soak`'s 10,000 hostile commands found it: an SMS from a 196-character "number" was stored, became a
citizen report, and its audit entry (`sms:` + the address) overflowed the actor column (String(200)) on
PostgreSQL, failing the whole transaction. The longest address that still fits is handled as any other.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from channels.base import Inbound
from relay.app import features
from relay.core.models import AuditEntry, InboundMessage
from relay.inbound import handling

features.install()


def _sms(sender: str, number: int) -> Inbound:
    return Inbound(channel="sms", provider_message_id=f"long-{number}", sender=sender, recipient="+12015550100",
                   text="The bridge on the river road is flooded", received_at=datetime.now(timezone.utc))


def test_an_address_that_cannot_name_its_person_is_refused_and_the_longest_that_can_is_handled(database, settings):
    longest = "1" * (handling.ACTOR_LIMIT - len("sms:"))
    with database.sessions.begin() as session:
        handling.handle(session, _sms(longest, 1), settings, {})
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.actor == f"sms:{longest}")) >= 1

    with pytest.raises(handling.Unstorable, match="longer than the 196 characters that name a person on sms"):
        with database.sessions.begin() as session:
            handling.handle(session, _sms(longest + "1", 2), settings, {})
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)
                              .where(InboundMessage.provider_message_id == "long-2")) == 0
