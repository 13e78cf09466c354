"""Fan-out benchmark: prints figures, never passes or fails.

1. Throughput with limits off: deliveries per second through the whole path (outbox -> dispatcher ->
   twilio client -> simulator -> status callback -> delivered) beside a raw aiohttp client posting the
   same requests to the same simulator (its callbacks going to a bare receiver), in the same run, at
   several provider answer times: 0 ms shows the CPU each side spends per message, 100 ms is about what
   api.twilio.com takes.
2. Utilisation of a 10-number pool at 1 segment/s with limits on: achieved / limit, and the 429s.
3. Time and peak memory to put a 100,000-subscriber broadcast into the outbox, on SQLite and PostgreSQL.

The simulator runs in its own process (`relay sandbox`) so that it does not share a core with the side
being measured. Usage: .venv/bin/python bench/fanout.py [--messages 5000] [--latency-ms 0,20,50,100] [--rounds 3]
[--pool-seconds 30] [--plan 100000] [--only throughput|utilisation|planning]
"""

from __future__ import annotations

import argparse
import base64
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import uvloop
import psutil
from aiohttp import web
from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relay.delivery import outbox, reach  # noqa: E402
from relay.app.settings import load_settings  # noqa: E402
from relay.core.db import Database  # noqa: E402
from relay.core.models import Endpoint, Subscriber  # noqa: E402
from relay.delivery.outbox import BroadcastRequest  # noqa: E402
from channels.sms_spec import SANDBOX_ACCOUNT_SID  # noqa: E402
from relay.app.program import Program  # noqa: E402

TOKEN = "bench" + "0" * 27
POOL = [f"+120155501{i:02d}" for i in range(10)]
BODY = "Flood warning: move to higher ground now. Shelter at the school on Route 3 from 18:00."
PG_URL = os.environ.get("RELAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(data_dir: Path, port: int, rate: float, relay_port: int, latency_ms: int = 0) -> subprocess.Popen:
    env = {**os.environ, "RELAY_SANDBOX_AUTH_TOKEN": TOKEN, "RELAY_DATA_DIR": str(data_dir),
           "RELAY_SANDBOX__SMS_NUMBERS": json.dumps(POOL), "RELAY_SANDBOX__SEGMENTS_PER_SECOND": str(rate),
           "RELAY_SANDBOX__LATENCY_MS": str(latency_ms), "RELAY_HTTP__PORT": str(relay_port)}
    process = subprocess.Popen([sys.executable, "-m", "relay.app.cli", "sandbox", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=data_dir)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("simulator did not start")


def add_subscribers(database: Database, count: int, batch: int = 20_000) -> None:
    """Bulk-load subscribers (not part of any measured figure)."""
    with database.engine.begin() as connection:
        start = connection.execute(text("SELECT COALESCE(MAX(id), 0) FROM subscribers")).scalar()
        for offset in range(0, count, batch):
            ids = range(start + offset + 1, start + min(count, offset + batch) + 1)
            now = datetime.now(timezone.utc)
            connection.execute(insert(Subscriber.__table__), [
                {"id": i, "language": "en", "timezone": "UTC", "tier": "observer", "consent_crisis": True,
                 "consent_webinar": True, "consent_notice": True, "created_at": now, "updated_at": now}
                for i in ids])
            connection.execute(insert(Endpoint.__table__), [
                {"id": i, "subscriber_id": i, "channel": "sms", "address": f"+1202{2000000 + i:07d}", "opted_out": False,
                 "unreachable": False, "created_at": now} for i in ids])
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT setval('subscribers_id_seq', (SELECT MAX(id) FROM subscribers))"))
            connection.execute(text("SELECT setval('endpoints_id_seq', (SELECT MAX(id) FROM endpoints))"))


# -- 1. throughput -----------------------------------------------------------------------------------


class CpuMeter:
    """CPU spent (all threads) by this process and by the simulator's process since `start()`: shows
    where the time goes when the provider answers at once and the run is bound by the two cores."""

    def __init__(self, sim_pid: int) -> None:
        self._sim = psutil.Process(sim_pid)

    def _now(self) -> tuple[float, float]:
        sim = self._sim.cpu_times()
        return time.process_time(), sim.user + sim.system

    def start(self) -> None:
        self._t0 = self._now()

    def per_message_ms(self, messages: int) -> tuple[float, float]:
        """(ours, the simulator's) CPU milliseconds per message."""
        ours, sim = self._now()
        return (ours - self._t0[0]) * 1000 / messages, (sim - self._t0[1]) * 1000 / messages


async def raw_baseline(sim_port: int, messages: int, meter: CpuMeter,
                       concurrency: int = 100) -> tuple[float, float, tuple[float, float]]:
    """(requests answered per second, messages whose `delivered` callback arrived per second, CPU ms per
    message of this process and of the simulator)."""
    delivered = 0
    done = asyncio.Event()

    async def receiver(request: web.Request) -> web.Response:
        nonlocal delivered
        form = await request.post()
        if form.get("MessageStatus") == "delivered":
            delivered += 1
            if delivered == messages:
                done.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/cb", receiver)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{sim_port}/2010-04-01/Accounts/{SANDBOX_ACCOUNT_SID}/Messages.json"
    auth = {"Authorization": "Basic " + base64.b64encode(f"{SANDBOX_ACCOUNT_SID}:{TOKEN}".encode()).decode()}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(messages):
        queue.put_nowait(i)

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            data = {"To": f"+1203{2000000 + i:07d}", "From": POOL[i % len(POOL)], "Body": BODY,
                    "StatusCallback": f"http://127.0.0.1:{port}/cb"}
            async with session.post(url, data=data, headers=auth) as response:
                await response.read()
                assert response.status == 201, response.status

    meter.start()
    start = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await asyncio.gather(*[worker(session) for _ in range(concurrency)])
    answered = time.perf_counter() - start
    await asyncio.wait_for(done.wait(), timeout=300)
    elapsed = time.perf_counter() - start
    cpu = meter.per_message_ms(messages)
    await runner.cleanup()
    return messages / answered, messages / elapsed, cpu


async def relay_path(tmp: Path, sim_port: int, relay_port: int, messages: int, rate_limits: bool,
                     senders: list[str], meter: CpuMeter) -> tuple[float, float, tuple[float, float], Program]:
    """(deliveries sent and recorded per second, deliveries `delivered` by callback per second, CPU ms per
    message of the relay's process and of the simulator, the running program)."""
    settings = load_settings(None, overrides={
        "data_dir": str(tmp), "http": {"port": relay_port},
        "dispatcher": {"rate_limits": rate_limits, "max_in_flight": 500, "concurrency": 100},
        "sms": {"account_sid": SANDBOX_ACCOUNT_SID, "auth_token": TOKEN, "numbers": senders,
                "segments_per_second": 1.0, "api_base_url": f"http://127.0.0.1:{sim_port}"},
    })
    program = Program(settings, upgrade=True)
    await program.start()
    add_subscribers(program.database, messages)
    planned = await asyncio.to_thread(outbox.plan_broadcast, program.database.sessions, BroadcastRequest(
        kind="crisis", body=BODY, source_language="en", sender="bench"), senders={"sms": senders}, actor="bench")
    meter.start()
    start = time.perf_counter()
    program.dispatcher.wake()
    # Until every send has been answered, watch the dispatcher's own counter (free); then the database,
    # often, for the moment the last outcome is recorded. Each look at the database costs the relay's
    # process a GROUP BY over the broadcast, so it is not done while the relay is still sending.
    while program.dispatcher.sent_count < messages and time.perf_counter() - start < 300:
        await asyncio.sleep(0.01)
    handed_over = None
    while True:
        report = await program.database.run(reach.report, planned.id)
        if handed_over is None and report.by_status.get("pending", 0) + report.by_status.get("sending", 0) == 0:
            handed_over = time.perf_counter() - start
        if report.by_status.get("delivered", 0) + report.by_status.get("failed", 0) >= messages:
            break
        await asyncio.sleep(0.02 if handed_over is None else 0.1)
    elapsed = time.perf_counter() - start
    return messages / handed_over, messages / elapsed, meter.per_message_ms(messages), program


async def one_round(messages: int, latency_ms: int) -> dict[str, tuple[float, ...]]:
    """One raw run and one relay run, each against a fresh simulator: for each side (per second to the
    201, per second to `delivered`, CPU ms per message of its own process, of the simulator)."""
    with tempfile.TemporaryDirectory() as raw_dir, tempfile.TemporaryDirectory() as relay_dir:
        relay_port = free_port()
        sim_port = free_port()
        sim = start_simulator(Path(raw_dir), sim_port, 0, relay_port, latency_ms)
        try:
            sent, delivered, cpu = await raw_baseline(sim_port, messages, CpuMeter(sim.pid))
            raw = (sent, delivered, *cpu)
        finally:
            sim.terminate()
            sim.wait()
        sim_port = free_port()
        sim = start_simulator(Path(relay_dir), sim_port, 0, relay_port, latency_ms)
        try:
            sent, delivered, cpu, program = await relay_path(
                Path(relay_dir), sim_port, relay_port, messages, False, POOL, CpuMeter(sim.pid))
            ours = (sent, delivered, *cpu)
            await program.stop()
        finally:
            sim.terminate()
            sim.wait()
    return {"raw": raw, "relay": ours}


async def throughput(messages: int, latencies: list[int], rounds: int) -> None:
    """Raw and relay alternate, `rounds` times per provider latency: this machine's speed drifts by tens
    of percent from minute to minute (a shared VM), so each ratio compares runs made seconds apart and
    the medians are printed beside the spread."""
    print(f"throughput, limits off, {messages} messages, 10 numbers, status callbacks on, 100 requests in "
          f"flight on both sides, {rounds} alternating rounds (median, min..max):")
    print("  provider  figure                            raw aiohttp              relay               ratio")
    cpu_rows = []
    for latency in latencies:
        results = [await one_round(messages, latency) for _ in range(rounds)]
        for label, i in (("to the provider's receipt (201)", 0), ("to the 'delivered' callback", 1)):
            raw = [r["raw"][i] for r in results]
            ours = [r["relay"][i] for r in results]
            ratios = [r["relay"][i] / r["raw"][i] for r in results]
            print(f"  {latency:4d} ms   {label:32s} {spread(raw):>20s} {spread(ours):>20s} {spread(ratios, '.2f'):>18s}")
        cpu_rows.append((latency, [statistics.median(r[side][j] for r in results)
                                   for side in ("raw", "relay") for j in (2, 3)]))
    print("  (relay: outbox -> dispatcher -> twilio client -> simulator -> outcome recorded, then the signed")
    print("   status callbacks verified and committed; goal: ratio >= 0.80 to the provider's receipt)")
    print("CPU per message, median, ms (two cores give 2,000 ms of CPU per second to share):")
    print("  provider   raw client   its simulator   relay process   its simulator")
    for latency, (raw_own, raw_sim, our_own, our_sim) in cpu_rows:
        print(f"  {latency:4d} ms   {raw_own:10.3f}   {raw_sim:13.3f}   {our_own:13.3f}   {our_sim:13.3f}")


def spread(values: list[float], fmt: str = ".0f") -> str:
    ordered = sorted(values)
    return f"{statistics.median(ordered):{fmt}} ({ordered[0]:{fmt}}..{ordered[-1]:{fmt}})"


# -- 2. pool utilisation ------------------------------------------------------------------------------


async def utilisation(seconds: int) -> None:
    messages = len(POOL) * seconds
    with tempfile.TemporaryDirectory() as relay_dir:
        relay_port, sim_port = free_port(), free_port()
        sim = start_simulator(Path(relay_dir), sim_port, 1.0, relay_port)
        try:
            _, _, _, program = await relay_path(Path(relay_dir), sim_port, relay_port, messages, True, POOL,
                                                CpuMeter(sim.pid))
            await program.stop()
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{sim_port}/sandbox/stats") as response:
                    stats = await response.json()
        finally:
            sim.terminate()
            sim.wait()
        log = [json.loads(line) for line in (Path(relay_dir) / "sandbox" / "sms.jsonl").read_text().splitlines()]
    per_number: dict[str, list[float]] = {}
    for m in log:
        per_number.setdefault(m["from"], []).append(datetime.fromisoformat(m["at"]).timestamp())
    # Each number's rate while it had work: (messages - 1) over the time from its first to its last.
    rates = {n: (len(t) - 1) / (max(t) - min(t)) for n, t in per_number.items() if len(t) > 1}
    pool_rate = sum(rates.values())
    times = sorted(t for ts in per_number.values() for t in ts)
    overall = (len(times) - len(per_number)) / (times[-1] - times[0])
    limit = len(POOL) * 1.0
    counts = sorted(len(t) for t in per_number.values())
    print(f"pool utilisation, {len(POOL)} numbers at 1 segment/s, {messages} single-segment messages:")
    print(f"  per number while it has work: {pool_rate:.2f} msg/s of {limit:.0f} -> {pool_rate / limit:.3f} "
          f"(min {min(rates.values()):.3f}) (goal >= 0.97)")
    print(f"  whole broadcast: {overall:.2f} msg/s -> {overall / limit:.3f}; messages per number "
          f"{counts[0]}..{counts[-1]}")
    print(f"  429 responses from the simulator: {stats.get('rate_limited', '?')} (goal 0)")


# -- 3. planning into the outbox ---------------------------------------------------------------------


class PeakRss:
    """The growth of this process's resident memory over a `with` block, sampled every 5 ms by a thread
    (planning's figure: the outbox must not hold a whole broadcast in memory)."""

    def __enter__(self) -> "PeakRss":
        self._process = psutil.Process()
        self.baseline = self.peak = self._process.memory_info().rss
        self._running = True
        self._sampler = threading.Thread(target=self._sample)
        self._sampler.start()
        return self

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc: object) -> None:
        self._running = False
        self._sampler.join()

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.baseline) / 2**20


def plan_figures(url: str, label: str, subscribers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, overrides={"data_dir": tmp, "database_url": url})
        database = Database.open(settings, upgrade=True)
        add_subscribers(database, subscribers)
        with PeakRss() as rss:
            start = time.perf_counter()
            planned = outbox.plan_broadcast(database.sessions, BroadcastRequest(
                kind="crisis", body=BODY, source_language="en", sender="bench"), senders={"sms": POOL}, actor="bench")
            elapsed = time.perf_counter() - start
        database.engine.dispose()
    print(f"  {label:10s} {planned.deliveries:>7} deliveries committed in {elapsed:6.2f} s "
          f"({planned.deliveries / elapsed:,.0f}/s); peak RSS growth {rss.growth_mib:6.1f} MiB")


def planning(subscribers: int) -> None:
    print(f"putting a {subscribers:,}-subscriber broadcast into the outbox:")
    with tempfile.TemporaryDirectory() as tmp:
        plan_figures(f"sqlite:///{tmp}/plan.db", "SQLite", subscribers)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:
        print(f"  PostgreSQL   unavailable: {exc}")
        return
    try:
        plan_figures(f"{PG_URL}?options=-csearch_path%3D{schema}", "PostgreSQL", subscribers)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--latency-ms", default="0,20,50,100",
                        help="provider answer times to measure throughput at, comma-separated (Twilio: ~100-300)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pool-seconds", type=int, default=30)
    parser.add_argument("--plan", type=int, default=100_000)
    parser.add_argument("--only", choices=["throughput", "utilisation", "planning"])
    args = parser.parse_args()
    run = uvloop.run  # `relay run` runs on uvloop too (relay/app/cli.py)
    if args.only in (None, "throughput"):
        run(throughput(args.messages, [int(v) for v in args.latency_ms.split(",")], args.rounds))
    if args.only in (None, "utilisation"):
        run(utilisation(args.pool_seconds))
    if args.only in (None, "planning"):
        planning(args.plan)


if __name__ == "__main__":
    main()
