"""The [alerts] section of the relay's configuration, validated here (the core keeps it as plain data).

Every key is documented in config/relay.example.toml. Durations are written as the CLI writes them
("24h", "90m", "7d") so that an operator reads the config the way they type commands.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from relay import ConfigError, Settings, describe_validation_error, refuse_unknown_keys

LEVELS = ("party", "movement", "network")  # the seed framework's three levels, in escalation order
MILESTONES = ("response", "assessment", "action_plan")

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: str | int | float) -> timedelta:
    """'24h' -> 24 hours; a bare number is seconds. Raises ValueError with the accepted forms."""
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration such as 90s, 30m, 24h or 7d")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Reminders(_Section):
    """A section with `reminders`: durations before a deadline (crises) or a session (webinars), each
    checked when the configuration is loaded. Each section declares the field itself (its own default,
    description and place in the documented section)."""

    @field_validator("reminders", check_fields=False)
    @classmethod
    def _durations(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_duration(text)
        return value

    def reminder_offsets(self) -> list[timedelta]:
        """The reminders, the earliest (longest before) first."""
        return sorted((parse_duration(r) for r in self.reminders), reverse=True)  # type: ignore[attr-defined]


class CrisisSettings(_Reminders):
    deadlines: dict[str, str] = Field(
        default_factory=lambda: {"response": "24h", "assessment": "72h", "action_plan": "7d"},
        description="Each milestone's deadline after activation.",
    )
    reminders: list[str] = Field(
        default_factory=lambda: ["6h", "1h"],
        description="Reminders to the responsible people this long before each deadline.",
    )
    escalate_every: str = Field(
        "12h", description="After a missed deadline (escalated to the next level at once), the level after "
        "that is told this much later, while the milestone stays unmet."
    )
    contacts: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Responsible people per level (party, movement, network): 'sms:+1...', "
        "'telegram:12345', 'matrix:@a:b', or a bare phone number. They must be subscribers.",
    )

    milestone_contacts: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict,
        description="Per milestone, contacts that replace `contacts` for some levels, e.g. "
        "{ assessment = { party = ['+1...'] } } for the assessment team's lead.",
    )

    @field_validator("milestone_contacts")
    @classmethod
    def _milestones_and_levels(cls, value: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        for milestone, levels in value.items():
            if milestone not in MILESTONES:
                raise ValueError(f"unknown milestone {milestone!r}; expected {', '.join(MILESTONES)}")
            unknown = set(levels) - set(LEVELS)
            if unknown:
                raise ValueError(f"{milestone}: unknown level(s) {sorted(unknown)}; expected {', '.join(LEVELS)}")
        return value

    def responsible(self, level: str, milestone: str | None) -> list[str]:
        """Who answers for `milestone` at `level`: its own contacts if configured, else the level's."""
        own = self.milestone_contacts.get(milestone or "", {}).get(level)
        return list(own) if own is not None else list(self.contacts.get(level, []))

    @field_validator("deadlines")
    @classmethod
    def _all_milestones(cls, value: dict[str, str]) -> dict[str, str]:
        refuse_unknown_keys(value, MILESTONES, "milestone(s)")
        for text in value.values():
            parse_duration(text)
        return {**{"response": "24h", "assessment": "72h", "action_plan": "7d"}, **value}

    @field_validator("escalate_every")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("contacts")
    @classmethod
    def _levels(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        refuse_unknown_keys(value, LEVELS, "level(s)")
        return value

    def deadline(self, milestone: str) -> timedelta:
        return parse_duration(self.deadlines[milestone])


class WebinarSettings(_Reminders):
    notice_days: int = Field(3, ge=0, description="The notice goes out this many days before each session.")
    reminders: list[str] = Field(default_factory=lambda: ["24h", "1h"],
                                 description="Reminders this long before each session.")
    horizon_days: int = Field(120, gt=0, description="Sessions are laid out this far ahead.")
    ics_link: bool = Field(False, description="Notices end with a link to the session's .ics at the relay's "
                           "public URL (GET /webinars/TOKEN/ID.ics, the series' secret token); off by default, as it "
                           "lengthens every SMS. Off, no .ics is served at all.")


class SchedulerSettings(_Section):
    tick: str = Field("30s", description="How often the scheduler looks for due reminders and notices.")
    grace: str = Field(
        "1h", description="A reminder or notice that fell due while the relay was down is still sent when "
        "it is at most this late; a later one is recorded as missed (escalations are never dropped)."
    )

    def tick_seconds(self) -> float:
        return parse_duration(self.tick).total_seconds()

    def grace_time(self) -> timedelta:
        return parse_duration(self.grace)


class CapSettings(_Section):
    sender: str = Field("relay@localhost", description="CAP <sender> of exported alerts (no spaces or commas).")
    max_bytes: int = Field(1_048_576, gt=0, description="Larger CAP documents are refused before parsing.")


class AlertsSettings(_Section):
    crisis: CrisisSettings = Field(default_factory=CrisisSettings)
    webinars: WebinarSettings = Field(default_factory=WebinarSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    cap: CapSettings = Field(default_factory=CapSettings)


def alerts_settings(settings: Settings) -> AlertsSettings:
    data: dict[str, Any] = settings.alerts or {}
    try:
        return AlertsSettings(**data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc).replace("\n  ", "\n  alerts.")) from None
