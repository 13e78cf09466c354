"""The [matrix] section: one Matrix bot account. Apart from the adapter so that reading the configuration
never imports nio."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationInfo, field_validator, model_validator

from channels.settings_rules import Positive, Rate, between, is_placeholder

_USER_ID = re.compile(r"^@[^:\s]+:[A-Za-z0-9.\-\[\]]+(?::\d{1,5})?$")
_SERVER_SUFFIX = re.compile(r"^:[A-Za-z0-9.\-\[\]]+(?::\d{1,5})?$")
_EXAMPLE_HOST = re.compile(r"(^|\.)example\.(com|org|net)$|^(your|my)[-_.]?(homeserver|server)", re.IGNORECASE)


class MatrixSettings(BaseModel):
    """One Matrix bot account: where its homeserver is, how it authenticates, whom it lets invite it."""

    model_config = ConfigDict(extra="forbid")

    homeserver: str  # the client-server API base URL, e.g. "https://matrix.org"
    user_id: str  # "@bot:server"
    access_token: SecretStr | None = None
    password: SecretStr | None = None  # used once to obtain a token when none is given
    device_id: str | None = None
    allowed_inviters: list[str] = []  # "@user:server" or ":server"; invites from others are ignored
    messages_per_second: Rate = 0.2  # Synapse's default rc_message
    burst: Positive = 10
    sync_timeout_ms: Annotated[int, between(0, 600_000)] = 30000

    @field_validator("homeserver")
    @classmethod
    def _homeserver(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"homeserver must be an http(s) URL such as https://matrix.org, got {value!r}")
        if _EXAMPLE_HOST.search(parts.hostname) or is_placeholder(parts.hostname):
            raise ValueError(f"homeserver {value!r} is a placeholder: give your homeserver's real URL")
        return value.strip().rstrip("/")

    @field_validator("user_id")
    @classmethod
    def _user_id(cls, value: str) -> str:
        value = value.strip()
        if not _USER_ID.match(value):
            raise ValueError(f"user_id must look like @bot:server, got {value!r}")
        host = re.sub(r":\d+$", "", value.partition(":")[2])
        if _EXAMPLE_HOST.search(host) or is_placeholder(value[1:].partition(":")[0]):
            raise ValueError(f"user_id {value!r} is a placeholder: give the bot account's real user id")
        return value

    @field_validator("access_token", "password")
    @classmethod
    def _secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value().strip()
        if is_placeholder(secret) or len(set(secret)) < 4:
            raise ValueError(f"{info.field_name} is a placeholder or empty: give the real {info.field_name}")
        return SecretStr(secret)

    @field_validator("device_id")
    @classmethod
    def _device_id(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or is_placeholder(value)):
            raise ValueError("device_id is empty or a placeholder: leave it out to let the homeserver choose")
        return value

    @field_validator("allowed_inviters")
    @classmethod
    def _inviters(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not (_USER_ID.match(entry) or _SERVER_SUFFIX.match(entry)):
                raise ValueError(f"allowed_inviters entry {entry!r} is neither a user id (@user:server) nor :server")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> MatrixSettings:
        if self.access_token is None and self.password is None:
            raise ValueError("give access_token, or password to log in once and obtain one")
        return self

    def inviter_allowed(self, user_id: str) -> bool:
        """True when `user_id` is listed, or its server is (`:server` entries)."""
        return any(user_id == entry or (entry.startswith(":") and user_id.endswith(entry)) for entry in self.allowed_inviters)

