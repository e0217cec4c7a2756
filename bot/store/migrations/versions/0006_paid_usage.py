"""paid_usage: paid broadcast sends per platform and day (the daily Stars budget)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Counted in the database so a restart or the standby replica taking over keeps the budget.
    op.create_table(
        'paid_usage',
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('messages', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('platform', 'day', name=op.f('pk_paid_usage')),
    )


def downgrade() -> None:
    op.drop_table('paid_usage')
