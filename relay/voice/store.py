"""Recordings on disk and in the database, the same for the CLI and the API.

A recording is written whole (to a temporary name, flushed to disk, then renamed) under
`<data_dir>/voice/<broadcast>/` with its hash in the name, and only then recorded in the database; the
previous file of that language is deleted once the new row is committed. So the row always names a
complete file, a crash leaves at worst an unreferenced file, and a call under way keeps playing the file
it fetched. Every process reads the row: the dispatcher links the recording into the next call of that
broadcast and language (retries included), the web process serves it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channels import voice_media
from relay.core import audit
from relay.core.db import required
from relay.core.models import Broadcast, utcnow
from relay.voice.audio import Refused, inspect
from relay.voice.models import VoiceRecording

LANGUAGE = re.compile(r"^[a-z]{2,3}$")
DEFAULT_MAX_MB = 5.0  # [voice] recording_max_mb when no [voice] section is configured yet
VOICE_CHANNEL = "voice"


class RecordingError(Refused):
    """A request the store refuses (404 unknown, 422 bad input)."""


@dataclass(frozen=True)
class Shown:
    """A recording as the CLI and the API show it."""

    broadcast_id: int
    language: str
    format: str
    content_type: str
    bytes: int
    seconds: float
    sha256: str
    uploaded_by: str
    uploaded_at: str

    @classmethod
    def of(cls, row: VoiceRecording) -> "Shown":
        return cls(row.broadcast_id, row.language, row.format, row.content_type, row.size_bytes, row.seconds,
                   row.sha256, row.uploaded_by, row.uploaded_at.isoformat())


def max_bytes(settings) -> int:
    section = getattr(settings, VOICE_CHANNEL, None)
    megabytes = section.recording_max_mb if section is not None else DEFAULT_MAX_MB
    return int(megabytes * 1_000_000)


def folder(data_dir: Path, broadcast_id: int) -> Path:
    return Path(data_dir) / "voice" / str(broadcast_id)


def check_language(language: str) -> str:
    if not LANGUAGE.match(language):
        raise RecordingError(f"language {language[:20]!r} is not a language code such as 'ht' or 'fr'", 422)
    return language


def broadcast(session: Session, broadcast_id: int) -> Broadcast:
    return required(session.get(Broadcast, broadcast_id), RecordingError(f"no broadcast {broadcast_id}", 404))


def _write(directory: Path, name: str, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        target = directory / name
        os.replace(temporary, target)
        folder_fd = os.open(directory, os.O_RDONLY)  # the rename itself survives a power cut
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def save(sessions: sessionmaker, data_dir: Path, broadcast_id: int, language: str, data: bytes, *, limit: int,
         actor: str) -> Shown:
    """Check, write and record one recording (replacing that language's previous one); durable on return."""
    check_language(language)
    audio = inspect(data, limit)
    with sessions() as session:
        broadcast(session, broadcast_id)
        before = find(session, broadcast_id, language)
        previous = before.file_name if before is not None else None
    digest = hashlib.sha256(data).hexdigest()
    name = f"{language}-{digest[:16]}.{audio.format}"
    directory = folder(data_dir, broadcast_id)
    written = _write(directory, name, data)
    try:
        with sessions.begin() as session:
            broadcast(session, broadcast_id)  # not deleted meanwhile
            row = find(session, broadcast_id, language)
            if row is None:
                row = VoiceRecording(broadcast_id=broadcast_id, language=language)
                session.add(row)
            else:
                previous = row.file_name
            row.format, row.content_type, row.file_name = audio.format, audio.content_type, name
            row.size_bytes, row.seconds, row.sha256 = len(data), audio.seconds, digest
            row.uploaded_by, row.uploaded_at = actor, utcnow()
            session.flush()
            audit.record(session, actor, "voice.recording.upload", f"broadcast:{broadcast_id}", language=language,
                         format=audio.format, bytes=len(data), seconds=audio.seconds, sha256=digest)
            shown = Shown.of(row)
    except BaseException:
        if previous != name:  # the same recording again keeps its file: the row still names it
            written.unlink(missing_ok=True)
        raise
    if previous is not None and previous != name:
        (directory / previous).unlink(missing_ok=True)
    return shown


def remove(sessions: sessionmaker, data_dir: Path, broadcast_id: int, language: str, *, actor: str) -> Shown:
    check_language(language)
    with sessions.begin() as session:
        broadcast(session, broadcast_id)
        row = session.scalar(select(VoiceRecording).where(VoiceRecording.broadcast_id == broadcast_id,
                                                          VoiceRecording.language == language))
        if row is None:
            raise RecordingError(f"broadcast {broadcast_id} has no {language} recording", 404)
        shown = Shown.of(row)
        name = row.file_name
        session.delete(row)
        audit.record(session, actor, "voice.recording.remove", f"broadcast:{broadcast_id}", language=language,
                     sha256=shown.sha256)
    (folder(data_dir, broadcast_id) / name).unlink(missing_ok=True)
    return shown


def listing(session: Session, broadcast_id: int) -> list[Shown]:
    broadcast(session, broadcast_id)
    rows = session.scalars(select(VoiceRecording).where(VoiceRecording.broadcast_id == broadcast_id)
                           .order_by(VoiceRecording.language))
    return [Shown.of(row) for row in rows]


def find(session: Session, broadcast_id: int, language: str) -> VoiceRecording | None:
    return session.scalar(select(VoiceRecording).where(VoiceRecording.broadcast_id == broadcast_id,
                                                       VoiceRecording.language == language))


def recordings_for(session: Session, channel: str, pairs: Sequence[tuple[int, str]]) -> Mapping[tuple[int, str], str]:
    """The media hook: the recording's path for each (broadcast, language) of a batch a voice sender is
    about to call, read at send time so that a recording uploaded after the broadcast went out reaches the
    calls not yet placed and the retries."""
    if channel != VOICE_CHANNEL or not pairs:
        return {}
    wanted = set(pairs)
    rows = session.execute(select(VoiceRecording.broadcast_id, VoiceRecording.language).where(
        VoiceRecording.broadcast_id.in_({b for b, _ in wanted}), VoiceRecording.language.in_({lang for _, lang in wanted})))
    return {(b, lang): voice_media.path(b, lang) for b, lang in rows if (b, lang) in wanted}
