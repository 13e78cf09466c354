"""Several relay processes on one database: one scheduler leads (a lease), and even schedulers racing
on the same due event send it once (its alert_firings row commits with its broadcast)."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from alerts import crisis
from alerts.scheduler import AlertsScheduler
from alerts.sending import Sender
from alerts.tick import run_due
from relay.core.models import Broadcast
from tests.alerts.conftest import PEOPLE, T0, add_people


async def test_only_one_scheduler_leads_and_the_next_takes_over(alerts_db):
    settings, db = alerts_db
    program = SimpleNamespace(settings=settings, database=db)  # the two fields a service reads
    first, second = AlertsScheduler(settings, clock=lambda: T0), AlertsScheduler(settings, clock=lambda: T0)
    await first.start(program)
    await asyncio.wait_for(first.leader.wait(), 10)
    await second.start(program)
    await asyncio.sleep(0)  # let the second try its lease
    try:
        assert not second.leader.is_set() and second.scheduler is None
        await first.stop()  # the leader goes away: its lease is released, the other takes over
        await asyncio.wait_for(second.leader.wait(), 10)
        assert second.scheduler is not None
    finally:
        await first.stop()
        await second.stop()


def test_schedulers_racing_on_the_same_events_send_each_once(alerts_db, cfg):
    settings, db = alerts_db
    add_people(db, PEOPLE)
    with db.sessions.begin() as session:
        crisis.activate(session, cfg, title="Flooding", region="north", severity="Severe", actor="t",
                        tier="coordinator", now=T0)
    now = T0 + timedelta(hours=24, minutes=5)  # the activation notice and the first escalation are due
    results, errors = [], []
    barrier = threading.Barrier(4)

    def race() -> None:
        sender = Sender(settings, db.sessions, translate=False)
        barrier.wait()
        try:
            results.append(run_due(sender, cfg, now))
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and len(results) == 4
    sent = [key for result in results for key in result.sent]
    assert len(sent) == len(set(sent)) and set(sent) >= {"crisis:1:activated", "crisis:1:response:escalate:movement"}
    with db.sessions() as session:
        broadcasts = session.scalar(select(func.count()).select_from(Broadcast))
    # one broadcast per time zone of each level's contacts: activation (1 zone) + escalation (2 zones)
    assert broadcasts == 3


async def test_a_scheduler_in_another_process_holds_the_lease_until_it_dies(alerts_db, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from relay.core.leases import leases_for
    from alerts.scheduler import LEASE_KEY
    from tests.conftest import ROOT

    settings, db = alerts_db
    other = subprocess.Popen([sys.executable, str(ROOT / "tests" / "alerts" / "scheduler_process.py"),
                              settings.resolved_database_url, str(settings.data_dir)],
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    try:
        line = await asyncio.wait_for(asyncio.to_thread(other.stdout.readline), 60)
        assert line.strip() == "leading"
        probe = leases_for(db.engine, settings.data_dir)
        assert not probe._try(LEASE_KEY)  # held by the other process: this one may not lead
        program = SimpleNamespace(settings=settings, database=db)
        here = AlertsScheduler(settings, clock=lambda: T0)
        await here.start(program)
        try:
            other.send_signal(signal.SIGKILL)  # the leader dies without a word
            other.wait(30)
            await asyncio.wait_for(here.leader.wait(), 30)  # the OS / the database released its lock
        finally:
            await here.stop()
    finally:
        if other.poll() is None:
            other.kill()
            other.wait(30)
