"""voice recordings: a volunteer's recording of a broadcast in one language, played on calls

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('voice_recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('file_name', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.String(length=200), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_voice_recordings_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_recordings')),
    sa.UniqueConstraint('broadcast_id', 'language', name=op.f('uq_voice_recordings_broadcast_id'))
    )
    op.create_index(op.f('ix_voice_recordings_broadcast_id'), 'voice_recordings', ['broadcast_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_voice_recordings_broadcast_id'), table_name='voice_recordings')
    op.drop_table('voice_recordings')
