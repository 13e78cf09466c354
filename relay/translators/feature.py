"""Volunteer translators: `/tr <ref> <text>` for reports and broadcast texts no engine could translate."""

from relay.core.feature import Feature
from relay.translators import offers

FEATURE = Feature(name="translators", commands=(offers,))
