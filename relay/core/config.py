"""One configuration object, loaded once (TOML file + secrets file + RELAY_* environment), passed down.

Secrets never live in the TOML file: a token found there is refused, so that a committed config cannot
leak one. They come from the environment (`RELAY_SMS__AUTH_TOKEN`) or from a secrets file outside the
repository (`RELAY_SECRETS_FILE=/etc/relay/secrets.toml`, same shape as the config file).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, ClassVar, Iterable, Mapping, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from channels.sandbox.twilio_limits import Faults
from channels.phone import normalise_e164
from channels.settings_rules import Fraction
from channels import registry
from translation.config import TranslationSettings

# Keys that hold secrets: allowed from the environment or the secrets file, refused in the config file.
# Keys that hold secrets: allowed from the environment or the secrets file, refused in the config file.
# Each channel's come from its spec; each feature's from its Feature (added by the app's settings class).
CHANNEL_SECRET_KEYS = frozenset((spec.name, key) for spec in registry.SPECS for key in spec.secret_keys)

SHIPPED_GLOSSARY = Path(__file__).resolve().parents[2] / "config" / "glossary"
DEFAULT_LANGUAGES = ["en", "es", "fr", "ht", "ar", "sw", "sv", "pt", "de", "ur"]


class ConfigError(Exception):
    """The configuration is unusable; the message names each bad key and what is wrong with it."""


class Section(BaseModel):
    """A config section: an unknown key is a typo to report, not something to ignore."""

    model_config = ConfigDict(extra="forbid")


def refuse_unknown_keys(value: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    """A table keyed by a fixed vocabulary (CAP severities, crisis milestones, contact levels): a key
    outside it is a typo to report with the keys that are expected, not a setting to ignore."""
    expected = tuple(allowed)
    unknown = set(value) - set(expected)
    if unknown:
        raise ValueError(f"unknown {what} {sorted(unknown)}; expected {', '.join(expected)}")


class HttpSettings(Section):
    host: str = Field("127.0.0.1", description="Address the webhook and API server listens on.")
    port: int = Field(8080, ge=0, le=65535, description="Port of that server (0 picks a free one).")
    public_url: str | None = Field(
        None,
        description="The URL providers call us at (behind a proxy, the public one). Webhook signatures are "
        "computed over it. Defaults to http://host:port.",
    )
    max_body_bytes: int = Field(65536, gt=0, description="Larger webhook bodies are refused with 413.")
    header_timeout_seconds: float = Field(
        10.0, gt=0, le=300, description="A request's line and headers must arrive within this long of the "
        "connection (or of the request's first byte); else 408 and the connection is closed (slow-loris).")
    body_timeout_seconds: float = Field(
        30.0, gt=0, le=3600, description="A request's body must arrive whole within this long of its headers, "
        "however slowly it trickles; else 408 and the connection is closed.")
    keep_alive_seconds: int = Field(5, gt=0, le=300, description="An idle kept-alive connection is closed after this.")


class DispatcherSettings(Section):
    max_in_flight: int = Field(
        100, gt=0, description="Deliveries one process may hold claimed but not yet recorded: the bound on "
        "duplicates after a crash."
    )
    concurrency: int = Field(100, gt=0, description="Provider requests one process runs at once.")
    idle_poll_seconds: float = Field(0.25, gt=0, description="How often an idle sender looks for new work.")
    max_attempts: int = Field(10, gt=0, description="Transient failures tolerated before a delivery fails.")
    backoff_initial_seconds: float = Field(2.0, gt=0, description="First retry delay.")
    backoff_max_seconds: float = Field(300.0, gt=0, description="Retry delays never exceed this.")
    backoff_jitter: Fraction = Field(0.2, description="Random spread applied to each delay (fraction).")
    record_interval_seconds: float = Field(
        0.05, gt=0, description="Outcomes are written in batches at most this far apart."
    )
    rate_limits: bool = Field(True, description="Enforce each sender's provider limit (off only for benchmarks).")
    share_settle_seconds: float = Field(
        2.0, ge=0, description="On PostgreSQL, how long a starting dispatcher waits to see the other workers "
        "before it takes its share of the senders (0 on SQLite)."
    )
    receipt_check_seconds: float = Field(
        900.0, ge=0, description="A delivery still 'sent' this long after its send (its status callback was "
        "lost: the relay or its database was down when it came) is looked up at the provider, and again at "
        "this interval while it stays 'sent'. 0 = never."
    )


class SandboxSettings(Section, Faults):
    """The simulators `relay run --sandbox` and `relay sandbox` start, and the faults the SMS one injects."""

    sms_numbers: list[str] = Field(
        default_factory=lambda: ["+12015550100", "+12015550101"],
        description="Sending numbers the SMS simulator gives the relay in sandbox mode.",
    )
    segments_per_second: float = Field(1.0, ge=0, description="Simulated per-number throughput (0 = unlimited).")
    port: int = Field(0, ge=0, le=65535, description="Port of the SMS simulator (0 picks a free one).")
    telegram_groups: list[int] = Field(
        default_factory=list,
        description="Group chat ids (negative) the Telegram simulator knows, with the bot as a member. "
        "Any positive chat id is a user who pressed Start.",
    )

    @field_validator("sms_numbers")
    @classmethod
    def _phone_numbers(cls, value: list[str]) -> list[str]:
        return [normalise_e164(raw) for raw in value]


class CoreSettings(BaseSettings):
    """The sections the core reads, without the channels' (see `Settings` below)."""

    model_config = SettingsConfigDict(env_prefix="RELAY_", env_nested_delimiter="__", extra="forbid")
    SECRET_KEYS: ClassVar[frozenset[tuple[str, str]]] = CHANNEL_SECRET_KEYS

    data_dir: Path = Field(Path("data"), description="Holds the SQLite database and sandbox records.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir.")
    default_language: str = Field("en", description="Language of people who did not choose one.")
    languages: list[str] = Field(default_factory=lambda: list(DEFAULT_LANGUAGES))
    default_region: str | None = Field(
        None, description="ISO country code for phone numbers written without +country code."
    )
    default_timezone: str = Field("UTC")
    http: HttpSettings = Field(default_factory=HttpSettings)
    dispatcher: DispatcherSettings = Field(default_factory=DispatcherSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    # One optional section per channel of `channels/registry.py` ([sms], [telegram], [matrix]) is added
    # below the class; a channel without its section is off (or goes to the sandbox).
    translation: TranslationSettings = Field(default_factory=TranslationSettings)
    # Each feature's own sections ([integrity], [network], [reports], [alerts], ...) are added to this
    # class by the app from its Feature list (relay/app/settings.py): the core never imports a feature.

    @model_validator(mode="after")
    def _one_list_of_languages(self) -> "CoreSettings":
        """The languages and the source language are said once, at the top; the translation section
        inherits them unless it names its own."""
        given = self.translation.model_fields_set
        inherited = {}
        if "languages" not in given:
            inherited["languages"] = list(self.languages)
        if "source_language" not in given:
            inherited["source_language"] = self.default_language
        if "glossary_dir" not in given:  # the glossary shipped with the relay, wherever it runs from
            inherited["glossary_dir"] = SHIPPED_GLOSSARY
        if inherited:
            self.translation = self.translation.model_copy(update=inherited)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the files (passed in as init values).
        return (env_settings, init_settings)

    @field_validator("languages")
    @classmethod
    def _languages_look_like_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not (2 <= len(code) <= 3 and code.isalpha() and code.islower()):
                raise ValueError(f"{code!r} is not an ISO 639 language code such as 'en' or 'ht'")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as 'America/Port-au-Prince'") from None
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'relay.db').resolve()}"

    @property
    def public_url(self) -> str:
        return (self.http.public_url or f"http://{self.http.host}:{self.http.port}").rstrip("/")


# The core's sections plus one optional section per channel of the registry. The whole configuration is
# this class with every feature's sections added (`relay.app.settings.Settings`).
Settings = create_model(
    "Settings", __base__=CoreSettings, __module__=__name__,
    **{spec.name: (Optional[spec.settings], None) for spec in registry.SPECS},  # type: ignore[call-overload]
)


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist (run `relay init` to write one)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}") from None


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _refuse_secrets(data: Mapping[str, Any], path: Path, secret_keys: Iterable[tuple[str, str]]) -> None:
    for section, key in secret_keys:
        if isinstance(data.get(section), Mapping) and key in data[section]:
            env = f"RELAY_{section.upper()}__{key.upper()}"
            raise ConfigError(
                f"{section}.{key}: secrets may not be written in {path}; set {env} or put it in the "
                "file named by RELAY_SECRETS_FILE (outside the repository)"
            )


def describe_validation_error(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (see config/relay.example.toml for the keys there are)"
        lines.append(f"{key}: {message}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


# Paths a config file may give relative to itself (a site's models and glossary beside its relay.toml).
RELATIVE_PATHS = (("translation", "glossary_dir"), ("translation", "ranking_file"),
                  ("translation", "nllb", "model_dir"), ("translation", "nllb", "tokenizer"),
                  ("integrity", "rumour_model_path"))


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    for *sections, key in RELATIVE_PATHS:
        holder: Any = data
        for section in sections:
            holder = holder.get(section) if isinstance(holder, dict) else None
        value = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(value, str) and value and not Path(value).is_absolute():
            holder[key] = str(base / value)


def load_settings(
    path: Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    settings_class: type[CoreSettings] = Settings,
) -> Settings:
    """Load the configuration once. `path=None` means defaults plus the environment only; the app passes
    its `settings_class` (the core's sections plus every feature's)."""
    data: dict[str, Any] = {}
    if path is not None:
        data = _read_toml(path, "config file")
        _refuse_secrets(data, path, settings_class.SECRET_KEYS)
        if isinstance(data.get("data_dir"), str) and not Path(data["data_dir"]).is_absolute():
            data["data_dir"] = str(path.parent / data["data_dir"])
        _resolve_paths(data, path.parent)
    secrets_file = os.environ.get("RELAY_SECRETS_FILE")
    if secrets_file:
        data = _deep_merge(data, _read_toml(Path(secrets_file), "secrets file (RELAY_SECRETS_FILE)"))
    if overrides:
        data = _deep_merge(data, overrides)
    try:
        return settings_class(**data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
