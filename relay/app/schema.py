"""Every table of the relay, from the Feature list: Alembic's comparison and the schema test load them.

A feature with tables of its own names its models module in its Feature (`models=`); nothing else.
"""

from __future__ import annotations

from relay.app import features
from relay.core.models import Base

MODEL_MODULES = tuple(features.model_modules())


def metadata():
    """The metadata of every feature's tables (importing the Feature list imported their modules)."""
    return Base.metadata
