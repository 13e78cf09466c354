"""`relay claims check TEXT [--lang xx] [--json]` / `--file FILE`, and `relay claims reembed`.

`check` runs the very screening the bridges run (`screening.analyse`, the rumour floor, the bands), but
records nothing and relays nothing: an operator tries a message, or a whole file of them (one per line),
against the catalogue before trusting the thresholds. `--json` prints one object per line for scripts.
`reembed` stores vectors from the configured model for claims that have none from it (after a model
change the relay still runs: it embeds those claims in memory at start until they are stored).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.progress import Progress

from relay.core.cli_context import UsageError, console, context, errors
from relay.integrity import claim_vectors, screening
from relay.integrity import embeddings as vectors_of
from relay.integrity.models import Claim

BATCH = 64  # messages embedded per call when checking a file


def band_of(score: float, settings) -> str:
    """The band a score lands in, whatever action the configuration gives that band."""
    cfg = settings.integrity
    if score >= cfg.hold_threshold:
        return "hold"
    return "warn" if score >= cfg.warn_threshold else "none"


def _messages(text: Optional[str], path: Optional[Path]) -> list[str]:
    if (text is None) == (path is None):
        raise UsageError("give the message as TEXT or a file of messages with --file FILE (one of them)")
    if path is None:
        if not text.strip():
            raise UsageError("the message is empty")
        return [text]
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    found = [line for line in lines if line.strip()]
    if not found:
        raise UsageError(f"{path} holds no message (one message per line)")
    return found


def _result(session, text: str, language: Optional[str], settings, vector) -> dict:
    analysis = screening.analyse(session, text, language, settings, vector=vector)
    score = analysis.final(settings)
    claim = None
    if analysis.claim is not None:
        row = session.get(Claim, analysis.claim.claim_id)
        claim = {"id": row.id, "text": row.text, "language": row.language,
                 "similarity": round(analysis.claim.similarity, 4), "stage": analysis.claim.stage}
    return {"text": text, "language": analysis.language, "score": score, "band": band_of(score, settings),
            "action": screening.band_action(score, settings), "claim": claim, "rumour": analysis.rumour,
            "reasons": list(analysis.reasons)}


def _print(result: dict) -> None:
    claim = result["claim"]
    said = (f"claim {claim['id']} ({claim['language']}, similarity {claim['similarity']:.2f}): {claim['text']}"
            if claim else "no known claim")
    rumour = "off" if result["rumour"] is None else f"{result['rumour']:.2f}"
    console.print(f"{result['band']:<4}  score {result['score']:.2f}  {result['text']}", markup=False, highlight=False)
    console.print(f"      {said}; rumour {rumour}; reasons: {' '.join(result['reasons']) or '-'}",
                  markup=False, highlight=False)


def check(
    ctx: typer.Context,
    text: Optional[str] = typer.Argument(None, help="The message to screen."),
    language: Optional[str] = typer.Option(None, "--lang", help="Its language (default: detected)."),
    path: Optional[Path] = typer.Option(None, "--file", dir_okay=False, help="A file of messages, one per line."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per message and line."),
) -> None:
    """Screen messages as the bridges would, without recording or relaying anything."""
    cli = context(ctx)
    messages = _messages(text, path)
    settings = cli.settings
    model = vectors_of.embedder(settings.integrity)
    if model is None:
        errors.print(f"note: {vectors_of.missing_reason(settings.integrity)}", markup=False, highlight=False)
    with cli.database().sessions() as session, Progress(console=errors, transient=True,
                                                        disable=as_json or len(messages) < BATCH) as progress:
        task = progress.add_task("screening", total=len(messages))
        for start in range(0, len(messages), BATCH):
            chunk = messages[start:start + BATCH]
            vectors = claim_vectors.embed_messages(model, chunk) if model is not None else [None] * len(chunk)
            for message, vector in zip(chunk, vectors):
                result = _result(session, message, language, settings, vector)
                if as_json:
                    typer.echo(json.dumps(result, ensure_ascii=False))
                else:
                    _print(result)
                progress.advance(task)


def reembed(
    ctx: typer.Context,
    everything: bool = typer.Option(False, "--all", help="Embed every claim again, not only stale ones."),
) -> None:
    """Store vectors from the configured embedding model for claims that lack them."""
    cli = context(ctx)
    model = vectors_of.embedder(cli.settings.integrity)
    if model is None:
        raise UsageError(vectors_of.missing_reason(cli.settings.integrity) or "no embedding model")
    with cli.database().sessions.begin() as session:
        count = claim_vectors.reembed(session, model, everything=everything)
    console.print(f"{count} claims embedded with {model.model_id}", markup=False, highlight=False)
