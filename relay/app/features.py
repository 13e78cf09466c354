"""The one ordered list of features, and everything every process mode builds from it.

`relay run`, `serve`, `worker`, `demo` and every CLI command get their commands, fallthrough handlers,
hooks, CLI apps, API routers, settings sections, tables and services from this list alone, so no
process can miss a feature another one has (as `serve` once missed the alerts' routes and commands).

Order matters once: a message that is no command is offered to the fallthrough handlers in this order
(a bridged room first, then poll answers, webinar RSVPs, and last a citizen report). This is also the one
place allowed to name `alerts/`: the core never imports it.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import Any, Callable, Iterator

from alerts.feature import FEATURE as ALERTS
from relay.api.feature import FEATURE as API
from relay.bridges.feature import FEATURE as BRIDGES
from relay.broadcasts.feature import FEATURE as BROADCASTS
from relay.core import cli_subscribers, hooks
from relay.core import models as core_models
from relay.core.feature import Feature
from relay.core.service import Service
from relay.fatigue.feature import FEATURE as FATIGUE
from relay.geo.feature import FEATURE as GEO
from relay.inbound import commands
from relay.inbound.feature import FEATURE as SUBSCRIBING
from relay.integrity.feature import FEATURE as INTEGRITY
from relay.networks.feature import FEATURE as NETWORKS
from relay.privacy.feature import FEATURE as PRIVACY
from relay.reports.feature import FEATURE as REPORTS
from relay.schedules.feature import FEATURE as SCHEDULES
from relay.templates.feature import FEATURE as TEMPLATES
from relay.voice.feature import FEATURE as VOICE

PEOPLE = Feature(name="people", models=(core_models,), cli=(("subscribers", cli_subscribers.app),))

FEATURES: tuple[Feature, ...] = (
    PEOPLE,
    SUBSCRIBING,  # JOIN, STOP, START, HELP, LANG
    INTEGRITY,  # VERIFY, /flags; the verification line under official texts
    BRIDGES,  # messages in bridged rooms (asked first)
    GEO,  # LOC, a shared location (a bridged room's is the bridge's); an area's plan hook before the relays' and fatigue's
    NETWORKS,  # ACK from relay nodes; poll answers
    BROADCASTS,  # /broadcast, the broadcast CLI
    SCHEDULES,  # relay broadcast schedule | scheduled | reschedule | unschedule; the runner service
    FATIGUE,  # LESS/MORE, TZ, QUIET; quiet hours and the daily cap on every planned broadcast (after the relays' rows)
    TEMPLATES,  # relay templates: pre-approved texts with fields
    PRIVACY,  # relay subscribers export, relay retention status|purge; the retention purge service
    VOICE,  # relay voice: volunteers' recordings, played on calls instead of text-to-speech
    ALERTS,  # /crisis, /rsvp, YES/NO to a webinar notice, CAP
    REPORTS,  # REPORT, CANCEL <ref>, /claim, /done, /tr; any other message becomes a citizen report (asked last)
    API,  # the HTTP API and the console
)


def install(features: tuple[Feature, ...] = FEATURES, *, runtime: bool = True) -> None:
    """Fill the command table and the core's hooks from `features` (idempotent; once per process).

    `runtime=False` (a CLI command) leaves out the release handlers: relaying a released message is the
    running relay's job (its release service takes what a CLI vote released), as it owns the bridges'
    channels and pacing."""
    commands.install(
        [module for feature in features for module in feature.commands],
        [handler for feature in features for handler in feature.fallthrough],
    )
    table = hooks.combine(features)
    hooks.install(table if runtime else replace(table, release_handlers={}))


def settings_sections(features: tuple[Feature, ...] = FEATURES) -> dict[str, Any]:
    sections: dict[str, Any] = {}
    for feature in features:
        for name, model in feature.settings.items():
            if name in sections:
                raise ValueError(f"settings section [{name}] is claimed by two features")
            sections[name] = model
    return sections


def secret_keys(features: tuple[Feature, ...] = FEATURES) -> frozenset[tuple[str, str]]:
    return frozenset(pair for feature in features for pair in feature.secret_keys)


def api_routers(features: tuple[Feature, ...] = FEATURES) -> list[Any]:
    """Every feature's routers, in list order, each "module:attribute" reference imported here: only a
    process that builds a web app (relay/app/web.py) pays for FastAPI and the routers' modules."""
    return [_resolve(router) for feature in features for router in feature.api_routers]


def _resolve(reference: Any) -> Any:
    if not isinstance(reference, str):
        return reference
    module, _, attribute = reference.partition(":")
    if not module or not attribute:
        raise ValueError(f"API router reference {reference!r} is not 'module:attribute'")
    return getattr(importlib.import_module(module), attribute)


def cli_apps(features: tuple[Feature, ...] = FEATURES) -> Iterator[tuple[str, Any]]:
    """Each feature's CLI apps, with the commands other features add to them already added."""
    apps = [pair for feature in features for pair in feature.cli]
    by_name = dict(apps)
    for feature in features:
        for name, extend in feature.cli_extends.items():
            extend(by_name[name])
    yield from apps


def model_modules(features: tuple[Feature, ...] = FEATURES) -> list[str]:
    return [module.__name__ for feature in features for module in feature.models]


def warm_ups(features: tuple[Feature, ...] = FEATURES) -> list[Callable[[Any, Any], None]]:
    return [warm for feature in features for warm in feature.warm_ups]


def services(settings: Any, features: tuple[Feature, ...] = FEATURES) -> list[Service]:
    """What runs beside the dispatcher; a builder returns None when its feature is not configured."""
    built = (build(settings) for feature in features for build in feature.services)
    return [service for service in built if service is not None]
