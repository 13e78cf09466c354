"""`relay broadcast send | status | cancel`."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from relay.core import hooks
from relay.core.db import required
from relay.delivery import deliveries, outbox, reach
from relay.core.channels import planned_senders
from relay.core.cli_options import Expires, HumanTexts, Language, Regions, Severity, Tiers, Topics
from relay.core.cli_context import UsageError, console, context, errors, language_texts
from relay.core.models import Broadcast, BroadcastText
from relay.delivery.outbox import Audience, BroadcastError, BroadcastRequest
from relay.delivery import approvals
from relay.networks import cli as cli_network, polls
from relay.core import scope
from relay.core.cli_identity import authorize, broadcast_action, hide, scope_of
from relay.geo import cli as cli_geo
from relay.delivery.translation_hooks import approval_policy, machine_translator, untranslated_note

app = typer.Typer(help="Send broadcasts and follow their delivery.", no_args_is_help=True)

DURATION = re.compile(r"^(\d+)([mhd])$")


def parse_expiry(value: str | None) -> datetime | None:
    if not value:
        return None
    match = DURATION.match(value.strip())
    if match:
        amount, unit = int(match[1]), match[2]
        return datetime.now(timezone.utc) + timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--expires {value!r}: give a duration such as 30m, 6h, 2d or an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise UsageError(f"--expires {value!r}: an ISO time needs its UTC offset, e.g. 2026-11-24T18:00+00:00")
    return parsed


def split_list(value: str) -> tuple[str, ...]:
    """A ';'-separated option (--region, --topic, --tier) as its items; `relay templates send` takes the same."""
    return tuple(part.strip() for part in value.split(";") if part.strip())


@app.command("send")
def send(
    ctx: typer.Context,
    body: Optional[str] = typer.Argument(None, help="The message, in the source language."),
    body_file: Optional[Path] = typer.Option(None, "--body-file", exists=True, dir_okay=False),
    kind: str = typer.Option("notice", help="crisis, webinar or notice (crisis goes first)."),
    language: Language = None,
    severity: Severity = "Unknown",
    urgency: str = typer.Option("Unknown", help="CAP urgency: Immediate, Expected, Future, Past, Unknown."),
    certainty: str = typer.Option("Unknown", help="CAP certainty: Observed, Likely, Possible, Unlikely, Unknown."),
    region: Regions = "",
    topic: Topics = "",
    tier: Tiers = "",
    expires: Expires = None,
    text: HumanTexts = [],
    as_json: bool = typer.Option(False, "--json", help='Print {"id": ...} only.'),
    wait: bool = typer.Option(False, "--wait", help="Show progress until every delivery is final."),
    sender: str = typer.Option("cli", help="Who sends it (recorded in the audit log)."),
    poll_option: list[str] = typer.Option([], "--poll-option", help="Make it a poll: one answer per option, "
                                          "numbered in order (safe, help, yes, no are known in several "
                                          "languages; !word marks an answer whose people need help)."),
    poll_reask: Optional[float] = typer.Option(None, "--poll-reask", help="Ask non-responders once more after "
                                               "this many minutes (default: polls.reask_minutes)."),
    area_polygon: list[str] = typer.Option([], "--area-polygon", help="Only people inside this polygon: "
                                           "\"lat,lon lat,lon ...\", a closed ring as in CAP (repeatable)."),
    area_circle: list[str] = typer.Option([], "--area-circle", help="Only people inside this circle: "
                                          "\"lat,lon radius_km\" (repeatable)."),
    area_geocode: list[str] = typer.Option([], "--area-geocode", help="Only people with this geocode: "
                                           "NAME=VALUE, e.g. SAME=006113 (repeatable)."),
    area_file: Optional[Path] = typer.Option(None, "--area-file", exists=True, dir_okay=False,
                                             help="The areas of a CAP alert or a GeoJSON file."),
    no_location: Optional[str] = typer.Option(None, "--no-location", help="With an area: include or exclude "
                                              "the people who have no location (default: geo.no_location)."),
) -> None:
    """Queue a broadcast; prints its id once every delivery is committed to the outbox."""
    cli = context(ctx)
    settings = cli.settings
    operator = authorize(cli, lambda who: broadcast_action(who, split_list(region), split_list(topic)))
    if sender == "cli":
        sender = operator.actor
    if (body is None) == (body_file is None):
        raise UsageError("give the message either as an argument or with --body-file, not both")
    message = body if body is not None else body_file.read_text(encoding="utf-8")
    area = cli_geo.area_from_options(settings, area_polygon, area_circle, area_geocode, area_file, no_location)
    request = BroadcastRequest(
        kind=kind, body=message, source_language=language or settings.default_language, sender=sender,
        severity=severity, urgency=urgency, certainty=certainty,
        audience=Audience(regions=split_list(region), topics=split_list(topic), tiers=split_list(tier)),
        expires_at=parse_expiry(expires), human_texts=language_texts(text, "Evacue ahora"),
        extras={**poll_extras(settings, poll_option, poll_reask), **cli_geo.extras_for(area)},
    )
    database = cli.database()
    try:
        planned = outbox.plan_broadcast(
            database.sessions, request, senders=planned_senders(settings),
            machine=machine_translator(settings, database.sessions), note=untranslated_note,
            approval=approval_policy(settings), actor=sender, stamp=hooks.stamper(settings),
        )
    except BroadcastError as exc:
        raise UsageError(str(exc)) from None
    if planned.deliveries == 0:
        errors.print("warning: no subscriber matches this audience on a configured channel; nothing will be sent")
    if as_json:
        typer.echo(json.dumps({"id": planned.id, "deliveries": planned.deliveries}))
    else:
        console.print(f"broadcast {planned.id} queued: {planned.deliveries} deliveries in "
                      f"{len(planned.languages)} language(s)")
    if area is not None and not as_json:
        cli_geo.print_planned(database, planned.id)
    for language in planned.pending_approval:
        errors.print(f"the {language} machine translation waits for approval: relay broadcast approve "
                     f"{planned.id} --lang {language} [--text ...]")
    if wait:
        follow(cli, planned.id)


def follow(cli, broadcast_id: int, poll_seconds: float = 0.5) -> reach.BroadcastReport:
    """A progress bar until every delivery of the broadcast is final."""
    sessions = cli.database().sessions
    with sessions() as session:
        current = reach.report(session, broadcast_id)
    with Progress(TextColumn("[bold]broadcast {task.fields[id]}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=errors) as progress:
        task = progress.add_task("", total=current.total, id=broadcast_id, detail="")
        while True:
            with sessions() as session:
                current = reach.report(session, broadcast_id)
            detail = " ".join(f"{k}={v}" for k, v in sorted(current.by_status.items()))
            progress.update(task, completed=current.final, detail=detail)
            if current.done:
                return current
            time.sleep(poll_seconds)


def print_report(report: reach.BroadcastReport) -> None:
    statuses = sorted(report.by_status)
    table = Table("channel", *statuses, title=f"broadcast {report.broadcast_id}: {report.total} deliveries")
    for channel, counts in sorted(report.by_channel.items()):
        table.add_row(channel, *[str(counts.get(s, 0)) for s in statuses])
    table.add_section()
    for language, counts in sorted(report.by_language.items()):
        table.add_row(f"lang {language}", *[str(counts.get(s, 0)) for s in statuses])
    console.print(table)


def poll_extras(settings, options: list[str], reask: float | None) -> dict:
    if not options:
        if reask is not None:
            raise UsageError("--poll-reask needs --poll-option answers")
        return {}
    try:
        parsed = polls.parse_options(options)
    except polls.PollError as exc:
        raise UsageError(str(exc)) from None
    if reask is not None and reask <= 0:
        raise UsageError("--poll-reask: give a positive number of minutes")
    return {"poll": {"options": parsed, "open_hours": settings.polls.open_hours,
                     "reask_minutes": reask if reask is not None else settings.polls.reask_minutes}}


@app.command("status")
def status(ctx: typer.Context, broadcast_id: int, as_json: bool = typer.Option(False, "--json"),
           tree: bool = typer.Option(False, "--tree", help="The relay network: who acknowledged, who is "
                                     "pending, who was escalated, with times.")) -> None:
    """Delivery counts by status, channel and language, and who has not been reached."""
    if tree:  # relay nodes with their people's names, as the API's /api/relays shows them
        authorize(context(ctx), "relays.view", f"broadcast:{broadcast_id}")
        cli_network.print_tree(context(ctx), broadcast_id, as_json=as_json)
        return
    cli = context(ctx)
    mine = scope_of(authorize(cli, "broadcast.view", f"broadcast:{broadcast_id}"))
    hidden = False
    with cli.database().sessions() as session:
        broadcast = required(session.get(Broadcast, broadcast_id), UsageError(f"no broadcast {broadcast_id}"))
        hidden = not mine.sees(scope.broadcast_place(session, broadcast))
        report = reach.report(session, broadcast_id)
        missing = reach.unreached(session, broadcast_id)
    if hidden:
        raise hide(cli, mine, f"broadcast:{broadcast_id}", f"no broadcast {broadcast_id}")
    if not mine.personal_data:  # addresses and providers' errors (which may quote one) are personal data
        missing = [(channel, "(hidden)", state, None) for channel, _, state, _ in missing]
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    print_report(report)
    failed = [m for m in missing if m[2] in ("failed", "cancelled", "expired")]
    if failed:
        table = Table("channel", "address", "status", "reason", title="not reached")
        for row in failed:
            table.add_row(*[str(v or "") for v in row])
        console.print(table)
    if mine.personal_data:  # who was carried over to which channel: names
        cli_network.print_failovers(cli, broadcast_id)


@app.command("cancel")
def cancel(ctx: typer.Context, broadcast_id: int) -> None:
    """Stop every delivery of a broadcast that has not been sent yet."""
    operator = authorize(context(ctx), "broadcast.cancel", f"broadcast:{broadcast_id}")
    with context(ctx).database().sessions.begin() as session:
        broadcast = required(session.get(Broadcast, broadcast_id), UsageError(f"no broadcast {broadcast_id}"))
        count = deliveries.cancel(session, broadcast, actor=operator.actor)
    console.print(f"broadcast {broadcast_id} cancelled: {count} queued deliveries stopped")


def gate_summary(text: BroadcastText) -> str:
    """The quality gate's verdict with the failed checks and their values ("fail: length 0.41")."""
    if text.gate_verdict is None:
        return ""
    failed = [c for c in (text.gate_checks or {}).get("checks", []) if c.get("status") == "failed"]
    if not failed:
        return text.gate_verdict
    return "fail: " + ", ".join(f"{c['name']} {c['value']:g}" if c.get("value") is not None else c["name"]
                                for c in failed)


@app.command("texts")
def texts(ctx: typer.Context, broadcast_id: int) -> None:
    """Each language's text, where it came from, and whether it waits for approval."""
    cli = context(ctx)
    mine = scope_of(authorize(cli, "broadcast.view", f"broadcast:{broadcast_id}"))
    with cli.database().sessions() as session:
        broadcast = required(session.get(Broadcast, broadcast_id), UsageError(f"no broadcast {broadcast_id}"))
        if not mine.sees(scope.broadcast_place(session, broadcast)):
            session.close()
            raise hide(cli, mine, f"broadcast:{broadcast_id}", f"no broadcast {broadcast_id}")
        table = Table("lang", "origin", "engine", "status", "gate", "text", title=f"broadcast {broadcast_id}")
        for text in sorted(broadcast.texts, key=lambda t: t.language):
            shown = text.draft if text.status == "pending_approval" and text.draft else text.text
            table.add_row(text.language, text.origin, text.engine or "", text.status, gate_summary(text), shown)
    console.print(table)


@app.command("approve")
def approve(
    ctx: typer.Context,
    broadcast_id: int,
    language: str = typer.Option(..., "--lang", help="The language whose text you approve."),
    text: Optional[str] = typer.Option(None, "--text", help="Your text instead of the machine's."),
    by: str = typer.Option("cli", "--by", help="Who approves (recorded in the audit log)."),
) -> None:
    """Approve (or replace) a machine translation that waits for a person."""
    operator = authorize(context(ctx), "translation.approve", f"broadcast:{broadcast_id}")
    by = operator.actor if by == "cli" else by
    with context(ctx).database().sessions.begin() as session:
        try:
            result = approvals.approve(session, broadcast_id, language, text=text, actor=by)
        except BroadcastError as exc:
            raise UsageError(str(exc)) from None
    if result.follow_up is not None:
        console.print(f"approved; the {language} text follows as broadcast {result.follow_up} to "
                      f"{result.follow_up_deliveries} recipients who got the original")
    else:
        console.print(f"approved; {result.released} held deliveries released")


