"""`relay relays add | list | tree`, `relay poll results`, `relay failover order`.

Changing the network, reading poll answers (personal data) and setting a person's failover order are
privileged: each goes through `relay.core.cli_identity.authorize` (the local operator is a coordinator;
`relay --as REF` acts as a subscriber with their tier).
"""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.table import Table

from relay.networks import failover, relays as network, report as network_report, poll_reask
from relay.core.cli_context import UsageError, console, context
from relay.core.cli_identity import authorize
from relay.networks.failover import FailoverError
from relay.core.models import Broadcast
from relay.networks.relays import NetworkError

relays_app = typer.Typer(help="Community relay networks: relay nodes, backups, hubs.", no_args_is_help=True)
poll_app = typer.Typer(help="Confirmation polls: answers per option, region and channel.", no_args_is_help=True)
failover_app = typer.Typer(help="Channel failover: each person's channels in order of preference.",
                           no_args_is_help=True)


def _ints(value: str) -> list[int]:
    try:
        return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"{value!r}: give subscriber ids separated by commas, e.g. 12,15") from None


@relays_app.command("add")
def relays_add(
    ctx: typer.Context,
    subscriber: int = typer.Argument(..., help="The subscriber id of the person who relays."),
    community: str = typer.Option(..., help="The community's name (used in the relay header)."),
    region: str = typer.Option(..., help="The community's region tag; a broadcast to it or a parent region "
                               "(north covers north/riverside) reaches this relay."),
    size: int = typer.Option(0, help="How many people the community has."),
    languages: str = typer.Option("", help="';'-separated languages spoken in the community."),
    hub: Optional[str] = typer.Option(None, help="The community name of this node's hub (parent)."),
    backups: str = typer.Option("", help="Subscriber ids of the backups, in the order they are asked."),
) -> None:
    """Make a subscriber the relay of a community."""
    cli = context(ctx)
    operator = authorize(cli, "relays.manage", f"subscriber:{subscriber}")
    with cli.database().sessions.begin() as session:
        try:
            node = network.add_node(session, subscriber_id=subscriber, community=community, region=region, size=size,
                                    languages=[x.strip() for x in languages.split(";") if x.strip()], hub=hub,
                                    backups=_ints(backups), actor=operator.actor)
        except NetworkError as exc:
            raise UsageError(str(exc)) from None
        node_id = node.id
    console.print(f"relay node {node_id}: subscriber {subscriber} relays for {community} ({region})")


@relays_app.command("list")
def relays_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Every relay node: community, region, relay, backups, hub."""
    with context(ctx).database().sessions() as session:
        views = []
        pending = network_report.tree(session)
        while pending:
            view = pending.pop(0)
            views.append(view)
            pending[:0] = view.children
        hubs = {v.node.id: v.node.community for v in views}
        rows = [{**v.as_json(), "hub": hubs.get(v.node.hub_id)} for v in views]
    if as_json:
        typer.echo(json.dumps([{k: v for k, v in r.items() if k != "children"} for r in rows]))
        return
    table = Table("community", "region", "relay", "backups", "hub", "size", "languages", title="relay nodes")
    for row in rows:
        table.add_row(row["community"], row["region"], row["relay"], ", ".join(row["backups"]), row["hub"] or "",
                      str(row["size"]), " ".join(row["languages"]))
    console.print(table)


@relays_app.command("tree")
def relays_tree(ctx: typer.Context, broadcast: Optional[int] = typer.Option(None, help="Show this broadcast's "
                "state per node.")) -> None:
    """The network as a tree (hubs, their relays), optionally with one broadcast's acknowledgements."""
    print_tree(context(ctx), broadcast)


def print_tree(cli, broadcast_id: int | None, as_json: bool = False) -> None:
    with cli.database().sessions() as session:
        if broadcast_id is not None and session.get(Broadcast, broadcast_id) is None:
            raise UsageError(f"no broadcast {broadcast_id}")
        roots = network_report.tree(session, broadcast_id)
        if as_json:
            typer.echo(json.dumps([r.as_json() for r in roots]))
            return
        text = network_report.lines(roots)
    title = f"relay network, broadcast {broadcast_id}" if broadcast_id is not None else "relay network"
    console.print(title, highlight=False)
    for line in text or ["(no relay nodes)"]:
        console.print(line, highlight=False, soft_wrap=True)


@poll_app.command("results")
def poll_results(ctx: typer.Context, broadcast_id: int, as_json: bool = typer.Option(False, "--json")) -> None:
    """Answers per option, region and channel, and the people who need help."""
    cli = context(ctx)
    authorize(cli, "poll.results", f"broadcast:{broadcast_id}")
    with cli.database().sessions() as session:
        poll = poll_reask.poll_of(session, broadcast_id)
        if poll is None:
            raise UsageError(f"broadcast {broadcast_id} has no poll")
        result = poll_reask.results(session, poll)
    if as_json:
        typer.echo(json.dumps(result.as_json()))
        return
    keys = [o["key"] for o in result.options]
    table = Table("", *keys, title=f"poll of broadcast {broadcast_id}: {result.answered} of {result.asked} answered")
    table.add_row("all", *[str(result.by_option.get(k, 0)) for k in keys])
    table.add_section()
    for region, counts in sorted(result.by_region.items()):
        table.add_row(f"region {region}", *[str(counts.get(k, 0)) for k in keys])
    table.add_section()
    for channel, counts in sorted(result.by_channel.items()):
        table.add_row(f"channel {channel}", *[str(counts.get(k, 0)) for k in keys])
    console.print(table)
    if result.need_help:
        helped = Table("subscriber", "name", "channel", "address", "region", "answer", "at", title="need help")
        for row in result.need_help:
            helped.add_row(str(row["subscriber"]), row["name"] or "", row["channel"], row["address"],
                           row["region"] or "", row["text"], row["at"])
        console.print(helped)


@failover_app.command("order")
def failover_order(ctx: typer.Context, subscriber: int, channels: list[str] = typer.Argument(
        ..., help="The person's channels, most preferred first, e.g. telegram sms.")) -> None:
    """Set the order in which a person's channels are tried (a broadcast goes to the first that works)."""
    cli = context(ctx)
    operator = authorize(cli, "subscribers.manage", f"subscriber:{subscriber}")
    with cli.database().sessions.begin() as session:
        try:
            failover.set_order(session, subscriber, channels, actor=operator.actor)
        except FailoverError as exc:
            raise UsageError(str(exc)) from None
    console.print(f"subscriber {subscriber}: {' then '.join(channels)}")


def print_failovers(cli, broadcast_id: int) -> None:
    """In `relay broadcast status`: for each person carried over, the channels tried and which reached them."""
    with cli.database().sessions() as session:
        paths = failover.report(session, broadcast_id)
    if not paths:
        return
    table = Table("subscriber", "name", "channels tried", "final status", title="failover")
    for path in paths:
        table.add_row(str(path.subscriber_id), path.name or "", " -> ".join(path.channels), path.status)
    console.print(table)
