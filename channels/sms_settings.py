"""The [sms] section: a Twilio account and its numbers. Apart from the adapter so that reading the
configuration never imports twilio."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from channels.phone import distinct_numbers
from channels.settings_rules import BaseUrl, HttpUrl, Positive, Rate, is_placeholder

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_PLACEHOLDER_TOKENS = {"auth-token", "auth_token", "token", "secret", "xxx"}


class SmsSettings(BaseModel):
    """One Twilio account and the numbers the relay sends from."""

    model_config = ConfigDict(extra="forbid")

    account_sid: str
    auth_token: SecretStr
    numbers: list[str]
    segments_per_second: Rate = 1.0  # Twilio long code: one segment per second; 0 = unlimited
    burst: Positive = 1.0
    api_base_url: BaseUrl | None = None  # None = the real Twilio; the simulator's "http://127.0.0.1:PORT"
    status_callback_url: HttpUrl | None = None  # the public URL of the relay's status webhook
    timeout_seconds: Positive = 10.0

    @field_validator("account_sid")
    @classmethod
    def _account_sid(cls, value: str) -> str:
        if not _ACCOUNT_SID.match(value.strip()):
            raise ValueError(
                f"account_sid {value!r} is not a Twilio Account SID ('AC' and 32 hex digits, from the Console)"
            )
        return value.strip()

    @field_validator("auth_token")
    @classmethod
    def _auth_token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if not token:
            raise ValueError("auth_token is empty: copy the Auth Token from the Twilio Console")
        if token.lower() in _PLACEHOLDER_TOKENS or is_placeholder(token) or set(token) <= {"x", "X"}:
            raise ValueError("auth_token is a placeholder: copy the Auth Token from the Twilio Console")
        return SecretStr(token)

    @field_validator("numbers")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return distinct_numbers(value, "numbers", "Twilio number to send from")
