"""cap documents: the imported CAP alert as it came (validated XML), so an export gives back every
<info>, area (polygons, circles, geocodes), parameter and resource, not only what a broadcast holds

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cap_alerts') as batch:
        batch.add_column(sa.Column('document', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cap_alerts') as batch:
        batch.drop_column('document')
