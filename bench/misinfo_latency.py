"""The screening's cost with a big catalogue: 100,000 claims in the database, each message screened the
way the bridges screen it (a database worker thread, off the event loop) while /healthz is polled on the
event loop every 20 ms. Part of bench/misinfo_eval.py.

The catalogue: the real claims of the written set and CrossFake, then claim texts cut from real crisis messages (windows of
6 to 16 words) for MinHash. Their vectors: embedding 100,000 texts takes a quarter of an hour here, so the
extra claims carry real message vectors of those sets with a little noise (renormalised), which costs the matrix
product exactly what real ones cost and keeps the cosines in E5's band. Said in the printout.
"""

from __future__ import annotations

import asyncio
import csv
import random
import resource
import statistics
import time
from pathlib import Path

import numpy as np

import misinfo_sets
from relay.core.db import Database
from relay.integrity import claim_vectors, screening
from relay.integrity import embeddings as vectors_of
from relay.integrity import text as texts
from relay.integrity.embedding_cache import embed_cached
from relay.integrity.models import Claim

CRISIS = misinfo_sets.ROOT.parent / "shared" / "testdata" / "crisis-sms"


def crisis_texts() -> list[str]:
    found: list[str] = []
    for name, column in (("disaster_response_messages_direct.csv", "message"),
                         ("crisislex_t26_labeled_tweets_sample.csv", "tweet_text")):
        path = CRISIS / name
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                found.extend(" ".join(r[column].split()) for r in csv.DictReader(handle) if r[column])
    return found


def synthetic(count: int, sources: list[str], seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    made = []
    for number in range(count):
        words = rng.choice(sources).split()
        length = rng.randint(6, 16)
        start = rng.randint(0, max(0, len(words) - length))
        made.append(" ".join(words[start:start + length]) + f" ({number})")
    return made


def fill_catalogue(database: Database, settings, count: int, cache: Path) -> tuple[float, int]:
    model = vectors_of.embedder(settings.integrity)
    real = [c["text"] for name in ("written", "crossfake") for c in getattr(misinfo_sets, name)().claims]
    real = list(dict.fromkeys(t for t in real if t.strip()))
    real_vectors = claim_vectors.embed_claims(model, real)
    pool = embed_cached(model, [m.text for name in ("written", "crossfake") for m in getattr(misinfo_sets, name)().messages],
                        "query", cache)
    rng = np.random.default_rng(3)
    extra = synthetic(count - len(real), crisis_texts() or real)
    begin = time.perf_counter()
    with database.sessions.begin() as session:
        rows = []
        for number, text in enumerate(real + extra):
            if number < len(real):
                vector = real_vectors[number]
            else:
                vector = pool[number % len(pool)] + rng.normal(0, 0.01, model.dimension).astype(np.float32)
                vector = vector / np.linalg.norm(vector)
            normalised = texts.normalise(text)
            rows.append({"text": text, "language": "en", "pivot_text": normalised,
                         "text_hash": texts.text_hash("en", normalised + f"#{number}"), "verdict": "false",
                         "added_by": "bench", "retired": False,
                         "signature": texts.to_bytes(texts.minhash(normalised, settings.integrity.num_perm)),
                         "embedding": vectors_of.to_bytes(vector), "embedding_model": model.model_id})
            if len(rows) == 5000:
                session.execute(Claim.__table__.insert(), rows)
                rows = []
        if rows:
            session.execute(Claim.__table__.insert(), rows)
    return time.perf_counter() - begin, len(real)


async def _poll(url: str, stop: asyncio.Event, timings: list[float], failures: list[str]) -> None:
    import httpx

    async with httpx.AsyncClient(timeout=2.0) as client:
        while not stop.is_set():
            begin = time.perf_counter()
            try:
                answer = await client.get(url)
                if answer.status_code != 200:
                    failures.append(str(answer.status_code))
            except httpx.HTTPError as exc:
                failures.append(type(exc).__name__)
            timings.append((time.perf_counter() - begin) * 1000)
            await asyncio.sleep(0.02)


async def _screen_all(database: Database, settings, messages: list, timings: list[float]) -> None:
    for message in messages:
        def work(session, text=message.text, language=message.language):
            begin = time.perf_counter()
            screening.screen(session, text=text, language=language, channel="telegram", sender="bench",
                             origin="bench:1", settings=settings)
            return (time.perf_counter() - begin) * 1000
        timings.append(await database.run(work))


async def _measure(database: Database, settings, messages: list) -> tuple[list[float], list[float], list[str]]:
    from relay.app import web

    app = web.create_app(settings, database)
    sock = web.bind("127.0.0.1", 0)
    server = await web.serve(app, sock)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/healthz"
    stop, health, failures, spent = asyncio.Event(), [], [], []
    poller = asyncio.create_task(_poll(url, stop, health, failures))
    try:
        await _screen_all(database, settings, messages, spent)
    finally:
        stop.set()
        await poller
        server.should_exit = True
        await server.task  # type: ignore[attr-defined]
        await web.close(app)
    return spent, health, failures


def percentile(values: list[float], p: float) -> float:
    """The value below which a share `p` of `values` lies (nearest rank; the benches' p50 and p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def run(tmp: Path, settings, count: int, message_count: int, cache: Path) -> None:
    url = f"sqlite:///{tmp / 'latency.db'}"
    settings = settings.model_copy(update={"database_url": url})
    database = Database.open(settings, upgrade=True)
    filled, real = fill_catalogue(database, settings, count, cache)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    begin = time.perf_counter()
    with database.sessions() as session:
        found = screening.indexes(session, settings)
    loaded = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"\nlatency with {len(found.claims):,} claims ({real} real dev-set claims + synthetic; rows written in "
          f"{filled:.0f} s): index load {loaded:.1f} s (MinHash LSH + vector matrix {found.vectors.memory_bytes() / 2**20:.0f} MB, "
          f"peak RSS +{(after - before) / 1024:.0f} MB)")
    pool = [m for name in ("written", "crossfake") for m in getattr(misinfo_sets, name)().messages]
    messages = random.Random(5).sample(pool, min(message_count, len(pool)))
    spent, health, failures = asyncio.run(_measure(database, settings, messages))
    print(f"  whole screening per message (language, pivot translation, embedding, MinHash, 100k-row cosine, "
          f"rumour model, database writes), {len(spent)} messages on a database thread: p50 {percentile(spent, 0.5):.1f} ms, "
          f"p95 {percentile(spent, 0.95):.1f} ms, max {max(spent):.1f} ms")
    print(f"  /healthz meanwhile: {len(health)} requests, p50 {percentile(health, 0.5):.1f} ms, p95 {percentile(health, 0.95):.1f} ms, "
          f"max {max(health):.1f} ms, failures {len(failures)}")
    model = vectors_of.embedder(settings.integrity)
    vector = claim_vectors.embed_messages(model, ["warm"])[0]
    parts = []
    for _ in range(50):
        t0 = time.perf_counter()
        found.vectors.nearest(vector)
        parts.append((time.perf_counter() - t0) * 1000)
    embed = []
    for message in messages[:50]:
        t0 = time.perf_counter()
        claim_vectors.embed_messages(model, [message.text])
        embed.append((time.perf_counter() - t0) * 1000)
    print(f"  parts: cosine over the 100k matrix + top-8 p50 {statistics.median(parts):.1f} ms; embedding one "
          f"message p50 {statistics.median(embed):.1f} ms, p95 {percentile(embed, 0.95):.1f} ms")
    database.close()
