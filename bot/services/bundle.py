"""Every service a platform's front end may use, built once over the bot's sessions and clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.services.articles import Articles
from bot.services.command_sync import CommandSync
from bot.services.endpoints import Endpoints
from bot.services.lookups import PostLookups
from bot.services.membership import Membership
from bot.services.operators import OwnerCommands
from bot.services.readings import Readings


@dataclass(frozen=True, slots=True)
class Services:
    """What `bot.platforms.spec.Host` offers besides the shared commands: no sessions, no store."""

    membership: Membership
    owners: OwnerCommands
    lookups: PostLookups
    command_sync: CommandSync
    endpoints: Endpoints
    articles: Articles
    readings: Readings

    @classmethod
    def build(
        cls,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        wake: Callable[[], None],
        site_url: str = "",
    ) -> Services:
        """Build them all; `wake` tells the senders that a service queued deliveries."""
        return cls(
            membership=Membership(sessions),
            owners=OwnerCommands(sessions, clock, wake),
            lookups=PostLookups(sessions, clock),
            command_sync=CommandSync(sessions),
            endpoints=Endpoints(sessions),
            articles=Articles(sessions, clock, site_url),
            readings=Readings(sessions, clock, site_url),
        )
