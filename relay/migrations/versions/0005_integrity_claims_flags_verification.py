"""integrity claims flags verification

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('integrity_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('pivot_text', sa.Text(), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('correction', sa.Text(), nullable=True),
    sa.Column('correction_pivot', sa.Text(), nullable=True),
    sa.Column('source_url', sa.String(length=500), nullable=True),
    sa.Column('added_by', sa.String(length=200), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_claims')),
    sa.UniqueConstraint('text_hash', name=op.f('uq_integrity_claims_text_hash'))
    )
    op.create_table('integrity_screenings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('sender', sa.String(length=255), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('pivot_text', sa.Text(), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['integrity_claims.id'], name=op.f('fk_integrity_screenings_claim_id_integrity_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_screenings'))
    )
    op.create_index(op.f('ix_integrity_screenings_at'), 'integrity_screenings', ['at'], unique=False)
    op.create_index('ix_integrity_screenings_hash_at', 'integrity_screenings', ['text_hash', 'at'], unique=False)
    op.create_index(op.f('ix_integrity_screenings_origin'), 'integrity_screenings', ['origin'], unique=False)
    op.create_index('ix_integrity_screenings_sender_at', 'integrity_screenings', ['sender', 'at'], unique=False)
    op.create_table('integrity_verification_codes',
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_integrity_verification_codes_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('broadcast_id', name=op.f('pk_integrity_verification_codes'))
    )
    op.create_index(op.f('ix_integrity_verification_codes_code'), 'integrity_verification_codes', ['code'], unique=False)
    op.create_table('integrity_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('screening_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('corrections', sa.JSON(), nullable=False),
    sa.Column('release_pending', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['integrity_claims.id'], name=op.f('fk_integrity_flags_claim_id_integrity_claims')),
    sa.ForeignKeyConstraint(['screening_id'], ['integrity_screenings.id'], name=op.f('fk_integrity_flags_screening_id_integrity_screenings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_flags')),
    sa.UniqueConstraint('screening_id', name=op.f('uq_integrity_flags_screening_id'))
    )
    op.create_index(op.f('ix_integrity_flags_status'), 'integrity_flags', ['status'], unique=False)
    op.create_table('integrity_relayed_copies',
    sa.Column('screening_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_integrity_relayed_copies_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['screening_id'], ['integrity_screenings.id'], name=op.f('fk_integrity_relayed_copies_screening_id_integrity_screenings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('screening_id', 'broadcast_id', name=op.f('pk_integrity_relayed_copies'))
    )
    op.create_table('integrity_flag_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=False),
    sa.Column('moderator', sa.String(length=200), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('correction', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['flag_id'], ['integrity_flags.id'], name=op.f('fk_integrity_flag_votes_flag_id_integrity_flags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_flag_votes')),
    sa.UniqueConstraint('flag_id', 'moderator', name='uq_integrity_flag_votes_flag_moderator')
    )
    op.create_index(op.f('ix_integrity_flag_votes_flag_id'), 'integrity_flag_votes', ['flag_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_integrity_flag_votes_flag_id'), table_name='integrity_flag_votes')
    op.drop_table('integrity_flag_votes')
    op.drop_table('integrity_relayed_copies')
    op.drop_index(op.f('ix_integrity_flags_status'), table_name='integrity_flags')
    op.drop_table('integrity_flags')
    op.drop_index(op.f('ix_integrity_verification_codes_code'), table_name='integrity_verification_codes')
    op.drop_table('integrity_verification_codes')
    op.drop_index('ix_integrity_screenings_sender_at', table_name='integrity_screenings')
    op.drop_index(op.f('ix_integrity_screenings_origin'), table_name='integrity_screenings')
    op.drop_index('ix_integrity_screenings_hash_at', table_name='integrity_screenings')
    op.drop_index(op.f('ix_integrity_screenings_at'), table_name='integrity_screenings')
    op.drop_table('integrity_screenings')
    op.drop_table('integrity_claims')
