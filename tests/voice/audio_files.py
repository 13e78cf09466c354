"""Small real audio files for the recording tests: a PCM WAV written by the standard library's `wave`,
and an MP3 made of silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417-byte frames), which is what
an encoder writes for silence and what mutagen and Twilio read as MP3."""

from __future__ import annotations

import io
import math
import struct
import wave

MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 413


def wav(seconds: float = 1.0, rate: int = 8000, pitch: float = 440.0) -> bytes:
    """A mono 16-bit PCM tone (`pitch` makes recordings of different languages differ)."""
    frames = int(seconds * rate)
    samples = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / rate))) for i in range(frames))
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples)
    return out.getvalue()


def mp3(frames: int = 40) -> bytes:
    """About 1 s of silent MP3 per 38 frames, behind an ID3v2.4 header as most encoders write."""
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + MP3_FRAME * frames
