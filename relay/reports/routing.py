"""Triage and routing of citizen reports, and the responders' side: `/claim 4821`, `/done 4821`.

A translated report gets its categories from the shipped classifier (read on the text `triage_text`
picks: a person's English, else the text as received where the model learnt that language), goes to
the responder rooms its categories are routed to (each room once), masked (relay/reports/privacy.py).
The responder who claims it gets the full text and the sender's contact privately. When it is resolved
the sender, and the senders of reports linked to it as duplicates, are told in their own language.
An urgent report nobody claimed in time goes to the escalation rooms.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from relay.core import audit, permissions
from relay.inbound import commands
from relay.inbound.commands import ANALYSED_CHARS, CommandContext
from relay.core.config import Settings
from relay.core.models import Endpoint
from relay.inbound.replies import reply
from relay.reports.models import Report, ReportStatus
from relay.reports.notices import contact_endpoint, room_endpoint, send_notice
from relay.reports.privacy import mask, shown
from relay.reports.intake import chat_room, find_reference
from relay.reports.triage.categories import OTHER
from relay.reports.triage.model import shipped

ACTOR = "reports"
DIGEST_CHARS = 3500  # Telegram takes 4096 characters a message; Matrix more


def _model(settings: Settings):
    return shipped(str(settings.reports.classifier) if settings.reports.classifier else None)


def triage_text(settings: Settings, report: Report) -> str:
    """The text triage reads, of those the relay has when it routes. Measured on the 981 Haiti test SMS
    (bench/triage_eval.py): the shipped model reads a volunteer's English best and the Creole as received
    nearly as well, and both joined worse than either; machine English of Creole is not measurable here
    (no engine), so the Creole is read rather than an engine's guess at it."""
    if report.english is not None and report.english_origin in ("original", "human"):
        return report.english
    if report.english is None or report.language in _model(settings).meta.get("received_languages", ()):
        return report.text
    return report.english


def categorise(settings: Settings, text: str) -> list[str]:
    model = _model(settings)
    wanted = settings.reports.categories
    chosen = [c for c in model.triage(text[:ANALYSED_CHARS]).categories if c in wanted]  # bounded CPU
    return chosen or ([OTHER] if OTHER in wanted else wanted[:1])


def responder_text(report: Report) -> str:
    tags = ", ".join(report.categories) + (" - URGENT" if report.urgent else "")
    if report.english is not None:
        body = mask(report.english)
    else:
        body = f"(not translated, {report.language or 'language unknown'}) {mask(report.text)}"
    return f"Report {report.reference} [{tags}]\n{body}\nTake it: /claim {report.reference}"


def notify_rooms(session: Session, settings: Settings, report: Report, rooms: list[str], text: str,
                  purpose: str, now: datetime) -> None:
    endpoints = [room_endpoint(session, room, settings) for room in rooms]
    send_notice(session, settings, endpoints, text, language=settings.reports.pivot_language, actor=ACTOR,
                subject=f"report:{report.reference}", now=now)
    for room in rooms:
        shown(session, actor=ACTOR, report_reference=report.reference, to=room, what="masked", purpose=purpose)


def route(session: Session, settings: Settings, reports: list[Report], now: datetime) -> dict[str, list[str]]:
    """Categorise each report and send it to its rooms: one message per room for all the reports of this
    pass (a digest, split at DIGEST_CHARS), so a burst of reports costs a room one message, not one per
    report: Telegram lets a bot post only 20 messages a minute in a group. Returns room -> references."""
    digests: dict[str, list[Report]] = {}
    for report in reports:
        report.categories = categorise(settings, triage_text(settings, report))
        report.urgent = any(c in settings.reports.urgent_categories for c in report.categories)
        rooms = settings.reports.rooms_for(report.categories)
        for room in rooms:
            digests.setdefault(room, []).append(report)
        report.rooms, report.status = rooms, ReportStatus.routed.value
        report.due_at = now + timedelta(minutes=settings.reports.escalate_after_minutes) if report.urgent else None
        audit.record(session, ACTOR, "report.routed" if rooms else "report.unrouted", f"report:{report.reference}",
                     categories=report.categories, rooms=rooms, urgent=report.urgent)
    for room, items in digests.items():
        endpoint = room_endpoint(session, room, settings)
        for chunk in _chunks([responder_text(r) for r in sorted(items, key=lambda r: (not r.urgent, r.id))]):
            send_notice(session, settings, [endpoint], chunk, language=settings.reports.pivot_language, actor=ACTOR,
                        subject=f"room:{room}", now=now)
        for report in items:
            shown(session, actor=ACTOR, report_reference=report.reference, to=room, what="masked", purpose="routing")
    return {room: [r.reference for r in items] for room, items in digests.items()}


def _chunks(texts: list[str]) -> list[str]:
    chunks: list[str] = []
    for text in texts:
        if chunks and len(chunks[-1]) + 2 + len(text) <= DIGEST_CHARS:
            chunks[-1] += "\n\n" + text
        else:
            chunks.append(text)
    return chunks


def escalate(session: Session, settings: Settings, report: Report, now: datetime) -> None:
    """An urgent report still unclaimed at its due time goes to the escalation rooms."""
    report.due_at, report.escalated_at = None, now
    rooms = [room for room in settings.reports.escalation_rooms if room not in report.rooms]
    if rooms:
        minutes = settings.reports.escalate_after_minutes
        notify_rooms(session, settings, report, rooms,
                      f"UNCLAIMED for {minutes:g} min - {responder_text(report)}", "escalation", now)
        report.rooms = [*report.rooms, *rooms]
    audit.record(session, ACTOR, "report.escalated", f"report:{report.reference}", rooms=rooms)


def _may_handle(context: CommandContext, report: Report) -> bool:
    """From a room the report was sent to, or with a tier allowed to handle any report (refusal audited)."""
    room = chat_room(context.inbound)
    if room is not None and room in report.rooms:
        return True
    try:
        permissions.check(context.session, actor=context.actor, tier=context.tier, action="report.handle",
                          subject=f"report:{report.reference}")
    except permissions.PermissionDenied:
        return False
    return True


def _speaker_endpoint(context: CommandContext) -> Endpoint:
    from relay.inbound.handling import person_address

    settings = context.settings
    return context.endpoint or contact_endpoint(
        context.session, context.inbound.channel, person_address(context.inbound),
        language=settings.reports.pivot_language, timezone_name=settings.default_timezone)


def _named_report(handler: Callable[[CommandContext, Report], str]) -> Callable[[CommandContext], str]:
    """`handler(context, report)` as the handler of a staff command about one report (`/claim <reference>`,
    `/done <reference>`); a command that names none, or one that does not exist, is answered here."""

    @functools.wraps(handler)
    def run(context: CommandContext) -> str:
        reference = context.command.argument
        if not reference:
            return context.reply("claim_usage")
        report = find_reference(context.session, reference)
        if report is None:
            return context.reply("claim_unknown", reference=reference)
        return handler(context, report)

    return run


@commands.command("claim", {"CLAIM"}, max_words=1, sms=False)
@_named_report
def claim(context: CommandContext, report: Report) -> str:
    session, settings = context.session, context.settings
    if report.status not in (ReportStatus.routed.value, ReportStatus.claimed.value):
        return context.reply("claim_unknown", reference=context.command.argument)
    if not _may_handle(context, report):
        return context.reply("claim_refused", reference=report.reference)
    if report.status == ReportStatus.claimed.value and report.claimed_by != context.actor:
        return context.reply("claim_taken", reference=report.reference, who=report.claimed_by or "?")
    now = datetime.now(timezone.utc)
    report.status, report.claimed_by, report.claimed_at, report.due_at = (
        ReportStatus.claimed.value, context.actor, now, None)
    details = (f"Report {report.reference} ({report.language or 'language unknown'}), claimed by you.\n"
               f"As sent: {report.text}\n"
               + (f"{settings.reports.pivot_language}: {report.english}\n" if report.english else "")
               + f"Contact: {report.channel} {report.sender}\nWhen handled: /done {report.reference}")
    send_notice(session, settings, [_speaker_endpoint(context)], details, language=settings.reports.pivot_language,
                actor=ACTOR, subject=f"report:{report.reference}", now=now)
    shown(session, actor=ACTOR, report_reference=report.reference, to=context.actor, what="original+contact",
          purpose="claimed")
    audit.record(session, context.actor, "report.claim", f"report:{report.reference}",
                 room=chat_room(context.inbound))
    return context.reply("claim_ok", reference=report.reference)


@commands.command("done", {"DONE"}, max_words=1, sms=False)
@_named_report
def done(context: CommandContext, report: Report) -> str:
    session, settings = context.session, context.settings
    if report.status in (ReportStatus.resolved.value, ReportStatus.cancelled.value):
        return context.reply("done_already", reference=report.reference, status=report.status)
    if report.status not in (ReportStatus.routed.value, ReportStatus.claimed.value):
        return context.reply("claim_unknown", reference=context.command.argument)
    if report.claimed_by != context.actor and not _may_handle(context, report):
        return context.reply("claim_refused", reference=report.reference)
    resolve(session, settings, report, actor=context.actor, now=datetime.now(timezone.utc))
    return context.reply("done_ok", reference=report.reference)


def resolve(session: Session, settings: Settings, report: Report, *, actor: str, now: datetime) -> int:
    """Mark `report` and its linked duplicates resolved and tell each sender; returns how many were told."""
    linked = list(session.scalars(select(Report).where(Report.duplicate_of == report.id,
                                                       Report.status == ReportStatus.linked.value)))
    told = 0
    for item in [report, *linked]:
        item.status, item.resolved_by, item.resolved_at, item.due_at = ReportStatus.resolved.value, actor, now, None
        endpoint = session.get(Endpoint, item.endpoint_id) if item.endpoint_id else None
        if endpoint is not None:
            language = endpoint.subscriber.language
            send_notice(session, settings, [endpoint], reply("report_resolved", language, reference=item.reference),
                        language=language, actor=ACTOR, subject=f"report:{item.reference}", now=now)
            told += 1
    audit.record(session, actor, "report.resolve", f"report:{report.reference}",
                 linked=[item.reference for item in linked])
    return told
