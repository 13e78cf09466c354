"""`[fatigue]` in relay.toml: everyone's default quiet hours and the daily cap on non-crisis messages
(documented in config/relay.example.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from relay.fatigue.quiet import FatigueError, Window, parse_window


class FatigueSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quiet_hours: str = Field(
        "", description="Default quiet hours in each person's own time zone, e.g. '22:00-07:00': webinar and "
        "notice deliveries (and crisis below Severe) planned inside them wait until they end. Empty or 'off': "
        "none. A person may set their own (QUIET 23:00-06:00, the API)."
    )
    daily_cap: int = Field(
        0, ge=0, description="At most this many non-crisis broadcasts (webinar, notice) reach one person in 24 "
        "hours; the ones over it are not sent to that person (recorded as cancelled, 'daily cap'). 0: no cap."
    )
    override_severities: list[str] = Field(
        default_factory=lambda: ["Extreme", "Severe"],
        description="Crisis broadcasts of these CAP severities go at once, whatever the hour.",
    )

    @field_validator("quiet_hours")
    @classmethod
    def _window(cls, value: str) -> str:
        try:
            parse_window(value)
        except FatigueError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("override_severities")
    @classmethod
    def _severities(cls, value: list[str]) -> list[str]:
        known = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(f"unknown severities {unknown}; expected some of {', '.join(known)}")
        return value

    def window(self) -> Window | None:
        return parse_window(self.quiet_hours)


def fatigue_settings(settings) -> FatigueSettings:
    """The section of a whole configuration; the defaults (no quiet hours, no cap) without one."""
    section = getattr(settings, "fatigue", None) if settings is not None else None
    return section if isinstance(section, FatigueSettings) else FatigueSettings()
