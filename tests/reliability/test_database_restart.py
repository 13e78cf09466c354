"""The database goes away mid-broadcast: every connection of the relay's processes to PostgreSQL is
terminated (`pg_terminate_backend`, what a PostgreSQL restart does to its clients) — twice in the fast
form, five times in the long one. Workers reconnect, leases are taken again, and nothing is lost.

A status callback that arrives while the database is unreachable is answered 500 and, as Twilio does,
not sent again. The worker holding that sender asks the simulator for the message's status a few seconds
later (`dispatcher.receipt_check_seconds`, relay/delivery/receipt_lookup.py), so no delivery stays `sent`."""

from __future__ import annotations

import json
import time

from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_URL
from tests.e2e.conftest import subscribers_csv
from tests.reliability.conftest import counted, soak

POOL = [f"+120155503{i:02d}" for i in range(6)]


def test_terminated_database_connections_lose_nothing(cluster):
    recipients, cuts = soak(1200, 10000), soak(2, 5)
    c = cluster(POOL, rate=30.0, max_in_flight=30)
    phones = subscribers_csv(c.root / "people.csv", recipients, prefix="+1201557")
    assert f"imported {recipients} new" in c.cli("subscribers", "import", "people.csv").stdout
    c.start_sandbox()
    c.start_serve()
    body = "Road closures: the coast road is shut, use the hill road."
    same_text = [arg for lang in ("es", "fr", "ht") for arg in ("--text", f"{lang}={body}")]
    broadcast_id = json.loads(c.cli("broadcast", "send", body, "--kind", "crisis", *same_text, "--json").stdout)["id"]
    workers = 2
    for _ in range(workers):
        c.start_worker()
    c.wait_sending(broadcast_id)
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    terminated = 0
    try:
        for _ in range(cuts):
            with admin.connect() as connection:
                terminated += len(connection.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": c.application_name}).all())
            time.sleep(2.0)
    finally:
        admin.dispose()
    report = c.wait_final(broadcast_id)
    received, missed, duplicates = counted(c, phones, body)
    print(f"\ndatabase cut {cuts}x ({terminated} connections terminated): recipients={recipients} "
          f"sent={sum(received.values())} delivered={report['by_status'].get('delivered', 0)} lost={len(missed)} "
          f"duplicated={duplicates} statuses={report['by_status']}")
    assert terminated > 0
    assert not missed
    assert duplicates <= cuts * workers * c.max_in_flight
    assert report["by_status"].get("pending", 0) == report["by_status"].get("sending", 0) == 0
    assert report["by_status"].get("sent", 0) == 0  # lost receipts were looked up
    assert all(w.poll() is None for w in c.workers)  # they rode it out; none crashed
