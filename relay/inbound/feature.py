"""The commands every relay answers on every channel: JOIN, STOP, START, HELP, LANG."""

from relay.core.feature import Feature
from relay.inbound import basic_commands

FEATURE = Feature(name="subscribing", commands=(basic_commands,))
