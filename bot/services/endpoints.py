"""Where a push-only destination sends: its endpoint as an operator stored it (`destinations add`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store import destinations


@dataclass(frozen=True, slots=True)
class StoredEndpoint:
    """A destination's URL, body format and signing secret, as stored."""

    url: str
    format: str | None
    secret: str | None


class Endpoints:
    """Read endpoints when they are sent to, so a change applies from the next send."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def find(self, platform: str, chat_id: str) -> StoredEndpoint | None:
        """Return the endpoint of the destination `chat_id` names; None without one."""
        async with self._sessions() as session:
            found = await destinations.find(session, platform, chat_id)
        if found is None or not found.endpoint_url:
            return None
        return StoredEndpoint(found.endpoint_url, found.endpoint_format, found.endpoint_secret)
