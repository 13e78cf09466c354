"""The append-only audit log: every decision that changes who gets what is written here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from relay.core.models import AuditEntry


def record(session: Session, actor: str, action: str, subject: str | None = None, /, **details: Any) -> None:
    """Add an entry in the caller's transaction, so the log and the change commit (or fail) together.

    The first four are positional-only, so that a detail may itself be called `action` or `subject`
    (a refused permission records the action that was refused)."""
    session.add(AuditEntry(actor=actor, action=action, subject=subject, details=details))
