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


class LocalServer:
    """What both simulators show a test or the sandbox: where they listen, what they counted, and the
    JSONL file of what they accepted (`<data_dir>/sandbox/<JSONL_NAME>`)."""

    JSONL_NAME = "records.jsonl"
    _host: str
    port: int
    data_dir: Path
    _stats: dict[str, int]

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self._host in ("", "0.0.0.0", "::") else self._host
        return f"http://{host}:{self.port}"

    @property
    def stats(self) -> dict[str, int]:
        return dict(self._stats)

    @property
    def jsonl_path(self) -> Path:
        return self.data_dir / "sandbox" / self.JSONL_NAME
