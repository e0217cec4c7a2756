"""The search index's upkeep: SQLite's posts_search tables and PostgreSQL's lexemes.

SQLite: contentless FTS5 tables (migration 0004) hold the posts whose id is at most the meta value
`search_indexed_through`; triggers keep those rows in step through the functions registered here
on every connection, keyed by `search_key` (newest first). PostgreSQL: `posts.search_lexemes`
and `posts.title_lexemes` under GIN indexes, cleared by a trigger when a searched column changes.
Either way the indexer brings new posts in with `catch_up_search`, after its scans
(bot.index.indexer); the searches in bot.store.posts read posts not yet in the index directly
meanwhile.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, delete, func, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.search_query import Document, fts_meta, fts_stream, fts_tags, lexemes, title_lexemes
from bot.content.search_text import stored_search_text
from bot.store.models import TEXT_PENDING, MetaValue, PostRow
from bot.store.states import PostState

WATERMARK_KEY = "search_indexed_through"  # SQLite: posts up to this id are in posts_search
RULES_KEY = "search_rules"  # meta: the rules the stored search index was built by
# Bump when what the index holds changes: the next scan empties it and the catch-up rebuilds it.
# 2: PostgreSQL's lexemes hold CJK triples too. 3: a title's lexemes are kept apart (title_lexemes).
SEARCH_RULES = "3"
_ID_BITS = 27  # posts_search's rowid: the date's second, then the post id (ids below 2**27)
_MAX_SECONDS = 2**35  # dates clamped to about ±1,000 years of 1970 keep the key in 64 bits


def search_key(published_at: datetime, post_id: int) -> int:
    """Return posts_search's rowid for a post: ordering by it is newest first, then highest id."""
    seconds = int(published_at.astimezone(UTC).timestamp() // 1)
    seconds = max(-_MAX_SECONDS, min(seconds, _MAX_SECONDS - 1))
    return (seconds << _ID_BITS) + (post_id & MASK)


def _sqlite_key(published_at: str | None, post_id: int | None) -> int:
    # SQLite keeps the UTC date as naive ISO text (bot.store.models.UTCDateTime).
    moment = datetime.fromisoformat(published_at or "1970-01-01").replace(tzinfo=UTC)
    return search_key(moment, post_id or 0)


def _sqlite_tags(tags: str | None) -> str:
    try:
        value = json.loads(tags or "[]")
    except ValueError:
        return ""
    return fts_tags(str(tag) for tag in value) if isinstance(value, list) else ""


def _sqlite_meta(category: str | None, slug: str | None) -> str:
    return fts_meta(category or "", slug or "")


def register_sqlite_functions(connection: Any) -> None:
    """Give a SQLite connection the functions posts_search's triggers call (see migration 0004)."""
    connection.create_function("search_key", 2, _sqlite_key, deterministic=True)
    connection.create_function("search_stream", 1, lambda value: fts_stream(value or ""), deterministic=True)
    connection.create_function("search_tags", 1, _sqlite_tags, deterministic=True)
    connection.create_function("search_meta", 2, _sqlite_meta, deterministic=True)


MASK = (1 << _ID_BITS) - 1  # the post id in a search key


def is_sqlite(session: AsyncSession) -> bool:
    """Say whether the session's database is SQLite (else PostgreSQL)."""
    return session.get_bind().dialect.name == "sqlite"


async def watermark(session: AsyncSession) -> int:
    """Return the id up to which SQLite's posts_search holds the posts (0: none yet)."""
    value = await session.scalar(select(MetaValue.value).where(MetaValue.key == WATERMARK_KEY))
    return int(value) if value else 0


_INDEXED = and_(PostRow.state == PostState.ACTIVE, PostRow.draft.is_(False))


async def search_backlog(session: AsyncSession, limit: int = 1_000_000) -> int:
    """Count the posts the search index has not caught up with, up to `limit` (a bounded look)."""
    if is_sqlite(session):
        waiting: ColumnElement[bool] = PostRow.id > await watermark(session)
    else:
        waiting = and_(PostRow.search_lexemes.is_(None), _INDEXED)
    total = 0
    for which in (waiting, TEXT_PENDING):
        few = select(literal(1)).select_from(PostRow).where(which).limit(limit).subquery()
        total += int(await session.scalar(select(func.count()).select_from(few)) or 0)
    return min(total, limit)


async def catch_up_search(session: AsyncSession, batch: int = 200) -> int:
    """Index one batch of the backlog; return how many posts it took (0: the index is up to date).

    The caller commits, and must be the only writer of posts meanwhile (the indexer's lock).
    Search texts a big scan left out are derived first (their posts are searched from the body
    until then); then the index takes the posts.
    """
    if derived := await _derive_texts(session, batch):
        return derived
    if is_sqlite(session):
        start = await watermark(session)
        ids = select(PostRow.id).where(PostRow.id > start).order_by(PostRow.id).limit(batch).subquery()
        end = await session.scalar(select(func.max(ids.c.id)))
        if end is None:
            return 0
        for statement in _SQLITE_CATCH_UP:
            await session.execute(text(statement), {"start": start, "end": end})
        await session.merge(MetaValue(key=WATERMARK_KEY, value=str(end)))
        return int(end) - start
    columns = (PostRow.id, PostRow.title, PostRow.tags, PostRow.category, PostRow.slug, PostRow.search_text)
    waiting = (
        select(*columns).where(PostRow.search_lexemes.is_(None), _INDEXED).order_by(PostRow.id).limit(batch)
    )
    values = [
        {
            "id": post_id,
            "lexemes": lexemes(Document(title, list(tags or ()), category, slug, body)),
            "title": title_lexemes(title),
        }
        for post_id, title, tags, category, slug, body in await session.execute(waiting)
    ]
    if values:
        await session.execute(text(_POSTGRES_CATCH_UP), values)
    return len(values)


# In rowid order: FTS5 flushes what it holds in memory whenever a rowid comes out of order.
async def _derive_texts(session: AsyncSession, batch: int) -> int:
    waiting = select(PostRow.id, PostRow.body).where(TEXT_PENDING).order_by(PostRow.id).limit(batch)
    rows = await session.execute(waiting)
    texts = [{"key": post_id, "search_text": stored_search_text(body)} for post_id, body in rows]
    if texts:
        table = cast(Table, PostRow.__table__)  # Core: one statement, many rows
        await session.execute(table.update().where(table.c.id == bindparam("key")), texts)
    return len(texts)


_SQLITE_CATCH_UP = [
    """
    INSERT INTO posts_search(rowid, title, tags, meta, body)
    SELECT search_key(published_at, id), search_stream(title), search_tags(tags),
           search_meta(category, slug), search_stream(search_text)
    FROM posts WHERE id > :start AND id <= :end AND state = 'active' AND NOT draft
        AND (search_text != '' OR body = '')
    ORDER BY published_at, id
    """,
    """
    INSERT INTO posts_search_title(rowid, title)
    SELECT search_key(published_at, id), search_stream(title)
    FROM posts WHERE id > :start AND id <= :end AND state = 'active' AND NOT draft
        AND (search_text != '' OR body = '')
    ORDER BY published_at, id
    """,
]
_POSTGRES_CATCH_UP = (
    "UPDATE posts SET search_lexemes = array_to_tsvector(CAST(:lexemes AS text[])), "
    "title_lexemes = array_to_tsvector(CAST(:title AS text[])) WHERE id = :id"
)


async def follow_rules(session: AsyncSession) -> bool:
    """Empty an index built by other rules (it is rebuilt from the posts); True if it was."""
    stored = await session.get(MetaValue, RULES_KEY)
    if stored is not None and stored.value == SEARCH_RULES:
        return False
    await reset_search(session)
    if stored is None:
        session.add(MetaValue(key=RULES_KEY, value=SEARCH_RULES))
    else:
        stored.value = SEARCH_RULES
    return True


async def reset_search(session: AsyncSession) -> None:
    """Empty the search index, so it is rebuilt from the posts (after parsing or its rules changed)."""
    if is_sqlite(session):
        for table in ("posts_search", "posts_search_title"):
            await session.execute(text(f"INSERT INTO {table}({table}) VALUES ('delete-all')"))
        await session.execute(delete(MetaValue).where(MetaValue.key == WATERMARK_KEY))
    else:
        await session.execute(
            update(PostRow)
            .where(PostRow.search_lexemes.is_not(None))
            .values(search_lexemes=None, title_lexemes=None)
        )
