"""The translation memory on the relay's database (the `MemoryStore` contract of translation/memory.py)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from relay.core.models import TranslationMemoryEntry
from translation.memory import MemoryKey


class DatabaseMemory:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, key: MemoryKey) -> str | None:
        with self.sessions() as session:
            entry = session.get(TranslationMemoryEntry, (key.text_hash, key.source, key.target, key.engine))
            return entry.text if entry else None

    def put(self, key: MemoryKey, text: str) -> None:
        try:
            with self.sessions.begin() as session:
                session.add(TranslationMemoryEntry(text_hash=key.text_hash, source=key.source, target=key.target,
                                                   engine=key.engine, text=text))
        except IntegrityError:  # another process stored the same translation first: keep theirs
            pass


class SessionMemory:
    """The same memory, read and written inside the caller's transaction.

    For translations made while a transaction is open (a bridged message, a `/broadcast` command,
    handled in the transaction that records the inbound message): on SQLite a second connection writing
    the memory would wait for the write lock that very transaction holds. A savepoint keeps a duplicate
    entry (another process stored it first) from spoiling the caller's transaction.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: MemoryKey) -> str | None:
        entry = self.session.get(TranslationMemoryEntry, (key.text_hash, key.source, key.target, key.engine))
        return entry.text if entry else None

    def put(self, key: MemoryKey, text: str) -> None:
        try:
            with self.session.begin_nested():
                self.session.add(TranslationMemoryEntry(text_hash=key.text_hash, source=key.source,
                                                        target=key.target, engine=key.engine, text=text))
        except IntegrityError:
            pass
