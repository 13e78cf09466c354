"""Sender leases: each sender (a phone number, a bot token) is driven by one process at a time, so a
provider's per-sender limit holds however many relay processes run.

Both kinds are released by the operating system or the database the moment the holder dies (no expiry
to wait out after a `kill -9`): on SQLite, whose processes share one host, an exclusive `flock` on a file
beside the database; on PostgreSQL a session advisory lock on a connection kept for the purpose.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import threading
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, text


class SenderLeases(Protocol):
    async def acquire(self, key: str) -> None:
        """Wait until this process holds the lease for `key`."""

    async def try_acquire(self, key: str) -> bool:
        """Take the lease if it is free; never wait."""

    def held(self, key: str) -> bool:
        """Whether the lease is still ours (the dispatcher stops claiming for a sender when it is not)."""

    def release_all(self) -> None: ...


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


class FileLeases:
    def __init__(self, directory: Path, poll_seconds: float = 0.5) -> None:
        self.directory = directory
        self.poll_seconds = poll_seconds
        self._handles: dict[str, int] = {}

    def _try(self, key: str) -> bool:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._handles[key] = fd
        return True

    async def acquire(self, key: str) -> None:
        while key not in self._handles and not self._try(key):
            await asyncio.sleep(self.poll_seconds)

    async def try_acquire(self, key: str) -> bool:
        return key in self._handles or self._try(key)

    def held(self, key: str) -> bool:
        return key in self._handles

    def release_all(self) -> None:
        for fd in self._handles.values():
            os.close(fd)  # closing the descriptor drops the flock
        self._handles.clear()


class PostgresLeases:
    """Session advisory locks, all held on one connection kept for the purpose.

    One connection, not one per lease: a worker driving 40 senders would otherwise hold 40 connections
    out of its pool (and exhaust it). If that connection dies, the database has released every lock on
    it, so every lease is dropped at once and taken again (by this process or another) from scratch.
    """

    def __init__(self, engine: Engine, poll_seconds: float = 1.0) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds
        self._connection = None
        self._namespace: str | None = None
        self._held: set[str] = set()
        self._lock = threading.Lock()  # the connection is used from worker threads, one at a time

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._held.clear()
        if connection is not None:
            try:
                # invalidate() closes the database session itself (a pooled close would keep the locks).
                connection.invalidate()
                connection.close()
            except Exception:
                pass

    def _try(self, key: str) -> bool:
        with self._lock:
            if key in self._held:
                return True
            try:
                if self._connection is None:
                    self._connection = self.engine.connect()
                    # Advisory locks are server-wide: the database and schema in the key keep two
                    # installations on one PostgreSQL server (or two test runs) from taking each
                    # other's senders.
                    self._namespace = self._connection.execute(
                        text("SELECT current_database() || '.' || current_schema()")).scalar()
                got = self._connection.execute(text("SELECT pg_try_advisory_lock(:id)"),
                                               {"id": _lock_id(f"{self._namespace}:{key}")}).scalar()
                self._connection.commit()
            except Exception:
                self._drop()
                raise
            if got:
                self._held.add(key)
            return bool(got)

    async def acquire(self, key: str) -> None:
        while not await self.try_acquire(key):
            await asyncio.sleep(self.poll_seconds)

    async def try_acquire(self, key: str) -> bool:
        return key in self._held or await asyncio.to_thread(self._try, key)

    def held(self, key: str) -> bool:
        return key in self._held

    def check(self) -> None:
        """Drop the leases if their connection died: the database released the locks, another process
        may own them now."""
        with self._lock:
            if self._connection is None:
                return
            try:
                self._connection.execute(text("SELECT 1"))
                self._connection.commit()
            except Exception:
                self._drop()

    def release_all(self) -> None:
        with self._lock:
            self._drop()


def leases_for(engine: Engine, data_dir: Path) -> SenderLeases:
    if engine.dialect.name == "postgresql":
        return PostgresLeases(engine)
    return FileLeases(data_dir / "locks")
