"""What the Twilio simulator refuses and when: per-number throughput and injected faults.

Kept apart from the HTTP handlers so each rule is a small, clock-driven object: the handler passes
`now` in, which keeps the rules deterministic and cheap on the hot path.
"""

from __future__ import annotations

import random
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from channels.phone import normalise_e164
from channels.settings_rules import Fraction


class Outage(BaseModel):
    """A window, in seconds since the simulator started, during which Twilio misbehaves."""

    start_s: float
    end_s: float
    mode: Literal["503", "timeout", "refuse"]  # refuse = connection refused: nothing listens

    @model_validator(mode="after")
    def _ordered(self) -> Outage:
        if self.start_s < 0 or self.end_s <= self.start_s:
            raise ValueError(f"outage needs 0 <= start_s < end_s, got {self.start_s}..{self.end_s}")
        return self


class Faults(BaseModel):
    """What the Twilio simulator is told to get wrong, so that observers and tests see what the relay does
    against a misbehaving provider. Declared once for `[sandbox]` (relay.core.config.SandboxSettings) and
    for the simulator's own settings (TwilioSimSettings), which the sandbox fills from it (`faults`)."""

    latency_ms: int = Field(0, ge=0, description="Added to every answer of the SMS simulator's API.")
    error_rate: Fraction = Field(0.0, description="Fraction of API calls the SMS simulator answers "
                              "500 or 503.")
    outages: list[Outage] = Field(
        default_factory=list, description="Windows, in seconds since the simulator started, when its API "
        "answers 503, hangs (timeout) or refuses connections (refuse).",
    )
    delivered_after_ms: int = Field(0, ge=0, description="Delay between 'sent' and 'delivered' receipts.")
    undeliverable_numbers: list[str] = Field(
        default_factory=list, description="Recipients whose messages end 'undelivered' (error 30003).",
    )
    seed: int | None = Field(None, description="Makes the injected errors reproducible.")

    @field_validator("undeliverable_numbers")
    @classmethod
    def _e164(cls, value: list[str]) -> list[str]:
        return [normalise_e164(raw) for raw in value]

    def faults(self) -> dict[str, Any]:
        """These settings alone, as keyword arguments of another `Faults`."""
        return {name: getattr(self, name) for name in Faults.model_fields}


class ThroughputLimiter:
    """Twilio's per-number throughput, counted in segments (a 3-segment message costs 3).

    A generic cell-rate algorithm: each number has a "busy until" time; a message is admitted while the
    number's backlog is at most `tolerance` segments, then pushes busy-until by cost / rate. A client
    pacing itself at exactly the rate never sees a 429, jitter up to `tolerance` segments is forgiven,
    and a long message after an idle period is admitted whole (as Twilio queues it) rather than never.
    """

    def __init__(self, rate: float, tolerance: float) -> None:
        self._rate = rate
        self._slack = tolerance / rate if rate > 0 else 0.0
        self._busy_until: dict[str, float] = {}

    def admit(self, sender: str, cost: int, now: float) -> float | None:
        """None if admitted (and charged), else the seconds to wait before the number has room."""
        if self._rate <= 0:
            return None
        busy_until = max(self._busy_until.get(sender, now), now)
        backlog = busy_until - now
        if backlog > self._slack + 1e-9:
            return backlog - self._slack
        self._busy_until[sender] = busy_until + cost / self._rate
        return None


class FaultPlan:
    """Outage windows and random 500/503 answers, reproducible with a seed."""

    def __init__(self, error_rate: float, outages: list[Outage], seed: int | None) -> None:
        self._error_rate = error_rate
        self._outages = sorted(outages, key=lambda outage: outage.start_s)
        self._random = random.Random(seed)

    def outage_at(self, elapsed: float) -> Outage | None:
        for outage in self._outages:
            if outage.start_s <= elapsed < outage.end_s:
                return outage
        return None

    def random_error(self) -> int | None:
        """500 or 503 for a `error_rate` fraction of calls, else None."""
        if self._error_rate <= 0 or self._random.random() >= self._error_rate:
            return None
        return self._random.choice((500, 503))

    def refuse_windows(self) -> list[tuple[float, float]]:
        """The "refuse" outages, overlapping ones merged, in order."""
        merged: list[tuple[float, float]] = []
        for outage in self._outages:
            if outage.mode != "refuse":
                continue
            if merged and outage.start_s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], outage.end_s))
            else:
                merged.append((outage.start_s, outage.end_s))
        return merged
