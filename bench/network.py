"""What a relay network costs a broadcast: planning with N relay nodes (headers and ACK codes written in
the broadcast's transaction), and each escalation step over all of them. Prints figures; no pass/fail.

Usage: .venv/bin/python bench/network.py [--nodes 1000] [--members 20] [--postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0:1] = [str(ROOT)]  # bench/translation.py must not shadow the translation package

from sqlalchemy import create_engine, insert, text

from relay.networks import escalation
from relay.delivery import outbox
from relay.app.settings import load_settings
from relay.core.db import Database
from relay.core.models import Endpoint, Subscriber, SubscriberRegion
from relay.networks.models import RelayAck, RelayBackup, RelayNode
from relay.delivery.outbox import Audience, BroadcastRequest

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SENDERS = {"sms": [f"+1201555{n:04d}" for n in range(10)]}


def populate(database: Database, nodes: int, members: int) -> None:
    """Per node: the relay, one backup and `members` villagers, each with an SMS endpoint."""
    people, endpoints, regions, node_rows, backup_rows = [], [], [], [], []
    next_id = 1
    for n in range(nodes):
        village = f"north/v{n}"
        for role in ["relay", "backup"] + ["member"] * members:
            people.append({"id": next_id, "name": f"{role}{n}", "language": "en", "timezone": "UTC",
                           "tier": "contributor" if role != "member" else "observer"})
            endpoints.append({"subscriber_id": next_id, "channel": "sms", "address": f"+1303{next_id:07d}"})
            regions.append({"subscriber_id": next_id, "region": "north" if role == "relay" else village})
            next_id += 1
        relay_id = next_id - members - 2
        node_rows.append({"id": n + 1, "subscriber_id": relay_id, "community": f"Village {n}", "region": village,
                          "size": 300, "languages": ["en"]})
        backup_rows.append({"node_id": n + 1, "subscriber_id": relay_id + 1, "rank": 0})
    with database.sessions.begin() as session:
        for table, rows in ((Subscriber, people), (Endpoint, endpoints), (SubscriberRegion, regions),
                            (RelayNode, node_rows), (RelayBackup, backup_rows)):
            session.execute(insert(table), rows)


def measure(url: str, label: str, nodes: int, members: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, overrides={"data_dir": tmp, "database_url": url or f"sqlite:///{tmp}/n.db"})
        database = Database.open(settings, upgrade=True)
        populate(database, nodes, members)
        request = BroadcastRequest(kind="crisis", body="Flood warning: move to high ground.", source_language="en",
                                   sender="bench", severity="Severe", audience=Audience(regions=("north",)))
        start, cpu = time.perf_counter(), time.process_time()
        planned = outbox.plan_broadcast(database.sessions, request, senders=SENDERS, actor="bench")
        plan, plan_cpu = time.perf_counter() - start, time.process_time() - cpu
        with database.sessions() as session:
            asked_at = session.query(RelayAck.asked_at).first()[0]
        print(f"{label}: {nodes} relay nodes, {nodes * (members + 2):,} people")
        print(f"  plan (with {nodes} headers and ACK codes): {planned.deliveries} deliveries in {plan:.2f} s "
              f"(this process's CPU {plan_cpu:.2f} s)")
        delay = timedelta(minutes=settings.network.delay_minutes("Severe"))
        for step in (1, 2, 3):
            start, cpu = time.perf_counter(), time.process_time()
            with database.sessions.begin() as session:
                done = escalation.escalate_due(session, asked_at + step * delay, settings.network, SENDERS)
            elapsed, used = time.perf_counter() - start, time.process_time() - cpu
            print(f"  escalation step {escalation.STEPS[step]:9s}: {len(done)} nodes, "
                  f"{sum(s.reached for s in done):,} reached, in {elapsed:.2f} s, CPU {used:.2f} s "
                  f"({elapsed / max(1, len(done)) * 1000:.1f} ms/node)")
        database.engine.dispose()


def failover_sweep(url: str, label: str, people: int) -> None:
    """The steady cost of one failover round (every `failover.check_seconds`) over a big broadcast whose
    failures are on unranked endpoints: nothing to carry over, only the looking."""
    from sqlalchemy import update

    from relay.networks import failover
    from relay.core.models import Delivery

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, overrides={"data_dir": tmp, "database_url": url or f"sqlite:///{tmp}/f.db"})
        database = Database.open(settings, upgrade=True)
        with database.sessions.begin() as session:
            session.execute(insert(Subscriber), [{"id": i, "language": "en", "timezone": "UTC"} for i in range(1, people + 1)])
            session.execute(insert(Endpoint), [{"subscriber_id": i, "channel": "sms", "address": f"+1303{i:07d}"}
                                               for i in range(1, people + 1)])
        planned = outbox.plan_broadcast(database.sessions, BroadcastRequest(
            kind="crisis", body="x", source_language="en", sender="bench"), senders=SENDERS, actor="bench")
        with database.sessions.begin() as session:
            session.execute(update(Delivery).where(Delivery.id % 100 == 0).values(status="failed"))
            session.execute(update(Delivery).where(Delivery.id % 100 != 0).values(status="delivered"))
        times = []
        for _ in range(5):
            start = time.perf_counter()
            with database.sessions.begin() as session:
                failover.fail_over_due(session, datetime.now(timezone.utc), SENDERS)
            times.append(time.perf_counter() - start)
        print(f"{label}: one failover round over {planned.deliveries:,} deliveries ({planned.deliveries // 100:,} "
              f"failed, unranked): best {min(times) * 1000:.1f} ms, median {sorted(times)[2] * 1000:.1f} ms")
        database.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--failover-people", type=int, default=100_000)
    args = parser.parse_args()
    measure("", "SQLite", args.nodes, args.members)
    failover_sweep("", "SQLite", args.failover_people)
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            measure(f"{PG_URL}?options=-csearch_path%3D{schema}", "PostgreSQL", args.nodes, args.members)
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA {schema}"))
            failover_sweep(f"{PG_URL}?options=-csearch_path%3D{schema}", "PostgreSQL", args.failover_people)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
