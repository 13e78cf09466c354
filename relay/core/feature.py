"""What one feature package brings to the relay, declared in one object (`FEATURE` in the package's
`feature.py`) and listed once, in order, by `relay/app/features.py`.

The list replaces every other way a feature used to plug in (import strings for services, plan hooks and
models; decorators with magic order numbers for fallthrough handlers; a callback registered at run time
for released messages; alerts patching the live API app). Order matters in one place: a message that is
no command is offered to the fallthrough handlers in list order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Mapping

from pydantic import BaseModel

from relay.core.hooks import Hooks


@dataclass(frozen=True, kw_only=True)
class Feature(Hooks):
    """A feature's hooks into the core and delivery layers are the fields it inherits from `Hooks`
    (plan_hooks, text_hooks, media_hooks, release_handlers, copy_resolvers, stamp, audience_filters,
    subscriber_columns, merge_hooks); the app installs them all combined (relay/app/features.py)."""

    name: str
    # Sections of relay.toml this feature owns: section name -> its pydantic model (defaults when absent).
    settings: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    # (section, key) pairs of those sections that hold secrets: refused in the config file.
    secret_keys: tuple[tuple[str, str], ...] = ()
    # Modules that define its tables (Alembic's comparison and the schema test load them all).
    models: tuple[ModuleType, ...] = ()
    # Modules whose @command handlers it brings (registered by the app, never at import time).
    commands: tuple[ModuleType, ...] = ()
    # Handlers offered a message that is no command, in list order across features.
    fallthrough: tuple[Callable[..., Any], ...] = ()
    # (name, typer app) pairs added to the `relay` command line.
    cli: tuple[tuple[str, Any], ...] = ()
    # Commands this feature adds to another feature's CLI app, by that app's name:
    # {"broadcast": register} adds `relay broadcast correct` from integrity.
    cli_extends: Mapping[str, Callable[[Any], None]] = field(default_factory=dict)
    # FastAPI routers served under the API by every process with a web side, as "module:attribute"
    # references imported only when a web app is built (relay/app/features.py::api_routers), so that a CLI
    # command never imports FastAPI nor the routers' modules. A router object is taken as is.
    api_routers: tuple[Any, ...] = ()
    # (settings) -> Service | None: what runs beside the dispatcher in `run` and `worker`.
    services: tuple[Callable[[Any], Any], ...] = ()
    # (session, settings) work done once at start-up by every process that takes messages in, before the
    # start-up heap is frozen (relay/core/heap.py): lazy loads that would otherwise land in the first webhook.
    warm_ups: tuple[Callable[[Any, Any], None], ...] = ()
