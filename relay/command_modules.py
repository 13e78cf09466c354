"""The explicit list of modules that register commands and message handlers: one line per feature."""

from __future__ import annotations

import importlib

MODULES = (
    "relay.commands_basic",  # JOIN, STOP, START, HELP, LANG
    "relay.integrity.commands",  # VERIFY <code>; /flags for moderators
    "relay.network",  # ACK <code> from relay nodes
    "relay.polls",  # poll answers (fallthrough 20)
    "relay.bridge",  # messages in bridged rooms
    "relay.commands_broadcast",  # /broadcast, !broadcast (coordinators, partners)
    "relay.reports",  # citizen reports (fallthrough 50), REPORT ..., CANCEL <ref>
    "relay.translators",  # /tr <ref> <text> from volunteer translators
    "relay.report_routing",  # /claim <ref>, /done <ref> from responders
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(name)
