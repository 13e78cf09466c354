"""LESS / MORE, TZ and QUIET: what a person says to get fewer messages, and when.

LESS ("crisis alerts only") withdraws the person's consent to webinar and notice broadcasts, the
consent every audience query already honours, and stops such deliveries already queued for them; MORE
(or START on SMS, relay/inbound/basic_commands.py) gives it back. The words exist in every language the
replies are written in, so a person need not know English to ask for quiet. TZ sets the person's time
zone (IANA name, any case); QUIET sets their own quiet hours or turns them off.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select, update

from relay.core import audit, consent, subscribers
from relay.core.consent import ConsentAction
from relay.core.models import Broadcast, BroadcastKind, Delivery, DeliveryStatus, Endpoint
from relay.fatigue.models import FatiguePreference
from relay.fatigue.quiet import FatigueError, check_zone, parse_window
from relay.fatigue.replies import register_replies
from relay.fatigue.settings import fatigue_settings
from relay.inbound.commands import CommandContext, command, subscribed

# en, es, fr, ht: the languages relay/inbound/replies.py writes in.
LESS_WORDS = frozenset({"LESS", "MENOS", "MOINS", "MWENS"})
MORE_WORDS = frozenset({"MORE", "MAS", "MÁS", "PLUS", "PLIS"})
TZ_WORDS = frozenset({"TZ", "TIMEZONE"})
QUIET_WORDS = frozenset({"QUIET", "SILENCIO", "SILENCE", "SILANS"})

register_replies()


def _endpoint(context: CommandContext) -> Endpoint | None:
    """The endpoint the command is about: the group's in a group chat, else the person's own."""
    inbound = context.inbound
    if inbound.group:
        return subscribers.find_endpoint(context.session, inbound.channel, inbound.where)
    return context.endpoint


def stop_non_crisis(session, subscriber_id: int, reason: str) -> int:
    """Cancel the webinar and notice deliveries still queued for this person (all their endpoints)."""
    now = datetime.now(timezone.utc)
    theirs = select(Endpoint.id).where(Endpoint.subscriber_id == subscriber_id)
    non_crisis = select(Broadcast.id).where(Broadcast.kind.in_((BroadcastKind.webinar.value, BroadcastKind.notice.value)))
    return session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id.in_(theirs), Delivery.broadcast_id.in_(non_crisis),
               Delivery.status.in_((DeliveryStatus.pending.value, DeliveryStatus.held.value)))
        .values(status=DeliveryStatus.cancelled.value, last_error=reason, finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount or 0


@command("less", LESS_WORDS)
@subscribed(_endpoint)
def less(context: CommandContext, endpoint: Endpoint) -> str:
    person = endpoint.subscriber
    person.consent_webinar = person.consent_notice = False
    stopped = stop_non_crisis(context.session, person.id, f"recipient asked for crisis alerts only "
                                                          f"({context.inbound.text.strip()[:40]})")
    audit.record(context.session, context.actor, "subscriber.less", f"subscriber:{person.id}",
                 words=context.inbound.text.strip()[:40], channel=context.inbound.channel, cancelled=stopped)
    _consent(context, endpoint, ConsentAction.crisis_only)
    return context.reply("fatigue_less")


def restore(context: CommandContext, endpoint: Endpoint) -> None:
    person = endpoint.subscriber
    person.consent_webinar = person.consent_notice = True
    audit.record(context.session, context.actor, "subscriber.more", f"subscriber:{person.id}",
                 words=context.inbound.text.strip()[:40], channel=context.inbound.channel)
    _consent(context, endpoint, ConsentAction.all_kinds)


def _consent(context: CommandContext, endpoint: Endpoint, action: ConsentAction) -> None:
    """The consent history (relay/core/consent.py) keeps what the person agreed to and in which words."""
    consent.record(context.session, channel=endpoint.channel, address=endpoint.address, action=action,
                   source=context.inbound.channel, words=context.inbound.text.strip(), actor=context.actor,
                   endpoint=endpoint)


@command("more", MORE_WORDS)
@subscribed(_endpoint)
def more(context: CommandContext, endpoint: Endpoint) -> str:
    restore(context, endpoint)
    return context.reply("fatigue_more")


@command("tz", TZ_WORDS, max_words=1)
@subscribed(_endpoint)
def tz(context: CommandContext, endpoint: Endpoint) -> str:
    person = endpoint.subscriber
    if not context.command.argument:
        return context.reply("fatigue_tz_is", zone=person.timezone)
    try:
        zone = check_zone(context.command.argument)
    except FatigueError:
        return context.reply("fatigue_tz_unknown", zone=context.command.argument[:64])
    old, person.timezone = person.timezone, zone
    audit.record(context.session, context.actor, "subscriber.timezone", f"subscriber:{person.id}", old=old, new=zone)
    return context.reply("fatigue_tz_set", zone=zone)


def set_quiet_hours(session, subscriber_id: int, value: str | None, *, actor: str) -> str | None:
    """Store a person's own quiet hours ("22:00-07:00", "off", or None for the default); validated."""
    window = parse_window(value) if value not in (None, "") else None
    stored = None if value in (None, "") else (str(window) if window is not None else "off")
    preference = session.get(FatiguePreference, subscriber_id)
    if preference is None:
        preference = FatiguePreference(subscriber_id=subscriber_id)
        session.add(preference)
    preference.quiet_hours = stored
    session.flush()
    audit.record(session, actor, "subscriber.quiet_hours", f"subscriber:{subscriber_id}", quiet_hours=stored)
    return stored


@command("quiet", QUIET_WORDS, max_words=1)
@subscribed(_endpoint)
def quiet(context: CommandContext, endpoint: Endpoint) -> str:
    person = endpoint.subscriber
    if not context.command.argument:
        own = context.session.get(FatiguePreference, person.id)
        shown = own.quiet_hours if own is not None and own.quiet_hours else (
            fatigue_settings(context.settings).quiet_hours or "off")
        return context.reply("fatigue_quiet_is", window=shown, zone=person.timezone)
    try:
        stored = set_quiet_hours(context.session, person.id, context.command.argument, actor=context.actor)
    except FatigueError:
        return context.reply("fatigue_quiet_bad", window=context.command.argument[:20])
    if stored == "off":
        return context.reply("fatigue_quiet_off")
    return context.reply("fatigue_quiet_set", window=stored or "", zone=person.timezone)
