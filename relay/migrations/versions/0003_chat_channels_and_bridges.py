"""chat channels and bridges

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_state',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_channel_state'))
    )
    op.create_table('bridges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('rate_per_minute', sa.Float(), nullable=False),
    sa.Column('next_slot_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bridges')),
    sa.UniqueConstraint('name', name=op.f('uq_bridges_name'))
    )
    op.create_table('bridge_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bridge_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bridge_id'], ['bridges.id'], name=op.f('fk_bridge_members_bridge_id_bridges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_bridge_members_endpoint_id_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bridge_members')),
    sa.UniqueConstraint('endpoint_id', name=op.f('uq_bridge_members_endpoint_id'))
    )
    op.create_index(op.f('ix_bridge_members_bridge_id'), 'bridge_members', ['bridge_id'], unique=False)
    op.create_table('bridged_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bridge_id', sa.Integer(), nullable=False),
    sa.Column('origin_channel', sa.String(length=16), nullable=False),
    sa.Column('origin_key', sa.String(length=255), nullable=False),
    sa.Column('origin_endpoint_id', sa.Integer(), nullable=False),
    sa.Column('sender_name', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bridge_id'], ['bridges.id'], name=op.f('fk_bridged_messages_bridge_id_bridges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_bridged_messages_broadcast_id_broadcasts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['origin_endpoint_id'], ['endpoints.id'], name=op.f('fk_bridged_messages_origin_endpoint_id_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bridged_messages')),
    sa.UniqueConstraint('origin_channel', 'origin_key', name='uq_bridged_messages_origin')
    )
    op.create_index(op.f('ix_bridged_messages_bridge_id'), 'bridged_messages', ['bridge_id'], unique=False)
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('reply_sent_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_table('channel_state')
    op.drop_index(op.f('ix_bridged_messages_bridge_id'), table_name='bridged_messages')
    op.drop_table('bridged_messages')
    op.drop_index(op.f('ix_bridge_members_bridge_id'), table_name='bridge_members')
    op.drop_table('bridge_members')
    op.drop_table('bridges')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_column('reply_sent_at')
        batch_op.drop_column('reply_to')
