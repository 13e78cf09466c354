"""`[retention]` in relay.toml (documented in config/relay.example.toml).

Off by default: deleting is irreversible, and how long a relay must or may keep delivery records,
messages and citizen reports is its operator's legal decision (GDPR's storage limitation on one side,
after-action reviews, donor audits or a court's hold on the other), not the software's. The example
configuration proposes 90 / 90 / 365 days, and `relay retention status` says plainly when nothing is
purged.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field


class RetentionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deliveries_days: int | None = Field(
        None, ge=1, le=36500, description="Final delivery rows (who got which broadcast) older than this are "
        "removed; each broadcast's counts by status, channel and language are kept. Unset: kept forever.")
    inbound_bodies_days: int | None = Field(
        None, ge=1, le=36500, description="Inbound messages older than this lose their text, the reply and the "
        "sender's address (a hash stays, so a replay is still recognised). Unset: kept forever.")
    reports_days: int | None = Field(
        None, ge=1, le=36500, description="Closed citizen reports older than this lose their text, translation "
        "and sender; their reference, categories and status stay for the figures. Unset: kept forever.")
    interval_minutes: float = Field(60.0, gt=0, le=10080, description="How often `relay run` purges.")
    batch_size: int = Field(1000, ge=1, le=10000, description="Rows per transaction while purging.")

    @property
    def enabled(self) -> bool:
        return any(days is not None for days in (self.deliveries_days, self.inbound_bodies_days, self.reports_days))

    def cutoffs(self, now: datetime) -> dict[str, datetime | None]:
        """Per kind, the moment before which rows go (None: that kind is kept)."""
        return {kind: (now - timedelta(days=days) if days is not None else None)
                for kind, days in (("deliveries", self.deliveries_days), ("inbound_bodies", self.inbound_bodies_days),
                                   ("reports", self.reports_days))}


def retention_settings(settings) -> RetentionSettings:
    section = getattr(settings, "retention", None) if settings is not None else None
    return section if isinstance(section, RetentionSettings) else RetentionSettings()
