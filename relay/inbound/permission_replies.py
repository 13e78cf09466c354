"""The reply a chat command gets when its sender's tier may not do it, in the person's language.

One helper for every command handler, so that each refusal both goes through `permissions.check`
(which writes it to the audit log) and says the same thing on every channel: what tier is needed.
"""

from __future__ import annotations

from relay.core import permissions
from relay.inbound import replies
from relay.inbound.commands import CommandContext
from relay.core.permissions import PermissionDenied

replies.register({
    "permission_refused": {
        "en": "Not allowed: {action} needs the tier {needed}; you are {tier}.",
        "es": "No permitido: {action} requiere el nivel {needed}; usted es {tier}.",
        "fr": "Non autorise : {action} demande le niveau {needed} ; vous etes {tier}.",
        "ht": "Pa otorize: {action} bezwen nivo {needed}; ou se {tier}.",
    },
})


def refusal(context: CommandContext, denied: PermissionDenied) -> str:
    return context.reply("permission_refused", action=denied.action, tier=denied.tier,
                         needed=" or ".join(sorted(denied.allowed)))


def refused(context: CommandContext, action: str, subject: str | None = None) -> str | None:
    """None when the speaker may do `action`; otherwise the refusal reply (already audited)."""
    try:
        permissions.check(context.session, actor=context.actor, tier=context.tier, action=action, subject=subject)
    except PermissionDenied as denied:
        return refusal(context, denied)
    return None
