"""[templates] in relay.toml (documented in config/relay.example.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TemplateSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_segments: int = Field(3, ge=1, le=10, description="The SMS segment budget per language of a new "
                              "template unless it names its own (--max-segments).")
