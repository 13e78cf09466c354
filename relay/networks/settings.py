"""Configuration of relay networks, confirmation polls and channel failover ([network], [polls],
[failover] in relay.toml; every key documented in config/relay.example.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from relay.core.config import refuse_unknown_keys

SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NetworkSettings(_Section):
    ack_minutes: dict[str, float] = Field(
        default_factory=lambda: {"Extreme": 10, "Severe": 20, "Moderate": 60, "Minor": 120, "Unknown": 60},
        description="Per CAP severity: minutes a relay has to acknowledge before each escalation step "
        "(step 1 backups at 1x, step 2 the community directly at 2x, step 3 the hub at 3x).",
    )
    check_seconds: float = Field(30.0, gt=0, description="How often `relay run` looks for overdue relays.")

    @field_validator("ack_minutes")
    @classmethod
    def _every_severity(cls, value: dict[str, float]) -> dict[str, float]:
        refuse_unknown_keys(value, SEVERITIES, "severities")
        if any(minutes <= 0 for minutes in value.values()):
            raise ValueError("minutes must be positive")
        return value

    def delay_minutes(self, severity: str) -> float:
        return self.ack_minutes.get(severity, self.ack_minutes.get("Unknown", 60))


class PollSettings(_Section):
    open_hours: float = Field(72.0, gt=0, description="Answers are matched to a poll for this long.")
    reask_minutes: float | None = Field(
        None, gt=0, description="Ask non-responders once more after this many minutes (None: only when "
        "the broadcast asks for it with --poll-reask)."
    )
    check_seconds: float = Field(30.0, gt=0, description="How often `relay run` looks for polls to re-ask.")


class FailoverSettings(_Section):
    check_seconds: float = Field(
        5.0, gt=0, description="How often `relay run` carries failed deliveries to the person's next channel."
    )
    unread_minutes: float | None = Field(
        None, gt=0, description="Also carry a message over when a channel that reports reading (WhatsApp) "
        "delivered it this many minutes ago and it is still unread. None: on permanent failure only.",
    )
