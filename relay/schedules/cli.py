"""`relay broadcast schedule | scheduled | reschedule | unschedule`, added to the broadcast CLI
(relay/broadcasts) through the Feature's `cli_extends`, so neither feature imports the other."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Optional

import typer
from rich.table import Table

from relay.core.channels import planned_senders
from relay.core.cli_options import HumanTexts, Language, Regions, Severity, Tiers, Topics
from relay.core.cli_context import UsageError, console, context, errors, language_texts
from relay.core.cli_identity import authorize, broadcast_action
from relay.delivery.outbox import Audience, BroadcastRequest
from relay.schedules import schedule as schedules
from relay.schedules.schedule import ScheduleError

EXAMPLE = "Taller a las 9"  # what `--text es=...` shows in its error message


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


def _now() -> datetime:
    return datetime.now(timezone.utc)


def schedule_cmd(
    ctx: typer.Context,
    body: str = typer.Argument(..., help="The message, in the source language."),
    at: Optional[str] = typer.Option(None, "--at", help="A fixed moment, ISO 8601 with offset: 2026-12-05T09:00-05:00."),
    local: Optional[str] = typer.Option(None, "--local", help="A wall-clock time read in each recipient's own "
                                        "time zone: 2026-12-05T09:00 (09:00 wherever they are)."),
    kind: str = typer.Option("notice", help="webinar or notice (or a crisis below Severe)."),
    language: Language = None,
    severity: Severity = "Unknown",
    region: Regions = "",
    topic: Topics = "",
    tier: Tiers = "",
    text: HumanTexts = [],
    as_json: bool = typer.Option(False, "--json", help="Print the schedule as JSON."),
) -> None:
    """Schedule a broadcast for a moment, or for a local time in each recipient's time zone."""
    cli = context(ctx)
    settings = cli.settings
    operator = authorize(cli, lambda who: broadcast_action(who, _split(region), _split(topic)))
    request = BroadcastRequest(kind=kind, body=body, source_language=language or settings.default_language,
                               sender=operator.actor, severity=severity,
                               audience=Audience(regions=_split(region), topics=_split(topic), tiers=_split(tier)),
                               human_texts=language_texts(text, EXAMPLE))
    channels = sorted(planned_senders(settings))
    with cli.database().sessions.begin() as session:
        try:
            made = schedules.create(session, request, at=at, local=local, actor=operator.actor, now=_now())
        except ScheduleError as exc:
            raise UsageError(str(exc)) from None
        listed = schedules.Listed(made, {z: schedules.due_in(made, z).isoformat()
                                         for z in schedules.zones_owed(session, made, channels)}, {})
    late = [z for z, due in listed.zones.items() if datetime.fromisoformat(due) <= _now()]
    if as_json:
        typer.echo(json.dumps(schedules.as_json(listed)))
    else:
        when = made.send_at.isoformat() if made.send_at else f"{made.local_time} in each recipient's time zone"
        console.print(f"scheduled broadcast {made.id}: {when}; {len(listed.zones)} time zone(s) in its audience")
    if late:
        errors.print(f"warning: {made.local_time} has already passed in {', '.join(late)}; those recipients get it "
                     "at the next pass (or it is recorded missed beyond [schedules] grace_minutes)")


def scheduled_cmd(ctx: typer.Context, everything: bool = typer.Option(False, "--all", help="Sent and cancelled too."),
                  as_json: bool = typer.Option(False, "--json")) -> None:
    """The scheduled broadcasts: when each goes, per time zone, and what has gone."""
    cli = context(ctx)
    authorize(cli, "broadcast.view", "schedules")
    with cli.database().sessions() as session:
        items = schedules.listing(session, sorted(planned_senders(cli.settings)), everything=everything)
    if as_json:
        typer.echo(json.dumps([schedules.as_json(i) for i in items]))
        return
    table = Table("id", "kind", "status", "when", "next due (UTC)", "zones left", "zones sent", "body",
                  title="scheduled broadcasts")
    for item in items:
        s = item.schedule
        when = s.send_at.isoformat() if s.send_at else f"{s.local_time} local"
        upcoming = min(item.zones.values()) if item.zones else ""
        table.add_row(str(s.id), s.kind, s.status, when, upcoming, str(len(item.zones)), str(len(item.sent)),
                      s.body[:40])
    console.print(table)


def reschedule_cmd(
    ctx: typer.Context, schedule_id: int,
    at: Optional[str] = typer.Option(None, "--at", help="A new fixed moment (ISO 8601 with offset)."),
    local: Optional[str] = typer.Option(None, "--local", help="A new local time in each recipient's zone."),
    body: Optional[str] = typer.Option(None, "--body", help="A new message."),
    text: list[str] = typer.Option([], "--text", help="Replace a language's human text: es=\"...\"."),
) -> None:
    """Change the time, the message or a human text of a scheduled broadcast before it goes."""
    cli = context(ctx)
    operator = authorize(cli, "broadcast.cancel", f"schedule:{schedule_id}")
    with cli.database().sessions.begin() as session:
        try:
            made = schedules.reschedule(session, schedule_id, at=at, local=local, body=body,
                                        human_texts=language_texts(text, EXAMPLE), actor=operator.actor, now=_now())
        except ScheduleError as exc:
            raise UsageError(str(exc)) from None
        when = made.send_at.isoformat() if made.send_at else f"{made.local_time} in each recipient's time zone"
    console.print(f"scheduled broadcast {schedule_id}: {when}")


def unschedule_cmd(ctx: typer.Context, schedule_id: int) -> None:
    """Cancel a scheduled broadcast (the time zones it has not yet gone to)."""
    cli = context(ctx)
    operator = authorize(cli, "broadcast.cancel", f"schedule:{schedule_id}")
    with cli.database().sessions.begin() as session:
        try:
            gone = schedules.cancel(session, schedule_id, actor=operator.actor, now=_now())
        except ScheduleError as exc:
            raise UsageError(str(exc)) from None
    extra = f" (it had already gone to {gone} time zone(s))" if gone else ""
    console.print(f"scheduled broadcast {schedule_id} cancelled{extra}")


def register(app: typer.Typer) -> None:
    app.command("schedule")(schedule_cmd)
    app.command("scheduled")(scheduled_cmd)
    app.command("reschedule")(reschedule_cmd)
    app.command("unschedule")(unschedule_cmd)
