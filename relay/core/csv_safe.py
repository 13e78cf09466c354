"""CSV files the relay writes, safe to open in a spreadsheet.

Citizens write the texts that end up in exports; a cell starting with `=`, `+`, `-`, `@` (or `|`, `%`)
is run as a formula by Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)` beside a sender's number
in `relay reports export --reveal`). defusedcsv prefixes such cells with `'`, the OWASP rule; it leaves
out the tab and carriage return that OWASP also names, so those get the same prefix here. Every CSV
writer of the relay goes through `dict_writer`.
"""

from __future__ import annotations

from typing import IO, Any, Iterable, Mapping

from defusedcsv import csv as defused

_ALSO = ("\t", "\r")  # OWASP's list beyond defusedcsv's


def neutral(value: Any) -> Any:
    """The cell as written: a text that a spreadsheet would run starts with `'` instead."""
    if isinstance(value, str) and value.startswith(_ALSO):
        return "'" + value
    return value


class SafeDictWriter:
    """`csv.DictWriter` whose cells cannot start a formula (defusedcsv's rule plus tab and CR)."""

    def __init__(self, handle: IO[str], fieldnames: Iterable[str]) -> None:
        self._writer = defused.DictWriter(handle, fieldnames=list(fieldnames))

    def writeheader(self) -> None:
        self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow({key: neutral(value) for key, value in row.items()})


def dict_writer(handle: IO[str], fieldnames: Iterable[str]) -> SafeDictWriter:
    return SafeDictWriter(handle, fieldnames)
