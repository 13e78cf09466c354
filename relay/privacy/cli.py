"""`relay subscribers export` and `relay retention status | purge`."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.progress import Progress
from rich.table import Table

from relay.core import subscribers
from relay.core.cli_options import MatrixUser, Phone, TelegramChat
from relay.core.cli_context import UsageError, console, context
from relay.core.cli_identity import authorize
from relay.core.subscribers import SubscriberError
from relay.privacy import export, purge
from relay.privacy.settings import retention_settings

app = typer.Typer(help="Retention of personal data: what the policy removes, and removing it now.",
                  no_args_is_help=True)


def _who(cli, subscriber_id: int | None, contacts: dict[str, str | None]) -> tuple[int | None, list[tuple[str, str]]]:
    """The --id or the one contact option given, checked and normalised."""
    given = {column: value for column, value in contacts.items() if value}
    if (subscriber_id is not None) + len(given) != 1:
        raise UsageError("give exactly one of --id, " + ", ".join(f"--{c}" for c in contacts))
    if subscriber_id is not None:
        return subscriber_id, []
    (column, raw), = given.items()
    channel = subscribers.CONTACT_COLUMNS[column]
    try:
        return None, [(channel, subscribers.normalise_address(channel, raw, cli.settings.default_region))]
    except SubscriberError as exc:
        raise UsageError(str(exc)) from None


def export_command(
    ctx: typer.Context,
    subscriber_id: Optional[int] = typer.Option(None, "--id", help="The subscriber's id."),
    phone: Phone = None,
    telegram: TelegramChat = None,
    matrix: MatrixUser = None,
    whatsapp: Optional[str] = typer.Option(None, help="A WhatsApp number."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the JSON here instead of stdout."),
) -> None:
    """Everything the relay holds about one person, as JSON (a data-subject access request)."""
    cli = context(ctx)
    wanted, addresses = _who(cli, subscriber_id, {"phone": phone, "telegram": telegram, "matrix": matrix,
                                                  "whatsapp": whatsapp})
    operator = authorize(cli, "subscribers.export", f"subscriber:{wanted}" if wanted else None)
    with cli.database().sessions.begin() as session:
        person = (export.find(session, subscriber_id=wanted) if wanted is not None
                  else export.find(session, channel=addresses[0][0], address=addresses[0][1]))
        if person is None and wanted is not None:
            raise UsageError(f"no subscriber {wanted}")
        document = export.export_person(session, person, addresses)
        if person is None and not any(document["records"].values()):
            raise UsageError("nothing is held about this address")
        _audit(session, operator.actor, person, addresses)
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
    else:
        typer.echo(text)


def _audit(session, actor: str, person, addresses) -> None:
    from relay.core import audit

    subject = f"subscriber:{person.id}" if person is not None else None
    audit.record(session, actor, "subscriber.export", subject, addresses=len(addresses) or None)


def register(subscribers_app: typer.Typer) -> None:
    subscribers_app.command("export")(export_command)


def _now() -> datetime:
    return datetime.now(timezone.utc)


@app.command("status")
def status(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """What the retention policy would remove now: counts per kind and the cutoff dates."""
    cli = context(ctx)
    authorize(cli, "retention.manage")
    cfg = retention_settings(cli.settings)
    with cli.database().sessions() as session:
        plan = purge.plan(session, cfg, _now())
    if as_json:
        typer.echo(json.dumps(plan.as_json()))
        return
    _print_plan(plan)


def _print_plan(plan: purge.Plan) -> None:
    if not plan.enabled:
        console.print("retention is off: nothing is ever purged (set [retention] in relay.toml)")
        return
    table = Table("kind", "kept for", "cutoff (UTC)", "to remove now", title="retention")
    for kind, row in plan.as_json()["kinds"].items():
        kept = f"{row['days']} days" if row["days"] else "forever"
        table.add_row(kind, kept, (row["cutoff"] or "")[:19].replace("T", " "), str(row["to_remove"]))
    console.print(table)
    if plan.open_reports_kept:
        console.print(f"{plan.open_reports_kept} open report(s) older than the cutoff are kept until closed")


@app.command("purge")
def purge_now(ctx: typer.Context, dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would go."),
              as_json: bool = typer.Option(False, "--json")) -> None:
    """Run the retention purge now (as `relay run` does every [retention] interval_minutes)."""
    cli = context(ctx)
    operator = authorize(cli, "retention.manage")
    cfg = retention_settings(cli.settings)
    database = cli.database()
    now = _now()
    with database.sessions() as session:
        plan = purge.plan(session, cfg, now)
    if dry_run or not plan.enabled:
        if as_json:
            typer.echo(json.dumps({**plan.as_json(), "dry_run": True}))
        else:
            _print_plan(plan)
        return
    if as_json:
        done = purge.purge(database.sessions, cfg, now, actor=operator.actor)
        typer.echo(json.dumps({**plan.as_json(), "dry_run": False, "removed": done}))
        return
    with Progress(console=console, transient=True) as bar:
        tasks = {kind: bar.add_task(kind, total=plan.counts.get(kind, 0)) for kind in purge.KINDS}
        done = purge.purge(database.sessions, cfg, now, actor=operator.actor,
                           progress=lambda kind, n: bar.advance(tasks[kind], n))
    console.print("purged: " + ", ".join(f"{kind} {n}" for kind, n in done.items()))
