"""Throwaway PostgreSQL databases for tests and benchmarks: created on the server, then dropped.

Nothing here touches a database it did not create.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from receptionist.storage.db import make_engine


@contextmanager
def fresh_postgres(url: str, prefix: str = "rx_test") -> Iterator[str]:
    """Create `<prefix>_<random>` on the server behind `url`, yield its URL, then drop it."""
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
