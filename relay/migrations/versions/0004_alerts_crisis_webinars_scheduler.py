"""alerts crisis webinars scheduler

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

alerts/models.py: crises, milestones and their hash-chained timeline, webinar series / sessions /
RSVPs, imported CAP alerts, the scheduler's once-only guard, and APScheduler's own job table.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_firings',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('broadcast_ids', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_alert_firings'))
    )
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    op.create_index(op.f('ix_apscheduler_jobs_next_run_time'), 'apscheduler_jobs', ['next_run_time'], unique=False)
    op.create_table('crises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_by', sa.String(length=200), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crises'))
    )
    op.create_index(op.f('ix_crises_region'), 'crises', ['region'], unique=False)
    op.create_table('webinar_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('rrule', sa.Text(), nullable=False),
    sa.Column('first_start', sa.String(length=19), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('join_link', sa.String(length=500), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webinar_series'))
    )
    op.create_table('cap_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=True),
    sa.Column('identifier', sa.String(length=200), nullable=False),
    sa.Column('sender', sa.String(length=200), nullable=False),
    sa.Column('sent', sa.String(length=32), nullable=False),
    sa.Column('msg_type', sa.String(length=16), nullable=False),
    sa.Column('infos', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_cap_alerts_broadcast_id_broadcasts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cap_alerts')),
    sa.UniqueConstraint('sender', 'identifier', 'sent', name='uq_cap_alerts_sender')
    )
    op.create_index(op.f('ix_cap_alerts_broadcast_id'), 'cap_alerts', ['broadcast_id'], unique=False)
    op.create_table('crisis_broadcasts',
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('figures_recorded', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_crisis_broadcasts_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_crisis_broadcasts_crisis_id_crises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('broadcast_id', name=op.f('pk_crisis_broadcasts'))
    )
    op.create_index(op.f('ix_crisis_broadcasts_crisis_id'), 'crisis_broadcasts', ['crisis_id'], unique=False)
    op.create_table('crisis_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_crisis_milestones_crisis_id_crises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_milestones')),
    sa.UniqueConstraint('crisis_id', 'key', name='uq_crisis_milestones_crisis_key')
    )
    op.create_table('crisis_timeline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_crisis_timeline_crisis_id_crises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_timeline')),
    sa.UniqueConstraint('crisis_id', 'seq', name='uq_crisis_timeline_crisis_seq')
    )
    op.create_table('webinar_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('occurrence', sa.String(length=19), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['series_id'], ['webinar_series.id'], name=op.f('fk_webinar_sessions_series_id_webinar_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webinar_sessions')),
    sa.UniqueConstraint('series_id', 'occurrence', name='uq_webinar_sessions_series_occurrence')
    )
    op.create_index(op.f('ix_webinar_sessions_series_id'), 'webinar_sessions', ['series_id'], unique=False)
    op.create_index(op.f('ix_webinar_sessions_starts_at'), 'webinar_sessions', ['starts_at'], unique=False)
    op.create_table('webinar_broadcasts',
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_webinar_broadcasts_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['webinar_sessions.id'], name=op.f('fk_webinar_broadcasts_session_id_webinar_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('broadcast_id', name=op.f('pk_webinar_broadcasts'))
    )
    op.create_index(op.f('ix_webinar_broadcasts_session_id'), 'webinar_broadcasts', ['session_id'], unique=False)
    op.create_table('webinar_rsvps',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=8), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_webinar_rsvps_endpoint_id_endpoints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['webinar_sessions.id'], name=op.f('fk_webinar_rsvps_session_id_webinar_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'endpoint_id', name=op.f('pk_webinar_rsvps'))
    )


def downgrade() -> None:
    op.drop_table('webinar_rsvps')
    op.drop_index(op.f('ix_webinar_broadcasts_session_id'), table_name='webinar_broadcasts')
    op.drop_table('webinar_broadcasts')
    op.drop_index(op.f('ix_webinar_sessions_starts_at'), table_name='webinar_sessions')
    op.drop_index(op.f('ix_webinar_sessions_series_id'), table_name='webinar_sessions')
    op.drop_table('webinar_sessions')
    op.drop_table('crisis_timeline')
    op.drop_table('crisis_milestones')
    op.drop_index(op.f('ix_crisis_broadcasts_crisis_id'), table_name='crisis_broadcasts')
    op.drop_table('crisis_broadcasts')
    op.drop_index(op.f('ix_cap_alerts_broadcast_id'), table_name='cap_alerts')
    op.drop_table('cap_alerts')
    op.drop_table('webinar_series')
    op.drop_index(op.f('ix_crises_region'), table_name='crises')
    op.drop_table('crises')
    op.drop_index(op.f('ix_apscheduler_jobs_next_run_time'), table_name='apscheduler_jobs')
    op.drop_table('apscheduler_jobs')
    op.drop_table('alert_firings')
