"""The purge as `relay run` runs it: built only when [retention] is set, one process at a time under the
lease "privacy.retention" (a second one waits), passes on its own interval."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from relay.app import features
from relay.core.models import Delivery
from relay.privacy.service import RetentionService
from tests.privacy.support import T0, broadcast, finish_all, open_database
from tests.relay.conftest import wait_for


def test_the_service_is_built_only_when_a_retention_period_is_set(tmp_path):
    off, database = open_database(tmp_path / "off", f"sqlite:///{tmp_path / 'off.db'}")
    database.close()
    on, database = open_database(tmp_path / "on", f"sqlite:///{tmp_path / 'on.db'}", retention={"deliveries_days": 30})
    database.close()
    assert not any(isinstance(s, RetentionService) for s in features.services(off))
    assert [s.cfg.deliveries_days for s in features.services(on) if isinstance(s, RetentionService)] == [30]


async def test_one_process_purges_under_the_lease(tmp_path, database_url):
    settings, database = open_database(tmp_path, database_url, retention={"deliveries_days": 90, "interval_minutes": 0.01})
    broadcast(database, "notice", "Clinic open on Saturday")
    assert finish_all(database, T0 + timedelta(minutes=1)) == 2
    program = SimpleNamespace(database=database, settings=settings)
    first = RetentionService(settings.retention, clock=lambda: T0 + timedelta(days=91))
    second = RetentionService(settings.retention, clock=lambda: T0 + timedelta(days=91))
    try:
        await first.start(program)
        await asyncio.wait_for(first.leader.wait(), 30)
        await second.start(program)
        await wait_for(lambda: first.passes >= 2)

        def remaining() -> int:
            with database.sessions() as session:
                return session.scalar(select(func.count()).select_from(Delivery))

        assert remaining() == 0 and first.last == {"deliveries": 0, "inbound_bodies": 0, "reports": 0}
        assert not second.leader.is_set() and second.passes == 0  # waits for the lease
        await first.stop()
        await asyncio.wait_for(second.leader.wait(), 30)  # takes over when the first lets go
    finally:
        await first.stop()
        await second.stop()
        database.close()
