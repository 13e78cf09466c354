"""consent history (append-only) and the delivery tallies that keep counts after a retention purge

Revision ID: 0024
Revises: 0016
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0020'  # after the webinar .ics tokens (0020), merged first
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consent_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=True),
    sa.Column('endpoint_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('words', sa.String(length=200), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], name=op.f('fk_consent_events_subscriber_id_subscribers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_consent_events_endpoint_id_endpoints'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_events'))
    )
    op.create_index('ix_consent_events_subscriber_at', 'consent_events', ['subscriber_id', 'at'], unique=False)
    op.create_index(op.f('ix_consent_events_endpoint_id'), 'consent_events', ['endpoint_id'], unique=False)
    op.create_index(op.f('ix_consent_events_address_hash'), 'consent_events', ['address_hash'], unique=False)
    op.create_table('delivery_tallies',
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_delivery_tallies_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('broadcast_id', 'channel', 'language', 'status', name=op.f('pk_delivery_tallies'))
    )


def downgrade() -> None:
    op.drop_table('delivery_tallies')
    op.drop_index(op.f('ix_consent_events_address_hash'), table_name='consent_events')
    op.drop_index(op.f('ix_consent_events_endpoint_id'), table_name='consent_events')
    op.drop_index('ix_consent_events_subscriber_at', table_name='consent_events')
    op.drop_table('consent_events')
