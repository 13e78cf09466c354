"""The simulated bot's world, validated once: its token, the people and groups it knows, its limits.

A typo in a sandbox config fails at load time naming the field, not halfway through a benchmark.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from channels.settings_rules import Rate

_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class SimUser(BaseModel):
    """A Telegram account that may talk to the bot (its private chat id is its user id)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    started: bool = True  # pressed Start; a bot may not write first ("can't initiate conversation")
    blocked: bool = False  # blocked the bot: 403 "Forbidden: bot was blocked by the user"
    deactivated: bool = False  # deleted account: 403 "Forbidden: user is deactivated"

    @field_validator("id")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError(f"a user id is a positive integer, got {value}")
        return value


class SimGroup(BaseModel):
    """A group chat (negative id) with its members; the bot may have been removed from it."""

    id: int
    title: str
    type: Literal["group", "supergroup"] = "group"
    members: list[int] = Field(default_factory=list)
    bot_is_member: bool = True  # False: 403 "Forbidden: bot was kicked from the group chat"
    migrated_to: int | None = None  # upgraded to this supergroup: 400 with migrate_to_chat_id

    @field_validator("id")
    @classmethod
    def _negative(cls, value: int) -> int:
        if value >= 0:
            raise ValueError(f"a group id is a negative integer, got {value}")
        return value


class TelegramSimSettings(BaseModel):
    """How the simulated Bot API behaves; the defaults are Telegram's published limits."""

    token: str
    bot_username: str = "relay_sandbox_bot"
    bot_first_name: str = "Relay"
    users: list[SimUser] = Field(default_factory=list)
    groups: list[SimGroup] = Field(default_factory=list)
    auto_users: bool = False  # any other positive chat id is a user who pressed Start (for benchmarks)
    messages_per_second: Rate = 30.0  # bot-wide; 0 = off
    per_chat_per_second: Rate = 1.0  # each private chat; 0 = off
    per_group_per_minute: Rate = 20.0  # each group; 0 = off
    burst_tolerance: Rate = 3.0  # messages beyond the pace admitted at once (a 4-part text after a pause)
    webhook_max_attempts: int = 5  # then the update is dropped and counted
    webhook_retry_delay_ms: int = 200
    first_update_id: int = 1

    @field_validator("token")
    @classmethod
    def _token(cls, value: str) -> str:
        if not _TOKEN.match(value.strip()):
            raise ValueError("token must look like a bot token: digits, ':', then letters, digits, _ or -")
        return value.strip()

    @field_validator("webhook_max_attempts", "first_update_id")
    @classmethod
    def _at_least_one(cls, value: int, info: ValidationInfo) -> int:
        if value < 1:
            raise ValueError(f"{info.field_name} must be >= 1, got {value}")
        return value

    @field_validator("webhook_retry_delay_ms")
    @classmethod
    def _delay(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"webhook_retry_delay_ms must be >= 0, got {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TelegramSimSettings:
        user_ids = [user.id for user in self.users]
        if len(set(user_ids)) != len(user_ids):
            raise ValueError("users lists the same id twice")
        group_ids = [group.id for group in self.groups]
        if len(set(group_ids)) != len(group_ids):
            raise ValueError("groups lists the same id twice")
        known = set(user_ids)
        for group in self.groups:
            strangers = [member for member in group.members if member not in known]
            if strangers:
                raise ValueError(f"group {group.id} lists members that are not in users: {strangers}")
        return self

    @property
    def bot_id(self) -> int:
        return int(self.token.partition(":")[0])
