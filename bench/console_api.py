"""Console/API benchmark: prints figures, never passes or fails.

With N subscribers (default 10,000; en, es, fr, ht; half on SMS, half on Telegram) in SQLite, over real
HTTP on 127.0.0.1 against `relay run --sandbox` in this process (dispatcher off, so nothing is sent):

1. POST /api/broadcasts/preview, cold (the first Apertium translation) and warm (the translation memory
   answers), median of repeats: what a coordinator waits for between keystrokes;
2. GET /metrics (grouped counts over the deliveries table) after one broadcast to all of them;
3. GET /api/broadcasts/ID (the status page) for the same broadcast.

Usage: .venv/bin/python bench/console_api.py [--subscribers 10000] [--repeats 15]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from options import options  # noqa: E402
from relay.api import tokens# noqa: E402
from relay.app.settings import load_settings  # noqa: E402
from relay.core.models import Endpoint, Subscriber, SubscriberRegion  # noqa: E402
from relay.app.program import Program  # noqa: E402

LANGUAGES = ("en", "es", "fr", "ht")
BODY = "Flood warning for the coast: move to higher ground now. Shelter at the school on Main Street."


def seed(program: Program, count: int) -> str:
    with program.database.sessions.begin() as session:
        session.execute(insert(Subscriber), [{"id": i + 1, "name": f"p{i}", "language": LANGUAGES[i % 4],
                                              "tier": "coordinator" if i == 0 else "observer"} for i in range(count)])
        session.execute(insert(SubscriberRegion), [{"subscriber_id": i + 1, "region": "coast"} for i in range(count)])
        session.execute(insert(Endpoint), [
            {"subscriber_id": i + 1, "channel": "sms" if i % 2 else "telegram",
             "address": f"+1202{i:07d}" if i % 2 else str(100000 + i)} for i in range(count)])
        return tokens.create(session, subscriber_id=1, name="bench", actor="bench")[1]


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    args = options(__doc__, subscribers=10_000, repeats=15)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, overrides={"data_dir": tmp, "http": {"port": 0},
                                                  "translation": {"engines": ["apertium"]}})
        program = Program(settings, sandbox=True, upgrade=True, dispatch=False, background=False)
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(program.start(), loop).result(60)
        try:
            token = seed(program, args.subscribers)
            client = httpx.Client(base_url=program.settings.public_url, timeout=120,
                                  headers={"Authorization": f"Bearer {token}"})
            request = {"kind": "crisis", "severity": "Severe", "body": BODY, "audience": {"regions": ["coast"]}}
            cold = timed(lambda: client.post("/api/broadcasts/preview", json=request).raise_for_status(), 1)[0]
            warm = timed(lambda: client.post("/api/broadcasts/preview", json=request).raise_for_status(), args.repeats)
            preview = client.post("/api/broadcasts/preview", json=request).json()
            created = client.post("/api/broadcasts", json=request).json()
            metrics = timed(lambda: client.get("/metrics").raise_for_status(), args.repeats)
            status = timed(lambda: client.get(f"/api/broadcasts/{created['id']}").raise_for_status(), args.repeats)
            print(f"subscribers: {args.subscribers:,} ({', '.join(LANGUAGES)}; SMS and Telegram), SQLite")
            print(f"preview total {preview['total']:,}, {len(preview['languages'])} languages, "
                  f"{preview['cost']} {preview['currency']}, estimate {preview['estimated_seconds']} s")
            print(f"POST /api/broadcasts/preview: cold {cold:.0f} ms (first Apertium calls); "
                  f"warm median {statistics.median(warm):.1f} ms, max {max(warm):.1f} ms")
            print(f"POST /api/broadcasts ({created['deliveries']:,} deliveries) then GET /metrics: "
                  f"median {statistics.median(metrics):.1f} ms, max {max(metrics):.1f} ms")
            print(f"GET /api/broadcasts/ID (status, first 50 unreached): median {statistics.median(status):.1f} ms, "
                  f"max {max(status):.1f} ms")
        finally:
            asyncio.run_coroutine_threadsafe(program.stop(), loop).result(60)
            loop.call_soon_threadsafe(loop.stop)


if __name__ == "__main__":
    main()
