"""`relay crisis | webinar | cap`: the coordinator's console for alerts/ (Typer sub-apps registered by
relay/app/cli.py). The console is the operator's: it acts with the coordinator tier, recorded as `--by`.
Bad input raises UsageError (exit code 2) with what was wrong."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from alerts import cap, crisis, timeline, webinar_jobs, webinars
from alerts.cap_parse import CapError, parse
from alerts.config import alerts_settings
from alerts.crisis import CrisisError
from alerts.models import Crisis, WebinarSeries
from alerts.sending import Sender
from alerts.webinars import WebinarError
from relay import UsageError, console, context, errors
from relay import PermissionDenied

CONSOLE_TIER = "coordinator"

crisis_app = typer.Typer(help="The crisis activation protocol: deadlines, reminders, escalation, timeline.",
                         no_args_is_help=True)
webinar_app = typer.Typer(help="Webinar series: notices, reminders, RSVPs, corrections.", no_args_is_help=True)
cap_app = typer.Typer(help="CAP 1.2 alerts in and out.", no_args_is_help=True)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _emit(document: bytes, out: Path | None) -> None:
    """A document (an .ics, a CAP alert) to `--out` when given, else to stdout as it is."""
    if out is not None:
        out.write_bytes(document)
        console.print(f"wrote {out}")
    else:
        typer.echo(document.decode("utf-8"), nl=False)


def _setup(ctx: typer.Context):
    import alerts.commands  # noqa: F401  (the reply catalogue)

    cli = context(ctx)
    return cli, alerts_settings(cli.settings), cli.database()


class _Guard:
    """Our errors become usage errors (exit code 2) with their message."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, (CrisisError, WebinarError, CapError, PermissionDenied)):
            raise UsageError(str(exc)) from None
        return False


@crisis_app.command("activate")
def crisis_activate(
    ctx: typer.Context,
    title: str = typer.Option(..., help="What happened, e.g. 'Flooding in the north'."),
    region: str = typer.Option(..., help="The region (as subscribers' regions are named)."),
    severity: str = typer.Option("Severe", help="CAP severity: Extreme, Severe, Moderate, Minor, Unknown."),
    by: str = typer.Option("cli", "--by", help="Who activates (recorded in the timeline)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Activate a crisis: three milestones with deadlines, reminders and escalation to the contacts."""
    cli, cfg, database = _setup(ctx)
    with _Guard(), database.sessions.begin() as session:
        item = crisis.activate(session, cfg, title=title, region=region, severity=severity, actor=by,
                               tier=CONSOLE_TIER, now=_now())
        due = {m.key: m.due_at.isoformat(timespec="minutes") for m in item.milestones}
        crisis_id = item.id
    if not cfg.crisis.contacts.get("party") and not cfg.crisis.milestone_contacts:
        errors.print("warning: [alerts.crisis] contacts names no party-level contact: nobody will be reminded "
                     "before the deadlines (see config/relay.example.toml)")
    if as_json:
        typer.echo(json.dumps({"id": crisis_id, "deadlines": due}))
        return
    console.print(f"crisis {crisis_id} activated; deadlines (UTC): " + ", ".join(f"{k} {v}" for k, v in due.items()))


@crisis_app.command("done")
def crisis_done(ctx: typer.Context, crisis_id: int, milestone: str,
                by: str = typer.Option("cli", "--by")) -> None:
    """Mark a milestone done (response, assessment, action_plan): its reminders and escalations stop."""
    cli, cfg, database = _setup(ctx)
    with _Guard(), database.sessions.begin() as session:
        found = crisis.done(session, crisis_id, milestone, actor=by, tier=CONSOLE_TIER, now=_now())
        late = found.done_at > found.due_at
    console.print(f"crisis {crisis_id}: {found.key} done" + (" (after its deadline)" if late else " (on time)"))


@crisis_app.command("note")
def crisis_note(ctx: typer.Context, crisis_id: int, text: str, by: str = typer.Option("cli", "--by")) -> None:
    """Add a decision or an outcome to the crisis's timeline."""
    cli, cfg, database = _setup(ctx)
    with _Guard(), database.sessions.begin() as session:
        crisis.note(session, crisis_id, text, actor=by, tier=CONSOLE_TIER, now=_now())
    console.print(f"crisis {crisis_id}: note added")


@crisis_app.command("close")
def crisis_close(ctx: typer.Context, crisis_id: int, by: str = typer.Option("cli", "--by")) -> None:
    """Close a crisis: its reminders and escalations stop; its timeline stays."""
    cli, cfg, database = _setup(ctx)
    with _Guard(), database.sessions.begin() as session:
        crisis.close(session, crisis_id, actor=by, tier=CONSOLE_TIER, now=_now())
    console.print(f"crisis {crisis_id} closed")


@crisis_app.command("list")
def crisis_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Crises and the state of their milestones."""
    cli, cfg, database = _setup(ctx)
    with database.sessions() as session:
        rows = []
        for item in session.query(Crisis).order_by(Crisis.id):
            rows.append({"id": item.id, "title": item.title, "region": item.region, "status": item.status,
                         "milestones": {m.key: ("done" if m.done_at else m.due_at.isoformat(timespec="minutes"))
                                        for m in item.milestones}})
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("id", "title", "region", "status", "response", "assessment", "action_plan")
    for row in rows:
        table.add_row(str(row["id"]), row["title"], row["region"], row["status"],
                      *[row["milestones"].get(k, "") for k in ("response", "assessment", "action_plan")])
    console.print(table)


@crisis_app.command("timeline")
def crisis_timeline(
    ctx: typer.Context,
    crisis_id: int,
    export: Optional[str] = typer.Option(None, "--export", help="md or json: the after-action record."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the export here instead of stdout."),
) -> None:
    """Every decision and outcome of a crisis, hash-chained; --export md|json writes the record."""
    cli, cfg, database = _setup(ctx)
    if export not in (None, "md", "json"):
        raise UsageError(f"--export {export!r}: give md or json")
    with _Guard(), database.sessions() as session:
        item = crisis.get(session, crisis_id)
        records = timeline.as_records(timeline.entries(session, crisis_id))
        check = timeline.verify(records)
        if export is None:
            table = Table("#", "time (UTC)", "event", "by", "what", title=f"crisis {crisis_id}: {item.title}")
            for r in records:
                table.add_row(str(r["seq"]), r["at"][:19].replace("T", " "), r["kind"], r["actor"], r["text"])
            console.print(table)
            console.print("chain verified" if check.ok else f"[bold red]chain broken: {check.problem}")
            return
        text = timeline.export_json(item, records) if export == "json" else timeline.export_markdown(item, records)
    if not check.ok:
        raise UsageError(f"the stored timeline of crisis {crisis_id} fails verification: {check.problem}")
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out} ({len(records)} entries)")
    else:
        typer.echo(text)


@crisis_app.command("verify")
def crisis_verify(ctx: typer.Context, file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Check an exported JSON timeline: exit 0 if intact, 2 naming the first altered entry."""
    result = timeline.verify_export(file.read_text(encoding="utf-8"))
    if not result.ok:
        raise UsageError(f"{file}: verification failed: {result.problem}")
    console.print(f"{file}: {result.entries} entries, chain intact")


def _local(value: str, option: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r}: give local wall-clock time such as 2026-03-19T18:00") from None
    if parsed.tzinfo is not None:
        raise UsageError(f"{option} {value!r}: give local time without an offset; the zone is --tz")
    return parsed


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


@webinar_app.command("add")
def webinar_add(
    ctx: typer.Context,
    topic: str = typer.Option(..., help="What the webinar is about."),
    rrule: str = typer.Option(..., help="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=TH;COUNT=10."),
    start: str = typer.Option(..., help="First session, local wall-clock time: 2026-03-19T18:00."),
    tz: str = typer.Option(..., "--tz", help="The organiser's IANA time zone, e.g. Europe/Paris."),
    link: str = typer.Option(..., help="The join link (never translated)."),
    duration: int = typer.Option(60, help="Minutes."),
    region: str = typer.Option("", help="';'-separated audience regions."),
    audience_topic: str = typer.Option("", "--audience-topic", help="';'-separated audience topics."),
    by: str = typer.Option("cli", "--by"),
) -> None:
    """Add a webinar series; its sessions get a notice and reminders in each person's language and zone."""
    cli, cfg, database = _setup(ctx)
    audience = {k: v for k, v in (("regions", _split(region)), ("topics", _split(audience_topic))) if v}
    with _Guard(), database.sessions.begin() as session:
        series = webinars.add_series(session, cfg, topic=topic, rrule=rrule, first_start=_local(start, "--start"),
                                     zone=tz, link=link, actor=by, now=_now(), duration_minutes=duration,
                                     audience=audience)
        count = len(webinars.upcoming(session, _now(), series.id))
        series_id = series.id
    console.print(f"webinar series {series_id} added: {count} session(s) in the next {cfg.webinars.horizon_days} days"
                  + ("" if count else " (later ones are laid out as they come within that horizon)"))


@webinar_app.command("list")
def webinar_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Upcoming sessions with their RSVP counts."""
    cli, cfg, database = _setup(ctx)
    rows = []
    with database.sessions() as session:
        for item in webinars.upcoming(session, _now()):
            series = session.get(WebinarSeries, item.series_id)
            rows.append({"session": item.id, "series": series.id, "topic": series.topic,
                         "starts_at": item.starts_at.isoformat(timespec="minutes"),
                         "local": item.starts_at.astimezone(ZoneInfo(series.timezone)).replace(tzinfo=None)
                         .isoformat(timespec="minutes"),  # where it is now (a moved session has moved)
                         "timezone": series.timezone, "status": item.status,
                         **webinars.rsvp_counts(session, item.id)})
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("session", "series", "topic", "starts (UTC)", "status", "yes", "no")
    for r in rows:
        table.add_row(str(r["session"]), str(r["series"]), r["topic"], r["starts_at"], r["status"], str(r["yes"]),
                      str(r["no"]))
    console.print(table)


@webinar_app.command("cancel")
def webinar_cancel(ctx: typer.Context, session_id: int, by: str = typer.Option("cli", "--by")) -> None:
    """Cancel one session: a correction to exactly those who were told about it."""
    cli, cfg, database = _setup(ctx)
    sender = Sender(cli.settings, database.sessions)
    with _Guard(), database.sessions.begin() as session:
        made, count, stopped = webinar_jobs.cancel(sender, session, session_id, actor=by, now=_now())
    console.print(f"session {session_id} cancelled: correction to {count} recipient(s); {stopped} unsent message(s) stopped")


@webinar_app.command("move")
def webinar_move(ctx: typer.Context, session_id: int,
                 to: str = typer.Option(..., "--to", help="New local start: 2026-03-19T19:30."),
                 by: str = typer.Option("cli", "--by")) -> None:
    """Move one session: a correction with the new time to exactly those who were told about it."""
    cli, cfg, database = _setup(ctx)
    sender = Sender(cli.settings, database.sessions)
    with _Guard(), database.sessions.begin() as session:
        made, count, stopped = webinar_jobs.move(sender, session, session_id, _local(to, "--to"), actor=by, now=_now())
    console.print(f"session {session_id} moved: correction to {count} recipient(s)")


@webinar_app.command("ics")
def webinar_ics(ctx: typer.Context, session_id: int,
                out: Optional[Path] = typer.Option(None, "--out", help="Write here instead of stdout.")) -> None:
    """One session as an iCalendar (.ics) event, to attach or publish."""
    from urllib.parse import urlparse

    from alerts.ics import session_calendar

    cli, cfg, database = _setup(ctx)
    with _Guard(), database.sessions() as session:
        item = webinars.get_session(session, session_id)
        series = session.get(WebinarSeries, item.series_id)
        data = session_calendar(series, item, now=_now(), domain=urlparse(cli.settings.public_url).hostname or "relay")
    _emit(data, out)


@cap_app.command("import")
def cap_import(ctx: typer.Context, file: Path = typer.Argument(..., exists=True, dir_okay=False),
               by: str = typer.Option("cap", "--by"), as_json: bool = typer.Option(False, "--json")) -> None:
    """Import a CAP 1.2 alert: an Alert is broadcast; an Update or Cancel acts on what it references."""
    cli, cfg, database = _setup(ctx)
    sender = Sender(cli.settings, database.sessions)
    with _Guard():
        document = parse(file.read_bytes(), max_bytes=cfg.cap.max_bytes)
        with database.sessions.begin() as session:
            result = cap.import_alert(sender, session, document, default_language=cli.settings.default_language,
                                      actor=by)
    if as_json:
        typer.echo(json.dumps({"action": result.action, "id": result.broadcast_id, "deliveries": result.deliveries,
                               "stopped": result.stopped}))
        return
    if result.deliveries == 0:
        errors.print("warning: no subscriber is in the alert's area on a configured channel; nothing will be sent")
    console.print(f"CAP {document.msg_type} {document.identifier}: broadcast {result.broadcast_id} queued, "
                  f"{result.deliveries} deliveries" + (f", {result.stopped} unsent stopped" if result.stopped else ""))


@cap_app.command("export")
def cap_export(ctx: typer.Context, broadcast_id: int,
               out: Optional[Path] = typer.Option(None, "--out", help="Write here instead of stdout.")) -> None:
    """Any broadcast as a CAP 1.2 alert, one <info> per language."""
    cli, cfg, database = _setup(ctx)
    with _Guard(), database.sessions() as session:
        document = cap.export(session, broadcast_id, cap_sender=cfg.cap.sender)
    _emit(document, out)


@cap_app.command("watch")
def cap_watch(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="An Atom or RSS feed of CAP alerts (http or https)."),
    every: str = typer.Option("60s", help="How often to look: 30s, 5m..."),
    once: bool = typer.Option(False, help="Look once and exit."),
    by: str = typer.Option("cap-watch", "--by"),
) -> None:
    """Poll a feed of CAP alerts and import each new one (Update and Cancel act on what they name)."""
    import time

    from alerts.cap_feed import poll
    from alerts.config import parse_duration

    cli, cfg, database = _setup(ctx)
    try:
        seconds = parse_duration(every).total_seconds()
    except ValueError as exc:
        raise UsageError(f"--every: {exc}") from None
    if seconds < 5:
        raise UsageError("--every: at least 5s (be kind to the publisher)")
    sender = Sender(cli.settings, database.sessions)
    while True:
        with _Guard():
            result = poll(sender, url, max_bytes=cfg.cap.max_bytes, default_language=cli.settings.default_language,
                          actor=by)
        for where, broadcast_id in result.imported:
            console.print(f"imported {where}: broadcast {broadcast_id}")
        for where, why in result.rejected:
            errors.print(f"rejected {where}: {why}", highlight=False)
        console.print(f"{len(result.imported)} imported, {len(result.skipped)} already known, "
                      f"{len(result.rejected)} rejected")
        if once:
            return
        time.sleep(seconds)
