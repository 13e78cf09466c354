"""`[geo]` in relay.toml (documented in config/relay.example.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from relay.geo.area import GeoError, parse_code


class GeoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    no_location: str = Field(
        "ask", description="What a broadcast with an area does with people who have no location when the "
        "sender did not say (--no-location, the API's area.no_location): 'ask' refuses it and says how many "
        "they are; 'include' or 'exclude' decides for every sender.")
    cap_no_location: str = Field(
        "include", description="The same for CAP imports, which have nobody to ask: 'include' (an alert "
        "reaches too many rather than too few) or 'exclude'.")
    regions: dict[str, list[str]] = Field(
        default_factory=dict, description="Region names a person may send with LOC (any case), each to the "
        "geocodes it stands for: { Ouest = [\"ISO3166-2=HT-OU\"], \"Santa Cruz\" = [\"SAME=006087\"] }. "
        "A person may also send one of these geocodes itself (LOC SAME=006087).")

    @field_validator("no_location")
    @classmethod
    def _ask(cls, value: str) -> str:
        if value not in ("ask", "include", "exclude"):
            raise ValueError(f"{value!r}: expected ask, include or exclude")
        return value

    @field_validator("cap_no_location")
    @classmethod
    def _cap(cls, value: str) -> str:
        if value not in ("include", "exclude"):
            raise ValueError(f"{value!r}: expected include or exclude")
        return value

    @field_validator("regions")
    @classmethod
    def _codes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, codes in value.items():
            if not name.strip() or not codes:
                raise ValueError(f"region {name!r}: give a name and at least one geocode")
            for code in codes:
                try:
                    parse_code(code, f"region {name!r}: geocode")
                except GeoError as exc:
                    raise ValueError(str(exc)) from None
        return value

    def default_policy(self) -> str | None:
        return None if self.no_location == "ask" else self.no_location

    def region(self, said: str) -> list[tuple[str, str]] | None:
        """The geocodes of a region name or of one of the configured geocodes, or None when unknown."""
        wanted = " ".join(said.split()).casefold()
        for name, codes in self.regions.items():
            if " ".join(name.split()).casefold() == wanted:
                return [parse_code(c) for c in codes]
        for codes in self.regions.values():
            for code in codes:
                name, value = parse_code(code)
                if wanted in (f"{name}={value}".casefold(), value.casefold()):
                    return [(name, value)]
        return None


def geo_settings(settings) -> GeoSettings:
    section = getattr(settings, "geo", None) if settings is not None else None
    return section if isinstance(section, GeoSettings) else GeoSettings()
