"""The whole configuration: the core's sections plus each feature's, composed from the Feature list.

Composed rather than written out so that adding a feature with settings is one entry in its Feature,
and the core's `Settings` never imports a feature. Validation, the environment overrides and the error
messages are the core's (`relay.core.config`), unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from pydantic import Field, create_model

from relay.app import features
from relay.core import config


def _compose() -> type[config.Settings]:
    fields: dict[str, Any] = {name: (model, Field(default_factory=model))
                              for name, model in features.settings_sections().items()}
    composed = create_model("Settings", __base__=config.Settings, __module__=__name__, **fields)
    composed.__doc__ = "The whole configuration. `config/relay.example.toml` documents every key."
    composed.SECRET_KEYS = config.CHANNEL_SECRET_KEYS | features.secret_keys()
    return composed


Settings = _compose()


def load_settings(path: Path | None = None, *, overrides: Mapping[str, Any] | None = None) -> config.Settings:
    """`relay.core.config.load_settings` for the whole configuration."""
    return config.load_settings(path, overrides=overrides, settings_class=Settings)
