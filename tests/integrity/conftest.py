"""Integrity tests: a database on SQLite and PostgreSQL, Apertium as the only engine (en <-> es)."""

from __future__ import annotations

from contextlib import closing
from typing import Iterator

import pytest

from relay.app.settings import Settings, load_settings
from relay.core.db import Database

KEY_A = "a3f1c9d27b4e8f60a3f1c9d27b4e8f60"
KEY_B = "5c0e7d19a2b84f36c5e0d7a19b2f8436"


@pytest.fixture
def integrity_settings(tmp_path, database_url) -> Settings:
    return load_settings(None, overrides={
        "data_dir": str(tmp_path / "data"), "database_url": database_url,
        "translation": {"engines": ["apertium"]},
        "integrity": {"verification_keys": {"k2026a": KEY_A}},
    })


@pytest.fixture
def db(integrity_settings) -> Iterator[Database]:
    with closing(Database.open(integrity_settings, upgrade=True)) as database:
        yield database
