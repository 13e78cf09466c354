"""JOIN / STOP / START / HELP / LANG: subscribing and unsubscribing, on every channel.

On SMS these are the carrier keywords. On chat, `/start [lang]` (Telegram) or `!start` (Matrix)
subscribes: the language is the one given, else the Telegram user's `language_code` when the relay
supports it, else the default. Sent in a Telegram group or a Matrix room (not a direct chat),
`/start` and `/stop` subscribe and unsubscribe the group itself, so a community group receives
broadcasts as one endpoint.
"""

from __future__ import annotations

from relay.core import audit, consent, subscribers
from relay.core.consent import ConsentAction
from relay.inbound.commands import CommandContext, handler_for
from relay.core.models import Endpoint, Erasure, Subscriber


def _words(context: CommandContext) -> str:
    """What the person wrote, as the consent history keeps it."""
    return context.inbound.text.strip()


def _group_address(context: CommandContext) -> str | None:
    """The group's own address when the command was sent in a group chat, else None."""
    inbound = context.inbound
    return inbound.where if inbound.group else None


def _target(context: CommandContext) -> tuple[str, Endpoint | None]:
    """The address the command acts on (the group, or the person) and its endpoint if known."""
    group = _group_address(context)
    if group is None:
        from relay.inbound.handling import person_address

        return person_address(context.inbound), context.endpoint
    return group, subscribers.find_endpoint(context.session, context.inbound.channel, group)


def help_(context: CommandContext) -> str:
    return context.reply("help")


def stop(context: CommandContext) -> str:
    address, endpoint = _target(context)
    inbound = context.inbound
    if endpoint is not None:
        subscribers.opt_out(context.session, endpoint, actor=context.actor,
                            reason=f"{inbound.text.strip().upper()[:40]} received", words=_words(context))
    else:  # a stranger's STOP still binds: if this address is imported later, it stays stopped
        key = subscribers.address_hash(inbound.channel, address)
        tombstone = context.session.get(Erasure, key) or Erasure(address_hash=key)
        tombstone.opted_out = True
        context.session.add(tombstone)
        consent.record(context.session, channel=inbound.channel, address=address, action=ConsentAction.opt_out,
                       source=inbound.channel, words=_words(context), actor=context.actor)
    return context.reply("stopped")


def _chosen_language(context: CommandContext) -> str | None:
    settings = context.settings
    argument = (context.command.argument or "").lower() or None
    if argument is not None:
        return argument
    if context.language:
        return context.language
    hint = context.inbound.language_hint.lower().partition("-")[0]
    if hint in settings.languages:
        return hint
    return settings.default_language


def join(context: CommandContext) -> str:
    settings = context.settings
    chosen = _chosen_language(context)
    if chosen not in settings.languages:
        return context.reply("unknown_language", code=chosen or "?", languages=" ".join(settings.languages))
    address, endpoint = _target(context)
    if endpoint is None:
        endpoint = _new_endpoint(context, address, chosen)
    elif endpoint.opted_out:
        subscribers.opt_in(context.session, endpoint, actor=context.actor, words=_words(context))
    subscriber = endpoint.subscriber
    if not (subscriber.consent_crisis or subscriber.consent_webinar or subscriber.consent_notice):
        # JOIN is consent: an endpoint made only to answer a citizen report (no consent) now subscribes
        subscriber.consent_crisis = subscriber.consent_webinar = subscriber.consent_notice = True
        consent.record(context.session, channel=endpoint.channel, address=endpoint.address,
                       action=ConsentAction.opt_in, source=endpoint.channel, words=_words(context),
                       actor=context.actor, endpoint=endpoint)
    endpoint.subscriber.language = chosen
    context.language = chosen
    return context.reply("subscribed")


def lang(context: CommandContext) -> str:
    settings = context.settings
    chosen = (context.command.argument or "").lower() or None
    if chosen is None or chosen not in settings.languages:
        return context.reply("unknown_language", code=chosen or "?", languages=" ".join(settings.languages))
    _, endpoint = _target(context)
    if endpoint is None:
        return _reply_in(context, "not_subscribed", chosen)
    endpoint.subscriber.language = chosen
    context.language = chosen
    return context.reply("language_set")


def start(context: CommandContext) -> str:
    if context.command.prefixed:  # chat: /start [lang] is how people subscribe
        return join(context)
    if context.endpoint is None:
        return context.reply("not_subscribed")
    subscribers.opt_in(context.session, context.endpoint, actor=context.actor, words=_words(context))
    person = context.endpoint.subscriber
    if person.consent_crisis and not (person.consent_webinar or person.consent_notice):
        # START also undoes LESS (relay/fatigue): crisis only is the one way to have just crisis consent
        person.consent_webinar = person.consent_notice = True
    return context.reply("started")


def _reply_in(context: CommandContext, key: str, language: str) -> str:
    context.language = language
    return context.reply(key)


def _new_endpoint(context: CommandContext, address: str, language: str) -> Endpoint:
    inbound = context.inbound
    name = (inbound.conversation_name or inbound.display_name or "")[:200] or None
    subscriber = Subscriber(language=language, timezone=context.settings.default_timezone, name=name)
    endpoint = Endpoint(channel=inbound.channel, address=address)
    subscriber.endpoints.append(endpoint)
    context.session.add(subscriber)
    # JOIN is an explicit opt-in: it lifts an earlier STOP's tombstone.
    context.session.query(Erasure).filter(
        Erasure.address_hash == subscribers.address_hash(inbound.channel, address)
    ).delete()
    context.session.flush()
    audit.record(context.session, context.actor, "subscriber.join", f"subscriber:{subscriber.id}",
                 language=language, channel=inbound.channel)
    consent.record(context.session, channel=inbound.channel, address=address, action=ConsentAction.opt_in,
                   source=inbound.channel, words=_words(context), actor=context.actor, endpoint=endpoint)
    return endpoint


handler_for("help", help_)
handler_for("stop", stop)
handler_for("join", join)
handler_for("lang", lang)
handler_for("start", start)
