"""What a broadcast would be before it is sent: who it reaches, each language's text, what each channel
charges and how long the providers' limits make it take.

Everything comes from the parts that will do the sending: the outbox's own audience filter and text
choice (the same translation memory, so a preview pays for the translation the send then reuses),
channels/sms_text.py for encoding and segments, the configured senders and their rates, and for a channel
with a reply window (WhatsApp) how many recipients are outside it and get the approved template instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channels import registry
from relay.delivery import outbox
from relay.fatigue import hold as fatigue_hold
from relay.geo import audience as geo_audience
from relay.inbound import history
from relay.core.channels import planned_senders
from relay.core.config import Settings
from relay.core.models import Endpoint, Subscriber
from relay.delivery.outbox import ApprovalPolicy, BroadcastRequest, MachineTranslate, UntranslatedNote


@dataclass(frozen=True)
class Counts:
    """Recipients (endpoints) per (channel, language)."""

    cells: dict[tuple[str, str], int]

    def by_channel(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (channel, _), n in self.cells.items():
            out[channel] += n
        return dict(out)

    def by_language(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (_, language), n in self.cells.items():
            out[language] += n
        return dict(out)


def count(session: Session, request: BroadcastRequest, channels: list[str]) -> Counts:
    # The outbox's own filter (consent, opt-outs, failover order), so the preview counts exactly the
    # rows plan_broadcast would insert.
    rows = session.execute(
        select(Endpoint.channel, Subscriber.language, func.count())
        .select_from(Endpoint)
        .join(Subscriber, Endpoint.subscriber_id == Subscriber.id)
        .where(outbox._audience_filter(request, channels))
        .group_by(Endpoint.channel, Subscriber.language)
    ).all()
    return Counts({(channel, language): int(n) for channel, language, n in rows})


def channel_rates(settings: Settings) -> dict[str, float | None]:
    """Cost units (SMS: segments) per second each channel can send in total, or None for no limit: each
    sender's rate from the channel's spec, times the planned senders. `[console]
    <channel>_messages_per_second` overrides a channel that has no section (the sandbox)."""
    senders = planned_senders(settings)
    rates: dict[str, float | None] = {}
    for spec in registry.SPECS:
        if spec.name not in senders:
            continue
        section = getattr(settings, spec.name, None)
        override = getattr(settings.console, f"{spec.name}_messages_per_second", None) if section is None else None
        per_sender = float(override) if override else float(spec.rate(section, settings.sandbox))
        rates[spec.name] = per_sender * len(senders[spec.name]) if per_sender else None
    return rates


def outside_window(session: Session, request: BroadcastRequest, channels: list[str],
                   now: datetime) -> dict[tuple[str, str], int]:
    """Per (channel, language): recipients on a channel with a reply window (WhatsApp's 24 h) who have not
    written within it, so that they get the channel's approved template instead of the text."""
    cells: dict[tuple[str, str], int] = {}
    for name in channels:
        hours = registry.spec(name).capabilities.reply_window_hours
        if not hours:
            continue
        rows = session.execute(
            select(Subscriber.language, func.count())
            .select_from(Endpoint)
            .join(Subscriber, Endpoint.subscriber_id == Subscriber.id)
            .where(outbox._audience_filter(request, channels), Endpoint.channel == name,
                   ~history.wrote_since(name, history.window_start(now, hours)))
            .group_by(Subscriber.language)
        ).all()
        cells.update({(name, language): int(n) for language, n in rows})
    return cells


def preview(sessions: sessionmaker[Session], request: BroadcastRequest, settings: Settings, *,
            machine: MachineTranslate | None, note: UntranslatedNote | None, approval: ApprovalPolicy) -> dict:
    outbox.validate(request)
    channels = sorted(planned_senders(settings))
    with sessions() as session:  # closed before translating: on SQLite every transaction holds the write lock
        counts = count(session, request, channels)
        area = geo_audience.preview(session, request, channels)
        if area is not None:  # the exact area: off the counts go those the SQL prefilter let through
            for cell, n in geo_audience.outside_cells(session, request, channels, area[1]).items():
                counts.cells[cell] -= n
            counts = Counts({cell: n for cell, n in counts.cells.items() if n > 0})
        now = datetime.now(timezone.utc)
        templates = outside_window(session, request, channels, now)
        quiet = fatigue_hold.preview(session, request, outbox._audience_filter(request, channels), settings, now)
    by_language = counts.by_language()
    texts = outbox.texts_for_languages(request, sorted(by_language), machine, note)
    prices = settings.console
    units_per_channel: Counter[str] = Counter()
    languages = []
    total_cost = 0.0
    for language, text in sorted(texts.items()):
        waits = approval.applies(request, text)
        channel_rows = []
        for channel in channels:
            recipients = counts.cells.get((channel, language), 0)
            if not recipients:
                continue
            measured = registry.spec(channel).text_units(text.text)  # SMS: segments, encoding, length
            cost = recipients * measured["units"] * prices.price(channel)
            units_per_channel[channel] += recipients * measured["units"]
            row = {"channel": channel, "recipients": recipients, "cost": round(cost, 4)}
            if "segments" in measured:
                row.update(encoding=measured["encoding"], units=measured["characters"], segments=measured["segments"])
            if (channel, language) in templates or registry.spec(channel).capabilities.reply_window_hours:
                row["template"] = templates.get((channel, language), 0)  # outside the window: the template
            channel_rows.append(row)
            total_cost += cost
        languages.append({"language": language, "recipients": by_language.get(language, 0), "text": text.text,
                          "origin": text.origin, "engine": text.engine, "pending_approval": waits,
                          "gate": text.gate_checks, "gate_action": approval.gate_action(request, text),
                          "channels": channel_rows})
    rates = channel_rates(settings)
    estimates = []
    for channel, units in sorted(units_per_channel.items()):
        rate = rates.get(channel)
        estimates.append({"channel": channel, "recipients": counts.by_channel().get(channel, 0), "units": units,
                          "rate_per_second": rate, "seconds": round(units / rate, 1) if rate else None})
    # Channels send side by side: the broadcast ends when the slowest one does.
    seconds = [e["seconds"] for e in estimates]
    return {
        "total": sum(counts.cells.values()),
        "by_channel": counts.by_channel(),
        "by_language": by_language,
        "languages": languages,
        "estimates": estimates,
        "estimated_seconds": max(seconds) if seconds and None not in seconds else (None if seconds else 0.0),
        "cost": round(total_cost, 4),
        "currency": prices.currency,
        "needs_second_approval": settings.console.two_person_extreme and request.severity == "Extreme",
        "quiet_hours": quiet,
        "area": area[0] if area is not None else None,
    }
