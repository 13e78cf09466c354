"""The translation memory on the relay's database (the `MemoryStore` contract of translation/memory.py)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from relay.models import TranslationMemoryEntry
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
