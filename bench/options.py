"""The benches' command lines, said once: each option is a keyword with its default and takes the
default's type (`people=50_000` is `--people N`, an int; a None default takes text), so a bench writes
`args = options(__doc__, people=50_000, postgres=None)` instead of an argparse block. `--help` shows the
first line of the bench's docstring; the docstring's usage line says what each option is for."""

from __future__ import annotations

import argparse


def options(doc: str | None, **defaults: int | float | str | None) -> argparse.Namespace:
    """The command line parsed: one `--name` per keyword (an underscore written as a dash)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    for name, default in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=str if default is None else type(default),
                            default=default)
    return parser.parse_args()
