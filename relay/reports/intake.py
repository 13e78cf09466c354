"""Citizen reports: a message that is no command (or `REPORT ...`) becomes a report, durable before the
sender is answered, with a short reference and an acknowledgement in the sender's language.

Intake is a fallthrough handler of the command table (listed last, after bridged rooms and relay-network
polls), so it runs inside the transaction that records the inbound message: the report, its reference
and the "processed" mark commit together, and a replayed webhook gets the same answer without a second
report. Translation, triage and routing happen after, in `relay/reports/service.py`, so the provider is
answered fast.

Duplicates are linked, not multiplied: the same person sending the same text again gets their
reference back; a near-identical text from someone else becomes a report of its own (its sender needs a
reference and the news when it is handled) linked to the first, and is not routed a second time.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone

from rapidfuzz import fuzz, process
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from channels.base import Inbound
from relay.core import audit, permissions
from relay.inbound import commands, keywords
from relay.reports import replies as report_replies  # noqa: F401  (registers texts)
from relay.inbound.commands import CommandContext, NotMine
from relay.core.config import Settings
from relay.core.models import InboundMessage
from relay.reports.models import OPEN_STATUSES, Report, ReportStatus
from relay.reports.notices import contact_endpoint, room_endpoint, send_notice
from translation.detect import detect

MIN_LINK_CHARS = 20  # shorter texts ("help", "dlo") from different people are different requests
_SPACES = re.compile(r"\W+")


def chat_room(inbound: Inbound) -> str | None:
    """The group chat or room a message was written in ("telegram:-1001234"), None for a direct chat."""
    return f"{inbound.channel}:{inbound.where}" if inbound.group else None


def responder_rooms(settings: Settings) -> set[str]:
    reports = settings.reports
    return {room for rooms in reports.routes.values() for room in rooms} | set(reports.default_rooms) | set(
        reports.escalation_rooms)


def find_reference(session: Session, reference: str | None) -> Report | None:
    if not reference:
        return None
    return session.scalar(select(Report).where(Report.reference == reference.strip().lstrip("#")))


def new_reference(session: Session) -> str:
    """A random short number nobody else's report has: 4 digits while they last, then longer."""
    for digits in (4,) * 30 + (5,) * 30 + (6,) * 30 + (9,) * 10:
        reference = str(10 ** (digits - 1) + secrets.randbelow(9 * 10 ** (digits - 1)))
        if session.scalar(select(Report.id).where(Report.reference == reference)) is None:
            return reference
    raise RuntimeError("no free report reference")  # pragma: no cover - 10^9 numbers


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text.lower()).strip()


def find_duplicate(session: Session, settings: Settings, channel: str, sender: str, text: str,
                   now: datetime) -> tuple[Report | None, bool]:
    """The open report this text repeats, and whether the same person sent it.

    Cheap enough for the webhook: only texts of a length that could reach the similarity threshold are
    read (ratio = 2·matches / (len a + len b), so a shorter one needs at least t/(2-t) of the longer's
    length), as plain columns, and compared in rapidfuzz's C loop.
    """
    since = now - timedelta(hours=settings.reports.duplicate_window_hours)
    threshold = settings.reports.duplicate_similarity
    wanted = _normal(text[:commands.ANALYSED_CHARS])  # bounded: 1,000 candidates of 64 KB held the GIL for seconds
    factor = threshold / (200 - threshold)
    open_ = Report.status.in_([*OPEN_STATUSES, ReportStatus.linked.value])
    size = func.length(Report.text)
    near = or_(and_(Report.channel == channel, Report.sender == sender),
               and_(size >= int(len(text) * factor), size <= int(len(text) / factor) + 1))
    rows = session.execute(
        select(Report.id, Report.channel, Report.sender, Report.text, Report.status, Report.duplicate_of)
        .where(open_, Report.created_at >= since, near).order_by(Report.id.desc()).limit(1000)
    ).all()
    candidates = [row for row in rows if (row.channel == channel and row.sender == sender)
                  or len(wanted) >= MIN_LINK_CHARS]
    texts = [_normal(row.text[:commands.ANALYSED_CHARS]) for row in candidates]
    best = process.extractOne(wanted, texts, scorer=fuzz.ratio, score_cutoff=threshold)
    if best is None:
        return None, False
    row = candidates[best[2]]
    same_sender = row.channel == channel and row.sender == sender
    if row.status == ReportStatus.linked.value and row.duplicate_of is not None and not same_sender:
        return session.get(Report, row.duplicate_of), False
    return session.get(Report, row.id), same_sender


def intake(context: CommandContext, text: str) -> str:
    from relay.inbound.handling import person_address  # relay.inbound.handling loads this module: import when used

    session, settings, inbound = context.session, context.settings, context.inbound
    permissions.check(session, actor=context.actor, tier=context.tier, action="report.create")  # every tier today
    now = datetime.now(timezone.utc)
    address = person_address(inbound)
    detection = detect(text[:commands.ANALYSED_CHARS], settings.languages)  # bounded CPU
    duplicate, same_sender = find_duplicate(session, settings, inbound.channel, address, text, now)
    if duplicate is not None and same_sender:
        duplicate.resends += 1
        audit.record(session, context.actor, "report.resent", f"report:{duplicate.reference}")
        return context.reply("report_again", reference=duplicate.reference)
    endpoint = context.endpoint or contact_endpoint(
        session, inbound.channel, address, language=detection.language or settings.default_language,
        timezone_name=settings.default_timezone,
    )
    context.language = endpoint.subscriber.language
    inbound_id = session.scalar(select(InboundMessage.id).where(
        InboundMessage.channel == inbound.channel, InboundMessage.provider_message_id == inbound.provider_message_id))
    report = Report(
        reference=new_reference(session), channel=inbound.channel, sender=address, endpoint_id=endpoint.id,
        inbound_id=inbound_id, text=text, language=detection.language, created_at=now,
        status=ReportStatus.linked.value if duplicate else ReportStatus.received.value,
        duplicate_of=duplicate.id if duplicate else None, due_at=None if duplicate else now,
        categories=[], rooms=[],
    )
    session.add(report)
    session.flush()
    audit.record(session, context.actor, "report.create", f"report:{report.reference}",
                 language=detection.language, confidence=round(detection.confidence, 3),
                 duplicate_of=duplicate.reference if duplicate else None)
    return context.reply("report_received", reference=report.reference)


def report_message(context: CommandContext):
    """Any direct message that nobody before us took is a report. Chatter in a responder room is not."""
    settings = context.settings
    if not settings.reports.enabled:
        return NotMine
    room = chat_room(context.inbound)
    if room is not None:
        return None if room in responder_rooms(settings) else NotMine
    return intake(context, context.inbound.text.strip())


@commands.command("report", {"REPORT"}, max_words=None)
def report_command(context: CommandContext) -> str:
    text = context.command.rest.strip()
    if not text:
        return context.reply("report_empty")
    return intake(context, text)


keywords.define(keywords.Spec("cancel_report", frozenset({"CANCEL"}), min_words=1, max_words=1))


def cancel_report(context: CommandContext) -> str:
    """`CANCEL 4821`: the sender no longer needs help. Only the person who sent report 4821 may."""
    from relay.inbound.handling import person_address

    session, reference = context.session, (context.command.argument or "").lstrip("#")
    report = find_reference(session, reference)
    address = person_address(context.inbound)
    if (report is None or report.channel != context.inbound.channel or report.sender != address
            or report.status not in {*OPEN_STATUSES, ReportStatus.linked.value}):
        return context.reply("report_not_yours", reference=reference)
    previous, report.status, report.due_at = report.status, ReportStatus.cancelled.value, None
    audit.record(session, context.actor, "report.cancel", f"report:{report.reference}", previous=previous)
    if report.rooms:
        endpoints = [room_endpoint(session, room, context.settings) for room in report.rooms]
        send_notice(session, context.settings, endpoints,
                    f"Report {report.reference} was cancelled by its sender: help is no longer needed.",
                    language=context.settings.reports.pivot_language, actor="reports",
                    subject=f"report:{report.reference}")
    return context.reply("report_cancelled", reference=report.reference)


commands.handler_for("cancel_report", cancel_report)
