"""Named values the bot keeps in the `meta` table: when the first index finished, sync records."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import MetaValue


async def get(session: AsyncSession, key: str) -> str | None:
    """Return the value stored under `key`, if any."""
    row = await session.get(MetaValue, key)
    return row.value if row is not None else None
