"""A fresh schema of a PostgreSQL database, dropped afterwards: what every storage test on PostgreSQL
(tests/conftest.py) and a bench run on it (bench/hostile.py) live in, so that no two runs see each other's
rows and nothing needs a database of its own. (A plain module that imports nothing from tests/: a bench
puts tests/ on its path and imports it as `pg_schema`.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def fresh_schema(base_url: str, prefix: str) -> Iterator[str]:
    """`base_url` narrowed to a new schema named `<prefix>_<random>` for the block; the schema and all in it
    are dropped when the block ends, also when it fails."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
