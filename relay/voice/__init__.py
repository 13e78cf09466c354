"""Volunteers' recordings of a broadcast, played on voice calls instead of text-to-speech."""
