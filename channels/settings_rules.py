"""Rules every channel's settings share: numbers in range, URLs with a host, placeholders refused.

Written once so that a mistake in any adapter's section of the config reads the same way
("sms.burst must be > 0, got 0") and a value copied from an example is refused everywhere alike.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, SecretStr, ValidationInfo

# Words that only appear in documentation examples and config templates. Matched as substrings, so a
# real (random) secret contains one with negligible probability.
PLACEHOLDER_WORDS = (
    "changeme", "change-me", "change_me", "placeholder", "yourtoken", "your-token", "your_token",
    "your-auth-token", "your_auth_token", "your-password", "your_password", "bottoken", "bot-token",
    "bot_token", "replaceme", "replace-me", "replace_me", "example", "xxxxxx", "todo",
)  # fmt: skip


def is_placeholder(value: str) -> bool:
    """Empty, `<...>`, or holding a word of a template."""
    lowered = value.strip().lower()
    return not lowered or lowered.startswith("<") or any(word in lowered for word in PLACEHOLDER_WORDS)


def given_secret(value: SecretStr, field: str, where: str) -> str:
    """The secret, stripped; an empty one is refused with `where` the real one is found."""
    secret = value.get_secret_value().strip()
    if not secret:
        raise ValueError(f"{field} is empty: {where}")
    return secret


def _non_negative(value: float, info: ValidationInfo) -> float:
    if value < 0:
        raise ValueError(f"{info.field_name} must be >= 0 (0 = unlimited), got {value}")
    return value


def _positive(value: float, info: ValidationInfo) -> float:
    if value <= 0:
        raise ValueError(f"{info.field_name} must be > 0, got {value}")
    return value


def between(low: float, high: float) -> AfterValidator:
    """A number from `low` to `high`, both included: `Annotated[int, between(0, 600_000)]`."""

    def check(value: float, info: ValidationInfo) -> float:
        if not low <= value <= high:
            raise ValueError(f"{info.field_name} must be between {low:g} and {high:g}, got {value}")
        return value

    return AfterValidator(check)


def _http_url(value: str, info: ValidationInfo) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{info.field_name} must be an http(s) URL with a host, got {value!r}")
    return value.strip()


Rate = Annotated[float, AfterValidator(_non_negative)]  # per second (or minute); 0 = unlimited
Positive = Annotated[float, AfterValidator(_positive)]
Fraction = Annotated[float, Field(ge=0, le=1)]  # a share or a score, 0 to 1
HttpUrl = Annotated[str, AfterValidator(_http_url)]
BaseUrl = Annotated[str, AfterValidator(_http_url), AfterValidator(lambda value: value.rstrip("/"))]
