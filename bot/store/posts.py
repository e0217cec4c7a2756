"""Read-side queries over posts: latest pages, one post, categories, search.

Search follows the rules of `bot.content.search_query` on both databases. SQLite answers from the
FTS5 table `posts_search` (see migration 0004), PostgreSQL from the GIN index on
`posts.search_lexemes`; posts the index has not caught up with yet (just indexed, or re-derived)
are matched here in Python, by the same rules. The indexer keeps the index up (`catch_up_search`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Result,
    Select,
    and_,
    delete,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from bot.content.models import CategoryCount, FullPost, Lang, Transmission
from bot.content.search_query import (
    FILLER,
    TITLE_MARK,
    Document,
    SearchQuery,
    Term,
    fts_stream,
    fts_tags,
    is_cjk,
    lexemes,
    matches,
    tag_token,
    title_hit,
)
from bot.store.models import MetaValue, PostRow, SlugHistory
from bot.store.states import PostState


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
    """Count the posts a reader can see."""
    query = select(func.count()).select_from(PostRow).where(published(now))
    return int((await session.execute(query)).scalar_one())


async def latest(session: AsyncSession, now: datetime, offset: int, limit: int) -> Sequence[PostRow]:
    """Return published posts newest first, `limit` of them from `offset`."""
    query = newest_first(select(PostRow).where(published(now))).offset(offset).limit(limit)
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

WATERMARK_KEY = "search_indexed_through"  # SQLite: posts up to this id are in posts_search
_ID_BITS = 27  # posts_search's rowid: the date's second, then the post id (ids below 2**27)
_MAX_SECONDS = 2**35  # dates clamped to about ±1,000 years of 1970 keep the key in 64 bits


def search_key(published_at: datetime, post_id: int) -> int:
    """Return posts_search's rowid for a post: ordering by it is newest first, then highest id."""
    seconds = int(published_at.astimezone(UTC).timestamp() // 1)
    seconds = max(-_MAX_SECONDS, min(seconds, _MAX_SECONDS - 1))
    return (seconds << _ID_BITS) + (post_id & ((1 << _ID_BITS) - 1))


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
    return f"{fts_stream(category or '')} {FILLER} {fts_stream(slug or '')}"


def register_sqlite_functions(connection: Any) -> None:
    """Give a SQLite connection the functions posts_search's triggers call (see migration 0004)."""
    connection.create_function("search_key", 2, _sqlite_key, deterministic=True)
    connection.create_function("search_stream", 1, lambda value: fts_stream(value or ""), deterministic=True)
    connection.create_function("search_tags", 1, _sqlite_tags, deterministic=True)
    connection.create_function("search_meta", 2, _sqlite_meta, deterministic=True)


@dataclass(slots=True)
class _Group:
    """Matches of one rank (title hits, or the rest): how many, and the best few in order."""

    count: int = 0
    top: list[tuple[Any, int]] = field(default_factory=list)  # (order, post id), best first


async def search(
    session: AsyncSession, query: SearchQuery, now: datetime, offset: int, limit: int
) -> tuple[Sequence[PostRow], int]:
    """Find published posts matching every term: title hits first, then the rest, newest first.

    Returns one page (`offset`, `limit`) of rows, their search_text loaded, and the total.
    """
    if not query.terms:
        return [], 0
    need = offset + limit
    sqlite = _is_sqlite(session)
    backend = _sqlite_groups if sqlite else _postgres_groups
    title, rest = await backend(session, query, now, need)
    for order, post_id, in_title in await _unindexed_matches(session, query, now, sqlite):
        group = title if in_title else rest
        group.count += 1
        group.top.append((order, post_id))
    for group in (title, rest):
        group.top.sort(reverse=True)
    ids = [post_id for _, post_id in (title.top[:need] + rest.top[:need])][offset:need]
    return await _rows(session, ids), title.count + rest.count


def _is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


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
        mark, last = (await session.execute(_SQLITE_PENDING)).one()
        if last is None or last <= (mark or 0):
            return []  # the usual case, answered from the primary key
        pending: ColumnElement[bool] = PostRow.id > (mark or 0)
    else:
        pending = PostRow.search_lexemes.is_(None)  # ix_posts_search_pending: empty when caught up
    columns = (PostRow.id, PostRow.published_at, PostRow.state, PostRow.draft, PostRow.title, PostRow.tags)
    rows = await session.execute(
        select(*columns, PostRow.category, PostRow.slug, PostRow.search_text).where(pending)
    )
    found = []
    for post_id, published_at, state, draft, title, tags, category, slug, search_text in rows:
        if state != PostState.ACTIVE or draft or published_at > now:
            continue  # checked here, so the query above stays on its own index
        document = Document(title, list(tags or ()), category, slug, search_text)
        if matches(query, document):
            order = search_key(published_at, post_id) if sqlite else (published_at, post_id)
            found.append((order, post_id, title_hit(query, document)))
    return found


_SQLITE_PENDING = text(
    f"SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{WATERMARK_KEY}'), "
    "(SELECT max(id) FROM posts)"
)


async def _watermark(session: AsyncSession) -> int:
    value = await session.scalar(select(MetaValue.value).where(MetaValue.key == WATERMARK_KEY))
    return int(value) if value else 0


# SQLite: FTS5 expressions over posts_search (columns title, tags, meta, body).


def _fts_term(term: Term) -> str:
    if term.tag is not None:
        return f'"{tag_token(term.tag)}"'
    # Pieces hold only letters and digits (bot.content.search_query), so quoting is enough.
    return "(" + " AND ".join(f'"{" ".join(p)}"' if is_cjk(p) else f'"{p}"*' for p in term.pieces) + ")"


async def _sqlite_groups(
    session: AsyncSession, query: SearchQuery, now: datetime, need: int
) -> tuple[_Group, _Group]:
    everything = " AND ".join(_fts_term(term) for term in query.terms)
    in_title = " OR ".join(f"{{title}} : {_fts_term(term)}" for term in query.plain) or '"\u01c1"'
    values = {
        "all": everything,
        "title": f"({everything}) AND ({in_title})",
        "rest": f"({everything}) NOT ({in_title})",
        "latest": search_key(now, (1 << _ID_BITS) - 1),
    }
    total, in_titles = (await session.execute(_FTS_COUNTS, values)).one()
    title, rest = _Group(count=int(in_titles)), _Group(count=int(total) - int(in_titles))
    values |= {"first": min(need, title.count), "then": min(need - min(need, title.count), rest.count)}
    for key, ranked in await session.execute(_FTS_TOP, values):
        (title if ranked else rest).top.append((key, key & ((1 << _ID_BITS) - 1)))
    return title, rest


# One round trip each: the two counts, then the best of each rank (title hits, the rest).
_FTS_MATCH = "SELECT {what} FROM posts_search WHERE posts_search MATCH :{match} AND rowid <= :latest"
_FTS_COUNTS = text(
    f"SELECT ({_FTS_MATCH.format(what='count(*)', match='all')}), "
    f"({_FTS_MATCH.format(what='count(*)', match='title')})"
)
_FTS_TOP = text(
    f"SELECT * FROM ({_FTS_MATCH.format(what='rowid, 1', match='title')} ORDER BY rowid DESC LIMIT :first) "
    f"UNION ALL SELECT * FROM ({_FTS_MATCH.format(what='rowid, 0', match='rest')} "
    "ORDER BY rowid DESC LIMIT :then)"
)


# PostgreSQL: tsquery over search_lexemes; a CJK piece of 3+ characters is checked in the text.


def _ts_piece(piece: str, mark: str) -> str:
    if not is_cjk(piece):
        return f"'{mark}{piece}':*"
    grams = [piece] if len(piece) <= 2 else [piece[i : i + 2] for i in range(len(piece) - 1)]
    return " & ".join(f"'{mark}{gram}'" for gram in grams)


def _ts_term(term: Term, mark: str = "") -> str:
    if term.tag is not None:
        return f"'{tag_token(term.tag)}'"
    return "(" + " & ".join(_ts_piece(piece, mark) for piece in term.pieces) + ")"


def _lexemes_match(tsquery: str) -> ColumnElement[bool]:
    return PostRow.search_lexemes.op("@@", return_type=Boolean)(literal(tsquery, TSQUERY))


def _in_any_field(piece: str) -> ColumnElement[bool]:
    tags = func.json_array_elements_text(PostRow.tags).table_valued("value")
    return or_(
        *(func.strpos(column, piece) > 0 for column in (PostRow.title, PostRow.category, PostRow.slug)),
        func.strpos(PostRow.search_text, piece) > 0,
        exists(select(literal(1)).select_from(tags).where(func.strpos(tags.c.value, piece) > 0)),
    )


def _checked(term: Term, title_only: bool) -> list[ColumnElement[bool]]:
    long = [piece for piece in term.pieces if is_cjk(piece) and len(piece) > 2]
    if title_only:
        return [func.strpos(PostRow.title, piece) > 0 for piece in long]
    return [_in_any_field(piece) for piece in long]


# The GIN index's own predicate, word for word, so the planner can use the partial index.
_INDEXED_SQL = text("posts.state = 'active' AND NOT posts.draft")


async def _postgres_groups(
    session: AsyncSession, query: SearchQuery, now: datetime, need: int
) -> tuple[_Group, _Group]:
    everything = and_(
        _INDEXED_SQL,
        published(now),
        _lexemes_match(" & ".join(_ts_term(term) for term in query.terms)),
        *(check for term in query.terms for check in _checked(term, False)),
    )
    in_title = or_(
        false(),
        *(and_(_lexemes_match(_ts_term(term, TITLE_MARK)), *_checked(term, True)) for term in query.plain),
    )
    counted = select(func.count()).select_from(PostRow)
    both = select(
        counted.where(everything).scalar_subquery(), counted.where(everything, in_title).scalar_subquery()
    )
    total, in_titles = (await session.execute(both)).one()
    title, rest = _Group(count=int(in_titles)), _Group(count=int(total) - int(in_titles))
    first = min(need, title.count)
    then = min(need - first, rest.count)
    ranks = [
        _pg_top(and_(everything, in_title), first, 1),
        _pg_top(and_(everything, not_(in_title)), then, 0),
    ]
    rows = cast("Result[datetime, int, int]", await session.execute(union_all(*ranks)))
    for published_at, post_id, ranked in rows:
        (title if ranked else rest).top.append(((published_at, post_id), post_id))
    return title, rest


def _pg_top(where: ColumnElement[bool], count: int, ranked: int) -> Select[datetime, int, int]:
    best = select(PostRow.published_at, PostRow.id, literal(ranked).label("ranked")).where(where)
    ordered = best.order_by(PostRow.published_at.desc(), PostRow.id.desc()).limit(count).subquery()
    return select(ordered.c.published_at, ordered.c.id, ordered.c.ranked)


# --- keeping the search index up -------------------------------------------------------------

_INDEXED = and_(PostRow.state == PostState.ACTIVE, PostRow.draft.is_(False))


async def search_backlog(session: AsyncSession) -> int:
    """Count the posts the search index has not caught up with (searched slowly meanwhile)."""
    if _is_sqlite(session):
        waiting: ColumnElement[bool] = PostRow.id > await _watermark(session)
    else:
        waiting = and_(PostRow.search_lexemes.is_(None), _INDEXED)
    return int(await session.scalar(select(func.count()).select_from(PostRow).where(waiting)) or 0)


async def catch_up_search(session: AsyncSession, batch: int = 200) -> int:
    """Index one batch of the backlog; return how many posts it took (0: the index is up to date).

    The caller commits, and must be the only writer of posts meanwhile (the indexer's lock).
    """
    if _is_sqlite(session):
        start = await _watermark(session)
        ids = select(PostRow.id).where(PostRow.id > start).order_by(PostRow.id).limit(batch).subquery()
        end = await session.scalar(select(func.max(ids.c.id)))
        if end is None:
            return 0
        await session.execute(text(_SQLITE_CATCH_UP), {"start": start, "end": end})
        await session.merge(MetaValue(key=WATERMARK_KEY, value=str(end)))
        return int(end) - start
    columns = (PostRow.id, PostRow.title, PostRow.tags, PostRow.category, PostRow.slug, PostRow.search_text)
    waiting = (
        select(*columns).where(PostRow.search_lexemes.is_(None), _INDEXED).order_by(PostRow.id).limit(batch)
    )
    values = [
        {"id": post_id, "lexemes": lexemes(Document(title, list(tags or ()), category, slug, body))}
        for post_id, title, tags, category, slug, body in await session.execute(waiting)
    ]
    if values:
        await session.execute(text(_POSTGRES_CATCH_UP), values)
    return len(values)


_SQLITE_CATCH_UP = """
INSERT INTO posts_search(rowid, title, tags, meta, body)
SELECT search_key(published_at, id), search_stream(title), search_tags(tags),
       search_meta(category, slug), search_stream(search_text)
FROM posts WHERE id > :start AND id <= :end AND state = 'active' AND NOT draft
ORDER BY published_at, id
"""  # in rowid order: FTS5 flushes what it holds in memory whenever a rowid comes out of order
_POSTGRES_CATCH_UP = (
    "UPDATE posts SET search_lexemes = array_to_tsvector(CAST(:lexemes AS text[])) WHERE id = :id"
)


async def reset_search(session: AsyncSession) -> None:
    """Empty the search index, so it is rebuilt from the posts (after parsing or its rules changed)."""
    if _is_sqlite(session):
        await session.execute(text("INSERT INTO posts_search(posts_search) VALUES ('delete-all')"))
        await session.execute(delete(MetaValue).where(MetaValue.key == WATERMARK_KEY))
    else:
        await session.execute(
            update(PostRow).where(PostRow.search_lexemes.is_not(None)).values(search_lexemes=None)
        )
