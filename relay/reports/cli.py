"""`relay translators add | list | remove` and `relay reports list | show | export`.

Report texts are shown masked (relay/reports/privacy.py) unless `--reveal` is given, and every reveal is
written to the audit log with the operator's name, so "who saw what" covers the command line too.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from sqlalchemy import select

from relay.core import audit, csv_safe, scope, subscribers
from relay.core.cli_options import MatrixUser, Phone, TelegramChat
from relay.core.cli_context import UsageError, console, context, errors
from relay.core.cli_identity import Refused, authorize, hide, scope_of
from relay.core.db import required
from relay.core.models import Endpoint
from relay.core.permissions import PermissionDenied
from relay.reports.models import Report, Translator
from relay.reports.privacy import mask, shown
from relay.core.subscribers import SubscriberError
from relay.reports.translators import TranslatorError, register, translator_rows

translators_app = typer.Typer(help="Volunteer translators of citizen reports.", no_args_is_help=True)
reports_app = typer.Typer(help="Citizen reports: requests for help sent by SMS or chat.", no_args_is_help=True)


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


def _endpoint(session, settings, telegram: str | None, matrix: str | None, phone: str | None):
    given = [(c, a) for c, a in (("telegram", telegram), ("matrix", matrix), ("sms", phone)) if a]
    if len(given) != 1:
        raise UsageError("give exactly one of --telegram, --matrix or --phone")
    channel, raw = given[0]
    try:
        address = subscribers.normalise_address(channel, raw, settings.default_region)
    except SubscriberError as exc:
        raise UsageError(str(exc)) from None
    endpoint = subscribers.find_endpoint(session, channel, address)
    if endpoint is None:
        raise UsageError(f"no subscriber has {channel} {address}; add them first (relay subscribers add)")
    return endpoint


@translators_app.command("add")
def add(
    ctx: typer.Context,
    languages: str = typer.Option(..., "--languages", "-l", help="Languages they translate from, e.g. ht,fr."),
    target: Optional[str] = typer.Option(None, help="Language they translate into (default: reports.pivot_language)."),
    telegram: TelegramChat = None,
    matrix: MatrixUser = None,
    phone: Phone = None,  # they answer with /tr by SMS
) -> None:
    """Register a subscriber (tier contributor or above) as a volunteer translator."""
    cli = context(ctx)
    settings = cli.settings
    sources = [code.strip().lower() for code in languages.split(",") if code.strip()]
    if not sources:
        raise UsageError("--languages needs at least one language code, e.g. ht")
    database = cli.database()
    with database.sessions() as session:
        endpoint = _endpoint(session, settings, telegram, matrix, phone)
        try:
            rows = register(session, endpoint, sources, (target or settings.reports.pivot_language).lower(),
                            actor=_operator(), languages=settings.languages)
        except PermissionDenied as exc:
            session.commit()  # the refusal is audited
            raise UsageError(str(exc)) from None
        except TranslatorError as exc:
            raise UsageError(str(exc)) from None
        session.commit()
        pairs = ", ".join(f"{r.source}->{r.target}" for r in rows)
    console.print(f"translator {endpoint.channel}:{endpoint.address} registered for {pairs}", highlight=False)


@translators_app.command("list")
def list_translators(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """List translators and their language pairs."""
    with context(ctx).database().sessions() as session:
        rows = [{"id": t.id, "endpoint": f"{e.channel}:{e.address}", "name": s.name, "tier": s.tier,
                 "pair": f"{t.source}->{t.target}", "available": t.available}
                for t, e, s in translator_rows(session)]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("id", "endpoint", "name", "tier", "pair", "available")
    for row in rows:
        table.add_row(str(row["id"]), row["endpoint"], row["name"] or "", row["tier"], row["pair"],
                      "yes" if row["available"] else "no")
    console.print(table)


@translators_app.command("remove")
def remove(ctx: typer.Context, translator_id: int = typer.Argument(..., help="The id `translators list` shows.")) -> None:
    """Stop offering reports to a translator (their past translations stay attributed)."""
    with context(ctx).database().sessions.begin() as session:
        row = required(session.get(Translator, translator_id), UsageError(f"no translator {translator_id}"))
        row.available = False
    console.print(f"translator {translator_id} will get no more reports")


def _as_dict(report: Report, reveal: bool) -> dict:
    return {
        "reference": report.reference, "status": report.status, "channel": report.channel,
        "sender": report.sender if reveal else "(hidden)", "language": report.language,
        "text": report.text if reveal else mask(report.text),
        "english": (report.english if reveal else mask(report.english)) if report.english else None,
        "english_origin": report.english_origin, "translated_by": report.translated_by,
        "categories": report.categories, "urgent": report.urgent, "rooms": report.rooms,
        "duplicate_of": report.duplicate_of, "claimed_by": report.claimed_by,
        "created_at": report.created_at.isoformat(), "resolved_at": report.resolved_at.isoformat()
        if report.resolved_at else None,
    }


def _audit_reveal(session, reports: list[Report], purpose: str, actor: str) -> None:
    for report in reports:
        shown(session, actor=actor, report_reference=report.reference, to=actor, what="original+contact",
              purpose=purpose)


def _reader(cli) -> tuple[str, scope.Scope]:
    """Who reads reports: the local operator (`cli:<login>`, every region), or the subscriber named with
    --as, who needs `report.handle` and sees the reports of their regions (relay/core/scope.py)."""
    operator = authorize(cli, "report.handle")
    return (_operator() if operator.subscriber_id is None else operator.actor), scope_of(operator)


def _scoped(query, seen_by: scope.Scope):
    return (query.outerjoin(Endpoint, Endpoint.id == Report.endpoint_id)
            .where(scope.sender_in_scope(seen_by, Endpoint.subscriber_id)))


def _place(session, report: Report) -> scope.Place:
    endpoint = session.get(Endpoint, report.endpoint_id) if report.endpoint_id is not None else None
    return scope.subscriber_place(session, endpoint.subscriber_id if endpoint is not None else None)


@reports_app.command("list")
def list_reports(ctx: typer.Context, status: Optional[str] = typer.Option(None), limit: int = typer.Option(50),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """The newest reports, masked."""
    cli = context(ctx)
    _, seen_by = _reader(cli)
    with cli.database().sessions() as session:
        query = _scoped(select(Report), seen_by).order_by(Report.id.desc()).limit(limit)
        if status:
            query = query.where(Report.status == status)
        rows = [_as_dict(r, False) for r in session.scalars(query)]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("ref", "status", "lang", "categories", "text")
    for row in rows:
        table.add_row(row["reference"], row["status"], row["language"] or "?", ",".join(row["categories"]),
                      (row["english"] or row["text"])[:70])
    console.print(table)


@reports_app.command("show")
def show(ctx: typer.Context, reference: str, reveal: bool = typer.Option(
        False, "--reveal", help="Show names, numbers and the sender (written to the audit log)."),
         purpose: str = typer.Option("operator", help="Why you reveal it (kept in the audit log).")) -> None:
    """One report, masked unless --reveal."""
    cli = context(ctx)
    actor, seen_by = _reader(cli)
    reference = reference.lstrip("#")
    with cli.database().sessions() as session:
        report = session.scalar(select(Report).where(Report.reference == reference))
        if report is None:
            raise UsageError(f"no report {reference}")
        place = _place(session, report)
    if not seen_by.sees(place):
        raise hide(cli, seen_by, f"report:{reference}", f"no report {reference}")
    if reveal and not seen_by.sees_contact(place):
        with cli.database().sessions.begin() as session:
            audit.record(session, actor, "permission.refused", f"report:{reference}", action="report.reveal",
                         tier=seen_by.tier, needed=["subscribers.view"])
        raise Refused(f"not allowed: revealing report {reference}, whose sender is of no region of yours, needs "
                      f"the tier coordinator; you are {seen_by.tier}")
    with cli.database().sessions.begin() as session:
        report = session.scalar(select(Report).where(Report.reference == reference))
        if reveal:
            _audit_reveal(session, [report], purpose, actor)
        row = _as_dict(report, reveal)
    typer.echo(json.dumps(row, ensure_ascii=False, indent=2))


@reports_app.command("export")
def export(ctx: typer.Context, output: Optional[Path] = typer.Option(None, "--output", "-o", help="CSV file (default stdout)."),
           reveal: bool = typer.Option(False, "--reveal", help="Include personal details (audited)."),
           purpose: str = typer.Option("export", help="Why (kept in the audit log).")) -> None:
    """Every report as CSV (for the after-action review), masked unless --reveal. With --as, the reports of
    one's regions; --reveal then reveals those whose sender is of one's regions and keeps the rest masked."""
    cli = context(ctx)
    actor, seen_by = _reader(cli)
    with cli.database().sessions.begin() as session:
        reports = list(session.scalars(_scoped(select(Report), seen_by).order_by(Report.id)))
        revealed = [r for r in reports if seen_by.sees_contact(_place(session, r))] if reveal else []
        if revealed:
            _audit_reveal(session, revealed, purpose, actor)
        opened = {r.id for r in revealed}
        rows = [_as_dict(r, r.id in opened) for r in reports]
    if reveal and len(revealed) < len(reports):
        errors.print(f"{len(reports) - len(revealed)} reports of no region of yours stay masked")
    handle = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        fields = list(rows[0]) if rows else ["reference"]
        writer = csv_safe.dict_writer(handle, fields)  # no cell runs as a formula in a spreadsheet
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (";".join(v) if isinstance(v, list) else v) for k, v in row.items()})
    finally:
        if output:
            handle.close()
    if output:
        console.print(f"wrote {len(rows)} reports to {output}")
