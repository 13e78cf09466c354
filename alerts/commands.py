"""Chat commands of alerts/: `/crisis` (Telegram) or `!crisis` (Matrix) for coordinators, `/rsvp yes|no`
for everyone, and a plain YES / NO (SI, OUI, WI, NON...) answering the last webinar notice a person got.

`/crisis` is chat-only (`sms=False`): a citizen's SMS that starts with "crisis" is a report, not a
command. The handlers run inside the transaction that records the inbound message, so the crisis and
the "processed" mark commit together. Imported by the alerts service (the core never imports alerts).
"""

from __future__ import annotations

from datetime import datetime, timezone

from alerts import crisis, webinars
from alerts.config import alerts_settings
from alerts.crisis import CrisisError
from relay import commands, replies
from relay import CommandContext, NotMine
from relay import PermissionDenied

# yes / no in the relay's default languages: en, es, fr, ht, pt, de, sv, sw, ar, ur (romanised Urdu too)
YES_WORDS = frozenset({"YES", "Y", "SI", "SÍ", "OUI", "WI", "SIM", "JA", "NDIYO", "نعم", "ہاں", "HAAN", "HAN"})
NO_WORDS = frozenset({"NO", "N", "NON", "NAO", "NÃO", "NEIN", "NEJ", "HAPANA", "لا", "نہیں", "NAHI", "NAHIN"})

replies.register({
    "crisis_usage": {
        "en": "Use: /crisis activate REGION SEVERITY TITLE | /crisis done ID MILESTONE | /crisis note ID TEXT | "
              "/crisis close ID | /crisis list",
    },
    "crisis_activated": {
        "en": "Crisis {id} activated in {region}. Deadlines: response {response}, assessment {assessment}, "
              "action plan {action_plan} (UTC).",
        "es": "Crisis {id} activada en {region}. Plazos: respuesta {response}, evaluacion {assessment}, "
              "plan de accion {action_plan} (UTC).",
        "fr": "Crise {id} activee a {region}. Echeances : reponse {response}, evaluation {assessment}, "
              "plan d'action {action_plan} (UTC).",
        "ht": "Kriz {id} aktive nan {region}. Dat limit: repons {response}, evalyasyon {assessment}, "
              "plan aksyon {action_plan} (UTC).",
    },
    "crisis_ok": {
        "en": "Done: {what}.",
        "es": "Hecho: {what}.",
        "fr": "Fait : {what}.",
        "ht": "Fet: {what}.",
    },
    "crisis_refused": {
        "en": "Refused: {reason}",
        "es": "Rechazado: {reason}",
        "fr": "Refuse : {reason}",
        "ht": "Refize: {reason}",
    },
    "crisis_list": {
        "en": "Active crises: {items}",
        "es": "Crisis activas: {items}",
        "fr": "Crises actives : {items}",
        "ht": "Kriz aktif: {items}",
    },
    "rsvp_yes": {
        "en": "Thank you, you are registered for {topic} ({yes} yes so far).",
        "es": "Gracias, queda inscrito en {topic} ({yes} si hasta ahora).",
        "fr": "Merci, vous etes inscrit a {topic} ({yes} oui a ce jour).",
        "ht": "Mesi, ou enskri pou {topic} ({yes} wi jiskounye a).",
    },
    "rsvp_no": {
        "en": "Noted: you will not attend {topic}.",
        "es": "Anotado: no asistira a {topic}.",
        "fr": "Note : vous ne participerez pas a {topic}.",
        "ht": "Nou note: ou p ap patisipe nan {topic}.",
    },
    "rsvp_usage": {
        "en": "Answer the last webinar notice with /rsvp yes or /rsvp no.",
        "es": "Responda al ultimo aviso de seminario web con /rsvp si o /rsvp no.",
        "fr": "Repondez au dernier avis de webinaire par /rsvp oui ou /rsvp non.",
        "ht": "Reponn denye avi webine a ak /rsvp wi oswa /rsvp non.",
    },
    "rsvp_nothing": {
        "en": "There is no upcoming webinar to answer.",
        "es": "No hay ningun seminario web pendiente.",
        "fr": "Aucun webinaire a venir.",
        "ht": "Pa gen okenn webine k ap vini.",
    },
})


def _now() -> datetime:
    return datetime.now(timezone.utc)


@commands.command("crisis", {"CRISIS"}, max_words=None, sms=False)
def crisis_command(ctx: CommandContext) -> str | None:
    words = ctx.command.rest.split()
    if not words:
        return ctx.reply("crisis_usage")
    verb, args = words[0].lower(), words[1:]
    cfg = alerts_settings(ctx.settings)
    session, actor, tier, now = ctx.session, ctx.actor, ctx.tier, _now()
    try:
        if verb == "activate" and len(args) >= 3:
            item = crisis.activate(session, cfg, region=args[0], severity=args[1], title=" ".join(args[2:]),
                                   actor=actor, tier=tier, now=now)
            due = {m.key: m.due_at.strftime("%d %b %H:%M") for m in item.milestones}
            return ctx.reply("crisis_activated", id=str(item.id), region=item.region, **due)
        if verb == "done" and len(args) == 2 and args[0].isdigit():
            crisis.done(session, int(args[0]), args[1], actor=actor, tier=tier, now=now)
            return ctx.reply("crisis_ok", what=f"{args[1]} ({args[0]})")
        if verb == "note" and len(args) >= 2 and args[0].isdigit():
            crisis.note(session, int(args[0]), " ".join(args[1:]), actor=actor, tier=tier, now=now)
            return ctx.reply("crisis_ok", what=f"note ({args[0]})")
        if verb == "close" and len(args) == 1 and args[0].isdigit():
            crisis.close(session, int(args[0]), actor=actor, tier=tier, now=now)
            return ctx.reply("crisis_ok", what=f"close ({args[0]})")
        if verb == "list":
            items = ", ".join(f"{c.id} {c.region} ({c.title})" for c in crisis.active(session)) or "-"
            return ctx.reply("crisis_list", items=items)
    except (PermissionDenied, CrisisError) as exc:
        return ctx.reply("crisis_refused", reason=str(exc))
    return ctx.reply("crisis_usage")


def _rsvp(ctx: CommandContext, word: str) -> str | None:
    answer = "yes" if word in YES_WORDS else "no"
    now = _now()
    item = webinars.session_for_reply(ctx.session, ctx.endpoint, now) if ctx.endpoint is not None else None
    if item is None:
        return None
    counts = webinars.answer(ctx.session, item, ctx.endpoint, answer, now)
    from alerts.models import WebinarSeries

    topic = ctx.session.get(WebinarSeries, item.series_id).topic
    return ctx.reply(f"rsvp_{answer}", topic=topic, yes=str(counts["yes"]))


@commands.command("rsvp", {"RSVP"}, max_words=1)
def rsvp_command(ctx: CommandContext) -> str | None:
    word = (ctx.command.argument or "").upper()
    if word not in YES_WORDS | NO_WORDS:
        return ctx.reply("rsvp_usage")
    return _rsvp(ctx, word) or ctx.reply("rsvp_nothing")


def rsvp_reply(ctx: CommandContext):
    """A bare YES or NO answers the last webinar notice this person got; anything else is not ours."""
    word = ctx.inbound.text.strip().strip(".!").upper()
    if word not in YES_WORDS | NO_WORDS:
        return NotMine
    answered = _rsvp(ctx, word)
    return NotMine if answered is None else answered

