"""Inbound: handling one Inbound exactly once, the chat loops, commands and keywords (STOP always wins)."""
