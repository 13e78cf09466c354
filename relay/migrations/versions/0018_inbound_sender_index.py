"""inbound sender index: when each person last wrote on a channel (WhatsApp's 24-hour window)

Revision ID: 0018
Revises: 0011
Create Date: 2026-12-04
"""
from alembic import op


revision = '0018'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_inbound_channel_sender_received', 'inbound_messages', ['channel', 'sender', 'received_at'])


def downgrade() -> None:
    op.drop_index('ix_inbound_channel_sender_received', table_name='inbound_messages')
