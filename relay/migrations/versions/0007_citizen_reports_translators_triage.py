"""citizen reports translators triage

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=12), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('sender', sa.String(length=255), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=True),
    sa.Column('inbound_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('english', sa.Text(), nullable=True),
    sa.Column('english_origin', sa.String(length=16), nullable=True),
    sa.Column('translated_by', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('rooms', sa.JSON(), nullable=False),
    sa.Column('duplicate_of', sa.Integer(), nullable=True),
    sa.Column('resends', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=200), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=200), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['duplicate_of'], ['reports.id'], name=op.f('fk_reports_duplicate_of_reports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_reports_endpoint_id_endpoints'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['inbound_id'], ['inbound_messages.id'], name=op.f('fk_reports_inbound_id_inbound_messages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('reference', name=op.f('uq_reports_reference'))
    )
    op.create_index(op.f('ix_reports_created_at'), 'reports', ['created_at'], unique=False)
    op.create_index(op.f('ix_reports_duplicate_of'), 'reports', ['duplicate_of'], unique=False)
    op.create_index(op.f('ix_reports_sender'), 'reports', ['sender'], unique=False)
    op.create_index('ix_reports_status_due', 'reports', ['status', 'due_at'], unique=False)
    op.create_table('translators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('available', sa.Boolean(), nullable=False),
    sa.Column('added_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_translators_endpoint_id_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_translators')),
    sa.UniqueConstraint('endpoint_id', 'source', 'target', name='uq_translators_endpoint_pair')
    )
    op.create_index(op.f('ix_translators_endpoint_id'), 'translators', ['endpoint_id'], unique=False)
    op.create_index(op.f('ix_translators_source'), 'translators', ['source'], unique=False)
    op.create_table('translation_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('translator_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_translation_offers_report_id_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['translator_id'], ['translators.id'], name=op.f('fk_translation_offers_translator_id_translators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_translation_offers')),
    sa.UniqueConstraint('report_id', 'translator_id', name='uq_translation_offers_report_translator')
    )
    op.create_index(op.f('ix_translation_offers_report_id'), 'translation_offers', ['report_id'], unique=False)
    op.create_index(op.f('ix_translation_offers_translator_id'), 'translation_offers', ['translator_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_translation_offers_translator_id'), table_name='translation_offers')
    op.drop_index(op.f('ix_translation_offers_report_id'), table_name='translation_offers')
    op.drop_table('translation_offers')
    op.drop_index(op.f('ix_translators_source'), table_name='translators')
    op.drop_index(op.f('ix_translators_endpoint_id'), table_name='translators')
    op.drop_table('translators')
    op.drop_index('ix_reports_status_due', table_name='reports')
    op.drop_index(op.f('ix_reports_sender'), table_name='reports')
    op.drop_index(op.f('ix_reports_duplicate_of'), table_name='reports')
    op.drop_index(op.f('ix_reports_created_at'), table_name='reports')
    op.drop_table('reports')
