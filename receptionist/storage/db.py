"""The SQL store's engine and schema: SQLite by default, PostgreSQL with DATABASE_URL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

# Advisory lock namespaces (PostgreSQL): what two workers must never do at the same moment.
CALL, AUDIT, BOOKING, MIGRATION = 1, 2, 3, 4

CONNECT_TIMEOUT_S = 3
STATEMENT_TIMEOUT_MS = 5000
POOL_TIMEOUT_S = 5
SQLITE_BUSY_S = 5
POSTGRES_BOUNDS = {
    "connect_timeout": CONNECT_TIMEOUT_S,
    "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout=4000 "
               "-c idle_in_transaction_session_timeout=30000",
    "tcp_user_timeout": 5000,  # ms: give up on a peer that stopped acknowledging
    "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 2,
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
    """Create an engine with bounded waits; SQLite takes its write lock at BEGIN.

    Every wait is bounded so a webhook always answers inside Twilio's 15 s: connecting
    (CONNECT_TIMEOUT_S), a statement or a lock on the server, an idle transaction, a free
    connection in the pool, and unacknowledged data on a partitioned network.
    """
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True, pool_timeout=POOL_TIMEOUT_S,
                                connect_args=POSTGRES_BOUNDS)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False,
                                               "timeout": SQLITE_BUSY_S}}
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


def advisory_lock(conn: Connection, namespace: int, key: str) -> None:
    """Hold a lock on (namespace, key) until the transaction ends (PostgreSQL).

    SQLite needs none: every transaction takes the database's write lock at BEGIN.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:ns, hashtext(:key))"),
                     {"ns": namespace, "key": key})
