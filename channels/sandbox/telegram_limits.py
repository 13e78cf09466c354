"""Telegram's flood control as the simulator applies it: three paces checked together.

Each pace is a generic cell-rate algorithm (a "busy until" time per key): a message is admitted while
the key's backlog is at most `tolerance` messages, then pushes busy-until by one interval. A client
pacing itself at exactly the rate never sees a 429, and a short burst after a pause (a long text split
in parts) passes. A message refused at one level is charged to none, as it was never sent.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["chat", "group", "global"]


class Pace:
    """One limit (messages per second) applied to each key separately."""

    __slots__ = ("_interval", "_slack", "_busy_until")

    def __init__(self, per_second: float, tolerance: float) -> None:
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._slack = tolerance * self._interval
        self._busy_until: dict[object, float] = {}

    def wait(self, key: object, now: float) -> float:
        """Seconds until `key` may send again (0 = now)."""
        if not self._interval:
            return 0.0
        backlog = self._busy_until.get(key, now) - now
        return backlog - self._slack if backlog > self._slack + 1e-9 else 0.0

    def charge(self, key: object, now: float) -> None:
        if self._interval:
            self._busy_until[key] = max(self._busy_until.get(key, now), now) + self._interval


class FloodControl:
    """Per private chat, per group and bot-wide limits of one bot."""

    def __init__(self, per_chat_per_second: float, per_group_per_minute: float, per_second: float, tolerance: float):
        self._chat = Pace(per_chat_per_second, tolerance)
        self._group = Pace(per_group_per_minute / 60.0, tolerance)
        self._global = Pace(per_second, tolerance)

    def admit(self, chat_id: int | str, is_group: bool, now: float) -> tuple[Kind, float] | None:
        """None if the message may go (and it is charged), else the level that refused it and the wait."""
        local: Pace = self._group if is_group else self._chat
        local_wait = local.wait(chat_id, now)
        if local_wait:
            return ("group" if is_group else "chat"), local_wait
        global_wait = self._global.wait(None, now)
        if global_wait:
            return "global", global_wait
        local.charge(chat_id, now)
        self._global.charge(None, now)
        return None
