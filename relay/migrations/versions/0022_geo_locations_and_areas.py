"""geo-targeting: subscribers' points and geocodes, and the area each broadcast was aimed at

Revision ID: 0022
Revises: 0016
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0024'  # after consent and tallies (0024), merged first
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'geo_locations',
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ondelete='CASCADE',
                                name=op.f('fk_geo_locations_subscriber_id_subscribers')),
        sa.PrimaryKeyConstraint('subscriber_id', name=op.f('pk_geo_locations')),
    )
    op.create_table(
        'geo_codes',
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('value', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ondelete='CASCADE',
                                name=op.f('fk_geo_codes_subscriber_id_subscribers')),
        sa.PrimaryKeyConstraint('subscriber_id', 'name', 'value', name=op.f('pk_geo_codes')),
    )
    op.create_index('ix_geo_codes_name_value', 'geo_codes', ['name', 'value'])
    op.create_table(
        'geo_broadcast_areas',
        sa.Column('broadcast_id', sa.Integer(), nullable=False),
        sa.Column('area', sa.JSON(), nullable=False),
        sa.Column('no_location', sa.String(length=16), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], ondelete='CASCADE',
                                name=op.f('fk_geo_broadcast_areas_broadcast_id_broadcasts')),
        sa.PrimaryKeyConstraint('broadcast_id', name=op.f('pk_geo_broadcast_areas')),
    )


def downgrade() -> None:
    op.drop_table('geo_broadcast_areas')
    op.drop_index('ix_geo_codes_name_value', table_name='geo_codes')
    op.drop_table('geo_codes')
    op.drop_table('geo_locations')
