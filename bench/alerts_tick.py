"""alerts/ figures on this machine: what one scheduler tick costs, idle and busy, and how fast CAP
documents are parsed and validated (and hostile ones refused). Prints figures; never passes or fails.

    .venv/bin/python bench/alerts_tick.py [--crises 200] [--people 2000] [--series 50]
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from options import options  # noqa: E402
from alerts import crisis, webinars  # noqa: E402
from alerts.cap_parse import CapError, parse  # noqa: E402
from alerts.config import alerts_settings  # noqa: E402
from alerts.sending import Sender  # noqa: E402
from alerts.tick import run_due  # noqa: E402
from relay.core import subscribers# noqa: E402
from relay.app.settings import load_settings  # noqa: E402
from relay.core.db import Database  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
ZONES = ["America/New_York", "Europe/Madrid", "Europe/Paris", "America/Port-au-Prince", "Africa/Nairobi"]
LANGS = ["en", "es", "fr", "ht", "sw"]


def setup(directory: Path, crises: int, people: int, series: int):
    contacts = {"party": [f"+1201555{i:04d}" for i in range(5)], "movement": [f"+1201555{i:04d}" for i in range(5, 10)],
                "network": [f"+1201555{i:04d}" for i in range(10, 15)]}
    settings = load_settings(None, overrides={"data_dir": str(directory / "data"),
                                              "alerts": {"crisis": {"contacts": contacts}}})
    db = Database.open(settings, upgrade=True)
    rows = "phone,language,timezone,regions,topics\n" + "".join(
        f"+1201555{i:04d},{LANGS[i % 5]},{ZONES[i % 5]},north,webinars\n" for i in range(people))
    with db.sessions.begin() as session:
        subscribers.import_csv(session, io.StringIO(rows), actor="bench", default_region=None, default_timezone="UTC")
    cfg = alerts_settings(settings)
    with db.sessions.begin() as session:
        for i in range(crises):
            crisis.activate(session, cfg, title=f"Crisis {i}", region="north", severity="Severe", actor="bench",
                            tier="coordinator", now=T0)
        for i in range(series):
            webinars.add_series(session, cfg, topic=f"Webinar {i}", rrule="FREQ=WEEKLY;COUNT=8",
                                first_start=datetime(2026, 3, 12, 18, 0), zone=ZONES[i % 5],
                                link="https://meet.example.org/w", actor="bench", now=T0,
                                audience={"topics": ["webinars"]} if i == 0 else {"regions": ["nowhere"]})
    return settings, db, cfg


def timed(fn, repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    args = options(__doc__, crises=200, people=2000, series=50)
    print(f"SQLite; contacts: 15 (5 per level, 5 time zones); {args.people} subscribers in 5 zones and 5 languages")
    with tempfile.TemporaryDirectory() as tmp:
        settings, db, cfg = setup(Path(tmp), args.crises, args.people, 0)
        sender = Sender(settings, db.sessions, translate=False)
        busy = timed(lambda: run_due(sender, cfg, T0 + timedelta(minutes=1)))[0]  # every activation notice
        idle = timed(lambda: run_due(sender, cfg, T0 + timedelta(hours=2)), repeat=5)
        reminders = timed(lambda: run_due(sender, cfg, T0 + timedelta(hours=18)))[0]
        db.close()
    print(f"  {args.crises} active crises: a tick firing every activation notice: {busy:.2f} s "
          f"({busy / args.crises * 1000:.0f} ms per event, one broadcast per contact zone: 5)")
    print(f"  the idle tick that follows (nothing due): median {statistics.median(idle) * 1000:.0f} ms")
    print(f"  a tick firing {args.crises} six-hour reminders: {reminders:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        settings, db, cfg = setup(Path(tmp), 0, args.people, args.series)
        sender = Sender(settings, db.sessions, translate=False)
        idle = timed(lambda: run_due(sender, cfg, T0 + timedelta(hours=2)), repeat=5)
        due = datetime(2026, 3, 9, 17, 0, tzinfo=timezone.utc)  # the first series' first notice (Europe/Madrid)
        notice = timed(lambda: run_due(sender, cfg, due))[0]
        db.close()
    print(f"  {args.series} weekly webinar series ({args.series * 8} sessions): idle tick median "
          f"{statistics.median(idle) * 1000:.0f} ms; the tick sending one notice to {args.people} people "
          f"(5 zones, 5 languages, 5 broadcasts): {notice:.2f} s")
    amber = (ROOT / "tests" / "data" / "cap" / "oasis-cap12-amber-alert-example.xml").read_bytes()
    n = 500
    took = sum(timed(lambda: parse(amber), repeat=n))
    print(f"CAP: the OASIS example parsed (defusedxml) and schema-validated (lxml): {n / took:.0f} documents/s")
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'.encode() for i in range(1, 10))
        + b"]><alert>&lol9;</alert>")

    def refuse() -> None:
        try:
            parse(laughs)
        except CapError:
            pass

    took = timed(refuse, repeat=100)
    print(f"CAP: billion laughs refused in median {statistics.median(took) * 1e6:.0f} us (nothing expanded)")


if __name__ == "__main__":
    main()
