"""Every table of the relay, from the Feature list: Alembic's comparison and the schema test load them.

A feature with tables of its own names its models module in its Feature (`models=`); nothing else.
"""

from __future__ import annotations

from relay.app import features  # noqa: F401  (importing the Feature list imports every models module)
from relay.core.models import Base


def metadata():
    """The metadata of every feature's tables (importing the Feature list imported their modules)."""
    return Base.metadata
