"""The application assembly: which services run beside the dispatcher in `relay run`.

One line per feature, as "module:function"; each function takes the settings and returns a `Service`
or None (when its feature is not configured). This is the one place allowed to name `alerts/`: the core
never imports it, the assembly wires it in.
"""

from __future__ import annotations

import importlib

from relay.core.config import Settings
from relay.app.program import Service

SERVICE_BUILDERS: tuple[str, ...] = (
    "relay.reports.service:build",  # citizen reports: translate, route, next translators, escalate
    "relay.integrity.service:build",  # hands messages moderators released to the bridge
    "relay.networks.service:build",  # relay escalation, poll re-asks, channel failover
    "alerts.scheduler:build_service",  # crisis reminders and escalations, webinar notices (APScheduler)
    "alerts.api:build_service",  # crises, timelines and webinars in the HTTP API and console
)


def services(settings: Settings) -> list[Service]:
    built = []
    for path in SERVICE_BUILDERS:
        module, _, function = path.partition(":")
        service = getattr(importlib.import_module(module), function)(settings)
        if service is not None:
            built.append(service)
    return built
