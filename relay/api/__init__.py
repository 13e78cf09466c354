"""The coordinator's HTTP API and the console it serves (relay/console/).

Kept import-light: the dispatcher imports `relay.core.metrics` for its two hooks, and must not pull in
FastAPI's routers to do so.
"""
