"""`/broadcast [crisis|webinar|notice] TEXT` on Telegram, `!broadcast ...` on Matrix, by those allowed.

A coordinator reaches everyone; a full partner reaches its own audience (the regions it is listed in);
anyone else gets a reply saying which tier is needed (and the refusal is audited). The broadcast is
planned in the transaction that records the command, so the "queued" reply is only ever sent for a
broadcast whose deliveries are all committed. Not an SMS keyword: a plain "broadcast ..." text from a
stranger stays a message.
"""

from __future__ import annotations

from relay.core import hooks
from relay.delivery import outbox
from relay.core import permissions
from relay.inbound import replies
from relay.core.channels import planned_senders
from relay.inbound.commands import CommandContext, command
from relay.inbound.permission_replies import refused
from relay.delivery.translation_hooks import approval_policy, session_translator, untranslated_note

KINDS = ("crisis", "webinar", "notice")

replies.register({
    "broadcast_usage": {
        "en": "Write the message after the command, e.g. /broadcast crisis Shelter open at the school.",
        "es": "Escriba el mensaje despues del comando, p. ej. /broadcast crisis Refugio abierto en la escuela.",
        "fr": "Ecrivez le message apres la commande, ex. /broadcast crisis Abri ouvert a l'ecole.",
        "ht": "Ekri mesaj la apre komand la, pa egzanp /broadcast crisis Abri louvri nan lekol la.",
    },
    "broadcast_queued": {
        "en": "Broadcast {id} queued for {count} recipients.",
        "es": "Difusion {id} en cola para {count} destinatarios.",
        "fr": "Diffusion {id} en file pour {count} destinataires.",
        "ht": "Difizyon {id} nan lis pou {count} moun.",
    },
    "broadcast_no_audience": {
        "en": "You have no regions of your own to broadcast to; ask a coordinator.",
        "es": "No tiene regiones propias para difundir; pida ayuda a un coordinador.",
        "fr": "Vous n'avez pas de regions propres pour diffuser ; demandez a un coordinateur.",
        "ht": "Ou pa gen rejyon pa w pou voye mesaj; mande yon kowòdonatè.",
    },
    "broadcast_refused": {
        "en": "Broadcast not sent: {reason}",
    },
})


@command("broadcast", {"BROADCAST"}, max_words=None, sms=False)
def broadcast(context: CommandContext) -> str | None:
    words = context.command.rest.split(maxsplit=1)
    kind = words[0].lower() if words and words[0].lower() in KINDS else "notice"
    text = (words[1] if len(words) > 1 else "") if words and words[0].lower() in KINDS else context.command.rest
    if not text.strip():
        return context.reply("broadcast_usage")
    audience = outbox.Audience()
    if not permissions.allowed(context.tier, "broadcast.everyone"):
        refusal = refused(context, "broadcast.own_audience", subject="broadcast")
        if refusal is not None:
            return refusal
        regions = tuple(r.region for r in context.subscriber.regions) if context.subscriber else ()
        if not regions:
            return context.reply("broadcast_no_audience")
        audience = outbox.Audience(regions=regions)
    settings = context.settings
    request = outbox.BroadcastRequest(kind=kind, body=text.strip(), source_language=context.language or
                                      settings.default_language, sender=context.actor, audience=audience)
    try:
        planned = outbox.plan_broadcast(None, request, senders=planned_senders(settings),
                                        machine=session_translator(settings, context.session),
                                        note=untranslated_note,
                                        approval=approval_policy(settings), actor=context.actor,
                                        session=context.session, stamp=hooks.stamper(settings))
    except outbox.BroadcastError as exc:
        return context.reply("broadcast_refused", reason=str(exc))
    wake = context.extras.get("wake_dispatcher")
    if wake is not None:
        context.extras.setdefault("after_commit", []).append(wake)
    return context.reply("broadcast_queued", id=str(planned.id), count=str(planned.deliveries))
