"""The explicit list of modules that register commands and message handlers: one line per feature."""

from __future__ import annotations

import importlib

MODULES = (
    "relay.inbound.basic_commands",  # JOIN, STOP, START, HELP, LANG
    "relay.integrity.commands",  # VERIFY <code>; /flags for moderators
    "relay.networks.relays",  # ACK <code> from relay nodes
    "relay.networks.polls",  # poll answers (fallthrough 20)
    "relay.bridges.bridge",  # messages in bridged rooms
    "relay.broadcasts.commands",  # /broadcast, !broadcast (coordinators, partners)
    "relay.reports.intake",  # citizen reports (fallthrough 50), REPORT ..., CANCEL <ref>
    "relay.translators.offers",  # /tr <ref> <text> from volunteer translators
    "relay.reports.routing",  # /claim <ref>, /done <ref> from responders
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(name)
