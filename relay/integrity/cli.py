"""`relay flags list|vote`, `relay claims add|import|list`, `relay broadcast correct ID "text"`.

Who runs them is `relay --as REF` (a subscriber, with their tier) or the local operator, a coordinator
(`relay/core/cli_identity.py`); each command goes through the same permission check as the chat commands. A
vote counts once per moderator: as a subscriber that is the subscriber, as the local operator it is the
name given with `--by` (two people at one console vote with two names).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from relay.core.cli_options import Language
from relay.core.cli_context import UsageError, console, context, errors
from relay.core.cli_identity import LOCAL, Operator, authorize
from relay.integrity import claims as claim_store
from relay.integrity import corrections, moderation
from relay.delivery.outbox import BroadcastError

flags_app = typer.Typer(help="The moderation queue: held and suspicious messages, and votes on them.",
                        no_args_is_help=True)
claims_app = typer.Typer(help="The claim database (known false and misleading claims).", no_args_is_help=True)


def _who(operator: Operator, by: str | None) -> str:
    """The actor recorded (and, for votes, the moderator counted)."""
    if operator == LOCAL and by:
        return f"cli:{by}"
    return operator.actor


def _short(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@flags_app.command("list")
def flags_list(
    ctx: typer.Context,
    status: str = typer.Option("open", help="open, released, released_warning, confirmed_false or all."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The moderation queue, oldest first, with each message's score, reasons and votes."""
    cli = context(ctx)
    authorize(cli, "flags.review", "flags")
    with cli.database().sessions.begin() as session:
        entries = moderation.queue(session, status=None if status == "all" else status)
        rows = [{
            "id": flag.id, "state": flag.state, "status": flag.status, "score": screened.score,
            "reasons": screened.reasons, "origin": screened.origin, "channel": screened.channel,
            "sender": screened.sender, "language": screened.language, "text": screened.text,
            "at": screened.at.isoformat(), "votes": [{"moderator": v.moderator, "decision": v.decision,
                                                      "reason": v.reason} for v in votes],
            "corrections": flag.corrections, "release_pending": flag.release_pending,
        } for flag, screened, votes in entries]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("id", "state", "status", "score", "reasons", "origin", "text", "votes",
                  title=f"flags ({status}): {len(rows)}")
    for row in rows:
        votes = ", ".join(f"{v['moderator']}={v['decision']}" for v in row["votes"])
        table.add_row(str(row["id"]), row["state"], row["status"], f"{row['score']:.2f}", " ".join(row["reasons"]),
                      row["origin"], _short(row["text"]), votes)
    console.print(table)


@flags_app.command("vote")
def flags_vote(
    ctx: typer.Context,
    flag_id: int,
    decision: str = typer.Argument(..., help="release, warn (release with a warning) or false (confirm false)."),
    by: Optional[str] = typer.Option(None, "--by", help="As the local operator: the moderator's name (each "
                                     "distinct name counts once). With --as, the subscriber votes."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why (kept in the audit log)."),
    correction: Optional[str] = typer.Option(None, "--correction", help="With false: the correction text."),
) -> None:
    """Vote on a flag; the quorum of distinct moderators decides."""
    cli = context(ctx)
    operator = authorize(cli, "flags.review", f"flag:{flag_id}")
    if operator == LOCAL and not by:
        raise UsageError("say who votes: --by NAME (or relay --as subscriber:ID flags vote ...)")
    with cli.database().sessions.begin() as session:
        try:
            result = moderation.vote(session, flag_id, moderator=_who(operator, by), decision=decision,
                                     settings=cli.settings, reason=reason, correction=correction)
        except (moderation.ModerationError, BroadcastError) as exc:
            raise UsageError(str(exc)) from None
    if result.decided is None:
        console.print(f"flag {flag_id}: vote {result.decision} recorded ({result.votes_for} of {result.quorum} "
                      "needed)")
        return
    console.print(f"flag {flag_id}: decided {result.decided} by {result.votes_for} moderators")
    if result.claim_id is not None:
        console.print(f"added to the claim database as claim {result.claim_id}")
    for correction_id in result.corrections:
        console.print(f"correction queued as broadcast {correction_id}")
    if result.decided in ("release", "release_warning") and not result.released:
        errors.print("warning: no relaying feature took the released message (its origin has no release handler)")


@flags_app.command("recent")
def flags_recent(
    ctx: typer.Context,
    hours: float = typer.Option(72.0, help="How far back."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Messages relayed lately (newest first), with their screening id for `relay flags raise`."""
    cli = context(ctx)
    authorize(cli, "flags.review", "flags")
    with cli.database().sessions() as session:
        rows = [{"screening": m.id, "at": m.at.isoformat(), "action": m.action, "score": m.score,
                 "reasons": m.reasons, "origin": m.origin, "sender": m.sender, "text": m.text}
                for m in moderation.recent(session, hours=hours)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("screening", "at", "action", "score", "origin", "text", title=f"relayed in the last {hours:g} h")
    for row in rows:
        table.add_row(str(row["screening"]), row["at"][:16], row["action"], f"{row['score']:.2f}", row["origin"],
                      _short(row["text"]))
    console.print(table)


@flags_app.command("raise")
def flags_raise(
    ctx: typer.Context,
    screening_id: int = typer.Argument(..., help="From `relay flags recent`."),
    reason: Optional[str] = typer.Option(None, "--reason"),
    by: Optional[str] = typer.Option(None, "--by", help="As the local operator: your name."),
) -> None:
    """Queue a relayed message for review (moderators may then confirm it false and correct it)."""
    cli = context(ctx)
    operator = authorize(cli, "flags.review", f"screening:{screening_id}")
    with cli.database().sessions.begin() as session:
        try:
            flag = moderation.raise_flag(session, screening_id, moderator=_who(operator, by), reason=reason)
        except moderation.ModerationError as exc:
            raise UsageError(str(exc)) from None
        flag_id = flag.id
    console.print(f"flag {flag_id} opened: vote with relay flags vote {flag_id} release|false --by NAME")


@claims_app.command("add")
def claims_add(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="The claim, as people spread it."),
    language: Language = None,
    verdict: str = typer.Option("false", help="false, misleading or true."),
    correction: Optional[str] = typer.Option(None, help="What to tell people instead."),
    source: Optional[str] = typer.Option(None, help="Link to the fact-check."),
    by: Optional[str] = typer.Option(None, "--by", help="As the local operator: your name, for the audit log."),
) -> None:
    """Add one claim. Messages relayed in the last 72 hours that match it are queued for review."""
    cli = context(ctx)
    operator = authorize(cli, "claims.manage", "claims")
    with cli.database().sessions.begin() as session:
        try:
            added = claim_store.add_claim(session, text=text, language=language or cli.settings.default_language,
                                          settings=cli.settings, added_by=_who(operator, by), verdict=verdict,
                                          correction=correction, source_url=source)
        except claim_store.ClaimError as exc:
            raise UsageError(str(exc)) from None
    if not added.created:
        console.print(f"claim {added.claim.id} already holds this text; nothing added")
        return
    console.print(f"claim {added.claim.id} added")
    if added.flagged:
        console.print(f"{added.flagged} message(s) relayed earlier match it and wait for review: relay flags list")


@claims_app.command("import")
def claims_import(
    ctx: typer.Context,
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV (text, language, verdict, "
                                "correction, source) or JSON (the same keys, or schema.org ClaimReview)."),
    language: Optional[str] = typer.Option(None, "--lang", help="Language of rows that name none."),
    by: Optional[str] = typer.Option(None, "--by", help="As the local operator: your name, for the audit log."),
) -> None:
    """Import claims; bad rows are reported by number, good rows imported; re-importing adds nothing."""
    cli = context(ctx)
    operator = authorize(cli, "claims.manage", "claims")
    try:
        rows = claim_store.read_file(path)
    except claim_store.ClaimError as exc:
        raise UsageError(str(exc)) from None
    with cli.database().sessions.begin() as session:
        result = claim_store.import_claims(session, rows, settings=cli.settings, added_by=_who(operator, by),
                                           default_language=language)
    for problem in result.errors:
        errors.print(problem, highlight=False)
    console.print(f"{result.added} claims added, {result.unchanged} already known, {len(result.errors)} rejected")
    if result.flagged:
        console.print(f"{result.flagged} message(s) relayed earlier match them and wait for review")
    if result.errors:
        raise typer.Exit(2)


@claims_app.command("list")
def claims_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """The claims moderators know of."""
    with context(ctx).database().sessions() as session:
        rows = [{"id": c.id, "language": c.language, "verdict": c.verdict, "text": c.text,
                 "correction": c.correction, "source": c.source_url, "added_by": c.added_by}
                for c in claim_store.listing(session)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("id", "lang", "verdict", "text", "correction", "source", title=f"claims: {len(rows)}")
    for row in rows:
        table.add_row(str(row["id"]), row["language"], row["verdict"], _short(row["text"], 60),
                      _short(row["correction"] or "", 40), row["source"] or "")
    console.print(table)


def correct(
    ctx: typer.Context,
    broadcast_id: int,
    text: str = typer.Argument(..., help="The correction, in the source language."),
    language: Language = None,
    by: Optional[str] = typer.Option(None, "--by", help="As the local operator: your name, for the audit log."),
) -> None:
    """Send a correction of a broadcast to exactly the endpoints it reached, in their languages, at its
    priority; what of it was not sent yet is cancelled."""
    cli = context(ctx)
    operator = authorize(cli, "broadcast.correct", f"broadcast:{broadcast_id}")
    with cli.database().sessions.begin() as session:
        try:
            correction_id, count = corrections.correct(
                session, broadcast_id, body=text, source_language=language or cli.settings.default_language,
                header="correction_of_broadcast", actor=_who(operator, by), settings=cli.settings)
        except BroadcastError as exc:
            raise UsageError(str(exc)) from None
    console.print(f"correction of broadcast {broadcast_id} queued as broadcast {correction_id}: {count} deliveries")


def register_broadcast(app: typer.Typer) -> None:
    """Add `correct` to `relay broadcast`."""
    app.command("correct")(correct)


def _register_checks() -> None:
    """`relay claims check` and `relay claims reembed` live in cli_check.py, `relay claims train-rumour` in
    cli_rumour.py (one job per module)."""
    from relay.integrity.cli_check import check, reembed
    from relay.integrity.cli_rumour import train_rumour

    claims_app.command("check")(check)
    claims_app.command("reembed")(reembed)
    claims_app.command("train-rumour")(train_rumour)


_register_checks()
