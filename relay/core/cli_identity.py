"""Who is at the command line, and the one permission check every privileged CLI command goes through.

The CLI works on the database directly, so whoever runs it without saying otherwise is the *local
operator*, a coordinator (existing `relay broadcast send` usage keeps working). `relay --as REF ...`
(or `RELAY_OPERATOR=REF`) acts as a subscriber instead, with that subscriber's tier: REF is
`subscriber:12` (or just `12`), or a channel address such as `sms:+12025550111`, `telegram:6001`,
`matrix:@ana:example.org`. A refusal is written to the audit log and committed before the command
exits with code 2 and a message saying which tier is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels import registry
from relay.core import permissions, scope
from relay.core.cli_context import CliContext, UsageError
from relay.core.models import Endpoint, Subscriber, SubscriberRegion, SubscriberTopic, Tier
from relay.core.permissions import PermissionDenied


class Refused(UsageError):
    """A CLI command the operator's tier may not run (already in the audit log)."""


@dataclass(frozen=True)
class Operator:
    actor: str
    tier: str
    subscriber_id: int | None = None
    regions: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()


LOCAL = Operator("cli", Tier.coordinator.value)


def resolve(session: Session, reference: str | None) -> Operator:
    if not reference:
        return LOCAL
    kind, sep, value = reference.partition(":")
    subscriber: Subscriber | None = None
    if not sep and reference.isdigit():
        subscriber = session.get(Subscriber, int(reference))
    elif kind == "subscriber" and value.isdigit():
        subscriber = session.get(Subscriber, int(value))
    elif sep and kind in registry.names():
        endpoint = session.scalar(select(Endpoint).where(Endpoint.channel == kind, Endpoint.address == value))
        subscriber = endpoint.subscriber if endpoint is not None else None
    else:
        raise UsageError(f"--as {reference!r}: give subscriber:ID, an ID, or CHANNEL:ADDRESS such as sms:+12025550111")
    if subscriber is None:
        raise UsageError(f"--as {reference!r}: no such subscriber")
    regions = frozenset(session.scalars(select(SubscriberRegion.region)
                                        .where(SubscriberRegion.subscriber_id == subscriber.id)))
    topics = frozenset(session.scalars(select(SubscriberTopic.topic).where(SubscriberTopic.subscriber_id == subscriber.id)))
    return Operator(f"subscriber:{subscriber.id}", subscriber.tier, subscriber.id, regions, topics)


def authorize(cli: CliContext, action: str | Callable[[Operator], str], subject: str | None = None) -> Operator:
    """Return the operator if they may do `action` (or the action that `action(operator)` names);
    otherwise commit the audited refusal and raise."""
    with cli.database().sessions.begin() as session:
        operator = resolve(session, cli.operator)
        wanted = action(operator) if callable(action) else action
        try:
            permissions.check(session, actor=operator.actor, tier=operator.tier, action=wanted, subject=subject)
        except PermissionDenied as denied:
            refusal = denied
        else:
            return operator
    raise Refused(f"not allowed: {refusal}")


def scope_of(operator: Operator) -> scope.Scope:
    """What of broadcasts, reports and crises the operator sees (relay/core/scope.py): everything for the
    local operator and coordinators, their regions for anyone else named with --as."""
    return scope.of(operator.actor, operator.tier, operator.regions)


def hide(cli: CliContext, seen_by: scope.Scope, subject: str, message: str) -> UsageError:
    """Audit an out-of-region attempt (committed) and return the 'no such …' error to raise."""
    with cli.database().sessions.begin() as session:
        scope.refuse(session, seen_by, subject)
    return UsageError(message)


def broadcast_action(operator: Operator, regions: tuple[str, ...], topics: tuple[str, ...]) -> str:
    """A broadcast within the operator's own regions and topics needs `broadcast.own_audience`; one to
    everyone, or beyond them, needs `broadcast.everyone`."""
    if operator.subscriber_id is None:
        return "broadcast.everyone"
    restricted = bool(regions or topics)
    inside = set(regions) <= operator.regions and set(topics) <= operator.topics
    return "broadcast.own_audience" if restricted and inside else "broadcast.everyone"
