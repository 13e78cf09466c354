"""`relay geo set | show | count | status`, and the area options of `relay broadcast send`
(`--area-polygon`, `--area-circle`, `--area-geocode`, `--area-file`, `--no-location`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from relay.core import subscribers
from relay.core.channels import planned_senders
from relay.core.cli_options import Phone, TelegramChat
from relay.core.cli_context import UsageError, console, context
from relay.core.cli_identity import authorize
from relay.core.db import required
from relay.core.models import Broadcast
from relay.delivery.outbox import Audience, BroadcastError, BroadcastRequest
from relay.geo import audience, locations
from relay.geo.area import Area, GeoError, build, parse_point
from relay.geo.files import read_area_file
from relay.geo.models import BroadcastArea
from relay.geo.settings import geo_settings

app = typer.Typer(help="Subscribers' locations and the areas broadcasts are aimed at.", no_args_is_help=True)


def area_from_options(settings: Any, polygons: list[str], circles: list[str], codes: list[str],
                      area_file: Path | None, no_location: str | None) -> Area | None:
    """The area the options describe (None without any), or a UsageError naming the bad part."""
    if not (polygons or circles or codes or area_file):
        if no_location:
            raise UsageError("--no-location goes with an area (--area-polygon, --area-circle, --area-geocode, "
                             "--area-file)")
        return None
    policy = no_location or geo_settings(settings).default_policy()
    try:
        area = build(polygons, circles, codes, policy)
        if area_file is not None:
            extra = read_area_file(area_file, policy)
            area = Area(area.polygons + extra.polygons, area.circles + extra.circles, area.codes + extra.codes, policy)
    except GeoError as exc:
        raise UsageError(f"area: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--area-file: {exc}") from None
    return area


def extras_for(area: Area | None) -> dict[str, Any]:
    return {audience.EXTRAS_KEY: area.as_json()} if area else {}


def print_area(summary: dict[str, Any]) -> None:
    """People per part of the area, then the no-location line (markup off: labels come from files)."""
    table = Table("part", "what", "people", title="area")
    for part in summary["parts"]:
        what = part.get("polygon") or part.get("circle") or part.get("geocode") or ""
        table.add_row(part["label"], what if len(what) < 60 else what[:57] + "...", f"{part['people']:,}")
    console.print(table, markup=False)
    console.print(f"inside the area: {summary['inside']:,} people", markup=False)
    console.print(audience.no_location_line(summary["no_location"], summary.get("no_location_policy")), markup=False)


def _person(session, channel: str, address: str):
    try:
        address = subscribers.normalise_address(channel, address)
    except subscribers.SubscriberError as exc:
        raise UsageError(str(exc)) from None
    endpoint = subscribers.find_endpoint(session, channel, address)
    if endpoint is None:
        raise UsageError(f"no subscriber with {channel} {address}")
    return endpoint.subscriber_id


def _who(phone: Optional[str], telegram: Optional[str]) -> tuple[str, str]:
    if bool(phone) == bool(telegram):
        raise UsageError("name the person with --phone or --telegram (one of them)")
    return ("sms", phone) if phone else ("telegram", telegram)  # type: ignore[return-value]


@app.command("set")
def set_location(
    ctx: typer.Context,
    phone: Phone = None,
    telegram: TelegramChat = None,
    point: Optional[str] = typer.Option(None, help="lat,lon, e.g. 18.54,-72.34."),
    geocode: list[str] = typer.Option([], "--geocode", help="NAME=VALUE, e.g. SAME=006113 (repeatable; replaces "
                                      "the person's geocodes)."),
    clear: bool = typer.Option(False, help="Remove the person's point and geocodes."),
) -> None:
    """Set (or clear) one person's location."""
    cli = context(ctx)
    channel, address = _who(phone, telegram)
    if clear and (point or geocode):
        raise UsageError("--clear removes the location; give it alone")
    if not (clear or point or geocode):
        raise UsageError("give --point, --geocode or --clear")
    try:
        parsed = parse_point(point, "--point") if point else None
        codes = locations.codes_of(geocode)
    except GeoError as exc:
        raise UsageError(str(exc)) from None
    operator = authorize(cli, "subscribers.manage")
    with cli.database().sessions.begin() as session:
        person = _person(session, channel, address)
        stored = locations.store(session, person, point=None if clear else (parsed if point else locations.KEEP),
                                 codes=[] if clear else (codes if geocode else locations.KEEP), source="cli",
                                 actor=operator.actor)
    console.print(f"subscriber {person}: location {locations.describe(stored)}", markup=False)


@app.command("show")
def show(ctx: typer.Context, phone: Phone = None, telegram: TelegramChat = None,
         as_json: bool = typer.Option(False, "--json")) -> None:
    """One person's location."""
    channel, address = _who(phone, telegram)
    with context(ctx).database().sessions() as session:
        person = _person(session, channel, address)
        stored = locations.read(session, person)
    if as_json:
        typer.echo(json.dumps({"subscriber": person, **stored.as_json()}))
    else:
        console.print(f"subscriber {person}: {locations.describe(stored)}", markup=False)


@app.command("count")
def count(
    ctx: typer.Context,
    kind: str = typer.Option("crisis", help="crisis, webinar or notice (whose consent counts)."),
    area_polygon: list[str] = typer.Option([], "--area-polygon", help="\"lat,lon lat,lon ...\" (a closed ring)."),
    area_circle: list[str] = typer.Option([], "--area-circle", help="\"lat,lon radius_km\"."),
    area_geocode: list[str] = typer.Option([], "--area-geocode", help="NAME=VALUE, e.g. SAME=006113."),
    area_file: Optional[Path] = typer.Option(None, "--area-file", exists=True, dir_okay=False,
                                             help="A CAP alert or a GeoJSON file."),
    no_location: Optional[str] = typer.Option(None, "--no-location", help="include or exclude."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Before sending: how many people each part of an area reaches, and how many have no location."""
    cli = context(ctx)
    area = area_from_options(cli.settings, area_polygon, area_circle, area_geocode, area_file, no_location)
    if area is None:
        raise UsageError("give an area: --area-polygon, --area-circle, --area-geocode or --area-file")
    request = BroadcastRequest(kind=kind, body="-", source_language="en", sender="cli", audience=Audience(),
                               extras=extras_for(area))
    try:
        with cli.database().sessions() as session:
            summary, _ = audience.preview(session, request, sorted(planned_senders(cli.settings)))
    except BroadcastError as exc:
        raise UsageError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        print_area(summary)


@app.command("status")
def status(ctx: typer.Context, broadcast_id: int, as_json: bool = typer.Option(False, "--json")) -> None:
    """The area a broadcast was planned for: people per part, and what was done about no location."""
    with context(ctx).database().sessions() as session:
        if session.get(Broadcast, broadcast_id) is None:
            raise UsageError(f"no broadcast {broadcast_id}")
        row = required(session.get(BroadcastArea, broadcast_id),
                       UsageError(f"broadcast {broadcast_id} has no area: it went to its whole audience"))
        counts = dict(row.counts)
    if as_json:
        typer.echo(json.dumps(counts))
    else:
        print_area(counts)


def print_planned(database, broadcast_id: int) -> None:
    """After `relay broadcast send` with an area: its people per part and the no-location line."""
    with database.sessions() as session:
        row = session.get(BroadcastArea, broadcast_id)
        counts = dict(row.counts) if row is not None else None
    if counts is not None:
        print_area(counts)
