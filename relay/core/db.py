"""Engines and sessions for SQLite (embedded default, WAL) and PostgreSQL (scale-out)."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from relay.core import migrate

if TYPE_CHECKING:
    from relay.core.config import Settings

T = TypeVar("T")


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the relay's user only: it holds personal data."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def private_file(path: Path) -> None:
    """The SQLite file (and its WAL and shared-memory files) 0600 in a 0700 directory, before SQLite
    creates them with the process's umask."""
    private_dir(path.parent)
    if not path.exists():
        # Never open (and close) a database file that may already be in use: closing any descriptor of a
        # file drops every POSIX lock this process holds on it, SQLite's included.
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:  # another process created it meanwhile
            pass
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists():
            part.chmod(0o600)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine tuned for the relay's access pattern (many short transactions)."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            private_file(Path(database))
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            # WAL lets readers (status, webhooks) run while the dispatcher writes; NORMAL sync is still
            # durable across a process crash (only an OS crash can lose the last transactions).
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Erased data is overwritten, not just unlinked (see `scrub`).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            # Let SQLAlchemy, not the driver, open transactions, so that we can open them IMMEDIATE.
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection) -> None:  # pragma: no cover - trivial
            # Take the write lock at BEGIN: a read that later upgrades to a write can otherwise fail at
            # once with "database is locked" when another process wrote in between (no busy wait).
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def make_sessionmaker(engine: Engine, settings: "Settings | None" = None) -> sessionmaker[Session]:
    """Every session knows its relay's configuration (`settings_of`): a plan hook runs inside whoever's
    transaction planned the broadcast (CLI, API, alerts, a chat command) and reads its section there."""
    return sessionmaker(engine, expire_on_commit=False, info={"settings": settings})


def settings_of(session: Session) -> "Settings | None":
    """The configuration of the Database this session came from (None for a bare sessionmaker)."""
    return session.info.get("settings")


def required(row: T | None, error: Exception) -> T:
    """`row`, or `error` raised when it is None: a lookup by key that must find its row (`session.get`),
    answered with the caller's own error type and message."""
    if row is None:
        raise error
    return row


class SetupError(Exception):
    """The relay cannot start as configured; the message says what to do."""


@dataclass
class Database:
    """The engine, its sessions, and the threads that run database work for async code.

    On SQLite all work goes through one thread: SQLite has one writer anyway, and threads queueing in
    its busy handler sleep in steps of up to 100 ms, which is far slower than waiting in line.
    """

    engine: Engine
    sessions: sessionmaker[Session]
    executor: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        workers = 1 if self.engine.dialect.name == "sqlite" else 8
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="relay-db")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(session, *args)` in one transaction, off the event loop."""

        def work() -> T:
            with self.sessions.begin() as session:
                return fn(session, *args)

        return await asyncio.get_running_loop().run_in_executor(self.executor, work)

    def scrub(self) -> None:
        """After an erasure: on SQLite, fold the write-ahead log into the database and truncate it, so
        that old page images holding the erased data do not linger in the WAL file."""
        if self.engine.dialect.name == "sqlite":
            raw = self.engine.raw_connection()  # outside SQLAlchemy's transaction: a checkpoint needs that
            try:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.engine.dispose()

    @classmethod
    def open(cls, settings: "Settings", *, upgrade: bool = False) -> "Database":
        engine = make_engine(settings.resolved_database_url)
        if upgrade:
            migrate.upgrade(engine)
        else:
            current, head = migrate.current_revision(engine), migrate.head_revision()
            if current != head:
                raise SetupError(
                    f"the database schema is at {current or 'nothing'}, this relay needs {head}: "
                    "run `relay db upgrade` (or `relay init`)"
                )
        return cls(engine, make_sessionmaker(engine, settings))


