"""Read-side queries over posts: latest pages, one post, categories, search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.models import CategoryCount, Lang, Transmission
from bot.store.models import PostRow, SlugHistory
from bot.store.states import PostState

_LIKE_ESCAPE = "\\"


def published(now: datetime) -> ColumnElement[bool]:
    """Select posts a reader may see at `now`: present, not drafts, and dated no later than now."""
    return and_(PostRow.state == PostState.ACTIVE, PostRow.draft.is_(False), PostRow.published_at <= now)


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


async def search(
    session: AsyncSession, words: Sequence[str], now: datetime, limit: int
) -> tuple[Sequence[PostRow], int]:
    """Find published posts containing every word in title, excerpt, category or slug.

    Substring matching, because Chinese has no spaces between words.
    """
    conditions = []
    for word in words:
        pattern = "%" + _escape_like(word.lower()) + "%"
        fields = (PostRow.title, PostRow.excerpt, PostRow.category, PostRow.slug)
        conditions.append(or_(*(func.lower(f).like(pattern, escape=_LIKE_ESCAPE) for f in fields)))
    where = and_(published(now), *conditions)
    total = int((await session.execute(select(func.count()).select_from(PostRow).where(where))).scalar_one())
    rows = (await session.execute(newest_first(select(PostRow).where(where)).limit(limit))).scalars().all()
    return rows, total


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
