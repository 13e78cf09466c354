"""Geo-targeting: subscribers' locations (a point and/or CAP geocodes) and broadcasts aimed at an area."""
