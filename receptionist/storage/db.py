"""The SQL store's engine and schema: SQLite by default, PostgreSQL with DATABASE_URL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from receptionist.core.state import contained
from receptionist.storage.tables import calls, metadata

# The audit log is append-only: the database itself refuses edits and deletes.
AUDIT_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    ],
}


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo: how every timestamp is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_db(moment: datetime) -> datetime:
    """Store an aware datetime as naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def from_db(moment: datetime) -> datetime:
    """Read a stored naive UTC datetime back as aware."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def insert_id(conn: Any, statement: Any) -> int:
    """Run an INSERT and return the new row's integer primary key."""
    key = conn.execute(statement).inserted_primary_key
    if key is None or key[0] is None:
        raise RuntimeError(f"no primary key came back from {statement}")
    return int(key[0])


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite takes its write lock at BEGIN so turns never interleave."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True, future=True)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if url in ("sqlite://", "sqlite:///:memory:"):
        kwargs["poolclass"] = StaticPool
    else:
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
        dbapi_conn.execute("PRAGMA journal_mode=WAL")

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def init_db(engine: Engine) -> None:
    """Create every table that does not exist yet, and the audit log's append-only triggers."""
    metadata.create_all(engine)
    _add_missing_columns(engine)
    with engine.begin() as conn:
        for statement in AUDIT_TRIGGERS.get(engine.dialect.name, []):
            conn.exec_driver_sql(statement)


def _add_missing_columns(engine: Engine) -> None:
    """Add nullable columns that newer versions defined to tables an older version created."""
    with engine.begin() as conn:
        inspector = sa.inspect(conn)
        for table in metadata.sorted_tables:
            existing = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in existing and column.nullable:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.exec_driver_sql(
                        f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
                    if (table.name, column.name) == ("calls", "contained"):
                        _backfill_containment(conn)


def _backfill_containment(conn: Any) -> None:
    """Calls stored before the column existed get it from the one definition in the core."""
    c = calls.c
    for row in conn.execute(sa.select(c.sid, c.status, c.escalation, c.call_type)).all():
        conn.execute(calls.update().where(c.sid == row.sid).values(
            contained=contained(row.status, row.escalation, row.call_type)))
