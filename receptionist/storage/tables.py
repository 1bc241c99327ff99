"""Every table of the SQL store, on one metadata: the store is a leaf that imports no feature.

Tables are grouped by the part of the product that writes them; the features import their
tables from here, so creating the schema never needs to import (and never cycles through) them.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# --- receptionist.storage.db

calls = sa.Table(
    "calls", metadata,
    sa.Column("sid", sa.String(64), primary_key=True),
    sa.Column("caller", sa.String(255), nullable=False),  # SIP addresses are long
    sa.Column("called", sa.String(255), nullable=False, default=""),
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
    sa.Column("contained", sa.Boolean),  # core.state.contained(), kept for the KPIs
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
    sa.Column("digits", sa.Text),  # keypad input, encrypted like the transcript
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
    sa.Column("number", sa.String(64), nullable=False),
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

# --- integrations.sql

contacts = sa.Table(
    "contacts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("first_name", sa.String(80), nullable=False),
    sa.Column("last_name", sa.String(80), nullable=False),
    sa.Column("phone", sa.String(32), index=True),
    sa.Column("email", sa.String(200)),
    sa.Column("dob", sa.Date),
    sa.Column("balance_cents", sa.Integer, nullable=False, default=0),
    sa.Column("last_interaction_at", sa.DateTime),
    sa.Column("account", sa.String(200)),
    sa.Column("account_value", sa.Float),
    sa.Column("external_id", sa.String(80), index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

timeline = sa.Table(
    "timeline", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("contact_id", sa.Integer, sa.ForeignKey("contacts.id"), index=True),
    sa.Column("phone", sa.String(32)),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # one write per outbox row: a retried delivery finds its own earlier write and stops
    sa.Column("idempotency_key", sa.String(120)),
    sa.UniqueConstraint("idempotency_key", name="uq_timeline_idempotency_key"),
)

appointments = sa.Table(
    "appointments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("contact_id", sa.Integer, sa.ForeignKey("contacts.id"), nullable=False, index=True),
    sa.Column("provider_id", sa.String(40), nullable=False),
    sa.Column("appointment_type", sa.String(40), nullable=False),
    sa.Column("start", sa.DateTime, nullable=False, index=True),
    sa.Column("end", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # two bookings of one provider can never start together (PostgreSQL also refuses any
    # overlap with an exclusion constraint: see the migrations)
    sa.Index("uq_appointments_booked_start", "provider_id", "start", unique=True,
             sqlite_where=sa.text("status = 'booked'"),
             postgresql_where=sa.text("status = 'booked'")),
)

tickets = sa.Table(
    "tickets", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("recording_url", sa.Text),
    sa.Column("status", sa.String(20), nullable=False, default="open"),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# --- receptionist.compliance.audit

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False, index=True),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("signature", sa.String(64)),
    sa.Index("uq_audit_log_prev_hash", "prev_hash", unique=True),  # a fork cannot exist
)

# --- receptionist.compliance.tcpa

consents = sa.Table(
    "outbound_consents", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("phone", sa.String(32), nullable=False, index=True),
    sa.Column("written", sa.Boolean, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)

dnc = sa.Table(
    "do_not_call", metadata,
    sa.Column("phone", sa.String(32), primary_key=True),
    sa.Column("source", sa.String(120), nullable=False),
    sa.Column("added_at", sa.DateTime, nullable=False),
)

attempts = sa.Table(
    "outbound_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("ticket_id", sa.Integer),
    sa.Column("allowed", sa.Boolean, nullable=False),
    sa.Column("rule", sa.String(40), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

# --- receptionist.dashboard.auth

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(12), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

staff_sessions = sa.Table(
    "staff_sessions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # a random token, the cookie's only content
    sa.Column("username", sa.String(80), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_seen_at", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime),
)

login_attempts = sa.Table(
    "login_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(120), nullable=False, index=True),
    sa.Column("address", sa.String(64), nullable=False, index=True),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
)

# --- receptionist.rollout.qa

qa_reviews = sa.Table(
    "qa_reviews", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_sid", sa.String(64), nullable=False, index=True),
    sa.Column("period", sa.String(12), nullable=False),
    sa.Column("reviewer", sa.String(120), nullable=False),
    sa.Column("accuracy", sa.Integer, nullable=False),
    sa.Column("brand_voice", sa.Integer, nullable=False),
    sa.Column("escalation_correct", sa.Boolean, nullable=False),
    sa.Column("satisfaction", sa.Integer, nullable=False),
    sa.Column("notes", sa.Text),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

drift_alerts = sa.Table(
    "drift_alerts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("metric", sa.String(40), nullable=False),
    sa.Column("recent", sa.Float, nullable=False),
    sa.Column("trailing", sa.Float, nullable=False),
    sa.Column("bound", sa.Float, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

# --- receptionist.rollout.readiness

signoffs = sa.Table(
    "signoffs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("signed_at", sa.DateTime, nullable=False),
)

call_log = sa.Table(
    "call_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.DateTime, nullable=False, index=True),
    sa.Column("caller", sa.String(32)),
    sa.Column("status", sa.String(20)),
    sa.Column("duration_s", sa.Integer),
    sa.Column("call_type", sa.String(64)),
    sa.Column("resolved", sa.Boolean),
    sa.Column("after_hours", sa.Boolean),
    sa.Column("source", sa.String(40), nullable=False),
)

# --- receptionist.rollout.stages

flow_stages = sa.Table(
    "flow_stages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("flow", sa.String(64), nullable=False, index=True),
    sa.Column("stage", sa.String(12), nullable=False),
    sa.Column("since", sa.DateTime, nullable=False),
    sa.Column("changed_by", sa.String(120), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, default=""),
)

rollout_events = sa.Table(
    "rollout_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("by", sa.String(120), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

flow_bundles = sa.Table(
    "flow_bundles", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("files", sa.JSON, nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("by", sa.String(120), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

# --- shadow_mode.store

shadow_calls = sa.Table(
    "shadow_calls", metadata,
    sa.Column("call_id", sa.String(80), primary_key=True),
    sa.Column("pilot", sa.String(80), nullable=False, index=True),
    sa.Column("result", sa.JSON, nullable=False),  # encrypted when a data key is configured
    sa.Column("human", sa.JSON, nullable=False),
    sa.Column("labelled_by", sa.String(120)),
    sa.Column("labelled_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# --- receptionist.storage.recordings

recordings = sa.Table(
    "recordings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_sid", sa.String(80), nullable=False, index=True),  # a call or shadow call
    sa.Column("source", sa.String(16), nullable=False),  # local | twilio | shadow
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False, default=0),
    sa.Column("channels", sa.Integer, nullable=False, default=2),  # caller left, receptionist right
    sa.Column("sample_rate", sa.Integer, nullable=False, default=8000),
    sa.Column("audio", sa.LargeBinary),  # AES-256-GCM sealed PCM (crypto.seal); never clear
    sa.Column("timeline", sa.JSON),  # encrypted: who spoke when, escalations, handoffs
    sa.Column("twilio_sid", sa.String(64)),
    sa.Column("twilio_url", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),  # kept | remote | deleted
    sa.Column("deleted_at", sa.DateTime),
    sa.Column("deleted_reason", sa.String(120)),
)

# --- receptionist.rollout.brand

brand_reviews = sa.Table(
    "brand_reviews", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_sid", sa.String(80), nullable=False, index=True),
    sa.Column("week", sa.String(8), nullable=False, index=True),  # ISO week of the call
    sa.Column("reviewer", sa.String(120), nullable=False),
    sa.Column("sounds_like_us", sa.Boolean, nullable=False),
    sa.Column("marks", sa.JSON, nullable=False),  # tone/pacing/vocabulary/pronunciation: ok|off
    sa.Column("note", sa.Text, nullable=False, default=""),  # encrypted
    sa.Column("at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("call_sid", "reviewer", name="uq_brand_review_once"),
)
