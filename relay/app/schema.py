"""Every module that defines tables, listed once: Alembic's comparison and the schema test load them all.

A feature with tables of its own adds one line here (alerts, outside the core, is listed by the test
that compares the schema, since the core never imports alerts).
"""

from __future__ import annotations

import importlib

from relay.core.models import Base

MODEL_MODULES = (
    "relay.core.models",
    "relay.bridges.models",
    "relay.networks.models",  # relay networks, polls, failover
    "relay.reports.models",  # citizen reports, volunteer translators
    "relay.integrity.models",  # claims, screenings, moderation flags, verification codes
    "relay.api.models",  # API tokens, two-person drafts of Extreme broadcasts
)


def metadata():
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
