"""`relay voice upload | list | remove`: a volunteer's recording of a broadcast in one language."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from relay.core.cli_context import UsageError, console, context
from relay.core.cli_identity import authorize, broadcast_action
from relay.voice import store
from relay.voice.audio import AudioError
from relay.voice.store import RecordingError

app = typer.Typer(help="Recorded audio for voice calls: played instead of text-to-speech.", no_args_is_help=True)

BROADCAST = typer.Option(..., "--broadcast", min=1, max=2**31 - 1, help="The broadcast's id.")
LANG = typer.Option(..., "--lang", help="The recording's language: ht, fr...")


def audience_action(cli, broadcast_id: int):
    """What uploading to this broadcast needs: the same as sending it (own audience or everyone)."""
    with cli.database().sessions() as session:
        try:
            audience = store.broadcast(session, broadcast_id).audience or {}
        except RecordingError as exc:
            raise UsageError(str(exc)) from None
    regions, topics = tuple(audience.get("regions", ())), tuple(audience.get("topics", ()))
    return lambda who: broadcast_action(who, regions, topics)


@app.command("upload")
def upload(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A WAV or MP3 file.", exists=True, dir_okay=False, readable=True),
    broadcast_id: int = BROADCAST,
    language: str = LANG,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Store the recording calls of this broadcast in this language play (replacing an earlier one); calls
    not yet placed and retries play it."""
    cli = context(ctx)
    operator = authorize(cli, audience_action(cli, broadcast_id))
    limit = store.max_bytes(cli.settings)
    size = file.stat().st_size
    if size > limit:  # before reading it into memory
        raise UsageError(f"{file}: {size:,} bytes; at most {limit:,} are accepted ([voice] recording_max_mb)")
    try:
        shown = store.save(cli.database().sessions, cli.settings.data_dir, broadcast_id, language, file.read_bytes(),
                           limit=limit, actor=operator.actor)
    except (AudioError, RecordingError) as exc:
        raise UsageError(f"{file}: {exc}") from None
    if as_json:
        typer.echo(json.dumps(asdict(shown)))
        return
    console.print(f"broadcast {shown.broadcast_id}: {shown.language} recording stored ({shown.format}, "
                  f"{shown.seconds:g} s, {shown.bytes:,} bytes); calls in {shown.language} play it")


@app.command("list")
def list_(ctx: typer.Context, broadcast_id: int = BROADCAST, as_json: bool = typer.Option(False, "--json")) -> None:
    """The recordings of a broadcast, one per language."""
    cli = context(ctx)
    authorize(cli, "broadcast.view", f"broadcast:{broadcast_id}")
    with cli.database().sessions() as session:
        try:
            shown = store.listing(session, broadcast_id)
        except RecordingError as exc:
            raise UsageError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps([asdict(s) for s in shown]))
        return
    if not shown:
        console.print(f"broadcast {broadcast_id} has no recordings: calls speak its texts")
        return
    table = Table("lang", "format", "seconds", "bytes", "sha256", "uploaded by", "uploaded at")
    for s in shown:
        table.add_row(s.language, s.format, f"{s.seconds:g}", f"{s.bytes:,}", s.sha256[:16], s.uploaded_by,
                      s.uploaded_at)
    console.print(table)


@app.command("remove")
def remove(ctx: typer.Context, broadcast_id: int = BROADCAST, language: str = LANG,
           as_json: bool = typer.Option(False, "--json")) -> None:
    """Remove a recording: calls not yet placed speak the text again (or fail over, in a language no voice
    speaks)."""
    cli = context(ctx)
    operator = authorize(cli, audience_action(cli, broadcast_id))
    try:
        shown = store.remove(cli.database().sessions, cli.settings.data_dir, broadcast_id, language,
                             actor=operator.actor)
    except RecordingError as exc:
        raise UsageError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(asdict(shown)))
        return
    console.print(f"broadcast {broadcast_id}: {language} recording removed")
