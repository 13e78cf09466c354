"""relay networks permissions polls failover

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('polls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reask_after_minutes', sa.Integer(), nullable=True),
    sa.Column('reasked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reask_broadcast_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_polls_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reask_broadcast_id'], ['broadcasts.id'], name=op.f('fk_polls_reask_broadcast_id_broadcasts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_polls')),
    sa.UniqueConstraint('broadcast_id', name=op.f('uq_polls_broadcast_id'))
    )
    op.create_table('relay_nodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('community', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('hub_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hub_id'], ['relay_nodes.id'], name=op.f('fk_relay_nodes_hub_id_relay_nodes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], name=op.f('fk_relay_nodes_subscriber_id_subscribers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relay_nodes')),
    sa.UniqueConstraint('community', name=op.f('uq_relay_nodes_community'))
    )
    with op.batch_alter_table('relay_nodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_relay_nodes_hub_id'), ['hub_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_relay_nodes_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_relay_nodes_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('poll_answers',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('option', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_answers_poll_id_polls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], name=op.f('fk_poll_answers_subscriber_id_subscribers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('poll_id', 'subscriber_id', name=op.f('pk_poll_answers'))
    )
    op.create_table('relay_acks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acked_by', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_relay_acks_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['node_id'], ['relay_nodes.id'], name=op.f('fk_relay_acks_node_id_relay_nodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relay_acks')),
    sa.UniqueConstraint('broadcast_id', 'code', name='uq_relay_acks_broadcast_code'),
    sa.UniqueConstraint('broadcast_id', 'node_id', name='uq_relay_acks_broadcast_node')
    )
    with op.batch_alter_table('relay_acks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_relay_acks_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_relay_acks_node_id'), ['node_id'], unique=False)
        batch_op.create_index('ix_relay_acks_open', ['acked_at', 'step'], unique=False)

    op.create_table('relay_backups',
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['relay_nodes.id'], name=op.f('fk_relay_backups_node_id_relay_nodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], name=op.f('fk_relay_backups_subscriber_id_subscribers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('node_id', 'subscriber_id', name=op.f('pk_relay_backups'))
    )
    op.create_table('failovers',
    sa.Column('failed_delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('next_delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('exhausted', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['failed_delivery_id'], ['deliveries.id'], name=op.f('fk_failovers_failed_delivery_id_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['next_delivery_id'], ['deliveries.id'], name=op.f('fk_failovers_next_delivery_id_deliveries'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('failed_delivery_id', name=op.f('pk_failovers'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prefix', sa.Text(), nullable=True))

    with op.batch_alter_table('endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failover_rank', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('endpoints', schema=None) as batch_op:
        batch_op.drop_column('failover_rank')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('prefix')

    op.drop_table('failovers')
    op.drop_table('relay_backups')
    with op.batch_alter_table('relay_acks', schema=None) as batch_op:
        batch_op.drop_index('ix_relay_acks_open')
        batch_op.drop_index(batch_op.f('ix_relay_acks_node_id'))
        batch_op.drop_index(batch_op.f('ix_relay_acks_code'))

    op.drop_table('relay_acks')
    op.drop_table('poll_answers')
    with op.batch_alter_table('relay_nodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_relay_nodes_subscriber_id'))
        batch_op.drop_index(batch_op.f('ix_relay_nodes_region'))
        batch_op.drop_index(batch_op.f('ix_relay_nodes_hub_id'))

    op.drop_table('relay_nodes')
    op.drop_table('polls')
