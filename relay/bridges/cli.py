"""`relay bridges add | list | remove`: link a Telegram group, a Matrix room and SMS numbers into one room."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from relay.bridges import bridge
from relay.core import subscribers
from relay.bridges.bridge import BridgeError
from relay.core.cli_context import UsageError, console, context
from relay.core.models import Endpoint, Subscriber
from relay.core.subscribers import SubscriberError

app = typer.Typer(help="Bridged rooms: Telegram groups, Matrix rooms and SMS lists as one conversation.",
                  no_args_is_help=True)


def _room(session, channel: str, spec: str, *, bridge_name: str, default_language: str, languages, settings) -> Endpoint:
    """The endpoint for `ADDRESS[=LANG]` on `channel`, created when the relay does not know it yet."""
    raw, _, language = spec.partition("=")
    try:
        address = subscribers.normalise_address(channel, raw, settings.default_region)
        language = subscribers.check_language(language or default_language, languages)
    except SubscriberError as exc:
        raise UsageError(f"--{channel} {spec!r}: {exc}") from None
    endpoint = subscribers.find_endpoint(session, channel, address)
    if endpoint is None:
        subscriber = Subscriber(name=f"{bridge_name} ({channel})" if channel != "sms" else None, language=language,
                                timezone=settings.default_timezone)
        endpoint = Endpoint(channel=channel, address=address)
        subscriber.endpoints.append(endpoint)
        session.add(subscriber)
        session.flush()
    elif language:
        endpoint.subscriber.language = language
    return endpoint


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The bridge's name, e.g. north-district."),
    telegram: list[str] = typer.Option([], "--telegram", help="A Telegram group id, e.g. -1001234=fr (repeatable)."),
    matrix: list[str] = typer.Option([], "--matrix", help="A Matrix room id, e.g. '!abc:server=en' (repeatable)."),
    sms: list[str] = typer.Option([], "--sms", help="A phone number on the SMS list, E.164, e.g. +50937001234=ht."),
    language: str = typer.Option(None, "--lang", help="Language of rooms given without =LANG (default: config)."),
    rate: float = typer.Option(20.0, help="Messages per minute this bridge may relay."),
) -> None:
    """Create a bridge from its rooms (at least two)."""
    cli = context(ctx)
    settings = cli.settings
    if len(telegram) + len(matrix) + len(sms) < 2:
        raise UsageError("a bridge links at least two rooms: give --telegram, --matrix and/or --sms")
    with cli.database().sessions.begin() as session:
        try:
            created = bridge.create(session, name, rate_per_minute=rate, actor="cli")
            for channel, specs in (("telegram", telegram), ("matrix", matrix), ("sms", sms)):
                for spec in specs:
                    endpoint = _room(session, channel, spec, bridge_name=name,
                                     default_language=language or settings.default_language,
                                     languages=settings.languages, settings=settings)
                    bridge.add_member(session, created, endpoint, actor="cli")
        except BridgeError as exc:
            raise UsageError(str(exc)) from None
        console.print(f"bridge {created.id} {name!r}: {len(telegram) + len(matrix) + len(sms)} rooms")


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """The bridges and their rooms."""
    from sqlalchemy import select

    from relay.bridges.models import Bridge

    cli = context(ctx)
    with cli.database().sessions() as session:
        found = [(b, bridge.members(session, b)) for b in session.scalars(select(Bridge).order_by(Bridge.name))]
        if as_json:
            typer.echo(json.dumps([{"id": b.id, "name": b.name, "rate_per_minute": b.rate_per_minute,
                                    "rooms": [{"channel": e.channel, "address": e.address,
                                               "language": e.subscriber.language} for e in rooms]}
                                   for b, rooms in found]))
            return
        table = Table("bridge", "rooms", "rate/min")
        for b, rooms in found:
            table.add_row(b.name, "\n".join(f"{e.channel} {e.address} ({e.subscriber.language})" for e in rooms),
                          f"{b.rate_per_minute:g}")
        console.print(table)


@app.command("remove")
def remove(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Unlink the rooms (they stay subscribed endpoints; nothing is relayed between them any more)."""
    cli = context(ctx)
    with cli.database().sessions.begin() as session:
        try:
            bridge.remove(session, bridge.find(session, name), actor="cli")
        except BridgeError as exc:
            raise UsageError(str(exc)) from None
    console.print(f"bridge {name!r} removed")
