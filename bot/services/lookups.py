"""Look-ups the chat front ends make while a user types: posts by title, categories by name."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.content.search_query import parse_query
from bot.store import posts

MAX_WORDS = 8


class PostLookups:
    """Suggestions for autocomplete, from the published posts only."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def posts(self, typed: str, limit: int) -> list[tuple[str, str]]:
        """Return (title, slug) of the posts matching every word typed so far, else the newest."""
        query = parse_query(" ".join(typed.split()[:MAX_WORDS]))
        now = self._clock.now()
        async with self._sessions() as session:
            if query.terms:
                rows, _ = await posts.search(session, query, now, 0, limit, count_up_to=0)  # no count needed
            else:
                rows = await posts.latest(session, now, 0, limit)
        return [(row.title, row.slug) for row in rows]

    async def categories(self, typed: str = "") -> list[str]:
        """Return the category names containing what was typed (any case), largest first."""
        async with self._sessions() as session:
            found = await posts.categories(session, self._clock.now())
        wanted = typed.casefold().strip()
        return [c.name for c in found if wanted in c.name.casefold()]
