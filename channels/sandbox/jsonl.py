"""The simulators' record of what they accepted: one JSON object per line, each line written whole.

Tests count messages from these files after a `kill -9` of the relay (or of the simulator), so a line
must never be half written: one `os.write` per line on an append-only descriptor, finished if a signal
or a full disk cut it short.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class JsonlLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, record: dict[str, object]) -> None:
        if self._fd is None:
            raise RuntimeError(f"{self.path} is closed")
        data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):
            written += os.write(self._fd, data[written:])

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
