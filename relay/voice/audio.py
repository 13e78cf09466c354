"""Is this upload a recording Twilio can play? WAV or MP3, told by its first bytes and then read through.

The first bytes decide the type (a RIFF/WAVE header; an ID3 tag or an MPEG audio frame sync), never the
file name or the Content-Type a client claims; mutagen then reads the stream's header (a WAV's format
chunk, an MP3's frames) so that a renamed text file, a truncated upload or an M4A from a phone is refused
here with a reason, not found out by the first person called (Twilio would skip the `<Play>`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from mutagen import MutagenError
from mutagen.mp3 import MP3
from mutagen.wave import WAVE

# What the relay serves each as (both among the types Twilio's <Play> accepts).
CONTENT_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}


class Refused(ValueError):
    """A recording or a request about one that the relay refuses; `status` is the HTTP answer, which the
    API returns and the CLI shows alike."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class AudioError(Refused):
    """Not a recording the relay accepts (413 too large, 415 not audio)."""


@dataclass(frozen=True)
class Audio:
    format: str  # "wav" | "mp3": also the stored file's extension
    content_type: str
    seconds: float


def sniff(head: bytes) -> str | None:
    """The format the first bytes announce, or None."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def _describe(head: bytes) -> str:
    if head[:4] == b"OggS":
        return "an Ogg file"
    if head[4:8] == b"ftyp":
        return "an MP4/M4A file"
    if head[:4] == b"fLaC":
        return "a FLAC file"
    return f"a file starting {head[:8].hex(' ') or 'with nothing'}"


def inspect(data: bytes, max_bytes: int) -> Audio:
    """The recording's format and length; `AudioError` saying what is wrong otherwise."""
    if len(data) > max_bytes:
        raise AudioError(f"the recording is {len(data):,} bytes; at most {max_bytes:,} are accepted "
                         "([voice] recording_max_mb)", 413)
    if not data:
        raise AudioError("the recording is empty", 415)
    kind = sniff(data[:16])
    if kind is None:
        raise AudioError(f"not a WAV or MP3 recording ({_describe(data[:16])}); Twilio plays WAV and MP3: export "
                         "the recording as one of them", 415)
    reader = WAVE if kind == "wav" else MP3
    try:
        info = reader(io.BytesIO(data)).info
    except (MutagenError, ValueError, EOFError) as exc:  # mutagen's header errors
        raise AudioError(f"the file starts like {kind.upper()} but cannot be read as one ({exc})", 415) from None
    seconds = float(getattr(info, "length", 0.0) or 0.0)
    if seconds <= 0:
        raise AudioError(f"the {kind.upper()} recording holds no sound (its length is 0 s)", 415)
    return Audio(kind, CONTENT_TYPES[kind], round(seconds, 2))
