"""Volunteer translators: reports in a language no usable machine pair serves go to people.

A translator is a subscriber's endpoint registered for a pair (`relay translators add`, tier contributor
or above). A report waiting for a translation is offered to `translators_per_round` available
translators of its language at once (those with the fewest open offers first), with the machine draft
when an engine has one; the first complete `/tr 4821 <text>` wins, later answers are thanked and kept.
No answer within `translator_timeout_minutes` → the next translators (`next_round`, called by the
report service with the time, so tests can drive the clock). Every translation is attributed (offer
row, report, audit log) and kept in the translation memory, so the same text is never asked twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relay.core import audit, permissions
from relay.inbound import commands
from relay.inbound.commands import CommandContext
from relay.core.config import Settings
from relay.core.models import Endpoint, Subscriber, TranslationMemoryEntry
from relay.reports.models import Report, ReportStatus, TranslationOffer, Translator
from relay.reports.notices import send_notice
from relay.reports.privacy import mask, shown
from relay.reports.intake import find_reference
from translation.memory import MemoryKey

HUMAN_ENGINE = "human"  # the engine name human translations are remembered under


class TranslatorError(ValueError):
    """A registration that cannot be accepted; the message says why."""


def register(session: Session, endpoint: Endpoint, sources: list[str], target: str, *, actor: str,
             languages: list[str]) -> list[Translator]:
    """Register `endpoint` for each source -> target pair (already registered pairs are made available)."""
    permissions.check(session, actor=actor, tier=endpoint.subscriber.tier, action="translator.register",
                      subject=f"endpoint:{endpoint.id}")
    for code in [*sources, target]:
        if code not in languages:
            raise TranslatorError(f"unknown language {code!r}; the relay serves {', '.join(languages)}")
    if target in sources:
        raise TranslatorError(f"a translator translates into {target}, not from it")
    rows = []
    for source in sources:
        row = session.scalar(select(Translator).where(Translator.endpoint_id == endpoint.id,
                                                      Translator.source == source, Translator.target == target))
        if row is None:
            row = Translator(endpoint_id=endpoint.id, source=source, target=target, added_by=actor)
            session.add(row)
        row.available = True
        rows.append(row)
    session.flush()
    audit.record(session, actor, "translator.register", f"endpoint:{endpoint.id}", sources=sources, target=target)
    return rows


def remembered(session: Session, report: Report, target: str) -> str | None:
    """A human translation of exactly this text already in the translation memory."""
    if report.language is None:
        return None
    key = MemoryKey.of(report.text, report.language, target, HUMAN_ENGINE)
    entry = session.get(TranslationMemoryEntry, (key.text_hash, key.source, key.target, key.engine))
    return entry.text if entry else None


def _candidates(session: Session, report: Report, target: str, limit: int) -> list[Translator]:
    asked = select(TranslationOffer.translator_id).where(TranslationOffer.report_id == report.id)
    open_offers = (
        select(func.count(TranslationOffer.id))
        .join(Report, Report.id == TranslationOffer.report_id)
        .where(TranslationOffer.translator_id == Translator.id, TranslationOffer.answered_at.is_(None),
               Report.status == ReportStatus.translating.value)
        .scalar_subquery()
    )
    query = (
        select(Translator)
        .join(Endpoint, Endpoint.id == Translator.endpoint_id)
        .where(Translator.available.is_(True), Translator.target == target, Translator.id.not_in(asked),
               Endpoint.opted_out.is_(False), Endpoint.unreachable.is_(False))
        .order_by(open_offers, Translator.id)
    )
    if report.language is not None:  # unknown language: any translator may recognise it
        query = query.where(Translator.source == report.language)
    found: list[Translator] = []
    for translator in session.scalars(query):
        if all(t.endpoint_id != translator.endpoint_id for t in found):  # one offer per person
            found.append(translator)
        if len(found) == limit:
            break
    return found


def offer_text(report: Report, target: str, draft: str | None) -> str:
    text = (f"Please translate report {report.reference} ({report.language or '?'} -> {target}). "
            f"Reply: /tr {report.reference} <translation>\n{report.text}")
    return text + (f"\nMachine draft to correct: {draft}" if draft else "")


def next_round(session: Session, settings: Settings, report: Report, now: datetime, draft: str | None = None) -> int:
    """Offer `report` to the next translators; returns how many were asked (0: nobody is left)."""
    target = settings.reports.pivot_language
    chosen = _candidates(session, report, target, settings.reports.translators_per_round)
    if not chosen:
        return 0
    round_ = (session.scalar(select(func.max(TranslationOffer.round)).where(TranslationOffer.report_id == report.id))
              or 0) + 1
    text = offer_text(report, target, draft)
    for translator in chosen:
        session.add(TranslationOffer(report_id=report.id, translator_id=translator.id, round=round_, offered_at=now))
        endpoint = session.get(Endpoint, translator.endpoint_id)
        send_notice(session, settings, [endpoint], text, language=target, actor="translators",
                    subject=f"report:{report.reference}", now=now)
        shown(session, actor="translators", report_reference=report.reference, to=f"translator:{translator.id}",
              what="original", purpose="translation")
    report.status = ReportStatus.translating.value
    report.due_at = now + timedelta(minutes=settings.reports.translator_timeout_minutes)
    audit.record(session, "translators", "report.offered", f"report:{report.reference}", round=round_,
                 translators=[t.id for t in chosen])
    return len(chosen)


def _remember(session: Session, report: Report, target: str, text: str) -> None:
    if report.language is None:
        return
    key = MemoryKey.of(report.text, report.language, target, HUMAN_ENGINE)
    if session.get(TranslationMemoryEntry, (key.text_hash, key.source, key.target, key.engine)) is None:
        session.add(TranslationMemoryEntry(text_hash=key.text_hash, source=key.source, target=key.target,
                                           engine=key.engine, text=text))


@commands.command("tr", {"TR"}, max_words=None, sms=False)
def translate(context: CommandContext) -> str:
    """`/tr 4821 <text>`: a volunteer's translation of report 4821."""
    session, settings = context.session, context.settings
    reference, _, text = context.command.rest.partition(" ")
    text = text.strip()
    if not reference or not text:
        return context.reply("tr_usage")
    if reference[:1] in "Bb" and reference[1:].isdigit():  # a broadcast text: relay/reports/broadcast_volunteers.py
        from relay.reports.broadcast_volunteers import accept

        return accept(context, int(reference[1:]), text)
    target = settings.reports.pivot_language
    mine = [] if context.endpoint is None else list(session.scalars(
        select(Translator).where(Translator.endpoint_id == context.endpoint.id, Translator.target == target)))
    if not mine:
        return context.reply("tr_not_translator")
    report = find_reference(session, reference)
    if report is None or report.status in (ReportStatus.cancelled.value, ReportStatus.linked.value):
        return context.reply("tr_unknown", reference=reference)
    now = datetime.now(timezone.utc)
    offer = session.scalar(select(TranslationOffer).where(TranslationOffer.report_id == report.id,
                                                          TranslationOffer.translator_id.in_([t.id for t in mine])))
    if offer is None:  # a registered translator may answer without being asked
        offer = TranslationOffer(report_id=report.id, translator_id=mine[0].id, round=0, offered_at=now)
        session.add(offer)
    offer.answered_at, offer.text = now, text
    if report.english_origin is None and report.status in (ReportStatus.routed.value, ReportStatus.claimed.value):
        return _late_but_first(context, report, offer, text, now)  # it went out untranslated meanwhile
    if report.english_origin == "human" or report.status not in (ReportStatus.received.value,
                                                                 ReportStatus.translating.value):
        audit.record(session, context.actor, "report.translation_late", f"report:{report.reference}")
        return context.reply("tr_already", reference=report.reference)
    offer.accepted = True
    report.english, report.english_origin, report.translated_by = text, "human", context.actor
    report.status, report.due_at = ReportStatus.translated.value, now  # the service routes it next
    _remember(session, report, target, text)
    audit.record(session, context.actor, "report.translated", f"report:{report.reference}",
                 source=report.language, target=target, translator=offer.translator_id)
    return context.reply("tr_thanks", reference=report.reference)


def _late_but_first(context: CommandContext, report: Report, offer: TranslationOffer, text: str,
                    now: datetime) -> str:
    """Nobody answered in time, so the report was routed untranslated; the first translation still
    goes to its rooms (routing is not redone: responders may already be on it)."""
    from relay.reports.routing import notify_rooms

    target = context.settings.reports.pivot_language
    offer.accepted = True
    report.english, report.english_origin, report.translated_by = text, "human", context.actor
    _remember(context.session, report, target, text)
    audit.record(context.session, context.actor, "report.translated", f"report:{report.reference}",
                 source=report.language, target=target, translator=offer.translator_id, late=True)
    notify_rooms(context.session, context.settings, report, report.rooms,
                 f"Report {report.reference} translated: {mask(text)}", "translation", now)
    return context.reply("tr_thanks", reference=report.reference)


def translator_rows(session: Session) -> list[tuple[Translator, Endpoint, Subscriber]]:
    return list(session.execute(
        select(Translator, Endpoint, Subscriber).join(Endpoint, Endpoint.id == Translator.endpoint_id)
        .join(Subscriber, Subscriber.id == Endpoint.subscriber_id).order_by(Translator.id)
    ))
