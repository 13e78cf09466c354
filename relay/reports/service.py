"""Moving citizen reports along after intake: translate (memory, machine, or volunteers), route, move
on to the next translators when one does not answer, escalate unclaimed urgent reports.

`step(session, settings, now, machine)` does one pass over the reports that are due; it takes the time
as an argument so tests can drive the clock. It runs in one transaction, so it must not call an engine
itself: the service makes the machine drafts first, outside, and hands `step` a lookup of them. `ReportService` runs it in `relay run` every
`reports.check_seconds` (one "module:function" line in relay/app/features.py). Due reports are taken with
`FOR UPDATE SKIP LOCKED`, so two relay processes sharing PostgreSQL never handle one twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from relay.core import audit
from relay.reports.broadcast_volunteers import offer_untranslated
from relay.core.config import Settings
from relay.delivery.outbox import MachineTranslate
from relay.reports.models import Report, ReportStatus
from relay.reports.routing import escalate, route
from relay.reports.translators import next_round, remembered

if TYPE_CHECKING:
    from relay.app.program import Program

log = logging.getLogger("relay.reports.service")
BATCH = 200


def _translated(report: Report, text: str | None, origin: str | None, by: str | None) -> None:
    report.english, report.english_origin, report.translated_by = text, origin, by
    report.status = ReportStatus.translated.value


def _translate_or_offer(session: Session, settings: Settings, report: Report, now: datetime,
                        machine: MachineTranslate | None) -> str | None:
    """Give a new report its pivot text (the original, the memory, a machine) or offer it to volunteers."""
    pivot = settings.reports.pivot_language
    if report.language == pivot:
        _translated(report, report.text, "original", None)
        return None
    memory = remembered(session, report, pivot)
    if memory is not None:
        _translated(report, memory, "human", "translation memory")
        return "from_memory"
    draft = machine(report.text, report.language, pivot) if machine and report.language else None
    if draft is not None and report.language not in settings.reports.review_languages:
        _translated(report, draft[0], "machine", draft[1])
        return "machine"
    if next_round(session, settings, report, now, draft[0] if draft else None):
        return "offered"
    return _without_translator(session, report, draft)


def _without_translator(session: Session, report: Report, draft: tuple[str, str] | None) -> str:
    """Nobody (or nobody more) to ask: route with the machine draft, else untranslated. Help must not wait
    for a translator who is not there; a late translation still reaches the rooms."""
    audit.record(session, "reports", "report.no_translator", f"report:{report.reference}", language=report.language)
    if draft is not None:
        _translated(report, draft[0], "machine", draft[1])
        return "machine"
    _translated(report, None, None, None)
    return "untranslated"


def step(session: Session, settings: Settings, now: datetime | None = None,
         machine: MachineTranslate | None = None) -> Counter:
    """One pass: move due reports on, then route every translated report (one digest per room);
    returns what happened, by outcome."""
    now = now or datetime.now(timezone.utc)
    due = session.scalars(
        select(Report)
        .where(Report.status.in_([ReportStatus.received.value, ReportStatus.translating.value,
                                  ReportStatus.routed.value]), Report.due_at <= now)
        .order_by(Report.due_at, Report.id).limit(BATCH).with_for_update(skip_locked=True)
    )
    outcomes: Counter = Counter()
    offered = offer_untranslated(session, settings, now)
    if offered:
        outcomes["broadcast_offered"] += offered
    for report in list(due):
        if report.status == ReportStatus.received.value:
            outcome = _translate_or_offer(session, settings, report, now, machine)
        elif report.status == ReportStatus.translating.value:
            outcome = "offered_again" if next_round(session, settings, report, now) else \
                _without_translator(session, report, None)
        elif report.urgent:
            escalate(session, settings, report, now)
            outcome = "escalated"
        else:
            report.due_at, outcome = None, None
        if outcome:
            outcomes[outcome] += 1
    session.flush()
    ready = list(session.scalars(
        select(Report).where(Report.status == ReportStatus.translated.value).order_by(Report.id)
        .limit(BATCH).with_for_update(skip_locked=True)
    ))
    if ready:
        route(session, settings, ready, now)
        outcomes["routed"] += len(ready)
    return outcomes


class ReportService:
    """`step` every `reports.check_seconds` beside the dispatcher, with the machine engines of the relay."""

    name = "reports"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._task: asyncio.Task | None = None

    async def start(self, program: "Program") -> None:
        settings, database = program.settings, program.database
        assert database is not None
        machine = _machine(settings, database.sessions)

        async def loop() -> None:
            while True:
                try:
                    drafts = await self._drafts(database, settings, machine)
                    outcomes = await database.run(step, settings, None, drafts)
                    if outcomes:
                        log.info("reports: %s", dict(outcomes))
                        if program.dispatcher is not None:
                            program.dispatcher.wake()
                except Exception:  # a database hiccup must not stop report handling for good
                    log.exception("report step failed; trying again")
                await asyncio.sleep(settings.reports.check_seconds)

        self._task = asyncio.get_running_loop().create_task(loop(), name="reports")

    @staticmethod
    async def _drafts(database, settings: Settings, machine: MachineTranslate | None) -> MachineTranslate | None:
        """Machine translations of the reports the next step will look at, made outside any transaction
        (an engine call is slow, and the translation memory writes in a transaction of its own)."""
        if machine is None:
            return None
        pivot = settings.reports.pivot_language
        wanted = await database.run(_machine_candidates, pivot)
        drafts: dict[tuple[str, str], tuple[str, str] | None] = {}
        for text, language in wanted:
            drafts[(text, language)] = await asyncio.to_thread(machine, text, language, pivot)
        return lambda text, source, target: drafts.get((text, source))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _machine_candidates(session: Session, pivot: str) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Report.text, Report.language).where(Report.status == ReportStatus.received.value,
                                                   Report.language.is_not(None), Report.language != pivot)
        .order_by(Report.id).limit(BATCH)
    )
    return [(text, language) for text, language in rows]


def _machine(settings: Settings, sessions) -> MachineTranslate | None:
    try:
        from relay.delivery.translation_hooks import machine_translator
    except ImportError:  # translation is optional in a small install
        return None
    try:
        return machine_translator(settings, sessions)
    except Exception:  # no engine installed: reports still go to volunteers
        log.exception("no machine translation for reports")
        return None


def build(settings: Settings) -> ReportService | None:
    return ReportService(settings) if settings.reports.enabled else None
