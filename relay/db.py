"""Engines and sessions for SQLite (embedded default, WAL) and PostgreSQL (scale-out)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from relay import migrate

if TYPE_CHECKING:
    from relay.config import Settings


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine tuned for the relay's access pattern (many short transactions)."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            # WAL lets readers (status, webhooks) run while the dispatcher writes; NORMAL sync is still
            # durable across a process crash (only an OS crash can lose the last transactions).
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
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


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class SetupError(Exception):
    """The relay cannot start as configured; the message says what to do."""


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

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
        return cls(engine, make_sessionmaker(engine))


