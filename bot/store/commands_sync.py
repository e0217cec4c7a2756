"""Remember which command definitions a platform last synced, so a restart does not sync them again."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import MetaValue


def definitions_hash(definitions: Any) -> str:
    """Hash JSON-able command definitions; key order and whitespace do not change the hash."""
    canonical = json.dumps(definitions, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


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
