"""PostgreSQL: posts' body, search text and lexemes compressed with lz4 where the server has it

A search for a Chinese word of four or more characters reads the text of up to 1,000 candidate
posts (3-8 KB each, out of line) to confirm the whole word; lz4 decompresses them faster than
PostgreSQL's default pglz, and the search benchmark measures lz4. Only values written from now on
change: the search index rebuilt for search rules 3 rewrites the lexemes, a changed post its text.
A server built without lz4 keeps pglz. SQLite: nothing.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = ('body', 'search_text', 'search_lexemes')


def _set(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    # 'lz4' is among the setting's values only when the server was built with it (PostgreSQL 14+).
    has_lz4 = bind.exec_driver_sql(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
    ).first()
    if has_lz4:
        for column in COLUMNS:
            op.execute(f"ALTER TABLE posts ALTER COLUMN {column} SET COMPRESSION {method}")


def upgrade() -> None:
    _set('lz4')


def downgrade() -> None:
    _set('default')
