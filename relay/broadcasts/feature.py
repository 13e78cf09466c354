"""Broadcasts from the command line and from chat (/broadcast)."""

from relay.broadcasts import cli, commands
from relay.core.feature import Feature

FEATURE = Feature(name="broadcasts", commands=(commands,), cli=(("broadcast", cli.app),))
