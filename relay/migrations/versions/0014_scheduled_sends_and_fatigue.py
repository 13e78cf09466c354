"""scheduled sends (scheduled_broadcasts, scheduled_sends: one row per time zone sent) and alert-fatigue
preferences (fatigue_preferences: a person's own quiet hours)

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0018'  # after WhatsApp's index (0018), merged first
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scheduled_broadcasts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('urgency', sa.String(length=16), nullable=False),
        sa.Column('certainty', sa.String(length=16), nullable=False),
        sa.Column('source_language', sa.String(length=16), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('human_texts', sa.JSON(), nullable=False),
        sa.Column('audience', sa.JSON(), nullable=False),
        sa.Column('sender', sa.String(length=200), nullable=False),
        sa.Column('send_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('local_time', sa.String(length=16), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_broadcasts')),
    )
    op.create_index(op.f('ix_scheduled_broadcasts_status'), 'scheduled_broadcasts', ['status'], unique=False)
    op.create_table(
        'scheduled_sends',
        sa.Column('schedule_id', sa.Integer(), nullable=False),
        sa.Column('zone', sa.String(length=64), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('broadcast_id', sa.Integer(), nullable=True),
        sa.Column('deliveries', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['schedule_id'], ['scheduled_broadcasts.id'], ondelete='CASCADE',
                                name=op.f('fk_scheduled_sends_schedule_id_scheduled_broadcasts')),
        sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], ondelete='SET NULL',
                                name=op.f('fk_scheduled_sends_broadcast_id_broadcasts')),
        sa.PrimaryKeyConstraint('schedule_id', 'zone', name=op.f('pk_scheduled_sends')),
    )
    op.create_table(
        'fatigue_preferences',
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('quiet_hours', sa.String(length=16), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ondelete='CASCADE',
                                name=op.f('fk_fatigue_preferences_subscriber_id_subscribers')),
        sa.PrimaryKeyConstraint('subscriber_id', name=op.f('pk_fatigue_preferences')),
    )


def downgrade() -> None:
    op.drop_table('fatigue_preferences')
    op.drop_table('scheduled_sends')
    op.drop_index(op.f('ix_scheduled_broadcasts_status'), table_name='scheduled_broadcasts')
    op.drop_table('scheduled_broadcasts')
