"""`relay templates add | list | show | send`."""

from __future__ import annotations

import json
import re
from typing import Optional

import typer
from rich.table import Table

from relay.broadcasts.cli import parse_expiry, split_list
from relay.core.cli_options import Expires, HumanTexts, Language, Regions, Severity, Tiers, Topics
from relay.core.cli_context import UsageError, console, context, errors
from relay.core.cli_identity import authorize, broadcast_action
from relay.delivery.outbox import Audience, BroadcastError
from relay.delivery.translation_hooks import approval_policy, machine_translator, untranslated_note
from relay.templates import sending, store
from relay.templates.fields import TemplateError

app = typer.Typer(help="Pre-approved message templates with named fields.", no_args_is_help=True)


def _pairs(values: list[str], option: str, example: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} {value!r}: write it as {example}")
        if key.strip() in out:
            raise UsageError(f"{option} {key.strip()} is given twice")
        out[key.strip()] = rest
    return out


def parse_fields(values: list[str]) -> dict[str, int]:
    declared = {}
    for name, length in _pairs(values, "--field", "NAME=MAX_LENGTH, e.g. shelter=40").items():
        if not re.fullmatch(r"\d{1,4}", length.strip()):
            raise UsageError(f"--field {name}={length}: the maximum length is a number of characters")
        declared[name] = int(length)
    return declared


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A short name: shelter-open."),
    text: HumanTexts = [],
    field: list[str] = typer.Option([], "--field", help="A field and its longest value in characters: shelter=40."),
    language: Language = None,
    kind: str = typer.Option("crisis", help="crisis, webinar or notice."),
    max_segments: Optional[int] = typer.Option(None, "--max-segments", help="SMS segments allowed per language "
                                               "(default: [templates] max_segments)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Store a template; refused, naming the language, when a text would exceed the segment budget."""
    cli = context(ctx)
    settings = cli.settings
    operator = authorize(cli, "templates.manage")
    texts = _pairs(text, "--text", 'LANG=TEXT, e.g. es="Vaya a {shelter}"')
    database = cli.database()
    lines = sending.footer(database.sessions, settings)
    try:
        with database.sessions.begin() as session:
            template = store.add(session, name=name, kind=kind, source_language=language or settings.default_language,
                                 declared=parse_fields(field), texts=texts,
                                 max_segments=max_segments or settings.templates.max_segments, footer=lines,
                                 price=sending.sms_price(settings), actor=operator.actor)
            shown = store.describe(template, lines, sending.sms_price(settings))
    except TemplateError as exc:
        raise UsageError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(shown))
        return
    console.print(f"template {shown['name']} added (id {shown['id']}) in {len(shown['texts'])} language(s)")
    _print_budget(shown)


def _print_budget(shown: dict) -> None:
    table = Table("lang", "encoding", "characters", "segments", "cost",
                  title=f"SMS budget at the longest values (max {shown['max_segments']} segments)")
    for row in shown["budget"]:
        table.add_row(row["language"], row["encoding"], str(row["characters"]), str(row["segments"]), f"{row['cost']:g}")
    console.print(table)


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Every template with its languages and fields."""
    cli = context(ctx)
    authorize(cli, "templates.view")
    database = cli.database()
    lines = sending.footer(database.sessions, cli.settings)
    with database.sessions() as session:
        shown = [store.describe(t, lines, sending.sms_price(cli.settings)) for t in store.all_templates(session)]
    if as_json:
        typer.echo(json.dumps(shown))
        return
    table = Table("id", "name", "kind", "languages", "fields", "max segments", "segments")
    for row in shown:
        table.add_row(str(row["id"]), row["name"], row["kind"], " ".join(sorted(row["texts"])),
                      " ".join(f"{k}({v})" for k, v in sorted(row["fields"].items())), str(row["max_segments"]),
                      " ".join(f"{b['language']}:{b['segments']}" for b in row["budget"]))
    console.print(table)


@app.command("show")
def show(ctx: typer.Context, name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """A template's texts and each language's SMS budget."""
    cli = context(ctx)
    authorize(cli, "templates.view")
    database = cli.database()
    lines = sending.footer(database.sessions, cli.settings)
    with database.sessions() as session:
        try:
            shown = store.describe(store.find(session, name), lines, sending.sms_price(cli.settings))
        except TemplateError as exc:
            raise UsageError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(shown))
        return
    console.print(f"template {shown['name']} (id {shown['id']}): {shown['kind']}, source {shown['source_language']}, "
                  f"fields {', '.join(f'{k} (max {v})' for k, v in sorted(shown['fields'].items()))}")
    for language, body in sorted(shown["texts"].items()):
        console.print(f"  {language}: {body}")
    _print_budget(shown)


@app.command("send")
def send(
    ctx: typer.Context,
    name: str,
    value: list[str] = typer.Option([], "--value", help='A field\'s value: shelter="Lycée Pétion" (repeatable).'),
    severity: Severity = "Unknown",
    urgency: str = typer.Option("Unknown"),
    certainty: str = typer.Option("Unknown"),
    region: Regions = "",
    topic: Topics = "",
    tier: Tiers = "",
    expires: Expires = None,
    as_json: bool = typer.Option(False, "--json", help='Print {"id", "deliveries", "languages", "budget"}.'),
) -> None:
    """Fill a template's fields and queue it: human texts as written, other languages machine-translated."""
    cli = context(ctx)
    settings = cli.settings
    operator = authorize(cli, lambda who: broadcast_action(who, split_list(region), split_list(topic)))
    values = _pairs(value, "--value", 'NAME=VALUE, e.g. shelter="Lycée Pétion"')
    database = cli.database()
    with database.sessions() as session:
        try:
            template = store.find(session, name)
        except TemplateError as exc:
            raise UsageError(str(exc)) from None
    try:
        result = sending.send(
            database.sessions, template, values, settings=settings,
            machine=machine_translator(settings, database.sessions), note=untranslated_note,
            approval=approval_policy(settings), sender=operator.actor, severity=severity, urgency=urgency,
            certainty=certainty, expires_at=parse_expiry(expires),
            audience=Audience(regions=split_list(region), topics=split_list(topic), tiers=split_list(tier)))
    except (TemplateError, BroadcastError) as exc:
        raise UsageError(str(exc)) from None
    planned = result.planned
    if planned.deliveries == 0:
        errors.print("warning: no subscriber matches this audience on a configured channel; nothing will be sent")
    if as_json:
        typer.echo(json.dumps({"id": planned.id, "deliveries": planned.deliveries, "languages": planned.languages,
                               "budget": [b.as_json() for b in result.budget]}))
    else:
        console.print(f"broadcast {planned.id} queued from template {template.name}: {planned.deliveries} deliveries "
                      f"in {len(planned.languages)} language(s)")
    for language in planned.pending_approval:
        errors.print(f"the {language} machine translation waits for approval: relay broadcast approve "
                     f"{planned.id} --lang {language} [--text ...]")
