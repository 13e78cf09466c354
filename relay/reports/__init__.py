"""Citizen reports: intake, triage, routing to responders, notices and privacy."""
