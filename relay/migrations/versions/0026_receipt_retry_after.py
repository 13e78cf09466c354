"""receipt retry_after: a status callback that means "try again in N seconds" (a busy line, no answer)

Revision ID: 0026
Revises: 0016
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op


revision = '0026'
down_revision = '0022'  # after the geo tables (0022), merged first
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('provider_receipts') as batch:
        batch.add_column(sa.Column('retry_after', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('provider_receipts') as batch:
        batch.drop_column('retry_after')
