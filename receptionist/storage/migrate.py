"""Schema migrations (Alembic): `receptionist db upgrade` applies them; workers never do.

A database made by the first release (tables, no `alembic_version`) is adopted: stamped at the
baseline revision, then upgraded. Concurrent upgrades on PostgreSQL wait for each other.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from receptionist.core.errors import ConfigError
from receptionist.storage.db import MIGRATION, advisory_lock

log = logging.getLogger("receptionist.storage.migrate")
_ALEMBIC = threading.Lock()  # Alembic's `context` and `op` are module globals: one run at a time
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def head() -> str:
    """The revision this release needs."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None, "no migrations shipped"
    return found


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: not under migrations yet)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to this release's revision; return (before, after)."""
    with _ALEMBIC, engine.begin() as conn:
        advisory_lock(conn, MIGRATION, "schema")
        if conn.dialect.name == "postgresql":  # a migration may rewrite big tables
            conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
        tables = set(sa.inspect(conn).get_table_names())
        cfg = _config(conn)
        before = MigrationContext.configure(conn).get_current_revision()
        if before is None and "calls" in tables:
            command.stamp(cfg, BASELINE)  # made by the first release: adopt it
            before = BASELINE
        command.upgrade(cfg, "head")
    return before, head()


def require_current(engine: Engine) -> None:
    """Refuse to serve a database whose schema is not this release's (workers never migrate).

    A database that does not answer is not a reason to refuse: the worker starts, and every
    call gets the apology-and-transfer answer until the database is back.
    """
    try:
        at = current(engine)
    except sa.exc.OperationalError as exc:
        log.error("the database does not answer at start-up (%s); starting anyway: calls go "
                  "to the front desk until it is back", type(exc).__name__)
        return
    needed = head()
    if at != needed:
        raise ConfigError("DATABASE_URL", f"the database schema is at revision {at or 'none'}, "
                          f"this release needs {needed}: run `receptionist db upgrade`")
