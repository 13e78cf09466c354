"""`kill -9` of a random worker every few seconds during a broadcast shared by several `relay worker`
processes on PostgreSQL: every recipient is reached, duplicates stay within the in-flight bound of the
workers killed, and nothing is lost. Fast form: 3,000 recipients, 3 workers, 4 kills; long form
(`make soak`): 20,000 recipients, 4 workers, 20 kills."""

from __future__ import annotations

import json
import random
import time

from tests.e2e.conftest import subscribers_csv
from tests.reliability.conftest import counted, soak

POOL = [f"+120155502{i:02d}" for i in range(8)]


def test_kill_9_of_random_workers_loses_no_one(cluster):
    recipients, workers, kills = soak(3000, 20000), soak(3, 4), soak(4, 20)
    c = cluster(POOL, rate=40.0, max_in_flight=40)  # 8 numbers x 40 segments/s: a broadcast of seconds
    phones = subscribers_csv(c.root / "people.csv", recipients)
    assert f"imported {recipients} new" in c.cli("subscribers", "import", "people.csv").stdout
    c.start_sandbox()
    c.start_serve()
    body = "Dam release at 14:00: leave the river banks now."
    broadcast_id = json.loads(c.cli("broadcast", "send", body, "--kind", "crisis", "--lang", "en",
                                    "--text", f"es={body}", "--text", f"fr={body}", "--text", f"ht={body}",
                                    "--json").stdout)["id"]
    for _ in range(workers):
        c.start_worker()
    c.wait_sending(broadcast_id)
    rng = random.Random(4636)
    done = 0
    while done < kills:
        time.sleep(rng.uniform(0.8, 2.0))
        victims = c.ready_workers()
        if not victims:
            continue
        c.kill_9(rng.choice(victims))
        c.start_worker()
        done += 1
    report = c.wait_final(broadcast_id)
    received, missed, duplicates = counted(c, phones, body)
    delivered = report["by_status"].get("delivered", 0)
    print(f"\nworkers={workers} kills={done} recipients={recipients} sent={sum(received.values())} "
          f"delivered={delivered} lost={len(missed)} duplicated={duplicates} (bound {done} x {c.max_in_flight})")
    assert not missed
    assert duplicates <= done * c.max_in_flight
    assert delivered == recipients and report["by_status"].get("failed", 0) == 0
