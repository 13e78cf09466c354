"""receipt lookups: when the provider was last asked about a delivery whose status callback never came

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('receipt_checked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('receipt_checked_at')
