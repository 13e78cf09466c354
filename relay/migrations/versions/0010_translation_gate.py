"""translation gate: each broadcast text's gate verdict and check results; volunteer offer deadline

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('broadcast_texts') as batch:
        batch.add_column(sa.Column('gate_verdict', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('gate_checks', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('offer_deadline', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('broadcast_texts') as batch:
        batch.drop_column('offer_deadline')
        batch.drop_column('gate_checks')
        batch.drop_column('gate_verdict')
