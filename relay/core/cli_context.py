"""What every CLI command shares: the configuration (loaded once) and the database, opened on demand.

Commands raise; `relay.app.cli.main` turns our errors into a message on stderr and an exit code.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.console import Console

from relay.core.config import ConfigError, Settings, load_settings
from relay.core.db import Database

# Markup, highlighting and emoji codes off: what the CLI prints is data (names, errors, citizens' texts),
# and Rich would otherwise eat a "[sms]" or turn ":fire:" into a picture.
console = Console(markup=False, highlight=False, emoji=False)
errors = Console(stderr=True, soft_wrap=True, markup=False, highlight=False, emoji=False)


class UsageError(Exception):
    """Bad command-line input; the message says what was wrong."""


def language_texts(values: list[str], example: str) -> dict[str, str]:
    """Repeated `--text LANG=TEXT` options (a person's own translation per language) as {language: text};
    `example` is the TEXT the error message shows."""
    texts = {}
    for value in values:
        language, sep, text = value.partition("=")
        if not sep or not re.fullmatch(r"[a-z]{2,3}", language):
            raise UsageError(f"--text {value!r}: write it as LANG=TEXT, e.g. es=\"{example}\"")
        texts[language] = text
    return texts


@dataclass
class CliContext:
    config_path: Path | None
    _settings: Settings | None = None
    _database: Database | None = None
    overrides: dict = field(default_factory=dict)
    # Who runs the command (relay/core/cli_identity.py): None is the local operator, a coordinator.
    operator: str | None = None
    # The whole configuration's class (the core's sections plus every feature's), given by the app.
    settings_class: type[Settings] = Settings

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path, overrides=self.overrides,
                                           settings_class=self.settings_class)
        return self._settings

    def database(self, *, upgrade: bool = False) -> Database:
        if self._database is None:
            self._database = Database.open(self.settings, upgrade=upgrade)
        return self._database


def resolve_config_path(option: Path | None) -> Path | None:
    """--config, else RELAY_CONFIG, else ./relay.toml if it exists, else defaults and environment only."""
    if option is not None:
        if not option.exists():
            raise ConfigError(f"config file {option} does not exist (run `relay init` to write one)")
        return option
    env = os.environ.get("RELAY_CONFIG")
    if env:
        return Path(env)
    default = Path("relay.toml")
    return default if default.exists() else None


def context(ctx: typer.Context) -> CliContext:
    return ctx.ensure_object(CliContext) if ctx.obj is None else ctx.obj
