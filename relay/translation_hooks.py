"""How the outbox asks for translations. Until a translation engine is configured, none is used and
every other language gets the original (with a note where one is written): never silence."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from relay.config import Settings
from relay.outbox import MachineTranslate


def machine_translator(settings: Settings, sessions: sessionmaker[Session]) -> MachineTranslate | None:
    return None


def untranslated_note(language: str) -> str | None:
    return None
