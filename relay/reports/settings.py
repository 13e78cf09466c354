"""Configuration of citizen reports, volunteer translators, triage and routing ([reports] in relay.toml;
every key documented in config/relay.example.toml)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from relay.reports.triage.categories import CATEGORIES

_ROOM = re.compile(r"^(sms|telegram|matrix):\S+$")


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Messages that are no command become citizen reports.")
    pivot_language: str = Field("en", description="Reports are translated into this language for triage and "
                                "responders (the classifier reads it).")
    categories: list[str] = Field(default_factory=lambda: list(CATEGORIES),
                                  description="Categories a report may get (the 2010 responders' set).")
    routes: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Category -> responder rooms, each "channel:address": "telegram:-1001234" (a group), '
        '"matrix:!room:server", "sms:+509...". A report goes to the rooms of all its categories, once each.',
    )
    default_rooms: list[str] = Field(default_factory=list,
                                     description="Rooms for a report none of whose categories has a route.")
    urgent_categories: list[str] = Field(default_factory=lambda: ["medical_help", "search_and_rescue"],
                                         description="A report in one of these is urgent.")
    escalate_after_minutes: float = Field(30.0, gt=0, description="An urgent report nobody claimed by then "
                                          "goes to escalation_rooms.")
    escalation_rooms: list[str] = Field(default_factory=list, description="Where unclaimed urgent reports go.")
    translator_timeout_minutes: float = Field(10.0, gt=0, description="No answer from the translators asked "
                                              "in this time: the next ones are asked.")
    translators_per_round: int = Field(2, gt=0, description="Translators asked at once.")
    review_languages: list[str] = Field(
        default_factory=lambda: ["ht"],
        description="Languages whose machine translation (if any) goes to a volunteer as a draft to correct "
        "instead of straight to triage. A language with no machine pair always goes to volunteers.",
    )
    duplicate_window_hours: float = Field(24.0, gt=0, description="Open reports this recent are compared.")
    duplicate_similarity: float = Field(90.0, ge=50, le=100, description="rapidfuzz ratio (0-100) at or above "
                                        "which two reports are the same.")
    classifier: Path | None = Field(None, description="A triage model file; None uses the shipped one "
                                    "(relay/reports/triage/haiti2010.json, trained on Mission 4636).")
    check_seconds: float = Field(5.0, gt=0, description="How often `relay run` translates, routes and "
                                 "escalates waiting reports.")

    @field_validator("routes")
    @classmethod
    def _known_categories(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for category, rooms in value.items():
            for room in rooms:
                if not _ROOM.match(room):
                    raise ValueError(f'{category}: room {room!r} must be "channel:address", e.g. "telegram:-1001234"')
        return value

    @model_validator(mode="after")
    def _routes_name_categories(self) -> "ReportSettings":
        unknown = (set(self.routes) | set(self.urgent_categories)) - set(self.categories)
        if unknown:
            raise ValueError(f"unknown categories {sorted(unknown)}; expected some of {', '.join(self.categories)}")
        for room in [*self.default_rooms, *self.escalation_rooms]:
            if not _ROOM.match(room):
                raise ValueError(f'room {room!r} must be "channel:address", e.g. "telegram:-1001234"')
        return self

    def rooms_for(self, categories: list[str] | tuple[str, ...]) -> list[str]:
        rooms: list[str] = []
        for category in categories:
            for room in self.routes.get(category, []):
                if room not in rooms:
                    rooms.append(room)
        return rooms or list(self.default_rooms)
