"""webinar ics tokens: an unguessable token per webinar series for its calendar links

Revision ID: 0020
Revises: 0016
Create Date: 2026-12-07
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webinar_series') as batch:
        batch.add_column(sa.Column('ics_token', sa.String(length=64), nullable=True))
    series = sa.table('webinar_series', sa.column('id', sa.Integer), sa.column('ics_token', sa.String))
    connection = op.get_bind()
    for (series_id,) in connection.execute(sa.select(series.c.id)).all():
        connection.execute(series.update().where(series.c.id == series_id)
                           .values(ics_token=secrets.token_urlsafe(24)))
    with op.batch_alter_table('webinar_series') as batch:
        batch.alter_column('ics_token', existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f('uq_webinar_series_ics_token'), ['ics_token'])


def downgrade() -> None:
    with op.batch_alter_table('webinar_series') as batch:
        batch.drop_constraint(op.f('uq_webinar_series_ics_token'), type_='unique')
        batch.drop_column('ics_token')
