"""The process modes, each built from the one Feature list: what `relay run`, `serve`, `worker` and
`demo` start. Kept in one place so that no mode can be wired by hand differently from the others (as
`serve` once was: it never installed the alerts' commands nor their API routes)."""

from __future__ import annotations

from typing import Literal

from relay.app import features
from relay.app.program import Program

Mode = Literal["run", "serve", "worker", "demo"]

# What each mode runs: the web side (webhooks, API, console), the dispatcher, the background part
# (inbound loops and services, each under its lease).
_PARTS: dict[str, dict[str, bool]] = {
    "run": {"web": True, "dispatch": True, "background": True},
    "serve": {"web": True, "dispatch": False, "background": False},
    "worker": {"web": False, "dispatch": True, "background": True},
    "demo": {"web": True, "dispatch": True, "background": True},
}


def build(mode: Mode, settings, *, sandbox: bool = False, upgrade: bool = False) -> Program:
    """A Program for `mode`. Commands, hooks and API routes come from the Feature list in every mode
    (Program installs them); services only where the background part runs."""
    parts = _PARTS[mode]
    # The demo drives its own steps (crisis, webinar notice) and runs no timed services beside them.
    services = features.services(settings) if parts["background"] and mode != "demo" else []
    return Program(settings, sandbox=sandbox or mode == "demo", upgrade=upgrade or mode == "demo",
                   services=services, **parts)
