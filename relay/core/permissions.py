"""The one permission check used by every entry point: chat commands on all channels, the CLI, the API.

Tiers are the seed framework's (observer, contributor, full partner) plus the operating roles
(coordinator, moderator). What each may do is a table of actions, so a refusal can say which tiers
would be allowed, and every refusal is written to the audit log by the same function that refuses.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from relay.core import audit
from relay.core.models import Tier

O, C, P, K, M = (Tier.observer.value, Tier.contributor.value, Tier.partner.value, Tier.coordinator.value,
                 Tier.moderator.value)

# action -> the tiers allowed to do it
ACTIONS: dict[str, frozenset[str]] = {
    "broadcast.everyone": frozenset({K}),  # a broadcast to the whole audience
    "broadcast.own_audience": frozenset({P, K}),  # a broadcast to one's own regions / topics
    "crisis.activate": frozenset({K}),
    "flags.review": frozenset({M, K}),
    "claims.manage": frozenset({M, K}),  # add / import known false claims
    "broadcast.correct": frozenset({K}),  # correct one of our broadcasts
    "relay.ack": frozenset({C, P, K, M}),
    "report.create": frozenset({O, C, P, K, M}),
    "report.handle": frozenset({P, K, M}),  # claim / resolve a citizen report outside its responder rooms
    "poll.answer": frozenset({O, C, P, K, M}),
    "poll.results": frozenset({K}),  # who answered what, and who needs help: personal data
    "broadcast.cancel": frozenset({K}),
    "translation.approve": frozenset({K, M}),  # approve or replace a machine text that waits
    "relays.manage": frozenset({K}),  # add relay nodes, their backups and hubs
    "subscribers.manage": frozenset({K}),  # e.g. a person's failover order
    "tokens.manage": frozenset({K}),  # mint or revoke API tokens: a token acts with its subscriber's tier
    "translator.register": frozenset({C, P, K, M}),
    "templates.manage": frozenset({K}),  # add pre-approved templates (their human texts skip approval)
    "templates.view": frozenset({P, K}),  # list templates and their SMS budgets
    "retention.manage": frozenset({K}),  # see and run the retention purge
    "subscribers.export": frozenset({K}),  # everything held about one person (a data-subject request)
    # the HTTP API and console (relay/api/): reading is checked like writing
    "console.login": frozenset({O, C, P, K, M}),  # who am I, which pages may I open
    "broadcast.view": frozenset({P, K}),  # delivery status, who was not reached
    "subscribers.view": frozenset({K}),  # personal data
    "regions.all": frozenset({K}),  # see and act beyond one's own regions (relay/core/scope.py)
    "relays.view": frozenset({K}),  # relay nodes and their ACKs, with names
    "crisis.view": frozenset({P, K, M}),
    "metrics.view": frozenset({K}),  # /metrics: queue depths, moderation counts (or the scrape token)  # crises, their timelines and exports; webinar series
}


class PermissionDenied(Exception):
    """Refused; the message says what tier is needed, written to be sent back to the person."""

    def __init__(self, action: str, tier: str, allowed: frozenset[str]) -> None:
        self.action, self.tier, self.allowed = action, tier, allowed
        needed = " or ".join(sorted(allowed))
        super().__init__(f"{action} needs the tier {needed}; you are {tier}")


def allowed(tier: str, action: str) -> bool:
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    return tier in ACTIONS[action]


def check(session: Session, *, actor: str, tier: str, action: str, subject: str | None = None) -> None:
    """Return if `tier` may do `action`; otherwise record the refusal in the audit log and raise.

    The audit row is added to `session`: the caller commits it (a chat handler answers with the refusal
    and its transaction commits; the CLI commits before it exits).
    """
    if allowed(tier, action):
        return
    audit.record(session, actor, "permission.refused", subject, action=action, tier=tier,
                 needed=sorted(ACTIONS[action]))
    raise PermissionDenied(action, tier, ACTIONS[action])
