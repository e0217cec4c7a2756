"""deliveries.sent_chat_id and destinations.next_digest_at

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The chat each sent message is in, so edits and deletes follow it and not the destination.
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_chat_id', sa.String(length=64), nullable=True))
    # When each digest is next due: one indexed query finds the due ones (null: computed at start).
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_digest_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_destinations_next_digest_at'), ['next_digest_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destinations_next_digest_at'))
        batch_op.drop_column('next_digest_at')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('sent_chat_id')
