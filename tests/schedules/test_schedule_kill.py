"""A webinar notice scheduled for 09:00 local across three time zones, with the relay process killed
(SIGKILL) before the first send and again right after it: each recipient gets it once, at 09:00 their
time. Real processes (the relay's Program: Twilio simulator, dispatcher, the runner under its lease),
on a clock kept in a file that the test moves: no waiting for hours."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from relay.core import subscribers
from relay.core.db import Database
from relay.core.models import Delivery, Endpoint
from relay.delivery.outbox import Audience, BroadcastRequest
from relay.schedules import schedule as schedules
from relay.schedules.models import ScheduledSend
from tests.conftest import ROOT

SCRIPT = ROOT / "tests" / "schedules" / "relay_process.py"
PEOPLE = {"+81355550101": "Asia/Tokyo", "+33155550102": "Europe/Paris", "+12125550103": "America/New_York"}
BODY = "Webinar today: first aid for floods. Reply YES to join."


def _load_settings(data_dir: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location("relay_process", SCRIPT)  # by path: no `tests` shadowing
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.settings_for(data_dir)


def at_nine(zone: str, minute: int = 0, hour: int = 9) -> datetime:
    return datetime(2026, 12, 15, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


class Relay:
    def __init__(self, tmp: Path) -> None:
        self.tmp, self.data, self.clock = tmp, str(tmp / "data"), tmp / "clock"
        self.process: subprocess.Popen | None = None

    def set_clock(self, moment: datetime) -> None:
        part = self.clock.with_suffix(".new")
        part.write_text(moment.isoformat())
        part.replace(self.clock)  # atomic: the relay never reads half a time

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(SCRIPT), self.data, str(self.clock)], cwd=ROOT,
                                        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        assert line.strip() == "ready", f"the relay did not start (said {line!r})"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def texts(self) -> list[dict]:
        path = Path(self.data) / "sandbox" / "sms.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [m for m in map(json.loads, lines) if m["body"].startswith(BODY)]  # the verification line follows


def recorded(database) -> int:
    with database.sessions() as session:
        return len(session.scalars(select(Delivery.id).where(Delivery.sent_at.is_not(None))).all())


def wait_until(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout}s")


async def test_local_time_webinar_notice_across_three_zones_survives_kill_9(tmp_path):
    await asyncio.to_thread(_scenario, tmp_path)


def _scenario(tmp_path: Path) -> None:
    relay = Relay(tmp_path)
    relay.set_clock(at_nine("Asia/Tokyo", hour=5))  # 05:00 in Tokyo: nowhere is it 09:00 yet
    relay.start()
    try:
        database = Database.open(_load_settings(relay.data))
        rows = "".join(f"{phone},en,{zone},webinars\n" for phone, zone in PEOPLE.items())
        with database.sessions.begin() as session:
            subscribers.import_csv(session, io.StringIO("phone,language,timezone,topics\n" + rows), actor="test",
                                   default_region=None, default_timezone="UTC")
            request = BroadcastRequest(kind="webinar", body=BODY, source_language="en", sender="test",
                                       audience=Audience(topics=("webinars",)))
            schedule_id = schedules.create(session, request, at=None, local="2026-12-15T09:00", actor="test",
                                           now=at_nine("Asia/Tokyo", hour=5)).id
        time.sleep(1.0)  # the runner passes several times (every 0.2 s): nothing is due
        assert relay.texts() == []
        relay.kill()  # before the first send

        relay.start()
        relay.set_clock(at_nine("Asia/Tokyo"))
        wait_until(lambda: [m for m in relay.texts() if m["to"] == "+81355550101"])
        wait_until(lambda: recorded(database))
        # killed again once that send is recorded (a kill between the provider's answer and the record is
        # the dispatcher's own window, bounded by max_in_flight and tested in tests/reliability): the
        # zone's scheduled_sends row committed with its broadcast, so no later process plans it again
        relay.kill()

        relay.start()
        relay.set_clock(at_nine("Europe/Paris", minute=59, hour=8))
        time.sleep(1.0)
        assert [m["to"] for m in relay.texts()] == ["+81355550101"]  # Tokyo not again, Paris not yet
        relay.set_clock(at_nine("Europe/Paris"))
        wait_until(lambda: [m for m in relay.texts() if m["to"] == "+33155550102"])
        # The send's time is the (fake) clock when the dispatcher records it, a moment after the provider
        # answered: move the clock on only once Paris's send is recorded, as for Tokyo above.
        wait_until(lambda: recorded(database) >= 2)
        relay.set_clock(at_nine("America/New_York"))
        wait_until(lambda: [m for m in relay.texts() if m["to"] == "+12125550103"])

        def all_recorded():
            with database.sessions() as session:
                rows = session.execute(select(Endpoint.address, Delivery.sent_at)
                                       .join(Delivery, Delivery.endpoint_id == Endpoint.id)).all()
            return rows if len(rows) == 3 and all(sent for _, sent in rows) else None

        sent = dict(wait_until(all_recorded))
        time.sleep(0.6)  # a few more passes: nothing more goes out
        assert sorted(m["to"] for m in relay.texts()) == sorted(PEOPLE)  # each once
        for phone, zone in PEOPLE.items():
            assert sent[phone].astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") == "2026-12-15 09:00"
        with database.sessions() as session:
            zones = {s.zone: s.outcome for s in session.scalars(select(ScheduledSend)
                                                                 .where(ScheduledSend.schedule_id == schedule_id))}
        assert zones == {zone: "sent" for zone in PEOPLE.values()}
        database.close()
    finally:
        if relay.process is not None and relay.process.poll() is None:
            relay.kill()
