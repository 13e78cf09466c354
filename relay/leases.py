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
    def __init__(self, engine: Engine, poll_seconds: float = 1.0) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds
        self._connections: dict[str, object] = {}

    def _try(self, key: str) -> bool:
        connection = self.engine.connect()
        try:
            # Advisory locks are server-wide: the database and schema in the key keep two installations
            # on one PostgreSQL server (or two test runs) from taking each other's senders.
            where = connection.execute(text("SELECT current_database() || '.' || current_schema()")).scalar()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:id)"),
                                     {"id": _lock_id(f"{where}:{key}")}).scalar()
            connection.commit()
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connections[key] = connection
        return True

    async def acquire(self, key: str) -> None:
        while key not in self._connections:
            if await asyncio.to_thread(self._try, key):
                return
            await asyncio.sleep(self.poll_seconds)

    async def try_acquire(self, key: str) -> bool:
        return key in self._connections or await asyncio.to_thread(self._try, key)

    def held(self, key: str) -> bool:
        return key in self._connections

    def check(self) -> None:
        """Drop leases whose connection died: the database released the lock, another process may own it."""
        for key, connection in list(self._connections.items()):
            try:
                connection.execute(text("SELECT 1"))  # type: ignore[attr-defined]
                connection.commit()  # type: ignore[attr-defined]
            except Exception:
                self._connections.pop(key, None)

    def release_all(self) -> None:
        for connection in self._connections.values():
            try:
                # invalidate() closes the database session itself (a pooled close would keep the lock).
                connection.invalidate()  # type: ignore[attr-defined]
                connection.close()  # type: ignore[attr-defined]
            except Exception:
                pass
        self._connections.clear()


def leases_for(engine: Engine, data_dir: Path) -> SenderLeases:
    if engine.dialect.name == "postgresql":
        return PostgresLeases(engine)
    return FileLeases(data_dir / "locks")
