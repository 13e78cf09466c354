"""Scheduled sends: a broadcast for a moment, or for a local time in each recipient's time zone."""
