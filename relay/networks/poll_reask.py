"""Asking a poll's non-responders once more, and the results coordinators read.

`reask_due(session, now, ...)` is a function of the database and a clock (tests use a controlled one;
`relay run` calls it periodically). A poll is re-asked once: its `reasked_at` is set in the same
transaction that queues the re-ask, a broadcast of its own (referencing the poll's) with the same texts
and a one-line reminder, to the endpoints that were reached and whose owner has not answered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping, Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from relay.core import audit
from relay.core.models import Broadcast, BroadcastText, Delivery, DeliveryStatus, Endpoint, Subscriber, content_of
from relay.networks.models import Poll, PollAnswer
from relay.inbound.replies import reply

REACHED = (DeliveryStatus.sent.value, DeliveryStatus.delivered.value)


def reask_due(session: Session, now: datetime, default_minutes: float | None,
              senders: Mapping[str, Sequence[str]]) -> list[tuple[int, int]]:
    """Re-ask every poll whose time has come; return (poll id, deliveries queued) for each."""
    done = []
    polls = session.scalars(select(Poll).where(Poll.reasked_at.is_(None), Poll.closes_at > now)
                            .order_by(Poll.id).with_for_update(skip_locked=True))
    for poll in list(polls):
        minutes = poll.reask_after_minutes or default_minutes
        if not minutes or poll.created_at + timedelta(minutes=minutes) > now:
            continue
        original = session.get(Broadcast, poll.broadcast_id)
        if original.status != "queued":
            poll.reasked_at = now
            continue
        answered = exists().where(PollAnswer.poll_id == poll.id, PollAnswer.subscriber_id == Endpoint.subscriber_id)
        targets = session.execute(
            select(Delivery.endpoint_id, Delivery.channel, Delivery.sender, Delivery.language)
            .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
            .where(Delivery.broadcast_id == original.id, Delivery.status.in_(REACHED), ~answered,
                   Endpoint.opted_out.is_(False), Endpoint.unreachable.is_(False))
            .order_by(Delivery.id)).all()
        follow_up = Broadcast(**content_of(original), audience={"poll_reask": poll.id}, sender="polls",
                              priority=original.priority, expires_at=original.expires_at,
                              references_id=original.id,
                              texts=[BroadcastText(language=t.language, text=t.text, origin=t.origin, engine=t.engine)
                                     for t in original.texts])
        session.add(follow_up)
        session.flush()
        if targets:
            session.execute(Delivery.__table__.insert(), [
                {"broadcast_id": follow_up.id, "endpoint_id": endpoint_id, "channel": channel, "sender": sender,
                 "language": language, "priority": original.priority, "status": DeliveryStatus.pending.value,
                 "attempts": 0, "next_attempt_at": now, "prefix": reply("poll_reminder", language)}
                for endpoint_id, channel, sender, language in targets])
        poll.reasked_at, poll.reask_broadcast_id = now, follow_up.id
        audit.record(session, "polls", "poll.reask", f"broadcast:{original.id}", poll=poll.id,
                     follow_up=follow_up.id, deliveries=len(targets))
        done.append((poll.id, len(targets)))
    session.flush()
    return done


@dataclass
class Results:
    poll_id: int
    broadcast_id: int
    options: list[dict]
    asked: int  # people reached by the poll's broadcast
    by_option: Counter = field(default_factory=Counter)
    by_region: dict[str, Counter] = field(default_factory=dict)
    by_channel: dict[str, Counter] = field(default_factory=dict)
    need_help: list[dict] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(self.by_option.values())

    def as_json(self) -> dict:
        return {"poll": self.poll_id, "broadcast": self.broadcast_id, "asked": self.asked,
                "answered": self.answered, "by_option": dict(self.by_option),
                "by_region": {k: dict(v) for k, v in self.by_region.items()},
                "by_channel": {k: dict(v) for k, v in self.by_channel.items()}, "need_help": self.need_help}


def poll_of(session: Session, broadcast_id: int) -> Poll | None:
    return session.scalar(select(Poll).where(Poll.broadcast_id == broadcast_id))


def results(session: Session, poll: Poll) -> Results:
    keys = {o["number"]: o["key"] for o in poll.options}
    helping = {o["number"] for o in poll.options if o.get("help")}
    reached = set(session.scalars(
        select(Endpoint.subscriber_id).join(Delivery, Delivery.endpoint_id == Endpoint.id)
        .where(Delivery.broadcast_id == poll.broadcast_id, Delivery.status.in_(REACHED))))
    out = Results(poll.id, poll.broadcast_id, poll.options, asked=len(reached))
    rows = session.execute(
        select(PollAnswer, Subscriber.name).join(Subscriber, Subscriber.id == PollAnswer.subscriber_id)
        .where(PollAnswer.poll_id == poll.id).order_by(PollAnswer.answered_at)).all()
    for answer, name in rows:
        key = keys.get(answer.option, str(answer.option))
        out.by_option[key] += 1
        out.by_region.setdefault(answer.region or "(none)", Counter())[key] += 1
        out.by_channel.setdefault(answer.channel, Counter())[key] += 1
        if answer.option in helping:
            out.need_help.append({"subscriber": answer.subscriber_id, "name": name, "channel": answer.channel,
                                  "address": answer.address, "region": answer.region, "answer": key,
                                  "text": answer.text, "at": answer.answered_at.isoformat()})
    return out
