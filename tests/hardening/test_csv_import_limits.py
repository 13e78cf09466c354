"""A CSV import with a cell longer than its column is a row error naming the cell, on SQLite and on
PostgreSQL (where it used to abort the whole import with a database error); the other rows are kept.
Found by bench/hostile.py's CSV door (64 KB of hostile cells)."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from relay.core import subscribers
from relay.core.db import Database
from relay.core.models import Subscriber


def test_too_long_cells_are_row_errors_and_the_rest_is_imported(settings):
    db = Database.open(settings, upgrade=True)
    try:
        rows = ("name,phone,language,regions\n"
                f"{'a-' * 32_000},+12015550301,en,north\n"
                f"Ana,+12015550302,en,{'Extreme north central Tuolumne county and the Alpine slopes ' * 3}\n"
                "Ben,+12015550303,en,north\n")
        with db.sessions.begin() as session:
            report = subscribers.import_csv(session, io.StringIO(rows), actor="test", default_region=None,
                                            default_timezone="UTC")
        assert [line for line, _ in report.errors] == [2, 3]
        assert "name is 64000 characters; at most 200" in report.errors[0][1]
        assert "region" in report.errors[1][1] and "at most 100" in report.errors[1][1]
        with db.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Subscriber)) == 1
    finally:
        db.close()
