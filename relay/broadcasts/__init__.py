"""Broadcasts from the command line and chat (/broadcast)."""
