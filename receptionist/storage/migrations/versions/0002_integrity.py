"""Integrity under load: no double bookings, no audit forks, one CRM write per row.

Also: SIP-sized caller columns, containment stored with each call, server-side staff sessions
and login attempts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from receptionist.core.state import contained

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BOOKED = sa.text("status = 'booked'")
NO_OVERLAP = ("ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist "
              "(provider_id WITH =, tsrange(start, \"end\") WITH &&) WHERE (status = 'booked')")


def upgrade() -> None:
    """Constraints that make double bookings and audit forks impossible, and the new tables."""
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # SQLite does not enforce lengths; PostgreSQL refused long SIP addresses
        op.alter_column("calls", "caller", type_=sa.String(255))
        op.alter_column("calls", "called", type_=sa.String(255))
        op.alter_column("turns", "digits", type_=sa.Text())
        op.alter_column("handoffs", "number", type_=sa.String(64))
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("contained", sa.Boolean(), nullable=True))
    _backfill_containment()
    with op.batch_alter_table("timeline") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(120), nullable=True))
        batch.create_unique_constraint("uq_timeline_idempotency_key", ["idempotency_key"])
    op.create_index("uq_appointments_booked_start", "appointments", ["provider_id", "start"],
                    unique=True, sqlite_where=BOOKED, postgresql_where=BOOKED)
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(NO_OVERLAP)
    op.create_index("uq_audit_log_prev_hash", "audit_log", ["prev_hash"], unique=True)
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(80), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True))
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(120), nullable=False, index=True),
        sa.Column("address", sa.String(64), nullable=False, index=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False, index=True))


def _backfill_containment() -> None:
    """Calls stored before the column existed get it from the one definition in the core."""
    calls = sa.table("calls", sa.column("sid"), sa.column("status"), sa.column("escalation"),
                     sa.column("call_type"), sa.column("contained", sa.Boolean()))
    bind = op.get_bind()
    for row in bind.execute(sa.select(calls.c.sid, calls.c.status, calls.c.escalation,
                                      calls.c.call_type)).all():
        bind.execute(calls.update().where(calls.c.sid == row.sid).values(
            contained=contained(row.status, row.escalation, row.call_type)))


def downgrade() -> None:
    """Drop what this revision added (column sizes stay)."""
    op.drop_table("login_attempts")
    op.drop_table("staff_sessions")
    op.drop_index("uq_audit_log_prev_hash", "audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE appointments DROP CONSTRAINT IF EXISTS appointments_no_overlap")
    op.drop_index("uq_appointments_booked_start", "appointments")
    with op.batch_alter_table("timeline") as batch:
        batch.drop_constraint("uq_timeline_idempotency_key", type_="unique")
        batch.drop_column("idempotency_key")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("contained")
