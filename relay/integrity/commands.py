"""`VERIFY K7P-2QX` (SMS), `/verify K7P-2QX` (Telegram), `!verify K7P-2QX` (Matrix): is this official?
And `/flags` (`!flags`) for moderators: the queue, and `/flags 12 false <why>` to vote.

The answer to VERIFY says whether the code is authentic and, when it is, who sent the broadcast, when,
and its text in the asker's language, so that a forwarded copy can be compared with what we really said.
"""

from __future__ import annotations

from sqlalchemy import select

from relay.inbound import replies
from relay.inbound.commands import CommandContext, command
from relay.integrity import moderation, verification
from relay.core.models import BroadcastText
from relay.inbound.permission_replies import refused

replies.register({
    "verify_ok": {
        "en": "AUTHENTIC: code {code} is ours. Sent by {sender} on {when}. The message: {text}",
        "es": "AUTENTICO: el codigo {code} es nuestro. Enviado por {sender} el {when}. El mensaje: {text}",
        "fr": "AUTHENTIQUE : le code {code} est le notre. Envoye par {sender} le {when}. Le message : {text}",
        "ht": "OTANTIK: kod {code} se pa nou. {sender} te voye l {when}. Mesaj la: {text}",
    },
    "verify_bad": {
        "en": "NOT VALID: {code} is not one of our codes. Do not trust or forward that message.",
        "es": "NO VALIDO: {code} no es uno de nuestros codigos. No confie en ese mensaje ni lo reenvie.",
        "fr": "NON VALIDE : {code} n'est pas un de nos codes. Ne vous fiez pas a ce message, ne le transferez pas.",
        "ht": "PA VALAB: {code} pa youn nan kod nou yo. Pa fe mesaj sa a konfyans, pa voye l bay pesonn.",
    },
    "verify_missing": {
        "en": "Send VERIFY and the code printed under the message, e.g. VERIFY K7P-2QX.",
        "es": "Envie VERIFY y el codigo que aparece bajo el mensaje, p. ej. VERIFY K7P-2QX.",
        "fr": "Envoyez VERIFY et le code ecrit sous le message, ex. VERIFY K7P-2QX.",
        "ht": "Voye VERIFY ak kod ki ekri anba mesaj la, pa egzanp VERIFY K7P-2QX.",
    },
    "flags_empty": {"en": "No messages wait for moderation."},
    "flags_entry": {"en": "#{id} [{state}, score {score}] {reasons} | {text} | votes: {votes}"},
    "flags_usage": {"en": "Vote with /flags <id> release|warn|false [why]."},
    "flags_voted": {"en": "Flag {id}: your vote {decision} is recorded ({count} of {quorum} needed)."},
    "flags_decided": {"en": "Flag {id}: decided {decision} by {count} moderators.{extra}"},
    "flags_error": {"en": "{problem}"},
})

LIST_LIMIT = 10


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


@command("verify", {"VERIFY"}, max_words=2)
def verify(context: CommandContext) -> str:
    typed = context.command.rest.strip()
    if not typed:
        return context.reply("verify_missing")
    verdict = verification.verify(context.session, verification.keyring(context.settings), typed)
    if verdict is None or not verdict.authentic:
        shown = verification.display(verdict.code) if verdict is not None else " ".join(typed.split())[:20]
        return context.reply("verify_bad", code=shown)
    broadcast = verdict.broadcast
    language = context.language or context.settings.default_language
    text = context.session.scalar(select(BroadcastText.text).where(
        BroadcastText.broadcast_id == broadcast.id, BroadcastText.language == language)) or broadcast.body
    return context.reply("verify_ok", code=verification.display(verdict.code), sender=broadcast.sender,
                         when=_when(broadcast.created_at), text=text)


@command("flags", {"FLAGS"}, max_words=None, sms=False)
def flags(context: CommandContext) -> str:
    refusal = refused(context, "flags.review", subject="flags")
    if refusal is not None:
        return refusal
    words = context.command.rest.split(maxsplit=2)
    if not words:
        return _listing(context)
    if len(words) < 2 or not words[0].lstrip("#").isdigit():
        return context.reply("flags_usage")
    flag_id = int(words[0].lstrip("#"))
    try:
        result = moderation.vote(context.session, flag_id, moderator=context.actor, decision=words[1],
                                 settings=context.settings, reason=words[2] if len(words) > 2 else None)
    except moderation.ModerationError as exc:
        return context.reply("flags_error", problem=str(exc))
    if result.decided is None:
        return context.reply("flags_voted", id=str(flag_id), decision=result.decision, count=str(result.votes_for),
                             quorum=str(result.quorum))
    extra = ""
    if result.claim_id is not None:
        extra += f" Added as claim {result.claim_id}."
    if result.corrections:
        extra += f" Corrections: {', '.join(str(c) for c in result.corrections)}."
    wake = context.extras.get("wake_dispatcher")
    if wake is not None:
        context.extras.setdefault("after_commit", []).append(wake)
    return context.reply("flags_decided", id=str(flag_id), decision=result.decided, count=str(result.votes_for),
                         extra=extra)


def _listing(context: CommandContext) -> str:
    entries = moderation.queue(context.session)[:LIST_LIMIT]
    if not entries:
        return context.reply("flags_empty")
    lines = []
    for flag, screened, votes in entries:
        lines.append(context.reply(
            "flags_entry", id=str(flag.id), state=flag.state, score=f"{screened.score:.2f}",
            reasons=" ".join(screened.reasons[:3]), text=" ".join(screened.text.split())[:120],
            votes=", ".join(f"{v.moderator}={v.decision}" for v in votes) or "none"))
    return "\n".join(lines + [context.reply("flags_usage")])

