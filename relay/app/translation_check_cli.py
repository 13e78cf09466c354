"""`relay translation check` (the quality gate on any pair of texts) and `relay translate --file`.

Translators and moderators check a text the way the relay checks its own machine texts: the same gate,
the same thresholds. Exit codes: 0 every text passed, 4 at least one failed, 1 an error (bad input).
Names, errors and user texts are printed with Rich markup off, so a "[" in a text is never eaten.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from translation.config import TranslationSettings
from translation.errors import TranslationError
from translation.factory import build_protected
from translation.gate import Verdict
from translation.gate_factory import build_gate
from translation.glossary import GlossaryError
from translation.languages import normalize

FAILED_EXIT = 4  # 1 is an error, 2 a usage error, 3 a configuration error (relay/cli.py)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _rows(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line number, source, translation) of a TSV with a `source` and a `translation` column."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        columns = reader.fieldnames or []
        if "source" not in columns or "translation" not in columns:
            raise _fail(f"{path}: the header row must name the columns source and translation "
                        f"(found: {', '.join(columns) or 'nothing'})")
        for number, row in enumerate(reader, start=2):
            if row.get("source") is None or row.get("translation") is None:
                raise _fail(f"{path} line {number}: expected a source and a translation separated by a tab")
            yield number, row["source"], row["translation"]


def _print_verdict(console: Console, verdict: Verdict) -> None:
    console.print(verdict.summary(), markup=False, highlight=False)
    table = Table("check", "result", "value", "threshold", "detail")
    for check in verdict.checks:
        threshold = check.threshold
        shown = "-" if threshold is None else (f"{threshold[0]}..{threshold[1]}" if isinstance(threshold, tuple)
                                               else str(threshold))
        table.add_row(check.name, check.status, "-" if check.value is None else f"{check.value:g}", shown,
                      check.detail)
    console.print(table, markup=False)


def register(sub: typer.Typer, get_settings: Callable[[], TranslationSettings]) -> None:
    """Add `check` to the `translation` sub-app."""

    @sub.command("check")
    def check_command(
        source_text: str | None = typer.Argument(None, metavar="SOURCE", help="The original text."),
        translation: str | None = typer.Argument(None, metavar="TRANSLATION", help="Its translation."),
        source: str = typer.Option(..., "--from", help="Language of SOURCE (ISO 639-1), e.g. en."),
        target: str = typer.Option(..., "--to", help="Language of TRANSLATION, e.g. es."),
        tsv: Path | None = typer.Option(None, "--tsv", help="Check every row of a TSV file with the "
                                           "columns source and translation (header row)."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per text: verdict and each check."),
    ) -> None:
        """Run the relay's quality gate on a translation (or on every row of --tsv)."""
        settings = get_settings()
        try:
            source, target = normalize(source), normalize(target)
        except TranslationError as exc:
            raise _fail(str(exc)) from None
        if tsv is None and (source_text is None or translation is None):
            raise _fail("give SOURCE and TRANSLATION, or --tsv FILE")
        if tsv is not None and source_text is not None:
            raise _fail("give either SOURCE and TRANSLATION or --tsv FILE, not both")
        try:
            gate = build_gate(settings, build_protected(settings))
        except GlossaryError as exc:
            raise _fail(str(exc)) from None
        console = Console(highlight=False)
        if tsv is None:
            verdicts = gate.check_many([source_text], [translation], source, target)
        else:
            rows = list(_rows(tsv))
            verdicts = gate.check_many([r[1] for r in rows], [r[2] for r in rows], source, target)
        for verdict in verdicts:
            if as_json:
                typer.echo(json.dumps(verdict.as_json(), ensure_ascii=False))
            elif tsv is None:
                _print_verdict(console, verdict)
            else:
                typer.echo(verdict.summary())
        if any(not v.passed for v in verdicts):
            raise typer.Exit(code=FAILED_EXIT)


def translate_file(settings: TranslationSettings, file: Path, source: str, target: str) -> str:
    """`relay translate --file`: one text per line in, one line per input line out (an empty line stays
    empty); returns the engine id. Line breaks inside a translation would shift every later line, so they
    are folded into spaces."""
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _fail(f"{file} is not UTF-8 text") from None
    translator = build_protected(settings)
    texts = [line for line in lines if line.strip()]
    out: list[str] = []
    engine = ""
    step = 32
    for start in track(range(0, len(texts), step), description="translating", disable=len(texts) <= step,
                       console=Console(stderr=True)):
        batch, engine = translator.translate_with_engine(texts[start:start + step], source, target)
        out.extend(" ".join(t.split()) for t in batch)
    done = iter(out)
    for line in lines:
        typer.echo(next(done) if line.strip() else "")
    return engine
