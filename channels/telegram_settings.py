"""Telegram's settings, apart from the adapter: the configuration is loaded by every `relay` command,
and importing aiogram costs about two seconds of CPU that only a process using Telegram should pay."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator, model_validator

from channels.settings_rules import BaseUrl, Positive, Rate, given_secret, is_placeholder

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_WHERE_TOKEN = "copy the bot token that @BotFather gave you"
# The token in Telegram's own documentation, and words that only appear in examples.
_EXAMPLE_TOKENS = {"123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11", "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"}


class TelegramSettings(BaseModel):
    """One Telegram bot: its token, where the Bot API is, and the limits Telegram publishes."""

    model_config = ConfigDict(extra="forbid")

    token: SecretStr
    api_base_url: BaseUrl | None = None  # None = the real Telegram; the simulator's "http://127.0.0.1:PORT"
    messages_per_second: Rate = 30.0  # bot-wide; 0 = unlimited
    per_chat_per_second: Rate = 1.0  # one private chat
    per_group_per_minute: Rate = 20.0  # one group or channel
    inbound: Literal["polling", "webhook"] = "polling"
    webhook_secret: SecretStr | None = None  # sent back by Telegram in X-Telegram-Bot-Api-Secret-Token
    timeout_seconds: Positive = 10.0

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        token = given_secret(value, "token", _WHERE_TOKEN)
        if token in _EXAMPLE_TOKENS or is_placeholder(token):
            raise ValueError(f"token is a placeholder: {_WHERE_TOKEN}")
        if not _TOKEN.match(token):
            raise ValueError(
                "token does not look like a bot token (digits, ':', then 20 or more of A-Z a-z 0-9 _ -), "
                "as @BotFather gives it"
            )
        if len(set(token.partition(":")[2])) < 4:
            raise ValueError(f"token is a placeholder: {_WHERE_TOKEN}")
        return SecretStr(token)

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if not _SECRET.match(value.get_secret_value()):
            raise ValueError("webhook_secret must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule)")
        return value


    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> TelegramSettings:
        if self.inbound == "webhook" and self.webhook_secret is None:
            raise ValueError("webhook_secret is required when inbound is 'webhook': it is how we know Telegram sent it")
        return self

    @property
    def bot_id(self) -> str:
        """The number before the colon: the bot's user id, and our sender key."""
        return self.token.get_secret_value().partition(":")[0]
