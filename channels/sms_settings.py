"""The [sms] section: a Twilio account and its numbers. Apart from the adapter so that reading the
configuration never imports twilio."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from channels.phone import distinct_numbers
from channels.settings_rules import BaseUrl, HttpUrl, Positive, Rate, given_secret, is_placeholder

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_PLACEHOLDER_TOKENS = {"auth-token", "auth_token", "token", "secret", "xxx"}
_WHERE_TOKEN = "copy the Auth Token from the Twilio Console"


class TwilioAccount(BaseModel):
    """A Twilio account's credentials, checked alike for SMS, WhatsApp and voice: each section names its
    own account (they may differ), and a mistake in any of them reads the same way."""

    model_config = ConfigDict(extra="forbid")

    account_sid: str
    auth_token: SecretStr

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
        token = given_secret(value, "auth_token", _WHERE_TOKEN)
        if token.lower() in _PLACEHOLDER_TOKENS or is_placeholder(token) or set(token) <= {"x", "X"}:
            raise ValueError(f"auth_token is a placeholder: {_WHERE_TOKEN}")
        return SecretStr(token)


class SmsSettings(TwilioAccount):
    """One Twilio account and the numbers the relay sends from."""

    numbers: list[str]
    segments_per_second: Rate = 1.0  # Twilio long code: one segment per second; 0 = unlimited
    burst: Positive = 1.0
    api_base_url: BaseUrl | None = None  # None = the real Twilio; the simulator's "http://127.0.0.1:PORT"
    status_callback_url: HttpUrl | None = None  # the public URL of the relay's status webhook
    timeout_seconds: Positive = 10.0

    @field_validator("numbers")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return distinct_numbers(value, "numbers", "Twilio number to send from")
