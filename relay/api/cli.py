"""`relay tokens create | revoke | list`: per-person API tokens for the console and the HTTP API.

Making or revoking a token is a coordinator's act (`tokens.manage`: the local operator, or `--as` a
coordinator); the token then acts with its subscriber's tier, checked on every request.
"""

from __future__ import annotations

import json

import typer

from relay.api import tokens
from relay.core.cli_context import UsageError, console, context
from relay.core.cli_identity import authorize

app = typer.Typer(help="API tokens for the console and the HTTP API.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    subscriber: int = typer.Option(..., "--subscriber", help="The subscriber id the token acts as (their tier)."),
    name: str = typer.Option(..., "--name", help="Whose device it is for, e.g. \"Ana's laptop\"."),
    as_json: bool = typer.Option(False, "--json", help='Print {"id": ..., "token": ...} only.'),
) -> None:
    """Make a token; it is printed once and only its hash is kept."""
    cli = context(ctx)
    authorize(cli, "tokens.manage")  # minting a coordinator's token is a coordinator's act
    with cli.database().sessions.begin() as session:
        try:
            token, plain = tokens.create(session, subscriber_id=subscriber, name=name, actor=cli.operator or "cli")
        except tokens.TokenError as exc:
            raise UsageError(str(exc)) from None
        token_id = token.id
    if as_json:
        typer.echo(json.dumps({"id": token_id, "token": plain}))
        return
    console.print(f"token {token_id} for subscriber {subscriber}; it is shown only now, keep it safe:")
    typer.echo(plain)


@app.command("revoke")
def revoke(ctx: typer.Context, token_id: int = typer.Argument(..., help="The token's id (relay tokens list).")) -> None:
    """End a token at once: its next request is refused with 401."""
    cli = context(ctx)
    authorize(cli, "tokens.manage")
    with cli.database().sessions.begin() as session:
        try:
            tokens.revoke(session, token_id, actor=cli.operator or "cli")
        except tokens.TokenError as exc:
            raise UsageError(str(exc)) from None
    console.print(f"token {token_id} revoked")


@app.command("list")
def list_tokens(ctx: typer.Context) -> None:
    """Every token: id, prefix, subscriber, name, live or revoked, last use (never the token itself)."""
    cli = context(ctx)
    with cli.database().sessions() as session:
        for token in tokens.listing(session):
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "live"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            console.print(f"{token.id}\t{token.prefix}…\tsubscriber {token.subscriber_id}\t{token.name}\t"
                          f"{state}\tlast used {used}")
