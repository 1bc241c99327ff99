"""Baseline: the schema of the first release, as `create_all` made it (adopted, not re-created).

A database made by that release has these tables but no `alembic_version`: `receptionist db
upgrade` stamps it at this revision and applies only what came after.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

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


def upgrade() -> None:
    """Create the first release's tables and the audit log's append-only triggers."""
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_audit_log_kind'), 'audit_log', ['kind'], unique=False)
    op.create_table('call_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('caller', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('call_type', sa.String(length=64), nullable=True),
    sa.Column('resolved', sa.Boolean(), nullable=True),
    sa.Column('after_hours', sa.Boolean(), nullable=True),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_call_log_started_at'), 'call_log', ['started_at'], unique=False)
    op.create_table('calls',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('caller', sa.String(length=32), nullable=False),
    sa.Column('called', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('call_type', sa.String(length=64), nullable=True),
    sa.Column('escalation', sa.String(length=64), nullable=True),
    sa.Column('transfer_to', sa.String(length=64), nullable=True),
    sa.Column('disposition', sa.String(length=64), nullable=True),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('after_hours', sa.Boolean(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('sentiment', sa.Float(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sid')
    )
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('first_name', sa.String(length=80), nullable=False),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('dob', sa.Date(), nullable=True),
    sa.Column('balance_cents', sa.Integer(), nullable=False),
    sa.Column('last_interaction_at', sa.DateTime(), nullable=True),
    sa.Column('account', sa.String(length=200), nullable=True),
    sa.Column('account_value', sa.Float(), nullable=True),
    sa.Column('external_id', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_contacts_external_id'), 'contacts', ['external_id'], unique=False)
    op.create_index(op.f('ix_contacts_phone'), 'contacts', ['phone'], unique=False)
    op.create_table('do_not_call',
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('phone')
    )
    op.create_table('drift_alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('recent', sa.Float(), nullable=False),
    sa.Column('trailing', sa.Float(), nullable=False),
    sa.Column('bound', sa.Float(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('flow_bundles',
    sa.Column('version', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('version')
    )
    op.create_table('flow_stages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('flow', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.Column('changed_by', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_flow_stages_flow'), 'flow_stages', ['flow'], unique=False)
    op.create_table('outbound_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('allowed', sa.Boolean(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('outbound_consents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('written', sa.Boolean(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_outbound_consents_phone'), 'outbound_consents', ['phone'], unique=False)
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_outbox_status'), 'outbox', ['status'], unique=False)
    op.create_table('qa_reviews',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=12), nullable=False),
    sa.Column('reviewer', sa.String(length=120), nullable=False),
    sa.Column('accuracy', sa.Integer(), nullable=False),
    sa.Column('brand_voice', sa.Integer(), nullable=False),
    sa.Column('escalation_correct', sa.Boolean(), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_qa_reviews_call_sid'), 'qa_reviews', ['call_sid'], unique=False)
    op.create_table('rollout_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('shadow_calls',
    sa.Column('call_id', sa.String(length=80), nullable=False),
    sa.Column('pilot', sa.String(length=80), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('human', sa.JSON(), nullable=False),
    sa.Column('labelled_by', sa.String(length=120), nullable=True),
    sa.Column('labelled_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('call_id')
    )
    op.create_index(op.f('ix_shadow_calls_pilot'), 'shadow_calls', ['pilot'], unique=False)
    op.create_table('signoffs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('recording_url', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('webhook_requests',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=True),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index(op.f('ix_webhook_requests_call_sid'), 'webhook_requests', ['call_sid'], unique=False)
    op.create_table('appointments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.String(length=40), nullable=False),
    sa.Column('appointment_type', sa.String(length=40), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_appointments_contact_id'), 'appointments', ['contact_id'], unique=False)
    op.create_index(op.f('ix_appointments_start'), 'appointments', ['start'], unique=False)
    op.create_table('dispositions',
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('call_type', sa.String(length=64), nullable=True),
    sa.Column('disposition', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('escalation', sa.String(length=64), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_sid'], ['calls.sid'], ),
    sa.PrimaryKeyConstraint('call_sid')
    )
    op.create_table('handoffs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('whisper', sa.Text(), nullable=False),
    sa.Column('transcript', sa.JSON(), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=True),
    sa.Column('slots', sa.JSON(), nullable=False),
    sa.Column('sentiment', sa.Float(), nullable=False),
    sa.Column('dial_status', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_sid'], ['calls.sid'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_handoffs_call_sid'), 'handoffs', ['call_sid'], unique=False)
    op.create_table('timeline',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_timeline_contact_id'), 'timeline', ['contact_id'], unique=False)
    op.create_table('turns',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('caller_text', sa.Text(), nullable=True),
    sa.Column('digits', sa.String(length=32), nullable=True),
    sa.Column('nlu', sa.JSON(), nullable=True),
    sa.Column('decision', sa.Text(), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('actions', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('duration_ms', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['call_sid'], ['calls.sid'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_sid', 'seq')
    )
    op.create_index(op.f('ix_turns_call_sid'), 'turns', ['call_sid'], unique=False)
    for statement in AUDIT_TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    """Drop every table of the first release."""
    op.drop_index(op.f('ix_turns_call_sid'), table_name='turns')
    op.drop_table('turns')
    op.drop_index(op.f('ix_timeline_contact_id'), table_name='timeline')
    op.drop_table('timeline')
    op.drop_index(op.f('ix_handoffs_call_sid'), table_name='handoffs')
    op.drop_table('handoffs')
    op.drop_table('dispositions')
    op.drop_index(op.f('ix_appointments_start'), table_name='appointments')
    op.drop_index(op.f('ix_appointments_contact_id'), table_name='appointments')
    op.drop_table('appointments')
    op.drop_index(op.f('ix_webhook_requests_call_sid'), table_name='webhook_requests')
    op.drop_table('webhook_requests')
    op.drop_table('users')
    op.drop_table('tickets')
    op.drop_table('signoffs')
    op.drop_index(op.f('ix_shadow_calls_pilot'), table_name='shadow_calls')
    op.drop_table('shadow_calls')
    op.drop_table('rollout_events')
    op.drop_index(op.f('ix_qa_reviews_call_sid'), table_name='qa_reviews')
    op.drop_table('qa_reviews')
    op.drop_index(op.f('ix_outbox_status'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_index(op.f('ix_outbound_consents_phone'), table_name='outbound_consents')
    op.drop_table('outbound_consents')
    op.drop_table('outbound_attempts')
    op.drop_index(op.f('ix_flow_stages_flow'), table_name='flow_stages')
    op.drop_table('flow_stages')
    op.drop_table('flow_bundles')
    op.drop_table('drift_alerts')
    op.drop_table('do_not_call')
    op.drop_index(op.f('ix_contacts_phone'), table_name='contacts')
    op.drop_index(op.f('ix_contacts_external_id'), table_name='contacts')
    op.drop_table('contacts')
    op.drop_table('calls')
    op.drop_index(op.f('ix_call_log_started_at'), table_name='call_log')
    op.drop_table('call_log')
    op.drop_index(op.f('ix_audit_log_kind'), table_name='audit_log')
    op.drop_table('audit_log')
