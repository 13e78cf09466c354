"""`relay translate` and `relay translation list|available|install|rank`: the engines from the command line.

Registered on the main app by the CLI assembly (`register(app, get_settings)`); it only decides exit codes,
the `translation` package raises typed errors. Names, errors and texts are printed with Rich markup off
(a language name or a text holding "[bold]" is printed as it is); `--json` where scripts read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from relay.app import translation_check_cli
from translation.argos import ArgosTranslator
from translation.argos import missing_reason as argos_missing
from translation.argos_index import ArgosIndex, install_from_index
from translation.chain import ChainTranslator, RouteTranslator, backend_engine_id
from translation.config import TranslationSettings
from translation.detect import detect
from translation.errors import TranslationError, UnsupportedPair
from translation.factory import build_protected, build_translator
from translation.glossary import GlossaryError
from translation.protect import ProtectingTranslator
from translation.ranking import EngineScore, read_parallel_tsv, save_ranking, score


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _console(stderr: bool = False) -> Console:
    return Console(markup=False, highlight=False, emoji=False, stderr=stderr)


def _table(title: str, *columns: str) -> Table:
    table = Table(title=Text(title))
    for column in columns:
        table.add_column(Text(column))
    return table


def _row(table: Table, *cells: object) -> None:
    table.add_row(*(Text(str(cell)) for cell in cells))


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=_console(stderr=True), transient=False)


def _engine_name(chain: ChainTranslator, source: str, target: str) -> str:
    try:
        return chain.engine_for(source, target)
    except TranslationError as exc:
        return f"unavailable ({exc})"


def register(app: typer.Typer, get_settings: Callable[[], TranslationSettings]) -> None:
    """Add `translate` and the `translation` sub-app (`list`, `available`, `install`, `rank`) to `app`."""
    sub = typer.Typer(help="Translation engines: pairs, routes, argos packages, ranking.", no_args_is_help=True)
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
    def list_command(
        as_json: bool = typer.Option(False, "--json", help="One JSON object: pairs, languages per engine, unavailable."),
        source: Optional[str] = typer.Option(None, "--from", help="Only pairs from this language."),
        target: Optional[str] = typer.Option(None, "--to", help="Only pairs into this language."),
    ) -> None:
        """Every pair that can be translated here: its engine(s), and whether it is direct or via a pivot."""
        try:
            chain = build_translator(get_settings())
            routes = chain.routes()
            wanted_source = chain.normalize_pair(source, source)[0] if source else None
            wanted_target = chain.normalize_pair(target, target)[0] if target else None
        except TranslationError as exc:
            raise _fail(str(exc)) from None
        rows = []
        for (s, t), route in sorted(routes.items()):
            if (wanted_source and s != wanted_source) or (wanted_target and t != wanted_target):
                continue
            rows.append({"source": s, "target": t, "route": "via " + route.pivot if route.pivot else "direct",
                         "pivot": route.pivot, "engine": route.engine_id(), "label": route.label,
                         "engines": list(route.candidates) if not route.pivot else [h.backend.name for h in route.hops]})
        languages = {b.name: len({c for pair in b.pairs() for c in pair}) for b in chain.backends}
        direct = sum(1 for r in rows if r["pivot"] is None)
        if as_json:
            typer.echo(json.dumps({"pairs": rows, "languages": languages, "unavailable": chain.unavailable,
                                   "direct": direct, "pivot": len(rows) - direct}, ensure_ascii=False))
            return
        table = _table("Translation pairs", "From", "To", "Route", "Engine", "Also served by")
        for row in rows:
            others = ", ".join(row["engines"][1:]) if row["pivot"] is None else ""
            _row(table, row["source"], row["target"], row["route"], row["engine"], others)
        console = _console()
        console.print(table)
        if not rows:
            console.print("no translation pairs installed")
        served = ", ".join(f"{name} {count}" for name, count in languages.items())
        console.print(f"{len(rows)} pairs: {direct} direct, {len(rows) - direct} via a pivot; languages per engine: "
                      f"{served or 'none'}")
        for engine, reason in chain.unavailable.items():
            console.print(f"{engine}: unavailable - {reason}")

    @sub.command("available")
    def available_command(
        as_json: bool = typer.Option(False, "--json", help="One JSON object per line: a package of the index."),
        source: Optional[str] = typer.Option(None, "--from", help="Only packages from this language."),
    ) -> None:
        """What argos's package index offers (the URL is [translation] argos_index_url, argos's setting)."""
        if (reason := argos_missing()) is not None:
            raise _fail(reason)
        settings = get_settings()
        index = ArgosIndex(settings.argos_package_dir, settings.argos_index_url)
        try:
            packages = index.packages()
            installed = set(ArgosTranslator(settings.argos_package_dir).installed())
        except TranslationError as exc:
            raise _fail(str(exc)) from None
        packages = [p for p in packages if source is None or p.from_code == source.strip().lower()]
        if as_json:
            for p in packages:
                typer.echo(json.dumps({"from": p.from_code, "to": p.to_code, "version": p.version,
                                       "from_name": p.from_name, "to_name": p.to_name,
                                       "installed": p.pair in installed}, ensure_ascii=False))
            return
        table = _table(f"argos packages at {index.index_url}", "From", "To", "Languages", "Version", "Installed")
        for p in packages:
            _row(table, p.from_code, p.to_code, f"{p.from_name} -> {p.to_name}", p.version,
                 "yes" if p.pair in installed else "")
        _console().print(table)
        _console().print(f"{len(packages)} packages; install with: relay translation install {packages[0].from_code}:"
                         f"{packages[0].to_code}" if packages else "the index offers no translation packages")

    @sub.command("install")
    def install_command(
        items: Optional[list[str]] = typer.Argument(
            None, help="Pairs from argos's index (en:fr en:ar) and/or package files (FILE.argosmodel)."),
        all_from: Optional[str] = typer.Option(None, "--all-from", help="Every index package from this language."),
        save: Optional[Path] = typer.Option(None, "--save", help="Keep a copy of each checked package here "
                                            "(carry them to an offline machine: relay translation install FILE)."),
        download_only: bool = typer.Option(False, "--download-only", help="Download and check, install nothing "
                                           "(with --save)."),
    ) -> None:
        """Check argos packages and install them; from the index, nothing is installed unless all pass."""
        if (reason := argos_missing()) is not None:
            raise _fail(reason)
        settings = get_settings()
        items = items or []
        files = [Path(i) for i in items if i.endswith(".argosmodel") or (":" not in i and Path(i).exists())]
        specs = [i for i in items if Path(i) not in files]
        if not files and not specs and all_from is None:
            raise _fail("name package files, pairs such as en:fr, or --all-from LANG")
        if download_only and save is None:
            raise _fail("--download-only needs --save DIR (where the checked packages are kept)")
        translator = ArgosTranslator(settings.argos_package_dir)
        try:
            for file in files:
                source, target = translator.install(file)
                typer.echo(f"installed argos package {source} -> {target} from {file.name}")
            if specs or all_from is not None:
                index = ArgosIndex(settings.argos_package_dir, settings.argos_index_url)
                packages = index.resolve(specs, all_from)
                with _progress() as progress:
                    task = progress.add_task("argos packages", total=len(packages) * (1 if download_only else 2))

                    steps = [0]

                    def step(what: str) -> None:  # called before each download and install
                        progress.advance(task, 1 if steps[0] else 0)
                        steps[0] += 1
                        progress.update(task, description=what)

                    done = install_from_index(index, packages, translator, save_to=save,
                                              download_only=download_only, step=step)
                    progress.update(task, completed=progress.tasks[0].total, description="done")
                verb = "checked and saved" if download_only else "installed"
                for source, target in done:
                    typer.echo(f"{verb} argos package {source} -> {target} from {index.index_url}")
                if save is not None:
                    typer.echo(f"packages saved in {save}")
        except TranslationError as exc:
            raise _fail(f"{exc}; nothing from the index was installed" if specs or all_from else str(exc)) from None

    @sub.command("rank")
    def rank_command(
        tsv: Path = typer.Option(..., "--tsv", help="Parallel text: a header row with columns source, translation."),
        source: str = typer.Option(..., "--from", help="Language of the source column."),
        target: str = typer.Option(..., "--to", help="Language of the translation column."),
        sample: int = typer.Option(200, "--sample", min=1, help="Rows to measure on (a seeded random sample)."),
        output: Optional[Path] = typer.Option(None, "--output", help="Ranking file; default [translation] ranking_file."),
        as_json: bool = typer.Option(False, "--json", help="The scores as one JSON object."),
    ) -> None:
        """Measure every engine serving a pair (chrF on a sample) and write their order to the ranking file."""
        settings = get_settings()
        path = output or settings.ranking_file
        if path is None:
            raise _fail("no ranking file: set [translation] ranking_file or pass --output FILE")
        try:
            sources, references = read_parallel_tsv(tsv, sample)
            chain = build_translator(settings.model_copy(update={"ranking_file": None}))
            pair = chain.normalize_pair(source, target)
            protector = build_protected(settings, chain).protector
            candidates = [(b.name, backend_engine_id(b, *pair), ChainTranslator([b]), True)
                          for b in chain.direct_backends(*pair)]
            pivot = chain.pivot_route(*pair)
            if pivot is not None:
                candidates.append((pivot.label, pivot.engine_id(), RouteTranslator(pivot), False))
            if not candidates:
                raise UnsupportedPair(*pair, chain.pairs())
            scores: list[EngineScore] = []
            with _progress() as progress:
                task = progress.add_task(f"ranking {pair[0]} -> {pair[1]}", total=len(candidates))
                for name, engine_id, inner, direct in candidates:
                    progress.update(task, description=f"{name}: {len(sources)} sentences")
                    scores.append(score(name, engine_id, ProtectingTranslator(inner, protector), sources,
                                        references, *pair, direct))
                    progress.advance(task)
            order = save_ranking(path, pair, scores, len(sources), {"tsv": str(tsv)})
        except (TranslationError, GlossaryError) as exc:
            raise _fail(str(exc)) from None
        if as_json:
            typer.echo(json.dumps({"pair": f"{pair[0]}-{pair[1]}", "order": order, "file": str(path),
                                   "sample": len(sources), "scores": [vars(s) for s in scores]}, ensure_ascii=False))
            return
        table = _table(f"{pair[0]} -> {pair[1]} on {len(sources)} sentences of {tsv.name}",
                       "Engine", "Route", "chrF", "Sentences/s", "Error")
        for s in scores:
            _row(table, s.engine, "direct" if s.direct else "pivot", "" if s.chrf is None else f"{s.chrf:.1f}",
                 "" if s.sentences_per_second is None else f"{s.sentences_per_second:.1f}", s.error or "")
        _console().print(table)
        _console().print(f"order for {pair[0]} -> {pair[1]} written to {path}: {', '.join(order) or 'none'}")
