"""Scale-out benchmark: prints figures, never passes or fails.

1. Time and peak memory to put a 1,000,000-subscriber broadcast into the outbox, on SQLite and on
   PostgreSQL (`bench/fanout.py`'s planning figure at a million).
2. Deliveries per second with 1, 2 and 4 `relay worker` processes sharing one PostgreSQL database, on a
   40-sender broadcast against the Twilio simulator (its own process, `relay sandbox`) with status
   callbacks to one `relay serve`: limits off (and the ratio to 1 worker), and limits on (achieved / the
   40 senders' combined limit). Rates come from the simulator's own timestamps of what it accepted.

3. Time and peak memory to plan a broadcast aimed at a polygon over 1,000,000 subscribers with points
   (relay/geo: the SQL bounding-box prefilter, then the exact shapely match of the plan hook), on SQLite
   and PostgreSQL. `--only-area` runs this section alone.

Usage: .venv/bin/python bench/scale.py [--plan 1000000] [--messages 6000] [--workers 1,2,4]
       .venv/bin/python bench/scale.py --only-area [--area-people 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from fanout import PG_URL, PeakRss, add_subscribers, free_port, planning  # noqa: E402
from relay.delivery import outbox# noqa: E402
from relay.app.settings import load_settings  # noqa: E402
from relay.core.db import Database  # noqa: E402
from relay.core.models import Delivery  # noqa: E402
from relay.delivery.outbox import BroadcastRequest  # noqa: E402
sys.path.append(str(ROOT / "tests"))  # the helpers it shares with the tests (`tests` itself names a site package)
from running import wait_http  # noqa: E402

RELAY = [sys.executable, "-m", "relay.app.cli"]
TOKEN = "scale" + "0" * 27
SENDERS = [f"+120155504{i:02d}" for i in range(40)]
BODY = "Shelter open at the school on Route 3 from 18:00; bring water and medicine."


def _config(root: Path, url: str, http_port: int, sim_port: int, rate: float) -> None:
    numbers = json.dumps(SENDERS)
    (root / "relay.toml").write_text(f"""
data_dir = "data"
database_url = "{url}"
[http]
port = {http_port}
[dispatcher]
max_in_flight = 200
rate_limits = {"true" if rate else "false"}
[sandbox]
sms_numbers = {numbers}
segments_per_second = {rate}
[sms]
account_sid = "AC{'5a' * 16}"
numbers = {numbers}
segments_per_second = {rate}
api_base_url = "http://127.0.0.1:{sim_port}"
""")


def run_workers(workers: int, messages: int, rate: float) -> tuple[float, float]:
    """(accepted by the provider per second, wall seconds to all delivered) for one configuration."""
    schema = f"scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    processes: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            url = f"{PG_URL}?options=-csearch_path%3D{schema}"
            http_port, sim_port = free_port(), free_port()
            _config(root, url, http_port, sim_port, rate)
            env = {**os.environ, "RELAY_SMS__AUTH_TOKEN": TOKEN, "RELAY_SANDBOX_AUTH_TOKEN": TOKEN,
                   "RELAY_CONFIG": str(root / "relay.toml")}
            settings = load_settings(root / "relay.toml", overrides={"sms": {"auth_token": TOKEN}})
            database = Database.open(settings, upgrade=True)
            add_subscribers(database, messages)

            def spawn(*args: str) -> subprocess.Popen:
                log = open(root / f"{args[0]}-{len(processes)}.log", "w")
                process = subprocess.Popen([*RELAY, *args], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
                processes.append(process)
                return process

            wait_http(f"http://127.0.0.1:{sim_port}/sandbox/stats", spawn("sandbox", "--port", str(sim_port)), timeout=60)
            wait_http(f"http://127.0.0.1:{http_port}/readyz", spawn("serve"), timeout=60)
            started = [spawn("worker") for _ in range(workers)]
            deadline = time.monotonic() + 120
            while sum("stop with" in (root / f"worker-{processes.index(w)}.log").read_text() for w in started) < workers:
                if time.monotonic() > deadline:
                    raise RuntimeError("workers did not start")
                time.sleep(0.2)
            time.sleep(settings.dispatcher.share_settle_seconds + 2.5)  # they have counted each other
            begin = time.perf_counter()
            planned = outbox.plan_broadcast(database.sessions, BroadcastRequest(
                kind="crisis", body=BODY, source_language="en", sender="bench"), senders={"sms": SENDERS},
                actor="bench")
            while True:
                with database.sessions() as session:
                    done = session.scalar(select(func.count()).where(Delivery.broadcast_id == planned.id,
                                                                     Delivery.status == "delivered"))
                if done >= messages:
                    break
                time.sleep(0.2)
            wall = time.perf_counter() - begin
            database.close()
            log = [json.loads(line) for line in (root / "data" / "sandbox" / "sms.jsonl").read_text().splitlines()]
            stamps = sorted(datetime.fromisoformat(m["at"])
                            for m in log if m.get("body", "").startswith(BODY[:20]))
            span = (stamps[-1] - stamps[0]).total_seconds()
            return (len(stamps) - 1) / span, wall
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


# -- 3. a polygon over a million subscribers --------------------------------------------------------

# Haiti's bounding box; the polygon is a quadrilateral round Port-au-Prince and the Ouest department.
HAITI = (18.0, -74.5, 20.1, -71.6)
POLYGON = "18.30,-72.80 18.35,-71.95 18.75,-71.90 18.80,-72.75 18.30,-72.80"


def add_points(database: Database, count: int, batch: int = 50_000) -> None:
    """A point for every subscriber, uniform over the box (not measured); 1 in 20 has none."""
    import random

    from relay.geo.models import GeoLocation

    rng = random.Random(18)
    lat_low, lon_low, lat_high, lon_high = HAITI
    now = datetime.now().astimezone()
    with database.engine.begin() as connection:
        for start in range(1, count + 1, batch):
            rows = [{"subscriber_id": i, "lat": rng.uniform(lat_low, lat_high), "lon": rng.uniform(lon_low, lon_high),
                     "source": "csv", "updated_at": now}
                    for i in range(start, min(count, start + batch - 1) + 1) if i % 20]
            connection.execute(GeoLocation.__table__.insert(), rows)
        if connection.dialect.name == "postgresql":  # what autovacuum does soon after a bulk load: without
            connection.execute(text("ANALYZE"))  # statistics the planner takes 1,000,000 rows for a few hundred


def area_figures(url: str, label: str, people: int) -> None:
    from relay.app import features
    from relay.geo.area import build

    features.install()  # the plan hooks and audience filters, as every relay process has them
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, overrides={"data_dir": tmp, "database_url": url})
        database = Database.open(settings, upgrade=True)
        add_subscribers(database, people)
        add_points(database, people)
        with PeakRss() as rss:
            start = time.perf_counter()
            area = build([("Ouest", POLYGON)], no_location="exclude")
            planned = outbox.plan_broadcast(database.sessions, BroadcastRequest(
                kind="crisis", body=BODY, source_language="en", sender="bench", extras={"geo": area.as_json()}),
                senders={"sms": SENDERS}, actor="bench")
            elapsed = time.perf_counter() - start
        with database.sessions() as session:
            from relay.geo.models import BroadcastArea

            counts = session.get(BroadcastArea, planned.id).counts
        database.engine.dispose()
    print(f"  {label:10s} {planned.deliveries:>7,} of {people:,} inside ({counts['outside_removed']:,} in the "
          f"bounding box but outside removed, {counts['no_location']:,} without a point left out) in "
          f"{elapsed:6.2f} s; peak RSS growth {rss.growth_mib:6.1f} MiB")


def area_planning(people: int, databases: str = "sqlite,postgresql") -> None:
    print(f"a broadcast aimed at a polygon, {people:,} subscribers with points (19 in 20):")
    if "sqlite" in databases:
        with tempfile.TemporaryDirectory() as tmp:
            area_figures(f"sqlite:///{tmp}/area.db", "SQLite", people)
    if "postgresql" not in databases:
        return
    schema = f"area_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        area_figures(f"{PG_URL}?options=-csearch_path%3D{schema}", "PostgreSQL", people)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only-area", action="store_true", help="only section 3: the polygon plan")
    parser.add_argument("--area-people", type=int, default=1_000_000)
    parser.add_argument("--area-databases", default="sqlite,postgresql")
    parser.add_argument("--plan", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--limited-rate", type=float, default=2.0, help="segments/s per sender with limits on")
    args = parser.parse_args()
    if args.only_area:
        area_planning(args.area_people, args.area_databases)
        return
    if args.plan:
        planning(args.plan)
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    if not counts:
        return
    print(f"\n{len(SENDERS)}-sender broadcast of {args.messages} messages, relay workers on PostgreSQL, limits off:")
    baseline = None
    for workers in counts:
        rate, wall = run_workers(workers, args.messages, 0.0)
        baseline = baseline or rate
        print(f"  {workers} worker(s): {rate:7.0f} msg/s accepted by the provider; all delivered in {wall:5.1f} s; "
              f"ratio to 1 worker {rate / baseline:.2f}")
    limit = len(SENDERS) * args.limited_rate
    messages = int(limit * 30)
    print(f"\nlimits on ({args.limited_rate:g} segments/s per sender, {limit:g} msg/s combined), {messages} messages:")
    for workers in counts:
        rate, wall = run_workers(workers, messages, args.limited_rate)
        print(f"  {workers} worker(s): {rate:6.1f} msg/s; utilisation {rate / limit:.3f}")
    print()
    area_planning(args.area_people)


if __name__ == "__main__":
    main()
