"""Read-side queries over posts: latest pages, one post, categories, search.

Search follows the rules of `bot.content.search_query` on both databases. SQLite answers from the
FTS5 table `posts_search` (see migration 0004), PostgreSQL from GIN indexes on its lexemes
(bot.store.search_postgres); posts the index has not caught up with yet (just indexed, or re-derived)
are matched here in Python, by the same rules. The indexer keeps the index up (`catch_up_search`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    false,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, undefer

from bot.content.models import CategoryCount, FullPost, Lang, Transmission
from bot.content.search_query import (
    Document,
    SearchQuery,
    Term,
    fts_piece,
    matches,
    tag_token,
    title_hit,
)
from bot.content.search_text import search_text
from bot.store.models import TEXT_PENDING, MetaValue, PostRow, SlugHistory
from bot.store.search_index import MASK, WATERMARK_KEY, is_sqlite, search_key
from bot.store.search_postgres import GinIndex, Ranked
from bot.store.states import PostState

LISTED_KEY = "listed_posts"  # meta: how many posts are active and not drafts (kept by triggers)


def published(now: datetime) -> ColumnElement[bool]:
    """Select posts a reader may see at `now`: present, not drafts, and dated no later than now."""
    # `draft = false`, not `IS false`: an equality both databases can look up in ix_posts_listing.
    return and_(PostRow.state == PostState.ACTIVE, PostRow.draft == false(), PostRow.published_at <= now)


def newest_first(query: Select[PostRow]) -> Select[PostRow]:
    """Order newest first, with the id breaking ties so pages are stable."""
    return query.order_by(PostRow.published_at.desc(), PostRow.id.desc())


def to_transmission(row: PostRow) -> Transmission:
    """Build the platform-neutral view of a stored post."""
    lang: Lang = "en" if row.lang == "en" else "zh"
    return Transmission(
        slug=row.slug,
        title=row.title,
        category=row.category,
        published_at=row.published_at,
        excerpt=row.excerpt,
        url=row.url,
        image=row.image,
        lang=lang,
        post_id=row.id,
    )


def to_full_post(row: PostRow, site_url: str) -> FullPost:
    """Build the whole post of a stored row, to read in a chat."""
    return FullPost(
        post_id=row.id,
        slug=row.slug,
        title=row.title,
        category=row.category,
        published_at=row.published_at,
        url=row.url,
        image=row.image,
        lang="en" if row.lang == "en" else "zh",
        body=row.body,
        site_url=site_url,
        version=row.version,
    )


async def count_published(session: AsyncSession, now: datetime) -> int:
    """Count the posts a reader can see.

    That is the listed posts (a counter kept by triggers, see migration 0004) less those dated
    in the future (few, found in ix_posts_listing): no scan of 100,000 rows for each page.
    """
    listed, future = (await session.execute(_COUNT_PUBLISHED, {"now": now})).one()
    if listed is None:  # a schema built without the migrations: count them all
        query = select(func.count()).select_from(PostRow).where(published(now))
        return int((await session.execute(query)).scalar_one())
    return int(listed) - int(future)


_COUNT_PUBLISHED = select(
    select(cast(MetaValue.value, Integer)).where(MetaValue.key == LISTED_KEY).scalar_subquery(),
    select(func.count())
    .select_from(PostRow)
    .where(
        PostRow.state == PostState.ACTIVE,
        PostRow.draft == false(),
        PostRow.published_at > bindparam("now", type_=PostRow.published_at.type),
    )
    .scalar_subquery(),
)


async def latest(session: AsyncSession, now: datetime, offset: int, limit: int) -> Sequence[PostRow]:
    """Return published posts newest first, `limit` of them from `offset` (without their bodies)."""
    # The offset is walked in ix_posts_listing alone; only the page's rows are read.
    page = select(PostRow.id).where(published(now)).order_by(PostRow.published_at.desc(), PostRow.id.desc())
    chosen = PostRow.id.in_(page.offset(offset).limit(limit).scalar_subquery())
    query = newest_first(select(PostRow).options(defer(PostRow.body)).where(chosen))
    return (await session.execute(query)).scalars().all()


async def by_slug(session: AsyncSession, slug: str, now: datetime) -> PostRow | None:
    """Find a published post by its slug, or by a slug it had before."""
    row = (await session.execute(select(PostRow).where(PostRow.slug == slug, published(now)))).scalar()
    if row is not None:
        return row
    query = select(PostRow).join(SlugHistory, SlugHistory.post_id == PostRow.id)
    return (await session.execute(query.where(SlugHistory.slug == slug, published(now)))).scalar()


async def categories(session: AsyncSession, now: datetime) -> list[CategoryCount]:
    """Return each category with its published post count, largest first."""
    count = func.count(PostRow.id)
    query = (
        select(PostRow.category, count)
        .where(published(now))
        .group_by(PostRow.category)
        .order_by(count.desc(), PostRow.category)
    )
    return [CategoryCount(name, int(n)) for name, n in (await session.execute(query)).all()]


# --- search ------------------------------------------------------------------------------------


_UNBOUNDED = 2**62  # a LIMIT no count reaches


async def search(
    session: AsyncSession,
    query: SearchQuery,
    now: datetime,
    offset: int,
    limit: int,
    count_up_to: int | None = None,
) -> tuple[Sequence[PostRow], int]:
    """Find published posts matching every term: title hits first, then the rest, newest first.

    Returns one page (`offset`, `limit`) of rows, search_text loaded, and the total. Only the
    total is counted; each rank is read newest first and only as far as the page needs, so a
    page of a common word costs one count and a few rows. With `count_up_to` the count stops
    past that many (a total above it means "more"): counting every post that holds a common
    word costs more than the page itself.
    """
    if not query.terms:
        return [], 0
    need = offset + limit
    sqlite = is_sqlite(session)
    index = _FtsIndex(query, now) if sqlite else GinIndex(query, published(now))
    pending = await _unindexed_matches(session, query, now, sqlite)
    total, found = await index.first(session, need, _UNBOUNDED if count_up_to is None else count_up_to + 1)
    title = sorted(
        found + [(order, post_id) for order, post_id, in_title in pending if in_title], reverse=True
    )
    rest: list[Ranked] = []
    if len(found) < need and len(title) < need:  # every title hit is known: the rest follow them
        others = [(order, post_id) for order, post_id, in_title in pending if not in_title]
        rest = sorted(await index.rest(session, need - len(title)) + others, reverse=True)
    ids = [post_id for _, post_id in (title + rest)[:need]][offset:]
    return await _rows(session, ids), total + len(pending)


async def _rows(session: AsyncSession, ids: list[int]) -> list[PostRow]:
    if not ids:
        return []
    query = select(PostRow).options(undefer(PostRow.search_text)).where(PostRow.id.in_(ids))
    found = {row.id: row for row in (await session.execute(query)).scalars()}
    return [found[post_id] for post_id in ids if post_id in found]


async def _unindexed_matches(
    session: AsyncSession, query: SearchQuery, now: datetime, sqlite: bool
) -> list[tuple[Any, int, bool]]:
    """Match the posts the search index has not caught up with yet, by the reference rules."""
    if sqlite:
        mark, last, untexted = (await session.execute(_SQLITE_PENDING)).one()
        if (last is None or last <= (mark or 0)) and not untexted:
            return []  # the usual case, answered from the primary key and an empty index
        # Posts past the mark, and posts whose text is still to come, are not in posts_search.
        pending: ColumnElement[bool] = or_(PostRow.id > (mark or 0), TEXT_PENDING)
    else:
        pending = PostRow.search_lexemes.is_(None)  # ix_posts_search_pending: empty when caught up
    columns = (PostRow.id, PostRow.published_at, PostRow.state, PostRow.draft, PostRow.title, PostRow.tags)
    more = (PostRow.category, PostRow.slug, PostRow.search_text, PostRow.body)
    found = []
    for post_id, when, state, draft, title, tags, category, slug, plain, body in await session.execute(
        select(*columns, *more).where(pending)
    ):
        if state != PostState.ACTIVE or draft or when > now:
            continue  # checked here, so the query above stays on its own index
        # A search text a big scan left to the catch-up is derived here meanwhile.
        document = Document(title, list(tags or ()), category, slug, plain or search_text(body))
        if matches(query, document):
            order = search_key(when, post_id) if sqlite else (when, post_id)
            found.append((order, post_id, title_hit(query, document)))
    return found


_SQLITE_PENDING = text(
    f"SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{WATERMARK_KEY}'), "
    "(SELECT max(id) FROM posts), EXISTS (SELECT 1 FROM posts WHERE search_text = '' AND body != '')"
)


# SQLite: FTS5 expressions over posts_search (columns title, tags, meta, body).


def _fts_term(term: Term) -> str:
    if term.tag is not None:
        return f'"{tag_token(term.tag)}"'
    return "(" + " AND ".join(fts_piece(piece) for piece in term.pieces) + ")"


class _FtsIndex:
    """SQLite: FTS5 queries over posts_search (title, tags, meta, body) and posts_search_title."""

    def __init__(self, query: SearchQuery, now: datetime) -> None:
        # A tag-only query has no title hits: ǁ is never indexed.
        in_title = " OR ".join(_fts_term(term) for term in query.plain) or '"\u01c1"'
        everything = " AND ".join(_fts_term(term) for term in query.terms)
        self.values = {"all": everything, "title": in_title, "latest": search_key(now, MASK)}
        # With one term, a title hit matches the whole query; with more, the others are checked.
        self.first_sql = _FTS_FIRST if len(query.terms) == 1 else _FTS_FIRST_CHECKED

    async def first(self, session: AsyncSession, need: int, most: int) -> tuple[int, list[Ranked]]:
        """Return the total (up to `most`) and the best `need` title hits, in one round trip."""
        values = self.values | {"need": need, "most": most}
        rows = (await session.execute(self.first_sql, values)).all()
        return int(rows[0][0]), [(key, key & MASK) for _, key in rows if key is not None]

    async def rest(self, session: AsyncSession, count: int) -> list[Ranked]:
        """Return the best `count` matches that are not title hits."""
        keys = (await session.execute(_FTS_REST, self.values | {"need": count})).scalars()
        return [(key, key & MASK) for key in keys]


# The title table is small: title hits are found there, newest first, as far as the page needs.
# Sets to check against are built once (MATERIALIZED), and `+rowid` keeps SQLite from handing each
# member to FTS5 as a lookup of its own: an FTS5 query run for every row would expand a prefix
# (`"模"*`) again each time.
_FTS_ALL = "SELECT rowid FROM posts_search WHERE posts_search MATCH :all AND rowid <= :latest"
_TITLE_HITS = (
    "SELECT rowid FROM posts_search_title WHERE posts_search_title MATCH :title AND rowid <= :latest {check} "
    "ORDER BY rowid DESC LIMIT :need"
)
_FIRST = (
    "SELECT counted.n, best.rowid FROM (SELECT count(*) AS n FROM ({all} LIMIT :most)) AS counted "
    "LEFT JOIN ({hits}) AS best ON 1 ORDER BY best.rowid DESC"
)
_FTS_FIRST = text(_FIRST.format(all=_FTS_ALL, hits=_TITLE_HITS.format(check="")))
_FTS_FIRST_CHECKED = text(
    f"WITH matching AS MATERIALIZED ({_FTS_ALL}) "
    + _FIRST.format(all="SELECT rowid FROM matching", hits=_TITLE_HITS.format(check="AND +rowid IN matching"))
)
_FTS_REST = text(
    "WITH titled AS MATERIALIZED "
    "(SELECT rowid FROM posts_search_title WHERE posts_search_title MATCH :title AND rowid <= :latest) "
    "SELECT rowid FROM posts_search WHERE posts_search MATCH :all AND rowid <= :latest "
    "AND +rowid NOT IN titled ORDER BY rowid DESC LIMIT :need"
)
