"""The retention purge on this machine: how fast final delivery rows are folded into tallies and deleted,
and how fast old inbound bodies are blanked, on SQLite (and PostgreSQL with --postgres URL). Prints
figures; never passes or fails. The counts of every broadcast are compared before and after. The
PostgreSQL URL names an empty database or schema.

    .venv/bin/python bench/retention_purge.py [--people 50000] [--broadcasts 4] [--batch 1000] [--postgres URL]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from options import options  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from relay.app import features  # noqa: E402
from relay.app.settings import load_settings  # noqa: E402
from relay.core.db import Database  # noqa: E402
from relay.core.models import Broadcast, Delivery, Endpoint, InboundMessage, Subscriber  # noqa: E402
from relay.delivery import reach  # noqa: E402
from relay.privacy import purge  # noqa: E402
from relay.privacy.settings import RetentionSettings  # noqa: E402

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
STATUSES = ("delivered", "delivered", "delivered", "failed", "expired")


def load(db: Database, people: int, broadcasts: int) -> list[int]:
    """People, broadcasts and one final delivery row per person and broadcast, bulk-inserted (setup)."""
    ids = []
    with db.engine.begin() as connection:
        connection.execute(insert(Subscriber.__table__), [
            {"id": i, "language": "en", "timezone": "UTC", "tier": "observer", "consent_crisis": True,
             "consent_webinar": True, "consent_notice": True, "created_at": T0, "updated_at": T0}
            for i in range(1, people + 1)])
        connection.execute(insert(Endpoint.__table__), [
            {"id": i, "subscriber_id": i, "channel": "sms", "address": f"+1202{i:07d}", "opted_out": False,
             "unreachable": False, "created_at": T0} for i in range(1, people + 1)])
        for b in range(broadcasts):
            ids.append(connection.execute(insert(Broadcast.__table__).values(
                kind="crisis", source_language="en", body=f"Alert {b}", audience={}, sender="bench", priority=0,
                status="queued", created_at=T0, severity="Severe", urgency="Unknown", certainty="Unknown")
            ).inserted_primary_key[0])
        for b in ids:
            connection.execute(insert(Delivery.__table__), [
                {"broadcast_id": b, "endpoint_id": i, "channel": "sms", "sender": "+12015550100",
                 "language": ["en", "es", "fr", "ht"][i % 4], "priority": 0, "status": STATUSES[i % 5],
                 "attempts": 1, "next_attempt_at": T0, "sent_at": T0, "finished_at": T0} for i in range(1, people + 1)])
        connection.execute(insert(InboundMessage.__table__), [
            {"channel": "sms", "provider_message_id": f"SM{i:030d}", "sender": f"+1202{i:07d}",
             "recipient": "+12015550100", "text": "water is rising near the school", "received_at": T0}
            for i in range(1, people + 1)])
    return ids


def main() -> None:
    args = options(__doc__, people=50_000, broadcasts=4, batch=1000, postgres=None)
    features.install()
    with tempfile.TemporaryDirectory() as directory:
        overrides = {"data_dir": str(Path(directory) / "data")}
        if args.postgres:
            overrides["database_url"] = args.postgres
        db = Database.open(load_settings(None, overrides=overrides), upgrade=True)
        ids = load(db, args.people, args.broadcasts)
        with db.sessions() as session:
            before = {i: reach.report(session, i).as_json() for i in ids}
        policy = RetentionSettings(deliveries_days=90, inbound_bodies_days=90, batch_size=args.batch)
        now = T0 + timedelta(days=91)
        started = time.perf_counter()
        with db.sessions() as session:
            plan = purge.plan(session, policy, now)
        planned = time.perf_counter() - started
        started = time.perf_counter()
        done = purge.purge(db.sessions, policy, now, actor="bench")
        took = time.perf_counter() - started
        with db.sessions() as session:
            after = {i: reach.report(session, i).as_json() for i in ids}
            left = session.scalar(select(Delivery.id).limit(1))
        db.close()
    rows = done["deliveries"] + done["inbound_bodies"]
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; batch {args.batch}")
    print(f"status (counting what would go): {planned * 1000:.0f} ms for {sum(plan.counts.values()):,} rows")
    print(f"purge: {done['deliveries']:,} deliveries folded and deleted, {done['inbound_bodies']:,} inbound bodies "
          f"blanked in {took:.1f} s ({rows / took:,.0f} rows/s)")
    print(f"broadcast counts unchanged: {after == before}; delivery rows left: {0 if left is None else 'some'}")


if __name__ == "__main__":
    main()
