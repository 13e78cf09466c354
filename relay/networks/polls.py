"""Confirmation polls: a broadcast that asks "Reply 1 if you are safe, 2 if you need help".

Answers arrive on any channel as a digit or as an answer word in the person's language ("2", "ayuda",
"bezwen ed"). They are not commands: the fallthrough handler listed after bridged rooms (before
citizen reports) takes a message only when it matches an option of a poll that person was sent and that
is still open; anything else is left to the next handler. The last answer counts. People who answered
an option marked for help are listed for coordinators (`relay poll results ID`); non-responders can be
asked once more after N minutes (relay/networks/poll_reask.py).

Note: "HELP" alone is the HELP keyword on every channel, so the English answer words for the help
option are "need help" / "help me"; the digit works everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Mapping, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from relay.inbound import commands, replies
from relay.inbound.commands import CommandContext
from relay.core.models import Broadcast, Delivery, Endpoint, SubscriberRegion
from relay.networks.models import Poll, PollAnswer
from relay.inbound.permission_replies import refused

# Answers the relay knows in several languages; a poll may also offer its own (English words only).
KNOWN_ANSWERS: dict[str, dict[str, list[str]]] = {
    "safe": {"en": ["safe", "i am safe", "ok"], "es": ["seguro", "segura", "a salvo", "estoy bien", "bien"],
             "fr": ["sauf", "sauve", "en securite", "je vais bien", "bien"],
             "ht": ["an sekirite", "sekirite", "mwen byen", "byen"]},
    "help": {"en": ["need help", "help me", "i need help"], "es": ["ayuda", "necesito ayuda", "socorro"],
             "fr": ["aide", "besoin d'aide", "au secours"], "ht": ["ed", "bezwen ed", "mwen bezwen ed", "sekou"]},
    "yes": {"en": ["yes", "y"], "es": ["si"], "fr": ["oui"], "ht": ["wi"]},
    "no": {"en": ["no", "n"], "es": ["no"], "fr": ["non"], "ht": ["non"]},
}
HELP_KEYS = frozenset({"help"})
DEFAULT_OPEN_HOURS = 72.0  # the CLI passes polls.open_hours from the configuration

replies.register({
    "poll_thanks": {
        "en": "Thank you, your answer is recorded: {answer}.",
        "es": "Gracias, su respuesta quedo registrada: {answer}.",
        "fr": "Merci, votre reponse est enregistree : {answer}.",
        "ht": "Mesi, nou anrejistre repons ou: {answer}.",
    },
    "poll_reminder": {
        "en": "We have not had your answer yet:",
        "es": "Todavia no hemos recibido su respuesta:",
        "fr": "Nous n'avons pas encore recu votre reponse :",
        "ht": "Nou poko resevwa repons ou:",
    },
})


class PollError(ValueError):
    """A poll that cannot be set up; the message says why."""


def parse_options(values: Sequence[str]) -> list[dict]:
    """`["safe", "help", "!injured"]` -> numbered options. A known key brings its words in every language we
    have; another word is an English-only answer; a leading "!" marks an option whose people need help."""
    if len(values) < 2:
        raise PollError("a poll needs at least two answers")
    if len(values) > 9:
        raise PollError("a poll has at most nine answers (people reply with one digit)")
    options = []
    for number, raw in enumerate(values, start=1):
        flagged = raw.startswith("!")
        key = normalise(raw.lstrip("!"))
        if not key:
            raise PollError(f"answer {number} is empty")
        words = {lang: list(ws) for lang, ws in KNOWN_ANSWERS.get(key, {"en": [key]}).items()}
        options.append({"number": number, "key": key, "help": flagged or key in HELP_KEYS, "words": words})
    return options


def normalise(text: str) -> str:
    """Lower case, accents and punctuation gone, spaces collapsed: "¡Sí!" -> "si", "Sauvé." -> "sauve"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w']+", " ", plain).split())


def match(options: list[dict], text: str, language: str | None) -> dict | None:
    """The option a reply means: its digit, or one of its words in the person's language first, then in
    any language (a Spanish speaker may answer in English)."""
    said = normalise(text)
    if not said or len(said) > 40:
        return None
    digit = said.lstrip("#")
    for option in options:
        if digit == str(option["number"]):
            return option
    for languages in ([language] if language else [], None):
        for option in options:
            for lang, words in option["words"].items():
                if languages is not None and lang not in languages:
                    continue
                if said in words:
                    return option
    return None


def label(option: dict, language: str | None) -> str:
    words = option["words"].get(language or "en") or option["words"].get("en") or [option["key"]]
    return f"{option['number']} ({words[0]})"


def on_planned(session: Session, broadcast: Broadcast, request, senders: Mapping[str, Sequence[str]],
               now: datetime) -> None:
    """Plan hook (relay/delivery/outbox.py): a broadcast asked with `extras["poll"]` gets its poll in the same
    transaction, so no answer can arrive for a poll that is not stored yet."""
    spec = (request.extras or {}).get("poll")
    if not spec:
        return
    options = spec["options"] if isinstance(spec["options"][0], dict) else parse_options(spec["options"])
    hours = spec.get("open_hours") or DEFAULT_OPEN_HOURS
    session.add(Poll(broadcast_id=broadcast.id, options=options, created_at=now,
                     closes_at=now + timedelta(hours=hours), reask_after_minutes=spec.get("reask_minutes")))
    session.flush()


def open_polls_for(session: Session, subscriber_id: int, now: datetime) -> list[Poll]:
    """Open polls this person was sent (the broadcast or its re-ask), newest first."""
    sent_to = (
        select(Delivery.broadcast_id)
        .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
        .where(Endpoint.subscriber_id == subscriber_id)
    )
    return list(session.scalars(
        select(Poll).where(Poll.closes_at > now, or_(Poll.broadcast_id.in_(sent_to),
                                                     Poll.reask_broadcast_id.in_(sent_to)))
        .order_by(Poll.created_at.desc(), Poll.id.desc())))


def answer(context: CommandContext):
    subscriber = context.subscriber
    if subscriber is None:
        return commands.NotMine
    text = context.inbound.text
    if len(text) > 60:
        return commands.NotMine
    now = context.inbound.received_at
    for poll in open_polls_for(context.session, subscriber.id, now):
        option = match(poll.options, text, context.language)
        if option is None:
            continue
        refusal = refused(context, "poll.answer", f"poll:{poll.id}")
        if refusal is not None:
            return refusal
        region = context.session.scalar(
            select(SubscriberRegion.region).where(SubscriberRegion.subscriber_id == subscriber.id)
            .order_by(SubscriberRegion.region).limit(1))
        row = context.session.get(PollAnswer, (poll.id, subscriber.id)) or PollAnswer(
            poll_id=poll.id, subscriber_id=subscriber.id)
        row.option, row.channel, row.address = option["number"], context.inbound.channel, context.endpoint.address
        row.region, row.text, row.answered_at = region, text[:500], now
        context.session.add(row)
        return context.reply("poll_thanks", answer=label(option, context.language))
    return commands.NotMine
