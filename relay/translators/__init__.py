"""Volunteer translators: reports and broadcast texts no engine could translate."""
