"""Citizen-report intake cost: what the SMS webhook does for a message that is no command (language
detection, the duplicate check against open reports, the report row, the acknowledgement), measured
through `inbound.handle` on SQLite (one transaction per message, as the webhook commits it), then the
report service's pass that triages and routes them.

    .venv/bin/python bench/report_intake.py [--messages 2000] [--database-url postgresql+psycopg://...]

Input: the real Haiti 2010 SMS (`original` column) of the shared Mission 4636 file, each from its own
number (the duplicate check compares every new text with up to 1,000 recent open reports).
Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from channels.base import Inbound  # noqa: E402
from relay.inbound import handling as inbound# noqa: E402
from relay.reports import service as report_service
from relay.app.settings import load_settings  # noqa: E402
from relay.core.db import Database  # noqa: E402
from relay.reports.models import Report  # noqa: E402
from relay.reports.triage.train import DEFAULT_DATA  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="e.g. a PostgreSQL URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    with DEFAULT_DATA.open(newline="", encoding="utf-8") as handle:
        texts = [r["original"] for r in csv.DictReader(handle) if r["event"] == "haiti_earthquake"]
    data = Path(tempfile.mkdtemp())
    settings = load_settings(None, overrides={
        "data_dir": str(data), **({"database_url": args.database_url} if args.database_url else {}), "reports": {"routes": {"water": ["telegram:-1"], "food": ["telegram:-1"]},
                                           "default_rooms": ["telegram:-2"]}})
    database = Database.open(settings, upgrade=True)
    timings = []
    started = time.perf_counter()
    for i in range(args.messages):
        text = texts[i % len(texts)] + ("" if i < len(texts) else f" ({i})")
        message = Inbound("sms", f"SM{i:032d}", f"+509{30000000 + i}", "+12015550100", text,
                          datetime.now(timezone.utc))
        t0 = time.perf_counter()
        with database.sessions.begin() as session:
            inbound.handle(session, message, settings)
        timings.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    with database.sessions() as session:
        stored = session.query(Report).count()
        linked = session.query(Report).filter(Report.status == "linked").count()
    first, last = timings[:200], timings[-200:]
    where = "PostgreSQL" if args.database_url else "SQLite"
    print(f"intake of {args.messages} real Haiti SMS through inbound.handle on {where}, one commit each:")
    print(f"  {args.messages / elapsed:,.0f} reports/s; per message p50 {statistics.median(timings):.2f} ms, "
          f"p95 {sorted(timings)[int(len(timings) * 0.95)]:.2f} ms")
    print(f"  first 200 (few open reports) p50 {statistics.median(first):.2f} ms; last 200 (1,000 open reports "
          f"compared) p50 {statistics.median(last):.2f} ms")
    print(f"  {stored} reports stored, {linked} linked as near-duplicates of an earlier one")
    # Routing: the service's pass with every report already in English (the translator path is chat).
    with database.sessions.begin() as session:
        for report in session.query(Report).filter(Report.status == "received"):
            report.language = "en"
    passes, routed, t0 = 0, 0, time.perf_counter()
    while True:
        with database.sessions.begin() as session:
            outcome = report_service.step(session, settings, datetime.now(timezone.utc) + timedelta(seconds=1))
        if not outcome.get("routed"):
            break
        passes, routed = passes + 1, routed + outcome["routed"]
    elapsed = time.perf_counter() - t0
    print(f"triage + routing: {routed} reports in {passes} passes, {routed / elapsed:,.0f} reports/s "
          f"({elapsed * 1000 / max(routed, 1):.2f} ms each, digests and audit rows included)")
    database.close()


if __name__ == "__main__":
    main()
