"""destinations.full_posts (whole posts as transmissions) and readings (whole posts readers opened)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `/settings full on`: the destination gets whole posts instead of the transmission card.
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_posts', sa.Boolean(), nullable=False, server_default=sa.false()))
    # A whole post a reader opened in a chat: its messages are edited when the post changes.
    op.create_table(
        'readings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('chat_id', sa.String(length=64), nullable=False),
        sa.Column('thread_id', sa.String(length=64), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('post_version', sa.Integer(), nullable=False),
        sa.Column('message_ids', sa.JSON(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_readings_post_id_posts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_readings')),
    )
    op.create_index('ix_readings_post_sent', 'readings', ['post_id', 'sent_at'])


def downgrade() -> None:
    op.drop_index('ix_readings_post_sent', table_name='readings')
    op.drop_table('readings')
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.drop_column('full_posts')
