"""Putting a broadcast into the outbox: one text per language, then one delivery row per endpoint.

The delivery rows are written by a single INSERT ... SELECT inside the same transaction as the
broadcast, so memory does not grow with the audience and the coordinator's acknowledgement (the id
returned here) is given only once every row is committed: a crash before that leaves nothing behind, a
crash after it loses nothing.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy import and_, case, exists, func, insert, literal, or_, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from relay.core import audit, hooks
from relay.core.models import (
    KIND_PRIORITY,
    Broadcast,
    BroadcastKind,
    BroadcastText,
    Delivery,
    DeliveryStatus,
    Endpoint,
    Subscriber,
    SubscriberRegion,
    SubscriberTopic,
    content_of,
)

CAP_SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CAP_URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
CAP_CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")

# (body, source language, target language) -> (text, engine) or None when no engine serves the pair.
# The result may carry the quality gate's verdict as `.verdict` (relay/translation_hooks.py: GatedText).
MachineTranslate = Callable[[str, str, str], "tuple[str, str] | None"]
# target language -> a one-line note in that language saying the original follows untranslated.
UntranslatedNote = Callable[[str], "str | None"]


# The columns every INSERT ... SELECT of delivery rows fills, in the order its SELECT gives them.
DELIVERY_COLUMNS = ["broadcast_id", "endpoint_id", "channel", "sender", "language", "priority", "status",
                    "attempts", "next_attempt_at"]


class BroadcastError(ValueError):
    """A broadcast request that cannot be accepted; the message says what is wrong."""


@dataclass(frozen=True)
class Audience:
    """Who a broadcast is for. Empty lists mean "no restriction"; a list means "any of these"."""

    regions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    # Subscribers' time zones (a webinar notice says the time in each recipient's own zone, so it is
    # planned once per zone) and explicit endpoints (a crisis reminder goes to its responsible people).
    timezones: tuple[str, ...] = ()
    endpoint_ids: tuple[int, ...] = ()

    def as_json(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.__dict__.items() if v}


@dataclass
class BroadcastRequest:
    kind: str
    body: str
    source_language: str
    sender: str
    severity: str = "Unknown"
    urgency: str = "Unknown"
    certainty: str = "Unknown"
    audience: Audience = field(default_factory=Audience)
    expires_at: datetime | None = None
    human_texts: Mapping[str, str] = field(default_factory=dict)
    # What a feature adds to this broadcast, read by its plan hook (e.g. "poll": the answers offered).
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApprovalPolicy:
    """Machine texts of severe or extreme crisis broadcasts in these languages wait for a person.

    Meanwhile either the original goes out at once with a note and the approved text follows
    (`send_original_while_pending`), or that language's deliveries are held until approval.
    """

    languages: frozenset[str] = frozenset()
    send_original_while_pending: bool = True
    # What a machine text that failed the quality gate gets: "hold" (for a person) or "original" (the
    # original with the language note); `gate_severe_on_fail` for Severe/Extreme crisis broadcasts.
    gate_on_fail: str = "hold"
    gate_severe_on_fail: str = "hold"

    def _severe(self, request: "BroadcastRequest") -> bool:
        return request.kind == BroadcastKind.crisis.value and request.severity in ("Extreme", "Severe")

    def gate_action(self, request: "BroadcastRequest", text: BroadcastText) -> str | None:
        """None for a text the gate did not fail; else "hold" or "original"."""
        if text.origin != "machine" or text.gate_verdict != "fail":
            return None
        return self.gate_severe_on_fail if self._severe(request) else self.gate_on_fail

    def applies(self, request: "BroadcastRequest", text: BroadcastText) -> bool:
        """Whether this text waits for a person: a required approval, or a failed gate set to hold."""
        if self.gate_action(request, text) == "hold":
            return True
        return self._severe(request) and text.origin == "machine" and text.language in self.languages


@dataclass(frozen=True)
class PlannedBroadcast:
    id: int
    deliveries: int
    languages: dict[str, str]  # language -> origin of its text (original | human | machine | untranslated)
    pending_approval: tuple[str, ...] = ()


def _choice(value: str, allowed: Sequence[str], what: str) -> str:
    for option in allowed:
        if value.lower() == option.lower():
            return option
    raise BroadcastError(f"{what} {value!r}: expected one of {', '.join(allowed)}")


def validate(request: BroadcastRequest) -> BroadcastRequest:
    if request.kind not in {k.value for k in BroadcastKind} - {BroadcastKind.correction.value}:
        raise BroadcastError(f"kind {request.kind!r}: expected crisis, webinar or notice")
    if not request.body.strip():
        raise BroadcastError("the message body is empty")
    request.severity = _choice(request.severity, CAP_SEVERITY, "severity")
    request.urgency = _choice(request.urgency, CAP_URGENCY, "urgency")
    request.certainty = _choice(request.certainty, CAP_CERTAINTY, "certainty")
    if request.expires_at is not None and request.expires_at <= datetime.now(timezone.utc):
        raise BroadcastError(f"expiry {request.expires_at.isoformat()} is in the past")
    for language, text in request.human_texts.items():
        if not text.strip():
            raise BroadcastError(f"the {language} text is empty")
    return request


def _audience_filter(request: BroadcastRequest, channels: Sequence[str]):
    consent = {
        BroadcastKind.crisis.value: Subscriber.consent_crisis,
        BroadcastKind.webinar.value: Subscriber.consent_webinar,
        BroadcastKind.notice.value: Subscriber.consent_notice,
    }[request.kind]
    audience = request.audience
    conditions = [
        Endpoint.channel.in_(list(channels)),
        Endpoint.opted_out.is_(False),
        Endpoint.unreachable.is_(False),
        consent.is_(True),
    ]
    if audience.regions:
        conditions.append(
            exists().where(SubscriberRegion.subscriber_id == Subscriber.id, SubscriberRegion.region.in_(audience.regions))
        )
    if audience.topics:
        conditions.append(
            exists().where(SubscriberTopic.subscriber_id == Subscriber.id, SubscriberTopic.topic.in_(audience.topics))
        )
    if audience.tiers:
        conditions.append(Subscriber.tier.in_(audience.tiers))
    if audience.languages:
        conditions.append(Subscriber.language.in_(audience.languages))
    if audience.timezones:
        conditions.append(Subscriber.timezone.in_(audience.timezones))
    if audience.endpoint_ids:
        conditions.append(Endpoint.id.in_(audience.endpoint_ids))
    if not audience.endpoint_ids:  # endpoints named one by one are meant, whatever their owner's order
        conditions.append(_first_choice(channels))
    for narrow in hooks.installed().audience_filters:  # the features' own terms (relay/geo: an area)
        condition = narrow(request)
        if condition is not None:
            conditions.append(condition)
    return and_(*conditions)


def _first_choice(channels: Sequence[str]):
    """An endpoint in its owner's failover order gets a broadcast only when no endpoint ranked before it
    can; relay/networks/failover.py carries the message to the next one if it fails. Unranked endpoints each get
    every broadcast, as they always did."""
    better = aliased(Endpoint)
    return or_(
        Endpoint.failover_rank.is_(None),
        ~exists().where(
            better.subscriber_id == Endpoint.subscriber_id,
            better.failover_rank < Endpoint.failover_rank,
            better.channel.in_(list(channels)),
            better.opted_out.is_(False),
            better.unreachable.is_(False),
        ),
    )


def _run_plan_hooks(session: Session, broadcast: Broadcast, request: BroadcastRequest,
                    senders: Mapping[str, Sequence[str]], now: datetime) -> None:
    """Features that add to a broadcast inside its own transaction (relay headers and ACK codes, polls):
    their Features' `plan_hooks`, in Feature-list order."""
    for hook in hooks.installed().plan_hooks:
        hook(session, broadcast, request, senders, now)


def _audience_values(session: Session, request: BroadcastRequest, channels: Sequence[str], column) -> list[str]:
    """The distinct values of a subscriber column among the recipients, sorted."""
    query = (
        select(column)
        .join(Endpoint, Endpoint.subscriber_id == Subscriber.id)
        .where(_audience_filter(request, channels))
        .distinct()
    )
    return sorted(session.scalars(query))


def audience_languages(session: Session, request: BroadcastRequest, channels: Sequence[str]) -> list[str]:
    return _audience_values(session, request, channels, Subscriber.language)


def audience_timezones(session: Session, request: BroadcastRequest, channels: Sequence[str]) -> list[str]:
    """The recipients' time zones: a text that states a time is planned once per zone."""
    return _audience_values(session, request, channels, Subscriber.timezone)


def audience_size(session: Session, request: BroadcastRequest, channels: Sequence[str]) -> int:
    query = (
        select(func.count())
        .select_from(Endpoint)
        .join(Subscriber, Endpoint.subscriber_id == Subscriber.id)
        .where(_audience_filter(request, channels))
    )
    return int(session.scalar(query) or 0)


def texts_for_languages(
    request: BroadcastRequest,
    languages: Sequence[str],
    machine: MachineTranslate | None,
    note: UntranslatedNote | None,
) -> dict[str, BroadcastText]:
    """Pick each language's text: the original, a human text, a machine text, or the original with a
    note. Never nothing: a recipient whose language has no engine still gets the alert."""
    texts: dict[str, BroadcastText] = {}
    for language in sorted(set(languages) | set(request.human_texts)):
        if language == request.source_language:
            texts[language] = BroadcastText(language=language, text=request.body, origin="original")
        elif language in request.human_texts:
            texts[language] = BroadcastText(language=language, text=request.human_texts[language], origin="human")
        elif machine is not None and (result := machine(request.body, request.source_language, language)):
            verdict = getattr(result, "verdict", None)  # the quality gate's, when the hook ran it
            texts[language] = BroadcastText(
                language=language, text=result[0], origin="machine", engine=result[1],
                gate_verdict=verdict.verdict if verdict is not None else None,
                gate_checks=verdict.as_json() if verdict is not None else None)
        else:
            line = note(language) if note else None
            body = f"{line}\n{request.body}" if line else request.body
            texts[language] = BroadcastText(language=language, text=body, origin="untranslated")
    return texts


def _sender_expression(senders: Mapping[str, Sequence[str]]):
    """Deal each channel's recipients over its senders in turn, so that every number of a pool carries the
    same share and the broadcast ends when all of them do (a hash would leave one number a few percent
    busier than the rest, and the whole broadcast waits for it). Decided in SQL, not in Python."""
    turn = func.row_number().over(partition_by=Endpoint.channel, order_by=Endpoint.id) - 1
    per_channel = {}
    for channel, keys in senders.items():
        if not keys:
            raise BroadcastError(f"channel {channel} has no sender configured")
        per_channel[channel] = case({i: key for i, key in enumerate(keys)}, value=turn % len(keys))
    return case({channel: expr for channel, expr in per_channel.items()}, value=Endpoint.channel)


def plan_broadcast(
    sessions: sessionmaker[Session],
    request: BroadcastRequest,
    *,
    senders: Mapping[str, Sequence[str]],
    machine: MachineTranslate | None = None,
    note: UntranslatedNote | None = None,
    approval: ApprovalPolicy = ApprovalPolicy(),
    actor: str,
    session: Session | None = None,
    stamp: Callable[[Session, Broadcast], None] | None = None,
    now: datetime | None = None,
) -> PlannedBroadcast:
    """Create the broadcast, its texts and all its deliveries; return only after they are committed.

    With `session`, everything happens in that caller's transaction instead (a chat command that
    broadcasts commits the broadcast together with the inbound message that asked for it).
    `now`: when the rows become due, the moment the plan hooks reason about (quiet hours); the caller's
    clock (a scheduled send's), else the real time.
    """
    validate(request)
    channels = sorted(senders)
    own = session is None
    with (sessions() if own else nullcontext(session)) as reader:
        languages = audience_languages(reader, request, channels)
    texts = texts_for_languages(request, languages, machine, note)  # slow work outside any transaction
    held: list[str] = []
    for text in texts.values():
        if approval.gate_action(request, text) == "original":  # failed the gate: never sent as if good
            line = note(text.language) if note else None
            text.draft, text.origin = text.text, "untranslated"
            text.text = f"{line}\n{request.body}" if line else request.body
        elif approval.applies(request, text):
            text.status, text.draft = "pending_approval", text.text
            if approval.send_original_while_pending:
                line = note(text.language) if note else None
                text.text = f"{line}\n{request.body}" if line else request.body
                text.origin = "untranslated"
            else:
                held.append(text.language)
    now = now or datetime.now(timezone.utc)
    priority = KIND_PRIORITY[BroadcastKind(request.kind)]
    with (sessions.begin() if own else nullcontext(session)) as session:
        broadcast = Broadcast(
            **content_of(request),
            audience=request.audience.as_json(),
            sender=request.sender,
            priority=priority,
            expires_at=request.expires_at,
            texts=list(texts.values()),
        )
        session.add(broadcast)
        session.flush()
        if stamp is not None:  # e.g. the verification code of an official broadcast (relay.integrity)
            stamp(session, broadcast)
        rows = (
            select(
                literal(broadcast.id),
                Endpoint.id,
                Endpoint.channel,
                _sender_expression(senders),
                Subscriber.language,
                literal(priority),
                case((Subscriber.language.in_(held), DeliveryStatus.held.value), else_=DeliveryStatus.pending.value)
                if held else literal(DeliveryStatus.pending.value),
                literal(0),
                literal(now, type_=Delivery.__table__.c.next_attempt_at.type),
            )
            .select_from(Endpoint)
            .join(Subscriber, Endpoint.subscriber_id == Subscriber.id)
            .where(_audience_filter(request, channels))
        )
        session.execute(insert(Delivery).from_select(DELIVERY_COLUMNS, rows))
        _run_plan_hooks(session, broadcast, request, senders, now)
        count = session.scalar(select(func.count()).where(Delivery.broadcast_id == broadcast.id))
        pending = tuple(sorted(lang for lang, t in texts.items() if t.status == "pending_approval"))
        audit.record(
            session, actor, "broadcast.create", f"broadcast:{broadcast.id}",
            kind=request.kind, severity=request.severity, deliveries=count,
            languages={lang: t.origin for lang, t in texts.items()}, pending_approval=list(pending),
        )
        broadcast_id = broadcast.id
    return PlannedBroadcast(broadcast_id, count, {lang: t.origin for lang, t in texts.items()}, pending)
