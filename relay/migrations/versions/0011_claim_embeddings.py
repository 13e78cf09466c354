"""claim embeddings: each claim's sentence vector (and its correction's) with the id of the model that made it

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-04

Claims keep their multilingual-e5 vectors so that every process loads the claim matrix without embedding
again; `embedding_model` tells a process whose model changed which vectors to make anew. The (retired, id)
index serves the "did the claims change?" aggregate every screening runs (a full scan of wide rows otherwise).
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0012'  # after the CAP documents (0012), which landed first
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('integrity_claims') as batch:
        batch.add_column(sa.Column('embedding', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('correction_embedding', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('embedding_model', sa.String(length=120), nullable=True))
    op.create_index('ix_integrity_claims_retired_id', 'integrity_claims', ['retired', 'id'])


def downgrade() -> None:
    op.drop_index('ix_integrity_claims_retired_id', table_name='integrity_claims')
    with op.batch_alter_table('integrity_claims') as batch:
        batch.drop_column('embedding_model')
        batch.drop_column('correction_embedding')
        batch.drop_column('embedding')
