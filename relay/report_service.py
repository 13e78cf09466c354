"""Moving citizen reports along after intake: translate (memory, machine, or volunteers), route, move
on to the next translators when one does not answer, escalate unclaimed urgent reports.

`step(session, settings, now, machine)` does one pass over the reports that are due; it takes the time
as an argument so tests can drive the clock. `ReportService` runs it in `relay run` every
`reports.check_seconds` (one "module:function" line in relay/assembly.py). Due reports are taken with
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

from relay import audit
from relay.config import Settings
from relay.outbox import MachineTranslate
from relay.report_models import Report, ReportStatus
from relay.report_routing import escalate, route
from relay.translators import next_round, remembered

if TYPE_CHECKING:
    from relay.program import Program

log = logging.getLogger("relay.report_service")
BATCH = 200


def _translate_or_offer(session: Session, settings: Settings, report: Report, now: datetime,
                        machine: MachineTranslate | None) -> str:
    pivot = settings.reports.pivot_language
    if report.language == pivot:
        report.english, report.english_origin = report.text, "original"
        route(session, settings, report, now)
        return "routed"
    memory = remembered(session, report, pivot)
    if memory is not None:
        report.english, report.english_origin, report.translated_by = memory, "human", "translation memory"
        route(session, settings, report, now)
        return "routed"
    draft = machine(report.text, report.language, pivot) if machine and report.language else None
    if draft is not None and report.language not in settings.reports.review_languages:
        report.english, report.english_origin, report.translated_by = draft[0], "machine", draft[1]
        route(session, settings, report, now)
        return "routed"
    if next_round(session, settings, report, now, draft[0] if draft else None):
        return "offered"
    return _without_translator(session, settings, report, now, draft)


def _without_translator(session: Session, settings: Settings, report: Report, now: datetime,
                        draft: tuple[str, str] | None) -> str:
    """Nobody (or nobody more) to ask: route with the machine draft, else untranslated. Help must not wait
    for a translator who is not there; a late translation still reaches the rooms."""
    if draft is not None:
        report.english, report.english_origin, report.translated_by = draft[0], "machine", draft[1]
    audit.record(session, "reports", "report.no_translator", f"report:{report.reference}", language=report.language)
    route(session, settings, report, now)
    return "routed_untranslated" if draft is None else "routed"


def step(session: Session, settings: Settings, now: datetime | None = None,
         machine: MachineTranslate | None = None) -> Counter:
    """One pass over due reports; returns what happened, by outcome."""
    now = now or datetime.now(timezone.utc)
    due = session.scalars(
        select(Report)
        .where(Report.status.in_([ReportStatus.received.value, ReportStatus.translating.value,
                                  ReportStatus.routed.value]), Report.due_at <= now)
        .order_by(Report.due_at, Report.id).limit(BATCH).with_for_update(skip_locked=True)
    )
    outcomes: Counter = Counter()
    for report in list(due):
        if report.status == ReportStatus.received.value:
            outcomes[_translate_or_offer(session, settings, report, now, machine)] += 1
        elif report.status == ReportStatus.translating.value:
            if next_round(session, settings, report, now):
                outcomes["offered_again"] += 1
            else:
                outcomes[_without_translator(session, settings, report, now, None)] += 1
        elif report.urgent:
            escalate(session, settings, report, now)
            outcomes["escalated"] += 1
        else:
            report.due_at = None
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
                    outcomes = await database.run(step, settings, None, machine)
                    if outcomes:
                        log.info("reports: %s", dict(outcomes))
                        if program.dispatcher is not None:
                            program.dispatcher.wake()
                except Exception:  # a database hiccup must not stop report handling for good
                    log.exception("report step failed; trying again")
                await asyncio.sleep(settings.reports.check_seconds)

        self._task = asyncio.get_running_loop().create_task(loop(), name="reports")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _machine(settings: Settings, sessions) -> MachineTranslate | None:
    try:
        from relay.translation_hooks import machine_translator
    except ImportError:  # translation is optional in a small install
        return None
    try:
        return machine_translator(settings, sessions)
    except Exception:  # no engine installed: reports still go to volunteers
        log.exception("no machine translation for reports")
        return None


def build(settings: Settings) -> ReportService | None:
    return ReportService(settings) if settings.reports.enabled else None
