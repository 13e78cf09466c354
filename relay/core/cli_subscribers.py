"""`relay subscribers add | import | list | forget`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from relay.core import subscribers
from relay.core.cli_options import MatrixUser, Phone, TelegramChat
from relay.core.cli_context import UsageError, console, context
from relay.core.models import Subscriber
from relay.core.subscribers import SubscriberError

app = typer.Typer(help="Manage the people the relay reaches.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    language: str = typer.Option(..., "--language", "-l", help="ISO 639 code, e.g. en, es, ht."),
    phone: Phone = None,
    telegram: TelegramChat = None,
    matrix: MatrixUser = None,
    name: Optional[str] = typer.Option(None),
    timezone: Optional[str] = typer.Option(None, help="IANA time zone; default from config."),
    regions: str = typer.Option("", help="';'-separated regions."),
    topics: str = typer.Option("", help="';'-separated topics."),
    tier: str = typer.Option("observer", help="observer, contributor, partner, coordinator, moderator."),
) -> None:
    """Add (or update) one subscriber."""
    cli = context(ctx)
    settings = cli.settings
    row = {"language": language, "phone": phone or "", "telegram": telegram or "", "matrix": matrix or "",
           "name": name or "", "timezone": timezone or "", "regions": regions, "topics": topics, "tier": tier}
    try:
        data = subscribers.validate_row(row, default_region=settings.default_region,
                                        default_timezone=settings.default_timezone)
    except SubscriberError as exc:
        raise UsageError(str(exc)) from None
    with cli.database().sessions.begin() as session:
        subscriber, created = subscribers.upsert(session, data, actor="cli", source="cli",
                                                      words="relay subscribers add")
        console.print(f"{'added' if created else 'updated'} subscriber {subscriber.id}")


@app.command("import")
def import_(ctx: typer.Context, file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)) -> None:
    """Import a CSV file (name, phone, telegram, matrix, language, timezone, regions, topics, tier).

    Good rows are imported, bad rows reported by line number; importing the same file again changes nothing.
    """
    cli = context(ctx)
    settings = cli.settings
    with file.open(newline="", encoding="utf-8-sig") as handle, cli.database().sessions.begin() as session:
        try:
            report = subscribers.import_csv(session, handle, actor="cli", default_region=settings.default_region,
                                            default_timezone=settings.default_timezone)
        except SubscriberError as exc:
            raise UsageError(f"{file}: {exc}") from None
        except UnicodeDecodeError as exc:
            raise UsageError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    console.print(f"imported {report.created} new, {report.updated} updated, {len(report.errors)} rejected")
    for line, reason in report.errors:
        console.print(f"  line {line}: {reason}", style="yellow", highlight=False)
    if report.errors:
        raise typer.Exit(code=1 if not (report.created or report.updated) else 0)


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json"), limit: int = typer.Option(100)) -> None:
    """List subscribers and their endpoints."""
    with context(ctx).database().sessions() as session:
        people = subscribers.list_subscribers(session, limit=limit)
        rows = [
            {
                "id": p.id, "name": p.name, "language": p.language, "timezone": p.timezone, "tier": p.tier,
                "regions": [r.region for r in p.regions], "topics": [t.topic for t in p.topics],
                "endpoints": [{"channel": e.channel, "address": e.address, "opted_out": e.opted_out} for e in p.endpoints],
            }
            for p in people
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("id", "name", "lang", "tier", "regions", "endpoints")
    for row in rows:
        endpoints = ", ".join(f"{e['channel']}:{e['address']}" + (" (stopped)" if e["opted_out"] else "")
                              for e in row["endpoints"])
        table.add_row(str(row["id"]), row["name"] or "", row["language"], row["tier"], ";".join(row["regions"]), endpoints)
    console.print(table)


@app.command("forget")
def forget(
    ctx: typer.Context,
    subscriber_id: Optional[int] = typer.Option(None, "--id"),
    phone: Phone = None,
) -> None:
    """Erase a person's data; an anonymous tombstone keeps a STOP honoured."""
    cli = context(ctx)
    if (subscriber_id is None) == (phone is None):
        raise UsageError("give exactly one of --id or --phone")
    with cli.database().sessions.begin() as session:
        if subscriber_id is not None:
            subscriber = session.get(Subscriber, subscriber_id)
        else:
            try:
                address = subscribers.normalise_address("sms", phone, cli.settings.default_region)
            except SubscriberError as exc:
                raise UsageError(str(exc)) from None
            endpoint = subscribers.find_endpoint(session, "sms", address)
            subscriber = endpoint.subscriber if endpoint else None
        if subscriber is None:
            raise UsageError("no such subscriber")
        count = subscribers.forget(session, subscriber, actor="cli")
    cli.database().scrub()
    console.print(f"erased; {count} address tombstone(s) kept")
