"""The one retry policy of the relay (exponential backoff with jitter), used only by the dispatcher.

Written here rather than taken from tenacity/backoff because our retries are not loops in memory: the
next attempt time is stored on the delivery row so that it survives a crash, and those libraries drive
an in-process loop. What remains is one formula, kept as frozen data (aiogram's utils/backoff.py shape).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    initial: float = 2.0
    maximum: float = 300.0
    factor: float = 2.0
    jitter: float = 0.2

    def delay(self, attempt: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt number `attempt + 1` (attempt counts from 1).

        A provider's own retry-after wins when it asks for longer than our schedule would.
        """
        base = min(self.maximum, self.initial * self.factor ** max(0, attempt - 1))
        spread = base * self.jitter
        value = base + (rng or random).uniform(-spread, spread)
        if retry_after is not None:
            value = max(value, retry_after)
        return max(0.0, min(value, max(self.maximum, retry_after or 0.0)))
