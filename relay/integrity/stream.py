"""What a stream said just before a message: how many of its recent messages tell nearly the same story.

Why: a rumour is rarely said once. In a crisis the same unverified story comes back in many words within
hours, while what a message's own words say about being a rumour depends on the event (the PHEME events'
rumour shares run from 27 % to 98 %, and a threshold set on some events misfits the next). Measured on the
PHEME dev events (`bench/pheme_stream.py`), the share of a message's earlier stream that sits within e5
cosine 0.90 of it separates rumours from other messages (AUC 0.726 on its own) and adds to what the words
say (the rumour model's leave-one-event-out AUC 0.775 -> 0.839).

Causal by construction: a message is described only by messages screened before it in the same stream,
and no label or verdict is ever read, so the training script, the bench and the relay compute the same
number with this class. Memory is bounded: at most `capacity` vectors per stream, at most `max_streams`
streams (the least recently active is dropped first), and messages older than `window_seconds` are
forgotten. At the defaults that is at most 64 x 500 vectors of 384 float32, 49 MB. Kept in this process
only: a relay running several screening processes sees each one's share. The stream is what the screening
is given as its channel (today the bridge, e.g. "telegram"), so a busy bridge mixes many conversations and
dilutes the share compared with one PHEME event; a finer stream key would sharpen it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque

import numpy as np

CLOSE = 0.90  # e5 cosine: unrelated crisis messages sit at 0.75-0.80, re-tellings of one story above 0.9
FULL_HISTORY = 50  # from this many earlier messages on, the share counts fully (before: shrunk toward 0)
WINDOW_SECONDS = 6 * 3600.0


class StreamContext:
    """Recent message vectors per stream; `observe` describes a message, then remembers it."""

    def __init__(self, window_seconds: float = WINDOW_SECONDS, capacity: int = 500, max_streams: int = 64) -> None:
        self.window_seconds = window_seconds
        self.capacity = capacity
        self.max_streams = max_streams
        self._streams: OrderedDict[str, deque[tuple[float, np.ndarray]]] = OrderedDict()
        self._lock = threading.Lock()

    def observe(self, stream: str, at: float, vector: np.ndarray) -> float:
        """The similar share (see `similar_share`) of a message at `at` (seconds) in `stream`."""
        vector = np.asarray(vector, dtype=np.float32).ravel()
        with self._lock:
            kept = self._streams.pop(stream, None)
            if kept is None:
                kept = deque(maxlen=self.capacity)
            self._streams[stream] = kept
            while len(self._streams) > self.max_streams:
                self._streams.popitem(last=False)
            while kept and kept[0][0] < at - self.window_seconds:
                kept.popleft()
            earlier = np.stack([v for _, v in kept]) if kept else np.zeros((0, len(vector)), dtype=np.float32)
            kept.append((at, vector))
        return similar_share(earlier, vector)

    def streams(self) -> int:
        return len(self._streams)


def similar_share(earlier: np.ndarray, vector: np.ndarray) -> float:
    """The share of `earlier` (unit vectors, any number) within cosine CLOSE of `vector`.

    A share rather than a count, because streams differ in volume by two orders of magnitude; shrunk
    toward 0 while the stream's history is short, so one early echo does not count as a wave."""
    if len(earlier) == 0:
        return 0.0
    history = min(1.0, len(earlier) / FULL_HISTORY)
    return round(history * float(np.mean(earlier @ vector >= CLOSE)), 6)


RECENT = StreamContext()  # the relay process's own streams (its channels)
