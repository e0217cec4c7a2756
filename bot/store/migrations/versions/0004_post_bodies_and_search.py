"""posts.body, search_text and search_lexemes; the search index (SQLite FTS5, PostgreSQL GIN)

SQLite: contentless FTS5 tables, posts_search and posts_search_title (titles again, for ranking),
with one row per searchable post (active, not a draft) whose id is at most the meta value
'search_indexed_through'; triggers keep those rows in step with posts, through functions the bot registers on each connection (bot.store.posts). Posts
past the mark are indexed by the indexer in the background (bot.index.indexer), and searched
directly until then.

PostgreSQL: posts.search_lexemes (a tsvector the bot computes) under a partial GIN index; a trigger
clears it when a searched column changes, and the indexer fills it again. No extension is needed
(pg_trgm cannot look up one or two characters, the common Chinese query).

Both: the meta value 'listed_posts' counts the active posts that are not drafts, kept by triggers,
so a page of /latest need not count 100,000 rows (bot.store.posts.count_published).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

WATERMARK = "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_indexed_through')"
INDEXED = "{row}.state = 'active' AND NOT {row}.draft"
# In posts_search: listed, and with its search text (a big scan leaves that to the catch-up).
SEARCHABLE = INDEXED + " AND ({row}.search_text != '' OR {row}.body = '')"
COLUMNS = "title, tags, meta, body"


def _values(row: str) -> str:
    return (
        f"search_key({row}.published_at, {row}.id), search_stream({row}.title), search_tags({row}.tags), "
        f"search_meta({row}.category, {row}.slug), search_stream({row}.search_text)"
    )


TITLE = "search_key({row}.published_at, {row}.id), search_stream({row}.title)"
SQLITE = [
    "CREATE VIRTUAL TABLE posts_search USING fts5("
    f"{COLUMNS}, content='', columnsize=0, tokenize='unicode61 remove_diacritics 0')",
    # Titles again, on their own: title hits are found in this small table and listed first.
    "CREATE VIRTUAL TABLE posts_search_title USING fts5("
    "title, content='', columnsize=0, tokenize='unicode61 remove_diacritics 0')",
    f"""CREATE TRIGGER posts_search_insert AFTER INSERT ON posts
    WHEN {SEARCHABLE.format(row='new')} AND new.id <= {WATERMARK}
    BEGIN
        INSERT INTO posts_search(rowid, {COLUMNS}) VALUES ({_values('new')});
        INSERT INTO posts_search_title(rowid, title) VALUES ({TITLE.format(row='new')});
    END""",
    f"""CREATE TRIGGER posts_search_update
    AFTER UPDATE OF title, tags, category, slug, body, search_text, state, draft, published_at ON posts
    WHEN old.id <= {WATERMARK}
    BEGIN
        INSERT INTO posts_search(posts_search, rowid, {COLUMNS})
            SELECT 'delete', {_values('old')} WHERE {SEARCHABLE.format(row='old')};
        INSERT INTO posts_search_title(posts_search_title, rowid, title)
            SELECT 'delete', {TITLE.format(row='old')} WHERE {SEARCHABLE.format(row='old')};
        INSERT INTO posts_search(rowid, {COLUMNS}) SELECT {_values('new')} WHERE {SEARCHABLE.format(row='new')};
        INSERT INTO posts_search_title(rowid, title)
            SELECT {TITLE.format(row='new')} WHERE {SEARCHABLE.format(row='new')};
    END""",
    f"""CREATE TRIGGER posts_search_delete AFTER DELETE ON posts
    WHEN {SEARCHABLE.format(row='old')} AND old.id <= {WATERMARK}
    BEGIN
        INSERT INTO posts_search(posts_search, rowid, {COLUMNS}) VALUES ('delete', {_values('old')});
        INSERT INTO posts_search_title(posts_search_title, rowid, title) VALUES ('delete', {TITLE.format(row='old')});
    END""",
]

LISTED = "UPDATE meta SET value = CAST(value AS INTEGER) {change} WHERE key = 'listed_posts'"
SQLITE_LISTED = [
    f"""CREATE TRIGGER posts_listed_insert AFTER INSERT ON posts WHEN {INDEXED.format(row='new')}
    BEGIN {LISTED.format(change='+ 1')}; END""",
    f"""CREATE TRIGGER posts_listed_update AFTER UPDATE OF state, draft ON posts
    WHEN ({INDEXED.format(row='old')}) != ({INDEXED.format(row='new')})
    BEGIN {LISTED.format(change=f"+ CASE WHEN {INDEXED.format(row='new')} THEN 1 ELSE -1 END")}; END""",
    f"""CREATE TRIGGER posts_listed_delete AFTER DELETE ON posts WHEN {INDEXED.format(row='old')}
    BEGIN {LISTED.format(change='- 1')}; END""",
]
POSTGRESQL_LISTED = [
    """CREATE FUNCTION posts_listed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        delta integer := 0;
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state = 'active' AND NOT OLD.draft THEN
            delta := delta - 1;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'active' AND NOT NEW.draft THEN
            delta := delta + 1;
        END IF;
        IF delta <> 0 THEN
            UPDATE meta SET value = (CAST(value AS integer) + delta)::text WHERE key = 'listed_posts';
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER posts_listed AFTER INSERT OR UPDATE OF state, draft OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_listed()""",
]
COUNT_LISTED = (
    "INSERT INTO meta (key, value) SELECT 'listed_posts', CAST(count(*) AS VARCHAR(20)) FROM posts "
    "WHERE state = 'active' AND NOT draft"
)

POSTGRESQL = [
    "CREATE INDEX ix_posts_search_lexemes ON posts USING gin (search_lexemes) "
    "WHERE state = 'active' AND NOT draft",
    "CREATE INDEX ix_posts_search_pending ON posts (id) WHERE search_lexemes IS NULL",
    """CREATE FUNCTION posts_search_stale() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_lexemes := NULL;
        RETURN NEW;
    END
    $$""",
    """CREATE TRIGGER posts_search_stale BEFORE UPDATE OF title, tags, category, slug, search_text ON posts
    FOR EACH ROW WHEN (
        OLD.title IS DISTINCT FROM NEW.title OR OLD.tags::text IS DISTINCT FROM NEW.tags::text
        OR OLD.category IS DISTINCT FROM NEW.category OR OLD.slug IS DISTINCT FROM NEW.slug
        OR OLD.search_text IS DISTINCT FROM NEW.search_text
    ) EXECUTE FUNCTION posts_search_stale()""",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(
            sa.Column('search_lexemes', sa.Text().with_variant(TSVECTOR(), 'postgresql'), nullable=True)
        )
        # /latest and its count from the index alone: rows now carry whole bodies.
        batch_op.create_index('ix_posts_listing', ['state', 'draft', 'published_at', 'id'], unique=False)
        # Search text still to be derived: a scan of thousands of files leaves it to the catch-up.
        pending = sa.text("search_text = '' AND body != ''")
        batch_op.create_index(
            'ix_posts_text_pending', ['id'], unique=False, sqlite_where=pending, postgresql_where=pending
        )
    statements = {'sqlite': SQLITE + SQLITE_LISTED, 'postgresql': POSTGRESQL + POSTGRESQL_LISTED}
    for statement in [*statements.get(dialect, []), COUNT_LISTED]:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DELETE FROM meta WHERE key = 'listed_posts'")
    if dialect == 'sqlite':
        for trigger in ('posts_search_insert', 'posts_search_update', 'posts_search_delete', 'posts_listed_insert',
                        'posts_listed_update', 'posts_listed_delete'):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS posts_search")
        op.execute("DROP TABLE IF EXISTS posts_search_title")
        op.execute("DELETE FROM meta WHERE key = 'search_indexed_through'")
    elif dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS posts_search_stale ON posts")
        op.execute("DROP FUNCTION IF EXISTS posts_search_stale()")
        op.execute("DROP TRIGGER IF EXISTS posts_listed ON posts")
        op.execute("DROP FUNCTION IF EXISTS posts_listed()")
        op.execute("DROP INDEX IF EXISTS ix_posts_search_pending")
        op.execute("DROP INDEX IF EXISTS ix_posts_search_lexemes")
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_text_pending')
        batch_op.drop_index('ix_posts_listing')
        batch_op.drop_column('search_lexemes')
        batch_op.drop_column('search_text')
        batch_op.drop_column('body')
