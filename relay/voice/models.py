"""relay/voice tables: one recording per broadcast and language (the file itself is under the data
directory; the row is what every process reads, so `relay serve` serves what `relay voice upload` stored
and the dispatcher of `relay worker` links it into the next call)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relay.core.models import Base, SerialKey, owned_by, stamped_now


class VoiceRecording(SerialKey, Base):
    __tablename__ = "voice_recordings"
    __table_args__ = (UniqueConstraint("broadcast_id", "language"),)

    broadcast_id: Mapped[int] = owned_by("broadcasts.id", index=True)
    language: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))  # wav | mp3
    content_type: Mapped[str] = mapped_column(String(32))
    # The file's name under <data_dir>/voice/<broadcast>/: "<lang>-<first 16 hex of its SHA-256>.<format>",
    # so a re-recording is a new file and the row always names a complete one.
    file_name: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = stamped_now()
