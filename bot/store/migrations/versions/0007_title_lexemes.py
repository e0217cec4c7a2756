"""posts.title_lexemes: PostgreSQL's title hits from a small tsvector of their own

Title hits are listed first. Found through the lexemes of the whole post they made the database
read each candidate's body lexemes (~18 KB, out of line) or every title hit's row; a title's own
lexemes stay in the row, under a GIN index of their own. The trigger that marks a post for
re-indexing clears both. SQLite keeps its posts_search_title table and leaves the column empty.
The search rules change with it (bot.store.search_index.SEARCH_RULES): the first scan after the
upgrade rebuilds PostgreSQL's index in the background, searches read the posts meanwhile.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

STALE = """CREATE OR REPLACE FUNCTION posts_search_stale() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_lexemes := NULL;{more}
        RETURN NEW;
    END
    $$"""


def upgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('title_lexemes', sa.Text().with_variant(TSVECTOR(), 'postgresql'), nullable=True)
        )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE INDEX ix_posts_title_lexemes ON posts USING gin (title_lexemes) "
            "WHERE state = 'active' AND NOT draft"
        )
        op.execute(STALE.format(more="\n        NEW.title_lexemes := NULL;"))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(STALE.format(more=""))
        op.execute("DROP INDEX IF EXISTS ix_posts_title_lexemes")
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('title_lexemes')
