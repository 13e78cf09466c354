"""The simulated account's settings, validated once: a typo in a sandbox config fails at load time, naming
the field, rather than halfway through a benchmark."""

from __future__ import annotations

from pydantic import ValidationInfo, field_validator, model_validator

from channels.phone import normalise_e164
from channels.sandbox.twilio_limits import Faults
from channels.sandbox.twilio_whatsapp import WhatsAppSimSettings


class TwilioSimSettings(Faults):
    """How the simulated Twilio account behaves; every knob defaults to a well-behaved Twilio."""

    account_sid: str
    auth_token: str
    numbers: list[str]  # the From numbers this account owns
    segments_per_second: float = 1.0  # per From number; 0 = unlimited
    tolerance_segments: float = 1.0  # extra burst before 429, so pacing at exactly the limit is safe
    callbacks: bool = True
    callback_delay_ms: int = 0
    inbound_webhook_url: str | None = None
    whatsapp: WhatsAppSimSettings | None = None  # the account's WhatsApp senders, if it has any
    log_name: str = "sms.jsonl"  # under <data_dir>/sandbox/: each simulator of a sandbox writes its own

    @field_validator("account_sid", "auth_token")
    @classmethod
    def _present(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            raise ValueError(f"{info.field_name} is empty")
        return value.strip()

    @field_validator("numbers")
    @classmethod
    def _own_numbers(cls, value: list[str]) -> list[str]:
        return [normalise_e164(raw) for raw in value]

    @field_validator("segments_per_second", "tolerance_segments", "callback_delay_ms")
    @classmethod
    def _not_negative(cls, value: float, info: ValidationInfo) -> float:
        if value < 0:
            raise ValueError(f"{info.field_name} must be >= 0, got {value}")
        return value

    @model_validator(mode="after")
    def _some_sender(self) -> "TwilioSimSettings":
        if not self.numbers and self.whatsapp is None:
            raise ValueError("numbers is empty: the simulated account needs at least one From number")
        return self
