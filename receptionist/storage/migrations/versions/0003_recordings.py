"""Call recordings (sealed audio with its timeline) and brand-voice reviews.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The two new tables."""
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(80), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("audio", sa.LargeBinary(), nullable=True),
        sa.Column("timeline", sa.JSON(), nullable=True),
        sa.Column("twilio_sid", sa.String(64), nullable=True),
        sa.Column("twilio_url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_reason", sa.String(120), nullable=True),
    )
    op.create_index("ix_recordings_call_sid", "recordings", ["call_sid"])
    op.create_table(
        "brand_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(80), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("reviewer", sa.String(120), nullable=False),
        sa.Column("sounds_like_us", sa.Boolean(), nullable=False),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("call_sid", "reviewer", name="uq_brand_review_once"),
    )
    op.create_index("ix_brand_reviews_call_sid", "brand_reviews", ["call_sid"])
    op.create_index("ix_brand_reviews_week", "brand_reviews", ["week"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("brand_reviews")
    op.drop_table("recordings")
