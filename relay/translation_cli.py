"""`relay translate` and `relay translation list|install`: the translation engines from the command line.

Registered on the main app by the CLI assembly (`register(app, get_settings)`); it only decides exit codes,
the `translation` package raises typed errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

from relay import translation_check_cli
from translation.argos import ArgosTranslator
from translation.argos import missing_reason as argos_missing
from translation.chain import ChainTranslator
from translation.config import TranslationSettings
from translation.detect import detect
from translation.errors import TranslationError
from translation.factory import build_protected, build_translator
from translation.glossary import GlossaryError


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _engine_name(chain: ChainTranslator, source: str, target: str) -> str:
    try:
        return chain.engine_for(source, target)
    except TranslationError as exc:
        return f"unavailable ({exc})"


def register(app: typer.Typer, get_settings: Callable[[], TranslationSettings]) -> None:
    """Add `translate` and the `translation` sub-app (`list`, `install`) to `app`."""
    sub = typer.Typer(help="Translation engines: installed pairs and argos packages.", no_args_is_help=True)
    app.add_typer(sub, name="translation")
    translation_check_cli.register(sub, get_settings)

    @app.command("translate")
    def translate_command(
        text: Optional[str] = typer.Argument(None, help="The text to translate (or --file)."),
        to: str = typer.Option(..., "--to", help="Target language (ISO 639-1), e.g. es."),
        source: Optional[str] = typer.Option(
            None, "--from", help="Source language; detected among the configured languages when left out."
        ),
        file: Optional[Path] = typer.Option(None, "--file", help="Translate every line of FILE (one text per "
                                            "line); one output line per input line."),
    ) -> None:
        """Translate TEXT with the configured engines, keeping numbers, links and names intact."""
        settings = get_settings()
        if (text is None) == (file is None):
            raise _fail("give a TEXT to translate or --file FILE (one of them)")
        if file is not None:
            try:
                engine = translation_check_cli.translate_file(settings, file, source or settings.source_language, to)
            except (TranslationError, GlossaryError) as exc:
                raise _fail(str(exc)) from None
            typer.echo(f"engine: {engine.split(';', 1)[0]}", err=True)
            return
        if source is None:
            found = detect(
                text,
                settings.languages,
                min_words=settings.detect_min_words,
                min_confidence=settings.detect_min_confidence,
            )
            source = found.language or settings.source_language
            how = f"detected, confidence {found.confidence:.2f}" if found.language else "default; detection unsure"
            typer.echo(f"from: {source} ({how})", err=True)
        try:
            translator = build_protected(settings)
            (result,), engine = translator.translate_with_engine([text], source, to)
        except (TranslationError, GlossaryError) as exc:
            raise _fail(str(exc)) from None
        typer.echo(result)
        typer.echo(f"engine: {engine.split(';', 1)[0]}", err=True)

    @sub.command("list")
    def list_command() -> None:
        """Every language pair that can be translated here, and the engine that wins it."""
        chain = build_translator(get_settings())
        table = Table(title="Translation pairs")
        for column in ("From", "To", "Engine"):
            table.add_column(column)
        try:
            routes = chain.routes()
        except TranslationError as exc:
            raise _fail(str(exc)) from None
        for source, target in sorted(routes):
            table.add_row(source, target, _engine_name(chain, source, target))
        console = Console()
        console.print(table)
        if not routes:
            console.print("no translation pairs installed")
        for engine, reason in chain.unavailable.items():
            console.print(f"{engine}: unavailable - {reason}")

    @sub.command("install")
    def install_command(
        file: Path = typer.Argument(..., help="An argos package (.argosmodel) to install."),
    ) -> None:
        """Check an argos package and install it into the configured argos package directory."""
        reason = argos_missing()
        if reason is not None:
            raise _fail(reason)
        settings = get_settings()
        try:
            source, target = ArgosTranslator(settings.argos_package_dir).install(file)
        except TranslationError as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"installed argos package {source} -> {target} from {file.name}")
