"""Whole posts for reading in chat: found by id (buttons, deep links) or slug (`/post <slug> full`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.content.i18n import t
from bot.content.models import FullPost, Lang, Notice, Transmission
from bot.store import posts
from bot.store.models import PostRow


class Articles:
    """Find a published post to read whole, or its card; a notice when it is not (or no longer) there."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, site_url: str = "") -> None:
        self._sessions = sessions
        self._clock = clock
        self._site_url = site_url

    async def _row(self, post_id: int) -> PostRow | None:
        query = select(PostRow).where(PostRow.id == post_id, posts.published(self._clock.now()))
        async with self._sessions() as session:
            return (await session.execute(query)).scalar()

    async def full(self, post_id: int, lang: Lang) -> FullPost | Notice:
        """Return the whole post with this id, if a reader may see it now."""
        row = await self._row(post_id)
        if row is None:
            return Notice(t("post_gone", lang), lang, is_error=True)
        return posts.to_full_post(row, self._site_url)

    async def card(self, post_id: int, lang: Lang) -> Transmission | Notice:
        """Return the post's transmission card (what /post shows), found by id."""
        row = await self._row(post_id)
        if row is None:
            return Notice(t("post_gone", lang), lang, is_error=True)
        return posts.to_transmission(row)

    async def full_by_slug(self, slug: str, lang: Lang) -> FullPost | Notice:
        """Return the whole post with this slug (or a slug it had), if a reader may see it now."""
        async with self._sessions() as session:
            row = await posts.by_slug(session, slug, self._clock.now())
        if row is None:
            return Notice(t("no_such_post", lang, slug=slug[:100]), lang, is_error=True)
        return posts.to_full_post(row, self._site_url)
