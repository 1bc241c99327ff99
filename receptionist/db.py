"""The SQL store's tables and engine: SQLite by default, PostgreSQL with DATABASE_URL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

metadata = sa.MetaData()

calls = sa.Table(
    "calls", metadata,
    sa.Column("sid", sa.String(64), primary_key=True),
    sa.Column("caller", sa.String(32), nullable=False),
    sa.Column("called", sa.String(32), nullable=False, default=""),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("call_type", sa.String(64)),
    sa.Column("escalation", sa.String(64)),
    sa.Column("transfer_to", sa.String(64)),
    sa.Column("disposition", sa.String(64)),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("after_hours", sa.Boolean),
    sa.Column("language", sa.String(8)),
    sa.Column("sentiment", sa.Float),
    sa.Column("duration_s", sa.Float),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

turns = sa.Table(
    "turns", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_sid", sa.String(64), sa.ForeignKey("calls.sid"), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("caller_text", sa.Text),
    sa.Column("digits", sa.String(32)),
    sa.Column("nlu", sa.JSON),
    sa.Column("decision", sa.Text),
    sa.Column("reply", sa.Text),
    sa.Column("actions", sa.JSON),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("duration_ms", sa.Float),
    sa.UniqueConstraint("call_sid", "seq"),
)

handoffs = sa.Table(
    "handoffs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_sid", sa.String(64), sa.ForeignKey("calls.sid"), nullable=False, index=True),
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("target", sa.String(64), nullable=False),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("whisper", sa.Text, nullable=False),
    sa.Column("transcript", sa.JSON, nullable=False),
    sa.Column("intent", sa.String(64)),
    sa.Column("slots", sa.JSON, nullable=False),
    sa.Column("sentiment", sa.Float, nullable=False),
    sa.Column("dial_status", sa.String(20)),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

dispositions = sa.Table(
    "dispositions", metadata,
    sa.Column("call_sid", sa.String(64), sa.ForeignKey("calls.sid"), primary_key=True),
    sa.Column("call_type", sa.String(64)),
    sa.Column("disposition", sa.String(64)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("escalation", sa.String(64)),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

webhook_requests = sa.Table(
    "webhook_requests", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("call_sid", sa.String(64), index=True),
    sa.Column("response", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(12), nullable=False, default="pending", index=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("done_at", sa.DateTime),
)


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo: how every timestamp is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_db(moment: datetime) -> datetime:
    """Store an aware datetime as naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def from_db(moment: datetime) -> datetime:
    """Read a stored naive UTC datetime back as aware."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


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
    """Create every table that does not exist yet (the integrations' tables included)."""
    import integrations.sql  # noqa: F401  (registers its tables on the shared metadata)
    import receptionist.compliance.audit  # noqa: F401
    import receptionist.compliance.tcpa  # noqa: F401
    import receptionist.dashboard.auth  # noqa: F401
    import receptionist.qa  # noqa: F401
    import receptionist.readiness  # noqa: F401
    import receptionist.rollout  # noqa: F401
    import shadow_mode.store  # noqa: F401

    metadata.create_all(engine)
    _add_missing_columns(engine)
    from receptionist.compliance.audit import protect

    protect(engine)


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
