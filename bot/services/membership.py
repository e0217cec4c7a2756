"""A chat's membership, as its platform reports it: what it means for the chat's destinations.

The bot removed or blocked, added back, or the chat given a new id (a Telegram group that became a
supergroup): the adapters notice these events, this service decides what they mean.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.subscriptions import UNSUBSCRIBED
from bot.store import destinations

log = logging.getLogger(__name__)


class Membership:
    """Turn a chat's destinations off and on as the bot loses and regains it; follow id changes."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def lost(self, platform: str, chat_id: str, reason: str) -> int:
        """Disable the chat's destinations: the bot can no longer post there (removed, blocked)."""
        async with self._sessions.begin() as session:
            return await destinations.deactivate(session, platform, chat_id, reason)

    async def regained(self, platform: str, chat_id: str) -> int:
        """Re-enable what lost access disabled (not what the chat unsubscribed): the bot is back."""
        async with self._sessions.begin() as session:
            count = await destinations.reactivate(session, platform, chat_id, keep_off=UNSUBSCRIBED)
        if count:
            log.info("%s chat %s is reachable again: %d destinations back", platform, chat_id, count)
        return count

    async def migrated(self, platform: str, old_chat_id: str, new_chat_id: str) -> int:
        """Move the chat's destinations (topics included) to its new id."""
        async with self._sessions.begin() as session:
            moved = await destinations.move_all(session, platform, old_chat_id, new_chat_id)
        log.info("%s chat %s became %s: %d destinations moved", platform, old_chat_id, new_chat_id, moved)
        return moved
