"""`[schedules]` in relay.toml (documented in config/relay.example.toml)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field


class ScheduleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tick_seconds: float = Field(15.0, gt=0, description="How often `relay run` looks for scheduled sends due.")
    grace_minutes: float = Field(
        360.0, gt=0, description="A scheduled send found more than this late (the relay was down) is recorded "
        "as missed instead of sent: a 09:00 notice should not arrive at midnight.")

    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)


def schedule_settings(settings) -> ScheduleSettings:
    section = getattr(settings, "schedules", None) if settings is not None else None
    return section if isinstance(section, ScheduleSettings) else ScheduleSettings()
