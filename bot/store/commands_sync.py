"""The record of which command definitions a platform last synced (see bot.services.command_sync)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import MetaValue


def meta_key(platform: str, scope: str) -> str:
    """Return the `meta` key of one platform's command scope (e.g. discord, guild:123)."""
    return f"commands:{platform}:{scope}"[:64]


async def synced_hash(session: AsyncSession, platform: str, scope: str) -> str | None:
    """Return the hash of the definitions last synced to `scope`, if any."""
    row = await session.get(MetaValue, meta_key(platform, scope))
    return row.value if row is not None else None


async def remember_sync(session: AsyncSession, platform: str, scope: str, digest: str) -> None:
    """Record that the definitions hashing to `digest` are now live in `scope`."""
    await session.merge(MetaValue(key=meta_key(platform, scope), value=digest))
