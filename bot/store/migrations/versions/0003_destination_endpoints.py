"""destinations.endpoint_url, endpoint_format and endpoint_secret (outgoing webhooks)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Where a webhook destination POSTs, in which shape, signed with which secret (null for chats).
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('endpoint_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('endpoint_format', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('endpoint_secret', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.drop_column('endpoint_secret')
        batch_op.drop_column('endpoint_format')
        batch_op.drop_column('endpoint_url')
