"""The `[console]` configuration section: prices for the compose preview, the API's request limit, and
two-person approval of Extreme broadcasts.

Free of imports from the rest of the relay so that `relay.core.config` can embed it without a cycle.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field("USD", min_length=1, max_length=8, description="Shown beside the prices.")
    prices: dict[str, float] = Field(
        default_factory=lambda: {"sms": 0.0079, "telegram": 0.0, "matrix": 0.0},
        description="Cost per message on each channel; for SMS per segment (what carriers bill). Only used "
        "for the compose preview's estimate.",
    )
    max_body_bytes: int = Field(1_048_576, gt=0, description="API requests with a larger body are refused with "
                                "413 (a subscriber CSV import is the largest).")
    two_person_extreme: bool = Field(False, description="An Extreme broadcast from the API or console waits for "
                                     "a second coordinator's approval before anything is queued.")
    metrics_token: SecretStr | None = Field(
        None, description="The token a Prometheus scraper sends (Authorization: Bearer) for /metrics; a "
        "secret: RELAY_CONSOLE__METRICS_TOKEN or the secrets file. Without it only coordinators' API tokens "
        "read /metrics.")
    telegram_messages_per_second: float = Field(
        30.0, gt=0, description="Used for the time estimate when [telegram] is not configured (the sandbox).")

    def price(self, channel: str) -> float:
        return float(self.prices.get(channel, 0.0))
